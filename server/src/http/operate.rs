//! What operators use, outside the API's description: readiness (`/readyz`, failing while the
//! store cannot be reached; `/healthz` stays liveness) and a backup of the serving store
//! (`GET /api/admin/backup`, the administrator only).

use std::io::Read;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::api::{ApiError, AppState, Caller};
use crate::domain::auth::Role;
use crate::domain::perm::Denied;
use crate::storage::{Store, backup};

/// The operators' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/api/admin/backup", get(backup_now))
}

fn store_of(st: &AppState) -> Arc<dyn Store> {
    st.core().store.clone()
}

/// 200 while the store answers, 503 while it cannot be reached (load balancers stop sending).
async fn readyz(State(st): State<AppState>) -> Response {
    let store = store_of(&st);
    match tokio::task::spawn_blocking(move || store.check()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ready"})),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "not ready: the store cannot be reached"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "store unreachable"})),
            )
                .into_response()
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// A backup of the store at one moment (the format of `carclub-server backup`), streamed. It is
/// written to a temporary file first, so a slow download never holds the store: on sled, batches
/// wait only while the snapshot is read from the store.
async fn backup_now(State(st): State<AppState>, Caller(p): Caller) -> Result<Response, ApiError> {
    if p.user.role != Role::Admin {
        return Err(Denied::Role {
            role: p.user.role.as_str(),
            op: "backup",
        }
        .into());
    }
    let store = store_of(&st);
    let (file, summary) = tokio::task::spawn_blocking(move || {
        let mut file = tempfile::tempfile()?;
        let summary = backup::backup(&*store, &mut file, &mut |_| {})?;
        std::io::Seek::rewind(&mut file)?;
        Ok::<_, backup::TransferError>((file, summary))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    tracing::info!(user = %p.user.username, %summary, "backup taken");
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        loop {
            let mut chunk = vec![0u8; 256 * 1024];
            match file.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    // Fused: the compression layer may poll again after the end.
    let stream =
        futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        }));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"carclub.backup\""),
    );
    if let Ok(v) = HeaderValue::from_str(&summary.to_string()) {
        headers.insert("x-carclub-backup", v);
    }
    Ok(response)
}
