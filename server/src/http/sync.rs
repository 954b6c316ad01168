//! The sync endpoint: authenticates the request (bearer token in the `token` query parameter, or
//! the Authorization header) and upgrades it to a WebSocket that the sync layer runs.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carclub_protocol::wire::MAX_FRAME_BYTES;
use serde::Deserialize;

use super::api::{AppState, bearer, problem};

#[derive(Deserialize)]
pub struct SyncQuery {
    #[serde(default)]
    token: Option<String>,
}

/// Upgrades an authenticated request to a sync connection.
pub async fn sync_endpoint(
    State(st): State<AppState>,
    Query(q): Query<SyncQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(token) = q.token.or_else(|| bearer(&headers)) else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "sync needs a bearer token (?token=… or Authorization: Bearer …)",
        );
    };
    let accounts = st.accounts.clone();
    let principal = match tokio::task::spawn_blocking(move || accounts.authenticate(&token)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return problem(StatusCode::UNAUTHORIZED, &e.to_string()),
        Err(_) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "authentication failed"),
    };
    let shared = st.shared.clone();
    let accounts = st.accounts.clone();
    let device = principal.device;
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            // The device's last sync: when it connected, then when it hung up.
            let seen = accounts.clone();
            let _ = tokio::task::spawn_blocking(move || {
                crate::domain::device_sync::touch(&seen, device);
            })
            .await;
            crate::sync::ws::run(socket, shared, principal).await;
            let _ = tokio::task::spawn_blocking(move || {
                crate::domain::device_sync::touch(&accounts, device);
            })
            .await;
        })
}
