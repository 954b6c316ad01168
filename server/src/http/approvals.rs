//! What awaits the back office's decision: enrollments (`GET /api/approvals`) and contact changes
//! (`GET /api/contact-changes`). The rules are in [`crate::domain::approvals`] and
//! [`crate::domain::contact_changes`].

use axum::Json;
use axum::extract::State;
use carclub_shared::{MemberId, StoreId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Errors, NotFound};
use super::extract::{ApiQuery, Caller, page_limit};
use crate::domain::approvals::{self, Approvals, ApprovalsQuery};
use crate::domain::contact_changes::{self, ContactChanges};

/// The routes of the approvals list.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_approvals))
        .routes(routes!(list_contact_changes))
}

/// Which enrollments.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApprovalsParams {
    /// One store (group roles); the caller's scope when absent.
    store: Option<StoreId>,
    /// Most enrollments in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    after: Option<MemberId>,
}

/// The enrollments awaiting the back office's approval in the caller's scope (their store; group
/// roles every store, or `store`), oldest first: who, what card, tier and fee, the receipt and the
/// documents seen, who enrolled them on which device, and the deadline — membership takes effect
/// within 3 working days (001), so each says the working days waited, the due day, and whether it
/// is overdue or due soon (today or the next working day).
///
/// Only roles that may approve enrollments see it; the phone is masked for roles that do not see
/// contacts.
#[utoipa::path(get, path = "/api/approvals", tag = "members", params(ApprovalsParams),
    responses((status = 200, description = "A page of pending enrollments", body = Approvals),
        Errors, NotFound))]
async fn list_approvals(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ApprovalsParams>,
) -> Result<Json<Approvals>, ApiError> {
    let query = ApprovalsQuery {
        store: q.store,
        after: q.after,
        limit: page_limit(q.limit)?,
    };
    Ok(Json(approvals::pending(&st.core(), &p, &query)?))
}

/// Which contact changes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactChangesParams {
    /// One store (group roles); the caller's scope when absent.
    store: Option<StoreId>,
}

/// The requests to change a member's contact details awaiting the store's answer, in the
/// caller's scope (their store; group roles every store, or `store`), oldest first, at most 500:
/// who asked (the member on their phone, or the staff who keyed it in), the phone on file and the
/// new details asked for. The answer is the operation `contact_change_decided`
/// (`POST /api/members/{id}/operations`); confirmed, the new details apply to the member's file.
///
/// Only roles that may answer see it; phone numbers are masked for roles that do not see
/// contacts.
#[utoipa::path(get, path = "/api/contact-changes", tag = "members", params(ContactChangesParams),
    responses((status = 200, description = "The requests awaiting an answer", body = ContactChanges),
        Errors, NotFound))]
async fn list_contact_changes(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ContactChangesParams>,
) -> Result<Json<ContactChanges>, ApiError> {
    Ok(Json(contact_changes::pending(&st.core(), &p, q.store)?))
}
