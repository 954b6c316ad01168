//! Extractors whose rejections are problem+json, and the authenticated caller.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header;

use super::AppState;
use super::error::{ApiError, Code, Detail};
use crate::domain::auth::Principal;

/// Typed path parameters; a malformed one is a 400 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Typed query parameters; a malformed one is a 400 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A JSON body; a malformed one is a problem (400, 413, 415 or 422).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The bearer token of a request, from the Authorization header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
}

/// The authenticated caller, extracted before the body so a request without a valid session gets
/// 401 whatever it carries.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Self, ApiError> {
        Ok(Caller(authenticate(st, bearer(&parts.headers)).await?))
    }
}

/// The caller holding `token`.
pub async fn authenticate(st: &AppState, token: Option<String>) -> Result<Principal, ApiError> {
    let token = token.ok_or_else(|| {
        ApiError::Unauthorized(Detail::new(
            Code::Unauthorized,
            "sign in first: send Authorization: Bearer <token>",
            "请先登录（请求须带 Authorization: Bearer <令牌>）",
        ))
    })?;
    let accounts = st.accounts.clone();
    tokio::task::spawn_blocking(move || accounts.authenticate(&token))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Runs blocking work (password hashing) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// The most records one page of a list holds, and how many when the caller does not say.
pub const MAX_PAGE: u32 = 1000;
pub const DEFAULT_PAGE: usize = 200;

/// The page size asked for: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
pub fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n @ 1..=MAX_PAGE) => Ok(n as usize),
        Some(_) => Err(ApiError::BadRequest(Detail::new(
            Code::LimitOutOfRange,
            format!("limit is 1 to {MAX_PAGE}"),
            format!("limit（每页条数）须为 1 到 {MAX_PAGE}"),
        ))),
    }
}
