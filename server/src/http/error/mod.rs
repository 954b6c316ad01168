//! Errors as the API answers them: one `application/problem+json` body ([`Problem`]) and the one
//! mapping from every domain error to a status, in this module (one file per domain area).
//!
//! The client reads a detail it can act on; the cause chain of an internal error goes to the log,
//! never to the client.

mod accounts;
mod approvals;
mod cards;
mod cardstock;
mod club_events;
mod complaints;
mod conflicts;
mod export;
mod members;
mod ops;
mod partners;
mod program;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};

use crate::domain::BadId;
use crate::domain::audit::AuditError;
use crate::domain::auth::AuthError;
use crate::domain::fold::Refusal;
use crate::domain::perm::Denied;
use crate::storage::StoreError;

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
    /// What went wrong, in words a person can act on.
    pub detail: String,
}

impl Problem {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("error").into(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| {
            // Four strings and a number always encode; this is never reached.
            r#"{"type":"about:blank","title":"error","status":500,"detail":""}"#.into()
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
pub fn problem(status: StatusCode, detail: &str) -> Response {
    Problem::new(status, detail).into_response()
}

/// An API error: a status and a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    PayloadTooLarge(String),
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
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
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
        Problem::new(self.status(), self.to_string()).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // A body that is not JSON, or not the JSON the operation takes, is a malformed request
        // (400) whatever axum would call it; only a body over the limit is 413.
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("the request body is too large".into())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::BadRequest(
                "send the body as JSON (Content-Type: application/json)".into(),
            ),
            _ => ApiError::BadRequest(r.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<BadId> for ApiError {
    fn from(e: BadId) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Denied(d) => d.into(),
            AuditError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials | AuthError::NoSession => {
                ApiError::Unauthorized(e.to_string())
            }
            AuthError::UsernameTaken(_) => ApiError::Conflict(e.to_string()),
            AuthError::WeakPassword | AuthError::BadInvitation => {
                ApiError::BadRequest(e.to_string())
            }
            AuthError::Store(s) => s.into(),
            AuthError::Hash => ApiError::internal(e),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        ApiError::Forbidden(e.to_string())
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        match e {
            Refusal::Denied(d) => d.into(),
            Refusal::UnknownMember(_) => ApiError::NotFound(e.to_string()),
            Refusal::Engine(_) => ApiError::Conflict(e.to_string()),
            Refusal::WrongDevice { .. }
            | Refusal::WrongAuthor
            | Refusal::FutureDate(_)
            | Refusal::NoMember
            | Refusal::EnrollmentNeedsDevice => ApiError::BadRequest(e.to_string()),
            Refusal::Enrollment(_) | Refusal::UnknownCompany(_) => {
                ApiError::Unprocessable(e.to_string())
            }
            Refusal::VisitOutsideCompanies | Refusal::EnrollmentOutsideCompanies => {
                ApiError::Forbidden(e.to_string())
            }
            Refusal::Storage(s) => s.into(),
            Refusal::NoProgram(_) => ApiError::internal(e),
        }
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
