//! `GET /api/audit`: the audit log, newest first, within the caller's scope.

use axum::Json;
use axum::extract::{Query, State};
use carclub_shared::{MemberId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiError, AppState, Caller};
use crate::domain::audit::{self, AuditFilter};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    member: Option<MemberId>,
    user: Option<UserId>,
    action: Option<String>,
    limit: Option<usize>,
    /// The cursor of the previous page.
    before: Option<u64>,
}

/// `GET /api/audit`: the newest records first, within the caller's scope.
pub async fn query(
    State(st): State<AppState>,
    Caller(p): Caller,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let filter = AuditFilter {
        member: q.member,
        user: q.user,
        action: q.action,
        before: q.before,
    };
    let (records, next) = audit::query(st.accounts.store.as_ref(), &p, &filter, limit)?;
    Ok(Json(json!({ "records": records, "next": next })))
}
