//! How the errors of `domain::export` are answered.

use super::ApiError;
