//! The connection hub: open sync connections, their per-document sync states, and the
//! acknowledgement rule.
//!
//! Acknowledgement rule: after a device's changes are applied, everything they caused (the journal
//! chunk, the folded events, the member files, indexes, conflicts) is written in one atomic batch.
//! Every frame sent after it carries the batch's generation, and the connection's writer releases it
//! only once a flush covers that generation (group commit, `storage/durable.rs`): the heads that tell
//! a device its upload is held never leave before the upload is durable.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::docs::DocKind;
use carclub_protocol::pack::{self, PackedDoc};
use carclub_protocol::wire::{Message, PROTOCOL_VERSION, PeerMetadata};
use tokio::sync::mpsc::UnboundedSender;

use super::access::{Access, access, access_now};
use crate::domain::Core;
use crate::domain::auth::Principal;
use crate::storage::keys::SERVER_META;
use crate::storage::{Batch, Durability, Store, StoreError};

/// What a device is told when its upload cannot be saved because the server's disk is full.
pub const DISK_FULL: &str = "disk_full: the server's disk is full, so your changes were not saved; \
    they stay on this device and are sent again at the next sync";

/// What a device is told when the server's store reopened after a full disk: its connection
/// closes and the next sync starts from what the store holds.
pub const STORE_REOPENED: &str = "store_reopened: the server's store was reopened after its disk \
    filled up; sync again";

/// What a device is told when its upload could not be saved for another reason than a full disk.
pub const NOT_SAVED: &str = "not_saved: the server could not save your changes; they stay on this \
    device and are sent again at the next sync";

/// Documents a page of `carclub-docs` holds before it is sent (the page itself is compressed).
pub const PAGE_BYTES: usize = 2 * 1024 * 1024;

/// A frame for a connection's writer, with the generation that must be durable before it leaves.
pub type Outbound = (u64, Vec<u8>);

/// One open sync connection.
struct Conn {
    principal: Principal,
    peer_id: Option<String>,
    out: UnboundedSender<Outbound>,
    opened_ms: i64,
    states: HashMap<DocumentId, sync::State>,
    warned_read_only: HashSet<DocumentId>,
}

/// A failure while handling a sync frame that ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the session of this connection was revoked")]
    Revoked,
}

/// The open connections.
pub struct Hub {
    durable: Arc<Durability>,
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    peer_id: String,
}

impl Hub {
    /// The hub of a server whose state is `core`; the server's peer id is kept in the store.
    pub fn open(core: &Core) -> Result<Self, StoreError> {
        let store: &dyn Store = core.store.as_ref();
        let peer_id = match SERVER_META.get_bytes(store, "peer-id")? {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => {
                let id = format!("carclub-server-{}", uuid::Uuid::new_v4());
                let mut b = Batch::default();
                SERVER_META.put_bytes(&mut b, "peer-id", id.as_bytes().to_vec());
                store.commit(b)?;
                id
            }
        };
        Ok(Self {
            durable: core.durable(),
            conns: HashMap::new(),
            next_conn: 1,
            peer_id,
        })
    }

    /// Registers a new connection; returns its id.
    pub fn connect(&mut self, principal: Principal, out: UnboundedSender<Outbound>) -> u64 {
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(
            id,
            Conn {
                principal,
                peer_id: None,
                out,
                opened_ms:
                    carclub_shared::Timestamp::from_datetime(time::OffsetDateTime::now_utc())
                        .millis(),
                states: HashMap::new(),
                warned_read_only: HashSet::new(),
            },
        );
        id
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, conn: u64) {
        self.conns.remove(&conn);
    }

    /// Queues an encoded frame for a connection, to leave once what the server holds now is durable.
    pub fn send_raw(&self, conn: u64, frame: Vec<u8>) -> bool {
        self.conns
            .get(&conn)
            .is_some_and(|c| c.out.send((self.durable.applied(), frame)).is_ok())
    }

    /// Sends an error that holds nothing of the store's state at once, whatever is durable.
    pub fn send_now(&self, conn: u64, message: String) {
        tracing::info!(conn, %message, "sync error sent");
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let frame = Message::Error {
            sender_id: Some(self.peer_id.clone()),
            target_id: c.peer_id.clone(),
            message,
        };
        let _ = c.out.send((0, frame.encode()));
    }

    fn send(&self, conn: u64, msg: Message) {
        self.send_raw(conn, msg.encode());
    }

    fn target(&self, conn: u64) -> String {
        self.conns
            .get(&conn)
            .and_then(|c| c.peer_id.clone())
            .unwrap_or_default()
    }

    fn send_error(&self, conn: u64, message: String) {
        tracing::info!(conn, %message, "sync error sent");
        self.send(
            conn,
            Message::Error {
                sender_id: Some(self.peer_id.clone()),
                target_id: Some(self.target(conn)),
                message,
            },
        );
    }

    /// Handles one frame from a connection.
    ///
    /// A store that fails while the frame is handled (a read or an id as much as the batch) ends
    /// the connection, and the device is told first: `disk_full` when the disk is full, whatever
    /// part of the work found it so (once sled's own background flush found the disk full, it
    /// answers that error to later calls), otherwise `not_saved`. Either way nothing of the frame was saved and the
    /// device sends it again at its next sync.
    pub fn handle_frame(
        &mut self,
        core: &mut Core,
        conn: u64,
        frame: &[u8],
    ) -> Result<(), SyncError> {
        let result = self.dispatch(core, conn, frame);
        if let Err(SyncError::Store(e)) = &result {
            self.send_now(
                conn,
                if e.is_disk_full() {
                    DISK_FULL
                } else {
                    NOT_SAVED
                }
                .into(),
            );
        }
        core.trim_cache();
        result
    }

    /// Whether the connection's session still stands: its device not revoked, its person not
    /// disabled, its login not revoked since the connection opened. A lost phone stops syncing at
    /// once, not at its next connection.
    fn still_allowed(&self, core: &Core, conn: u64) -> Result<bool, StoreError> {
        let Some(c) = self.conns.get(&conn) else {
            return Ok(false);
        };
        let p = &c.principal;
        if let Some(d) = p.device
            && core.accounts.device(d)?.is_none_or(|d| d.revoked)
        {
            return Ok(false);
        }
        if core.accounts.user(p.user.id)?.is_none_or(|u| u.disabled) {
            return Ok(false);
        }
        if p.device.is_none()
            && core
                .accounts
                .sessions_revoked_at(p.user.id)?
                .is_some_and(|at| at >= c.opened_ms)
        {
            return Ok(false);
        }
        Ok(true)
    }

    fn dispatch(&mut self, core: &mut Core, conn: u64, frame: &[u8]) -> Result<(), SyncError> {
        if !self.still_allowed(core, conn)? {
            self.send_error(
                conn,
                "this device or session was revoked; sign in again".into(),
            );
            return Err(SyncError::Revoked);
        }
        let msg = match Message::decode(frame) {
            Ok(m) => m,
            Err(e) => {
                self.send_error(conn, format!("malformed message: {e}"));
                return Ok(());
            }
        };
        match msg {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                ..
            } => {
                if !supported_protocol_versions.is_empty()
                    && !supported_protocol_versions
                        .iter()
                        .any(|v| v == PROTOCOL_VERSION)
                {
                    self.send_error(conn, format!("unsupported protocol versions {supported_protocol_versions:?}; this server speaks {PROTOCOL_VERSION}"));
                    return Ok(());
                }
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.peer_id = Some(sender_id.clone());
                }
                self.send(
                    conn,
                    Message::Peer {
                        sender_id: self.peer_id.clone(),
                        selected_protocol_version: PROTOCOL_VERSION.into(),
                        target_id: sender_id,
                        peer_metadata: PeerMetadata {
                            storage_id: None,
                            is_ephemeral: false,
                        },
                    },
                );
                Ok(())
            }
            Message::Request {
                document_id, data, ..
            }
            | Message::Sync {
                document_id, data, ..
            } => self.handle_sync(core, conn, document_id, &data),
            Message::HeadsSummary { cursor, .. } => self.send_changes(core, conn, cursor),
            Message::Fetch { documents, .. } => self.send_documents(core, conn, documents),
            _ => Ok(()),
        }
    }

    fn handle_sync(
        &mut self,
        core: &mut Core,
        conn: u64,
        id: DocumentId,
        data: &[u8],
    ) -> Result<(), SyncError> {
        let Some(principal) = self.conns.get(&conn).map(|c| c.principal.clone()) else {
            return Ok(());
        };
        let access = access(core, &principal, &id);
        let unavailable = |core: &Self| {
            core.send(
                conn,
                Message::DocUnavailable {
                    sender_id: core.peer_id.clone(),
                    target_id: core.target(conn),
                    document_id: id,
                },
            );
        };
        if access == Access::None {
            unavailable(self);
            return Ok(());
        }
        let message = match carclub_protocol::wire::decode_sync(data) {
            Ok(m) => m,
            Err(e) => {
                self.send_error(
                    conn,
                    format!("malformed sync message for document {id}: {e}"),
                );
                return Ok(());
            }
        };
        if access == Access::Read && self.answer_from_store(core, conn, id, &message)? {
            return Ok(());
        }
        if !core.docs.load(core.store.as_ref(), &id)? {
            if access == Access::Write {
                core.docs.insert_new(id, Automerge::new());
            } else {
                unavailable(self);
                return Ok(());
            }
        }
        let carries_changes = !message.changes.is_empty();
        let (Some(c), Some(doc)) = (self.conns.get_mut(&conn), core.docs.get_mut(&id)) else {
            return Ok(());
        };
        let state = c.states.entry(id).or_insert_with(|| {
            if access == Access::Write {
                sync::State::new()
            } else {
                sync::State::new_read_only()
            }
        });
        let warn = access == Access::Read && carries_changes && c.warned_read_only.insert(id);
        let before = doc.get_heads();
        // Automerge 0.12 panics on some malformed change chunks (its column decoder unwraps a
        // number cut short) instead of answering an error. A peer's bytes must not take the server
        // down: the panic is contained, the document's in-memory copy and this connection's sync
        // state (perhaps half-changed) are dropped so the stored document is read again, and the
        // peer is told, as for any message that cannot be applied.
        let received = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            doc.receive_sync_message(state, message)
        }));
        let Ok(received) = received else {
            c.states.remove(&id);
            core.docs.evict(&id);
            self.send_error(
                conn,
                format!(
                    "sync message for document {id} could not be applied: its changes are malformed"
                ),
            );
            return Ok(());
        };
        let changed = doc.get_heads() != before;
        if let Err(e) = received {
            self.send_error(
                conn,
                format!("sync message for document {id} could not be applied: {e}"),
            );
            return Ok(());
        }
        if warn {
            self.send_error(
                conn,
                format!("document {id} is read-only for you: its changes were not applied"),
            );
        }
        let mut touched = Vec::new();
        if changed {
            let mut batch = Batch::default();
            core.docs.save(&id, &mut batch);
            let folded = match principal.device.filter(|_| {
                core.meta
                    .get(&id)
                    .is_some_and(|m| m.kind == DocKind::Journal)
            }) {
                Some(device) => core.fold_journal(&principal, device, &id, &mut batch),
                None => Ok(Vec::new()),
            };
            let saved = folded.and_then(|t| {
                touched = t;
                self.durable.apply(batch)
            });
            if let Err(e) = saved {
                // Nothing was acknowledged: drop the in-memory copies so they reload what is
                // durable, and reload the rest (journal positions, member files) at the next lock.
                // The device is told why in `handle_frame`.
                core.docs.evict(&id);
                for t in &touched {
                    core.docs.evict(t);
                }
                core.write_failed();
                return Err(e.into());
            }
        }
        // Other documents first, so a device sees its outcomes before the acknowledgement.
        for t in touched {
            self.broadcast(core, t, None);
        }
        if changed {
            self.broadcast(core, id, Some(conn));
        }
        self.reply(core, conn, id);
        Ok(())
    }

    /// Answers, without loading the document, the two messages of a device's first sync of a
    /// document it may only read: its request when it holds nothing of it (sent the document as
    /// stored — the chunks concatenated, a whole document as a v2 sync message carries one —
    /// with the heads the change sequence records), and its acknowledgement once it holds those
    /// heads (nothing to answer). The connection's sync state is left as Automerge's own
    /// `receive_sync_message` and `generate_sync_message` would have left it, so later changes
    /// reach the device as usual. Whether the message was answered; anything else (a peer
    /// without v2 messages, changes or needs in the message, heads the server did not send, a
    /// document with unsaved changes in memory) takes the general path.
    fn answer_from_store(
        &mut self,
        core: &mut Core,
        conn: u64,
        id: DocumentId,
        message: &sync::Message,
    ) -> Result<bool, SyncError> {
        let Some(flags) = message.flags else {
            return Ok(false);
        };
        if !message.changes.is_empty() || !message.need.is_empty() {
            return Ok(false);
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return Ok(false);
        };
        let mut caps = vec![sync::Capability::MessageV2];
        if flags.contains(sync::MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(sync::Capability::SyncReset);
        }
        if message.heads.is_empty() {
            if c.states.contains_key(&id) {
                return Ok(false);
            }
            let Some((bytes, heads)) = core.docs.stored(core.store.as_ref(), &id)? else {
                return Ok(false);
            };
            let mut state = sync::State::new_read_only();
            state.their_capabilities = Some(caps);
            state.peer_read_only = flags.contains(sync::MessageFlags::READ_ONLY);
            state.their_have = Some(message.have.clone());
            state.their_heads = Some(Vec::new());
            state.their_need = Some(Vec::new());
            state.have_responded = true;
            state.last_sent_heads.clone_from(&heads);
            state.in_flight = true;
            c.states.insert(id, state);
            let mut out_flags = sync::MessageFlags::new();
            out_flags.set(sync::MessageFlags::SUPPORTS_SYNC_RESET);
            out_flags.set(sync::MessageFlags::READ_ONLY);
            let answer = sync::Message {
                // What the device is told the server has: everything up to these heads, so it
                // offers nothing back.
                have: vec![sync::Have {
                    last_sync: heads.clone(),
                    bloom: sync::BloomFilter::default(),
                }],
                heads,
                need: Vec::new(),
                changes: bytes.into(),
                flags: Some(out_flags),
                version: sync::MessageVersion::V2,
            };
            let frame = Message::Sync {
                sender_id: self.peer_id.clone(),
                target_id: c.peer_id.clone().unwrap_or_default(),
                document_id: id,
                data: answer.encode(),
            };
            let _ = c.out.send((self.durable.applied(), frame.encode()));
            metrics::counter!("carclub_sync_from_store_total", "step" => "document").increment(1);
            return Ok(true);
        }
        let Some(heads) = core.docs.recorded_heads(&id) else {
            return Ok(false);
        };
        let Some(state) = c.states.get_mut(&id) else {
            return Ok(false);
        };
        let covered = |hashes: &[automerge::ChangeHash]| hashes.iter().all(|h| heads.contains(h));
        if message.heads != heads
            || state.last_sent_heads != heads
            || !state.have_responded
            || !message.have.iter().all(|h| covered(&h.last_sync))
            || core.docs.get(&id).is_some_and(|d| d.get_heads() != heads)
        {
            return Ok(false);
        }
        // As `receive_sync_message` leaves it for a peer that now holds everything the server
        // has: a completed exchange, with what the peer said of itself.
        *state = pack::synced_state(heads, true);
        state.their_capabilities = Some(caps);
        state.peer_read_only = flags.contains(sync::MessageFlags::READ_ONLY);
        state.their_have = Some(message.have.clone());
        metrics::counter!("carclub_sync_from_store_total", "step" => "acknowledgement")
            .increment(1);
        Ok(true)
    }

    /// Answers a device's `carclub-fetch` with pages of the documents as stored, without loading
    /// them: each one it may only read and that is stored as it is in memory goes into a page
    /// (and the connection then syncs it from the heads sent, as after a completed exchange);
    /// one it may not read, or that does not exist, is unavailable; any other (its own journal,
    /// one syncing already, one with changes not stored yet) is declined, for the device to sync
    /// the usual way. A page holds at most [`PAGE_BYTES`] of documents; every document asked for
    /// is named once, and the last page is sent even when empty.
    fn send_documents(
        &mut self,
        core: &mut Core,
        conn: u64,
        ids: Vec<DocumentId>,
    ) -> Result<(), SyncError> {
        let Some(principal) = self.conns.get(&conn).map(|c| c.principal.clone()) else {
            return Ok(());
        };
        let mut page = Vec::new();
        let mut page_bytes = 0;
        let mut unavailable = Vec::new();
        let mut declined = Vec::new();
        for id in ids {
            let syncing = self
                .conns
                .get(&conn)
                .is_some_and(|c| c.states.contains_key(&id));
            match access(core, &principal, &id) {
                Access::None => unavailable.push(id),
                Access::Write => declined.push(id),
                Access::Read if syncing => declined.push(id),
                Access::Read => match core.docs.stored(core.store.as_ref(), &id)? {
                    Some((bytes, heads)) => {
                        if let Some(c) = self.conns.get_mut(&conn) {
                            c.states.insert(id, pack::synced_state(&heads, true));
                        }
                        page_bytes += bytes.len();
                        page.push(PackedDoc { id, heads, bytes });
                        metrics::counter!("carclub_sync_from_store_total", "step" => "page")
                            .increment(1);
                        if page_bytes >= PAGE_BYTES {
                            let full = std::mem::take(&mut page);
                            self.send_page(conn, &full, Vec::new(), Vec::new());
                            page_bytes = 0;
                        }
                    }
                    None if core.docs.recorded_heads(&id).is_none()
                        && !core.docs.is_loaded(&id) =>
                    {
                        unavailable.push(id);
                    }
                    None => declined.push(id),
                },
            }
        }
        self.send_page(conn, &page, unavailable, declined);
        Ok(())
    }

    fn send_page(
        &self,
        conn: u64,
        docs: &[PackedDoc],
        unavailable: Vec<DocumentId>,
        declined: Vec<DocumentId>,
    ) {
        self.send(
            conn,
            Message::Documents {
                sender_id: self.peer_id.clone(),
                target_id: self.target(conn),
                data: pack::pack(docs),
                unavailable,
                declined,
            },
        );
    }

    /// Answers a device's change cursor with the heads of the documents it may read that changed
    /// after it, at most [`Limits::summary_page`] of them: the answer's cursor is where this page ends, and
    /// `more` tells the device to ask again from there. No document is loaded: the change sequence
    /// holds the heads.
    fn send_changes(&mut self, core: &mut Core, conn: u64, since: u64) -> Result<(), SyncError> {
        let Some(principal) = self.conns.get(&conn).map(|c| c.principal.clone()) else {
            return Ok(());
        };
        let current = OnceCell::new();
        let (page, more) = {
            let mut readable = core
                .docs
                .changes_since(since)
                .filter(|(_, id)| access_now(core, &principal, &current, id) != Access::None);
            let page: Vec<(u64, DocumentId)> =
                readable.by_ref().take(core.limits.summary_page).collect();
            (page, readable.next().is_some())
        };
        let cursor = match page.last() {
            Some((seq, _)) if more => *seq,
            _ => core.docs.cursor(),
        };
        let mut entries = Vec::with_capacity(page.len());
        for (_, id) in page {
            if let Some(heads) = core.docs.saved_heads(core.store.as_ref(), &id)? {
                entries.push((id, heads.iter().map(|h| h.0).collect()));
            }
        }
        self.send(
            conn,
            Message::HeadsSummary {
                sender_id: self.peer_id.clone(),
                target_id: self.target(conn),
                cursor,
                entries,
                more,
            },
        );
        Ok(())
    }

    /// Sends the sync message (if any) for document `id` to connection `conn`.
    fn reply(&mut self, core: &Core, conn: u64, id: DocumentId) {
        let Some(doc) = core.docs.get(&id) else {
            return;
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(state) = c.states.get_mut(&id) else {
            return;
        };
        if let Some(msg) = doc.generate_sync_message(state) {
            let frame = Message::Sync {
                sender_id: self.peer_id.clone(),
                target_id: c.peer_id.clone().unwrap_or_default(),
                document_id: id,
                data: msg.encode(),
            };
            let _ = c.out.send((self.durable.applied(), frame.encode()));
        }
    }

    /// Sends what changed in `id` to every connection syncing it, except `skip`.
    /// A connection whose user may no longer read `id` (narrowed, reassigned) stops syncing it and
    /// is told the document is unavailable.
    pub fn broadcast(&mut self, core: &Core, id: DocumentId, skip: Option<u64>) {
        let conns: Vec<(u64, bool)> = self
            .conns
            .iter()
            .filter(|(k, c)| Some(**k) != skip && c.states.contains_key(&id))
            .map(|(k, c)| (*k, access(core, &c.principal, &id) != Access::None))
            .collect();
        for (conn, allowed) in conns {
            if allowed {
                self.reply(core, conn, id);
            } else {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.states.remove(&id);
                }
                self.send(
                    conn,
                    Message::DocUnavailable {
                        sender_id: self.peer_id.clone(),
                        target_id: self.target(conn),
                        document_id: id,
                    },
                );
            }
        }
    }

    /// Whether a connection syncs document `id`.
    pub fn syncs(&self, id: &DocumentId) -> bool {
        self.conns.values().any(|c| c.states.contains_key(id))
    }

    /// Every document some connection syncs.
    pub fn synced(&self) -> Vec<DocumentId> {
        let mut ids: Vec<DocumentId> = self
            .conns
            .values()
            .flat_map(|c| c.states.keys().copied())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The server's peer id.
    pub fn peer_id(&self) -> &str {
        &self.peer_id
    }
}
