//! The care scheduler: runs the reminder rules (`carclub_shared::care::reminders`) for every
//! member of every store on the club's day, and turns what is due into call tasks and messages,
//! each exactly once.
//!
//! **Once, across restarts and crashes.** A task's id is derived from the reminder's identity
//! (store, member, kind, vehicle, due day) and a message's idempotency key from the task's id, so
//! a second run finds them and writes nothing. A run goes through a store in parts of [`PART`]
//! members; everything a part creates is written in one atomic batch with its audit record: a
//! crash before a commit leaves nothing of that part, after it everything, and the next run (at
//! start-up) completes the day.
//!
//! A run also closes what time has decided: an open task whose 3×3×3 window has passed after
//! unanswered calls, or a birthday call not made by its deadline, sends its SMS and fails.
//!
//! The server runs it at start-up and on an interval (`--care-interval-secs`); the care manager
//! can run it now (`POST /api/care/run`).

use carclub_protocol::docs::MemberFile;
use carclub_shared::care::{CareRules, Contact, NextStep, Reminder, reminders};
use carclub_shared::projection::project;
use std::collections::HashMap;

use carclub_shared::{MemberId, StoreId, Timestamp};
use serde::Serialize;
use time::Date;

use super::CareError;
use super::outbox::MessageKind;
use super::tasks::{self, Task, TaskState};
use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::ledger;
use crate::domain::perm::{self, Op, Scope, Target};
use crate::storage::keys::{CARE_OPEN_TASKS, CARE_TASKS};
use crate::storage::{Batch, Order, StoreError};

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    /// The day the rules ran for.
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub stores: u32,
    pub members: u32,
    /// Reminders due on the day (created now or before).
    pub due: u32,
    /// Call tasks created by this run.
    pub tasks_created: u32,
    /// Messages put in the outbox by this run.
    pub messages: u32,
    /// Tasks this run failed (3×3×3 window passed, birthday deadline passed), each with its SMS.
    pub tasks_failed: u32,
    /// Open tasks this run closed because their reminder no longer applies (the service was
    /// recorded, the membership renewed, the owner came back).
    pub tasks_obsolete: u32,
}

/// The scheduler's own identity in the audit log.
fn system(store: StoreId) -> Principal {
    Principal::system(store, "care-scheduler", "关怀提醒")
}

/// Runs the rules for `store` (every store when `None`) on the day of `at`, as the scheduler.
pub fn run(
    core: &mut Core,
    store: Option<StoreId>,
    at: Timestamp,
) -> Result<RunReport, StoreError> {
    let stores: Vec<StoreId> = match store {
        Some(s) => vec![s],
        None => core.accounts.stores()?.into_iter().map(|s| s.id).collect(),
    };
    let mut report = RunReport::default_for(at.date());
    for s in stores {
        let r = run_store(core, s, at)?;
        report.add(&r);
    }
    Ok(report)
}

impl RunReport {
    fn default_for(day: Date) -> Self {
        Self {
            day,
            stores: 0,
            members: 0,
            due: 0,
            tasks_created: 0,
            messages: 0,
            tasks_failed: 0,
            tasks_obsolete: 0,
        }
    }

    fn add(&mut self, o: &RunReport) {
        self.stores += o.stores;
        self.members += o.members;
        self.due += o.due;
        self.tasks_created += o.tasks_created;
        self.messages += o.messages;
        self.tasks_failed += o.tasks_failed;
        self.tasks_obsolete += o.tasks_obsolete;
    }
}

/// Runs the rules now for `store` (the caller's, or every store within their scope when
/// `None`): the care manager's "run now".
pub fn run_now(
    core: &mut Core,
    p: &Principal,
    store: Option<StoreId>,
) -> Result<RunReport, CareError> {
    let at = crate::domain::club::now();
    match store {
        Some(s) => {
            perm::check(p, Op::ManageCare, Target::store(s))?;
            if core.accounts.store_record(s)?.is_none() {
                return Err(CareError::UnknownStore(s));
            }
            Ok(run(core, Some(s), at)?)
        }
        None => match perm::check_any(p, Op::ManageCare)? {
            Scope::Group => Ok(run(core, None, at)?),
            _ => Ok(run(core, Some(p.user.store), at)?),
        },
    }
}

/// One store's run on the day of `at`: its parts one after the other.
fn run_store(core: &mut Core, store: StoreId, at: Timestamp) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default_for(at.date());
    let mut after = None;
    loop {
        let (part, next) = run_part(core, store, at, after)?;
        report.add(&part);
        match next {
            Some(m) => after = Some(m),
            None => return Ok(report),
        }
    }
}

/// Members one part of a run reads, in one batch: the server's background run lets go of the
/// core's lock between parts, so a large store does not stop requests and sync for long.
pub const PART: usize = 500;

/// One part of `store`'s run on the day of `at`: the next [`PART`] members after `after` (from
/// the first when `None`), their new tasks and messages and the tasks no longer due, in one batch
/// with its audit record; the last part also fails what time decided. Returns what the part did
/// and the member to go on after, `None` when the store is done. Any part may be run again, or
/// after a crash: what it made once it finds and leaves.
pub fn run_part(
    core: &mut Core,
    store: StoreId,
    at: Timestamp,
    after: Option<MemberId>,
) -> Result<(RunReport, Option<MemberId>), StoreError> {
    let day = at.date();
    let mut report = RunReport::default_for(day);
    report.stores = u32::from(after.is_none());
    let rules = CareRules::default();
    let mut batch = Batch::default();
    let from = match after {
        Some(m) => std::ops::Bound::Excluded(m),
        None => std::ops::Bound::Unbounded,
    };
    let mut members: Vec<MemberFile> = core
        .members
        .range((from, std::ops::Bound::Unbounded))
        .map(|(_, m)| m)
        .filter(|m| m.store == store)
        .take(PART + 1)
        .cloned()
        .collect();
    let next = if members.len() > PART {
        members.truncate(PART);
        members.last().map(|m| m.id)
    } else {
        None
    };
    // A store whose program is not set up has no member states to read; what is open still
    // expires.
    if let Some(program) = ledger::program_of(core, store) {
        let ids: std::collections::HashSet<MemberId> = members.iter().map(|m| m.id).collect();
        let mut open = open_tasks(core, store, &ids)?;
        for m in &members {
            report.members += 1;
            let events = ledger::member_events(core, &batch, m.id)?;
            let state = project(&program, &events, day);
            let due = reminders(&state, day, &rules);
            schedule_member(core, &mut batch, store, m, &due, at, &mut report)?;
            for mut task in open.remove(&m.id).unwrap_or_default() {
                let current = due.iter().any(|r| {
                    tasks::TaskId::of(store, m.id, r.kind, r.vin.as_ref(), r.due) == task.id
                });
                // Within its window yet no longer due: the file changed under it.
                if !current && task.due <= day && day <= task.until {
                    task.state = TaskState::Done;
                    task.obsolete = true;
                    task.closed_at = Some(at);
                    tasks::put(&mut batch, &task)?;
                    report.tasks_obsolete += 1;
                }
            }
        }
    }
    if next.is_none() {
        expire(core, &mut batch, store, at, &mut report)?;
    }
    let changed =
        report.tasks_created + report.messages + report.tasks_failed + report.tasks_obsolete > 0;
    if changed {
        audit::record(
            core.store.as_ref(),
            &mut batch,
            &system(store),
            Entry {
                action: "care_run",
                store,
                member: None,
                detail: format!(
                    "{day}: {} tasks created, {} messages, {} tasks failed, {} no longer due",
                    report.tasks_created,
                    report.messages,
                    report.tasks_failed,
                    report.tasks_obsolete
                ),
            },
        )?;
    }
    core.commit(batch, Vec::new())?;
    if changed {
        tracing::info!(%store, %day, created = report.tasks_created, messages = report.messages, failed = report.tasks_failed, obsolete = report.tasks_obsolete, "care rules run");
    }
    Ok((report, next))
}

/// The care lead of a pre-inspection that found a fault or recommended a service, made in
/// `batch` as soon as the inspection is folded (the store need not wait for the next run): the
/// follow-up task the reminder rules open for it on `at`'s day. Its id derives from the member,
/// the vehicle and the inspection day, so folding the event again, or the next run, finds it
/// made. Returns how many tasks it made.
pub(crate) fn inspection_lead(
    core: &Core,
    batch: &mut Batch,
    file: &MemberFile,
    program: &carclub_shared::program::Program,
    at: Timestamp,
) -> Result<u32, StoreError> {
    let day = at.date();
    let events = ledger::member_events(core, batch, file.id)?;
    let state = project(program, &events, day);
    let due: Vec<Reminder> = reminders(&state, day, &CareRules::default())
        .into_iter()
        .filter(|r| r.kind == carclub_shared::care::ReminderKind::InspectionFollowUp)
        .collect();
    let mut report = RunReport::default_for(day);
    schedule_member(core, batch, file.store, file, &due, at, &mut report)?;
    Ok(report.tasks_created)
}

/// Creates, in `batch`, the tasks and messages of `due` (the reminders open on the day for
/// member `m`) that do not exist yet.
pub(crate) fn schedule_member(
    core: &Core,
    batch: &mut Batch,
    store: StoreId,
    m: &MemberFile,
    due: &[Reminder],
    at: Timestamp,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    for r in due {
        report.due += 1;
        let mut task = Task::new(store, m.id, r, at);
        let known: Option<Task> =
            CARE_TASKS.get_through(core.store.as_ref(), batch, task.id.as_str())?;
        if known.is_some() {
            continue;
        }
        if matches!(r.contact, Contact::Sms | Contact::CallAndSms) {
            task.message = tasks::sms(core, batch, &task, MessageKind::Reminder, "care-reminder")?;
            if task.message.is_some() {
                report.messages += 1;
            }
        }
        if r.contact == Contact::Sms {
            // Nothing to call: the reminder is done once its message is in the outbox.
            task.state = TaskState::Done;
            task.closed_at = Some(at);
        }
        tasks::put(batch, &task)?;
        report.tasks_created += 1;
    }
    Ok(())
}

/// The open tasks of `store` about `members`, by member.
fn open_tasks(
    core: &Core,
    store: StoreId,
    members: &std::collections::HashSet<MemberId>,
) -> Result<HashMap<MemberId, Vec<Task>>, StoreError> {
    let mut ids: Vec<String> = Vec::new();
    CARE_OPEN_TASKS.visit(core.store.as_ref(), Order::Forward, &mut |k, s: StoreId| {
        if s == store {
            ids.push(String::from_utf8_lossy(&k[CARE_OPEN_TASKS.prefix().len()..]).into_owned());
        }
        Ok(true)
    })?;
    let mut out: HashMap<MemberId, Vec<Task>> = HashMap::new();
    for id in ids {
        if let Some(t) = CARE_TASKS.get::<Task>(core.store.as_ref(), &id)?
            && t.state == TaskState::Open
            && members.contains(&t.member)
        {
            out.entry(t.member).or_default().push(t);
        }
    }
    Ok(out)
}

/// Fails, in `batch`, the open tasks of `store` that time has decided at `at`.
fn expire(
    core: &Core,
    batch: &mut Batch,
    store: StoreId,
    at: Timestamp,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let mut open: Vec<String> = Vec::new();
    CARE_OPEN_TASKS.visit(core.store.as_ref(), Order::Forward, &mut |k, s: StoreId| {
        if s == store {
            let id = String::from_utf8_lossy(&k[CARE_OPEN_TASKS.prefix().len()..]).into_owned();
            open.push(id);
        }
        Ok(true)
    })?;
    for id in open {
        let Some(mut task) = CARE_TASKS.get_through::<Task>(core.store.as_ref(), batch, &id)?
        else {
            continue;
        };
        if task.state != TaskState::Open {
            continue;
        }
        let decided = match task.contact {
            Contact::CallThenSms => task.deadline.is_some_and(|d| at > d),
            _ => !task.calls.is_empty() && task.next(at) == NextStep::SendSmsAndFail,
        };
        if decided {
            tasks::fail(core, batch, &mut task, at)?;
            tasks::put(batch, &task)?;
            report.tasks_failed += 1;
            if task.failure.as_ref().is_some_and(|f| f.message.is_some()) {
                report.messages += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use carclub_protocol::docs::VehicleEntry;
    use carclub_shared::care::{CareRole, ReminderKind};
    use carclub_shared::{CardNo, DeviceId, MemberId, Money, Phone, Plate, UserId, Vin};
    use proptest::prelude::*;

    use super::*;
    use crate::storage::keys::OUTBOX_KEYS;
    use crate::storage::{SledStore, Store};

    fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        (dir, Core::open(store).unwrap())
    }

    fn member(store: StoreId, n: u8) -> MemberFile {
        let vin = Vin::parse(&format!("LSVAU2180N00000{n:02}")).unwrap();
        MemberFile {
            id: MemberId::new(),
            store,
            name: format!("车主{n}"),
            phone: Phone::parse(&format!("139000000{n:02}")).unwrap(),
            tier: "guest".into(),
            status: "active".into(),
            card: CardNo::parse(&format!("A-{n:04}")).unwrap(),
            vehicles: vec![VehicleEntry {
                vin: vin.clone(),
                plate: Plate::parse(&format!("粤B{n:05}")).unwrap(),
                card: CardNo::parse(&format!("A-{n:04}")).unwrap(),
            }],
            fee: Money::ZERO,
            receipt: None,
            channel: "desk".into(),
            enrolled_at: Timestamp::from_millis(0),
            enrolled_by: UserId::new(),
            enrolled_on: DeviceId::new(),
            events: Vec::new(),
            conflicts: Vec::new(),
            company: None,
        }
    }

    fn day(n: u8) -> Date {
        Date::from_calendar_date(2026, time::Month::March, 1).unwrap()
            + time::Duration::days(n.into())
    }

    /// A reminder window of the rules: kind, the member's vehicle or none, first due day, days
    /// it stays open. Kinds of even index are called and sent an SMS (as the renewal is).
    type Window = (usize, bool, u8, u8);

    fn reminder(m: &MemberFile, (kind, vin, due, len): Window) -> Reminder {
        let sms = kind % 2 == 0;
        Reminder {
            kind: ReminderKind::ALL[kind % ReminderKind::ALL.len()],
            vin: vin.then(|| m.vehicles[0].vin.clone()),
            due: day(due),
            until: day(due.saturating_add(len)),
            by: CareRole::Specialist,
            contact: if sms {
                Contact::CallAndSms
            } else {
                Contact::Call
            },
            deadline_hours_after_opening: None,
            lost_class: None,
        }
    }

    #[test]
    fn a_run_goes_through_a_large_store_part_by_part() {
        let (_dir, mut core) = core();
        let store = StoreId::new();
        let mut batch = Batch::default();
        core.accounts
            .put_store(
                &mut batch,
                &crate::domain::auth::StoreRecord {
                    id: store,
                    name: "北店".into(),
                    program: "A".into(),
                },
            )
            .unwrap();
        core.commit(batch, Vec::new()).unwrap();
        for i in 0..(2 * PART + 1) {
            let mut m = member(store, (i % 90) as u8 + 1);
            m.id = MemberId::new();
            core.members.insert(m.id, m);
        }
        // Another store's member is not read.
        let other = member(StoreId::new(), 99);
        core.members.insert(other.id, other);
        let at = Timestamp::start_of(day(0));
        let (mut parts, mut members, mut after) = (0, 0, None);
        loop {
            let (r, next) = run_part(&mut core, store, at, after).unwrap();
            parts += 1;
            members += r.members;
            match next {
                Some(m) => after = Some(m),
                None => break,
            }
        }
        assert_eq!((parts, members), (3, 2 * PART as u32 + 1));
        assert_eq!(
            run(&mut core, Some(store), at).unwrap().members,
            2 * PART as u32 + 1
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the order and number of the scheduler's runs over a sequence of days, and
        /// whichever runs crashed before their batch was committed, each (member, kind, vehicle,
        /// due) reminder has exactly one task — if some completed run saw it open — and its SMS
        /// is in the outbox once.
        #[test]
        fn each_task_is_created_once_whatever_the_runs(
            windows in prop::collection::vec((0usize..12, any::<bool>(), 0u8..20, 0u8..6), 1..12),
            runs in prop::collection::vec((0u8..26, 0usize..2, prop::bool::weighted(0.2)), 1..40),
        ) {
            let (_dir, mut core) = core();
            let store = StoreId::new();
            let members: Vec<MemberFile> = (1..=2).map(|n| member(store, n)).collect();
            for m in &members {
                core.members.insert(m.id, m.clone());
            }
            // What a completed run saw: identity → whether an SMS goes with it.
            let mut expected: BTreeMap<(MemberId, ReminderKind, Option<Vin>, Date), bool> = BTreeMap::new();
            for (d, who, crashed) in runs {
                let m = &members[who];
                let at = Timestamp::start_of(day(d));
                let open: Vec<Reminder> = windows
                    .iter()
                    .map(|w| reminder(m, *w))
                    .filter(|r| r.open_on(day(d)))
                    .collect();
                let mut batch = Batch::default();
                let mut report = RunReport::default_for(day(d));
                schedule_member(&core, &mut batch, store, m, &open, at, &mut report).unwrap();
                if crashed {
                    continue; // the process died before the commit: nothing of the run is kept
                }
                core.commit(batch, Vec::new()).unwrap();
                for r in &open {
                    let sms = expected.entry((m.id, r.kind, r.vin.clone(), r.due)).or_insert(false);
                    *sms |= r.contact == Contact::CallAndSms;
                }
            }
            let tasks: Vec<Task> = CARE_TASKS.all(core.store.as_ref()).unwrap();
            let mut seen = BTreeSet::new();
            for t in &tasks {
                let identity = (t.member, t.kind, t.vin.clone(), t.due);
                prop_assert!(seen.insert(identity.clone()), "two tasks for {identity:?}");
                prop_assert!(expected.contains_key(&identity), "a task no completed run saw: {identity:?}");
                prop_assert_eq!(&t.id, &tasks::TaskId::of(store, t.member, t.kind, t.vin.as_ref(), t.due));
            }
            prop_assert_eq!(seen.len(), expected.len());
            let keys: Vec<crate::domain::care::outbox::MessageId> = OUTBOX_KEYS.all(core.store.as_ref()).unwrap();
            let with_sms = expected.values().filter(|sms| **sms).count();
            prop_assert_eq!(keys.len(), with_sms);
        }
    }
}
