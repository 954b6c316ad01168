//! How the errors of `domain::cards` are answered.

use super::ApiError;
