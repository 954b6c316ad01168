//! Devices in this process: registration over HTTP, and a sync loop that mirrors
//! `carclub_client::native::sync` but counts frames and bytes on the wire.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use carclub_client::Device;
use carclub_client::native::{DirStore, Pacer, now_ms};
use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_protocol::wire::Message;
use tungstenite::Message as Ws;

use crate::server::{ADMIN_PASSWORD, agent};

/// A TCP stream that counts the bytes it reads and writes (WebSocket framing included).
struct Counting {
    inner: TcpStream,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What one sync session cost.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyncStats {
    /// Binary WebSocket messages sent and received.
    pub frames_sent: u64,
    pub frames_received: u64,
    /// Bytes of those messages' payloads.
    pub payload_sent: u64,
    pub payload_received: u64,
    /// Bytes on the TCP connection, HTTP upgrade and WebSocket framing included.
    pub wire_sent: u64,
    pub wire_received: u64,
    /// From connecting to completion.
    pub elapsed: Duration,
}

impl SyncStats {
    /// Bytes on the wire both ways.
    pub fn wire_total(&self) -> u64 {
        self.wire_sent + self.wire_received
    }

    /// Frames both ways.
    pub fn frames(&self) -> u64 {
        self.frames_sent + self.frames_received
    }

    /// One line for a person.
    pub fn line(&self) -> String {
        format!(
            "sent {} B in {} frames ({} B payload), received {} B in {} frames ({} B payload), {:.3} s",
            self.wire_sent,
            self.frames_sent,
            self.payload_sent,
            self.wire_received,
            self.frames_received,
            self.payload_received,
            self.elapsed.as_secs_f64()
        )
    }
}

/// How much of a session to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Until `Device::sync_complete`, exactly like the native client.
    Complete,
    /// Only the journal and status documents, until every event is answered (bulk seeding:
    /// the seeding devices do not need the member files of everyone else).
    Acknowledged,
}

/// Registers a new in-memory device as the administrator.
pub fn register(base: &str, name: &str) -> anyhow::Result<Device> {
    let mut r = agent().post(format!("{base}/api/devices")).send_json(
        serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD, "name": name}),
    )?;
    let text = r.body_mut().read_to_string()?;
    if r.status() != 200 {
        bail!("registration refused ({}): {text}", r.status());
    }
    let mut device = Device::open(Vec::new())?;
    device.apply_registration(&text)?;
    device.set_server(base)?;
    Ok(device)
}

/// The device's journal and status documents.
fn own_docs(device: &Device) -> anyhow::Result<Vec<DocumentId>> {
    let who: serde_json::Value = serde_json::from_str(&device.whoami_json())?;
    let id: carclub_shared::DeviceId = who["device"]
        .as_str()
        .context("the device is not registered")?
        .parse()
        .map_err(|e| anyhow::anyhow!("device id: {e:?}"))?;
    Ok(vec![docs::journal_id(id), docs::status_id(id)])
}

/// Syncs `device` with the server at `base`, counting what travels; checks completion and writes
/// what the device marks dirty to `store` (or drops it) as the native client does ([`Pacer`]).
pub fn sync(
    device: &mut Device,
    base: &str,
    store: Option<&DirStore>,
    until: Until,
    timeout: Duration,
) -> anyhow::Result<SyncStats> {
    let url = device.sync_url(base);
    let addr = base.trim_start_matches("http://");
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).context("connecting")?;
    tcp.set_nodelay(true)?;
    let control = tcp.try_clone()?;
    let read = Arc::new(AtomicU64::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let stream = Counting {
        inner: tcp,
        read: read.clone(),
        written: written.clone(),
    };
    let (mut ws, _) = tungstenite::client(url.as_str(), stream)
        .map_err(|e| anyhow::anyhow!("websocket handshake: {e}"))?;
    control.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut stats = SyncStats::default();
    let allowed: Option<Vec<DocumentId>> = match until {
        Until::Complete => None,
        Until::Acknowledged => Some(own_docs(device)?),
    };
    let send = |ws: &mut tungstenite::WebSocket<Counting>,
                stats: &mut SyncStats,
                allowed: &Option<Vec<DocumentId>>,
                frame: Vec<u8>|
     -> anyhow::Result<()> {
        if let Some(allowed) = allowed {
            match Message::decode(&frame) {
                Ok(Message::Request { document_id, .. } | Message::Sync { document_id, .. }) => {
                    if !allowed.contains(&document_id) {
                        return Ok(());
                    }
                }
                // The pages of everyone else's files: not needed to seed.
                Ok(Message::Fetch { .. }) => return Ok(()),
                Ok(_) => {}
                Err(e) => bail!("the device produced an undecodable frame: {e}"),
            }
        }
        stats.frames_sent += 1;
        stats.payload_sent += frame.len() as u64;
        ws.send(Ws::Binary(frame.into()))?;
        Ok(())
    };
    let done = |device: &Device| match until {
        Until::Complete => device.sync_complete(),
        Until::Acknowledged => device.pending_events() == 0,
    };
    let result = (|| -> anyhow::Result<()> {
        for frame in device.sync_begin() {
            send(&mut ws, &mut stats, &allowed, frame)?;
        }
        let mut pacer = Pacer::new();
        let mut settled = None;
        loop {
            if let Some(quiet) = settled.take()
                && pacer.settled(device, store, quiet, done)?
            {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "sync did not complete within {} s (server said: {:?})",
                    timeout.as_secs(),
                    device.sync_error()
                );
            }
            match ws.read() {
                Ok(Ws::Binary(frame)) => {
                    stats.frames_received += 1;
                    stats.payload_received += frame.len() as u64;
                    let replies = device.sync_receive(&frame)?;
                    settled = replies.is_empty().then_some(false);
                    for reply in replies {
                        send(&mut ws, &mut stats, &allowed, reply)?;
                    }
                }
                Ok(Ws::Close(_)) => bail!("the server closed ({:?})", device.sync_error()),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    settled = Some(true);
                }
                Err(e) => bail!("connection failed: {e} ({:?})", device.sync_error()),
            }
        }
    })();
    stats.elapsed = started.elapsed();
    device.sync_end(now_ms());
    let dirty = device.take_dirty();
    if let Some(store) = store {
        store.write(dirty)?;
    }
    let _ = ws.close(None);
    let _ = ws.flush();
    stats.wire_sent = written.load(Ordering::Relaxed);
    stats.wire_received = read.load(Ordering::Relaxed);
    result.map(|()| stats)
}
