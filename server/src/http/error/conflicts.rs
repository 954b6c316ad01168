//! How the errors of `domain::conflicts` are answered.

use super::ApiError;
use crate::domain::conflicts::ConflictsError;

impl From<ConflictsError> for ApiError {
    fn from(e: ConflictsError) -> Self {
        match e {
            ConflictsError::UnknownConflict(_) => ApiError::NotFound(e.to_string()),
            ConflictsError::AlreadyResolved(_) => ApiError::Conflict(e.to_string()),
            ConflictsError::BadNote => ApiError::BadRequest(e.to_string()),
            // A well-formed member id the conflict does not name: a rule the schema cannot state.
            ConflictsError::NotInConflict { .. } => ApiError::Unprocessable(e.to_string()),
            ConflictsError::Denied(d) => d.into(),
            ConflictsError::Store(s) => ApiError::internal(s),
        }
    }
}
