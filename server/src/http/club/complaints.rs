//! Complaints (handbooks 001, 003): filed, escalated, answered (late answers flagged) and closed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carclub_shared::complaints::{Channel, Level};
use carclub_shared::{MemberId, Role, StoreId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::club::now;
use crate::domain::complaints::{
    self, Complaint, ComplaintFilter, ComplaintId, NewComplaint, Step,
};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::page_limit;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// The routes of complaints.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_complaints, file_complaint))
        .routes(routes!(get_complaint))
        .routes(routes!(escalate))
        .routes(routes!(answer))
        .routes(routes!(close))
}

/// A complaint with where it stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    #[serde(flatten)]
    pub complaint: Complaint,
    /// Not closed yet.
    pub open: bool,
    /// Open, unanswered and past its deadline.
    pub overdue: bool,
}

impl ComplaintView {
    fn new(complaint: Complaint, now: Timestamp) -> Self {
        Self {
            open: complaint.is_open(),
            overdue: complaint.is_overdue(now),
            complaint,
        }
    }
}

/// A complaint received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaintBody {
    channel: Channel,
    level: Level,
    /// What the complainant says: one to 2000 characters, spaces around trimmed.
    #[schema(value_type = carclub_shared::LongText)]
    text: String,
    /// Whom it is about. A member's own login files about themselves; staff may name a member of
    /// their scope, or nobody.
    member: Option<MemberId>,
    /// When it was received, if keyed in later (not in the future, at most three years back).
    filed_at: Option<Timestamp>,
}

/// Files a complaint.
///
/// Owned by its level's owner (a grumble the reception, a complaint the club manager, a claim, a
/// major case or a crisis the general manager) and due three days after filing.
#[utoipa::path(post, path = "/api/complaints", tag = "complaints",
    request_body = NewComplaintBody,
    responses((status = 201, description = "Filed", body = ComplaintView),
        Errors, NotFound, BodyErrors))]
async fn file_complaint(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewComplaintBody>,
) -> Result<(StatusCode, Json<ComplaintView>), ApiError> {
    let c = complaints::file(
        &mut st.core(),
        &p,
        NewComplaint {
            channel: req.channel,
            level: req.level,
            text: req.text,
            member: req.member,
            filed_at: req.filed_at,
        },
    )?;
    Ok((StatusCode::CREATED, Json(ComplaintView::new(c, now()))))
}

/// Which complaints, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// Only open (`true`) or closed (`false`) complaints.
    open: Option<bool>,
    /// Only overdue (`true`) or not overdue (`false`) complaints.
    overdue: Option<bool>,
    /// Only complaints at this level.
    level: Option<Level>,
    /// Only complaints this role owns.
    owner: Option<Role>,
    /// Only complaints about this member.
    member: Option<MemberId>,
    /// Only complaints that came by this channel.
    channel: Option<Channel>,
    /// Only complaints of this store.
    store: Option<StoreId>,
    /// Most complaints in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page: complaints filed after it.
    #[param(value_type = Option<uuid::Uuid>)]
    after: Option<ComplaintId>,
}

/// A page of complaints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintsPage {
    pub complaints: Vec<ComplaintView>,
    /// Pass as `after` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<ComplaintId>,
}

/// The complaints the caller may see, with filters.
///
/// Sorted by id, that is in the order they were filed into the system (ids are UUIDv7), paged
/// with `limit` and `after`. A member sees the complaints about themselves.
#[utoipa::path(get, path = "/api/complaints", tag = "complaints", params(ComplaintQuery),
    responses((status = 200, description = "A page of complaints", body = ComplaintsPage),
        Errors))]
async fn list_complaints(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> Result<Json<ComplaintsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let filter = ComplaintFilter {
        open: q.open,
        overdue: q.overdue,
        level: q.level,
        owner: q.owner,
        member: q.member,
        channel: q.channel,
        store: q.store,
        after: q.after,
    };
    let (list, next) = complaints::list(&st.core(), &p, &filter, limit)?;
    let now = now();
    Ok(Json(ComplaintsPage {
        complaints: list
            .into_iter()
            .map(|c| ComplaintView::new(c, now))
            .collect(),
        next,
    }))
}

/// One complaint.
#[utoipa::path(get, path = "/api/complaints/{id}", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "The complaint's id")),
    responses((status = 200, description = "The complaint", body = ComplaintView),
        Errors, NotFound))]
async fn get_complaint(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ComplaintId>,
) -> Result<Json<ComplaintView>, ApiError> {
    let c = complaints::get(&st.core(), &p, id)?;
    Ok(Json(ComplaintView::new(c, now())))
}

/// A step up in level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// The new level: higher than the complaint's.
    level: Level,
    /// Why: one to 500 characters.
    #[schema(value_type = carclub_shared::Text<500>)]
    reason: String,
    /// When, if keyed in later (not in the future, at most three years back).
    at: Option<Timestamp>,
}

/// Escalates an open complaint to a higher level, which moves it to that level's owner.
///
/// Anyone who may handle complaints escalates, whoever owns it now.
#[utoipa::path(post, path = "/api/complaints/{id}/escalate", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "The complaint's id")),
    request_body = EscalateBody,
    responses((status = 200, description = "Escalated", body = ComplaintView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn escalate(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ComplaintId>,
    ApiJson(req): ApiJson<EscalateBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let step = Step::Escalate {
        level: req.level,
        reason: req.reason,
    };
    let c = complaints::take_step(&mut st.core(), &p, id, step, req.at)?;
    Ok(Json(ComplaintView::new(c, now())))
}

/// The answer to the complainant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The answer: one to 2000 characters.
    #[schema(value_type = carclub_shared::LongText)]
    text: String,
    /// When it was given, if keyed in later (not before filing, not in the future).
    at: Option<Timestamp>,
}

/// Answers an open complaint, once; an answer after the deadline is kept and flagged `late`.
///
/// Only the owner's rung of the seniority ladder or a higher one answers.
#[utoipa::path(post, path = "/api/complaints/{id}/answer", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "The complaint's id")),
    request_body = AnswerBody,
    responses((status = 200, description = "Answered", body = ComplaintView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn answer(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ComplaintId>,
    ApiJson(req): ApiJson<AnswerBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let step = Step::Answer { text: req.text };
    let c = complaints::take_step(&mut st.core(), &p, id, step, req.at)?;
    Ok(Json(ComplaintView::new(c, now())))
}

/// When a complaint is closed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// When, if keyed in later (not before the answer, not in the future).
    at: Option<Timestamp>,
}

/// Closes an answered complaint; a closed complaint changes no more.
///
/// Only the owner's rung of the seniority ladder or a higher one closes.
#[utoipa::path(post, path = "/api/complaints/{id}/close", tag = "complaints",
    params(("id" = uuid::Uuid, Path, description = "The complaint's id")),
    request_body = CloseBody,
    responses((status = 200, description = "Closed", body = ComplaintView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn close(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ComplaintId>,
    ApiJson(req): ApiJson<CloseBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let c = complaints::take_step(&mut st.core(), &p, id, Step::Close, req.at)?;
    Ok(Json(ComplaintView::new(c, now())))
}
