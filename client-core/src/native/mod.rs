//! The native device: a directory store, registration over HTTP, sync over WebSocket.

mod dirstore;
mod net;

pub use dirstore::DirStore;
pub use net::{NetError, Pacer, register, sync};

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
