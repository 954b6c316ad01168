//! The club's state in memory: documents and what each is, the member index, conflicts and how
//! far each device's journal is folded, over the store. One lock guards it (the sync layer holds
//! it, with the connections); every change is committed as one atomic batch.
//!
//! A change that other devices must see names the documents it touched; [`Core::commit`] keeps
//! them in [`Core::take_changed`] for the sync layer to send on, so the domain knows nothing of
//! connections.
//!
//! **Several instances on one store.** Everything here is a cache of the store. Whoever takes the
//! core's lock also locks the store against other instances ([`locks::CORE`]) and then calls
//! [`Core::catch_up`], which reads the store's change log from where this instance stood and
//! reloads what the keys written by others name (by table), noting their documents as changed so
//! they reach this instance's connections. Validation and writes then see every instance's
//! commits, and the next instance sees these. On a store no other instance shares (sled) the log
//! is absent and catching up costs nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use automerge::Automerge;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, DocKind};
use carclub_shared::{DeviceId, MemberId, StoreId};
use serde::{Deserialize, Serialize};

use super::auth::{Accounts, DeviceRecord, Principal};
use super::fold::Conflict;
use super::members::MemberIndex;
use crate::storage::keys::{CONFLICTS, DOC_META, JOURNAL_POS, MEMBERS};
use crate::storage::{Batch, DocStore, Durability, Order, Store, StoreError};

/// The numbers of the locks taken on a store several instances share ([`Store::exclusive`]).
pub mod locks {
    /// Held with the core's lock: every change to the club's state, and what it validates.
    pub const CORE: u32 = 1;
    /// Held while a card block's number is taken (outside the core's lock).
    pub const CARD_BLOCKS: u32 = 2;
    /// Held while an account is created: a username checked free and taken, an invitation
    /// checked unused and redeemed (taken inside the core's lock at the first start, never the
    /// other way round).
    pub const ACCOUNTS: u32 = 3;
}

/// Change-log batches read at a time while catching up.
const CATCH_UP_BATCHES: usize = 1_000;

/// What the core keeps in memory, as read from the store.
struct Loaded {
    meta: HashMap<DocumentId, DocMeta>,
    members: BTreeMap<MemberId, docs::MemberFile>,
    conflicts: BTreeMap<String, Conflict>,
    journal_pos: HashMap<DeviceId, u64>,
    docs: DocStore,
}

impl Loaded {
    fn read(store: &dyn Store) -> Result<Self, StoreError> {
        let mut meta = HashMap::new();
        DOC_META.visit_bytes(store, Order::Forward, &mut |k, v| {
            let id: [u8; 16] = k
                .try_into()
                .map_err(|_| StoreError::corrupt(k, "a document id has 16 bytes"))?;
            let m: DocMeta = crate::storage::codec::decode(v)
                .map_err(|e| StoreError::corrupt(&DOC_META.key(&DocumentId::from_bytes(id)), e))?;
            meta.insert(DocumentId::from_bytes(id), m);
            Ok(true)
        })?;
        let mut members = BTreeMap::new();
        MEMBERS.visit(store, Order::Forward, &mut |_, m: docs::MemberFile| {
            members.insert(m.id, m);
            Ok(true)
        })?;
        let mut conflicts = BTreeMap::new();
        CONFLICTS.visit(store, Order::Forward, &mut |_, c: Conflict| {
            conflicts.insert(c.id.clone(), c);
            Ok(true)
        })?;
        let mut journal_pos = HashMap::new();
        JOURNAL_POS.visit_bytes(store, Order::Forward, &mut |k, v| {
            let device: DeviceId = String::from_utf8_lossy(k)
                .parse()
                .map_err(|_| StoreError::corrupt(k, "not a device id"))?;
            journal_pos.insert(device, journal_position(k, v)?);
            Ok(true)
        })?;
        let docs = DocStore::open(store)?;
        Ok(Self {
            meta,
            members,
            conflicts,
            journal_pos,
            docs,
        })
    }
}

fn journal_position(k: &[u8], v: &[u8]) -> Result<u64, StoreError> {
    Ok(u64::from_be_bytes(v.try_into().map_err(|_| {
        StoreError::corrupt(k, "a journal position has 8 bytes")
    })?))
}

/// What a document is and whom it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocMeta {
    pub kind: DocKind,
    pub store: Option<StoreId>,
    pub device: Option<DeviceId>,
    pub member: Option<MemberId>,
}

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
            cache_docs: crate::storage::docstore::CACHE_DOCS,
            // About 0.5 MB on the wire.
            summary_page: 5_000,
        }
    }
}

/// The server's state.
pub struct Core {
    pub store: Arc<dyn Store>,
    durable: Arc<Durability>,
    pub accounts: Accounts,
    pub docs: DocStore,
    pub meta: HashMap<DocumentId, DocMeta>,
    pub members: BTreeMap<MemberId, docs::MemberFile>,
    /// Finds members by name, phone, card, VIN or plate; kept with `members`.
    pub index: MemberIndex,
    pub conflicts: BTreeMap<String, Conflict>,
    pub journal_pos: HashMap<DeviceId, u64>,
    pub limits: Limits,
    /// Documents changed by committed batches, not yet handed to the sync layer.
    changed: Vec<DocumentId>,
    /// While an import folds a member's events one after the other: the members whose files,
    /// index records and directory entries are rewritten once at the end (`fold::refresh_deferred`)
    /// instead of after each event.
    pub deferred: Option<std::collections::BTreeSet<MemberId>>,
    /// Whether everything was reloaded since the sync layer last looked (any document may have
    /// changed).
    reloaded: bool,
    /// How far this instance has read the store's change log.
    applied_change: u64,
    /// Whether the memory may have missed a change (a catch-up failed): reload everything next.
    stale: bool,
    /// Wakes the outbox's delivery worker when a message is enqueued or retried; the worker
    /// looks under the core's lock, so it sees the batch once the enqueuer has committed it.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

impl Core {
    /// Loads the indexes from `store`.
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let accounts = Accounts::new(store.clone());
        // Read before the records, so whatever is committed while they are read is read again.
        let applied_change = store.change_head()?.unwrap_or(0);
        let Loaded {
            meta,
            members,
            conflicts,
            journal_pos,
            docs,
        } = Loaded::read(store.as_ref())?;
        let index = MemberIndex::build(members.values());
        Ok(Self {
            durable: Arc::new(Durability::new(store.clone())),
            store,
            accounts,
            docs,
            meta,
            members,
            index,
            conflicts,
            journal_pos,
            limits: Limits::default(),
            changed: Vec::new(),
            deferred: None,
            reloaded: false,
            applied_change,
            stale: false,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// How far this instance has read the store's change log.
    pub fn applied_change(&self) -> u64 {
        self.applied_change
    }

    /// Marks the memory as possibly behind the store: the next catch-up reloads everything.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// A batch built from what memory now holds was not written (or not flushed): memory is
    /// reloaded from the store, and the store made writable again, at the next lock.
    pub fn write_failed(&mut self) {
        self.stale = true;
        self.durable.note_failure();
    }

    /// Brings the memory up to what other instances committed to the store since this one last
    /// looked (see the module docs); called with the store locked against them. Nothing to do on
    /// a store no other instance shares.
    pub fn catch_up(&mut self) -> Result<(), StoreError> {
        let result = self.catch_up_inner();
        if result.is_err() {
            self.stale = true;
        }
        result
    }

    fn catch_up_inner(&mut self) -> Result<(), StoreError> {
        // After a failed write (a full disk): the store writable again first, or an error while
        // there is still no room.
        if self.durable.recover()? {
            self.stale = true;
        }
        loop {
            let Some(changes) = self
                .store
                .changes_since(self.applied_change, CATCH_UP_BATCHES)?
            else {
                // A store no other instance shares: memory is behind only after a failed write.
                if self.stale {
                    self.reload()?;
                }
                return Ok(());
            };
            match (&changes.keys, self.stale) {
                (Some(keys), false) => {
                    for key in keys {
                        self.refresh(key)?;
                    }
                }
                _ => self.reload()?,
            }
            if changes.keys.as_ref().is_none_or(|k| !k.is_empty()) {
                // What other instances applied may not be durable yet (group commit): frames
                // sent from here on wait for a flush, which covers it too.
                self.durable.apply(Batch::default())?;
            }
            self.applied_change = changes.last;
            if !changes.more {
                return Ok(());
            }
        }
    }

    /// Reloads everything from the store (after a gap in the change log or a failed catch-up).
    fn reload(&mut self) -> Result<(), StoreError> {
        let head = self.store.change_head()?.unwrap_or(0);
        let loaded = Loaded::read(self.store.as_ref())?;
        self.index = MemberIndex::build(loaded.members.values());
        self.meta = loaded.meta;
        self.members = loaded.members;
        self.conflicts = loaded.conflicts;
        self.journal_pos = loaded.journal_pos;
        self.docs = loaded.docs;
        self.applied_change = self.applied_change.max(head);
        self.stale = false;
        self.reloaded = true;
        tracing::info!(at = head, "reloaded the core from the store");
        Ok(())
    }

    /// Brings what memory holds of the record at `key` in line with the store; unknown tables
    /// are read from the store when used and hold nothing here.
    fn refresh(&mut self, key: &[u8]) -> Result<(), StoreError> {
        let store = self.store.clone();
        let store = store.as_ref();
        if let Some(rest) = DOC_META.rest_of(key) {
            let id = DocumentId::from_bytes(
                rest.try_into()
                    .map_err(|_| StoreError::corrupt(key, "a document id has 16 bytes"))?,
            );
            match DOC_META.get_at::<DocMeta>(store, key)? {
                Some(m) => self.meta.insert(id, m),
                None => self.meta.remove(&id),
            };
        } else if MEMBERS.rest_of(key).is_some() {
            let now: Option<docs::MemberFile> = MEMBERS.get_at(store, key)?;
            match now {
                Some(file) => {
                    match self.members.get(&file.id) {
                        Some(before) => self.index.update(MemberIndex::keys(before), &file),
                        None => self.index.insert(&file),
                    }
                    self.members.insert(file.id, file);
                }
                None => {
                    let id = String::from_utf8_lossy(MEMBERS.rest_of(key).unwrap_or_default())
                        .parse::<MemberId>()
                        .ok();
                    if let Some(file) = id.and_then(|id| self.members.remove(&id)) {
                        self.index.remove(&file);
                    }
                }
            }
        } else if let Some(rest) = CONFLICTS.rest_of(key) {
            match CONFLICTS.get_at::<Conflict>(store, key)? {
                Some(c) => self.conflicts.insert(c.id.clone(), c),
                None => self
                    .conflicts
                    .remove(String::from_utf8_lossy(rest).as_ref()),
            };
        } else if let Some(rest) = JOURNAL_POS.rest_of(key) {
            let device: DeviceId = String::from_utf8_lossy(rest)
                .parse()
                .map_err(|_| StoreError::corrupt(key, "not a device id"))?;
            match store.get(key)? {
                Some(v) => self.journal_pos.insert(device, journal_position(key, &v)?),
                None => self.journal_pos.remove(&device),
            };
        } else if let Some(id) = DocStore::chunk_owner(key) {
            // Reloaded on next use, and sent on to the connections that sync it.
            self.docs.evict(&id);
            self.changed.push(id);
        } else if let Some(seq) = DocStore::change_seq(key) {
            self.docs.refresh_change(store, seq)?;
        }
        Ok(())
    }

    /// Records what a document is, in memory and in `batch`.
    pub fn set_meta(
        &mut self,
        batch: &mut Batch,
        id: DocumentId,
        meta: DocMeta,
    ) -> Result<(), StoreError> {
        DOC_META.put(batch, &id, &meta)?;
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
    pub fn ensure_directory(
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

    /// The store's group commit.
    pub fn durable(&self) -> Arc<Durability> {
        self.durable.clone()
    }

    /// Commits `batch` (durable when this returns) and notes the `touched` documents for the
    /// sync layer to send on. If the commit fails (a full disk), nothing is noted, the in-memory
    /// copies are dropped, and the whole memory is reloaded from the store at the next lock:
    /// what the change set in memory before committing was never written.
    pub fn commit(&mut self, batch: Batch, touched: Vec<DocumentId>) -> Result<(), StoreError> {
        if let Err(e) = self.store.commit(batch) {
            for t in &touched {
                self.docs.evict(t);
            }
            self.write_failed();
            return Err(e);
        }
        self.changed.extend(touched);
        self.trim_cache();
        Ok(())
    }

    /// Notes documents changed by a batch committed some other way, for the sync layer.
    pub fn note_changed(&mut self, touched: Vec<DocumentId>) {
        self.changed.extend(touched);
    }

    /// Whether everything was reloaded since the last call (any document may have changed), for
    /// the sync layer.
    pub fn take_reloaded(&mut self) -> bool {
        std::mem::take(&mut self.reloaded)
    }

    /// The documents changed since the last call, for the sync layer.
    pub fn take_changed(&mut self) -> Vec<DocumentId> {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort();
        changed.dedup();
        changed
    }

    /// Lets the least recently used documents leave memory, down to the cache's bound.
    pub fn trim_cache(&mut self) {
        self.docs.trim(self.limits.cache_docs);
    }

    /// Folds the journal entries of `device` not yet folded into `batch`; returns the documents
    /// it changed.
    pub fn fold_journal(
        &mut self,
        p: &Principal,
        device: DeviceId,
        journal: &DocumentId,
        batch: &mut Batch,
    ) -> Result<Vec<DocumentId>, StoreError> {
        let pos = self.journal_pos.get(&device).copied().unwrap_or(0);
        let Some(doc) = self.docs.get(journal) else {
            return Ok(Vec::new());
        };
        let entries = docs::journal::entries(doc, pos as usize);
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let new_pos = pos + entries.len() as u64;
        let touched = super::fold::fold_entries(self, p, device, entries, batch)?;
        self.journal_pos.insert(device, new_pos);
        JOURNAL_POS.put_bytes(batch, &device, new_pos.to_be_bytes().to_vec());
        Ok(touched)
    }
}
