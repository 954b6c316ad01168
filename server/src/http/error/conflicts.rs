//! How the errors of `domain::conflicts` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::conflicts::{ConflictsError, NOTE_MAX_CHARS};

impl From<ConflictsError> for ApiError {
    fn from(e: ConflictsError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            ConflictsError::UnknownConflict(c) => {
                ApiError::NotFound(said(Code::ConflictNotFound, format!("没有冲突 {c}")))
            }
            ConflictsError::AlreadyResolved(c) => {
                ApiError::Conflict(said(Code::AlreadyDecided, format!("冲突 {c} 已经处理过")))
            }
            ConflictsError::BadNote => ApiError::BadRequest(said(
                Code::InvalidNote,
                format!("处理说明须写明决定，1 到 {NOTE_MAX_CHARS} 个字符，不能含控制字符"),
            )),
            // A well-formed member id the conflict does not name: a rule the schema cannot state.
            ConflictsError::NotInConflict { member, conflict } => ApiError::Unprocessable(said(
                Code::NotInConflict,
                format!("会员 {member} 不在冲突 {conflict} 中"),
            )),
            ConflictsError::Denied(d) => d.into(),
            ConflictsError::Store(s) => ApiError::internal(s),
        }
    }
}
