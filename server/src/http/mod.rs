//! The HTTP layer: the only one that knows axum's routing, status codes and JSON shapes.
//!
//! Handlers turn requests into calls on the domain and its answers (or errors) into responses;
//! every domain error is mapped to a status and a problem+json body in one place.

pub mod accounts;
pub mod api;
pub mod approvals;
pub mod audit;
pub mod bodies;
pub mod cards;
pub mod cardstock;
pub mod care;
pub mod club;
pub mod conflicts;
pub mod error;
pub mod export;
pub mod extract;
pub mod imports;
pub mod kpi;
pub mod members;
pub mod openapi;
pub mod operate;
pub mod ops;
pub mod outbox;
pub mod program;
pub mod session;
mod sync;
pub mod webapp;

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config, SwaggerUi};

pub use api::{ApiError, AppState};

/// The largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every documented operation, each registered with the description of its handler.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(session::routes())
        .merge(members::routes())
        .merge(audit::routes())
        .merge(cards::routes())
        .merge(cardstock::routes())
        .merge(conflicts::routes())
        .merge(export::routes())
        .merge(imports::routes())
        .merge(club::routes())
        .merge(accounts::routes())
        .merge(ops::routes())
        .merge(program::routes())
        .merge(approvals::routes())
        .merge(care::routes())
        .merge(outbox::routes())
        .merge(kpi::routes())
}

/// The API's OpenAPI description, as served at `/api/openapi.json`.
pub fn description() -> utoipa::openapi::OpenApi {
    api_routes().into_openapi()
}

/// The description as pretty JSON with a final newline: what `carclub-server openapi` prints and
/// `web/src/api/openapi.json` holds.
pub fn description_json() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&description())?;
    text.push('\n');
    Ok(text)
}

/// The whole application: the API, the sync endpoint and (when built) the web app in `web`.
pub fn router(state: AppState, web: Option<PathBuf>) -> Router {
    let (documented, description) = api_routes().split_for_parts();
    let mut app = Router::new()
        .merge(documented)
        .merge(api::routes())
        .merge(operate::routes())
        .merge(
            SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", description)
                .config(Config::default().validator_url("none")),
        )
        .route("/sync", get(sync::sync_endpoint))
        // A path under /api that no route takes is a problem, never the web app's page.
        .route("/api", any(error::not_found))
        .route("/api/{*rest}", any(error::not_found))
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // A folder without the app's page would answer every other path with an empty 404.
    match web.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => {
            tracing::info!(dir = %dir.display(), "serving the web app");
            app = app.fallback_service(webapp::service(&dir));
        }
        None => {
            tracing::warn!(
                "the web app is not built (run scripts/build-web); serving the API only"
            );
            app = app.fallback(|| async {
                api::problem(
                    axum::http::StatusCode::NOT_FOUND,
                    error::Detail::new(
                        error::Code::WebAppNotBuilt,
                        "the web app is not built on this server: run scripts/build-web",
                        "此服务器尚未构建网页应用：请运行 scripts/build-web",
                    ),
                )
            });
        }
    }
    // Answers the API's JSON compressed; the web app's files carry their own precompressed copies,
    // which pass through as they are (an answer that has an encoding is not compressed again).
    app.layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
