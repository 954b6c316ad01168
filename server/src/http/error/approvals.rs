//! How the errors of `domain::approvals` are answered.

use super::ApiError;
use crate::domain::accounts::AccountsError;
use crate::domain::approvals::ApprovalsError;
use crate::domain::ops::OpsError;

impl From<ApprovalsError> for ApiError {
    fn from(e: ApprovalsError) -> Self {
        match e {
            ApprovalsError::Denied(d) => d.into(),
            // Answered as every route that names a store or a member answers an unknown one.
            ApprovalsError::UnknownStore(s) => AccountsError::UnknownStore(s).into(),
            ApprovalsError::UnknownCursor(m) => OpsError::NotOnFile(m).into(),
            ApprovalsError::Store(s) => s.into(),
        }
    }
}
