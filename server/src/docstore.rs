//! Automerge documents kept in the store: saved incrementally, compacted now and then.
//!
//! A document is stored as a run of chunks under `doc/<id><seq>`: each change to a document writes
//! only what is new since the last save (`save_after`), and after [`COMPACT_AFTER`] chunks the run is
//! replaced by one full save in the same atomic batch. Loading concatenates the chunks, which
//! Automerge reads as one document. Documents are loaded on first use and kept in memory.

use std::collections::HashMap;

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
}

/// The documents the server holds.
#[derive(Default)]
pub struct DocStore {
    docs: HashMap<DocumentId, Entry>,
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
    /// Loads `id` from `store` into memory if it is not there; whether the document exists.
    pub fn load(&mut self, store: &dyn Store, id: &DocumentId) -> Result<bool, StoreError> {
        if self.docs.contains_key(id) {
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
            },
        );
    }

    /// The document, if loaded.
    pub fn get(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).map(|e| &e.doc)
    }

    /// The document for changing, if loaded.
    pub fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge> {
        self.docs.get_mut(id).map(|e| &mut e.doc)
    }

    /// Forgets the in-memory copy (after a failed commit, so the next use reloads what is durable).
    pub fn evict(&mut self, id: &DocumentId) {
        self.docs.remove(id);
    }

    /// Writes what changed in `id` since its last save into `batch`; compacts long runs.
    pub fn save(&mut self, id: &DocumentId, batch: &mut Batch) {
        let Some(e) = self.docs.get_mut(id) else {
            return;
        };
        let heads = e.doc.get_heads();
        if heads == e.saved_heads {
            return;
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
        let mut fresh = DocStore::default();
        assert!(fresh.load(&store, &id).unwrap());
        assert_eq!(fresh.get(&id).unwrap().get_heads(), heads);
        assert!(
            !fresh
                .load(&store, &DocumentId::from_bytes([8; 16]))
                .unwrap()
        );
    }
}
