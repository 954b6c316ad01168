//! `GET /api/members/export`: the member list as CSV; `GET /api/export/service-visits.csv` and
//! `GET /api/export/care-calls.csv`: service visits and care outcomes for Excel. The rules are in
//! [`crate::domain::export`].

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
    OpenApiRouter::new()
        .routes(routes!(export_members))
        .routes(routes!(export_service_visits))
        .routes(routes!(export_care_calls))
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
    Ok(csv_file("members.csv", out.csv))
}

/// A CSV answer downloaded as `filename`.
pub(super) fn csv_file(filename: &'static str, csv: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        csv,
    )
        .into_response()
}

/// Every service visit of the members in the caller's scope, for Excel.
///
/// Columns: `member,name,phone,store,vin,plate,date,km,kind,amount_yuan,advisor,elsewhere_store,
/// elsewhere_cost_yuan,event` — one row per visit of the lifelong service file (order settlements
/// included), members in id order and visits by day. UTF-8 with a byte-order mark and CRLF line
/// ends so Excel opens it as it is; fields quoted as RFC 4180 says, a leading `=`, `+`, `-` or `@`
/// neutralised with `'`; phones masked for roles that do not see contacts. Only with the
/// `export_care` permission; every export is recorded in the audit log.
#[utoipa::path(get, path = "/api/export/service-visits.csv", tag = "imports",
    responses((status = 200, description = "The service visits as CSV, a header line first",
        body = String, content_type = "text/csv",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"service-visits.csv\""))),
        Errors))]
async fn export_service_visits(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Response, ApiError> {
    let out = export::visits_csv(&st.core(), &p)?;
    Ok(csv_file("service-visits.csv", out.csv))
}

/// Every care call task in the caller's scope with its outcome, for Excel.
///
/// Columns: `task,member,name,phone,store,kind,vin,due,state,outcome,calls,last_call_at,feedback,
/// cause,failure,closed_at` — the reminder's kind, its state (`open`, `done`, `failed`), the
/// outcome that ended it, how many calls were made and the last one, the owner's latest feedback,
/// a lost customer's cause and why an unreachable task failed. UTF-8 with a byte-order mark, CRLF
/// line ends, RFC 4180 quoting; phones masked for roles that do not see contacts. Only with the
/// `export_care` permission; audited.
#[utoipa::path(get, path = "/api/export/care-calls.csv", tag = "imports",
    responses((status = 200, description = "The care call tasks as CSV, a header line first",
        body = String, content_type = "text/csv",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"care-calls.csv\""))),
        Errors))]
async fn export_care_calls(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Response, ApiError> {
    let out = export::care_csv(&st.core(), &p)?;
    Ok(csv_file("care-calls.csv", out.csv))
}
