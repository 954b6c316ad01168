//! How the errors of `domain::ops` are answered.

use super::ApiError;
