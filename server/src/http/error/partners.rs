//! How the errors of `domain::partners` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::partners::{MAX_CHECK_DAYS, PartnersError};

impl From<PartnersError> for ApiError {
    fn from(e: PartnersError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            // Published in the description (text lengths and patterns, most check days).
            PartnersError::BadText { field, source } => ApiError::BadRequest(said(
                Code::InvalidText,
                format!("{field}：{}", source.describe_zh()),
            )),
            PartnersError::TooManyCheckDays { .. } => ApiError::BadRequest(said(
                Code::TooManyCheckDays,
                format!("上门检测日最多 {MAX_CHECK_DAYS} 天"),
            )),
            // Well-formed dates refused by rules no schema states: an end before the start, a
            // term with no last day in the calendar, a check day outside the term.
            PartnersError::EndsBeforeStart { from, until } => ApiError::Unprocessable(said(
                Code::EndsBeforeStart,
                format!("优惠截止日 valid_until（{until}）不能早于开始日 valid_from（{from}）"),
            )),
            PartnersError::TermOutOfRange { start } => ApiError::Unprocessable(said(
                Code::TermOutOfRange,
                format!("协议开始日 {start} 超出可登记的范围"),
            )),
            PartnersError::CheckDayOutsideTerm { day, start, end } => {
                ApiError::Unprocessable(said(
                    Code::CheckDayOutsideTerm,
                    format!("上门检测日 {day} 不在协议期 {start} 至 {end} 内"),
                ))
            }
            PartnersError::UnknownStore { store } => {
                ApiError::NotFound(said(Code::StoreNotFound, format!("门店 {store} 不存在")))
            }
            PartnersError::UnknownPartner { partner } => ApiError::NotFound(said(
                Code::PartnerNotFound,
                format!("合作商户 {partner} 不存在"),
            )),
            PartnersError::UnknownAgreement { agreement } => ApiError::NotFound(said(
                Code::AgreementNotFound,
                format!("大客户协议 {agreement} 不存在"),
            )),
            PartnersError::AlreadyDeactivated { partner } => ApiError::Conflict(said(
                Code::AlreadyDeactivated,
                format!("合作商户 {partner} 已经停用"),
            )),
            PartnersError::NotAnAdvisor { user } => ApiError::Unprocessable(said(
                Code::NotAnAdvisor,
                format!("用户 {user} 不是本门店的服务顾问"),
            )),
            PartnersError::Denied(d) => d.into(),
            PartnersError::Store(s) => ApiError::internal(s),
        }
    }
}
