//! The HTTP layer: the only one that knows axum's routing, status codes and JSON shapes.
//!
//! Handlers turn requests into calls on the domain and its answers (or errors) into responses;
//! every domain error is mapped to a status and a problem+json body in one place.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod cards;
pub mod cardstock;
pub mod club;
pub mod conflicts;
pub mod export;
pub mod openapi;
pub mod ops;
mod sync;

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

pub use api::{ApiError, AppState};

/// The largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole application: the API, the sync endpoint and (when built) the web app in `web`.
pub fn router(state: AppState, web: Option<PathBuf>) -> Router {
    let mut app = Router::new()
        .merge(api::routes())
        .merge(cards::routes())
        .merge(conflicts::routes())
        .merge(openapi::routes())
        .merge(export::routes())
        .merge(cardstock::routes())
        .merge(club::routes())
        .route("/sync", get(sync::sync_endpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    match web {
        Some(dir) => {
            tracing::info!(dir = %dir.display(), "serving the web app");
            let index = dir.join("index.html");
            app = app.fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(index)));
        }
        None => {
            tracing::warn!(
                "the web app is not built (run scripts/build-web); serving the API only"
            );
            app = app.fallback(|| async {
                api::problem(
                    axum::http::StatusCode::NOT_FOUND,
                    "the web app is not built on this server: run scripts/build-web",
                )
            });
        }
    }
    app.layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
