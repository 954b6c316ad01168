//! How the errors of `domain::program` are answered.

use super::ApiError;
use crate::domain::accounts::AccountsError;
use crate::domain::program::ProgramError;

impl From<ProgramError> for ApiError {
    fn from(e: ProgramError) -> Self {
        match e {
            ProgramError::Denied(d) => d.into(),
            // Answered as every route that names a store answers an unknown one.
            ProgramError::UnknownStore(s) => AccountsError::UnknownStore(s).into(),
            ProgramError::UnknownProgram { .. } => ApiError::internal(e),
            ProgramError::Store(s) => s.into(),
        }
    }
}
