//! How the errors of `domain::cards` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::cards::CardsError;

impl From<CardsError> for ApiError {
    fn from(e: CardsError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            CardsError::UnknownDevice(d) => {
                ApiError::NotFound(said(Code::DeviceNotFound, format!("没有设备 {d}")))
            }
            CardsError::DeviceRevoked(d) => ApiError::Conflict(said(
                Code::DeviceRevoked,
                format!("设备 {d} 已被停用，不能再领用会员卡"),
            )),
            CardsError::BadCount { max } => {
                ApiError::BadRequest(said(Code::InvalidCount, format!("卡数须为 1 到 {max} 张")))
            }
            CardsError::Denied(d) => d.into(),
            CardsError::Store(s) => ApiError::internal(s),
        }
    }
}
