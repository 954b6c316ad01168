//! Customer care (DOMAIN.md §5, handbook 002) through the API: the service file's edits
//! ([`file`]), call tasks and their calls ([`tasks`]), the appointment register
//! ([`appointments`]), and the care manager's scripts, campaigns, lost-customer list and "run
//! the rules now" ([`manage`]). The rules are in `domain::care`; the outbox's routes are in
//! `http::outbox`.

use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub(crate) mod appointments;
pub(crate) mod file;
pub(crate) mod manage;
pub(crate) mod tasks;

/// The routes of customer care.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(file::routes())
        .merge(tasks::routes())
        .merge(appointments::routes())
        .merge(manage::routes())
}
