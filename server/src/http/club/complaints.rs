//! Complaints (handbooks 001, 003): filed, escalated, answered (late answers flagged) and closed.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_shared::{MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ANSWER_DAYS, DAY_MS, load, load_all, member_store, moment, now, save, text};
use crate::domain::record_id;
use crate::http::api::{ApiError, ApiJson, AppState, Caller};
use crate::domain::audit::Entry;
use crate::domain::auth::{Principal, Role};
use crate::domain::Core;
use crate::domain::fold::company_of;
use crate::domain::perm::{self, Op, Target};
use crate::storage::Batch;

record_id!(
    /// A complaint.
    ComplaintId,
    "complaint"
);

/// The routes of complaints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/complaints", get(list_complaints).post(file_complaint))
        .route("/api/complaints/{id}", get(get_complaint))
        .route("/api/complaints/{id}/escalate", post(escalate))
        .route("/api/complaints/{id}/answer", post(answer))
        .route("/api/complaints/{id}/close", post(close))
}

/// How a complaint reached the club (001, 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Counter,
    Phone,
    Letter,
    CommentsBook,
    Hotline,
}

/// How serious a complaint is, from least to most (001, 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A minor grumble: the reception answers.
    Grumble,
    /// A complaint: the department manager.
    Complaint,
    /// A claim for loss: the sales/service director.
    Claim,
    /// 400 hotline, consumer association, group HQ: the general manager.
    Major,
    /// A crisis: the general manager.
    Crisis,
}

impl Level {
    /// The role that owns a complaint of this level.
    pub fn owner(self) -> Role {
        match self {
            Level::Grumble => Role::Reception,
            Level::Complaint => Role::ClubManager,
            Level::Claim | Level::Major | Level::Crisis => Role::GeneralManager,
        }
    }
}

/// How senior a role is in handling complaints; a role answers what it or a junior owns.
fn handling_rank(role: Role) -> u8 {
    match role {
        Role::Admin => 4,
        Role::GeneralManager => 3,
        Role::ClubManager => 2,
        Role::Reception | Role::CareSpecialist => 1,
        _ => 0,
    }
}

/// A step up in level.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Escalation {
    pub from: Level,
    pub to: Level,
    pub at: Timestamp,
    pub by: UserId,
    pub reason: String,
}

/// The answer given to the complainant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub text: String,
    pub at: Timestamp,
    pub by: UserId,
    /// Given after the deadline.
    pub late: bool,
}

/// A complaint on file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Complaint {
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
    fn key(id: ComplaintId) -> String {
        format!("complaint/{id}")
    }
    /// Unanswered past its deadline (an open one).
    fn overdue(&self, now: Timestamp) -> bool {
        self.answer.is_none() && self.closed_at.is_none() && now > self.deadline
    }
    fn json(&self, now: Timestamp) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["open"] = Value::Bool(self.closed_at.is_none());
        v["overdue"] = Value::Bool(self.overdue(now));
        v
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewComplaint {
    channel: Channel,
    level: Level,
    text: String,
    member: Option<MemberId>,
    /// When it was received, if keyed in later.
    filed_at: Option<Timestamp>,
}

async fn file_complaint(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let text = text::<2000>("the complaint text", &req.text)?;
    let filed_at = moment(req.filed_at, "\"filed_at\"")?;
    let core = st.core();
    // A member files about themselves; staff may name any member of their scope, or nobody.
    let member = req.member.or(if p.user.role == Role::Member {
        p.member
    } else {
        None
    });
    let store = match member {
        Some(m) => member_store(&core, m)?,
        None => p.user.store,
    };
    let target = match member {
        Some(m) => Target::member(store, m, company_of(&core, m)),
        None => Target::store(store),
    };
    perm::check(&p, Op::FileComplaint, target)?;
    let c = Complaint {
        id: ComplaintId::new(),
        store,
        member,
        channel: req.channel,
        level: req.level,
        owner: req.level.owner(),
        text,
        filed_at,
        filed_by: p.user.id,
        deadline: Timestamp::from_millis(filed_at.millis() + ANSWER_DAYS * DAY_MS),
        escalations: Vec::new(),
        answer: None,
        closed_at: None,
        closed_by: None,
    };
    save(
        &core,
        Batch::default(),
        &p,
        Complaint::key(c.id),
        &c,
        Entry {
            action: "complaint_filed",
            store,
            member,
            detail: format!("complaint {} ({:?})", c.id, c.level),
        },
    )?;
    tracing::info!(user = %p.user.username, complaint = %c.id, "complaint filed");
    Ok((StatusCode::CREATED, Json(c.json(now()))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplaintQuery {
    open: Option<bool>,
    overdue: Option<bool>,
    level: Option<Level>,
    owner: Option<Role>,
    member: Option<MemberId>,
}

async fn list_complaints(
    State(st): State<AppState>,
    Caller(p): Caller,
    q: Result<Query<ComplaintQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let scope = perm::check_any(&p, Op::ViewComplaints)?;
    let now = now();
    let core = st.core();
    let list: Vec<Value> = load_all::<Complaint>(&core, "complaint/")?
        .into_iter()
        .filter(|c| perm::within(&p, scope, c.store, c.member))
        .filter(|c| q.open.is_none_or(|o| o == c.closed_at.is_none()))
        .filter(|c| q.overdue.is_none_or(|o| o == c.overdue(now)))
        .filter(|c| q.level.is_none_or(|l| l == c.level))
        .filter(|c| q.owner.is_none_or(|r| r == c.owner))
        .filter(|c| q.member.is_none_or(|m| Some(m) == c.member))
        .map(|c| c.json(now))
        .collect();
    Ok(Json(json!({ "complaints": list })))
}

/// The complaint `raw`, if `p` may see it.
fn visible_complaint(core: &Core, p: &Principal, raw: &str, op: Op) -> Result<Complaint, ApiError> {
    let id = ComplaintId::parse(raw)?;
    let c: Complaint = load(core, &Complaint::key(id), &format!("complaint {id}"))?;
    let target = match c.member {
        Some(m) => Target::member(c.store, m, company_of(core, m)),
        None => Target::store(c.store),
    };
    perm::check(p, op, target)?;
    Ok(c)
}

async fn get_complaint(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let core = st.core();
    let c = visible_complaint(&core, &p, &id, Op::ViewComplaints)?;
    Ok(Json(c.json(now())))
}

/// The open complaint `raw`, if `p` may handle it at its current level.
fn handled_complaint(core: &Core, p: &Principal, raw: &str) -> Result<Complaint, ApiError> {
    let c = visible_complaint(core, p, raw, Op::HandleComplaint)?;
    if c.closed_at.is_some() {
        return Err(ApiError::Conflict(format!("complaint {} is closed", c.id)));
    }
    Ok(c)
}

fn check_owner(p: &Principal, c: &Complaint) -> Result<(), ApiError> {
    if handling_rank(p.user.role) < handling_rank(c.owner) {
        return Err(ApiError::Forbidden(format!(
            "a {:?} complaint is owned by the {}; your role ({}) cannot answer or close it",
            c.level,
            c.owner.as_str(),
            p.user.role.as_str()
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalateRequest {
    level: Level,
    reason: String,
    at: Option<Timestamp>,
}

async fn escalate(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EscalateRequest>,
) -> Result<Json<Value>, ApiError> {
    let reason = text::<500>("the reason", &req.reason)?;
    let at = moment(req.at, "\"at\"")?;
    let core = st.core();
    let mut c = handled_complaint(&core, &p, &id)?;
    if req.level <= c.level {
        return Err(ApiError::Conflict(format!(
            "complaint {} is already at level {:?}; escalate only to a higher level",
            c.id, c.level
        )));
    }
    c.escalations.push(Escalation {
        from: c.level,
        to: req.level,
        at,
        by: p.user.id,
        reason,
    });
    c.level = req.level;
    c.owner = req.level.owner();
    save(
        &core,
        Batch::default(),
        &p,
        Complaint::key(c.id),
        &c,
        Entry {
            action: "complaint_escalated",
            store: c.store,
            member: c.member,
            detail: format!("complaint {} to {:?}", c.id, c.level),
        },
    )?;
    Ok(Json(c.json(now())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerRequest {
    text: String,
    at: Option<Timestamp>,
}

async fn answer(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<Json<Value>, ApiError> {
    let text = text::<2000>("the answer", &req.text)?;
    let at = moment(req.at, "\"at\"")?;
    let core = st.core();
    let mut c = handled_complaint(&core, &p, &id)?;
    check_owner(&p, &c)?;
    if c.answer.is_some() {
        return Err(ApiError::Conflict(format!(
            "complaint {} is already answered",
            c.id
        )));
    }
    if at < c.filed_at {
        return Err(ApiError::BadRequest(
            "the answer cannot be dated before the complaint was filed".into(),
        ));
    }
    let late = at > c.deadline;
    c.answer = Some(Answer {
        text,
        at,
        by: p.user.id,
        late,
    });
    save(
        &core,
        Batch::default(),
        &p,
        Complaint::key(c.id),
        &c,
        Entry {
            action: "complaint_answered",
            store: c.store,
            member: c.member,
            detail: format!("complaint {}{}", c.id, if late { " (late)" } else { "" }),
        },
    )?;
    Ok(Json(c.json(now())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseRequest {
    at: Option<Timestamp>,
}

async fn close(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseRequest>,
) -> Result<Json<Value>, ApiError> {
    let at = moment(req.at, "\"at\"")?;
    let core = st.core();
    let mut c = handled_complaint(&core, &p, &id)?;
    check_owner(&p, &c)?;
    let Some(answered) = c.answer.as_ref().map(|a| a.at) else {
        return Err(ApiError::Conflict(format!(
            "complaint {} has no answer yet; answer it before closing",
            c.id
        )));
    };
    if at < answered {
        return Err(ApiError::BadRequest(
            "the complaint cannot be closed before it was answered".into(),
        ));
    }
    c.closed_at = Some(at);
    c.closed_by = Some(p.user.id);
    save(
        &core,
        Batch::default(),
        &p,
        Complaint::key(c.id),
        &c,
        Entry {
            action: "complaint_closed",
            store: c.store,
            member: c.member,
            detail: format!("complaint {}", c.id),
        },
    )?;
    Ok(Json(c.json(now())))
}
