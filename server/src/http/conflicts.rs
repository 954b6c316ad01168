//! One conflict and its resolution: `GET /api/conflicts/{id}`, `POST /api/conflicts/{id}/resolve`
//! (the rules are in `domain::conflicts`).

use axum::Json;
use axum::extract::State;
use carclub_shared::{MemberId, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use super::extract::{ApiJson, ApiPath, Caller};
use crate::domain::conflicts::{self, Decision, NOTE_MAX_CHARS, Resolution};
use crate::domain::fold;

/// The routes of conflict resolution.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_conflict))
        .routes(routes!(resolve_conflict))
}

/// A conflict and the decision on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictShown {
    pub conflict: fold::Conflict,
    /// The decision, once one was made.
    #[schema(required = true)]
    pub resolution: Option<Resolution>,
}

/// A conflict as resolved, and the decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictResolved {
    pub conflict: fold::Conflict,
    pub resolution: Resolution,
}

/// A decision on a conflict.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was decided and done, in words: 1 to 500 characters, not blank, no control
    /// characters but tab and newline (surrounding white space is trimmed).
    #[schema(schema_with = note_schema)]
    note: String,
    /// The member whose record is kept, one of the conflict's members.
    #[serde(default)]
    keep: Option<MemberId>,
}

/// The schema of a decision's note: a [`Text`] of at most [`NOTE_MAX_CHARS`] characters, the
/// rule `conflicts::resolve` checks.
fn note_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    <Text<NOTE_MAX_CHARS> as utoipa::PartialSchema>::schema()
}

/// One conflict and the decision on it, if one was made.
///
/// A conflict of another store is not found.
#[utoipa::path(get, path = "/api/conflicts/{id}", tag = "conflicts",
    params(("id" = String, Path, description = "The conflict")),
    responses((status = 200, description = "The conflict", body = ConflictShown),
        Errors, NotFound))]
async fn show_conflict(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ConflictShown>, ApiError> {
    let (conflict, resolution) = conflicts::show(&st.core(), &p, &id)?;
    Ok(Json(ConflictShown {
        conflict,
        resolution,
    }))
}

/// Resolve a conflict: record what was decided.
///
/// The decision is kept with who made it and when, and the conflict leaves the members' files and
/// the devices. A conflict is resolved once (409 after); `keep` must be one of its members (422).
#[utoipa::path(post, path = "/api/conflicts/{id}/resolve", tag = "conflicts",
    params(("id" = String, Path, description = "The conflict")),
    request_body = ResolveRequest,
    responses((status = 200, description = "The conflict, resolved", body = ConflictResolved),
        Errors, NotFound, Conflict, BodyErrors))]
async fn resolve_conflict(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<ConflictResolved>, ApiError> {
    let decision = Decision {
        note: req.note,
        keep: req.keep,
    };
    let (conflict, resolution) = conflicts::resolve(&mut st.core(), &p, &id, decision)?;
    Ok(Json(ConflictResolved {
        conflict,
        resolution,
    }))
}
