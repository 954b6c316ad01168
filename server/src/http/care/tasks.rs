//! Call tasks: the care staff's list (today, overdue, by assignee, state and kind), one task,
//! assigning it, and recording a call's outcome.

use axum::Json;
use axum::extract::State;
use carclub_shared::care::{CallOutcome, ReminderKind};
use carclub_shared::{MemberId, Phone, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::care::tasks::{self, CallReport, TaskFilter, TaskId, TaskState, TaskView, When};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};

/// The routes of call tasks.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks))
        .routes(routes!(get_task))
        .routes(routes!(assign_task))
        .routes(routes!(record_call))
}

/// Which tasks, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only tasks of this store.
    store: Option<StoreId>,
    /// Only tasks assigned to this user.
    assignee: Option<UserId>,
    /// Only tasks in this state.
    state: Option<TaskState>,
    /// `today`: open and workable today; `overdue`: open and past their last day or deadline;
    /// `all` (default).
    #[param(inline)]
    when: Option<When>,
    /// Only tasks of this kind.
    kind: Option<ReminderKind>,
    /// Only tasks about this member.
    member: Option<MemberId>,
    /// Most tasks in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page: tasks after it.
    cursor: Option<TaskId>,
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksPage {
    pub tasks: Vec<TaskView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(value_type = Option<String>)]
    pub next: Option<TaskId>,
}

/// The call tasks the caller may see, in due order, each with the member's summary (name, phone,
/// card, tier, plate, model, last visit), the store's script for its kind, its calls and what
/// comes next (the 3×3×3 rule: the slots already tried, the last day).
///
/// Paged with `limit` and `cursor`.
#[utoipa::path(get, path = "/api/care/tasks", tag = "care", params(TaskQuery),
    responses((status = 200, description = "A page of tasks", body = TasksPage), Errors))]
async fn list_tasks(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> Result<Json<TasksPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let filter = TaskFilter {
        store: q.store,
        assignee: q.assignee,
        state: q.state,
        when: q.when.unwrap_or_default(),
        kind: q.kind,
        member: q.member,
        after: q.cursor,
    };
    let (tasks, next) = tasks::list(&st.core(), &p, &filter, limit)?;
    Ok(Json(TasksPage { tasks, next }))
}

/// One call task.
#[utoipa::path(get, path = "/api/care/tasks/{id}", tag = "care",
    params(("id" = TaskId, Path, description = "The task's id")),
    responses((status = 200, description = "The task", body = TaskView), Errors, NotFound))]
async fn get_task(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<TaskId>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(tasks::get(&st.core(), &p, &id)?))
}

/// Whom a task goes to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A staff account of the task's store whose role works care calls.
    user: UserId,
}

/// Assigns an open task to a specialist, sales consultant or advisor of its store (the care
/// manager).
#[utoipa::path(post, path = "/api/care/tasks/{id}/assign", tag = "care",
    params(("id" = TaskId, Path, description = "The task's id")),
    request_body = AssignBody,
    responses((status = 200, description = "Assigned", body = TaskView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn assign_task(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<TaskId>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(tasks::assign(&mut st.core(), &p, &id, b.user)?))
}

/// What a call came to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    outcome: CallOutcome,
    /// What the owner said: up to 500 characters (the feedback after delivery or service).
    #[schema(value_type = Option<carclub_shared::Text<500>>)]
    feedback: Option<String>,
    /// `appointment` only, and required there: when the owner comes, at least 3 hours from now.
    appointment_at: Option<Timestamp>,
    /// `appointment` only: what for (the task's kind when absent), up to 100 characters.
    #[schema(value_type = Option<carclub_shared::ShortText>)]
    purpose: Option<String>,
    /// `call_back` only, and required there: when to call back (later than now).
    call_back_at: Option<Timestamp>,
    /// `wrong_number` only: the corrected number, when known (the task continues with it).
    corrected_phone: Option<Phone>,
    /// Lost-customer tasks only, required when `reached` or `refused`: why the owner stopped
    /// coming, up to 200 characters.
    #[schema(value_type = Option<carclub_shared::Text<200>>)]
    cause: Option<String>,
}

/// Records a call on an open task, at the server's clock, in the slot of the hour.
///
/// `reached`, `appointment` (booked in the register with it) and `refused` end the task.
/// `no_answer` three times in three different slots within three days — or on the fourth day —
/// puts the SMS in the outbox and fails the task, recording why; a birthday call not answered is
/// followed by the SMS at once. `wrong_number` asks for a corrected number; given, it is recorded
/// and the task continues. `call_back` restarts the count from that day.
#[utoipa::path(post, path = "/api/care/tasks/{id}/calls", tag = "care",
    params(("id" = TaskId, Path, description = "The task's id")),
    request_body = CallBody,
    responses((status = 200, description = "The task after the call", body = TaskView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn record_call(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<TaskId>,
    ApiJson(b): ApiJson<CallBody>,
) -> Result<Json<TaskView>, ApiError> {
    let report = CallReport {
        outcome: b.outcome,
        feedback: b.feedback,
        appointment_at: b.appointment_at,
        purpose: b.purpose,
        call_back_at: b.call_back_at,
        corrected_phone: b.corrected_phone,
        cause: b.cause,
    };
    Ok(Json(tasks::call(&mut st.core(), &p, &id, report)?))
}
