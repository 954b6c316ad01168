//! How the errors of `domain::complaints` are answered.

use super::ApiError;
use crate::domain::complaints::ComplaintError;

impl From<ComplaintError> for ApiError {
    fn from(e: ComplaintError) -> Self {
        use ComplaintError as E;
        match e {
            // The text's rules are published (length and pattern): what breaks them is malformed.
            E::BadText { .. } => ApiError::BadRequest(e.to_string()),
            // A moment in the future or too far back, an answer dated before the filing, a
            // closing before the answer: well-formed, but refused by rules no schema states.
            E::BadMoment { .. } | E::AnswerBeforeFiling { .. } | E::CloseBeforeAnswer { .. } => {
                ApiError::Unprocessable(e.to_string())
            }
            E::UnknownMember(_) | E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::NotOwner { .. } => ApiError::Forbidden(e.to_string()),
            E::Closed { .. }
            | E::NotHigher { .. }
            | E::AlreadyAnswered { .. }
            | E::NotAnswered { .. } => ApiError::Conflict(e.to_string()),
            E::Denied(d) => d.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}
