//! Club events (活动, DOMAIN.md §6): a segment's invitations, RSVPs, and attendance that earns the
//! program's points through the operation path.
//!
//! Events live in [`CLUB_EVENTS`] by id, each change written in one batch with its audit record
//! while the core is locked, so two requests cannot both pass a check (the last place, attending
//! twice) before either is written.
//!
//! Attendance is also an `event_attended` event folded through `fold::apply` like any operation,
//! so the member earns the points of the store's program ([`attend`]); the club event, the stored
//! event and the fold's changes are written in one batch, and a second attendance is refused.
//!
//! After the event, each attendee's satisfaction score is kept on the event too ([`satisfaction`]).

use std::collections::BTreeMap;

use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_shared::dating::DatingError;
use carclub_shared::projection::MemberState;
use carclub_shared::{
    ActivityId, Event, EventBody, EventId, MemberId, ParseError, Role, ShortText, StoreId,
    Timestamp, UserId,
};
use serde::{Deserialize, Serialize};

use super::Core;
use super::audit::Entry;
use super::auth::Principal;
use super::club::{member_store, moment, now, save, text};
use super::fold::{Refusal, StoredEvent, company_of};
use super::ops::fold_online;
use super::perm::{self, Op, Scope, Target};
use super::{ledger, member_device};
use crate::storage::keys::{CLUB_EVENTS, EVENTS};
use crate::storage::{Batch, StoreError};

pub mod satisfaction;

pub use satisfaction::{Satisfaction, SatisfactionError};

record_id!(
    /// A club event (活动).
    ClubEventId,
    "club event"
);

/// What kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Lecture,
    SelfDrive,
    Party,
    Other,
}

/// The members invited: those of the store on any of `tiers` (all tiers when empty) whose
/// status is one of `statuses` (`active` when empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Tiers of the store's program (at most 20).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub tiers: Vec<String>,
    /// Membership statuses (at most 5).
    #[serde(default)]
    #[schema(value_type = Vec<SegmentStatus>, max_items = 5)]
    pub statuses: Vec<String>,
}

/// A membership status a segment may name (the schema of [`STATUSES`]).
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SegmentStatus {
    Pending,
    Active,
    Grace,
    Lapsed,
    Withdrawn,
}

/// The membership statuses a segment may name.
pub const STATUSES: [&str; 5] = ["pending", "active", "grace", "lapsed", "withdrawn"];
/// Most places at an event.
pub const MAX_CAPACITY: u32 = 10_000;

/// A member's answer to an invitation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rsvp {
    pub attending: bool,
    pub at: Timestamp,
    pub by: UserId,
}

/// A member's attendance, and the event that earned the points.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attended {
    pub at: Timestamp,
    pub by: UserId,
    pub event: EventId,
}

/// A club event on file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClubEvent {
    pub id: ClubEventId,
    pub store: StoreId,
    pub title: String,
    pub kind: EventKind,
    pub starts_at: Timestamp,
    pub place: String,
    pub capacity: u32,
    /// The points an attendance earns under the store's program (`event_attended`).
    pub points: u64,
    pub segment: Segment,
    pub invited: Vec<MemberId>,
    pub rsvps: BTreeMap<MemberId, Rsvp>,
    pub attended: BTreeMap<MemberId, Attended>,
    /// Attendees' satisfaction scores (events on file before scores were kept have none).
    #[serde(default)]
    pub satisfaction: BTreeMap<MemberId, Satisfaction>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

impl ClubEvent {
    /// The members who answered yes.
    pub fn accepted(&self) -> usize {
        self.rsvps.values().filter(|r| r.attending).count()
    }

    /// Whether `p` may see the event: staff within their scope, a member when invited.
    fn seen_by(&self, p: &Principal, scope: Scope) -> bool {
        match scope {
            Scope::Own => p.member.is_some_and(|m| self.invited.contains(&m)),
            s => perm::within(p, s, self.store, None),
        }
    }
}

/// An invited member, with their answer and attendance (what staff see). Named `EventInvitation`
/// in the API description, apart from a member-app invitation code's `Invitation`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = EventInvitation)]
pub struct Invitation {
    pub member: MemberId,
    /// The member's name, when on file.
    pub name: Option<String>,
    pub rsvp: Option<Rsvp>,
    pub attended: Option<Attended>,
    /// The attendee's satisfaction score, once recorded.
    pub satisfaction: Option<Satisfaction>,
}

/// A club event as one caller sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClubEventView {
    #[schema(value_type = uuid::Uuid)]
    pub id: ClubEventId,
    pub store: StoreId,
    pub title: String,
    pub kind: EventKind,
    pub starts_at: Timestamp,
    pub place: String,
    pub capacity: u32,
    /// The points an attendance earns under the store's program (`event_attended`).
    pub points: u64,
    pub segment: Segment,
    pub created_by: UserId,
    pub created_at: Timestamp,
    /// How many answered yes.
    pub accepted: usize,
    /// The attendees' satisfaction: how many gave a score, and the average.
    #[schema(value_type = carclub_shared::satisfaction::Summary)]
    pub satisfaction_summary: carclub_shared::satisfaction::Summary,
    /// Staff see every invitation; a member only their own.
    #[serde(flatten)]
    pub seen: Seen,
}

/// What of the invitations a caller sees.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Seen {
    /// Staff: every invitation, answer and attendance.
    Staff {
        invited: Vec<MemberId>,
        rsvps: BTreeMap<MemberId, Rsvp>,
        attended: BTreeMap<MemberId, Attended>,
        invitations: Vec<Invitation>,
    },
    /// A member: whether they are invited, their own answer and attendance.
    Member {
        invited: bool,
        rsvp: Option<Rsvp>,
        attended: Option<Attended>,
        /// Never shown to a member: always null.
        #[schema(value_type = Option<Object>)]
        rsvps: Option<()>,
    },
}

/// The event `e` as `p` sees it: staff everything, a member only their own invitation.
pub fn view(core: &Core, p: &Principal, e: ClubEvent) -> ClubEventView {
    let accepted = e.accepted();
    let satisfaction_summary =
        carclub_shared::satisfaction::summary(e.satisfaction.values().map(|s| s.score));
    let seen = match (p.user.role, p.member) {
        (Role::Member, Some(me)) => Seen::Member {
            invited: e.invited.contains(&me),
            rsvp: e.rsvps.get(&me).cloned(),
            attended: e.attended.get(&me).cloned(),
            rsvps: None,
        },
        _ => Seen::Staff {
            invitations: e
                .invited
                .iter()
                .map(|m| Invitation {
                    member: *m,
                    name: core.members.get(m).map(|f| f.name.clone()),
                    rsvp: e.rsvps.get(m).cloned(),
                    attended: e.attended.get(m).cloned(),
                    satisfaction: e.satisfaction.get(m).cloned(),
                })
                .collect(),
            invited: e.invited,
            rsvps: e.rsvps,
            attended: e.attended,
        },
    };
    ClubEventView {
        id: e.id,
        store: e.store,
        title: e.title,
        kind: e.kind,
        starts_at: e.starts_at,
        place: e.place,
        capacity: e.capacity,
        points: e.points,
        segment: e.segment,
        created_by: e.created_by,
        created_at: e.created_at,
        accepted,
        satisfaction_summary,
        seen,
    }
}

/// A new club event.
#[derive(Debug, Clone)]
pub struct NewClubEvent {
    pub title: String,
    pub kind: EventKind,
    pub starts_at: Timestamp,
    pub place: String,
    pub capacity: u32,
    pub segment: Segment,
    /// The store, for group-wide roles; the caller's own store by default.
    pub store: Option<StoreId>,
}

/// Why a club event operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClubEventError {
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
    #[error("the capacity must be 1 to {MAX_CAPACITY}")]
    BadCapacity(u32),
    #[error("the segment is too long")]
    SegmentTooLong,
    #[error("tier {0:?} is not a tier of the store's program")]
    UnknownTier(String),
    #[error("status {0:?} is not one of {statuses}", statuses = STATUSES.join(", "))]
    UnknownStatus(String),
    #[error("store {0} is not known")]
    UnknownStore(StoreId),
    #[error("member {0} is not on file")]
    UnknownMember(MemberId),
    #[error("club event {0} is not on file")]
    NotFound(ClubEventId),
    #[error("name the member who answers")]
    NoMember,
    #[error("member {member} is not invited to this event")]
    NotInvited {
        event: ClubEventId,
        member: MemberId,
    },
    #[error("the event is full ({capacity} places)")]
    Full { event: ClubEventId, capacity: u32 },
    #[error("member {member} belongs to another store than the event")]
    OtherStore {
        event: ClubEventId,
        member: MemberId,
    },
    #[error("the event starts on {starts}; attendance cannot be recorded before")]
    BeforeStart {
        event: ClubEventId,
        starts: time::Date,
    },
    #[error("member {member} has already attended this event")]
    AlreadyAttended {
        event: ClubEventId,
        member: MemberId,
    },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ClubEventError {
    /// The error in Chinese, with the same values as its English.
    pub fn describe_zh(&self) -> String {
        use ClubEventError as E;
        match self {
            E::BadText { field, source } => format!("{field}：{}", source.describe_zh()),
            E::BadMoment { field, source } => format!("{field}：{}", source.describe_zh()),
            E::BadCapacity(_) => format!("名额须为 1 到 {MAX_CAPACITY} 人"),
            E::SegmentTooLong => "邀请对象的筛选条件太多（等级或状态列得过多）".into(),
            E::UnknownStatus(status) => {
                format!("状态 {status:?} 不是 {} 之一", STATUSES.join("、"))
            }
            E::UnknownTier(tier) => format!("等级 {tier:?} 不是本门店会员方案中的等级"),
            E::NoMember => "请指明回复的会员".into(),
            E::UnknownMember(m) => format!("会员 {m} 不在档案中"),
            E::UnknownStore(s) => format!("门店 {s} 不存在"),
            E::NotFound(id) => format!("俱乐部活动 {id} 不存在"),
            E::NotInvited { member, .. } => format!("会员 {member} 不在本次活动的邀请名单中"),
            E::Full { capacity, .. } => format!("活动名额已满（共 {capacity} 个名额）"),
            E::OtherStore { member, .. } => {
                format!("会员 {member} 属于其他门店，不是本活动的门店")
            }
            E::BeforeStart { starts, .. } => format!("活动 {starts} 开始，开始前不能登记签到"),
            E::AlreadyAttended { member, .. } => format!("会员 {member} 已经签到过本次活动"),
            E::Denied(d) => d.describe_zh(),
            E::Refused(r) => r.describe_zh(),
            E::Store(_) => "资料未能保存（存储出错），请稍后重试".into(),
        }
    }
}

fn bad_text(field: &'static str) -> impl FnOnce(ParseError) -> ClubEventError {
    move |source| ClubEventError::BadText { field, source }
}

/// Creates a club event and invites its segment's members of the store.
pub fn create(
    core: &mut Core,
    p: &Principal,
    req: NewClubEvent,
) -> Result<ClubEvent, ClubEventError> {
    let title = text::<100>(&req.title).map_err(bad_text("the title"))?;
    let place = text::<100>(&req.place).map_err(bad_text("the place"))?;
    if !(1..=MAX_CAPACITY).contains(&req.capacity) {
        return Err(ClubEventError::BadCapacity(req.capacity));
    }
    let store = req.store.unwrap_or(p.user.store);
    perm::check(p, Op::ManageClubEvents, Target::store(store))?;
    let program = ledger::program_of(core, store).ok_or(ClubEventError::UnknownStore(store))?;
    let mut segment = req.segment;
    if segment.tiers.len() > 20 || segment.statuses.len() > STATUSES.len() {
        return Err(ClubEventError::SegmentTooLong);
    }
    if let Some(t) = segment
        .tiers
        .iter()
        .find(|t| !program.tiers.iter().any(|x| x.id.as_str() == t.as_str()))
    {
        return Err(ClubEventError::UnknownTier(t.clone()));
    }
    if let Some(s) = segment
        .statuses
        .iter()
        .find(|s| !STATUSES.contains(&s.as_str()))
    {
        return Err(ClubEventError::UnknownStatus(s.clone()));
    }
    if segment.statuses.is_empty() {
        segment.statuses.push("active".into());
    }
    let invited: Vec<MemberId> = core
        .members
        .values()
        .filter(|m| m.store == store)
        .filter(|m| segment.tiers.is_empty() || segment.tiers.contains(&m.tier))
        .filter(|m| segment.statuses.contains(&m.status))
        .map(|m| m.id)
        .collect();
    let e = ClubEvent {
        id: ClubEventId::new(),
        store,
        title,
        kind: req.kind,
        starts_at: req.starts_at,
        place,
        capacity: req.capacity,
        points: program.earning.event_attended.get(),
        segment,
        invited,
        rsvps: BTreeMap::new(),
        attended: BTreeMap::new(),
        satisfaction: BTreeMap::new(),
        created_by: p.user.id,
        created_at: now(),
    };
    let (mut batch, mut touched) = (Batch::default(), Vec::new());
    member_device::write_invitations(core, &mut batch, &e, &mut touched)?;
    save(
        core,
        batch,
        p,
        (&CLUB_EVENTS, &e.id.0),
        &e,
        Entry {
            action: "club_event_created",
            store,
            member: None,
            detail: format!("{} ({} invited)", e.title, e.invited.len()),
        },
        touched,
    )?;
    Ok(e)
}

/// The club events `p` may see (staff: their scope's; a member: those they are invited to), in
/// id (creation) order from after `after`, at most `limit`; and the id to pass as `after` for the
/// next page when there are more.
pub fn list(
    core: &Core,
    p: &Principal,
    after: Option<ClubEventId>,
    limit: usize,
) -> Result<(Vec<ClubEvent>, Option<ClubEventId>), ClubEventError> {
    let scope = perm::check_any(p, Op::ViewClubEvents)?;
    let after = after.map(|a| a.0);
    let mut list: Vec<ClubEvent> = CLUB_EVENTS.page(
        core.store.as_ref(),
        after.as_ref(),
        limit.saturating_add(1),
        &mut |e: &ClubEvent| e.seen_by(p, scope),
    )?;
    let next = if list.len() > limit {
        list.truncate(limit);
        list.last().map(|e| e.id)
    } else {
        None
    };
    Ok((list, next))
}

fn load(core: &Core, id: ClubEventId) -> Result<ClubEvent, ClubEventError> {
    CLUB_EVENTS
        .get(core.store.as_ref(), &id.0)?
        .ok_or(ClubEventError::NotFound(id))
}

/// The club event `id`, if `p` may see it (one they may not see is not on file for them).
pub fn get(core: &Core, p: &Principal, id: ClubEventId) -> Result<ClubEvent, ClubEventError> {
    let e = load(core, id)?;
    let scope = perm::check_any(p, Op::ViewClubEvents)?;
    if !e.seen_by(p, scope) {
        return Err(ClubEventError::NotFound(id));
    }
    Ok(e)
}

/// Records `member`'s answer to the invitation to `id` (a member's own login answers for
/// themselves); a yes needs a free place. The answer is an `invitation_answered` event folded
/// online through `fold::apply`, the same path as an answer a member's phone writes offline
/// ([`fold_answer`]); the stored event, the club event and the audit record go in one batch.
pub fn rsvp(
    core: &mut Core,
    p: &Principal,
    id: ClubEventId,
    member: Option<MemberId>,
    attending: bool,
) -> Result<ClubEvent, ClubEventError> {
    let e = load(core, id)?;
    let member = member.or(p.member).ok_or(ClubEventError::NoMember)?;
    let body = EventBody::InvitationAnswered {
        member,
        activity: ActivityId(id.0),
        attending,
    };
    let (event, mut batch, touched) =
        fold_online(core, p, now(), body).map_err(|refusal| match refusal {
            Refusal::Invitation(e) => *e,
            Refusal::UnknownMember(m) => ClubEventError::UnknownMember(m),
            other => ClubEventError::Refused(other),
        })?;
    let stored = StoredEvent {
        event: event.clone(),
        outcome: docs::Outcome::Accepted {
            member: Some(member),
        },
        received_at: now(),
    };
    let answered = EVENTS
        .put(&mut batch, &event.id.to_string(), &stored)
        .and_then(|()| CLUB_EVENTS.get_through(core.store.as_ref(), &batch, &id.0));
    let e = match answered {
        Ok(answered) => answered.unwrap_or(e),
        Err(err) => {
            for t in &touched {
                core.docs.evict(t);
            }
            return Err(err.into());
        }
    };
    save(
        core,
        batch,
        p,
        (&CLUB_EVENTS, &e.id.0),
        &e,
        Entry {
            action: "club_event_rsvp",
            store: e.store,
            member: Some(member),
            detail: format!("{}: {}", e.title, if attending { "yes" } else { "no" }),
        },
        touched,
    )?;
    Ok(e)
}

/// A member's answer to an invitation, as an `invitation_answered` event carries it.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub member: MemberId,
    pub activity: ActivityId,
    pub attending: bool,
}

/// Folds an answer to an invitation (from the API or a member's phone, after the permission
/// check): the member must be invited and a yes needs a free place; the answer, dated when it was
/// given, replaces the one before, and the invited members' records are rewritten.
pub(crate) fn fold_answer(
    core: &mut Core,
    event: &Event,
    a: &Answer,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), Refusal> {
    let id = ClubEventId(a.activity.0);
    let refuse = |e: ClubEventError| Refusal::Invitation(Box::new(e));
    let mut e: ClubEvent = CLUB_EVENTS
        .get_through(core.store.as_ref(), batch, &id.0)?
        .ok_or_else(|| refuse(ClubEventError::NotFound(id)))?;
    if !e.invited.contains(&a.member) {
        return Err(refuse(ClubEventError::NotInvited {
            event: id,
            member: a.member,
        }));
    }
    let was_yes = e.rsvps.get(&a.member).is_some_and(|r| r.attending);
    if a.attending && !was_yes && e.accepted() >= e.capacity as usize {
        return Err(refuse(ClubEventError::Full {
            event: id,
            capacity: e.capacity,
        }));
    }
    e.rsvps.insert(
        a.member,
        Rsvp {
            attending: a.attending,
            at: event.at,
            by: event.author,
        },
    );
    CLUB_EVENTS.put(batch, &e.id.0, &e)?;
    member_device::write_invitations(core, batch, &e, touched)?;
    Ok(())
}

/// Records that `member` attended `id` at `at` (now when `None`; earlier when keyed in later): a
/// member of the event's store, on or after its day, once. The `event_attended` operation is
/// folded online (`domain::ops::fold_online`), so the member earns the program's points; the
/// stored event, the club event and the audit record are committed with the fold's changes in
/// one batch. Returns the operation's event id, the club event and the member's state after it.
pub fn attend(
    core: &mut Core,
    p: &Principal,
    id: ClubEventId,
    member: MemberId,
    at: Option<Timestamp>,
) -> Result<Attendance, ClubEventError> {
    let at = moment(at).map_err(|source| ClubEventError::BadMoment {
        field: "\"at\"",
        source,
    })?;
    let mut e = load(core, id)?;
    let store = member_store(core, member).ok_or(ClubEventError::UnknownMember(member))?;
    perm::check(
        p,
        Op::Attendance,
        Target::member(e.store, member, company_of(core, member)),
    )?;
    if store != e.store {
        return Err(ClubEventError::OtherStore { event: id, member });
    }
    if at.date() < e.starts_at.date() {
        return Err(ClubEventError::BeforeStart {
            event: id,
            starts: e.starts_at.date(),
        });
    }
    if e.attended.contains_key(&member) {
        return Err(ClubEventError::AlreadyAttended { event: id, member });
    }
    let body = EventBody::EventAttended {
        member,
        activity: ShortText::parse(&e.title).ok(),
    };
    let (event, mut batch, mut touched) = fold_online(core, p, at, body)?;
    let stored = StoredEvent {
        event: event.clone(),
        outcome: docs::Outcome::Accepted {
            member: Some(member),
        },
        received_at: now(),
    };
    if let Err(err) = EVENTS.put(&mut batch, &event.id.to_string(), &stored) {
        for t in &touched {
            core.docs.evict(t);
        }
        return Err(err.into());
    }
    e.attended.insert(
        member,
        Attended {
            at,
            by: p.user.id,
            event: event.id,
        },
    );
    if let Err(err) = member_device::write_invitations(core, &mut batch, &e, &mut touched) {
        for t in &touched {
            core.docs.evict(t);
        }
        return Err(err.into());
    }
    save(
        core,
        batch,
        p,
        (&CLUB_EVENTS, &e.id.0),
        &e,
        Entry {
            action: "event_attended",
            store,
            member: Some(member),
            detail: format!("{} (event {})", e.title, event.id),
        },
        touched,
    )?;
    let state = ledger::state(core, &Batch::default(), member, store)?;
    Ok(Attendance {
        event: event.id,
        club_event: e,
        state,
    })
}

/// An attendance recorded.
#[derive(Debug, Clone)]
pub struct Attendance {
    /// The `event_attended` operation that earned the points.
    pub event: EventId,
    pub club_event: ClubEvent,
    /// The member's state after it (none when the store's program is not set up).
    pub state: Option<MemberState>,
}
