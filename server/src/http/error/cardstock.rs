//! How the errors of `domain::cardstock` are answered.

use super::ApiError;
