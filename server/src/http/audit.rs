//! `GET /api/audit`: the audit log, newest first, within the caller's scope.

use axum::Json;
use axum::extract::State;
use carclub_shared::{MemberId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Code, Detail, Errors};
use super::extract::{ApiQuery, Caller, page_limit};
use crate::domain::audit::{self, AuditFilter, AuditRecord};

/// The routes of the audit log.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// Which records, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only records about this member.
    member: Option<MemberId>,
    /// Only records of this person.
    user: Option<UserId>,
    /// Only this action (e.g. `view_member_file`, `order_settled`).
    #[param(max_length = 64)]
    action: Option<String>,
    /// Only records made at or after this moment (RFC 3339, or a date: 00:00 UTC+8 that day).
    from: Option<Timestamp>,
    /// Only records made before this moment (RFC 3339, or a date: 00:00 UTC+8 that day, so the
    /// day itself is not included).
    to: Option<Timestamp>,
    /// Most records in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: records older than it.
    #[param(minimum = 0)]
    before: Option<i64>,
}

/// A page of audit records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<u64>,
}

/// The audit log: every change and every view of a member's full file, newest first, paged by
/// sequence number.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of records", body = AuditPage), Errors))]
async fn audit_log(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let before = match q.before {
        None => None,
        Some(b) => Some(u64::try_from(b).map_err(|_| {
            ApiError::BadRequest(Detail::new(
                Code::InvalidCursor,
                "before is a cursor from a previous page (0 or more)",
                "before 须为上一页给出的游标（0 或更大）",
            ))
        })?),
    };
    if q.action.as_ref().is_some_and(|a| a.chars().count() > 64) {
        return Err(ApiError::BadRequest(Detail::new(
            Code::FilterTooLong,
            "action has at most 64 characters",
            "action 最多 64 个字符",
        )));
    }
    let filter = AuditFilter {
        member: q.member,
        user: q.user,
        action: q.action,
        from: q.from,
        to: q.to,
        before,
    };
    let (records, next) = audit::query(st.accounts.store.as_ref(), &p, &filter, limit)?;
    Ok(Json(AuditPage { records, next }))
}
