//! The sync endpoint: the automerge-repo WebSocket protocol, authenticated when the connection
//! opens (bearer token in the `token` query parameter, or the Authorization header).

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carclub_protocol::wire::{MAX_FRAME_BYTES, Message};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;

use crate::api::{AppState, bearer, problem};
use crate::auth::Principal;
use crate::core::Outbound;

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
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(socket, st, principal))
}

async fn run(socket: WebSocket, st: AppState, principal: Principal) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
    let user = principal.user.username.clone();
    let (conn, durable) = {
        let mut core = st.core();
        (core.connect(principal, tx), core.durable())
    };
    tracing::info!(conn, %user, "sync connection opened");
    let writer = tokio::spawn(async move {
        while let Some((generation, frame)) = rx.recv().await {
            if !durable.is_durable(generation) {
                let d = durable.clone();
                match tokio::task::spawn_blocking(move || d.wait(generation)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => flush_failed(&e.to_string()),
                    Err(e) => flush_failed(&e.to_string()),
                }
            }
            if sink.send(WsMessage::Binary(frame.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(msg)) = stream.next().await {
        let frame = match msg {
            WsMessage::Binary(b) => b,
            WsMessage::Text(_) => {
                let err = Message::Error {
                    sender_id: Some(st.core().peer_id().to_owned()),
                    target_id: None,
                    message: "this endpoint speaks CBOR in binary frames".into(),
                };
                let _ = st.core().send_raw(conn, err.encode());
                continue;
            }
            WsMessage::Close(_) => break,
            WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
        };
        let core = st.core.clone();
        let result = tokio::task::spawn_blocking(move || {
            core.lock()
                .unwrap_or_else(|e| e.into_inner())
                .handle_frame(conn, &frame)
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(conn, error = %e, "sync failed; closing the connection");
                break;
            }
            Err(e) => {
                tracing::error!(conn, error = %e, "sync handler panicked; closing the connection");
                break;
            }
        }
    }
    st.core().disconnect(conn);
    let _ = writer.await;
    tracing::info!(conn, "sync connection closed");
}

/// The store could not make applied batches durable: the server's memory now holds changes the
/// disk may not. Stop, so that a restart serves exactly what is durable; nothing unflushed was sent.
fn flush_failed(error: &str) -> ! {
    tracing::error!(%error, "the store could not flush; stopping so a restart recovers what is durable");
    std::process::exit(70)
}
