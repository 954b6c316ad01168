//! What operators use, outside the API's description: readiness (`/readyz`, failing while the
//! store cannot be reached; `/healthz` stays liveness), `/metrics` in the Prometheus text format
//! (rendered by `metrics-exporter-prometheus` from what the layers record with the `metrics`
//! crate) and a backup of the serving store (`GET /api/admin/backup`, the administrator only).
//!
//! The series: `carclub_sync_connections` (open sync connections), `carclub_sync_frames_total`
//! (by `direction`, in or out), `carclub_sync_from_store_total` (by `step`: a `document` sent as
//! stored to a device that held nothing of it, an `acknowledgement` of it taken, a document sent
//! in a `page` of `carclub-docs`, none loading the document), the histograms `carclub_sync_fold_seconds` (one incoming frame
//! validated, folded and applied, under the core lock) and `carclub_store_flush_seconds` (one
//! group-commit flush), and, read when scraped, `carclub_store_bytes`, `carclub_store_keys`
//! (where the backend counts cheaply: an estimate on PostgreSQL) and `carclub_outbox_backlog`
//! (messages waiting for an attempt).

use std::io::Read;
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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
        .route("/metrics", get(metrics_now))
        .route("/api/admin/backup", get(backup_now))
}

/// The process's Prometheus recorder, once installed.
static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds: 100 µs to 10 s.
const SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// Installs the process's metrics recorder (once; later calls and a recorder already set by
/// someone else leave it as it is).
pub fn install_metrics() {
    METRICS.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .ok()?;
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).ok()?;
        metrics::describe_gauge!("carclub_sync_connections", "open sync connections");
        metrics::describe_counter!("carclub_sync_frames_total", "sync frames received and sent");
        metrics::describe_counter!(
            "carclub_sync_from_store_total",
            "documents sent as stored, and their acknowledgements taken, without loading them"
        );
        metrics::describe_histogram!(
            "carclub_sync_fold_seconds",
            metrics::Unit::Seconds,
            "one incoming sync frame validated, folded and applied"
        );
        metrics::describe_histogram!(
            "carclub_store_flush_seconds",
            metrics::Unit::Seconds,
            "one group-commit flush of the store"
        );
        metrics::gauge!("carclub_sync_connections").set(0.0);
        Some(handle)
    });
}

/// The metrics in the Prometheus text format, with the store's size and the outbox's backlog
/// read now.
async fn metrics_now(State(st): State<AppState>) -> Response {
    let Some(handle) = METRICS.get().and_then(Option::as_ref) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let shared = st.shared.clone();
    let read = tokio::task::spawn_blocking(move || {
        let store = shared.lock().store.clone();
        let size = store.size()?;
        let backlog = crate::domain::care::outbox::backlog(&shared.lock())?;
        Ok::<_, crate::storage::StoreError>((size, backlog))
    })
    .await;
    match read {
        Ok(Ok((size, backlog))) => {
            metrics::gauge!("carclub_store_bytes").set(size.bytes as f64);
            if let Some(keys) = size.keys {
                metrics::gauge!("carclub_store_keys").set(keys as f64);
            }
            metrics::gauge!("carclub_outbox_backlog").set(backlog as f64);
        }
        Ok(Err(e)) => tracing::warn!(
            error = &e as &dyn std::error::Error,
            "metrics: the store cannot be read"
        ),
        Err(e) => tracing::warn!(error = %e, "metrics: reading the store stopped"),
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

fn store_of(st: &AppState) -> Arc<dyn Store> {
    st.core().store.clone()
}

/// The answer of `/readyz`.
#[derive(serde::Serialize)]
struct Readiness {
    status: &'static str,
}

/// 200 while the store answers, 503 while it cannot be reached (load balancers stop sending).
async fn readyz(State(st): State<AppState>) -> Response {
    let store = store_of(&st);
    match tokio::task::spawn_blocking(move || store.check()).await {
        Ok(Ok(())) => (StatusCode::OK, axum::Json(Readiness { status: "ready" })).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "not ready: the store cannot be reached"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Readiness {
                    status: "store unreachable",
                }),
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
