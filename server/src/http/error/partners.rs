//! How the errors of `domain::partners` are answered.

use super::ApiError;
use crate::domain::partners::PartnersError;

impl From<PartnersError> for ApiError {
    fn from(e: PartnersError) -> Self {
        match e {
            // Published in the description (text lengths and patterns, most check days).
            PartnersError::BadText { .. } | PartnersError::TooManyCheckDays { .. } => {
                ApiError::BadRequest(e.to_string())
            }
            // Well-formed dates refused by rules no schema states: an end before the start, a
            // term with no last day in the calendar, a check day outside the term.
            PartnersError::EndsBeforeStart { .. }
            | PartnersError::TermOutOfRange { .. }
            | PartnersError::CheckDayOutsideTerm { .. } => ApiError::Unprocessable(e.to_string()),
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
