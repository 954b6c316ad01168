//! The export's errors as responses.

use super::ApiError;
use crate::domain::export::ExportError;

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Denied(d) => d.into(),
            ExportError::Store(s) => s.into(),
        }
    }
}
