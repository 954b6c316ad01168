//! How the errors of `domain::partners` are answered.

use super::ApiError;
