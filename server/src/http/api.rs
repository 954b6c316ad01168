//! The state every handler shares, and what is common to several routes.

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};

use crate::domain::auth::Accounts;
use crate::sync::{Locked, Shared};

pub use super::error::{ApiError, problem};
pub use super::extract::{ApiJson, Caller, authenticate, bearer, blocking};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub shared: Arc<Shared>,
    pub accounts: Accounts,
}

impl AppState {
    /// The state of a server over `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            accounts: shared.accounts().clone(),
            shared,
        }
    }

    /// The core, locked; what its commits change reaches the devices when the lock is let go.
    pub fn core(&self) -> Locked<'_> {
        self.shared.lock()
    }
}

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// The answer of `/healthz`.
#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
}

/// Whether the server answers (for load balancers and scripts; not part of the description).
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
