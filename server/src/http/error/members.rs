//! How the errors of `domain::members` are answered.

use super::ApiError;
use crate::domain::members::MemberListError;

impl From<MemberListError> for ApiError {
    fn from(e: MemberListError) -> Self {
        match e {
            MemberListError::Denied(d) => d.into(),
            MemberListError::QueryTooLong => ApiError::BadRequest(e.to_string()),
        }
    }
}
