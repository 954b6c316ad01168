//! Club events (活动): a segment's invitations, RSVPs, and attendance that earns the program's
//! points through the operation path.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_protocol::docs;
use carclub_shared::{EventBody, EventId, MemberId, ShortText, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{load, load_all, member_store, moment, now, save, text};
use crate::domain::record_id;
use crate::http::api::{ApiError, ApiJson, AppState, Caller};
use crate::domain::audit::Entry;
use crate::domain::auth::{Principal, Role};
use crate::domain::Core;
use crate::domain::fold::{StoredEvent, company_of};
use crate::storage::keys::EVENTS;
use crate::domain::ledger;
use crate::domain::perm::{self, Op, Scope, Target};
use crate::storage::Batch;

record_id!(
    /// A club event (活动).
    ClubEventId,
    "club event"
);

/// The routes of club events.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/club-events", get(list_events).post(create_event))
        .route("/api/club-events/{id}", get(get_event))
        .route("/api/club-events/{id}/rsvp", post(rsvp))
        .route("/api/club-events/{id}/attendance", post(attend))
}
/// What kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Lecture,
    SelfDrive,
    Party,
    Other,
}

/// The members invited: those of the store on any of `tiers` (all tiers when empty) whose
/// status is one of `statuses` (`active` when empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
}

const STATUSES: [&str; 5] = ["pending", "active", "grace", "lapsed", "withdrawn"];

/// A member's answer to an invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rsvp {
    pub attending: bool,
    pub at: Timestamp,
    pub by: UserId,
}

/// A member's attendance, and the event that earned the points.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub created_by: UserId,
    pub created_at: Timestamp,
}

impl ClubEvent {
    fn key(id: ClubEventId) -> String {
        format!("club_event/{id}")
    }
    fn yes(&self) -> usize {
        self.rsvps.values().filter(|r| r.attending).count()
    }
    /// The event as `p` sees it: staff everything, a member only their own invitation.
    fn json(&self, p: &Principal, core: &Core) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["accepted"] = json!(self.yes());
        if let (Role::Member, Some(me)) = (p.user.role, p.member) {
            v["invited"] = json!(self.invited.contains(&me));
            v["rsvp"] = json!(self.rsvps.get(&me));
            v["attended"] = json!(self.attended.get(&me));
            v["rsvps"] = Value::Null;
            return v;
        }
        v["invitations"] = self
            .invited
            .iter()
            .map(|m| {
                json!({
                    "member": m,
                    "name": core.members.get(m).map(|f| f.name.clone()),
                    "rsvp": self.rsvps.get(m),
                    "attended": self.attended.get(m),
                })
            })
            .collect();
        v
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEvent {
    title: String,
    kind: EventKind,
    starts_at: Timestamp,
    place: String,
    capacity: u32,
    #[serde(default)]
    segment: Segment,
    /// The store, for group-wide roles; the caller's own store by default.
    store: Option<StoreId>,
}

async fn create_event(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewEvent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let title = text::<100>("the title", &req.title)?;
    let place = text::<100>("the place", &req.place)?;
    if req.capacity == 0 || req.capacity > 10_000 {
        return Err(ApiError::BadRequest(
            "the capacity must be 1 to 10000".into(),
        ));
    }
    let store = req.store.unwrap_or(p.user.store);
    perm::check(&p, Op::ManageClubEvents, Target::store(store))?;
    let core = st.core();
    let program = ledger::program_of(&core, store)
        .ok_or_else(|| ApiError::NotFound(format!("store {store} is not known")))?;
    let mut segment = req.segment;
    if segment.tiers.len() > 20 || segment.statuses.len() > 5 {
        return Err(ApiError::BadRequest("the segment is too long".into()));
    }
    for t in &segment.tiers {
        if !program.tiers.iter().any(|x| x.id.as_str() == t) {
            return Err(ApiError::BadRequest(format!(
                "tier {t:?} is not a tier of the store's program"
            )));
        }
    }
    for s in &segment.statuses {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "status {s:?} is not one of {}",
                STATUSES.join(", ")
            )));
        }
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
        created_by: p.user.id,
        created_at: now(),
    };
    save(
        &core,
        Batch::default(),
        &p,
        ClubEvent::key(e.id),
        &e,
        Entry {
            action: "club_event_created",
            store,
            member: None,
            detail: format!("{} ({} invited)", e.title, e.invited.len()),
        },
    )?;
    Ok((StatusCode::CREATED, Json(e.json(&p, &core))))
}

async fn list_events(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<Value>, ApiError> {
    let scope = perm::check_any(&p, Op::ViewClubEvents)?;
    let core = st.core();
    let list: Vec<Value> = load_all::<ClubEvent>(&core, "club_event/")?
        .into_iter()
        .filter(|e| match scope {
            Scope::Own => p.member.is_some_and(|m| e.invited.contains(&m)),
            s => perm::within(&p, s, e.store, None),
        })
        .map(|e| e.json(&p, &core))
        .collect();
    Ok(Json(json!({ "events": list })))
}

/// The club event `raw`, if `p` may see it.
fn visible_event(core: &Core, p: &Principal, raw: &str) -> Result<ClubEvent, ApiError> {
    let id = ClubEventId::parse(raw)?;
    let e: ClubEvent = load(core, &ClubEvent::key(id), &format!("club event {id}"))?;
    let scope = perm::check_any(p, Op::ViewClubEvents)?;
    let ok = match scope {
        Scope::Own => p.member.is_some_and(|m| e.invited.contains(&m)),
        s => perm::within(p, s, e.store, None),
    };
    if !ok {
        return Err(ApiError::NotFound(format!(
            "club event {id} is not on file"
        )));
    }
    Ok(e)
}

async fn get_event(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let core = st.core();
    let e = visible_event(&core, &p, &id)?;
    Ok(Json(e.json(&p, &core)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RsvpRequest {
    attending: bool,
    /// The member, when staff record the answer; a member's own login answers for themselves.
    member: Option<MemberId>,
}

async fn rsvp(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RsvpRequest>,
) -> Result<Json<Value>, ApiError> {
    let core = st.core();
    let id = ClubEventId::parse(&id)?;
    let mut e: ClubEvent = load(&core, &ClubEvent::key(id), &format!("club event {id}"))?;
    let member = req
        .member
        .or(p.member)
        .ok_or_else(|| ApiError::BadRequest("name the member who answers".into()))?;
    perm::check(
        &p,
        Op::Rsvp,
        Target::member(e.store, member, company_of(&core, member)),
    )?;
    if !e.invited.contains(&member) {
        return Err(ApiError::Forbidden(format!(
            "member {member} is not invited to this event"
        )));
    }
    let was_yes = e.rsvps.get(&member).is_some_and(|r| r.attending);
    if req.attending && !was_yes && e.yes() >= e.capacity as usize {
        return Err(ApiError::Conflict(format!(
            "the event is full ({} places)",
            e.capacity
        )));
    }
    e.rsvps.insert(
        member,
        Rsvp {
            attending: req.attending,
            at: now(),
            by: p.user.id,
        },
    );
    save(
        &core,
        Batch::default(),
        &p,
        ClubEvent::key(e.id),
        &e,
        Entry {
            action: "club_event_rsvp",
            store: e.store,
            member: Some(member),
            detail: format!("{}: {}", e.title, if req.attending { "yes" } else { "no" }),
        },
    )?;
    Ok(Json(e.json(&p, &core)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendRequest {
    member: MemberId,
    /// When the member attended, if keyed in later.
    at: Option<Timestamp>,
}

async fn attend(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AttendRequest>,
) -> Result<Json<Value>, ApiError> {
    let at = moment(req.at, "\"at\"")?;
    let id = ClubEventId::parse(&id)?;
    let mut guard = st.core();
    let core = &mut *guard;
    let mut e: ClubEvent = load(core, &ClubEvent::key(id), &format!("club event {id}"))?;
    let member = req.member;
    let store = member_store(core, member)?;
    perm::check(
        &p,
        Op::Attendance,
        Target::member(e.store, member, company_of(core, member)),
    )?;
    if store != e.store {
        return Err(ApiError::Conflict(format!(
            "member {member} belongs to another store than the event"
        )));
    }
    if at.date() < e.starts_at.date() {
        return Err(ApiError::Conflict(format!(
            "the event starts on {}; attendance cannot be recorded before",
            e.starts_at.date()
        )));
    }
    if e.attended.contains_key(&member) {
        return Err(ApiError::Conflict(format!(
            "member {member} has already attended this event"
        )));
    }
    let activity = ShortText::parse(&e.title).ok();
    let (event, mut batch, touched) =
        crate::http::ops::fold_online(core, &p, at, EventBody::EventAttended { member, activity })?;
    let stored = StoredEvent {
        event: event.clone(),
        outcome: docs::Outcome::Accepted {
            member: Some(member),
        },
        received_at: now(),
    };
    EVENTS.put(&mut batch, &event.id.to_string(), &stored)?;
    e.attended.insert(
        member,
        Attended {
            at,
            by: p.user.id,
            event: event.id,
        },
    );
    if let Err(err) = save(
        core,
        batch,
        &p,
        ClubEvent::key(e.id),
        &e,
        Entry {
            action: "event_attended",
            store,
            member: Some(member),
            detail: format!("{} (event {})", e.title, event.id),
        },
    ) {
        for t in &touched {
            core.docs.evict(t);
        }
        return Err(err);
    }
    core.note_changed(touched);
    let state = ledger::state(core, &Batch::default(), member, store)?;
    Ok(Json(
        json!({"event": event.id, "club_event": e.json(&p, core), "state": state}),
    ))
}
