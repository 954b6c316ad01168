//! Club operations' errors as responses.

use super::engine::dating;
use super::{ApiError, Code, Detail};
use crate::domain::ops::OpsError;

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            OpsError::NotOnFile(m) => {
                ApiError::NotFound(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            // Not in the request's description, which lists the operations the route takes.
            OpsError::FieldDeviceOnly { kind } => ApiError::BadRequest(said(
                Code::FieldDeviceOnly,
                format!(
                    "{}在外勤设备上登记，不能作为会员操作录入",
                    carclub_shared::EventBody::kind_zh(kind)
                ),
            )),
            // As described, but naming another member than the path, or dated in the future or
            // too far back.
            OpsError::OtherMember { .. } => ApiError::Unprocessable(said(
                Code::OtherMember,
                "操作中写的会员与路径中的会员不同".into(),
            )),
            OpsError::Dating(d) => {
                let (code, zh) = dating(&d);
                ApiError::Unprocessable(said(code, format!("\"at\"：{zh}")))
            }
            OpsError::NoProgram(_) => ApiError::internal(e),
            OpsError::Denied(d) => d.into(),
            OpsError::Refused(r) => r.into(),
            OpsError::Store(s) => s.into(),
        }
    }
}
