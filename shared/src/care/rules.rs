//! The reminder rules of customer care (DOMAIN.md §5, handbook 002), as a pure function of a
//! member's state (its service file, status and term) and a day.
//!
//! Each rule gives a window: a reminder is *due* on `due` and workable until `until` (both
//! inclusive). [`reminders`] returns those whose window holds the day; [`upcoming`] those a
//! member will see open within a horizon. The identity of a reminder is (member, kind, vin, due):
//! the server derives its task id from it, so a task is created once per due date however often
//! the rules run.
//!
//! | kind | window | who, how |
//! | --- | --- | --- |
//! | first service 首保 | delivery + 2 months … delivery + 3 months; none once a maintenance (first or regular service, here or elsewhere) is on file | specialist, call (3×3×3) |
//! | regular service 定保 | due − 7 days … due, due = the earlier of last maintenance + 6 months and the day the odometer is predicted to pass its km + 5,000 | specialist, call (3×3×3) |
//! | warranty end | end − 1 month … end | specialist, call (invite for an inspection) |
//! | insurance expiry | expiry − 2 months … expiry | specialist, call |
//! | annual inspection, licence | due − 30 days … due | specialist, call |
//! | birthday | the day (29 February: 28 February in common years) | specialist, call then SMS, within 2 h of opening |
//! | renewal | valid until − 30 days … valid until (not before the program's renewal window) | specialist, call and SMS |
//! | after delivery | delivery + 1 day … + 2 days; delivery + 3 days … + 4 days | sales, call |
//! | after service | each visit at this store + 2 days … + 3 days | advisor, call |
//! | lost customer | last visit at this store (else delivery) + 90 days … + 360 days | specialist, call; class region × warranty |
//!
//! **Mileage prediction.** The odometer is predicted from the vehicle's own readings (recorded,
//! from visits and from orders) by a least-squares line of kilometres over days. A reading already
//! at or past the due kilometres makes the service due on the day of that reading. Otherwise, with
//! readings on at least two different days and a positive slope, the due day is the first day the
//! line reaches the due kilometres (never before the last reading). With one reading, or readings
//! of a single day, or none, no rate can be known: the service is due by date only.
//!
//! **Regular service starts after a maintenance.** The interval counts from the last maintenance
//! visit (first or regular service, here or elsewhere), kilometres from that visit's odometer (or
//! the reading of that day). A vehicle with no maintenance on file gets the first-service reminder
//! (when its delivery is known) and no regular-service reminder: the file must first say when the
//! car was last serviced.
//!
//! **Who gets reminders.** Nobody before enrolling. A member who withdrew (or whose enrollment was
//! turned down) or whose membership lapsed beyond grace is still an owner the store wants back,
//! but is no longer cared for as a member: only the lost-customer recall applies to them. Pending,
//! active and grace members get every rule; renewal only while the membership is active. The
//! contact is the rule's; whether an SMS may be sent is [`super::PersonFacts::sms_consent`],
//! which the sender checks.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use crate::program::add_months;
use crate::projection::{MemberState, Status};
use crate::types::*;

use super::file::{CareFile, MileageReading, Region, VehicleCare};

/// Days before a regular service is due that the reminder opens (002: one week).
pub const SERVICE_LEAD_DAYS: i64 = 7;
/// Months before the warranty ends that the reminder opens (002: one month).
pub const WARRANTY_LEAD_MONTHS: i64 = 1;
/// Months before the insurance expires that the reminder opens (002: two months).
pub const INSURANCE_LEAD_MONTHS: i64 = 2;
/// Days before an annual inspection or a licence is due that the reminder opens.
pub const INSPECTION_LEAD_DAYS: i64 = 30;
/// Days before the membership ends that the renewal reminder opens (004: 30 days).
pub const RENEWAL_LEAD_DAYS: i64 = 30;
/// Hours after opening by which the birthday call is made (002: 两小时).
pub const BIRTHDAY_DEADLINE_HOURS: u8 = 2;
/// Days a follow-up stays workable after its due day.
pub const FOLLOW_UP_SLACK_DAYS: i64 = 1;
/// Days the follow-up of a pre-inspection's fault or recommended service stays open.
pub const INSPECTION_FOLLOW_UP_DAYS: i64 = 7;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// First service (首保), 2–3 months after delivery.
    FirstService,
    /// Regular service (定保), a week before it is due by date or mileage.
    RegularService,
    /// The warranty ends in a month: invite for an inspection.
    WarrantyEnd,
    /// The insurance expires in two months.
    InsuranceExpiry,
    /// The annual inspection (年检) is due.
    AnnualInspection,
    /// The driving licence is due.
    LicenceDue,
    /// The owner's birthday.
    Birthday,
    /// The membership ends in 30 days.
    Renewal,
    /// Sales' call the day after delivery.
    #[serde(rename = "delivery_follow_up_24h")]
    DeliveryFollowUp24h,
    /// Sales' call three days after delivery.
    #[serde(rename = "delivery_follow_up_72h")]
    DeliveryFollowUp72h,
    /// The advisor's call two days after a visit.
    #[serde(rename = "service_follow_up_48h")]
    ServiceFollowUp48h,
    /// A customer not seen for 90–360 days.
    Lost,
    /// An on-site pre-inspection found a fault or recommended a service: call the owner in.
    InspectionFollowUp,
}

impl ReminderKind {
    /// Every kind.
    pub const ALL: [ReminderKind; 13] = [
        ReminderKind::FirstService,
        ReminderKind::RegularService,
        ReminderKind::WarrantyEnd,
        ReminderKind::InsuranceExpiry,
        ReminderKind::AnnualInspection,
        ReminderKind::LicenceDue,
        ReminderKind::Birthday,
        ReminderKind::Renewal,
        ReminderKind::DeliveryFollowUp24h,
        ReminderKind::DeliveryFollowUp72h,
        ReminderKind::ServiceFollowUp48h,
        ReminderKind::Lost,
        ReminderKind::InspectionFollowUp,
    ];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReminderKind::FirstService => "first_service",
            ReminderKind::RegularService => "regular_service",
            ReminderKind::WarrantyEnd => "warranty_end",
            ReminderKind::InsuranceExpiry => "insurance_expiry",
            ReminderKind::AnnualInspection => "annual_inspection",
            ReminderKind::LicenceDue => "licence_due",
            ReminderKind::Birthday => "birthday",
            ReminderKind::Renewal => "renewal",
            ReminderKind::DeliveryFollowUp24h => "delivery_follow_up_24h",
            ReminderKind::DeliveryFollowUp72h => "delivery_follow_up_72h",
            ReminderKind::ServiceFollowUp48h => "service_follow_up_48h",
            ReminderKind::Lost => "lost",
            ReminderKind::InspectionFollowUp => "inspection_follow_up",
        }
    }

    /// The kind named as the API writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The name in English.
    pub const fn en(self) -> &'static str {
        match self {
            ReminderKind::FirstService => "first service",
            ReminderKind::RegularService => "regular service",
            ReminderKind::WarrantyEnd => "warranty ends",
            ReminderKind::InsuranceExpiry => "insurance expires",
            ReminderKind::AnnualInspection => "annual inspection",
            ReminderKind::LicenceDue => "driving licence due",
            ReminderKind::Birthday => "birthday",
            ReminderKind::Renewal => "membership renewal",
            ReminderKind::DeliveryFollowUp24h => "follow-up 24 h after delivery",
            ReminderKind::DeliveryFollowUp72h => "follow-up 72 h after delivery",
            ReminderKind::ServiceFollowUp48h => "follow-up 48 h after service",
            ReminderKind::Lost => "lost customer",
            ReminderKind::InspectionFollowUp => "follow-up of an on-site pre-inspection",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            ReminderKind::FirstService => "首保提醒",
            ReminderKind::RegularService => "定保提醒",
            ReminderKind::WarrantyEnd => "保修到期提醒",
            ReminderKind::InsuranceExpiry => "保险到期提醒",
            ReminderKind::AnnualInspection => "年检提醒",
            ReminderKind::LicenceDue => "驾照到期提醒",
            ReminderKind::Birthday => "生日祝福",
            ReminderKind::Renewal => "会籍续费提醒",
            ReminderKind::DeliveryFollowUp24h => "交车后24小时回访",
            ReminderKind::DeliveryFollowUp72h => "交车后72小时回访",
            ReminderKind::ServiceFollowUp48h => "维修保养后48小时回访",
            ReminderKind::Lost => "流失客户回访",
            ReminderKind::InspectionFollowUp => "上门预检跟进",
        }
    }

    /// Whether the member sees it in the app (service, insurance, inspection, licence, renewal);
    /// follow-ups, birthdays and lost-customer calls are the staff's.
    pub const fn for_member(self) -> bool {
        matches!(
            self,
            ReminderKind::FirstService
                | ReminderKind::RegularService
                | ReminderKind::WarrantyEnd
                | ReminderKind::InsuranceExpiry
                | ReminderKind::AnnualInspection
                | ReminderKind::LicenceDue
                | ReminderKind::Renewal
        )
    }
}

/// Who works a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CareRole {
    /// The customer-care specialist (客服专员).
    Specialist,
    /// The sales consultant who delivered the car.
    Sales,
    /// The service advisor.
    Advisor,
}

impl CareRole {
    /// The name in English.
    pub const fn en(self) -> &'static str {
        match self {
            CareRole::Specialist => "care specialist",
            CareRole::Sales => "sales consultant",
            CareRole::Advisor => "service advisor",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            CareRole::Specialist => "客服专员",
            CareRole::Sales => "销售顾问",
            CareRole::Advisor => "服务顾问",
        }
    }
}

/// How the owner is contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    /// A call; unreachable → the 3×3×3 rule, which ends in an SMS and a recorded failure.
    Call,
    /// An SMS only.
    Sms,
    /// A call; not reached the same day → an SMS (birthday).
    CallThenSms,
    /// A call and an SMS (renewal, 004).
    CallAndSms,
}

impl Contact {
    /// The name in English.
    pub const fn en(self) -> &'static str {
        match self {
            Contact::Call => "call",
            Contact::Sms => "SMS",
            Contact::CallThenSms => "call, else SMS",
            Contact::CallAndSms => "call and SMS",
        }
    }

    /// The name in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            Contact::Call => "电话",
            Contact::Sms => "短信",
            Contact::CallThenSms => "电话，联系不上则短信",
            Contact::CallAndSms => "电话并短信",
        }
    }
}

/// A lost customer's class (002: 本地 / 外地 × 在保 / 出保, with the two region totals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LostClass {
    pub region: Region,
    /// Whether the vehicle is still under warranty on the day.
    pub in_warranty: bool,
}

impl LostClass {
    /// The four classes, local first.
    pub const ALL: [LostClass; 4] = [
        LostClass {
            region: Region::Local,
            in_warranty: true,
        },
        LostClass {
            region: Region::Local,
            in_warranty: false,
        },
        LostClass {
            region: Region::NonLocal,
            in_warranty: true,
        },
        LostClass {
            region: Region::NonLocal,
            in_warranty: false,
        },
    ];

    /// The class in English.
    pub const fn en(self) -> &'static str {
        match (self.region, self.in_warranty) {
            (Region::Local, true) => "local, in warranty",
            (Region::Local, false) => "local, out of warranty",
            (Region::NonLocal, true) => "non-local, in warranty",
            (Region::NonLocal, false) => "non-local, out of warranty",
        }
    }

    /// The class in Chinese, as 002 names it.
    pub const fn zh(self) -> &'static str {
        match (self.region, self.in_warranty) {
            (Region::Local, true) => "本地在保客户",
            (Region::Local, false) => "本地出保客户",
            (Region::NonLocal, true) => "外地在保客户",
            (Region::NonLocal, false) => "外地出保客户",
        }
    }
}

/// The store's settings of the rules; [`Default`] is the handbooks'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CareRules {
    /// The first service is reminded from this many months after delivery to that many (2, 3).
    pub first_service_months: (u8, u8),
    /// Months between maintenances (6).
    pub service_interval_months: u8,
    /// Kilometres between maintenances (5,000).
    pub service_interval_km: u32,
    /// A customer is lost from this many days without a visit to that many (90, 360).
    pub lost_days: (u32, u32),
    /// When the store opens, business time (08:30).
    pub opening: (u8, u8),
}

impl Default for CareRules {
    fn default() -> Self {
        Self {
            first_service_months: (2, 3),
            service_interval_months: 6,
            service_interval_km: 5000,
            lost_days: (90, 360),
            opening: (8, 30),
        }
    }
}

/// One reminder: a call or message due for a member, maybe about one vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reminder {
    pub kind: ReminderKind,
    /// The vehicle it is about (none for birthday and renewal).
    #[serde(default)]
    pub vin: Option<Vin>,
    /// The first day it is due: with the member, kind and vehicle, its identity.
    #[serde(with = "crate::types::iso_date")]
    pub due: Date,
    /// The last day it can be worked.
    #[serde(with = "crate::types::iso_date")]
    pub until: Date,
    /// Who works it.
    pub by: CareRole,
    /// How the owner is contacted.
    pub contact: Contact,
    /// Hours after opening on `due` by which it must be done (birthday: 2).
    #[serde(default)]
    pub deadline_hours_after_opening: Option<u8>,
    /// The lost customer's class.
    #[serde(default)]
    pub lost_class: Option<LostClass>,
}

impl Reminder {
    /// The moment it must be done by, for a reminder with a deadline after opening.
    pub fn deadline(&self, rules: &CareRules) -> Option<Timestamp> {
        let hours = self.deadline_hours_after_opening?;
        let (h, m) = rules.opening;
        let minutes = i64::from(h) * 60 + i64::from(m) + i64::from(hours) * 60;
        Some(Timestamp::from_millis(
            Timestamp::start_of(self.due)
                .millis()
                .saturating_add(minutes * 60_000),
        ))
    }

    /// Whether it is workable on `day`.
    pub fn open_on(&self, day: Date) -> bool {
        self.due <= day && day <= self.until
    }
}

/// The reminders open on `day` for the member whose state this is: every rule's window that
/// holds the day, sorted by due day, kind and vehicle.
pub fn reminders(state: &MemberState, day: Date, rules: &CareRules) -> Vec<Reminder> {
    let mut out: Vec<Reminder> = candidates(state, day, rules)
        .into_iter()
        .filter(|r| r.open_on(day))
        .collect();
    finish(&mut out);
    out
}

/// The reminders a member sees in the app: those of the member's kinds
/// ([`ReminderKind::for_member`]) open on `day` or opening within `horizon_days` after it.
pub fn upcoming(
    state: &MemberState,
    day: Date,
    horizon_days: u32,
    rules: &CareRules,
) -> Vec<Reminder> {
    let last = plus_days(day, i64::from(horizon_days));
    let mut out: Vec<Reminder> = candidates(state, day, rules)
        .into_iter()
        .filter(|r| r.kind.for_member() && r.until >= day && r.due <= last)
        .collect();
    finish(&mut out);
    out
}

fn finish(out: &mut Vec<Reminder>) {
    crate::sorting::sort_by(out, |a, b| {
        (a.due, a.kind, &a.vin).cmp(&(b.due, b.kind, &b.vin))
    });
    out.dedup_by(|a, b| (a.due, a.kind, &a.vin) == (b.due, b.kind, &b.vin));
}

/// Every window the rules give around `day` (most do not depend on the day; the birthday
/// recurs, and a lost customer's class depends on the warranty on the day).
fn candidates(state: &MemberState, day: Date, rules: &CareRules) -> Vec<Reminder> {
    let mut out = Vec::new();
    let care = &state.care;
    let full = match state.status {
        Status::NotMember => return out,
        Status::Prospect | Status::Pending | Status::Active | Status::Grace => true,
        Status::Lapsed | Status::Withdrawn => false,
    };
    for v in &care.vehicles {
        lost(care, v, day, rules, &mut out);
        if full {
            vehicle_rules(v, rules, &mut out);
        }
    }
    if !full {
        return out;
    }
    if let Some(birthday) = care.person.birthday {
        for year in [day.year() - 1, day.year(), day.year() + 1] {
            if let Some(on) = anniversary(birthday, year) {
                out.push(Reminder {
                    deadline_hours_after_opening: Some(BIRTHDAY_DEADLINE_HOURS),
                    ..reminder(ReminderKind::Birthday, None, on, on, Contact::CallThenSms)
                });
            }
        }
    }
    if state.status == Status::Active
        && let Some(end) = state.valid_until
    {
        let mut due = plus_days(end, -RENEWAL_LEAD_DAYS);
        if let Some(window) = state.renewal_window {
            due = due.max(window.from);
        }
        out.push(reminder(
            ReminderKind::Renewal,
            None,
            due,
            end,
            Contact::CallAndSms,
        ));
    }
    out
}

fn reminder(
    kind: ReminderKind,
    vin: Option<&Vin>,
    due: Date,
    until: Date,
    contact: Contact,
) -> Reminder {
    Reminder {
        kind,
        vin: vin.cloned(),
        due,
        until,
        by: match kind {
            ReminderKind::DeliveryFollowUp24h | ReminderKind::DeliveryFollowUp72h => {
                CareRole::Sales
            }
            ReminderKind::ServiceFollowUp48h => CareRole::Advisor,
            _ => CareRole::Specialist,
        },
        contact,
        deadline_hours_after_opening: None,
        lost_class: None,
    }
}

fn vehicle_rules(v: &VehicleCare, rules: &CareRules, out: &mut Vec<Reminder>) {
    let vin = Some(&v.vin);
    let f = &v.facts;
    let maintenance = v.last_maintenance();
    // A pre-inspection's fault or recommended service, until the car has been in since.
    for i in v.inspections.iter().filter(|i| i.is_lead()) {
        if v.visits.iter().any(|s| s.here() && s.on >= i.on) {
            continue;
        }
        out.push(reminder(
            ReminderKind::InspectionFollowUp,
            vin,
            i.on,
            plus_days(i.on, INSPECTION_FOLLOW_UP_DAYS),
            Contact::Call,
        ));
    }
    if let Some(delivered) = f.delivered {
        if maintenance.is_none() {
            let (from, to) = rules.first_service_months;
            out.push(reminder(
                ReminderKind::FirstService,
                vin,
                add_months(delivered, i64::from(from)),
                add_months(delivered, i64::from(to)),
                Contact::Call,
            ));
        }
        for (kind, after) in [
            (ReminderKind::DeliveryFollowUp24h, 1),
            (ReminderKind::DeliveryFollowUp72h, 3),
        ] {
            let due = plus_days(delivered, after);
            out.push(reminder(
                kind,
                vin,
                due,
                plus_days(due, FOLLOW_UP_SLACK_DAYS),
                Contact::Call,
            ));
        }
    }
    if let Some(due) = service_due(v, rules) {
        out.push(reminder(
            ReminderKind::RegularService,
            vin,
            plus_days(due, -SERVICE_LEAD_DAYS),
            due,
            Contact::Call,
        ));
    }
    if let Some(end) = f.warranty_end {
        out.push(reminder(
            ReminderKind::WarrantyEnd,
            vin,
            add_months(end, -WARRANTY_LEAD_MONTHS),
            end,
            Contact::Call,
        ));
    }
    if let Some(end) = f.insurance_expiry {
        out.push(reminder(
            ReminderKind::InsuranceExpiry,
            vin,
            add_months(end, -INSURANCE_LEAD_MONTHS),
            end,
            Contact::Call,
        ));
    }
    for (kind, due) in [
        (ReminderKind::AnnualInspection, f.inspection_due),
        (ReminderKind::LicenceDue, f.licence_due),
    ] {
        if let Some(due) = due {
            out.push(reminder(
                kind,
                vin,
                plus_days(due, -INSPECTION_LEAD_DAYS),
                due,
                Contact::Call,
            ));
        }
    }
    for visit in v.visits.iter().filter(|v| v.here()) {
        let due = plus_days(visit.on, 2);
        out.push(reminder(
            ReminderKind::ServiceFollowUp48h,
            vin,
            due,
            plus_days(due, FOLLOW_UP_SLACK_DAYS),
            Contact::Call,
        ));
    }
}

fn lost(care: &CareFile, v: &VehicleCare, day: Date, rules: &CareRules, out: &mut Vec<Reminder>) {
    let Some(last) = v.last_visit_here().map(|x| x.on).or(v.facts.delivered) else {
        return;
    };
    let (from, to) = rules.lost_days;
    out.push(Reminder {
        lost_class: Some(LostClass {
            region: care.person.region.unwrap_or(Region::Local),
            in_warranty: v.in_warranty(day),
        }),
        ..reminder(
            ReminderKind::Lost,
            Some(&v.vin),
            plus_days(last, i64::from(from)),
            plus_days(last, i64::from(to)),
            Contact::Call,
        )
    })
}

/// When the vehicle's next regular service is due: the earlier of the date rule and the
/// predicted mileage; `None` with no maintenance on file.
pub fn service_due(v: &VehicleCare, rules: &CareRules) -> Option<Date> {
    let last = v.last_maintenance()?;
    let by_date = add_months(last.on, i64::from(rules.service_interval_months));
    let base_km = last.km.or_else(|| {
        v.readings
            .iter()
            .filter(|r| r.on == last.on)
            .map(|r| r.km)
            .max()
    });
    let by_km = base_km.and_then(|km| {
        let due_km = km.saturating_add(rules.service_interval_km);
        mileage_reached(&v.readings, last.on, due_km)
    });
    Some(by_km.map_or(by_date, |d| d.min(by_date)))
}

/// The day the odometer reaches `km`: the first reading on or after `since` at or past it, else
/// the day a least-squares line over all the readings reaches it (never before the last
/// reading); `None` when no rate can be known.
pub fn mileage_reached(readings: &[MileageReading], since: Date, km: u32) -> Option<Date> {
    if let Some(r) = readings
        .iter()
        .filter(|r| r.on >= since && r.km >= km)
        .min()
    {
        return Some(r.on);
    }
    let first = readings.iter().map(|r| r.on).min()?;
    let last = readings.iter().map(|r| r.on).max()?;
    if first == last {
        return None;
    }
    // x: days since the first reading; y: km. Integers throughout, so every replica agrees.
    let n = readings.len() as i128;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0i128, 0i128, 0i128, 0i128);
    for r in readings {
        let x = i128::from((r.on - first).whole_days());
        let y = i128::from(r.km);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let num = n * sxy - sx * sy;
    let den = n * sxx - sx * sx;
    if num <= 0 || den <= 0 {
        return None;
    }
    // The line passes through (sx/n, sy/n) with slope num/den: x* = sx/n + (km − sy/n)·den/num.
    let top = sx * num + (n * i128::from(km) - sy) * den;
    let bottom = n * num;
    let x = top.div_euclid(bottom) + i128::from(top.rem_euclid(bottom) != 0);
    let days = i64::try_from(x).ok()?;
    Some(plus_days(first, days).max(last))
}

/// The day `birthday` falls on in `year`: 29 February is kept on 28 February in common years.
pub fn anniversary(birthday: Date, year: i32) -> Option<Date> {
    let (month, day) = (birthday.month(), birthday.day());
    Date::from_calendar_date(year, month, day).ok().or_else(|| {
        (month == Month::February && day == 29)
            .then(|| Date::from_calendar_date(year, Month::February, 28).ok())
            .flatten()
    })
}

pub(crate) fn plus_days(day: Date, days: i64) -> Date {
    day.checked_add(Duration::days(days))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}
