//! How the errors of `domain::kpi` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::kpi::{KpiError, MAX_MONTHS};

impl From<KpiError> for ApiError {
    fn from(e: KpiError) -> Self {
        use KpiError as E;
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            E::Denied(d) => d.into(),
            E::Store(s) => s.into(),
            E::UnknownStore(s) => {
                ApiError::NotFound(said(Code::StoreNotFound, format!("门店 {s} 不存在")))
            }
            E::MonthNotOver { month } => ApiError::Unprocessable(said(
                Code::MonthNotOver,
                format!("{month} 还没有结束：月度指标在下月 1 日起计算"),
            )),
            E::BadRange { from, to } => ApiError::Unprocessable(said(
                Code::InvalidRange,
                format!("开始月份（{from}）晚于结束月份（{to}）"),
            )),
            E::RangeTooLong { from, to } => ApiError::Unprocessable(said(
                Code::RangeTooLong,
                format!("从 {from} 到 {to} 超过 {MAX_MONTHS} 个月"),
            )),
            E::NotComputed { month } => ApiError::NotFound(said(
                Code::KpiNotComputed,
                format!("{month} 的月度指标还没有计算"),
            )),
        }
    }
}
