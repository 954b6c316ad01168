//! The monthly figures (数据看板): `GET /api/kpis` (the trend over a range of months, per store or
//! for the group, with the last month per specialist and store against store), `GET
//! /api/kpis/members` (the members behind a figure), `GET /api/kpis/export` (CSV for Excel) and
//! `POST /api/kpis/compute` (a month computed again). The rules are in [`crate::domain::kpi`];
//! the definitions in `docs/kpis.md`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use carclub_shared::complaints::Month;
use carclub_shared::kpi::Kpi;
use carclub_shared::{MemberId, StoreId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::club::now;
use crate::domain::kpi::{self, DrillPage, KeptMonth, Part, Trend};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiQuery, Caller, page_limit};

/// The routes of the figures.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kpi_trend))
        .routes(routes!(kpi_members))
        .routes(routes!(kpi_export))
        .routes(routes!(kpi_compute))
}

/// Which store and which months.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// The store; the group (every store the caller may see) when absent.
    store: Option<StoreId>,
    /// The first month, `YYYY-MM`; eleven months before `to` when absent.
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$", example = "2025-12")]
    from: Option<Month>,
    /// The last month, `YYYY-MM`; the last month that has ended when absent.
    #[param(value_type = Option<String>, pattern = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$", example = "2026-11")]
    to: Option<Month>,
}

impl RangeQuery {
    fn range(&self) -> (Month, Month) {
        let to = self.to.unwrap_or_else(|| kpi::last_ended(now()));
        let from = self
            .from
            .unwrap_or_else(|| (0..11).fold(to, |m, _| m.previous()));
        (from, to)
    }
}

/// The monthly figures of a store (or the group) over a range of months, oldest first (twelve
/// months to the last that has ended by default, at most 36).
///
/// Each figure has its value (the numerator, or the count), its base (the denominator) and the
/// rate in thousandths; `docs/kpis.md` defines every one. The last month also comes per
/// specialist (reminder completion, 95 % the floor) and, for a caller looking at several stores,
/// store by store. A month not computed yet shows `computed: false` and zeros.
#[utoipa::path(get, path = "/api/kpis", tag = "kpis", params(RangeQuery),
    responses((status = 200, description = "The figures month by month", body = Trend),
        (status = 422, description = "A month range that is reversed or longer than allowed",
            body = crate::http::error::Problem, content_type = "application/problem+json"),
        Errors, NotFound))]
async fn kpi_trend(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Trend>, ApiError> {
    let (from, to) = q.range();
    Ok(Json(kpi::trend(&st.core(), &p, q.store, from, to)?))
}

/// Which figure's members.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// The store; every store the caller may see when absent.
    store: Option<StoreId>,
    /// The month, `YYYY-MM`.
    #[param(value_type = String, pattern = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$", example = "2026-11")]
    month: Month,
    /// The figure; absent with `specialist` for one specialist's reminders.
    kpi: Option<Kpi>,
    /// One specialist's reminders (reminder completion of that person).
    specialist: Option<UserId>,
    /// `counted` (default): the members the figure counts; `missed`: those of its base it does
    /// not (who did not come back, renew, take part…).
    part: Option<Part>,
    /// Most rows (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    cursor: Option<MemberId>,
}

/// The members behind a figure of a month, by member id, a page at a time; audited.
///
/// Name `kpi`, or `specialist` for one specialist's reminders (neither: reminder completion of
/// tasks nobody was given or called). 404 when the month has not been computed.
#[utoipa::path(get, path = "/api/kpis/members", tag = "kpis", params(MembersQuery),
    responses((status = 200, description = "A page of members", body = DrillPage),
        (status = 422, description = "A month range that is reversed or longer than allowed",
            body = crate::http::error::Problem, content_type = "application/problem+json"),
        Errors, NotFound))]
async fn kpi_members(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> Result<Json<DrillPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let figure = match q.kpi {
        Some(k) => kpi::Drill::Kpi(k),
        None => kpi::Drill::Specialist(q.specialist),
    };
    Ok(Json(kpi::drill(
        &st.core(),
        &p,
        q.store,
        q.month,
        figure,
        q.part.unwrap_or(Part::Counted),
        limit,
        q.cursor,
    )?))
}

/// The kept figures over a range of months as CSV for Excel.
///
/// Columns: `month,store,kpi,value,base,permille,computed_at`, one row per store, month and figure
/// (and `group` rows when several stores are looked at); UTF-8 with a byte-order mark, CRLF line
/// ends, fields quoted as RFC 4180 says. Every export is recorded in the audit log.
#[utoipa::path(get, path = "/api/kpis/export", tag = "kpis", params(RangeQuery),
    responses((status = 200, description = "The figures as CSV, a header line first",
        body = String, content_type = "text/csv",
        headers(("Content-Disposition" = String, description = "attachment; filename=\"kpis.csv\""))),
        (status = 422, description = "A month range that is reversed or longer than allowed",
            body = crate::http::error::Problem, content_type = "application/problem+json"),
        Errors, NotFound))]
async fn kpi_export(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let (from, to) = q.range();
    let csv = kpi::csv(&st.core(), &p, q.store, from, to)?;
    Ok(super::export::csv_file("kpis.csv", csv))
}

/// Which month to compute again, for which store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputeBody {
    /// The month, `YYYY-MM`; it must have ended.
    #[schema(value_type = String, pattern = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$", example = "2026-11")]
    month: Month,
    /// The store; every store within the caller's scope when absent.
    store: Option<StoreId>,
}

/// The months computed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Computed {
    /// One per store.
    pub months: Vec<KeptMonth>,
}

/// Computes a month that has ended again from the records as they are now, and keeps it in place
/// of what was kept (the 1st's run computes the month before by itself). Audited.
#[utoipa::path(post, path = "/api/kpis/compute", tag = "kpis",
    request_body = ComputeBody,
    responses((status = 200, description = "The months kept", body = Computed),
        Errors, NotFound, BodyErrors))]
async fn kpi_compute(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<ComputeBody>,
) -> Result<Json<Computed>, ApiError> {
    let st2 = st.clone();
    let months = crate::http::extract::blocking(move || {
        Ok(kpi::recompute(&mut st2.core(), &p, b.month, b.store)?)
    })
    .await?;
    Ok(Json(Computed { months }))
}
