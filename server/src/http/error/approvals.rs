//! How the errors of `domain::approvals` and `domain::contact_changes` (the lists of what awaits
//! the back office's decision) are answered.

use super::ApiError;
use crate::domain::accounts::AccountsError;
use crate::domain::approvals::ApprovalsError;
use crate::domain::contact_changes::ContactChangesError;
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

impl From<ContactChangesError> for ApiError {
    fn from(e: ContactChangesError) -> Self {
        match e {
            ContactChangesError::Denied(d) => d.into(),
            ContactChangesError::UnknownStore(s) => AccountsError::UnknownStore(s).into(),
            ContactChangesError::Store(s) => s.into(),
        }
    }
}
