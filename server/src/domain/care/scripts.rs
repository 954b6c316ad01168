//! Call scripts (话术, 002: 客服经理制定《首保提醒话术》《定保提醒话术》《流失跟踪话术》…): one per
//! store and reminder kind, written by the care manager and shown on every task of the kind.
//! Until the manager writes one, the default below — the handbook's intent in a few sentences —
//! is shown. The SMS texts of reminders are built here too.

use carclub_shared::care::ReminderKind;
use carclub_shared::{StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use time::Date;

use super::CareError;
use super::error::bad_text;
use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::club::{now, text};
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::CARE_SCRIPTS;
use crate::storage::{Batch, StoreError};

/// The longest script, in characters.
pub const MAX_SCRIPT: usize = 2000;

/// A script as written by the care manager.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Written {
    text: String,
    updated_at: Timestamp,
    updated_by: UserId,
}

/// A store's script for one kind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Script {
    pub store: StoreId,
    pub kind: ReminderKind,
    pub text: String,
    /// The default script: the care manager has written none for the kind.
    pub default: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
}

/// The default script of `kind`, from the handbook's intent (002).
pub fn default_text(kind: ReminderKind) -> &'static str {
    match kind {
        ReminderKind::FirstService => {
            "您好，我是本店客服专员。您的爱车交车已近两个月，按厂家规定，首次保养（首保）应在交车后2至3个月内完成。请问车辆近期使用情况如何？目前行驶了多少公里？首保请携带行驶证和保养手册。您看哪天方便？我现在就可以为您预约（至少提前3小时）。"
        }
        ReminderKind::RegularService => {
            "您好，我是本店客服专员。根据您爱车的保养记录和行驶里程，下次定期保养将在一周内到期。按时保养可以保持车辆最佳状态、保障保修权益。请问您哪天方便到店？我可以为您预约，到店无需排队（至少提前3小时预约）。"
        }
        ReminderKind::WarrantyEnd => {
            "您好，我是本店客服专员。您爱车的厂家保修将在一个月后到期。建议您在到期前到店做一次全面检查，发现问题可在保修期内免费处理。请问您哪天方便？我为您预约检查。"
        }
        ReminderKind::InsuranceExpiry => {
            "您好，我是本店客服专员。您爱车的保险将在两个月后到期。续保前可以先为您比较方案和报价，到期前办好以免脱保。请问您是否需要我们的保险专员为您做续保报价？"
        }
        ReminderKind::AnnualInspection => {
            "您好，我是本店客服专员。您爱车的年检即将到期。年检前建议到店做一次车况检查，我们也可以协助代办年检。请问您需要为您预约吗？"
        }
        ReminderKind::LicenceDue => {
            "您好，我是本店客服专员。提醒您：您的驾驶证即将到期，请及时到车管所办理换证，以免影响正常用车。如需了解办理材料，我可以为您说明。"
        }
        ReminderKind::Birthday => {
            "您好，我是本店客服专员。今天是您的生日，本店全体员工祝您生日快乐、身体健康、行车平安！感谢您一直以来对我们的支持。"
        }
        ReminderKind::Renewal => {
            "您好，我是本店客服专员。您的会员资格将在30天内到期。续费后积分、等级和各项会员权益将继续保留。请问您是否需要现在办理续费，或到店时办理？"
        }
        ReminderKind::DeliveryFollowUp24h => {
            "您好，我是为您交车的销售顾问。感谢您选择本店！请问新车用了一天感觉怎么样？车辆功能的使用上有没有不清楚的地方？您的意见我会如实记录。"
        }
        ReminderKind::DeliveryFollowUp72h => {
            "您好，我是为您交车的销售顾问。新车使用三天了，请问一切正常吗？对我们的交车服务有什么意见或建议？首保时间为交车后2至3个月，到时客服会提醒您。"
        }
        ReminderKind::ServiceFollowUp48h => {
            "您好，我是您的服务顾问。您两天前在本店做了维修保养，请问车辆现在使用正常吗？对这次的服务是否满意？有什么需要改进的地方请告诉我，我会如实记录。"
        }
        ReminderKind::Lost => {
            "您好，我是本店客服专员。好久没有见到您和您的爱车了，想了解一下车辆近况。请问最近是在哪里做的保养？是什么原因没有回店呢？（请记录原因：价格、距离、服务、已卖车等）本店近期有会员保养优惠，欢迎您回店，我可以为您预约。"
        }
        ReminderKind::InspectionFollowUp => {
            "您好，我是本店客服专员。我们的服务人员在贵单位为您的爱车做了上门预检，发现有需要处理的项目（请说明预检发现的故障和建议的维修项目）。为了行车安全，建议您尽快到店检修。请问您哪天方便？我现在就可以为您预约（至少提前3小时）。"
        }
    }
}

/// The script `store` shows for `kind`: the care manager's, or the default.
pub fn text_for(core: &Core, store: StoreId, kind: ReminderKind) -> Result<String, StoreError> {
    let written: Option<Written> =
        CARE_SCRIPTS.get(core.store.as_ref(), &(store, kind.as_str()))?;
    Ok(written.map_or_else(|| default_text(kind).to_owned(), |w| w.text))
}

/// The SMS of a reminder of `kind` to `name` (vehicle `plate`), due on `due`, from `store_name`.
pub fn sms_text(
    store_name: &str,
    name: &str,
    kind: ReminderKind,
    plate: Option<&str>,
    due: Date,
) -> String {
    let car = plate.map_or_else(|| "您的爱车".to_owned(), |p| format!("您的爱车（{p}）"));
    let body = match kind {
        ReminderKind::FirstService => format!(
            "{car}已到首次保养时间（交车后2至3个月），请携带行驶证和保养手册到店，预约请回电。"
        ),
        ReminderKind::RegularService => {
            format!("{car}的定期保养将于{due}前到期，请及时到店保养，预约请回电。")
        }
        ReminderKind::WarrantyEnd => format!("{car}的厂家保修即将到期，欢迎到期前到店免费检查。"),
        ReminderKind::InsuranceExpiry => format!("{car}的保险将到期，如需续保报价请回电。"),
        ReminderKind::AnnualInspection => format!("{car}的年检即将到期，可到店检查并协助代办。"),
        ReminderKind::LicenceDue => "您的驾驶证即将到期，请及时办理换证。".to_owned(),
        ReminderKind::Birthday => "祝您生日快乐、身体健康、行车平安！".to_owned(),
        ReminderKind::Renewal => {
            "您的会员资格将在30天内到期，续费后积分与权益继续保留，详情请回电。".to_owned()
        }
        ReminderKind::DeliveryFollowUp24h | ReminderKind::DeliveryFollowUp72h => {
            "感谢您选择本店，用车中如有任何问题请随时联系我们。".to_owned()
        }
        ReminderKind::ServiceFollowUp48h => {
            "感谢您到店维修保养，如车辆有任何问题请随时联系我们。".to_owned()
        }
        ReminderKind::Lost => "好久不见，本店近期有会员保养优惠，欢迎回店，预约请回电。".to_owned(),
        ReminderKind::InspectionFollowUp => {
            format!("{car}在上门预检中发现需要处理的项目，为了行车安全请尽快到店检修，预约请回电。")
        }
    };
    let sign = if store_name.is_empty() {
        "车友会"
    } else {
        store_name
    };
    format!("【{sign}】尊敬的{name}：{body}")
}

fn script(store: StoreId, kind: ReminderKind, written: Option<Written>) -> Script {
    match written {
        Some(w) => Script {
            store,
            kind,
            text: w.text,
            default: false,
            updated_at: Some(w.updated_at),
            updated_by: Some(w.updated_by),
        },
        None => Script {
            store,
            kind,
            text: default_text(kind).to_owned(),
            default: true,
            updated_at: None,
            updated_by: None,
        },
    }
}

/// The scripts of `store` (the caller's when absent), one per kind.
pub fn list(core: &Core, p: &Principal, store: Option<StoreId>) -> Result<Vec<Script>, CareError> {
    let store = store.unwrap_or(p.user.store);
    perm::check(p, Op::ViewCare, Target::store(store))?;
    ReminderKind::ALL
        .into_iter()
        .map(|kind| {
            let w: Option<Written> =
                CARE_SCRIPTS.get(core.store.as_ref(), &(store, kind.as_str()))?;
            Ok(script(store, kind, w))
        })
        .collect()
}

/// Writes the script of `store` (the caller's when absent) for `kind` (the care manager).
pub fn put(
    core: &mut Core,
    p: &Principal,
    store: Option<StoreId>,
    kind: ReminderKind,
    raw: &str,
) -> Result<Script, CareError> {
    let store = store.unwrap_or(p.user.store);
    let text = text::<MAX_SCRIPT>(raw).map_err(bad_text("\"text\""))?;
    perm::check(p, Op::ManageCare, Target::store(store))?;
    if core.accounts.store_record(store)?.is_none() {
        return Err(CareError::UnknownStore(store));
    }
    let w = Written {
        text,
        updated_at: now(),
        updated_by: p.user.id,
    };
    let mut batch = Batch::default();
    CARE_SCRIPTS.put(&mut batch, &(store, kind.as_str()), &w)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "care_script_written",
            store,
            member: None,
            detail: format!("script for {}", kind.as_str()),
        },
    )?;
    core.commit(batch, Vec::new())?;
    Ok(script(store, kind, Some(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_default_script_and_an_sms_in_chinese() {
        let day = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
        for kind in ReminderKind::ALL {
            assert!(default_text(kind).chars().count() > 20, "{kind:?}");
            let sms = sms_text("北店", "陈静", kind, Some("粤B00001"), day);
            assert!(sms.starts_with("【北店】尊敬的陈静："), "{sms}");
        }
    }
}
