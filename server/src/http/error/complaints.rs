//! How the errors of `domain::complaints` are answered.

use super::ApiError;
