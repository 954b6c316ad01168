//! The on-site pre-inspection (DOMAIN.md §6, 002 大客户协议): at a company under a corporate
//! agreement, field staff check each vehicle — A/C belt, engine belt, chassis, suspension, engine
//! running, tires — each ok, needing attention or at fault with a note, and may recommend a
//! service. A fault or a recommended service is a care lead: the store calls the owner in (the
//! reminder [`crate::care::ReminderKind::InspectionFollowUp`]).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::types::*;

/// What a pre-inspection checks (002: 空调皮带、发动机皮带、底盘、悬挂、发动机运转、轮胎).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InspectionItem {
    AcBelt,
    EngineBelt,
    Chassis,
    Suspension,
    EngineRunning,
    Tires,
}

impl InspectionItem {
    /// Every item, in the order of the checklist.
    pub const ALL: [InspectionItem; 6] = [
        InspectionItem::AcBelt,
        InspectionItem::EngineBelt,
        InspectionItem::Chassis,
        InspectionItem::Suspension,
        InspectionItem::EngineRunning,
        InspectionItem::Tires,
    ];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            InspectionItem::AcBelt => "ac_belt",
            InspectionItem::EngineBelt => "engine_belt",
            InspectionItem::Chassis => "chassis",
            InspectionItem::Suspension => "suspension",
            InspectionItem::EngineRunning => "engine_running",
            InspectionItem::Tires => "tires",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            InspectionItem::AcBelt => "空调皮带",
            InspectionItem::EngineBelt => "发动机皮带",
            InspectionItem::Chassis => "底盘",
            InspectionItem::Suspension => "悬挂",
            InspectionItem::EngineRunning => "发动机运转",
            InspectionItem::Tires => "轮胎",
        }
    }
}

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// In order (正常).
    Ok,
    /// To watch (注意).
    Attention,
    /// At fault: to be repaired (故障).
    Fault,
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionCheck {
    pub item: InspectionItem,
    pub state: CheckState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<ShortText>,
}

/// A pre-inspection of one vehicle (`pre_inspection_recorded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreInspection {
    pub member: MemberId,
    pub vin: Vin,
    /// The on-site visit it was done at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<VisitId>,
    /// Every item of the checklist, each once.
    pub checks: Checklist,
    /// The service the inspector recommends (换空调皮带, 四轮定位…), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<ShortText>,
}

/// The whole checklist: every item exactly once, in the order of [`InspectionItem::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = Vec<InspectionCheck>))]
#[serde(try_from = "Vec<InspectionCheck>", into = "Vec<InspectionCheck>")]
pub struct Checklist(Vec<InspectionCheck>);

impl Checklist {
    /// The checks, in the order of the checklist.
    pub fn iter(&self) -> std::slice::Iter<'_, InspectionCheck> {
        self.0.iter()
    }
}

impl TryFrom<Vec<InspectionCheck>> for Checklist {
    type Error = String;

    fn try_from(mut checks: Vec<InspectionCheck>) -> Result<Self, String> {
        for item in InspectionItem::ALL {
            match checks.iter().filter(|c| c.item == item).count() {
                1 => {}
                0 => return Err(format!("the checklist has no {} check", item.as_str())),
                _ => return Err(format!("the checklist has {} twice", item.as_str())),
            }
        }
        crate::sorting::sort_by_key(&mut checks, |c| c.item);
        Ok(Self(checks))
    }
}

impl From<Checklist> for Vec<InspectionCheck> {
    fn from(c: Checklist) -> Self {
        c.0
    }
}

impl PreInspection {
    /// Whether the store should call the owner in: an item at fault or a recommended service.
    pub fn is_lead(&self) -> bool {
        self.recommended.is_some() || self.checks.iter().any(|c| c.state == CheckState::Fault)
    }
}

/// A pre-inspection as the service file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    /// The event that recorded it.
    pub id: EventId,
    /// The day it was done.
    #[serde(with = "crate::types::iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::openapi::CalendarDay))]
    pub on: Date,
    /// Who did it.
    pub by: UserId,
    #[serde(default)]
    pub visit: Option<VisitId>,
    pub checks: Checklist,
    #[serde(default)]
    pub recommended: Option<ShortText>,
}

impl Inspection {
    /// Whether it is a care lead (a fault or a recommended service).
    pub fn is_lead(&self) -> bool {
        self.recommended.is_some() || self.checks.iter().any(|c| c.state == CheckState::Fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(fault: bool) -> Vec<InspectionCheck> {
        InspectionItem::ALL
            .iter()
            .rev()
            .map(|i| InspectionCheck {
                item: *i,
                state: if fault && *i == InspectionItem::Tires {
                    CheckState::Fault
                } else {
                    CheckState::Ok
                },
                note: None,
            })
            .collect()
    }

    fn inspection(fault: bool, recommended: Option<&str>) -> PreInspection {
        PreInspection {
            member: MemberId::new(),
            vin: Vin::parse("LSVAU2180N2183294").unwrap(),
            visit: None,
            checks: Checklist::try_from(checks(fault)).unwrap(),
            recommended: recommended.map(|r| ShortText::parse(r).unwrap()),
        }
    }

    #[test]
    fn a_fault_or_a_recommendation_is_a_lead_and_the_checklist_is_whole() {
        assert!(!inspection(false, None).is_lead());
        assert!(inspection(true, None).is_lead());
        assert!(inspection(false, Some("四轮定位")).is_lead());
        let whole = Checklist::try_from(checks(false)).unwrap();
        assert_eq!(
            whole.iter().next().unwrap().item,
            InspectionItem::AcBelt,
            "in order"
        );
        let mut c = checks(false);
        c.pop();
        let err = Checklist::try_from(c.clone()).unwrap_err();
        assert!(err.contains("ac_belt"), "{err}");
        c.push(c[0].clone());
        assert!(Checklist::try_from(c).is_err(), "an item twice");
        let json = serde_json::json!([{"item": "tires", "state": "fault"}]);
        assert!(serde_json::from_value::<Checklist>(json).is_err());
    }
}
