//! How the errors of `domain::conflicts` are answered.

use super::ApiError;
