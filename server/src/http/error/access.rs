//! Who is asking: sessions, permissions and the audit log's errors as responses; the store's.

use super::{ApiError, Code, Detail};
use crate::domain::audit::AuditError;
use crate::domain::auth::AuthError;
use crate::domain::perm::Denied;
use crate::storage::StoreError;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Denied(d) => d.into(),
            AuditError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            AuthError::BadCredentials => {
                ApiError::Unauthorized(said(Code::BadCredentials, "用户名或密码错误".into()))
            }
            AuthError::NoSession => ApiError::Unauthorized(said(
                Code::Unauthorized,
                "登录已失效（未登录、已过期或已被注销），请重新登录".into(),
            )),
            AuthError::UsernameTaken(name) => ApiError::Conflict(said(
                Code::UsernameTaken,
                format!("用户名 {name:?} 已被占用"),
            )),
            AuthError::WeakPassword => {
                ApiError::BadRequest(said(Code::WeakPassword, "密码须为 8 到 128 个字符".into()))
            }
            AuthError::BadInvitation => ApiError::BadRequest(said(
                Code::InvalidInvitation,
                "邀请码不存在、已使用或已过期；请向门店索取新的邀请码".into(),
            )),
            AuthError::Store(s) => s.into(),
            AuthError::Hash => ApiError::internal(e),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        let code = match &e {
            Denied::Role { .. } => Code::Forbidden,
            Denied::OtherStore { .. } => Code::ForbiddenOtherStore,
            Denied::NotYours { .. } => Code::ForbiddenNotYours,
            Denied::OtherCompany { .. } => Code::ForbiddenOtherCompany,
        };
        ApiError::Forbidden(Detail::new(code, e.to_string(), e.describe_zh()))
    }
}
