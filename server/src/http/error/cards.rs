//! How the errors of `domain::cards` are answered.

use super::ApiError;
use crate::domain::cards::CardsError;

impl From<CardsError> for ApiError {
    fn from(e: CardsError) -> Self {
        match e {
            CardsError::UnknownDevice(_) => ApiError::NotFound(e.to_string()),
            CardsError::DeviceRevoked(_) => ApiError::Conflict(e.to_string()),
            CardsError::BadCount { .. } => ApiError::BadRequest(e.to_string()),
            CardsError::Denied(d) => d.into(),
            CardsError::Store(s) => ApiError::internal(s),
        }
    }
}
