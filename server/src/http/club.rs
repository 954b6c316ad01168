//! Club life outside the member file (DOMAIN.md §6): complaints with their owners and answer
//! deadlines, club events with invitations, RSVPs and attendance, partner merchants and corporate
//! agreements. The rules are in `domain::complaints`, `domain::club_events` and
//! `domain::partners`; these handlers parse, call them and shape the answers.
//!
//! Complaints are in [`complaints`], club events in [`events`], partner merchants and corporate
//! agreements in [`partners`].

use utoipa_axum::router::OpenApiRouter;

use super::AppState;
use super::error::ApiError;

mod complaints;
mod events;
mod partners;

/// The routes of complaints, club events, partners and corporate agreements.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(complaints::routes())
        .merge(events::routes())
        .merge(partners::routes())
}

/// The most records in one page of a listing.
const MAX_LIMIT: u32 = 1000;
/// The page size when none is asked for.
const DEFAULT_LIMIT: usize = 200;

/// The page size asked for: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n @ 1..=MAX_LIMIT) => Ok(n as usize),
        Some(_) => Err(ApiError::BadRequest(format!("limit is 1 to {MAX_LIMIT}"))),
    }
}
