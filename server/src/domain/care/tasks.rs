//! Call tasks: each due reminder of a member becomes one task for the store's care staff, created
//! once per due date, with the member's summary, the store's script for its kind, the calls made
//! and what comes next.
//!
//! **Identity.** A task's id is derived from (store, member, kind, vehicle, due day) — the due
//! day in front, then a hash of the rest — so however often the scheduler runs, and whatever
//! crashed in between, one reminder is one task ([`TaskId::of`]). Ids sort by due day.
//!
//! **Calls.** A call's outcome is recorded on the task with who called, when and in which slot
//! (a call before 09:00 counts in the morning slot, after 20:30 in the evening one); what comes
//! next is [`next_step`] (the 3×3×3 rule of 002): reached, an appointment or a refusal ends the
//! task; a wrong or dead number asks for a corrected one (recorded on the task, which continues);
//! the third unanswered slot — or the fourth day — sends the SMS through the outbox in the same
//! batch and records the failure. An appointment made on the call goes into the register in the
//! same batch (at least 3 hours ahead). A birthday call not answered is followed by the SMS at
//! once (call, else SMS).

use carclub_protocol::docs::MemberFile;
use carclub_shared::care::{
    Attempt, CallOutcome, CallSlot, CareRole, CareRules, Contact, LostClass, NextStep, Reminder,
    ReminderKind, VisitKind, appointment_ok, next_step,
};
use carclub_shared::projection::MemberState;
use carclub_shared::{MemberId, Phone, Role, StoreId, Timestamp, UserId, Vin};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use super::appointments::{self, Appointment, AppointmentId, AppointmentState};
use super::error::bad_text;
use super::outbox::{self, MessageId, MessageKind, NewMessage};
use super::scripts;
use super::{CareError, Unassignable};
use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::club::{now, text};
use crate::domain::fold::company_of;
use crate::domain::ledger;
use crate::domain::ops::mask;
use crate::domain::perm::{self, Op, Scope, Target};
use crate::storage::keys::{CARE_OPEN_TASKS, CARE_TASKS};
use crate::storage::{Batch, Order, StoreError};

/// A task's id: `YYYYMMDD-` and 16 hex digits of a hash of (store, member, kind, vehicle, due).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskId(String);

impl TaskId {
    /// The id of the task of `kind` for `member` of `store` about `vin`, first due on `due`.
    pub fn of(
        store: StoreId,
        member: MemberId,
        kind: ReminderKind,
        vin: Option<&Vin>,
        due: Date,
    ) -> Self {
        let mut h = Sha256::new();
        for part in [
            store.to_string(),
            member.to_string(),
            kind.as_str().to_owned(),
            vin.map(ToString::to_string).unwrap_or_default(),
            due.to_string(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let hash: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self(format!(
            "{:04}{:02}{:02}-{hash}",
            due.year(),
            u8::from(due.month()),
            due.day()
        ))
    }

    /// Reads an id from its text.
    pub fn parse(raw: &str) -> Result<Self, crate::domain::BadId> {
        let t = raw.trim();
        let ok = t.len() == 25
            && t.as_bytes()[8] == b'-'
            && t[..8].bytes().all(|b| b.is_ascii_digit())
            && t[9..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(crate::domain::BadId {
                what: "care task",
                raw: raw.chars().take(64).collect(),
            })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TaskId {
    type Error = crate::domain::BadId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TaskId> for String {
    fn from(id: TaskId) -> String {
        id.0
    }
}

impl utoipa::PartialSchema for TaskId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{8}-[0-9a-f]{16}$"))
            .description(Some(
                "A care task: its first due day (YYYYMMDD), then a hash of the store, member, kind and vehicle",
            ))
            .examples([serde_json::json!("20260301-3fa2b9c04d1e8a77")])
            .into()
    }
}

impl utoipa::ToSchema for TaskId {}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Still to be worked.
    Open,
    /// Finished: reached, an appointment made, or refused.
    Done,
    /// Unreachable (3×3×3, or a birthday call not answered): the SMS went out and the failure is
    /// recorded.
    Failed,
}

impl TaskState {
    /// The state as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Done => "done",
            TaskState::Failed => "failed",
        }
    }

    /// The state in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            TaskState::Open => "待处理",
            TaskState::Done => "已完成",
            TaskState::Failed => "已失败",
        }
    }
}

/// One call made on a task.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Call {
    pub at: Timestamp,
    /// The slot it counts in for the 3×3×3 rule.
    pub slot: CallSlot,
    pub outcome: CallOutcome,
    pub by: UserId,
    /// What the owner said (feedback after delivery or service, the reason of a refusal…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// The call back asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_back_at: Option<Timestamp>,
    /// The corrected number given after a wrong or dead one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_phone: Option<Phone>,
    /// The appointment booked on the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub appointment: Option<AppointmentId>,
}

/// A task given up: why, and the SMS sent instead.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failure {
    pub at: Timestamp,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: String,
    /// The SMS in the outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub message: Option<MessageId>,
}

/// A call task.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    pub id: TaskId,
    pub store: StoreId,
    pub member: MemberId,
    pub kind: ReminderKind,
    /// The vehicle it is about (none for birthday and renewal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vin: Option<Vin>,
    /// The first day it is due.
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    /// The last day it can be worked.
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub until: Date,
    /// Who works it: the care specialist, the sales consultant or the service advisor.
    pub by: CareRole,
    pub contact: Contact,
    /// When it must be done by (birthday: two hours after opening).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// A lost customer's class (002).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_class: Option<LostClass>,
    pub created_at: Timestamp,
    /// The staff member it is assigned to; anyone of the store who works calls when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    pub calls: Vec<Call>,
    pub state: TaskState,
    /// The outcome that ended it (done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CallOutcome>,
    /// A lost customer's cause of leaving, as they told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The number to call instead of the member's, after a wrong or dead one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// The renewal or reminder SMS sent with the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub message: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// Closed by the scheduler because the reminder no longer applies: the service file changed
    /// (the service was recorded, the membership renewed, the owner came back) while it was open.
    #[serde(default)]
    pub obsolete: bool,
}

impl Task {
    /// A new open task for `reminder` of `member` of `store`.
    pub fn new(store: StoreId, member: MemberId, reminder: &Reminder, at: Timestamp) -> Self {
        Self {
            id: TaskId::of(
                store,
                member,
                reminder.kind,
                reminder.vin.as_ref(),
                reminder.due,
            ),
            store,
            member,
            kind: reminder.kind,
            vin: reminder.vin.clone(),
            due: reminder.due,
            until: reminder.until,
            by: reminder.by,
            contact: reminder.contact,
            deadline: reminder.deadline(&CareRules::default()),
            lost_class: reminder.lost_class,
            created_at: at,
            assignee: None,
            calls: Vec::new(),
            state: TaskState::Open,
            outcome: None,
            cause: None,
            phone: None,
            message: None,
            failure: None,
            closed_at: None,
            obsolete: false,
        }
    }

    /// The day the calls could start: the due day, or the day the task was made when the
    /// scheduler made it later (the server was down). The 3×3×3 rule's three days count from it.
    pub fn first_due(&self) -> Date {
        self.due.max(self.created_at.date())
    }

    /// The calls as the 3×3×3 rule reads them.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.calls
            .iter()
            .map(|c| Attempt {
                at: c.at,
                slot: c.slot,
                outcome: c.outcome,
            })
            .collect()
    }

    /// What comes next at `now`: for a closed task, how it ended; for an open one, the 3×3×3
    /// rule's answer, where a corrected number already given means "call again".
    pub fn next(&self, now: Timestamp) -> NextStep {
        match self.state {
            TaskState::Done => NextStep::Done(self.outcome.unwrap_or(CallOutcome::Reached)),
            TaskState::Failed => NextStep::SendSmsAndFail,
            TaskState::Open => match next_step(self.first_due(), &self.attempts(), now) {
                NextStep::CorrectNumber
                    if self
                        .calls
                        .last()
                        .is_some_and(|c| c.corrected_phone.is_some()) =>
                {
                    NextStep::CallAgain {
                        avoid: Vec::new(),
                        by: plus_days(now.date(), 2),
                    }
                }
                step => step,
            },
        }
    }

    /// Open and past its last workable day (or its deadline) at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state == TaskState::Open
            && (now.date() > self.until || self.deadline.is_some_and(|d| now > d))
    }

    /// Workable on `day` (open, due, not past its last day).
    pub fn is_due_on(&self, day: Date) -> bool {
        self.state == TaskState::Open && self.due <= day && day <= self.until
    }
}

fn plus_days(day: Date, days: i64) -> Date {
    day.checked_add(time::Duration::days(days)).unwrap_or(day)
}

/// The slot a call at `at` counts in: the slot of the hour, or the nearest one outside calling
/// hours (before 09:00 the morning, from 20:30 the evening).
pub fn slot_at(at: Timestamp) -> CallSlot {
    CallSlot::of(at).unwrap_or_else(|| {
        let t = at.to_datetime().to_offset(carclub_shared::BUSINESS_OFFSET);
        if t.hour() < 12 {
            CallSlot::Morning
        } else {
            CallSlot::Evening
        }
    })
}

/// The last visit of a member's vehicle, for the task's summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastVisit {
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    pub kind: VisitKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub km: Option<u32>,
    /// The other store's name when it was done elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elsewhere: Option<String>,
}

/// What the caller needs to know of the member on the phone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CareMemberSummary)]
pub struct MemberSummary {
    pub name: String,
    /// The number to call (a corrected one when given), its middle masked for roles that do not
    /// see contacts — unless the viewer is the one to call (the open task is of her role, hers or
    /// nobody's yet); that view is audited (`view_care_task_contact`).
    pub phone: String,
    pub card: String,
    pub tier: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit: Option<LastVisit>,
    /// Slots the owner prefers to be called in (empty: any).
    pub call_slots: Vec<CallSlot>,
}

/// A task as the care staff see it: with the member's summary, the store's script for the kind
/// and what comes next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    #[serde(flatten)]
    pub task: Task,
    pub summary: MemberSummary,
    /// The store's script (话术) for the kind: the care manager's, or the default.
    pub script: String,
    pub next: NextStep,
    /// Open and past its last day or deadline.
    pub overdue: bool,
}

/// The member's summary for a task.
fn summary(
    file: Option<&MemberFile>,
    state: Option<&MemberState>,
    task: &Task,
    contact: bool,
) -> MemberSummary {
    let vehicle = state.and_then(|s| {
        let vs = &s.care.vehicles;
        task.vin
            .as_ref()
            .and_then(|vin| vs.iter().find(|v| &v.vin == vin))
            .or_else(|| vs.first())
    });
    let plate = task
        .vin
        .as_ref()
        .and_then(|vin| file?.vehicles.iter().find(|v| &v.vin == vin))
        .or_else(|| file?.vehicles.first())
        .map(|v| v.plate.to_string());
    let last_visit = vehicle
        .and_then(|v| v.visits.iter().max_by_key(|x| x.on))
        .map(|v| LastVisit {
            on: v.on,
            kind: v.kind,
            km: v.km,
            elsewhere: v.elsewhere.as_ref().map(|e| e.store.to_string()),
        });
    let phone = task
        .phone
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| file.map(|f| f.phone.to_string()))
        .unwrap_or_default();
    MemberSummary {
        name: file.map(|f| f.name.clone()).unwrap_or_default(),
        phone: if contact { phone } else { mask(&phone) },
        card: file.map(|f| f.card.to_string()).unwrap_or_default(),
        tier: file.map(|f| f.tier.clone()).unwrap_or_default(),
        status: file.map(|f| f.status.clone()).unwrap_or_default(),
        plate,
        model: vehicle.and_then(|v| v.facts.model.as_ref().map(ToString::to_string)),
        last_visit,
        call_slots: state
            .map(|s| s.care.person.call_slots.clone())
            .unwrap_or_default(),
    }
}

/// The task `task` as `p` sees it at `now`.
fn view(core: &Core, p: &Principal, task: Task, now: Timestamp) -> Result<TaskView, CareError> {
    let file = core.members.get(&task.member);
    let state = match file {
        Some(f) => ledger::state(core, &Batch::default(), task.member, f.store)?,
        None => None,
    };
    let sees = perm::check(p, Op::SeeContact, target(core, &task)).is_ok();
    let contact = sees || calls_it(core, p, &task);
    if contact && !sees {
        // The number is shown to the one who calls, beyond what the role sees elsewhere: the
        // view is audited as a view of the member's file is.
        audit::record_now(
            core.store.as_ref(),
            p,
            Entry {
                action: "view_care_task_contact",
                store: task.store,
                member: Some(task.member),
                detail: format!(
                    "{} {}",
                    task.id,
                    file.map(|f| f.name.as_str()).unwrap_or_default()
                ),
            },
        )?;
    }
    let script = scripts::text_for(core, task.store, task.kind)?;
    Ok(TaskView {
        summary: summary(file, state.as_ref(), &task, contact),
        script,
        next: task.next(now),
        overdue: task.is_overdue(now),
        task,
    })
}

/// Whether `p` is the one to call about `task`: it is open, of the tasks `p`'s role works, given
/// to `p` or to nobody yet, and `p` may work calls on its member. They see the number unmasked on
/// the task even when their role does not see contacts (a service advisor's follow-up).
fn calls_it(core: &Core, p: &Principal, task: &Task) -> bool {
    task.state == TaskState::Open
        && works(p.user.role, task.by)
        && task.assignee.is_none_or(|a| a == p.user.id)
        && perm::check(p, Op::WorkCalls, target(core, task)).is_ok()
}

/// What a task is done to, for the permission check.
fn target(core: &Core, task: &Task) -> Target {
    Target::member(task.store, task.member, company_of(core, task.member))
}

/// Which tasks a list wants, in what window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Open and workable today (due, not past the last day or deadline).
    Today,
    /// Open and past the last day or deadline.
    Overdue,
    /// Any.
    #[default]
    All,
}

/// Which tasks, and which page.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub store: Option<StoreId>,
    pub assignee: Option<UserId>,
    pub state: Option<TaskState>,
    pub when: When,
    pub kind: Option<ReminderKind>,
    pub member: Option<MemberId>,
    /// Only tasks after this one (the cursor of the previous page).
    pub after: Option<TaskId>,
}

/// The tasks `p` may see that match `filter`, in due order, at most `limit`; and the cursor of
/// the next page when there are more.
pub fn list(
    core: &Core,
    p: &Principal,
    filter: &TaskFilter,
    limit: usize,
) -> Result<(Vec<TaskView>, Option<TaskId>), CareError> {
    let scope = perm::check_any(p, Op::ViewCare)?;
    let now = now();
    let today = now.date();
    let after = filter.after.as_ref().map(|a| a.0.clone());
    let mut keep = |t: &Task| {
        visible(core, p, scope, t)
            && filter.store.is_none_or(|s| s == t.store)
            && filter.assignee.is_none_or(|u| Some(u) == t.assignee)
            && filter.state.is_none_or(|s| s == t.state)
            && filter.kind.is_none_or(|k| k == t.kind)
            && filter.member.is_none_or(|m| m == t.member)
            && match filter.when {
                When::All => true,
                When::Today => t.is_due_on(today) && !t.is_overdue(now),
                When::Overdue => t.is_overdue(now),
            }
    };
    // Today's and overdue tasks are open ones: those are read through the index of open tasks,
    // so a day's list does not read every task the store ever had.
    let open_only = filter.state == Some(TaskState::Open) || filter.when != When::All;
    let mut tasks: Vec<Task> = if open_only {
        let mut ids: Vec<String> = Vec::new();
        CARE_OPEN_TASKS.visit(core.store.as_ref(), Order::Forward, &mut |k, s: StoreId| {
            let id = &k[CARE_OPEN_TASKS.prefix().len()..];
            if filter.store.is_none_or(|f| f == s)
                && after.as_deref().is_none_or(|a| id > a.as_bytes())
            {
                ids.push(String::from_utf8_lossy(id).into_owned());
            }
            Ok(true)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if out.len() > limit {
                break;
            }
            if let Some(t) = CARE_TASKS.get::<Task>(core.store.as_ref(), &id)?
                && keep(&t)
            {
                out.push(t);
            }
        }
        out
    } else {
        CARE_TASKS.page(
            core.store.as_ref(),
            after.as_deref(),
            limit.saturating_add(1),
            &mut keep,
        )?
    };
    let next = if tasks.len() > limit {
        tasks.truncate(limit);
        tasks.last().map(|t| t.id.clone())
    } else {
        None
    };
    let views = tasks
        .into_iter()
        .map(|t| view(core, p, t, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, next))
}

/// Whether `role` works tasks of `by`: sales consultants (field staff) their delivery
/// follow-ups, service advisors their service follow-ups; customer care and managers every task.
pub fn works(role: Role, by: CareRole) -> bool {
    match role {
        Role::FieldStaff => by == CareRole::Sales,
        Role::ServiceAdvisor => by == CareRole::Advisor,
        _ => true,
    }
}

/// Whether `task` is within `scope` for `p`, and of the tasks `p`'s role works.
fn visible(core: &Core, p: &Principal, scope: Scope, task: &Task) -> bool {
    works(p.user.role, task.by)
        && perm::within_member(
            p,
            scope,
            task.store,
            task.member,
            company_of(core, task.member),
        )
}

/// The task `id`, if on file and `p` may do `op` to it.
fn load(core: &Core, p: &Principal, id: &TaskId, op: Op) -> Result<Task, CareError> {
    let task: Task = CARE_TASKS
        .get(core.store.as_ref(), id.as_str())?
        .ok_or_else(|| CareError::TaskNotFound(id.clone()))?;
    perm::check(p, op, target(core, &task))?;
    if !works(p.user.role, task.by) {
        return Err(CareError::NotYourCalls {
            task: task.id,
            by: task.by,
        });
    }
    Ok(task)
}

/// One task as `p` sees it.
pub fn get(core: &Core, p: &Principal, id: &TaskId) -> Result<TaskView, CareError> {
    let task = load(core, p, id, Op::ViewCare)?;
    view(core, p, task, now())
}

/// Assigns task `id` to `user`: staff of the task's store whose role works calls (the care
/// manager's decision).
pub fn assign(
    core: &mut Core,
    p: &Principal,
    id: &TaskId,
    user: UserId,
) -> Result<TaskView, CareError> {
    let mut task = load(core, p, id, Op::ManageCare)?;
    let u = core
        .accounts
        .user(user)?
        .ok_or(CareError::UnknownUser(user))?;
    let refuse = |why| CareError::NotAssignable {
        user,
        name: u.name.clone(),
        why,
    };
    if u.disabled {
        return Err(refuse(Unassignable::Disabled));
    }
    if u.role == Role::Member {
        return Err(refuse(Unassignable::Member));
    }
    if u.store != task.store && perm::scope(u.role, Op::WorkCalls) != Scope::Group {
        return Err(refuse(Unassignable::OtherStore));
    }
    if perm::scope(u.role, Op::WorkCalls) == Scope::None || !works(u.role, task.by) {
        return Err(refuse(Unassignable::NoCalls));
    }
    if task.state != TaskState::Open {
        return Err(CareError::TaskClosed {
            task: task.id.clone(),
            state: task.state,
        });
    }
    task.assignee = Some(user);
    let mut batch = Batch::default();
    put(&mut batch, &task)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "care_task_assigned",
            store: task.store,
            member: Some(task.member),
            detail: format!(
                "task {} ({}) to {}",
                task.id,
                task.kind.as_str(),
                u.username
            ),
        },
    )?;
    core.commit(batch, Vec::new())?;
    view(core, p, task, now())
}

/// Writes `task` and keeps the index of open tasks in step.
pub(crate) fn put(batch: &mut Batch, task: &Task) -> Result<(), StoreError> {
    CARE_TASKS.put(batch, task.id.as_str(), task)?;
    if task.state == TaskState::Open {
        CARE_OPEN_TASKS.put(batch, task.id.as_str(), &task.store)
    } else {
        CARE_OPEN_TASKS.delete(batch, task.id.as_str());
        Ok(())
    }
}

/// What the caller says a call came to.
#[derive(Debug, Clone)]
pub struct CallReport {
    pub outcome: CallOutcome,
    pub feedback: Option<String>,
    /// For an appointment: when.
    pub appointment_at: Option<Timestamp>,
    /// For an appointment: what for (the task's kind when absent).
    pub purpose: Option<String>,
    /// For a call back: when.
    pub call_back_at: Option<Timestamp>,
    /// For a wrong or dead number: the corrected one, when known.
    pub corrected_phone: Option<Phone>,
    /// For a lost customer: why they stopped coming.
    pub cause: Option<String>,
}

/// Checks that the fields of `r` go with its outcome (and that those it needs are there).
fn check_fields(task: &Task, r: &CallReport) -> Result<(), CareError> {
    let o = r.outcome;
    let needs = |field| CareError::OutcomeNeedsField { outcome: o, field };
    let not_for = |field| CareError::FieldNotForOutcome { outcome: o, field };
    match (o, r.appointment_at.is_some()) {
        (CallOutcome::Appointment, false) => return Err(needs("\"appointment_at\"")),
        (CallOutcome::Appointment, true) => {}
        (_, true) => return Err(not_for("\"appointment_at\"")),
        _ => {}
    }
    if o != CallOutcome::Appointment && r.purpose.is_some() {
        return Err(not_for("\"purpose\""));
    }
    match (o, r.call_back_at.is_some()) {
        (CallOutcome::CallBack, false) => return Err(needs("\"call_back_at\"")),
        (CallOutcome::CallBack, true) => {}
        (_, true) => return Err(not_for("\"call_back_at\"")),
        _ => {}
    }
    if o != CallOutcome::WrongNumber && r.corrected_phone.is_some() {
        return Err(not_for("\"corrected_phone\""));
    }
    if r.cause.is_some() && task.kind != ReminderKind::Lost {
        return Err(CareError::CauseNotLost {
            task: task.id.clone(),
        });
    }
    if task.kind == ReminderKind::Lost
        && matches!(o, CallOutcome::Reached | CallOutcome::Refused)
        && r.cause.is_none()
    {
        return Err(CareError::CauseRequired {
            task: task.id.clone(),
        });
    }
    if r.cause.is_some()
        && !matches!(
            o,
            CallOutcome::Reached | CallOutcome::Refused | CallOutcome::Appointment
        )
    {
        return Err(not_for("\"cause\""));
    }
    Ok(())
}

/// Records a call on task `id` by `p` at the club's clock: the outcome with what goes with it.
/// An appointment is booked in the register, an exhausted 3×3×3 (or an unanswered birthday call)
/// sends the SMS and fails the task — all in one batch with the audit record.
pub fn call(
    core: &mut Core,
    p: &Principal,
    id: &TaskId,
    mut report: CallReport,
) -> Result<TaskView, CareError> {
    report.feedback = report
        .feedback
        .map(|f| text::<500>(&f))
        .transpose()
        .map_err(bad_text("\"feedback\""))?;
    report.cause = report
        .cause
        .map(|c| text::<200>(&c))
        .transpose()
        .map_err(bad_text("\"cause\""))?;
    report.purpose = report
        .purpose
        .map(|c| text::<100>(&c))
        .transpose()
        .map_err(bad_text("\"purpose\""))?;
    let mut task = load(core, p, id, Op::WorkCalls)?;
    if task.state != TaskState::Open {
        return Err(CareError::TaskClosed {
            task: task.id.clone(),
            state: task.state,
        });
    }
    check_fields(&task, &report)?;
    let now = now();
    if let Some(at) = report.call_back_at
        && at <= now
    {
        return Err(CareError::CallBackInPast { at, now });
    }
    let mut batch = Batch::default();
    let mut appointment = None;
    if let Some(at) = report.appointment_at {
        appointment_ok(now, at)?;
        appointments::check_horizon(now, at)?;
        let vin = task.vin.clone().or_else(|| {
            core.members
                .get(&task.member)
                .and_then(|f| f.vehicles.first().map(|v| v.vin.clone()))
        });
        let a = Appointment {
            id: AppointmentId::new(),
            store: task.store,
            member: task.member,
            vin,
            at,
            purpose: report
                .purpose
                .clone()
                .unwrap_or_else(|| task.kind.zh().to_owned()),
            task: Some(task.id.clone()),
            booked_by: p.user.id,
            booked_at: now,
            state: AppointmentState::Booked,
            changed_at: None,
            changed_by: None,
        };
        appointments::put(&mut batch, &a)?;
        appointment = Some(a.id);
    }
    if let Some(phone) = &report.corrected_phone {
        task.phone = Some(phone.clone());
    }
    if let Some(cause) = &report.cause {
        task.cause = Some(cause.clone());
    }
    task.calls.push(Call {
        at: now,
        slot: slot_at(now),
        outcome: report.outcome,
        by: p.user.id,
        feedback: report.feedback,
        call_back_at: report.call_back_at,
        corrected_phone: report.corrected_phone,
        appointment,
    });
    let step = if task.contact == Contact::CallThenSms
        && matches!(
            report.outcome,
            CallOutcome::NoAnswer | CallOutcome::WrongNumber
        ) {
        NextStep::SendSmsAndFail
    } else {
        next_step(task.first_due(), &task.attempts(), now)
    };
    match step {
        NextStep::Done(o) => {
            task.state = TaskState::Done;
            task.outcome = Some(o);
            task.closed_at = Some(now);
        }
        NextStep::SendSmsAndFail => fail(core, &mut batch, &mut task, now)?,
        NextStep::CallAgain { .. } | NextStep::CorrectNumber => {}
    }
    put(&mut batch, &task)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "care_call",
            store: task.store,
            member: Some(task.member),
            detail: format!(
                "task {} ({}): {}{}",
                task.id,
                task.kind.as_str(),
                report.outcome.as_str(),
                match task.state {
                    TaskState::Failed => ", failed: SMS sent",
                    _ => "",
                }
            ),
        },
    )?;
    core.commit(batch, Vec::new())?;
    tracing::info!(user = %p.user.username, task = %task.id, outcome = report.outcome.as_str(), state = task.state.as_str(), "care call recorded");
    view(core, p, task, now)
}

/// Gives `task` up at `now`: the SMS goes into the outbox in `batch` (once: its key names the
/// task) and the failure is recorded.
pub(crate) fn fail(
    core: &Core,
    batch: &mut Batch,
    task: &mut Task,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (reason, reason_zh) = if task.contact == Contact::CallThenSms {
        (
            "not reached by phone: greeted by SMS".to_owned(),
            "电话未联系上：已改发短信".to_owned(),
        )
    } else {
        (
            "unreachable after three calls in three different slots within three days: reminded by SMS".to_owned(),
            "三日内三个不同时间段三次致电均未接通：已发短信提醒".to_owned(),
        )
    };
    let message = sms(
        core,
        batch,
        task,
        MessageKind::Unreachable,
        "care-unreachable",
    )?;
    task.state = TaskState::Failed;
    task.closed_at = Some(now);
    task.failure = Some(Failure {
        at: now,
        reason,
        reason_zh,
        message,
    });
    Ok(())
}

/// Enqueues the SMS of `task` under the key `<prefix>:<task id>` in `batch`; the message id, or
/// `None` when it was enqueued before or the member is not on file.
pub(crate) fn sms(
    core: &Core,
    batch: &mut Batch,
    task: &Task,
    kind: MessageKind,
    prefix: &str,
) -> Result<Option<MessageId>, StoreError> {
    let Some(file) = core.members.get(&task.member) else {
        return Ok(None);
    };
    let store_name = core
        .accounts
        .store_record(task.store)?
        .map(|s| s.name)
        .unwrap_or_default();
    let plate = task
        .vin
        .as_ref()
        .and_then(|vin| file.vehicles.iter().find(|v| &v.vin == vin))
        .map(|v| v.plate.to_string());
    let text = scripts::sms_text(
        &store_name,
        &file.name,
        task.kind,
        plate.as_deref(),
        task.due,
    );
    let mut params = vec![
        ("name".to_owned(), file.name.clone()),
        ("kind".to_owned(), task.kind.zh().to_owned()),
        ("due".to_owned(), task.due.to_string()),
    ];
    if let Some(plate) = plate {
        params.push(("plate".to_owned(), plate));
    }
    outbox::enqueue(
        batch,
        core,
        NewMessage {
            key: format!("{prefix}:{}", task.id),
            store: task.store,
            member: Some(task.member),
            phone: task.phone.clone().unwrap_or_else(|| file.phone.clone()),
            kind,
            text,
            template: Some(format!("care_{}", task.kind.as_str())),
            params,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn a_task_id_is_its_identity_and_sorts_by_due_day() {
        let (store, member) = (StoreId::new(), MemberId::new());
        let vin = Vin::parse("LSVAU2180N0000001").unwrap();
        let a = TaskId::of(
            store,
            member,
            ReminderKind::FirstService,
            Some(&vin),
            day(2026, 3, 1),
        );
        let b = TaskId::of(
            store,
            member,
            ReminderKind::FirstService,
            Some(&vin),
            day(2026, 3, 1),
        );
        assert_eq!(a, b);
        assert!(a.as_str().starts_with("20260301-"));
        assert_eq!(TaskId::parse(a.as_str()).unwrap(), a);
        let other_day = TaskId::of(
            store,
            member,
            ReminderKind::FirstService,
            Some(&vin),
            day(2026, 3, 2),
        );
        let other_kind = TaskId::of(
            store,
            member,
            ReminderKind::RegularService,
            Some(&vin),
            day(2026, 3, 1),
        );
        let no_vin = TaskId::of(
            store,
            member,
            ReminderKind::FirstService,
            None,
            day(2026, 3, 1),
        );
        assert!(a < other_day);
        assert_ne!(a, other_kind);
        assert_ne!(a, no_vin);
        assert!(TaskId::parse("20260301-XYZ").is_err());
        assert!(TaskId::parse("").is_err());
        assert!(TaskId::parse("2026030A-3fa2b9c04d1e8a77").is_err());
    }

    #[test]
    fn calls_outside_calling_hours_count_in_the_nearest_slot() {
        let at = |h: u8, m: u8| {
            Timestamp::from_datetime(
                day(2026, 3, 2)
                    .with_hms(h, m, 0)
                    .unwrap()
                    .assume_offset(carclub_shared::BUSINESS_OFFSET),
            )
        };
        assert_eq!(slot_at(at(8, 40)), CallSlot::Morning);
        assert_eq!(slot_at(at(9, 0)), CallSlot::Morning);
        assert_eq!(slot_at(at(13, 0)), CallSlot::Midday);
        assert_eq!(slot_at(at(15, 0)), CallSlot::Afternoon);
        assert_eq!(slot_at(at(19, 0)), CallSlot::Evening);
        assert_eq!(slot_at(at(21, 0)), CallSlot::Evening);
    }

    mod calls {
        use std::sync::Arc;

        use carclub_protocol::docs::VehicleEntry;
        use carclub_shared::{CardNo, DeviceId, Money, Plate};

        use super::super::*;
        use crate::domain::auth::{Assignment, User};
        use crate::domain::care::scheduler;
        use crate::storage::keys::OUTBOX_KEYS;
        use crate::storage::{SledStore, Store};

        struct World {
            _dir: tempfile::TempDir,
            core: Core,
            store: StoreId,
            member: MemberId,
            care: Principal,
        }

        fn world() -> World {
            let dir = tempfile::tempdir().unwrap();
            let s: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
            let mut core = Core::open(s).unwrap();
            let store = StoreId::new();
            let vin = Vin::parse("LSVAU2180N0000001").unwrap();
            let card = CardNo::parse("A-0001").unwrap();
            let file = MemberFile {
                id: MemberId::new(),
                store,
                name: "陈静".into(),
                phone: Phone::parse("13900000001").unwrap(),
                tier: "guest".into(),
                status: "active".into(),
                card: card.clone(),
                vehicles: vec![VehicleEntry {
                    vin,
                    plate: Plate::parse("粤B00001").unwrap(),
                    card,
                }],
                fee: Money::ZERO,
                receipt: None,
                channel: "purchase".into(),
                enrolled_at: Timestamp::from_millis(0),
                enrolled_by: UserId::new(),
                enrolled_on: DeviceId::new(),
                events: Vec::new(),
                conflicts: Vec::new(),
                company: None,
            };
            let member = file.id;
            core.members.insert(member, file);
            let care = Principal {
                user: User {
                    id: UserId::new(),
                    username: "care".into(),
                    name: "客服".into(),
                    role: Role::CareSpecialist,
                    store,
                    password_hash: String::new(),
                    disabled: false,
                },
                device: None,
                member: None,
                assignment: Assignment::Store,
            };
            World {
                _dir: dir,
                core,
                store,
                member,
                care,
            }
        }

        /// An open task of `kind` first due `days_ago` days before today, made then.
        fn task(w: &mut World, kind: ReminderKind, contact: Contact, days_ago: i64) -> TaskId {
            let now = now();
            let due = plus_days(now.date(), -days_ago);
            let r = Reminder {
                kind,
                vin: None,
                due,
                until: plus_days(due, 30),
                by: CareRole::Specialist,
                contact,
                deadline_hours_after_opening: None,
                lost_class: None,
            };
            let t = Task::new(w.store, w.member, &r, Timestamp::start_of(due));
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();
            t.id
        }

        fn report(outcome: CallOutcome) -> CallReport {
            CallReport {
                outcome,
                feedback: None,
                appointment_at: None,
                purpose: None,
                call_back_at: None,
                corrected_phone: None,
                cause: None,
            }
        }

        fn messages(w: &World) -> usize {
            OUTBOX_KEYS
                .all::<crate::domain::care::outbox::MessageId>(w.core.store.as_ref())
                .unwrap()
                .len()
        }

        #[test]
        fn a_corrected_number_is_recorded_and_the_task_goes_on_with_it() {
            let mut w = world();
            let id = task(&mut w, ReminderKind::FirstService, Contact::Call, 0);
            let care = w.care.clone();
            let v = call(
                &mut w.core,
                &care,
                &id,
                CallReport {
                    corrected_phone: Some(Phone::parse("13800138000").unwrap()),
                    ..report(CallOutcome::WrongNumber)
                },
            )
            .unwrap();
            assert_eq!(v.task.state, TaskState::Open);
            assert_eq!(v.summary.phone, "13800138000");
            assert!(matches!(v.next, NextStep::CallAgain { .. }), "{:?}", v.next);
            let v = call(&mut w.core, &care, &id, report(CallOutcome::WrongNumber)).unwrap();
            assert_eq!(v.next, NextStep::CorrectNumber);
        }

        #[test]
        fn the_advisor_who_calls_sees_the_number_of_her_follow_up_and_the_view_is_audited() {
            use crate::domain::audit::AuditRecord;
            use crate::storage::keys::AUDIT;
            let mut w = world();
            let due = now().date();
            let r = Reminder {
                kind: ReminderKind::ServiceFollowUp48h,
                vin: None,
                due,
                until: plus_days(due, 3),
                by: CareRole::Advisor,
                contact: Contact::Call,
                deadline_hours_after_opening: None,
                lost_class: None,
            };
            let mut t = Task::new(w.store, w.member, &r, Timestamp::start_of(due));
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();
            let views = |w: &World| {
                AUDIT
                    .all::<AuditRecord>(w.core.store.as_ref())
                    .unwrap()
                    .into_iter()
                    .filter(|a| a.action == "view_care_task_contact")
                    .collect::<Vec<_>>()
            };
            let mut advisor = w.care.clone();
            advisor.user.id = UserId::new();
            advisor.user.role = Role::ServiceAdvisor;
            // The advisor has no see_contact, yet her follow-up shows the number…
            assert!(perm::check(&advisor, Op::SeeContact, target(&w.core, &t)).is_err());
            let v = get(&w.core, &advisor, &t.id).unwrap();
            assert_eq!(v.summary.phone, "13900000001");
            // …and the view is audited with who saw whose number.
            let audited = views(&w);
            assert_eq!(audited.len(), 1);
            assert_eq!(audited[0].user, advisor.user.id);
            assert_eq!(audited[0].member, Some(w.member));
            let (listed, _) = list(&w.core, &advisor, &TaskFilter::default(), 10).unwrap();
            assert_eq!(listed[0].summary.phone, "13900000001");
            assert_eq!(views(&w).len(), 2);
            // The specialist sees contacts anyway: nothing more is audited for her.
            get(&w.core, &w.care, &t.id).unwrap();
            assert_eq!(views(&w).len(), 2);
            // Given to another advisor, the task shows her the number masked.
            t.assignee = Some(UserId::new());
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();
            let v = get(&w.core, &advisor, &t.id).unwrap();
            assert_ne!(v.summary.phone, "13900000001");
            assert_eq!(views(&w).len(), 2);
            // Given to her, and once done, the number is masked again.
            t.assignee = Some(advisor.user.id);
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();
            assert_eq!(
                get(&w.core, &advisor, &t.id).unwrap().summary.phone,
                "13900000001"
            );
            t.state = TaskState::Done;
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();
            assert_ne!(
                get(&w.core, &advisor, &t.id).unwrap().summary.phone,
                "13900000001"
            );
            // An advisor of another store sees nothing of it.
            let mut other = advisor.clone();
            other.user.store = StoreId::new();
            assert!(get(&w.core, &other, &t.id).is_err());
        }

        #[test]
        fn an_unanswered_birthday_call_is_followed_by_the_sms_at_once() {
            let mut w = world();
            let id = task(&mut w, ReminderKind::Birthday, Contact::CallThenSms, 0);
            let care = w.care.clone();
            let v = call(&mut w.core, &care, &id, report(CallOutcome::NoAnswer)).unwrap();
            assert_eq!(v.task.state, TaskState::Failed);
            assert!(v.task.failure.as_ref().is_some_and(|f| f.message.is_some()));
            assert_eq!(messages(&w), 1);
        }

        #[test]
        fn a_refused_call_changes_nothing() {
            let mut w = world();
            let id = task(&mut w, ReminderKind::FirstService, Contact::Call, 0);
            let care = w.care.clone();
            let past = Timestamp::from_millis(now().millis() - 60_000);
            let e = call(
                &mut w.core,
                &care,
                &id,
                CallReport {
                    call_back_at: Some(past),
                    ..report(CallOutcome::CallBack)
                },
            )
            .unwrap_err();
            assert!(matches!(e, CareError::CallBackInPast { .. }), "{e:?}");
            let e = call(
                &mut w.core,
                &care,
                &id,
                CallReport {
                    cause: Some("价格".into()),
                    ..report(CallOutcome::Reached)
                },
            )
            .unwrap_err();
            assert!(matches!(e, CareError::CauseNotLost { .. }), "{e:?}");
            let t = get(&w.core, &care, &id).unwrap();
            assert!(t.task.calls.is_empty());
            assert_eq!(t.task.state, TaskState::Open);
            // Another store's specialist, and a sales consultant, are refused.
            let mut other = care.clone();
            other.user.store = StoreId::new();
            assert!(matches!(
                call(&mut w.core, &other, &id, report(CallOutcome::Reached)),
                Err(CareError::Denied(_))
            ));
            let mut sales = care.clone();
            sales.user.role = Role::FieldStaff;
            assert!(matches!(
                call(&mut w.core, &sales, &id, report(CallOutcome::Reached)),
                Err(CareError::NotYourCalls { .. })
            ));
        }

        #[test]
        fn a_run_fails_an_unanswered_task_whose_three_days_passed_once() {
            let mut w = world();
            let id = task(&mut w, ReminderKind::RegularService, Contact::Call, 5);
            let care = w.care.clone();
            // One unanswered call made on the first day, written as it was.
            let mut t: Task = CARE_TASKS
                .get(w.core.store.as_ref(), id.as_str())
                .unwrap()
                .unwrap();
            let first =
                Timestamp::from_millis(Timestamp::start_of(t.due).millis() + 10 * 3_600_000);
            t.calls.push(Call {
                at: first,
                slot: slot_at(first),
                outcome: CallOutcome::NoAnswer,
                by: care.user.id,
                feedback: None,
                call_back_at: None,
                corrected_phone: None,
                appointment: None,
            });
            let mut batch = Batch::default();
            put(&mut batch, &t).unwrap();
            w.core.commit(batch, Vec::new()).unwrap();

            let r = scheduler::run(&mut w.core, Some(w.store), now()).unwrap();
            assert_eq!(r.tasks_failed, 1);
            let t = get(&w.core, &care, &id).unwrap();
            assert_eq!(t.task.state, TaskState::Failed);
            assert_eq!(messages(&w), 1);
            let again = scheduler::run(&mut w.core, Some(w.store), now()).unwrap();
            assert_eq!(again.tasks_failed, 0);
            assert_eq!(messages(&w), 1);
        }
    }
}
