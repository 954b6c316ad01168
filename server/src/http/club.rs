//! Club life outside the member file (DOMAIN.md §6): complaints with their owners and answer
//! deadlines, club events with invitations, RSVPs and attendance, partner merchants and corporate
//! agreements. The rules are in `domain::complaints`, `domain::club_events` and
//! `domain::partners`; these handlers parse, call them and shape the answers.
//!
//! Complaints are in [`complaints`], club events in [`events`], partner merchants and corporate
//! agreements in [`partners`].

use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub(crate) mod complaints;
mod complaints_analysis;
pub(crate) mod events;
mod partners;

/// The routes of complaints, club events, partners and corporate agreements.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(complaints::routes())
        .merge(complaints_analysis::routes())
        .merge(events::routes())
        .merge(partners::routes())
}
