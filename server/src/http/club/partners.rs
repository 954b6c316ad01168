//! Partner merchants (`/api/partners`) and corporate agreements (`/api/corporate-accounts`): the
//! handlers parse, call `domain::partners` and shape the answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::partners::{
    self, Agreement, AgreementId, NewAgreement, NewPartner, Partner, PartnerFilter, PartnerId,
};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// The routes of partners and corporate agreements.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_partners, create_partner))
        .routes(routes!(deactivate_partner))
        .routes(routes!(list_agreements, create_agreement))
        .routes(routes!(get_agreement))
}

/// Which partners, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartnerQuery {
    /// Only partners active and within their dates today (always so for a member).
    current: Option<bool>,
    /// Most partners in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: partners put on file after this one.
    after: Option<PartnerId>,
}

/// A page of partners, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPage {
    pub partners: Vec<Partner>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<PartnerId>,
}

/// Partner merchants the caller may see, oldest first (sorted by id, which is creation order),
/// paged with `after`; a member sees those of their store usable today.
#[utoipa::path(get, path = "/api/partners", tag = "partners", params(PartnerQuery),
    responses((status = 200, description = "A page of partners", body = PartnerPage), Errors))]
async fn list_partners(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<PartnerQuery>,
) -> Result<Json<PartnerPage>, ApiError> {
    let limit = crate::http::extract::page_limit(q.limit)?;
    let filter = PartnerFilter {
        current: q.current.unwrap_or(false),
        after: q.after,
    };
    let (partners, next) = partners::partners(&st.core(), &p, filter, limit)?;
    Ok(Json(PartnerPage { partners, next }))
}

/// Puts a partner merchant on file, active, for the caller's store or the one named.
#[utoipa::path(post, path = "/api/partners", tag = "partners", request_body = NewPartner,
    responses((status = 201, description = "On file", body = Partner), Errors, NotFound,
        BodyErrors))]
async fn create_partner(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewPartner>,
) -> Result<(StatusCode, Json<Partner>), ApiError> {
    let partner = partners::create_partner(&mut st.core(), &p, req)?;
    Ok((StatusCode::CREATED, Json(partner)))
}

/// Deactivates a partner merchant: it stays on file, members no longer see it. Any body is
/// ignored.
#[utoipa::path(post, path = "/api/partners/{id}/deactivate", tag = "partners",
    params(("id" = PartnerId, Path, description = "The partner's id")),
    responses((status = 200, description = "Deactivated", body = Partner), Errors, NotFound,
        Conflict))]
async fn deactivate_partner(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<PartnerId>,
) -> Result<Json<Partner>, ApiError> {
    Ok(Json(partners::deactivate_partner(&mut st.core(), &p, id)?))
}

/// Which page of agreements.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Most agreements in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: agreements signed after this one.
    after: Option<AgreementId>,
}

/// A page of corporate agreements, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementPage {
    pub agreements: Vec<Agreement>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<AgreementId>,
}

/// Corporate agreements the caller may see, oldest first (sorted by id, which is creation
/// order), paged with `after`.
#[utoipa::path(get, path = "/api/corporate-accounts", tag = "partners", params(AgreementQuery),
    responses((status = 200, description = "A page of agreements", body = AgreementPage),
        Errors))]
async fn list_agreements(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AgreementQuery>,
) -> Result<Json<AgreementPage>, ApiError> {
    let limit = crate::http::extract::page_limit(q.limit)?;
    let (agreements, next) = partners::agreements(&st.core(), &p, q.after, limit)?;
    Ok(Json(AgreementPage { agreements, next }))
}

/// Signs a corporate agreement for one year from `term_start`, with a service advisor of the
/// store and on-site check days within the term; the store's field staff may then start visits
/// at the company.
#[utoipa::path(post, path = "/api/corporate-accounts", tag = "partners",
    request_body = NewAgreement,
    responses((status = 201, description = "Signed", body = Agreement), Errors, BodyErrors))]
async fn create_agreement(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewAgreement>,
) -> Result<(StatusCode, Json<Agreement>), ApiError> {
    let a = partners::create_agreement(&mut st.core(), &p, req)?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// One corporate agreement.
#[utoipa::path(get, path = "/api/corporate-accounts/{id}", tag = "partners",
    params(("id" = AgreementId, Path, description = "The agreement's id (also the company's)")),
    responses((status = 200, description = "The agreement", body = Agreement), Errors,
        NotFound))]
async fn get_agreement(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<AgreementId>,
) -> Result<Json<Agreement>, ApiError> {
    Ok(Json(partners::agreement(&st.core(), &p, id)?))
}
