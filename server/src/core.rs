//! The server's state machine: documents, who may read or write each, sync connections, and the
//! member index. One lock guards it; every handler runs to completion under it, so folding an
//! upload and acknowledging it are one step.
//!
//! Acknowledgement rule: after a device's changes are applied, everything they caused (the journal
//! chunk, the folded events, the member files, indexes, conflicts) is written in one atomic batch.
//! Every frame sent after it carries the batch's generation, and the connection's writer releases it
//! only once a flush covers that generation (group commit, `durable.rs`): the heads that tell a
//! device its upload is held never leave before the upload is durable.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, DocKind};
use carclub_protocol::wire::{Message, PROTOCOL_VERSION, PeerMetadata};
use carclub_shared::{DeviceId, MemberId, StoreId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;

use crate::auth::{Accounts, DeviceRecord, Principal};
use crate::docstore::DocStore;
use crate::durable::Durability;
use crate::fold::Conflict;
use crate::store::{Batch, Order, Store, StoreError};

/// What a document is and whom it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocMeta {
    pub kind: DocKind,
    pub store: Option<StoreId>,
    pub device: Option<DeviceId>,
    pub member: Option<MemberId>,
}

/// What a caller may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None,
    Read,
    Write,
}

/// A frame for a connection's writer, with the generation that must be durable before it leaves.
pub type Outbound = (u64, Vec<u8>);

/// Tunable bounds of the server's work.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most documents kept in memory.
    pub cache_docs: usize,
    /// Most documents in one page of a heads summary: a first sync of a large store arrives in
    /// pages the device asks for one after the other.
    pub summary_page: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cache_docs: crate::docstore::CACHE_DOCS,
            // About 0.5 MB on the wire.
            summary_page: 5_000,
        }
    }
}

/// One open sync connection.
pub struct Conn {
    pub principal: Principal,
    peer_id: Option<String>,
    out: UnboundedSender<Outbound>,
    opened_ms: i64,
    states: HashMap<DocumentId, sync::State>,
    warned_read_only: HashSet<DocumentId>,
}

/// The server's state.
pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    durable: Arc<Durability>,
    pub(crate) accounts: Accounts,
    pub(crate) docs: DocStore,
    pub(crate) meta: HashMap<DocumentId, DocMeta>,
    pub(crate) members: BTreeMap<MemberId, docs::MemberFile>,
    pub(crate) conflicts: BTreeMap<String, Conflict>,
    pub(crate) journal_pos: HashMap<DeviceId, u64>,
    pub(crate) limits: Limits,
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    peer_id: String,
}

/// A failure while handling a sync frame that ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the session of this connection was revoked")]
    Revoked,
}

fn meta_key(id: &DocumentId) -> Vec<u8> {
    let mut k = b"docmeta/".to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

impl Core {
    /// Loads the indexes from `store`.
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let accounts = Accounts::new(store.clone());
        let mut meta = HashMap::new();
        store.visit(b"docmeta/", Order::Forward, &mut |k, v| {
            let id: [u8; 16] = k[8..]
                .try_into()
                .map_err(|_| corrupt("docmeta", "bad key"))?;
            let m: DocMeta = crate::codec::decode(v)?;
            meta.insert(DocumentId::from_bytes(id), m);
            Ok(true)
        })?;
        let mut members = BTreeMap::new();
        store.visit(b"member/", Order::Forward, &mut |_, v| {
            let m: docs::MemberFile =
                serde_json::from_slice(v).map_err(|e| corrupt("member", &e.to_string()))?;
            members.insert(m.id, m);
            Ok(true)
        })?;
        let mut conflicts = BTreeMap::new();
        store.visit(b"conflict/", Order::Forward, &mut |_, v| {
            let c: Conflict =
                serde_json::from_slice(v).map_err(|e| corrupt("conflict", &e.to_string()))?;
            conflicts.insert(c.id.clone(), c);
            Ok(true)
        })?;
        let mut journal_pos = HashMap::new();
        store.visit(b"journalpos/", Order::Forward, &mut |k, v| {
            let device: DeviceId = String::from_utf8_lossy(&k[11..])
                .parse()
                .map_err(|_| corrupt("journalpos", "bad key"))?;
            let pos = u64::from_be_bytes(
                v.try_into()
                    .map_err(|_| corrupt("journalpos", "bad value"))?,
            );
            journal_pos.insert(device, pos);
            Ok(true)
        })?;
        let peer_id = match store.get(b"meta/peer-id")? {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => {
                let id = format!("carclub-server-{}", uuid::Uuid::new_v4());
                let mut b = Batch::default();
                b.put(b"meta/peer-id".to_vec(), id.as_bytes().to_vec());
                store.commit(b)?;
                id
            }
        };
        let docs = DocStore::open(store.as_ref())?;
        Ok(Self {
            durable: Arc::new(Durability::new(store.clone())),
            store,
            accounts,
            docs,
            meta,
            members,
            conflicts,
            journal_pos,
            limits: Limits::default(),
            conns: HashMap::new(),
            next_conn: 1,
            peer_id,
        })
    }

    /// Records what a document is, in memory and in `batch`.
    pub(crate) fn set_meta(
        &mut self,
        batch: &mut Batch,
        id: DocumentId,
        meta: DocMeta,
    ) -> Result<(), StoreError> {
        batch.put(meta_key(&id), crate::codec::encode(&meta)?);
        self.meta.insert(id, meta);
        Ok(())
    }

    /// Sets up the documents of a newly registered device: its journal (written by the device) and
    /// its status document (written by the server).
    pub fn setup_device(
        &mut self,
        device: &DeviceRecord,
        store: StoreId,
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        let journal = docs::journal_id(device.id);
        let status = docs::status_id(device.id);
        let dir = docs::directory_id(store);
        let owned = |kind| DocMeta {
            kind,
            store: Some(store),
            device: Some(device.id),
            member: None,
        };
        self.set_meta(&mut batch, journal, owned(DocKind::Journal))?;
        self.set_meta(&mut batch, status, owned(DocKind::DeviceStatus))?;
        let mut doc = Automerge::new();
        docs::write_object(
            &mut doc,
            DocKind::DeviceStatus,
            &docs::DeviceStatus::default(),
        );
        self.docs.insert_new(status, doc);
        self.docs.save(&status, &mut batch);
        self.ensure_directory(&mut batch, store, dir)?;
        self.store.commit(batch)
    }

    /// Makes sure a store's directory document exists.
    pub(crate) fn ensure_directory(
        &mut self,
        batch: &mut Batch,
        store: StoreId,
        dir: DocumentId,
    ) -> Result<(), StoreError> {
        if self.meta.contains_key(&dir) {
            return Ok(());
        }
        self.set_meta(
            batch,
            dir,
            DocMeta {
                kind: DocKind::Directory,
                store: Some(store),
                device: None,
                member: None,
            },
        )?;
        let mut doc = Automerge::new();
        docs::write_object(&mut doc, DocKind::Directory, &docs::Directory::default());
        self.docs.insert_new(dir, doc);
        self.docs.save(&dir, batch);
        Ok(())
    }

    /// What `p` may do with document `id`: a device writes its own journal and reads its status;
    /// directories and member files are read within the scope the permission matrix gives (a
    /// member reads only their own file). Field staff assigned to companies read the directories
    /// of those companies and their members' files, never the store's directory; their assignment
    /// is read afresh, so a reassignment applies from the next request on the same connection.
    pub fn access(&self, p: &Principal, id: &DocumentId) -> Access {
        self.access_now(p, &OnceCell::new(), id)
    }

    /// [`Core::access`] with `p`'s current assignment read at most once into `current` (only when
    /// a document needs it), so many documents can be checked with one read.
    fn access_now(
        &self,
        p: &Principal,
        current: &OnceCell<Option<Principal>>,
        id: &DocumentId,
    ) -> Access {
        use crate::perm::{self, Op, Scope};
        let Some(meta) = self.meta.get(id) else {
            return Access::None;
        };
        let own_device = p.device.is_some() && p.device == meta.device;
        match meta.kind {
            DocKind::Journal if own_device => return Access::Write,
            DocKind::DeviceStatus if own_device => return Access::Read,
            _ => {}
        }
        let Some(store) = meta.store else {
            return Access::None;
        };
        let current = || current.get_or_init(|| self.current(p)).as_ref();
        let directory_readable = || {
            let Some(p) = current() else {
                return false;
            };
            match (
                perm::scope(p.user.role, Op::ListMembers),
                p.assignment.companies(),
            ) {
                (Scope::Store, Some(_)) => {
                    store == p.user.store && p.assignment.directories(store).contains(id)
                }
                (list, _) => perm::within(p, list, store, None),
            }
        };
        let file_readable = || {
            let (Some(p), Some(member)) = (current(), meta.member) else {
                return false;
            };
            let company = self.members.get(&member).and_then(|m| m.company);
            let scope = perm::scope(p.user.role, Op::ViewMemberFile);
            perm::within_member(p, scope, store, member, company)
        };
        match meta.kind {
            DocKind::Directory if directory_readable() => Access::Read,
            DocKind::Member if file_readable() => Access::Read,
            _ => Access::None,
        }
    }

    /// `p` with the assignment it has now (read from the store), or `None` if that cannot be read.
    fn current(&self, p: &Principal) -> Option<Principal> {
        match self.accounts.assignment(&p.user) {
            Ok(assignment) => Some(Principal {
                assignment,
                ..p.clone()
            }),
            Err(e) => {
                tracing::error!(user = %p.user.id, %e, "assignment unreadable; access refused");
                None
            }
        }
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

    /// The store's group commit.
    pub fn durable(&self) -> Arc<Durability> {
        self.durable.clone()
    }

    /// Queues an encoded frame for a connection, to leave once what the server holds now is durable.
    pub fn send_raw(&self, conn: u64, frame: Vec<u8>) -> bool {
        self.conns
            .get(&conn)
            .is_some_and(|c| c.out.send((self.durable.applied(), frame)).is_ok())
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
    pub fn handle_frame(&mut self, conn: u64, frame: &[u8]) -> Result<(), SyncError> {
        let result = self.dispatch(conn, frame);
        self.trim_cache();
        result
    }

    /// Commits `batch` (durable when this returns), then sends what changed in the `touched`
    /// documents to the connections syncing them. If the commit fails, nothing is sent and the
    /// in-memory copies are dropped so the next use reloads what is durable.
    pub(crate) fn commit_and_broadcast(
        &mut self,
        batch: Batch,
        touched: Vec<DocumentId>,
    ) -> Result<(), StoreError> {
        if let Err(e) = self.store.commit(batch) {
            for t in &touched {
                self.docs.evict(t);
            }
            return Err(e);
        }
        for t in touched {
            self.broadcast(t, None);
        }
        self.trim_cache();
        Ok(())
    }

    /// Lets the least recently used documents leave memory, down to the cache's bound.
    pub(crate) fn trim_cache(&mut self) {
        self.docs.trim(self.limits.cache_docs);
    }

    /// Whether the connection's session still stands: its device not revoked, its person not
    /// disabled, its login not revoked since the connection opened. A lost phone stops syncing at
    /// once, not at its next connection.
    fn still_allowed(&self, conn: u64) -> Result<bool, StoreError> {
        let Some(c) = self.conns.get(&conn) else {
            return Ok(false);
        };
        let p = &c.principal;
        if let Some(d) = p.device
            && self.accounts.device(d)?.is_none_or(|d| d.revoked)
        {
            return Ok(false);
        }
        if self.accounts.user(p.user.id)?.is_none_or(|u| u.disabled) {
            return Ok(false);
        }
        if p.device.is_none()
            && self
                .accounts
                .sessions_revoked_at(p.user.id)?
                .is_some_and(|at| at >= c.opened_ms)
        {
            return Ok(false);
        }
        Ok(true)
    }

    fn dispatch(&mut self, conn: u64, frame: &[u8]) -> Result<(), SyncError> {
        if !self.still_allowed(conn)? {
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
            } => self.handle_sync(conn, document_id, &data),
            Message::HeadsSummary { cursor, .. } => self.send_changes(conn, cursor),
            _ => Ok(()),
        }
    }

    fn handle_sync(&mut self, conn: u64, id: DocumentId, data: &[u8]) -> Result<(), SyncError> {
        let Some(principal) = self.conns.get(&conn).map(|c| c.principal.clone()) else {
            return Ok(());
        };
        let access = self.access(&principal, &id);
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
        let message = match sync::Message::decode(data) {
            Ok(m) => m,
            Err(e) => {
                self.send_error(
                    conn,
                    format!("malformed sync message for document {id}: {e}"),
                );
                return Ok(());
            }
        };
        if !self.docs.load(self.store.as_ref(), &id)? {
            if access == Access::Write {
                self.docs.insert_new(id, Automerge::new());
            } else {
                unavailable(self);
                return Ok(());
            }
        }
        let carries_changes = !message.changes.is_empty();
        let (Some(c), Some(doc)) = (self.conns.get_mut(&conn), self.docs.get_mut(&id)) else {
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
        let received = doc.receive_sync_message(state, message);
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
            self.docs.save(&id, &mut batch);
            if let Some(device) = principal.device.filter(|_| {
                self.meta
                    .get(&id)
                    .is_some_and(|m| m.kind == DocKind::Journal)
            }) {
                touched = self.fold_journal(&principal, device, &id, &mut batch);
            }
            if let Err(e) = self.durable.apply(batch) {
                // Nothing was acknowledged: drop the in-memory copies so they reload what is durable.
                self.docs.evict(&id);
                for t in &touched {
                    self.docs.evict(t);
                }
                return Err(e.into());
            }
        }
        // Other documents first, so a device sees its outcomes before the acknowledgement.
        for t in touched {
            self.broadcast(t, None);
        }
        if changed {
            self.broadcast(id, Some(conn));
        }
        self.reply(conn, id);
        Ok(())
    }

    /// Answers a device's change cursor with the heads of the documents it may read that changed
    /// after it, at most [`Limits::summary_page`] of them: the answer's cursor is where this page ends, and
    /// `more` tells the device to ask again from there. No document is loaded: the change sequence
    /// holds the heads.
    fn send_changes(&mut self, conn: u64, since: u64) -> Result<(), SyncError> {
        let Some(principal) = self.conns.get(&conn).map(|c| c.principal.clone()) else {
            return Ok(());
        };
        let current = OnceCell::new();
        let (page, more) = {
            let mut readable = self
                .docs
                .changes_since(since)
                .filter(|(_, id)| self.access_now(&principal, &current, id) != Access::None);
            let page: Vec<(u64, DocumentId)> =
                readable.by_ref().take(self.limits.summary_page).collect();
            (page, readable.next().is_some())
        };
        let cursor = match page.last() {
            Some((seq, _)) if more => *seq,
            _ => self.docs.cursor(),
        };
        let mut entries = Vec::with_capacity(page.len());
        for (_, id) in page {
            if let Some(heads) = self.docs.saved_heads(self.store.as_ref(), &id)? {
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
    fn reply(&mut self, conn: u64, id: DocumentId) {
        let Some(doc) = self.docs.get(&id) else {
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
    pub(crate) fn broadcast(&mut self, id: DocumentId, skip: Option<u64>) {
        let conns: Vec<(u64, bool)> = self
            .conns
            .iter()
            .filter(|(k, c)| Some(**k) != skip && c.states.contains_key(&id))
            .map(|(k, c)| (*k, self.access(&c.principal, &id) != Access::None))
            .collect();
        for (conn, allowed) in conns {
            if allowed {
                self.reply(conn, id);
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

    /// Folds the journal entries of `device` not yet folded; returns the documents it changed.
    fn fold_journal(
        &mut self,
        p: &Principal,
        device: DeviceId,
        journal: &DocumentId,
        batch: &mut Batch,
    ) -> Vec<DocumentId> {
        let pos = self.journal_pos.get(&device).copied().unwrap_or(0);
        let Some(doc) = self.docs.get(journal) else {
            return Vec::new();
        };
        let entries = docs::journal::entries(doc, pos as usize);
        if entries.is_empty() {
            return Vec::new();
        }
        let new_pos = pos + entries.len() as u64;
        let touched = crate::fold::fold_entries(self, p, device, entries, batch);
        self.journal_pos.insert(device, new_pos);
        batch.put(
            format!("journalpos/{device}"),
            new_pos.to_be_bytes().to_vec(),
        );
        touched
    }

    /// The server's peer id.
    pub fn peer_id(&self) -> &str {
        &self.peer_id
    }
}

fn corrupt(key: &str, reason: &str) -> StoreError {
    StoreError::Corrupt {
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}
