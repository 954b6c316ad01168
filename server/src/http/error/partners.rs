//! How the errors of `domain::partners` are answered.

use super::ApiError;
use crate::domain::partners::PartnersError;

impl From<PartnersError> for ApiError {
    fn from(e: PartnersError) -> Self {
        match e {
            PartnersError::BadText { .. }
            | PartnersError::EndsBeforeStart { .. }
            | PartnersError::TermOutOfRange { .. }
            | PartnersError::TooManyCheckDays { .. }
            | PartnersError::CheckDayOutsideTerm { .. } => ApiError::BadRequest(e.to_string()),
            PartnersError::UnknownStore { .. }
            | PartnersError::UnknownPartner { .. }
            | PartnersError::UnknownAgreement { .. } => ApiError::NotFound(e.to_string()),
            PartnersError::AlreadyDeactivated { .. } => ApiError::Conflict(e.to_string()),
            PartnersError::NotAnAdvisor { .. } => ApiError::Unprocessable(e.to_string()),
            PartnersError::Denied(d) => d.into(),
            PartnersError::Store(s) => ApiError::internal(s),
        }
    }
}
