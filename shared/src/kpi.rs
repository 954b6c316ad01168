//! The monthly figures (handbooks 002 and 004, DOMAIN.md §5): due on the 1st for the month
//! before, per store and for the group. Every figure is a count over the store's records with
//! its numerator and denominator, and the members behind both, so the back office can go from a
//! figure to the people it counts. `docs/kpis.md` defines each one for people.
//!
//! The arithmetic is here and nowhere else: [`compute`] is a pure function of the store's member
//! states (at the end of the month, of the month before and of the one before that), the members'
//! events, the care tasks, the appointment register, the club events and the complaints of the
//! month. A group's figures are its stores' added up ([`add`]): every definition counts members,
//! vehicles or records that belong to one store, so numerators and denominators add.
//!
//! ```
//! use carclub_shared::complaints::Month;
//! use carclub_shared::kpi::{Inputs, Kpi, compute};
//! let month = Month::parse("2026-11").unwrap();
//! let figures = compute(month, &Inputs::default());
//! // No member and no record: every rate is undefined, every count zero.
//! let renewal = figures.figure(Kpi::RenewalRate).unwrap();
//! assert_eq!((renewal.value, renewal.base, renewal.permille), (0, Some(0), None));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::care::rules::plus_days;
use crate::care::{CareRole, CareRules, Region, ReminderKind, rules};
use crate::complaints::{Filed, Month, month_figures};
use crate::events::{Event, EventBody};
use crate::program::add_months;
use crate::projection::MemberState;
use crate::types::*;

/// The least share of a specialist's reminders done that 002 accepts (95 %); the target is 100 %.
pub const COMPLETION_FLOOR_PERMILLE: i64 = 950;
/// The target share of a specialist's reminders done (002: 100 %).
pub const COMPLETION_TARGET_PERMILLE: i64 = 1000;
/// A member with nothing recorded in this many months, the month included, is inactive.
pub const INACTIVE_MONTHS: i64 = 6;

/// How a figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = KpiShape))]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// `value` of `base`; `permille` = value × 1000 / base, rounded down.
    Share,
    /// Members at the end (`value`) against the start (`base`); `permille` = (value − base) × 1000
    /// / base, rounded toward zero, negative when the club shrank.
    Growth,
    /// A number of things (`value`), no base.
    Count,
    /// An amount of money in fen (`value`), no base.
    Money,
}

/// One monthly figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// 首保回厂率 (002).
    FirstServiceReturn,
    /// 定保回厂率 (002).
    RegularServiceReturn,
    /// 预约率 (002).
    AppointmentRate,
    /// 流失率 (002).
    LostRate,
    /// 流失率 — 本地客户.
    LostLocal,
    /// 流失率 — 外地客户.
    LostNonLocal,
    /// 流失率 — 本地在保客户.
    LostLocalInWarranty,
    /// 流失率 — 本地出保客户.
    LostLocalOutOfWarranty,
    /// 流失率 — 外地在保客户.
    LostNonLocalInWarranty,
    /// 流失率 — 外地出保客户.
    LostNonLocalOutOfWarranty,
    /// 客服提醒完成率 (002: 100 %, 95 % the floor), all specialists together.
    ReminderCompletion,
    /// 活动参与率 (004).
    ActivityParticipation,
    /// 续会率 (004).
    RenewalRate,
    /// 不活跃会员比例 (004).
    InactiveRatio,
    /// 会员增长率 (004).
    MemberGrowth,
    /// 新入会会员 (004).
    MembersJoined,
    /// 退出会员 (004).
    MembersLeft,
    /// 积分发放 (004).
    PointsIssued,
    /// 积分兑换 (004).
    PointsRedeemed,
    /// 权益兑现价值 (004: every benefit used registered with its value).
    BenefitValue,
    /// 投诉按时处理率 (001, 003: answered within 3 days).
    ComplaintOnTime,
}

impl Kpi {
    /// Every figure, in the order the dashboard shows them.
    pub const ALL: [Kpi; 21] = [
        Kpi::FirstServiceReturn,
        Kpi::RegularServiceReturn,
        Kpi::AppointmentRate,
        Kpi::LostRate,
        Kpi::LostLocal,
        Kpi::LostNonLocal,
        Kpi::LostLocalInWarranty,
        Kpi::LostLocalOutOfWarranty,
        Kpi::LostNonLocalInWarranty,
        Kpi::LostNonLocalOutOfWarranty,
        Kpi::ReminderCompletion,
        Kpi::ActivityParticipation,
        Kpi::RenewalRate,
        Kpi::InactiveRatio,
        Kpi::MemberGrowth,
        Kpi::MembersJoined,
        Kpi::MembersLeft,
        Kpi::PointsIssued,
        Kpi::PointsRedeemed,
        Kpi::BenefitValue,
        Kpi::ComplaintOnTime,
    ];

    /// The name as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::FirstServiceReturn => "first_service_return",
            Kpi::RegularServiceReturn => "regular_service_return",
            Kpi::AppointmentRate => "appointment_rate",
            Kpi::LostRate => "lost_rate",
            Kpi::LostLocal => "lost_local",
            Kpi::LostNonLocal => "lost_non_local",
            Kpi::LostLocalInWarranty => "lost_local_in_warranty",
            Kpi::LostLocalOutOfWarranty => "lost_local_out_of_warranty",
            Kpi::LostNonLocalInWarranty => "lost_non_local_in_warranty",
            Kpi::LostNonLocalOutOfWarranty => "lost_non_local_out_of_warranty",
            Kpi::ReminderCompletion => "reminder_completion",
            Kpi::ActivityParticipation => "activity_participation",
            Kpi::RenewalRate => "renewal_rate",
            Kpi::InactiveRatio => "inactive_ratio",
            Kpi::MemberGrowth => "member_growth",
            Kpi::MembersJoined => "members_joined",
            Kpi::MembersLeft => "members_left",
            Kpi::PointsIssued => "points_issued",
            Kpi::PointsRedeemed => "points_redeemed",
            Kpi::BenefitValue => "benefit_value",
            Kpi::ComplaintOnTime => "complaint_on_time",
        }
    }

    /// The figure named as the API writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// How it reads.
    pub fn shape(self) -> Shape {
        match self {
            Kpi::MemberGrowth => Shape::Growth,
            Kpi::MembersJoined | Kpi::MembersLeft | Kpi::PointsIssued | Kpi::PointsRedeemed => {
                Shape::Count
            }
            Kpi::BenefitValue => Shape::Money,
            _ => Shape::Share,
        }
    }

    /// The lost-customer class a class figure counts.
    fn lost_class(self) -> Option<(Option<Region>, Option<bool>)> {
        use Region::*;
        Some(match self {
            Kpi::LostRate => (None, None),
            Kpi::LostLocal => (Some(Local), None),
            Kpi::LostNonLocal => (Some(NonLocal), None),
            Kpi::LostLocalInWarranty => (Some(Local), Some(true)),
            Kpi::LostLocalOutOfWarranty => (Some(Local), Some(false)),
            Kpi::LostNonLocalInWarranty => (Some(NonLocal), Some(true)),
            Kpi::LostNonLocalOutOfWarranty => (Some(NonLocal), Some(false)),
            _ => return None,
        })
    }
}

/// One figure of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = KpiFigure))]
pub struct Figure {
    pub kpi: Kpi,
    pub shape: Shape,
    /// The numerator of a share, the members at the end for growth, the count or the amount.
    pub value: i64,
    /// The denominator of a share, the members at the start for growth; none for counts.
    pub base: Option<i64>,
    /// The rate in thousandths; none for counts, or when the base is zero.
    pub permille: Option<i64>,
}

impl Figure {
    /// A figure of `kpi` from its value and base, the rate worked out by its shape.
    pub fn new(kpi: Kpi, value: i64, base: i64) -> Self {
        let shape = kpi.shape();
        let (base, permille) = match shape {
            Shape::Share => (Some(base), (base > 0).then(|| value * 1000 / base)),
            Shape::Growth => (Some(base), (base > 0).then(|| (value - base) * 1000 / base)),
            Shape::Count | Shape::Money => (None, None),
        };
        Self {
            kpi,
            shape,
            value,
            base,
            permille,
        }
    }
}

/// One specialist's reminders (002: 100 % the target, 95 % the floor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SpecialistFigure))]
pub struct Specialist {
    /// The specialist; none for tasks nobody was given and nobody called.
    pub specialist: Option<UserId>,
    /// Reminders done (reached, an appointment, refused, or 3×3×3 then SMS).
    pub done: i64,
    /// Reminders due in the month.
    pub due: i64,
    /// `done` per 1000 `due`, rounded down; none when nothing was due.
    pub permille: Option<i64>,
    /// Under the 95 % floor.
    pub below_floor: bool,
}

impl Specialist {
    /// `done` of `due`, the rate and the floor worked out.
    pub fn new(specialist: Option<UserId>, done: i64, due: i64) -> Self {
        let permille = (due > 0).then(|| done * 1000 / due);
        Self {
            specialist,
            done,
            due,
            permille,
            below_floor: permille.is_some_and(|p| p < COMPLETION_FLOOR_PERMILLE),
        }
    }
}

/// The members behind a figure: those it counts and, for a share, those of the base it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Behind {
    /// Counted in the numerator (or the count), by id.
    pub counted: BTreeSet<MemberId>,
    /// In the base but not the numerator, by id.
    pub missed: BTreeSet<MemberId>,
}

/// A month's figures of one store (or, added up, of the group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthKpis {
    pub month: Month,
    /// Every [`Kpi`], in [`Kpi::ALL`] order.
    pub figures: Vec<Figure>,
    /// Reminder completion per specialist, by id (the unassigned last).
    pub specialists: Vec<Specialist>,
    /// The members behind each figure.
    pub behind: BTreeMap<Kpi, Behind>,
    /// The members behind each specialist's figure.
    pub behind_specialist: BTreeMap<Option<UserId>, Behind>,
}

impl MonthKpis {
    /// The figure of `kpi`.
    pub fn figure(&self, kpi: Kpi) -> Option<&Figure> {
        self.figures.iter().find(|f| f.kpi == kpi)
    }
}

/// One member as the month's figures read them.
#[derive(Debug, Clone, Copy)]
pub struct MemberMonth<'a> {
    pub member: MemberId,
    /// The state at the end of the month before the previous one (renewals due in the month).
    pub earlier: &'a MemberState,
    /// The state at the end of the previous month.
    pub before: &'a MemberState,
    /// The state at the end of the month.
    pub after: &'a MemberState,
    /// The member's events (any months).
    pub events: &'a [Event],
}

/// Where a care task stands, as the figures read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEnd {
    Open,
    /// Reached, an appointment, refused.
    Done,
    /// Unreachable after the 3×3×3 rule: the SMS went out and the failure is recorded.
    Failed,
}

/// A care task, as the figures read it.
#[derive(Debug, Clone, Copy)]
pub struct CareTask {
    pub member: MemberId,
    pub kind: ReminderKind,
    pub by: CareRole,
    /// The first day it was due.
    pub due: Date,
    pub end: TaskEnd,
    /// Closed because the reminder no longer applied (the owner came on their own).
    pub obsolete: bool,
    /// Who answers for it: the one it was given to, else the last who called.
    pub specialist: Option<UserId>,
}

/// An appointment in the register, as the figures read it.
#[derive(Debug, Clone, Copy)]
pub struct Booking {
    pub member: MemberId,
    /// The day the owner was booked to come.
    pub day: Date,
    /// Marked arrived.
    pub arrived: bool,
}

/// A club event, as the figures read it.
#[derive(Debug, Clone)]
pub struct Gathering {
    /// The business day it starts.
    pub day: Date,
    pub invited: Vec<MemberId>,
    pub attended: Vec<MemberId>,
}

/// A complaint, as the figures read it.
#[derive(Debug, Clone, Copy)]
pub struct Complaint {
    pub filed: Filed,
    pub member: Option<MemberId>,
}

/// Everything one store's month is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    pub members: Vec<MemberMonth<'a>>,
    pub tasks: Vec<CareTask>,
    pub bookings: Vec<Booking>,
    pub gatherings: Vec<Gathering>,
    pub complaints: Vec<Complaint>,
    /// When the figures are computed: complaints still within their deadline then count neither way.
    pub now: Option<Timestamp>,
}

/// The first and last day of `month`.
pub fn days_of(month: Month) -> (Date, Date) {
    let first = month.start().date();
    (first, plus_days(month.next().start().date(), -1))
}

#[derive(Default)]
struct Tally {
    value: i64,
    base: i64,
    behind: Behind,
}

impl Tally {
    /// One thing of the base, counted or not, of `member`.
    fn one(&mut self, member: MemberId, counted: bool) {
        self.base += 1;
        if counted {
            self.value += 1;
            self.behind.counted.insert(member);
        } else {
            self.behind.missed.insert(member);
        }
    }

    /// `amount` more of the count, from `member`.
    fn amount(&mut self, member: MemberId, amount: i64) {
        if amount != 0 {
            self.value += amount;
            self.behind.counted.insert(member);
        }
    }
}

fn tally(t: &mut BTreeMap<Kpi, Tally>, k: Kpi) -> &mut Tally {
    t.entry(k).or_default()
}

/// The figures of `month` from one store's `inputs`.
pub fn compute(month: Month, inputs: &Inputs<'_>) -> MonthKpis {
    let (first, last) = days_of(month);
    let in_month = |d: Date| first <= d && d <= last;
    let care_rules = CareRules::default();
    let mut t: BTreeMap<Kpi, Tally> = Kpi::ALL.iter().map(|&k| (k, Tally::default())).collect();

    for m in &inputs.members {
        let id = m.member;
        // First service: vehicles whose 2–3 month window closes in the month, back by its end.
        for v in &m.after.care.vehicles {
            let Some(delivered) = v.facts.delivered else {
                continue;
            };
            let window_end = add_months(delivered, i64::from(care_rules.first_service_months.1));
            if in_month(window_end) {
                let back = v.visits.iter().any(|x| {
                    x.here() && x.kind == crate::care::VisitKind::FirstService && x.on <= window_end
                });
                tally(&mut t, Kpi::FirstServiceReturn).one(id, back);
            }
        }
        // Regular service: vehicles due in the month by the file at its start, back in the month.
        for v in &m.before.care.vehicles {
            let Some(due) = rules::service_due(v, &care_rules) else {
                continue;
            };
            if in_month(due) {
                let now = m.after.care.vehicle(&v.vin);
                let back = now.is_some_and(|n| {
                    n.visits
                        .iter()
                        .any(|x| x.here() && x.kind.is_maintenance() && in_month(x.on))
                });
                tally(&mut t, Kpi::RegularServiceReturn).one(id, back);
            }
        }
        // Appointments: arrivals here in the month — a vehicle on a day, however many visits and
        // orders were recorded for it — made on an appointment for that day.
        for v in &m.after.care.vehicles {
            let days: BTreeSet<Date> = v
                .visits
                .iter()
                .filter(|x| x.here() && in_month(x.on))
                .map(|x| x.on)
                .collect();
            for on in days {
                let booked = inputs
                    .bookings
                    .iter()
                    .any(|b| b.member == id && b.arrived && b.day == on);
                tally(&mut t, Kpi::AppointmentRate).one(id, booked);
            }
        }
        // Lost: vehicles not seen for 90–360 days on the last day, of those seen within 360
        // (the lost-customer rule of the care reminders, which skips people who never joined).
        let region = m.after.care.person.region.unwrap_or(Region::Local);
        let (lost_from, lost_to) = care_rules.lost_days;
        for v in &m.after.care.vehicles {
            if m.after.status == crate::projection::Status::NotMember {
                break;
            }
            let Some(seen) = v.last_visit_here().map(|x| x.on).or(v.facts.delivered) else {
                continue;
            };
            if seen > last || plus_days(seen, i64::from(lost_to)) < last {
                continue;
            }
            let in_warranty = v.in_warranty(last);
            let is_lost = plus_days(seen, i64::from(lost_from)) <= last;
            for k in Kpi::ALL {
                if let Some((r, w)) = k.lost_class()
                    && r.is_none_or(|r| r == region)
                    && w.is_none_or(|w| w == in_warranty)
                {
                    tally(&mut t, k).one(id, is_lost);
                }
            }
        }
        // Renewal: members whose term ended in the month (read before renewal could open),
        // renewed when their term now runs past the month.
        let (was_member, is_member) = (m.before.status.is_member(), m.after.status.is_member());
        if m.earlier.status.is_member() && m.earlier.valid_until.is_some_and(in_month) {
            let renewed = m.after.valid_until.is_some_and(|u| u > last) && is_member;
            tally(&mut t, Kpi::RenewalRate).one(id, renewed);
        }
        // Members at the start and the end; joined and left.
        if was_member {
            tally(&mut t, Kpi::MemberGrowth).base += 1;
        }
        if is_member {
            tally(&mut t, Kpi::MemberGrowth).amount(id, 1);
        }
        if is_member && !was_member {
            tally(&mut t, Kpi::MembersJoined).amount(id, 1);
        }
        if was_member && !is_member {
            tally(&mut t, Kpi::MembersLeft).amount(id, 1);
        }
        // Inactive: members at the end with nothing recorded in the last six months.
        if is_member {
            let since = add_months(plus_days(last, 1), -INACTIVE_MONTHS);
            let active = m
                .events
                .iter()
                .filter_map(activity_day)
                .any(|d| since <= d && d <= last);
            tally(&mut t, Kpi::InactiveRatio).one(id, !active);
        }
        // Points and benefits.
        let (b, a) = (&m.before.measures, &m.after.measures);
        tally(&mut t, Kpi::PointsIssued).amount(
            id,
            i64::try_from(a.points_earned.get().saturating_sub(b.points_earned.get()))
                .unwrap_or(i64::MAX),
        );
        tally(&mut t, Kpi::PointsRedeemed).amount(
            id,
            i64::try_from(
                a.points_redeemed
                    .get()
                    .saturating_sub(b.points_redeemed.get()),
            )
            .unwrap_or(i64::MAX),
        );
        let value: i64 = m
            .events
            .iter()
            .filter(|e| in_month(e.at.date()))
            .map(|e| match &e.body {
                EventBody::BenefitUsed { value, .. } => value.fen(),
                _ => 0,
            })
            .sum();
        tally(&mut t, Kpi::BenefitValue).amount(id, value);
    }

    // Activity participation: of the members invited to the month's events, those who came.
    let mut invited: BTreeSet<MemberId> = BTreeSet::new();
    let mut came: BTreeSet<MemberId> = BTreeSet::new();
    for g in inputs.gatherings.iter().filter(|g| in_month(g.day)) {
        invited.extend(g.invited.iter().copied());
        came.extend(g.attended.iter().copied());
    }
    for id in invited.union(&came) {
        tally(&mut t, Kpi::ActivityParticipation).one(*id, came.contains(id));
    }

    // Reminder completion: the specialists' tasks due in the month, done or failed by the rule.
    let mut per: BTreeMap<Option<UserId>, Tally> = BTreeMap::new();
    for task in inputs
        .tasks
        .iter()
        .filter(|x| x.by == CareRole::Specialist && in_month(x.due) && !x.obsolete)
    {
        let done = task.end != TaskEnd::Open;
        tally(&mut t, Kpi::ReminderCompletion).one(task.member, done);
        per.entry(task.specialist)
            .or_default()
            .one(task.member, done);
    }

    // Complaints answered on time: the complaint analysis's figure of the month.
    let now = inputs.now.unwrap_or(Timestamp::from_millis(i64::MAX));
    let filed: Vec<Filed> = inputs.complaints.iter().map(|c| c.filed).collect();
    let figures = month_figures(month, &filed, now);
    let c = tally(&mut t, Kpi::ComplaintOnTime);
    c.value = i64::from(figures.on_time);
    c.base = i64::from(figures.answered + figures.overdue);
    for x in inputs
        .complaints
        .iter()
        .filter(|x| month.contains(x.filed.state.filed_at))
    {
        let s = x.filed.state;
        let (Some(member), due) = (x.member, s.answered_at.is_some() || now > s.deadline) else {
            continue;
        };
        if !due {
            continue;
        }
        if s.answered_at
            .is_some_and(|at| !crate::complaints::is_late(at, s.deadline))
        {
            c.behind.counted.insert(member);
        } else {
            c.behind.missed.insert(member);
        }
    }

    let figures = Kpi::ALL
        .iter()
        .map(|&k| Figure::new(k, t[&k].value, t[&k].base))
        .collect();
    let behind = t.into_iter().map(|(k, x)| (k, x.behind)).collect();
    let specialists = per
        .iter()
        .map(|(who, x)| Specialist::new(*who, x.value, x.base))
        .collect();
    let behind_specialist = per.into_iter().map(|(k, x)| (k, x.behind)).collect();
    MonthKpis {
        month,
        figures,
        specialists,
        behind,
        behind_specialist,
    }
}

/// The day of something a member did, for the inactive ratio: an order, a benefit used, points
/// redeemed, an event attended, a renewal, a service visit here, a referral.
fn activity_day(e: &Event) -> Option<Date> {
    use EventBody::*;
    match &e.body {
        ServiceVisitRecorded {
            on,
            elsewhere: None,
            ..
        } => Some(*on),
        OrderSettled { .. }
        | BenefitUsed { .. }
        | PointsRedeemed { .. }
        | EventAttended { .. }
        | Renewed { .. }
        | TierPurchased { .. }
        | ReferralRecorded { .. } => Some(e.at.date()),
        _ => None,
    }
}

/// The figures of several stores' months added up: numerators, bases, counts and the members
/// behind them (the group's month).
pub fn add(month: Month, stores: &[MonthKpis]) -> MonthKpis {
    let mut figures = Vec::new();
    let mut behind: BTreeMap<Kpi, Behind> = BTreeMap::new();
    for k in Kpi::ALL {
        let (mut value, mut base) = (0i64, 0i64);
        for s in stores {
            if let Some(f) = s.figure(k) {
                value += f.value;
                base += f.base.unwrap_or(0);
            }
            if let Some(b) = s.behind.get(&k) {
                let all = behind.entry(k).or_default();
                all.counted.extend(b.counted.iter().copied());
                all.missed.extend(b.missed.iter().copied());
            }
        }
        figures.push(Figure::new(k, value, base));
    }
    let mut per: BTreeMap<Option<UserId>, (i64, i64)> = BTreeMap::new();
    let mut behind_specialist: BTreeMap<Option<UserId>, Behind> = BTreeMap::new();
    for s in stores {
        for x in &s.specialists {
            let e = per.entry(x.specialist).or_default();
            e.0 += x.done;
            e.1 += x.due;
        }
        for (who, b) in &s.behind_specialist {
            let all = behind_specialist.entry(*who).or_default();
            all.counted.extend(b.counted.iter().copied());
            all.missed.extend(b.missed.iter().copied());
        }
    }
    MonthKpis {
        month,
        figures,
        specialists: per
            .into_iter()
            .map(|(who, (done, due))| Specialist::new(who, done, due))
            .collect(),
        behind,
        behind_specialist,
    }
}
