//! Complaints (DOMAIN.md §6, handbooks 001, 003): filed, escalated, answered (late answers
//! flagged) and closed.
//!
//! The rules are `carclub_shared::complaints`: each level has an owner role ([`Level::owner`]), the
//! answer is due [`carclub_shared::complaints::ANSWER_DAYS`] days after filing
//! ([`answer_deadline`]), escalation goes only upwards, a role answers and closes what its rung of
//! the seniority ladder or a lower one owns ([`Role::may_handle_complaint_owned_by`]), and a
//! complaint is closed only once answered. Moments may be backdated (a letter or the comments book
//! keyed in later) by the same rule as operations (`carclub_shared::dating::moment`).
//!
//! Complaints live in [`COMPLAINTS`] by id, each change written in one batch with its audit record
//! while the core is locked, so two requests cannot both pass a check before either is written.

use carclub_shared::complaints::{
    Analysis, Channel, ComplaintError as StepRefused, ComplaintState, Filed, Level, Month, analyse,
    answer_deadline,
};
use carclub_shared::dating::DatingError;
use carclub_shared::{Event, MemberId, ParseError, Role, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::club::{member_store, moment, now, save, text};
use super::fold::company_of;
use super::perm::{self, Op, Target};
use crate::storage::keys::COMPLAINTS;
use crate::storage::{Batch, StoreError};

record_id!(
    /// A complaint.
    ComplaintId,
    "complaint"
);

/// A step up in level.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Escalation {
    pub from: Level,
    pub to: Level,
    pub at: Timestamp,
    pub by: UserId,
    pub reason: String,
}

/// The answer given to the complainant.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub text: String,
    pub at: Timestamp,
    pub by: UserId,
    /// Given after the deadline.
    pub late: bool,
}

/// A complaint on file.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Complaint {
    #[schema(value_type = uuid::Uuid)]
    pub id: ComplaintId,
    pub store: StoreId,
    pub member: Option<MemberId>,
    pub channel: Channel,
    pub level: Level,
    /// The role that owns it now.
    pub owner: Role,
    pub text: String,
    pub filed_at: Timestamp,
    pub filed_by: UserId,
    /// When the answer is due.
    pub deadline: Timestamp,
    pub escalations: Vec<Escalation>,
    pub answer: Option<Answer>,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<UserId>,
}

impl Complaint {
    /// A complaint just filed: owned by its level's owner, due [`answer_deadline`] after filing.
    fn filed(
        id: ComplaintId,
        store: StoreId,
        member: Option<MemberId>,
        (channel, level, text): (Channel, Level, String),
        filed_at: Timestamp,
        filed_by: UserId,
    ) -> Self {
        Complaint {
            id,
            store,
            member,
            channel,
            level,
            owner: ComplaintState::filed(level, filed_at).owner(),
            text,
            filed_at,
            filed_by,
            deadline: answer_deadline(filed_at),
            escalations: Vec::new(),
            answer: None,
            closed_at: None,
            closed_by: None,
        }
    }

    /// The part of the complaint its rules look at.
    pub fn state(&self) -> ComplaintState {
        ComplaintState {
            level: self.level,
            filed_at: self.filed_at,
            deadline: self.deadline,
            answered_at: self.answer.as_ref().map(|a| a.at),
            closed_at: self.closed_at,
        }
    }

    /// Not closed yet.
    pub fn is_open(&self) -> bool {
        self.state().is_open()
    }

    /// Open, unanswered and past its deadline at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state().is_overdue(now)
    }
}

/// A new complaint.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub channel: Channel,
    pub level: Level,
    pub text: String,
    /// Whom it is about; a member's own login files about themselves.
    pub member: Option<MemberId>,
    /// When it was received, if keyed in later.
    pub filed_at: Option<Timestamp>,
}

/// Which complaints a listing wants, and from where.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub open: Option<bool>,
    pub overdue: Option<bool>,
    pub level: Option<Level>,
    pub owner: Option<Role>,
    pub member: Option<MemberId>,
    pub channel: Option<Channel>,
    /// Only complaints of this store.
    pub store: Option<StoreId>,
    /// Only complaints filed after this one (the cursor of the previous page).
    pub after: Option<ComplaintId>,
}

/// A step in a complaint's life.
#[derive(Debug, Clone)]
pub enum Step {
    /// Raise the level, with the reason.
    Escalate { level: Level, reason: String },
    /// Give the answer.
    Answer { text: String },
    /// Close it (answered).
    Close,
}

/// Why a complaint operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    #[error("{field}: {source}")]
    BadText {
        field: &'static str,
        #[source]
        source: ParseError,
    },
    #[error("{field}: {source}")]
    BadMoment {
        field: &'static str,
        #[source]
        source: DatingError,
    },
    #[error("member {0} is not on file")]
    UnknownMember(MemberId),
    #[error("complaint {0} is not on file")]
    NotFound(ComplaintId),
    #[error("complaint {complaint} is closed")]
    Closed { complaint: ComplaintId },
    #[error(
        "complaint {complaint} is already at level {}; escalate only to a higher level",
        current.as_str()
    )]
    NotHigher {
        complaint: ComplaintId,
        current: Level,
        requested: Level,
    },
    #[error(
        "a {} complaint is owned by the {owner}; your role ({role}) cannot answer or close it",
        level.as_str()
    )]
    NotOwner {
        complaint: ComplaintId,
        level: Level,
        owner: Role,
        role: Role,
    },
    #[error("complaint {complaint} is already answered")]
    AlreadyAnswered { complaint: ComplaintId },
    #[error("the answer cannot be dated before the complaint was filed")]
    AnswerBeforeFiling { complaint: ComplaintId },
    #[error("complaint {complaint} has no answer yet; answer it before closing")]
    NotAnswered { complaint: ComplaintId },
    #[error("the complaint cannot be closed before it was answered")]
    CloseBeforeAnswer { complaint: ComplaintId },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ComplaintError {
    /// A step of complaint `complaint` refused by the shared rules.
    fn refused(complaint: ComplaintId, e: StepRefused) -> Self {
        match e {
            StepRefused::Closed => Self::Closed { complaint },
            StepRefused::NotHigher { current, requested } => Self::NotHigher {
                complaint,
                current,
                requested,
            },
            StepRefused::NotOwner { level, owner, role } => Self::NotOwner {
                complaint,
                level,
                owner,
                role,
            },
            StepRefused::AlreadyAnswered => Self::AlreadyAnswered { complaint },
            StepRefused::AnswerBeforeFiling => Self::AnswerBeforeFiling { complaint },
            StepRefused::Unanswered => Self::NotAnswered { complaint },
            StepRefused::CloseBeforeAnswer => Self::CloseBeforeAnswer { complaint },
        }
    }
}

fn bad_text(field: &'static str) -> impl FnOnce(ParseError) -> ComplaintError {
    move |source| ComplaintError::BadText { field, source }
}

fn bad_moment(field: &'static str) -> impl FnOnce(DatingError) -> ComplaintError {
    move |source| ComplaintError::BadMoment { field, source }
}

/// What `p` may do to complaints about `member` of `store`.
fn target(core: &Core, store: StoreId, member: Option<MemberId>) -> Target {
    match member {
        Some(m) => Target::member(store, m, company_of(core, m)),
        None => Target::store(store),
    }
}

/// Files a complaint: about the member named, about the caller when a member files, or about
/// nobody; owned by its level's owner, due [`answer_deadline`] after filing.
pub fn file(
    core: &mut Core,
    p: &Principal,
    req: NewComplaint,
) -> Result<Complaint, ComplaintError> {
    let text = text::<2000>(&req.text).map_err(bad_text("the complaint text"))?;
    let filed_at = moment(req.filed_at).map_err(bad_moment("\"filed_at\""))?;
    // A member files about themselves; staff may name any member of their scope, or nobody.
    let member = req.member.or(if p.user.role == Role::Member {
        p.member
    } else {
        None
    });
    let store = match member {
        Some(m) => member_store(core, m).ok_or(ComplaintError::UnknownMember(m))?,
        None => p.user.store,
    };
    perm::check(p, Op::FileComplaint, target(core, store, member))?;
    let c = Complaint::filed(
        ComplaintId::new(),
        store,
        member,
        (req.channel, req.level, text),
        filed_at,
        p.user.id,
    );
    save(
        core,
        Batch::default(),
        p,
        (&COMPLAINTS, &c.id.0),
        &c,
        Entry {
            action: "complaint_filed",
            store,
            member,
            detail: format!("complaint {} ({})", c.id, c.level.as_str()),
        },
        Vec::new(),
    )?;
    tracing::info!(user = %p.user.username, complaint = %c.id, "complaint filed");
    Ok(c)
}

/// A complaint a member wrote on their phone (`complaint_filed`), as the fold passes it on.
#[derive(Debug, Clone)]
pub struct Filing {
    pub store: StoreId,
    pub member: MemberId,
    pub channel: Channel,
    pub level: Level,
    pub text: String,
}

/// Files the complaint of a `complaint_filed` event (after the fold's permission check) under
/// the event's id, so an event uploaded again files nothing more; dated when it was written on
/// the phone, with its audit record, in the fold's batch.
pub(crate) fn fold_filed(
    core: &Core,
    p: &Principal,
    event: &Event,
    f: Filing,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let id = ComplaintId(event.id.0);
    if COMPLAINTS
        .get_through::<Complaint>(core.store.as_ref(), batch, &id.0)?
        .is_some()
    {
        return Ok(());
    }
    let c = Complaint::filed(
        id,
        f.store,
        Some(f.member),
        (f.channel, f.level, f.text),
        event.at,
        event.author,
    );
    COMPLAINTS.put(batch, &id.0, &c)?;
    audit::record(
        core.store.as_ref(),
        batch,
        p,
        Entry {
            action: "complaint_filed",
            store: f.store,
            member: Some(f.member),
            detail: format!(
                "complaint {} ({}, from the member's phone)",
                c.id,
                c.level.as_str()
            ),
        },
    )
}

/// The complaints `p` may see that match `filter`, in id (filing) order, at most `limit`; and the
/// id to pass as `after` for the next page when there are more.
pub fn list(
    core: &Core,
    p: &Principal,
    filter: &ComplaintFilter,
    limit: usize,
) -> Result<(Vec<Complaint>, Option<ComplaintId>), ComplaintError> {
    let scope = perm::check_any(p, Op::ViewComplaints)?;
    let now = now();
    let after = filter.after.map(|a| a.0);
    let mut list: Vec<Complaint> = COMPLAINTS.page(
        core.store.as_ref(),
        after.as_ref(),
        limit.saturating_add(1),
        &mut |c: &Complaint| {
            perm::within(p, scope, c.store, c.member)
                && filter.open.is_none_or(|o| o == c.is_open())
                && filter.overdue.is_none_or(|o| o == c.is_overdue(now))
                && filter.level.is_none_or(|l| l == c.level)
                && filter.owner.is_none_or(|r| r == c.owner)
                && filter.member.is_none_or(|m| Some(m) == c.member)
                && filter.channel.is_none_or(|ch| ch == c.channel)
                && filter.store.is_none_or(|s| s == c.store)
        },
    )?;
    let next = if list.len() > limit {
        list.truncate(limit);
        list.last().map(|c| c.id)
    } else {
        None
    };
    Ok((list, next))
}

/// The monthly analysis of the complaints `p` may see (of `store` only, when named) filed in
/// `month`, beside the month before, as they stand now. The arithmetic is
/// [`carclub_shared::complaints::analyse`].
pub fn analysis(
    core: &Core,
    p: &Principal,
    month: Month,
    store: Option<StoreId>,
) -> Result<Analysis, ComplaintError> {
    let scope = perm::check_any(p, Op::ViewComplaints)?;
    let (from, to) = (month.previous().start(), month.next().start());
    let mut filed: Vec<Filed> = Vec::new();
    COMPLAINTS.visit(
        core.store.as_ref(),
        crate::storage::Order::Forward,
        &mut |_, c: Complaint| {
            if c.filed_at >= from
                && c.filed_at < to
                && store.is_none_or(|s| s == c.store)
                && perm::within(p, scope, c.store, c.member)
            {
                filed.push(Filed {
                    channel: c.channel,
                    state: c.state(),
                    escalated: !c.escalations.is_empty(),
                });
            }
            Ok(true)
        },
    )?;
    Ok(analyse(month, &filed, now()))
}

/// The complaint `id`, if `p` may do `op` to it.
fn visible(
    core: &Core,
    p: &Principal,
    id: ComplaintId,
    op: Op,
) -> Result<Complaint, ComplaintError> {
    let c: Complaint = COMPLAINTS
        .get(core.store.as_ref(), &id.0)?
        .ok_or(ComplaintError::NotFound(id))?;
    perm::check(p, op, target(core, c.store, c.member))?;
    Ok(c)
}

/// The complaint `id`, if `p` may see it.
pub fn get(core: &Core, p: &Principal, id: ComplaintId) -> Result<Complaint, ComplaintError> {
    visible(core, p, id, Op::ViewComplaints)
}

/// Takes `step` in the life of complaint `id`, dated `at` (now when `None`; earlier when keyed in
/// later). Anyone who may handle complaints escalates; only the owner's rung or a higher one
/// answers and closes.
pub fn take_step(
    core: &mut Core,
    p: &Principal,
    id: ComplaintId,
    step: Step,
    at: Option<Timestamp>,
) -> Result<Complaint, ComplaintError> {
    let step = match step {
        Step::Escalate { level, reason } => Step::Escalate {
            level,
            reason: text::<500>(&reason).map_err(bad_text("the reason"))?,
        },
        Step::Answer { text: t } => Step::Answer {
            text: text::<2000>(&t).map_err(bad_text("the answer"))?,
        },
        Step::Close => Step::Close,
    };
    let at = moment(at).map_err(bad_moment("\"at\""))?;
    let mut c = visible(core, p, id, Op::HandleComplaint)?;
    let mut state = c.state();
    let refused = |e| ComplaintError::refused(id, e);
    let (action, detail) = match step {
        Step::Escalate { level, reason } => {
            let from = state.escalate(level).map_err(refused)?;
            c.escalations.push(Escalation {
                from,
                to: level,
                at,
                by: p.user.id,
                reason,
            });
            c.level = level;
            c.owner = state.owner();
            (
                "complaint_escalated",
                format!("complaint {} to {}", c.id, level.as_str()),
            )
        }
        Step::Answer { text } => {
            let late = state.answer(p.user.role, at).map_err(refused)?;
            c.answer = Some(Answer {
                text,
                at,
                by: p.user.id,
                late,
            });
            (
                "complaint_answered",
                format!("complaint {}{}", c.id, if late { " (late)" } else { "" }),
            )
        }
        Step::Close => {
            state.close(p.user.role, at).map_err(refused)?;
            c.closed_at = Some(at);
            c.closed_by = Some(p.user.id);
            ("complaint_closed", format!("complaint {}", c.id))
        }
    };
    save(
        core,
        Batch::default(),
        p,
        (&COMPLAINTS, &c.id.0),
        &c,
        Entry {
            action,
            store: c.store,
            member: c.member,
            detail,
        },
        Vec::new(),
    )?;
    Ok(c)
}
