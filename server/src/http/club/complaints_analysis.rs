//! `GET /api/complaints/analysis`: the monthly complaint analysis the handbooks ask for (001, 003)
//! — counts by level and channel, the on-time rate, the time to answer — beside the month before.
//! The arithmetic is `carclub_shared::complaints::analyse`; `domain::complaints::analysis` picks
//! the complaints the caller may see.

use axum::Json;
use axum::extract::State;
use carclub_shared::StoreId;
use carclub_shared::complaints::{Analysis, Month};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::club::now;
use crate::domain::complaints;
use crate::http::AppState;
use crate::http::error::{ApiError, Errors};
use crate::http::extract::{ApiQuery, Caller};

/// The route of the analysis.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(complaint_analysis))
}

/// Which month, and which store.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalysisQuery {
    /// The month, `YYYY-MM` (business time, UTC+8); this month when absent.
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$", example = "2026-11")]
    month: Option<Month>,
    /// Only this store's complaints; every store the caller may see when absent.
    store: Option<StoreId>,
}

/// The complaints filed in a month, analysed, beside the month before.
///
/// Counts by level (the level now, after escalations) and by channel; answered on time and late,
/// overdue (unanswered past the three days) and still waiting; the on-time rate in ‰ of the due
/// complaints (answered or overdue); the median and average time from filing to answer in
/// minutes. Figures are as things stand now: a complaint answered since counts as answered.
#[utoipa::path(get, path = "/api/complaints/analysis", tag = "complaints",
    params(AnalysisQuery),
    responses((status = 200, description = "The month and the month before", body = Analysis),
        Errors))]
async fn complaint_analysis(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> Result<Json<Analysis>, ApiError> {
    let month = q.month.unwrap_or_else(|| Month::of(now()));
    Ok(Json(complaints::analysis(&st.core(), &p, month, q.store)?))
}
