//! The care manager's side: call scripts, campaigns with the month's count, the lost-customer
//! list by class, and running the reminder rules now.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carclub_shared::StoreId;
use carclub_shared::care::ReminderKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::care::campaigns::{
    self, Campaign, CampaignBoard, CampaignId, CampaignKind, NewCampaign,
};
use crate::domain::care::lost::{self, LostList};
use crate::domain::care::scheduler::{self, RunReport};
use crate::domain::care::scripts::{self, Script};
use crate::domain::care::tasks::TaskId;
use crate::domain::club_events::Segment;
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};

/// The routes of the care manager.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_scripts))
        .routes(routes!(put_script))
        .routes(routes!(list_campaigns, send_campaign))
        .routes(routes!(lost_customers))
        .routes(routes!(run_rules))
}

/// Which store.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StoreQuery {
    /// The store (the caller's when absent).
    store: Option<StoreId>,
}

/// A store's scripts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptsPage {
    /// One per reminder kind: the care manager's, or the default.
    pub scripts: Vec<Script>,
}

/// The store's call scripts (话术), one per reminder kind: the care manager's where written, else
/// the default from the handbook's intent.
#[utoipa::path(get, path = "/api/care/scripts", tag = "care", params(StoreQuery),
    responses((status = 200, description = "The scripts", body = ScriptsPage), Errors))]
async fn list_scripts(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<StoreQuery>,
) -> Result<Json<ScriptsPage>, ApiError> {
    let scripts = scripts::list(&st.core(), &p, q.store)?;
    Ok(Json(ScriptsPage { scripts }))
}

/// A script.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptBody {
    /// The store (the caller's when absent).
    store: Option<StoreId>,
    /// The script: 1 to 2000 characters.
    #[schema(value_type = carclub_shared::LongText)]
    text: String,
}

/// Writes the store's script for a reminder kind (the care manager).
#[utoipa::path(put, path = "/api/care/scripts/{kind}", tag = "care",
    params(("kind" = ReminderKind, Path, description = "The reminder kind")),
    request_body = ScriptBody,
    responses((status = 200, description = "Written", body = Script),
        Errors, NotFound, BodyErrors))]
async fn put_script(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(kind): ApiPath<ReminderKind>,
    ApiJson(b): ApiJson<ScriptBody>,
) -> Result<Json<Script>, ApiError> {
    Ok(Json(scripts::put(
        &mut st.core(),
        &p,
        b.store,
        kind,
        &b.text,
    )?))
}

/// Which store's campaigns, and how many.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// The store (the caller's when absent).
    store: Option<StoreId>,
    /// Most campaigns listed (default 200), newest first.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    #[param(value_type = Option<uuid::Uuid>)]
    cursor: Option<CampaignId>,
}

/// The store's campaigns, newest first, with this month's count against the handbook's three.
#[utoipa::path(get, path = "/api/care/campaigns", tag = "care", params(CampaignQuery),
    responses((status = 200, description = "The campaigns and the month's count", body = CampaignBoard),
        Errors))]
async fn list_campaigns(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<CampaignQuery>,
) -> Result<Json<CampaignBoard>, ApiError> {
    let limit = page_limit(q.limit)?;
    Ok(Json(campaigns::board(
        &st.core(),
        &p,
        q.store,
        limit,
        q.cursor,
    )?))
}

/// A campaign to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignBody {
    /// The store (the caller's when absent).
    store: Option<StoreId>,
    kind: CampaignKind,
    /// 1 to 100 characters.
    #[schema(value_type = carclub_shared::ShortText)]
    title: String,
    /// The message: 1 to 500 characters (the store's name and the member's are put around it).
    #[schema(value_type = carclub_shared::Text<500>)]
    text: String,
    /// Whom: tiers (all when empty) and statuses (`active` when empty).
    #[serde(default)]
    segment: Segment,
}

/// Sends a holiday, severe-weather or other message to a segment: one SMS in the outbox per
/// member of the segment who agreed to SMS, in the same batch as the campaign (the care manager).
#[utoipa::path(post, path = "/api/care/campaigns", tag = "care",
    request_body = NewCampaignBody,
    responses((status = 201, description = "Sent to the outbox", body = Campaign),
        Errors, NotFound, BodyErrors))]
async fn send_campaign(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<NewCampaignBody>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let c = campaigns::send(
        &mut st.core(),
        &p,
        NewCampaign {
            store: b.store,
            kind: b.kind,
            title: b.title,
            text: b.text,
            segment: b.segment,
        },
    )?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Which store's lost customers, and how many rows.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LostQuery {
    /// The store (the caller's when absent).
    store: Option<StoreId>,
    /// Most rows listed (default 200); the counts cover every lost customer.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    cursor: Option<TaskId>,
}

/// Lost customers (no visit for 90–360 days) in the six classes of 002 — local, non-local, and
/// each in or out of warranty — with the rows and the causes recorded on their calls.
#[utoipa::path(get, path = "/api/care/lost", tag = "care", params(LostQuery),
    responses((status = 200, description = "The lost customers by class", body = LostList),
        Errors))]
async fn lost_customers(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<LostQuery>,
) -> Result<Json<LostList>, ApiError> {
    let limit = page_limit(q.limit)?;
    Ok(Json(lost::list(
        &st.core(),
        &p,
        q.store,
        limit,
        q.cursor.as_ref(),
    )?))
}

/// Which store to run the rules for.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The store (the caller's; for the administrator every store, when absent).
    store: Option<StoreId>,
}

/// Runs the reminder rules now for the day of the server's clock: each due reminder becomes a
/// call task (and, where the rule says, an SMS) once; running again creates nothing twice. The
/// server also runs them at start-up and on an interval.
#[utoipa::path(post, path = "/api/care/run", tag = "care",
    request_body = RunBody,
    responses((status = 200, description = "What the run did", body = RunReport),
        Errors, NotFound, BodyErrors))]
async fn run_rules(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<RunBody>,
) -> Result<Json<RunReport>, ApiError> {
    let st2 = st.clone();
    let report = crate::http::extract::blocking(move || {
        Ok(scheduler::run_now(&mut st2.core(), &p, b.store)?)
    })
    .await?;
    Ok(Json(report))
}
