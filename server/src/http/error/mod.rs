//! Errors as the API answers them: one `application/problem+json` body ([`Problem`]) and the one
//! mapping from every domain error to a status, a [`Code`] and the same detail in English and
//! Chinese, in this module (one file per domain area; `request.rs` for the shape of requests,
//! `engine.rs` for the program engine's refusals).
//!
//! The client reads a detail it can act on, in the language it shows (the web app: Chinese
//! first); the cause chain of an internal error goes to the log, never to the client.

mod access;
mod accounts;
mod approvals;
mod cards;
mod cardstock;
mod care;
mod club_events;
mod code;
mod complaints;
mod conflicts;
mod engine;
mod export;
mod import;
mod kpi;
mod members;
mod ops;
mod outbox;
mod partners;
mod program;
mod request;
#[cfg(test)]
mod tests;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};

pub use code::Code;
pub(crate) use request::value_zh;
pub use request::{method_not_allowed, not_found, websocket_refused};

/// A problem report (RFC 9457), the body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, as a stable snake_case code: switch on this, never on the words.
    pub code: Code,
    /// What went wrong, in English words a person can act on.
    #[schema(example = "500 points asked for but only 120 held")]
    pub detail: String,
    /// The same detail in Chinese (zh-CN), with the same values (amounts, dates, card numbers),
    /// in the words of the club's staff and members: what the web app shows first.
    #[schema(example = "要兑换 500 积分，但会员只有 120 积分")]
    pub detail_zh: String,
}

/// What went wrong: its code and the same detail in English and in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub code: Code,
    pub en: String,
    pub zh: String,
}

impl Detail {
    /// The detail `en` (English) and `zh` (Chinese) of the problem `code`.
    pub fn new(code: Code, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}

impl Problem {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, detail: Detail) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("error").into(),
            status: status.as_u16(),
            code: detail.code,
            detail: detail.en,
            detail_zh: detail.zh,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| {
            // Strings, a number and a unit variant always encode; this is never reached.
            r#"{"type":"about:blank","title":"error","status":500,"code":"internal","detail":"","detail_zh":""}"#.into()
        });
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

/// Writes a problem+json response.
pub fn problem(status: StatusCode, detail: Detail) -> Response {
    Problem::new(status, detail).into_response()
}

/// An API error: a status and a detail a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.en)]
    BadRequest(Detail),
    #[error("{}", .0.en)]
    Unauthorized(Detail),
    #[error("{}", .0.en)]
    Forbidden(Detail),
    #[error("{}", .0.en)]
    NotFound(Detail),
    #[error("{}", .0.en)]
    Conflict(Detail),
    #[error("{}", .0.en)]
    Unprocessable(Detail),
    #[error("{}", .0.en)]
    PayloadTooLarge(Detail),
    /// Something failed inside the server; the cause goes to the log.
    #[error("the server could not complete the request; it has been logged")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal failure caused by `cause`.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(cause.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(cause) if disk_full(cause.as_ref()) => {
                StatusCode::INSUFFICIENT_STORAGE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem this error is answered with.
    pub fn problem(&self) -> Problem {
        let detail = match self {
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::Unprocessable(d)
            | ApiError::PayloadTooLarge(d) => d.clone(),
            ApiError::Internal(cause) if disk_full(cause.as_ref()) => Detail::new(
                Code::DiskFull,
                "the server's disk is full, so nothing was saved; the server keeps answering \
                 and saves again once space is freed on its disk: try again later",
                "服务器磁盘已满，本次操作未保存；服务器仍可查询，磁盘腾出空间后即可恢复保存，请稍后重试",
            ),
            ApiError::Internal(_) => Detail::new(
                Code::Internal,
                self.to_string(),
                "服务器未能完成请求，已记入日志；请稍后再试",
            ),
        };
        Problem::new(self.status(), detail)
    }
}

/// Whether an error was caused by a full disk, anywhere in its chain.
fn disk_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(store) = e.downcast_ref::<crate::storage::StoreError>()
            && store.is_disk_full()
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// The whole cause chain of an error, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %chain(cause.as_ref()), "request failed");
        }
        self.problem().into_response()
    }
}

/// The errors every authenticated operation may answer, as the description lists them.
#[derive(IntoResponses)]
pub enum Errors {
    /// The request's path, query or body is malformed or breaks a rule of its fields.
    #[response(
        status = 400,
        description = "Malformed request",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No valid session.
    #[response(
        status = 401,
        description = "Sign in first",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// The caller's role or scope does not allow it.
    #[response(
        status = 403,
        description = "Not allowed for your role or store",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// An operation that writes, refused because the server's disk is full (code `disk_full`):
    /// nothing was saved. Reads go on; writes succeed again once space is freed on the server.
    #[response(
        status = 507,
        description = "The server's disk is full: nothing was saved; try again later (code disk_full)",
        content_type = "application/problem+json"
    )]
    DiskFull(Problem),
}

/// Not found: an id that names nothing the caller may see.
#[derive(IntoResponses)]
pub enum NotFound {
    #[response(
        status = 404,
        description = "Not on file",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
}

/// A change refused because of the state of what it changes.
#[derive(IntoResponses)]
pub enum Conflict {
    #[response(
        status = 409,
        description = "Refused by the state of the record (already done, not possible now)",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
}

/// The errors of a JSON body.
#[derive(IntoResponses)]
pub enum BodyErrors {
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 422,
        description = "The body has the expected fields but breaks a rule the schema cannot state (a term that ends before it starts, a date in the future)",
        content_type = "application/problem+json"
    )]
    Unprocessable(Problem),
}

#[cfg(test)]
mod disk_full_tests {
    use super::{ApiError, Code};
    use crate::storage::StoreError;

    #[test]
    fn a_full_disk_is_a_507_that_says_so() {
        let refused = StoreError::DiskFull {
            free: 0,
            reserve: 1 << 22,
        };
        let full = StoreError::Sled(sled::Error::Io(std::io::Error::from_raw_os_error(28)));
        for e in [refused, full] {
            let p = ApiError::from(e).problem();
            assert_eq!((p.status, p.code), (507, Code::DiskFull));
            assert!(p.detail.contains("disk is full"), "{}", p.detail);
            assert!(p.detail_zh.contains("磁盘已满"), "{}", p.detail_zh);
        }
        let other = std::io::Error::from_raw_os_error(5);
        let p = ApiError::from(StoreError::Sled(sled::Error::Io(other))).problem();
        assert_eq!((p.status, p.code), (500, Code::Internal));
    }
}
