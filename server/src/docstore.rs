//! Automerge documents kept in the store: saved incrementally, compacted now and then, and
//! numbered in the order they change.
//!
//! A document is stored as a run of chunks under `doc/<id><seq>`: each change to a document writes
//! only what is new since the last save (`save_after`), and after [`COMPACT_AFTER`] chunks the run is
//! replaced by one full save in the same atomic batch. Loading concatenates the chunks, which
//! Automerge reads as one document. Documents are loaded on first use and kept in memory.
//!
//! Every save also moves the document to the end of the *change sequence* (`chg/<seq>` →
//! document id, one entry per document): a reconnecting device names the last position it saw and
//! learns exactly which documents changed since, so re-sync costs what changed, not what exists.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ChangeHash};
use carclub_protocol::DocumentId;

use crate::store::{Batch, Store, StoreError};

/// How many incremental chunks a document may have before it is compacted.
pub const COMPACT_AFTER: u64 = 32;

struct Entry {
    doc: Automerge,
    saved_heads: Vec<ChangeHash>,
    first_seq: u64,
    next_seq: u64,
    last_used: Cell<u64>,
}

/// How many documents stay in memory; beyond it the least recently used saved ones are dropped
/// (they reload from the store on next use).
pub const CACHE_DOCS: usize = 20_000;

/// The documents the server holds.
#[derive(Default)]
pub struct DocStore {
    docs: HashMap<DocumentId, Entry>,
    /// Change sequence number → the document whose latest change it is.
    changes: BTreeMap<u64, DocumentId>,
    /// Document → its position in the change sequence.
    positions: HashMap<DocumentId, u64>,
    seq: u64,
    clock: Cell<u64>,
}

fn change_key(seq: u64) -> Vec<u8> {
    let mut k = b"chg/".to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn prefix(id: &DocumentId) -> Vec<u8> {
    let mut k = b"doc/".to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

fn chunk_key(id: &DocumentId, seq: u64) -> Vec<u8> {
    let mut k = prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl DocStore {
    /// Opens the documents of `store`: reads the change sequence (documents load on first use).
    pub fn open(store: &dyn Store) -> Result<Self, StoreError> {
        let mut docs = DocStore::default();
        for (k, v) in store.scan(b"chg/")? {
            let seq = k
                .get(4..12)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes);
            let id: Option<[u8; 16]> = v.as_slice().try_into().ok();
            let (Some(seq), Some(id)) = (seq, id) else {
                return Err(StoreError::Corrupt {
                    key: "chg/".into(),
                    reason: "bad change entry".into(),
                });
            };
            let id = DocumentId::from_bytes(id);
            docs.changes.insert(seq, id);
            docs.positions.insert(id, seq);
            docs.seq = docs.seq.max(seq);
        }
        Ok(docs)
    }

    /// The current end of the change sequence.
    pub fn cursor(&self) -> u64 {
        self.seq
    }

    /// Documents whose latest change comes after `cursor`, oldest first.
    pub fn changed_since(&self, cursor: u64) -> impl Iterator<Item = DocumentId> + '_ {
        self.changes
            .range(cursor.saturating_add(1)..)
            .map(|(_, id)| *id)
    }

    /// Loads `id` from `store` into memory if it is not there; whether the document exists.
    pub fn load(&mut self, store: &dyn Store, id: &DocumentId) -> Result<bool, StoreError> {
        if let Some(e) = self.docs.get(id) {
            self.touch(e);
            return Ok(true);
        }
        let chunks = store.scan(&prefix(id))?;
        let (Some(first), Some(last)) = (chunks.first(), chunks.last()) else {
            return Ok(false);
        };
        let seq = |k: &[u8]| -> u64 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&k[k.len() - 8..]);
            u64::from_be_bytes(b)
        };
        let (first_seq, next_seq) = (seq(&first.0), seq(&last.0) + 1);
        let bytes: Vec<u8> = chunks.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let doc = Automerge::load(&bytes).map_err(|e| StoreError::Corrupt {
            key: format!("document {id}"),
            reason: e.to_string(),
        })?;
        let saved_heads = doc.get_heads();
        self.docs.insert(
            *id,
            Entry {
                doc,
                saved_heads,
                first_seq,
                next_seq,
                last_used: Cell::new(self.clock.get()),
            },
        );
        Ok(true)
    }

    /// Adds a new document (not yet saved).
    pub fn insert_new(&mut self, id: DocumentId, doc: Automerge) {
        self.docs.insert(
            id,
            Entry {
                doc,
                saved_heads: Vec::new(),
                first_seq: 0,
                next_seq: 0,
                last_used: Cell::new(self.clock.get()),
            },
        );
    }

    /// The document, if loaded.
    pub fn get(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).map(|e| {
            self.touch(e);
            &e.doc
        })
    }

    fn touch(&self, e: &Entry) {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        e.last_used.set(t);
    }

    /// Drops the least recently used documents that are saved, until at most `cap` stay loaded.
    pub fn trim(&mut self, cap: usize) {
        if self.docs.len() <= cap {
            return;
        }
        let mut cold: Vec<(u64, DocumentId)> = self
            .docs
            .iter()
            .filter(|(_, e)| e.doc.get_heads() == e.saved_heads)
            .map(|(id, e)| (e.last_used.get(), *id))
            .collect();
        cold.sort_unstable();
        let excess = self.docs.len() - cap * 3 / 4;
        for (_, id) in cold.into_iter().take(excess) {
            self.docs.remove(&id);
        }
    }

    /// The document for changing, if loaded.
    pub fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge> {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        self.docs.get_mut(id).map(|e| {
            e.last_used.set(t);
            &mut e.doc
        })
    }

    /// Forgets the in-memory copy (after a failed commit, so the next use reloads what is durable).
    pub fn evict(&mut self, id: &DocumentId) {
        self.docs.remove(id);
    }

    /// Writes what changed in `id` since its last save into `batch`, compacting long runs, and
    /// moves the document to the end of the change sequence. Whether anything was written.
    pub fn save(&mut self, id: &DocumentId, batch: &mut Batch) -> bool {
        let Some(e) = self.docs.get_mut(id) else {
            return false;
        };
        let heads = e.doc.get_heads();
        if heads == e.saved_heads {
            return false;
        }
        if e.next_seq - e.first_seq >= COMPACT_AFTER {
            for seq in e.first_seq..e.next_seq {
                batch.delete(chunk_key(id, seq));
            }
            batch.put(chunk_key(id, e.next_seq), e.doc.save());
            e.first_seq = e.next_seq;
        } else {
            batch.put(chunk_key(id, e.next_seq), e.doc.save_after(&e.saved_heads));
        }
        e.next_seq += 1;
        e.saved_heads = heads;
        self.seq += 1;
        if let Some(old) = self.positions.insert(*id, self.seq) {
            self.changes.remove(&old);
            batch.delete(change_key(old));
        }
        self.changes.insert(self.seq, *id);
        batch.put(change_key(self.seq), id.as_bytes().to_vec());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    #[test]
    fn incremental_saves_and_compaction_reload_the_same_document() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let id = DocumentId::from_bytes([7; 16]);
        let mut docs = DocStore::default();
        docs.insert_new(id, Automerge::new());
        for i in 0..(COMPACT_AFTER * 2 + 5) {
            let doc = docs.get_mut(&id).unwrap();
            let mut tx = doc.transaction();
            tx.put(ROOT, "n", i as i64).unwrap();
            tx.commit();
            let mut b = Batch::default();
            docs.save(&id, &mut b);
            store.commit(b).unwrap();
        }
        let chunks = store.scan(&prefix(&id)).unwrap().len() as u64;
        assert!(
            chunks <= COMPACT_AFTER,
            "compaction keeps the run short: {chunks}"
        );
        let heads = docs.get(&id).unwrap().get_heads();
        let mut fresh = DocStore::open(&store).unwrap();
        assert_eq!(fresh.cursor(), COMPACT_AFTER * 2 + 5);
        assert_eq!(
            fresh.changed_since(0).collect::<Vec<_>>(),
            vec![id],
            "one entry per document"
        );
        assert_eq!(fresh.changed_since(fresh.cursor()).count(), 0);
        assert!(fresh.load(&store, &id).unwrap());
        assert_eq!(fresh.get(&id).unwrap().get_heads(), heads);
        assert!(
            !fresh
                .load(&store, &DocumentId::from_bytes([8; 16]))
                .unwrap()
        );
    }
}
