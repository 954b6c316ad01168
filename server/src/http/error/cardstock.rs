//! How the errors of `domain::cardstock` are answered.

use super::ApiError;
use crate::domain::cardstock::CardStockError;

impl From<CardStockError> for ApiError {
    fn from(e: CardStockError) -> Self {
        match e {
            CardStockError::UnknownHolder(_) | CardStockError::UnknownLoan(_) => {
                ApiError::NotFound(e.to_string())
            }
            CardStockError::IssuedToMember { .. }
            | CardStockError::AlreadyOut { .. }
            | CardStockError::AlreadyReturned { .. }
            | CardStockError::NotSold { .. }
            | CardStockError::ReceiptMismatch { .. }
            | CardStockError::AlreadyWrittenOff { .. } => ApiError::Conflict(e.to_string()),
            CardStockError::Denied(d) => d.into(),
            CardStockError::Store(s) => ApiError::internal(s),
        }
    }
}
