//! Accounts' errors as responses.

use super::ApiError;
use crate::domain::accounts::AccountsError;
use crate::domain::auth::AuthError;

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::BadText { .. }
            | AccountsError::BadUsername
            | AccountsError::UnknownProgram(_)
            | AccountsError::BadAssignment(_) => ApiError::BadRequest(e.to_string()),
            // Well-formed, but a member login asked of staff accounts, a scope and a list that do
            // not go together, or a code that opens nothing: rules the schema cannot state.
            AccountsError::MemberByInvitation
            | AccountsError::ScopeMismatch(_)
            | AccountsError::Auth(AuthError::BadInvitation) => {
                ApiError::Unprocessable(e.to_string())
            }
            AccountsError::Outranked { .. } => ApiError::Forbidden(e.to_string()),
            AccountsError::UnknownStore(_)
            | AccountsError::UnknownUser(_)
            | AccountsError::UnknownDevice(_)
            | AccountsError::NotOnFile(_) => ApiError::NotFound(e.to_string()),
            AccountsError::NotFieldStaff { .. } | AccountsError::NotOurCompany { .. } => {
                ApiError::Unprocessable(e.to_string())
            }
            AccountsError::Auth(a) => a.into(),
            AccountsError::Denied(d) => d.into(),
            AccountsError::Store(s) => s.into(),
        }
    }
}
