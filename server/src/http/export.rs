//! `GET /api/members/export`: the member list as CSV. The rules are in [`crate::domain::export`].

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Errors};
use super::extract::Caller;
use crate::domain::export;

/// The route of the export.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_members))
}

/// The member list as CSV, within the caller's scope, in id order (enrollment order).
///
/// Columns: `id,name,phone,card,tier,status,vin,plate,store,enrolled_at` (the first vehicle);
/// UTF-8, CRLF line ends, fields quoted as RFC 4180 says, a leading `=`, `+`, `-` or `@`
/// neutralised with `'`. Phones are masked for roles that do not see contacts. Only with the
/// export permission; every export is recorded in the audit log.
#[utoipa::path(get, path = "/api/members/export", tag = "members",
    responses((status = 200, description = "The members as CSV, a header line first",
        body = String, content_type = "text/csv",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"members.csv\""))),
        Errors))]
async fn export_members(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Response, ApiError> {
    let out = export::members_csv(&st.core(), &p)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"members.csv\"",
            ),
        ],
        out.csv,
    )
        .into_response())
}
