//! Registration over HTTP and sync over WebSocket, blocking, for the native device.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message as WsMessage, WebSocket};

use super::DirStore;
use crate::{ClientError, Device};

/// A network failure, told so a person knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("sync did not complete within {secs} s{}", .last_error.as_ref().map(|e| format!(" (server said: {e})")).unwrap_or_default())]
    Timeout {
        secs: u64,
        last_error: Option<String>,
    },
    #[error("the connection closed before sync completed{}", .0.as_ref().map(|e| format!(" (server said: {e})")).unwrap_or_default())]
    Closed(Option<String>),
    #[error(transparent)]
    Device(#[from] ClientError),
    #[error("local storage failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Registers `device` with the server at `server` as `user`; returns nothing but the device is
/// then registered and its state written to `store`.
pub fn register(
    device: &mut Device,
    store: &DirStore,
    server: &str,
    user: &str,
    password: &str,
    name: &str,
) -> Result<(), NetError> {
    let server = server.trim_end_matches('/');
    let url = format!("{server}/api/devices");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let body = serde_json::json!({"username": user, "password": password, "name": name});
    let mut resp = agent
        .post(&url)
        .send_json(&body)
        .map_err(|e| NetError::Unreachable {
            url: server.to_owned(),
            reason: e.to_string(),
        })?;
    let status = resp.status();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| NetError::Unreachable {
            url: server.to_owned(),
            reason: e.to_string(),
        })?;
    if !status.is_success() {
        let detail = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
            .unwrap_or(text);
        return Err(NetError::Refused(detail));
    }
    device.apply_registration(&text)?;
    device.set_server(server)?;
    store.write(device.take_dirty())?;
    Ok(())
}

fn set_timeout(ws: &WebSocket<MaybeTlsStream<TcpStream>>, d: Duration) {
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        let _ = s.set_read_timeout(Some(d));
    }
}

/// How often a sync in progress writes what arrived to local storage.
const WRITE_EVERY: Duration = Duration::from_millis(500);

/// When a sync in progress checks whether it is complete, and writes what arrived.
///
/// Completion is checked when the exchange settles (a frame needed no answer, or the line went
/// quiet), not after every frame: a first sync of thousands of documents is thousands of frames.
/// Checking looks at every document exchanged, so while frames keep coming it takes at most a
/// fifth of the time (after a check that took t, not again for 4t); a quiet line is checked at
/// once. What arrived is written at most every [`WRITE_EVERY`], as one write however many
/// documents, and once more when the session ends: what the server sent and a crash lost is
/// sent again at the next sync.
pub struct Pacer {
    written: Instant,
    next_check: Instant,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    /// A pacer for a session starting now.
    pub fn new() -> Self {
        Self {
            written: Instant::now(),
            next_check: Instant::now(),
        }
    }

    /// The exchange settled (`quiet`: the line went quiet rather than a frame needing no
    /// answer): whether the session is `done`, writing what arrived to `store` when it is time.
    pub fn settled(
        &mut self,
        device: &mut Device,
        store: Option<&DirStore>,
        quiet: bool,
        done: impl Fn(&Device) -> bool,
    ) -> std::io::Result<bool> {
        let now = Instant::now();
        if !quiet && now < self.next_check {
            return Ok(false);
        }
        if done(device) {
            return Ok(true);
        }
        self.next_check = Instant::now() + now.elapsed() * 4;
        if self.written.elapsed() >= WRITE_EVERY {
            let dirty = device.take_dirty();
            if let Some(store) = store {
                store.write(dirty)?;
            }
            self.written = Instant::now();
        }
        Ok(false)
    }
}

/// Syncs `device` with its server until complete or `timeout`; persists to `store` as it goes.
pub fn sync(device: &mut Device, store: &DirStore, timeout: Duration) -> Result<(), NetError> {
    let server = device
        .registration_server()
        .ok_or(NetError::Device(ClientError::NotRegistered))?;
    let url = device.sync_url(&server);
    let (mut ws, _) = tungstenite::connect(url.as_str()).map_err(|e| match e {
        tungstenite::Error::Http(resp) => {
            let detail = resp
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
                .unwrap_or_else(|| format!("HTTP {}", resp.status()));
            NetError::Refused(detail)
        }
        other => NetError::Unreachable {
            url: server.clone(),
            reason: other.to_string(),
        },
    })?;
    set_timeout(&ws, Duration::from_millis(200));
    let started = Instant::now();
    let result = (|| {
        for frame in device.sync_begin() {
            ws.send(WsMessage::Binary(frame.into()))
                .map_err(|e| NetError::Closed(Some(e.to_string())))?;
        }
        let mut pacer = Pacer::new();
        let mut settled = None;
        loop {
            if let Some(quiet) = settled.take()
                && pacer.settled(device, Some(store), quiet, Device::sync_complete)?
            {
                break;
            }
            if started.elapsed() > timeout {
                return Err(NetError::Timeout {
                    secs: timeout.as_secs(),
                    last_error: device.sync_error(),
                });
            }
            match ws.read() {
                Ok(WsMessage::Binary(frame)) => {
                    let replies = device.sync_receive(&frame)?;
                    settled = replies.is_empty().then_some(false);
                    for reply in replies {
                        ws.send(WsMessage::Binary(reply.into()))
                            .map_err(|e| NetError::Closed(Some(e.to_string())))?;
                    }
                }
                Ok(WsMessage::Close(_)) => return Err(NetError::Closed(device.sync_error())),
                Ok(_) => {}
                // A signal arrived during the read: nothing was lost, read again.
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    settled = Some(true);
                }
                Err(_) => return Err(NetError::Closed(device.sync_error())),
            }
        }
        Ok(())
    })();
    device.sync_end(super::now_ms());
    store.write(device.take_dirty())?;
    let _ = ws.close(None);
    let _ = ws.flush();
    result
}
