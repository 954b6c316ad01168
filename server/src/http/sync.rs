//! The sync endpoint: authenticates the request (bearer token in the `token` query parameter, or
//! the Authorization header) and upgrades it to a WebSocket that the sync layer runs.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use carclub_protocol::wire::MAX_FRAME_BYTES;
use serde::Deserialize;

use super::api::{AppState, bearer};
use super::error::{ApiError, Code, Detail, websocket_refused};
use super::extract::ApiQuery;

#[derive(Deserialize)]
pub struct SyncQuery {
    #[serde(default)]
    token: Option<String>,
}

/// Upgrades an authenticated request to a sync connection.
pub async fn sync_endpoint(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<SyncQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(r) => return websocket_refused(r),
    };
    let Some(token) = q.token.or_else(|| bearer(&headers)) else {
        return ApiError::Unauthorized(Detail::new(
            Code::Unauthorized,
            "sync needs a bearer token (?token=… or Authorization: Bearer …)",
            "同步须带登录令牌（?token=… 或 Authorization: Bearer …）",
        ))
        .into_response();
    };
    let accounts = st.accounts.clone();
    let principal = match tokio::task::spawn_blocking(move || accounts.authenticate(&token)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return ApiError::from(e).into_response(),
        Err(e) => return ApiError::internal(e).into_response(),
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
