//! An attendee's satisfaction with a club event (`POST /api/club-events/{id}/satisfaction`).

use axum::Json;
use axum::extract::State;
use carclub_shared::MemberId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::club_events::{self, ClubEventId, ClubEventView, satisfaction};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, Caller};

/// The route of satisfaction scores.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_satisfaction))
}

/// An attendee's satisfaction score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionBody {
    /// The attendee.
    member: MemberId,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "carclub_shared::integral")]
    score: u8,
    /// What the member said (at most 200 characters).
    #[schema(max_length = 200)]
    comment: Option<String>,
}

/// Records an attendee's satisfaction with the event: a score of 1 to 5 and an optional comment,
/// once per attendee, on or after the event's day.
///
/// The event's `satisfaction_summary` then counts it in its average.
#[utoipa::path(post, path = "/api/club-events/{id}/satisfaction", tag = "club events",
    params(("id" = uuid::Uuid, Path, description = "The club event's id")),
    request_body = SatisfactionBody,
    responses((status = 200, description = "Recorded", body = ClubEventView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn record_satisfaction(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ClubEventId>,
    ApiJson(req): ApiJson<SatisfactionBody>,
) -> Result<Json<ClubEventView>, ApiError> {
    let mut core = st.core();
    let e = satisfaction::record(
        &mut core,
        &p,
        id,
        req.member,
        req.score,
        req.comment.as_deref(),
    )?;
    Ok(Json(club_events::view(&core, &p, e)))
}
