//! How the errors of `domain::members` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::members::{MAX_QUERY_CHARS, MemberListError};

impl From<MemberListError> for ApiError {
    fn from(e: MemberListError) -> Self {
        match e {
            MemberListError::Denied(d) => d.into(),
            MemberListError::QueryTooLong => ApiError::BadRequest(Detail::new(
                Code::QueryTooLong,
                e.to_string(),
                format!("搜索内容最多 {MAX_QUERY_CHARS} 个字符"),
            )),
        }
    }
}
