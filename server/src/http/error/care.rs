//! How the errors of `domain::care` (tasks, calls, appointments, scripts, campaigns, runs) are
//! answered.

use carclub_shared::care::CallOutcome;

use super::{ApiError, Code, Detail};
use crate::domain::care::CareError;
use crate::domain::club_events::STATUSES;

/// A call outcome in Chinese, as the care staff say it.
fn outcome_zh(o: CallOutcome) -> &'static str {
    o.zh()
}

impl From<CareError> for ApiError {
    fn from(e: CareError) -> Self {
        use CareError as E;
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            E::BadText { field, source } => ApiError::BadRequest(said(
                Code::InvalidText,
                format!("{field}：{}", source.describe_zh()),
            )),
            E::UnknownMember(m) => {
                ApiError::NotFound(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            E::UnknownStore(s) => {
                ApiError::NotFound(said(Code::StoreNotFound, format!("门店 {s} 不存在")))
            }
            E::UnknownUser(u) => {
                ApiError::NotFound(said(Code::UserNotFound, format!("用户 {u} 不存在")))
            }
            E::TaskNotFound(t) => {
                ApiError::NotFound(said(Code::CareTaskNotFound, format!("关怀任务 {t} 不存在")))
            }
            E::TaskClosed { task, state } => ApiError::Conflict(said(
                Code::CareTaskClosed,
                format!("关怀任务 {task} {}，不能再登记电话", state.zh()),
            )),
            E::NotYourCalls { task, by } => ApiError::Forbidden(said(
                Code::NotYourCalls,
                format!("关怀任务 {task} 由{}负责，不是您的角色", by.zh()),
            )),
            E::OutcomeNeedsField { outcome, field } => ApiError::Unprocessable(said(
                Code::OutcomeNeedsField,
                format!("结果为“{}”时须填写 {field}", outcome_zh(outcome)),
            )),
            E::FieldNotForOutcome { outcome, field } => ApiError::Unprocessable(said(
                Code::FieldNotForOutcome,
                format!("结果为“{}”时不能填写 {field}", outcome_zh(outcome)),
            )),
            E::CauseRequired { .. } => ApiError::Unprocessable(said(
                Code::CauseRequired,
                "流失客户回访联系上客户后须记录流失原因（\"cause\"）".into(),
            )),
            E::CauseNotLost { .. } => ApiError::Unprocessable(said(
                Code::CauseNotLost,
                "只有流失客户回访任务才记录流失原因（\"cause\"）".into(),
            )),
            E::CallBackInPast { now, .. } => ApiError::Unprocessable(said(
                Code::CallBackInPast,
                format!("回电时间须晚于现在（{now}）"),
            )),
            E::AppointmentTooSoon(t) => {
                ApiError::Unprocessable(said(Code::AppointmentTooSoon, t.describe_zh()))
            }
            E::AppointmentTooFar { .. } => ApiError::Unprocessable(said(
                Code::AppointmentTooFar,
                "预约时间须在一年以内".into(),
            )),
            E::AppointmentNotFound(a) => {
                ApiError::NotFound(said(Code::AppointmentNotFound, format!("预约 {a} 不存在")))
            }
            E::AppointmentNotBooked { appointment, state } => ApiError::Conflict(said(
                Code::AppointmentNotBooked,
                format!("预约 {appointment} {}", state.zh()),
            )),
            E::VehicleNotOnFile { vin, .. } => ApiError::Unprocessable(said(
                Code::VehicleNotOnFile,
                format!("车辆 {vin} 不在该会员的档案中"),
            )),
            E::NotAssignable { name, why, .. } => ApiError::Unprocessable(said(
                Code::NotAssignable,
                format!("不能把本门店的关怀任务分派给{name}：{}", why.zh()),
            )),
            E::BadRange { from, to } => ApiError::Unprocessable(said(
                Code::InvalidRange,
                format!("开始时间（{from}）晚于结束时间（{to}）"),
            )),
            E::SegmentTooLong => ApiError::BadRequest(said(
                Code::SegmentTooLong,
                "发送对象的筛选条件太多（等级最多 20 个，状态最多 5 个）".into(),
            )),
            E::UnknownStatus(status) => ApiError::BadRequest(said(
                Code::UnknownStatus,
                format!("状态 {status:?} 不是 {} 之一", STATUSES.join("、")),
            )),
            E::UnknownTier(tier) => ApiError::Unprocessable(said(
                Code::UnknownTier,
                format!("等级 {tier:?} 不是本门店会员方案中的等级"),
            )),
            E::Denied(d) => d.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use carclub_shared::care::{AppointmentTooSoon, CallOutcome};
    use carclub_shared::{MemberId, ShortText, StoreId, Timestamp, UserId, Vin};

    use super::*;
    use crate::domain::care::Unassignable;
    use crate::domain::care::appointments::{AppointmentId, AppointmentState};
    use crate::domain::care::tasks::{TaskId, TaskState};

    #[test]
    fn every_care_error_has_a_code_and_a_chinese_detail() {
        let task = TaskId::parse("20260301-3fa2b9c04d1e8a77").unwrap();
        let at = Timestamp::from_millis(1_769_850_000_000);
        let vin = Vin::parse("LSVAU2180N0000001").unwrap();
        let errors = vec![
            CareError::BadText {
                field: "\"feedback\"",
                source: ShortText::parse("").unwrap_err(),
            },
            CareError::UnknownMember(MemberId::new()),
            CareError::UnknownStore(StoreId::new()),
            CareError::TaskNotFound(task.clone()),
            CareError::TaskClosed {
                task: task.clone(),
                state: TaskState::Failed,
            },
            CareError::OutcomeNeedsField {
                outcome: CallOutcome::Appointment,
                field: "\"appointment_at\"",
            },
            CareError::FieldNotForOutcome {
                outcome: CallOutcome::Reached,
                field: "\"call_back_at\"",
            },
            CareError::CauseRequired { task: task.clone() },
            CareError::NotYourCalls {
                task: task.clone(),
                by: carclub_shared::care::CareRole::Sales,
            },
            CareError::CauseNotLost { task },
            CareError::CallBackInPast { at, now: at },
            CareError::AppointmentTooSoon(AppointmentTooSoon { earliest: at }),
            CareError::AppointmentTooFar { at },
            CareError::AppointmentNotFound(AppointmentId::new()),
            CareError::AppointmentNotBooked {
                appointment: AppointmentId::new(),
                state: AppointmentState::Cancelled,
            },
            CareError::VehicleNotOnFile {
                member: MemberId::new(),
                vin,
            },
            CareError::UnknownUser(UserId::new()),
            CareError::NotAssignable {
                user: UserId::new(),
                name: "王芳".into(),
                why: Unassignable::OtherStore,
            },
            CareError::BadRange { from: at, to: at },
            CareError::SegmentTooLong,
            CareError::UnknownTier("platinum".into()),
            CareError::UnknownStatus("gone".into()),
        ];
        for e in errors {
            let what = format!("{e:?}");
            let p = ApiError::from(e).problem();
            assert!(!p.detail.is_empty(), "{what}");
            assert!(
                p.detail_zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{what}: {}",
                p.detail_zh
            );
            assert!((400..500).contains(&p.status), "{what}");
        }
    }
}
