//! One sync connection: the automerge-repo WebSocket protocol, frames in and out. The HTTP layer
//! authenticates the request and upgrades it; this loop runs the connection.

use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use carclub_protocol::wire::Message;
use futures_util::{SinkExt, StreamExt};

use super::hub::{DISK_FULL, NOT_SAVED, STORE_REOPENED};
use super::{Node, Outbound, Shared};
use crate::domain::auth::Principal;

/// Serves one authenticated sync connection until it closes.
pub async fn run(socket: WebSocket, shared: Arc<Shared>, principal: Principal) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
    let user = principal.user.username.clone();
    let (conn, durable, peer) = {
        let mut locked = shared.lock();
        let node = locked.node();
        let peer = node.hub.peer_id().to_owned();
        (node.hub.connect(principal, tx), node.core.durable(), peer)
    };
    // A connection lives in one epoch of the store (see `storage/durable.rs`).
    let epoch = durable.epoch();
    tracing::info!(conn, %user, "sync connection opened");
    metrics::gauge!("carclub_sync_connections").increment(1.0);
    let writer_durable = durable.clone();
    let writer = tokio::spawn(async move {
        let durable = writer_durable;
        while let Some((generation, frame)) = rx.recv().await {
            let mut refused = None;
            if !durable.is_durable(generation) {
                let d = durable.clone();
                match tokio::task::spawn_blocking(move || d.wait(generation)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) if e.is_disk_full() => refused = Some(DISK_FULL),
                    Ok(Err(e)) => {
                        tracing::error!(conn, error = %e, "the store could not flush");
                        refused = Some(NOT_SAVED);
                    }
                    Err(e) => {
                        tracing::error!(conn, error = %e, "waiting for the store's flush panicked");
                        refused = Some(NOT_SAVED);
                    }
                }
            }
            // Checked after the flush: a batch the store dropped on reopening is never covered
            // by a flush of the epoch it was applied in.
            if refused.is_none() && durable.epoch() != epoch {
                refused = Some(STORE_REOPENED);
            }
            if let Some(message) = refused {
                // Nothing that is not durable leaves: this frame and the ones after it are
                // dropped, the device is told why, and the connection closes.
                tracing::warn!(conn, message, "sync frames dropped; closing the connection");
                let err = Message::Error {
                    sender_id: Some(peer.clone()),
                    target_id: None,
                    message: message.into(),
                };
                let _ = sink.send(WsMessage::Binary(err.encode().into())).await;
                break;
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
        if durable.epoch() != epoch || writer.is_finished() {
            // The store reopened, or the writer gave up on a failed flush: start afresh.
            break;
        }
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
                tracing::error!(conn, error = %e, cause = ?e, "sync failed; closing the connection");
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
