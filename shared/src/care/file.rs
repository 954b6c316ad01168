//! The lifelong service file (终身维修档案, handbook 000): what the store knows of a member as a
//! car owner — the person's birthday, home region, preferred call slots and SMS consent; each
//! vehicle's model, delivery, warranty, insurance, inspection and licence dates, its mileage
//! readings and its service visits, at this store or elsewhere (002 asks for the other store's
//! name, place and cost).
//!
//! The file is folded from events by the projection (`person_facts_set`, `vehicle_facts_set`,
//! `mileage_recorded`, `service_visit_recorded`, and `enrolled`, `vehicle_added` and
//! `order_settled`), so it is the same on every replica; the reminder rules
//! ([`super::rules`]) read it.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::types::*;

/// Where the owner lives, for the lost-customer classes of 002 (本地 / 外地).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Lives or works in the store's region (本地).
    Local,
    /// From elsewhere (外地).
    NonLocal,
}

impl Region {
    /// Both regions.
    pub const ALL: [Region; 2] = [Region::Local, Region::NonLocal];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Region::Local => "local",
            Region::NonLocal => "non_local",
        }
    }

    /// The name in English.
    pub const fn en(self) -> &'static str {
        match self {
            Region::Local => "local",
            Region::NonLocal => "non-local",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            Region::Local => "本地",
            Region::NonLocal => "外地",
        }
    }
}

/// A time slot of the day for calls, in business time (UTC+8): 09:00–12:00, 12:00–14:00,
/// 14:00–17:30, 17:30–20:30. The 3×3×3 rule asks for three calls in three different slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallSlot {
    /// 09:00–12:00.
    Morning,
    /// 12:00–14:00.
    Midday,
    /// 14:00–17:30.
    Afternoon,
    /// 17:30–20:30.
    Evening,
}

impl CallSlot {
    /// Every slot, in the order of the day.
    pub const ALL: [CallSlot; 4] = [
        CallSlot::Morning,
        CallSlot::Midday,
        CallSlot::Afternoon,
        CallSlot::Evening,
    ];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallSlot::Morning => "morning",
            CallSlot::Midday => "midday",
            CallSlot::Afternoon => "afternoon",
            CallSlot::Evening => "evening",
        }
    }

    /// The slot in English, with its hours.
    pub const fn en(self) -> &'static str {
        match self {
            CallSlot::Morning => "morning (09:00–12:00)",
            CallSlot::Midday => "midday (12:00–14:00)",
            CallSlot::Afternoon => "afternoon (14:00–17:30)",
            CallSlot::Evening => "evening (17:30–20:30)",
        }
    }

    /// The slot in Chinese, with its hours.
    pub const fn zh(self) -> &'static str {
        match self {
            CallSlot::Morning => "上午（09:00–12:00）",
            CallSlot::Midday => "中午（12:00–14:00）",
            CallSlot::Afternoon => "下午（14:00–17:30）",
            CallSlot::Evening => "晚上（17:30–20:30）",
        }
    }

    /// The slot's first and last minute of the day (start inclusive, end exclusive), in minutes
    /// after midnight, business time.
    pub const fn minutes(self) -> (u16, u16) {
        match self {
            CallSlot::Morning => (9 * 60, 12 * 60),
            CallSlot::Midday => (12 * 60, 14 * 60),
            CallSlot::Afternoon => (14 * 60, 17 * 60 + 30),
            CallSlot::Evening => (17 * 60 + 30, 20 * 60 + 30),
        }
    }
}

/// What the store knows of the person as an owner. `person_facts_set` replaces it whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonFacts {
    /// The birthday (the year is kept but only month and day matter for the greeting).
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub birthday: Option<Date>,
    /// Home region, for the lost-customer classes; unknown counts as local.
    #[serde(default)]
    pub region: Option<Region>,
    /// Slots the owner prefers to be called in (empty: any).
    #[serde(default)]
    pub call_slots: Vec<CallSlot>,
    /// Whether the owner agreed to receive SMS.
    #[serde(default)]
    pub sms_consent: bool,
}

/// What the store knows of one vehicle. `vehicle_facts_set` replaces it whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VehicleFacts {
    /// The model; an enrollment's or added vehicle's model when the facts name none.
    #[serde(default)]
    pub model: Option<ShortText>,
    /// The day the car was handed over; a `purchase` enrollment's day when the facts name none.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub delivered: Option<Date>,
    /// The last day of the manufacturer's warranty.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub warranty_end: Option<Date>,
    /// The last day of the current insurance policy.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub insurance_expiry: Option<Date>,
    /// The insurer of the current policy.
    #[serde(default)]
    pub insurer: Option<ShortText>,
    /// When the next annual inspection (年检) is due.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub inspection_due: Option<Date>,
    /// When the owner's driving licence is due for renewal.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub licence_due: Option<Date>,
}

/// An odometer reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MileageReading {
    /// The day it was read.
    #[serde(with = "crate::types::iso_date")]
    pub on: Date,
    /// Kilometres on the odometer.
    #[serde(deserialize_with = "crate::types::integral")]
    pub km: u32,
}

/// What a service visit was (002: 首保 定保 维修 事故 保险理赔).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// The first service after delivery (首保).
    FirstService,
    /// A scheduled maintenance (定保).
    RegularService,
    /// A repair (维修).
    Repair,
    /// An accident repair (事故).
    Accident,
    /// An insurance claim (保险理赔).
    InsuranceClaim,
}

impl VisitKind {
    /// Every kind.
    pub const ALL: [VisitKind; 5] = [
        VisitKind::FirstService,
        VisitKind::RegularService,
        VisitKind::Repair,
        VisitKind::Accident,
        VisitKind::InsuranceClaim,
    ];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            VisitKind::FirstService => "first_service",
            VisitKind::RegularService => "regular_service",
            VisitKind::Repair => "repair",
            VisitKind::Accident => "accident",
            VisitKind::InsuranceClaim => "insurance_claim",
        }
    }

    /// The name in English.
    pub const fn en(self) -> &'static str {
        match self {
            VisitKind::FirstService => "first service",
            VisitKind::RegularService => "regular service",
            VisitKind::Repair => "repair",
            VisitKind::Accident => "accident repair",
            VisitKind::InsuranceClaim => "insurance claim",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            VisitKind::FirstService => "首保",
            VisitKind::RegularService => "定保",
            VisitKind::Repair => "维修",
            VisitKind::Accident => "事故",
            VisitKind::InsuranceClaim => "保险理赔",
        }
    }

    /// Whether the visit is a maintenance (first or regular service): what the service interval
    /// counts from.
    pub const fn is_maintenance(self) -> bool {
        matches!(self, VisitKind::FirstService | VisitKind::RegularService)
    }
}

/// A visit done at another store (002: that store's name, place and cost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Elsewhere {
    /// The other store's name.
    pub store: ShortText,
    /// Where it is.
    pub place: ShortText,
    /// What the owner paid there.
    pub cost: Money,
}

/// One service visit in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceVisit {
    /// The event that recorded it (a `service_visit_recorded` or an `order_settled`).
    pub id: EventId,
    pub vin: Vin,
    /// The day of the visit.
    #[serde(with = "crate::types::iso_date")]
    pub on: Date,
    /// The odometer at the visit.
    #[serde(default)]
    pub km: Option<u32>,
    pub kind: VisitKind,
    /// What the visit cost at this store (an order: what the member paid); zero elsewhere.
    pub amount: Money,
    /// The service advisor who took the car in.
    #[serde(default)]
    pub advisor: Option<UserId>,
    /// Set when the visit was at another store.
    #[serde(default)]
    pub elsewhere: Option<Elsewhere>,
}

impl ServiceVisit {
    /// Whether the visit was at this store.
    pub fn here(&self) -> bool {
        self.elsewhere.is_none()
    }
}

/// One vehicle's part of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VehicleCare {
    pub vin: Vin,
    #[serde(default)]
    pub plate: Option<Plate>,
    #[serde(default)]
    pub facts: VehicleFacts,
    /// Odometer readings (recorded, from visits and from orders), by day then kilometres.
    #[serde(default)]
    pub readings: Vec<MileageReading>,
    /// Service visits, by day.
    #[serde(default)]
    pub visits: Vec<ServiceVisit>,
    /// On-site pre-inspections (DOMAIN.md §6), by day.
    #[serde(default)]
    pub inspections: Vec<super::Inspection>,
}

impl VehicleCare {
    /// A vehicle with nothing known but its VIN.
    pub fn new(vin: Vin) -> Self {
        Self {
            vin,
            plate: None,
            facts: VehicleFacts::default(),
            readings: Vec::new(),
            visits: Vec::new(),
            inspections: Vec::new(),
        }
    }

    /// The latest maintenance visit (first or regular service, here or elsewhere).
    pub fn last_maintenance(&self) -> Option<&ServiceVisit> {
        self.visits
            .iter()
            .filter(|v| v.kind.is_maintenance())
            .max_by_key(|v| (v.on, v.id))
    }

    /// The latest visit at this store, of any kind.
    pub fn last_visit_here(&self) -> Option<&ServiceVisit> {
        self.visits
            .iter()
            .filter(|v| v.here())
            .max_by_key(|v| (v.on, v.id))
    }

    /// The latest odometer reading.
    pub fn last_reading(&self) -> Option<MileageReading> {
        self.readings.iter().copied().max()
    }

    /// Whether the warranty covers the car on `day` (unknown: not covered).
    pub fn in_warranty(&self, day: Date) -> bool {
        self.facts.warranty_end.is_some_and(|end| day <= end)
    }
}

/// The lifelong service file of one member (终身维修档案).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CareFile {
    #[serde(default)]
    pub person: PersonFacts,
    /// The member's vehicles, in the order they came on file.
    #[serde(default)]
    pub vehicles: Vec<VehicleCare>,
}

impl CareFile {
    /// The vehicle with this VIN.
    pub fn vehicle(&self, vin: &Vin) -> Option<&VehicleCare> {
        self.vehicles.iter().find(|v| &v.vin == vin)
    }

    /// The latest visit at this store, over all vehicles.
    pub fn last_visit_here(&self) -> Option<&ServiceVisit> {
        self.vehicles
            .iter()
            .filter_map(VehicleCare::last_visit_here)
            .max_by_key(|v| (v.on, v.id))
    }
}

/// Why a reading or a visit's mileage is refused: it would make the odometer go backwards.
pub(crate) fn mileage_fits(readings: &[MileageReading], on: Date, km: u32) -> bool {
    readings
        .iter()
        .all(|r| (r.on >= on || r.km <= km) && (r.on <= on || r.km >= km))
}
