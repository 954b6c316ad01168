//! Club operations' errors as responses.

use super::ApiError;
use crate::domain::ops::OpsError;

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::NotOnFile(_) => ApiError::NotFound(e.to_string()),
            OpsError::OtherMember { .. }
            | OpsError::FieldDeviceOnly { .. }
            | OpsError::Dating(_) => ApiError::BadRequest(e.to_string()),
            OpsError::NoProgram(_) => ApiError::internal(e),
            OpsError::Denied(d) => d.into(),
            OpsError::Refused(r) => r.into(),
            OpsError::Store(s) => s.into(),
        }
    }
}
