//! How the errors of `domain::club_events` are answered.

use super::ApiError;
use crate::domain::club_events::ClubEventError;

impl From<ClubEventError> for ApiError {
    fn from(e: ClubEventError) -> Self {
        use ClubEventError as E;
        match e {
            // Published in the description (lengths, patterns, bounds, enums): malformed.
            E::BadText { .. } | E::BadCapacity(_) | E::SegmentTooLong | E::UnknownStatus(_) => {
                ApiError::BadRequest(e.to_string())
            }
            // Well-formed, but refused by rules no schema states: a moment in the future or too
            // far back, a tier the store's program does not have, staff answering for nobody.
            // The member of an attendance is named in the body, not the path: the event the path
            // names exists, so a member not on file is 422 rather than 404.
            E::BadMoment { .. } | E::UnknownTier(_) | E::NoMember | E::UnknownMember(_) => {
                ApiError::Unprocessable(e.to_string())
            }
            E::UnknownStore(_) | E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::NotInvited { .. } => ApiError::Forbidden(e.to_string()),
            E::Full { .. }
            | E::OtherStore { .. }
            | E::BeforeStart { .. }
            | E::AlreadyAttended { .. } => ApiError::Conflict(e.to_string()),
            E::Denied(d) => d.into(),
            E::Refused(r) => r.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}
