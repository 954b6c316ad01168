//! Extractors whose rejections are problem+json, and the authenticated caller.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header;

use super::AppState;
use super::error::ApiError;
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
        ApiError::Unauthorized("sign in first: send Authorization: Bearer <token>".into())
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

/// Reads an integer field that JSON may also write as an integral float (`158.0`): JSON Schema
/// counts such a number as an integer, so a body the description allows is not refused for its
/// spelling. A fraction, or a number out of the type's range, is refused.
/// Use with `#[serde(deserialize_with = "integral")]`.
pub fn integral<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    use serde::de::{Error, Unexpected, Visitor};

    struct Integral<T>(std::marker::PhantomData<T>);

    impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for Integral<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer in range")
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
            let refuse = || E::invalid_value(Unexpected::Float(v), &self);
            // 2^64 and -2^63 are exact as floats; every integral float between them converts.
            if v.fract() != 0.0
                || !(-9_223_372_036_854_775_808.0..18_446_744_073_709_551_616.0).contains(&v)
            {
                return Err(refuse());
            }
            let converted = if v < 0.0 {
                T::try_from(v as i64).ok()
            } else {
                T::try_from(v as u64).ok()
            };
            converted.ok_or_else(refuse)
        }
    }

    d.deserialize_any(Integral(std::marker::PhantomData))
}
