//! The monthly figures (issue 13, handbooks 002 and 004): computed on the 1st for the month
//! before, for every store, and kept; recomputable for any month that has ended. The arithmetic
//! is `carclub_shared::kpi::compute`; this module gathers a store's records for it, keeps what it
//! returns and answers the dashboard.
//!
//! **Kept.** A store's month is one record under `KPI_MONTHS` (the figures, the specialists, when
//! and by whom it was computed) and, under `KPI_MEMBERS`, the members behind each figure, written
//! in one batch with its audit record: a month is kept whole or not at all, and computing it again
//! replaces it. The group's month is its stores' kept months added up when read.
//!
//! **When.** [`run_due`] computes every store's previous month that is not kept yet; the server
//! calls it with the care scheduler's tick, so a server down on the 1st catches up when it starts.
//! The business clock ([`club::now`]) decides what "previous" is.
//!
//! **Size.** Members are projected a few hundred at a time (three states each: the end of the
//! month, of the month before, of the one before that), their figures added as they go, so memory
//! does not grow with the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use carclub_shared::complaints::{Filed, Month};
use carclub_shared::kpi::{
    self, Behind, Booking, CareTask, Complaint as KpiComplaint, Figure, Gathering, Inputs, Kpi,
    MemberMonth, MonthKpis, Specialist, TaskEnd,
};
use carclub_shared::projection::project;
use carclub_shared::{MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::care::appointments::{Appointment, AppointmentState};
use super::care::tasks::{Task, TaskState};
use super::club;
use super::club_events::ClubEvent;
use super::complaints::Complaint;
use super::export::field;
use super::ledger;
use super::perm::{self, Op, Scope, Target};
use crate::storage::keys::{
    CARE_APPOINTMENTS, CARE_TASKS, CLUB_EVENTS, COMPLAINTS, KPI_MEMBERS, KPI_MONTHS,
};
use crate::storage::{Batch, Order, StoreError};

/// Members projected at a time.
const CHUNK: usize = 500;
/// The longest trend one request reads, in months.
pub const MAX_MONTHS: usize = 36;

/// Why a figures request was refused.
#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store {0} does not exist")]
    UnknownStore(StoreId),
    #[error("{month} has not ended yet: its figures are computed from the 1st of the month after")]
    MonthNotOver { month: Month },
    #[error("the range starts ({from}) after it ends ({to})")]
    BadRange { from: Month, to: Month },
    #[error("the range from {from} to {to} is longer than {MAX_MONTHS} months")]
    RangeTooLong { from: Month, to: Month },
    #[error("the figures of {month} have not been computed yet")]
    NotComputed { month: Month },
}

/// One store's month as kept.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeptMonth {
    pub store: StoreId,
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    pub computed_at: Timestamp,
    /// Who computed it: `kpi-scheduler` on the 1st, or the manager who asked again.
    pub computed_by: String,
    pub figures: Vec<Figure>,
    pub specialists: Vec<Specialist>,
}

/// The part of a figure's members asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Those the figure counts (the numerator, or the count).
    Counted,
    /// Those of the base it does not count (e.g. who did not come back).
    Missed,
}

/// The key of a store's month.
fn month_key(store: StoreId, month: Month) -> (StoreId, String) {
    (store, month.to_string())
}

/// The key of the members behind a figure (`kpi`, or `specialist:<id or none>`).
fn members_key(store: StoreId, month: Month, figure: &str) -> (StoreId, String) {
    (store, format!("{month}/{figure}"))
}

fn specialist_key(who: Option<UserId>) -> String {
    match who {
        Some(u) => format!("specialist:{u}"),
        None => "specialist:none".into(),
    }
}

/// The figures' own identity in the audit log.
fn system(store: StoreId) -> Principal {
    Principal::system(store, "kpi-scheduler", "月度指标")
}

/// The month that has ended last at `at`.
pub fn last_ended(at: Timestamp) -> Month {
    Month::of(at).previous()
}

/// Computes `store`'s `month` from its records as they are now (no writing).
pub fn compute_store(core: &Core, store: StoreId, month: Month) -> Result<MonthKpis, StoreError> {
    let now = club::now();
    let (first, last) = kpi::days_of(month);
    let before_day = first.previous_day().unwrap_or(first);
    let earlier_day = kpi::days_of(month.previous())
        .0
        .previous_day()
        .unwrap_or(first);
    let in_window = |at: Timestamp| at.date() >= first && at.date() <= last;

    let mut tasks = Vec::new();
    CARE_TASKS.visit(core.store.as_ref(), Order::Forward, &mut |_, t: Task| {
        if t.store == store && t.due >= first && t.due <= last {
            tasks.push(CareTask {
                member: t.member,
                kind: t.kind,
                by: t.by,
                due: t.due,
                end: match t.state {
                    TaskState::Open => TaskEnd::Open,
                    TaskState::Done => TaskEnd::Done,
                    TaskState::Failed => TaskEnd::Failed,
                },
                obsolete: t.obsolete,
                specialist: t.assignee.or_else(|| t.calls.last().map(|c| c.by)),
            });
        }
        Ok(true)
    })?;
    let mut bookings = Vec::new();
    CARE_APPOINTMENTS.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |_, a: Appointment| {
            if a.store == store && in_window(a.at) {
                bookings.push(Booking {
                    member: a.member,
                    day: a.at.date(),
                    arrived: a.state == AppointmentState::Arrived,
                });
            }
            Ok(true)
        },
    )?;
    let mut gatherings = Vec::new();
    CLUB_EVENTS.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |_, e: ClubEvent| {
            if e.store == store && in_window(e.starts_at) {
                gatherings.push(Gathering {
                    day: e.starts_at.date(),
                    invited: e.invited.clone(),
                    attended: e.attended.keys().copied().collect(),
                });
            }
            Ok(true)
        },
    )?;
    let mut complaints = Vec::new();
    COMPLAINTS.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |_, c: Complaint| {
            if c.store == store && month.contains(c.filed_at) {
                complaints.push(KpiComplaint {
                    filed: Filed {
                        channel: c.channel,
                        state: c.state(),
                        escalated: !c.escalations.is_empty(),
                    },
                    member: c.member,
                });
            }
            Ok(true)
        },
    )?;

    let ids: Vec<MemberId> = core
        .members
        .values()
        .filter(|m| m.store == store)
        .map(|m| m.id)
        .collect();
    let program = ledger::program_of(core, store);
    let mut parts: Vec<MonthKpis> = Vec::new();
    let mut records = Some((tasks, gatherings, complaints));
    for chunk in ids.chunks(CHUNK).map(Some).chain(std::iter::once(None)) {
        let mut events = Vec::new();
        if let (Some(chunk), Some(program)) = (chunk, program.as_ref()) {
            for &id in chunk {
                events.push((id, ledger::member_events(core, &Batch::default(), id)?));
            }
            let states: Vec<_> = events
                .iter()
                .map(|(_, ev)| [earlier_day, before_day, last].map(|d| project(program, ev, d)))
                .collect();
            let members = events
                .iter()
                .zip(&states)
                .map(|((id, ev), [earlier, before, after])| MemberMonth {
                    member: *id,
                    earlier,
                    before,
                    after,
                    events: ev,
                })
                .collect();
            parts.push(kpi::compute(
                month,
                &Inputs {
                    members,
                    bookings: bookings.clone(),
                    now: Some(now),
                    ..Inputs::default()
                },
            ));
        } else if chunk.is_none() {
            // The store's own records, once.
            let (tasks, gatherings, complaints) = records.take().unwrap_or_default();
            parts.push(kpi::compute(
                month,
                &Inputs {
                    tasks,
                    gatherings,
                    complaints,
                    now: Some(now),
                    ..Inputs::default()
                },
            ));
        }
    }
    Ok(kpi::add(month, &parts))
}

/// Computes `store`'s `month` and keeps it, replacing what was kept, with an audit record by `by`.
pub fn keep(
    core: &mut Core,
    store: StoreId,
    month: Month,
    by: &Principal,
) -> Result<KeptMonth, StoreError> {
    let k = compute_store(core, store, month)?;
    let kept = KeptMonth {
        store,
        month,
        computed_at: club::now(),
        computed_by: by.user.username.clone(),
        figures: k.figures.clone(),
        specialists: k.specialists.clone(),
    };
    let mut batch = Batch::default();
    // What an earlier computation kept behind figures that have no members now goes.
    KPI_MEMBERS.visit_under(
        core.store.as_ref(),
        &KPI_MEMBERS.sub_prefix(&(store, format!("{month}/"))),
        Order::Forward,
        &mut |key, _: Behind| {
            batch.delete(key.to_vec());
            Ok(true)
        },
    )?;
    KPI_MONTHS.put(&mut batch, &month_key(store, month), &kept)?;
    for (kpi, behind) in &k.behind {
        KPI_MEMBERS.put(&mut batch, &members_key(store, month, kpi.as_str()), behind)?;
    }
    for (who, behind) in &k.behind_specialist {
        KPI_MEMBERS.put(
            &mut batch,
            &members_key(store, month, &specialist_key(*who)),
            behind,
        )?;
    }
    audit::record(
        core.store.as_ref(),
        &mut batch,
        by,
        Entry {
            action: "compute_kpis",
            store,
            member: None,
            detail: format!("{month}"),
        },
    )?;
    core.commit(batch, Vec::new())?;
    tracing::info!(%store, %month, by = %by.user.username, "monthly figures kept");
    Ok(kept)
}

/// Computes, for every store, the last month that has ended at `at` if it is not kept yet (the
/// 1st's run, or the catching up of a server that was down then). Returns the months kept.
pub fn run_due(core: &mut Core, at: Timestamp) -> Result<u32, StoreError> {
    let month = last_ended(at);
    let mut kept = 0;
    for s in core.accounts.stores()? {
        if KPI_MONTHS
            .get::<KeptMonth>(core.store.as_ref(), &month_key(s.id, month))?
            .is_none()
        {
            keep(core, s.id, month, &system(s.id))?;
            kept += 1;
        }
    }
    Ok(kept)
}

/// The stores `p` looks at: `store` when named (checked), else every store of a group role, else
/// the caller's own.
fn stores_for(
    core: &Core,
    p: &Principal,
    op: Op,
    store: Option<StoreId>,
) -> Result<Vec<StoreId>, KpiError> {
    match store {
        Some(s) => {
            perm::check(p, op, Target::store(s))?;
            if core.accounts.store_record(s)?.is_none() {
                return Err(KpiError::UnknownStore(s));
            }
            Ok(vec![s])
        }
        None => match perm::check_any(p, op)? {
            Scope::Group => Ok(core.accounts.stores()?.into_iter().map(|s| s.id).collect()),
            _ => Ok(vec![p.user.store]),
        },
    }
}

/// Computes `month` again for `store` (every store within the caller's scope when `None`).
pub fn recompute(
    core: &mut Core,
    p: &Principal,
    month: Month,
    store: Option<StoreId>,
) -> Result<Vec<KeptMonth>, KpiError> {
    if month >= Month::of(club::now()) {
        return Err(KpiError::MonthNotOver { month });
    }
    let stores = stores_for(core, p, Op::ComputeKpis, store)?;
    let mut out = Vec::new();
    for s in stores {
        out.push(keep(core, s, month, p)?);
    }
    Ok(out)
}

/// One month of the trend.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendMonth {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// Whether every store looked at has the month kept (figures of stores without count zero).
    pub computed: bool,
    /// When the last store's month was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computed_at: Option<Timestamp>,
    pub figures: Vec<Figure>,
}

/// A specialist's figure with their name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedSpecialist {
    #[serde(flatten)]
    pub figure: Specialist,
    /// The name, or none for tasks nobody was given or called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One store's figures of the last month, for comparing stores.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreFigures {
    pub store: StoreId,
    pub name: String,
    pub computed: bool,
    pub figures: Vec<Figure>,
}

/// The figures over a range of months.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// The store, or none for every store the caller may see (the group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreId>,
    /// Oldest first.
    pub months: Vec<TrendMonth>,
    /// The last month's reminder completion per specialist (002: 100 %, 95 % the floor).
    pub specialists: Vec<NamedSpecialist>,
    /// The last month store by store (for a group role looking at several stores).
    pub stores: Vec<StoreFigures>,
    /// The 95 % floor of reminder completion, in thousandths.
    pub completion_floor_permille: i64,
}

/// The months from `from` to `to`, checked.
fn months(from: Month, to: Month) -> Result<Vec<Month>, KpiError> {
    if from > to {
        return Err(KpiError::BadRange { from, to });
    }
    let mut out = vec![from];
    let mut m = from;
    while m < to {
        m = m.next();
        out.push(m);
        if out.len() > MAX_MONTHS {
            return Err(KpiError::RangeTooLong { from, to });
        }
    }
    Ok(out)
}

/// Adds stores' figures of one month.
fn sum(month: &[&KeptMonth]) -> Vec<Figure> {
    Kpi::ALL
        .iter()
        .map(|&k| {
            let (mut value, mut base) = (0, 0);
            for m in month {
                if let Some(f) = m.figures.iter().find(|f| f.kpi == k) {
                    value += f.value;
                    base += f.base.unwrap_or(0);
                }
            }
            Figure::new(k, value, base)
        })
        .collect()
}

/// The kept figures from `from` to `to` for `store` (the group within the caller's scope when
/// `None`), with the last month per specialist and per store.
pub fn trend(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
    from: Month,
    to: Month,
) -> Result<Trend, KpiError> {
    let range = months(from, to)?;
    let stores = stores_for(core, p, Op::ViewKpis, store)?;
    let mut kept: HashMap<(StoreId, Month), KeptMonth> = HashMap::new();
    for &s in &stores {
        for &m in &range {
            if let Some(k) = KPI_MONTHS.get::<KeptMonth>(core.store.as_ref(), &month_key(s, m))? {
                kept.insert((s, m), k);
            }
        }
    }
    let months = range
        .iter()
        .map(|&m| {
            let of: Vec<&KeptMonth> = stores.iter().filter_map(|s| kept.get(&(*s, m))).collect();
            TrendMonth {
                month: m,
                computed: of.len() == stores.len(),
                computed_at: of.iter().map(|k| k.computed_at).max(),
                figures: sum(&of),
            }
        })
        .collect();
    let last: Vec<&KeptMonth> = stores.iter().filter_map(|s| kept.get(&(*s, to))).collect();
    let mut per: BTreeMap<Option<UserId>, (i64, i64)> = BTreeMap::new();
    for k in &last {
        for s in &k.specialists {
            let e = per.entry(s.specialist).or_default();
            e.0 += s.done;
            e.1 += s.due;
        }
    }
    let mut specialists = Vec::new();
    for (who, (done, due)) in per {
        let figure = Specialist::new(who, done, due);
        let name = match who {
            Some(u) => core.accounts.user(u)?.map(|u| u.name),
            None => None,
        };
        specialists.push(NamedSpecialist { figure, name });
    }
    let mut by_store = Vec::new();
    if stores.len() > 1 {
        for s in core.accounts.stores()? {
            if !stores.contains(&s.id) {
                continue;
            }
            let k = kept.get(&(s.id, to));
            by_store.push(StoreFigures {
                store: s.id,
                name: s.name,
                computed: k.is_some(),
                figures: k.map(|k| k.figures.clone()).unwrap_or_else(|| sum(&[])),
            });
        }
    }
    Ok(Trend {
        store,
        months,
        specialists,
        stores: by_store,
        completion_floor_permille: kpi::COMPLETION_FLOOR_PERMILLE,
    })
}

/// A member behind a figure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrillRow {
    pub member: MemberId,
    pub store: StoreId,
    pub name: String,
    pub card: String,
    pub tier: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
}

/// A page of the members behind a figure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrillPage {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// The figure: a KPI's name, or `specialist:<user id>` (`specialist:none`).
    pub figure: String,
    pub part: Part,
    /// Members in this part, over every page.
    pub total: u32,
    /// By member id.
    pub rows: Vec<DrillRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next: Option<MemberId>,
}

/// What a drill-down names: a KPI or one specialist's reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drill {
    Kpi(Kpi),
    Specialist(Option<UserId>),
}

impl Drill {
    fn key(self) -> String {
        match self {
            Drill::Kpi(k) => k.as_str().into(),
            Drill::Specialist(who) => specialist_key(who),
        }
    }
}

/// The members behind `figure` of `month` for `store` (every store within the caller's scope
/// when `None`), `part` of them, at most `limit` after `after`. Audited as a view of member data.
#[allow(clippy::too_many_arguments)]
pub fn drill(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
    month: Month,
    figure: Drill,
    part: Part,
    limit: usize,
    after: Option<MemberId>,
) -> Result<DrillPage, KpiError> {
    let stores = stores_for(core, p, Op::ViewKpis, store)?;
    let scope = perm::scope(p.user.role, Op::ViewKpis);
    let mut all: BTreeSet<MemberId> = BTreeSet::new();
    let mut any = false;
    for &s in &stores {
        if KPI_MONTHS
            .get::<KeptMonth>(core.store.as_ref(), &month_key(s, month))?
            .is_some()
        {
            any = true;
        }
        if let Some(b) =
            KPI_MEMBERS.get::<Behind>(core.store.as_ref(), &members_key(s, month, &figure.key()))?
        {
            all.extend(match part {
                Part::Counted => b.counted,
                Part::Missed => b.missed,
            });
        }
    }
    if !any {
        return Err(KpiError::NotComputed { month });
    }
    let visible: Vec<MemberId> = all
        .into_iter()
        .filter(|m| {
            core.members
                .get(m)
                .is_some_and(|f| perm::within_member(p, scope, f.store, f.id, f.company))
        })
        .collect();
    let total = visible.len() as u32;
    let mut rows = Vec::new();
    let mut next = None;
    for id in visible.into_iter().filter(|m| after.is_none_or(|a| *m > a)) {
        if rows.len() >= limit {
            next = rows.last().map(|r: &DrillRow| r.member);
            break;
        }
        let Some(f) = core.members.get(&id) else {
            continue;
        };
        rows.push(DrillRow {
            member: id,
            store: f.store,
            name: f.name.clone(),
            card: f.card.to_string(),
            tier: f.tier.clone(),
            status: f.status.clone(),
            plate: f.vehicles.first().map(|v| v.plate.to_string()),
        });
    }
    audit::record_now(
        core.store.as_ref(),
        p,
        Entry {
            action: "view_kpi_members",
            store: store.unwrap_or(p.user.store),
            member: None,
            detail: format!("{month} {} {:?}: {} rows", figure.key(), part, rows.len()),
        },
    )?;
    Ok(DrillPage {
        month,
        figure: figure.key(),
        part,
        total,
        rows,
        next,
    })
}

/// The header line of the figures' CSV.
pub const CSV_HEADER: &str = "month,store,kpi,value,base,permille,computed_at";

/// The kept figures from `from` to `to` as CSV for Excel: a byte-order mark, CRLF line ends, one
/// row per store, month and figure (and the group's rows when several stores are looked at).
/// Audited as an export.
pub fn csv(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
    from: Month,
    to: Month,
) -> Result<String, KpiError> {
    let range = months(from, to)?;
    let stores = stores_for(core, p, Op::ViewKpis, store)?;
    let names: HashMap<StoreId, String> = core
        .accounts
        .stores()?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut out = format!("\u{feff}{CSV_HEADER}\r\n");
    let mut rows = 0usize;
    let mut write = |row: [String; 7]| {
        let fields: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
        rows += 1;
    };
    let line = |m: Month, store: String, f: &Figure, at: String| {
        [
            m.to_string(),
            store,
            f.kpi.as_str().into(),
            f.value.to_string(),
            f.base.map(|b| b.to_string()).unwrap_or_default(),
            f.permille.map(|x| x.to_string()).unwrap_or_default(),
            at,
        ]
    };
    for &m in &range {
        let mut of = Vec::new();
        for &s in &stores {
            let Some(k) = KPI_MONTHS.get::<KeptMonth>(core.store.as_ref(), &month_key(s, m))?
            else {
                continue;
            };
            let name = names.get(&s).cloned().unwrap_or_else(|| s.to_string());
            for f in &k.figures {
                write(line(m, name.clone(), f, k.computed_at.to_string()));
            }
            of.push(k);
        }
        if stores.len() > 1 && !of.is_empty() {
            let refs: Vec<&KeptMonth> = of.iter().collect();
            for f in sum(&refs) {
                write(line(m, "group".into(), &f, String::new()));
            }
        }
    }
    audit::record_now(
        core.store.as_ref(),
        p,
        Entry {
            action: "export_kpis",
            store: store.unwrap_or(p.user.store),
            member: None,
            detail: format!("{from} to {to}: {rows} rows"),
        },
    )?;
    Ok(out)
}
