//! How the errors of `domain::accounts` are answered.

use super::ApiError;
