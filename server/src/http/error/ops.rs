//! Club operations' errors as responses.

use super::ApiError;
use crate::domain::ops::OpsError;

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::NotOnFile(_) => ApiError::NotFound(e.to_string()),
            // Not in the request's description, which lists the operations the route takes.
            OpsError::FieldDeviceOnly { .. } => ApiError::BadRequest(e.to_string()),
            // As described, but naming another member than the path, or dated in the future or
            // too far back.
            OpsError::OtherMember { .. } | OpsError::Dating(_) => {
                ApiError::Unprocessable(e.to_string())
            }
            OpsError::NoProgram(_) => ApiError::internal(e),
            OpsError::Denied(d) => d.into(),
            OpsError::Refused(r) => r.into(),
            OpsError::Store(s) => s.into(),
        }
    }
}
