//! One sync connection: the automerge-repo WebSocket protocol, frames in and out. The HTTP layer
//! authenticates the request and upgrades it; this loop runs the connection.

use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use carclub_protocol::wire::Message;
use futures_util::{SinkExt, StreamExt};

use super::{Node, Outbound, Shared};
use crate::domain::auth::Principal;

/// Serves one authenticated sync connection until it closes.
pub async fn run(socket: WebSocket, shared: Arc<Shared>, principal: Principal) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
    let user = principal.user.username.clone();
    let (conn, durable) = {
        let mut locked = shared.lock();
        let node = locked.node();
        (node.hub.connect(principal, tx), node.core.durable())
    };
    tracing::info!(conn, %user, "sync connection opened");
    metrics::gauge!("carclub_sync_connections").increment(1.0);
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
            metrics::counter!("carclub_sync_frames_total", "direction" => "out").increment(1);
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(msg)) = stream.next().await {
        let frame = match msg {
            WsMessage::Binary(b) => {
                metrics::counter!("carclub_sync_frames_total", "direction" => "in").increment(1);
                b
            }
            WsMessage::Text(_) => {
                let mut locked = shared.lock();
                let hub = &locked.node().hub;
                let err = Message::Error {
                    sender_id: Some(hub.peer_id().to_owned()),
                    target_id: None,
                    message: "this endpoint speaks CBOR in binary frames".into(),
                };
                let _ = hub.send_raw(conn, err.encode());
                continue;
            }
            WsMessage::Close(_) => break,
            WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
        };
        let shared = shared.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut locked = shared.lock();
            let Node { core, hub } = locked.node();
            // Validating and folding what the frame carries, and applying its batch.
            let started = std::time::Instant::now();
            let handled = hub.handle_frame(core, conn, &frame);
            metrics::histogram!("carclub_sync_fold_seconds").record(started.elapsed());
            handled
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
    shared.lock().node().hub.disconnect(conn);
    metrics::gauge!("carclub_sync_connections").decrement(1.0);
    let _ = writer.await;
    tracing::info!(conn, "sync connection closed");
}

/// The store could not make applied batches durable: the server's memory now holds changes the
/// disk may not. Stop, so that a restart serves exactly what is durable; nothing unflushed was sent.
fn flush_failed(error: &str) -> ! {
    tracing::error!(%error, "the store could not flush; stopping so a restart recovers what is durable");
    std::process::exit(70)
}
