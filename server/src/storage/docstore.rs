//! Automerge documents kept in the store: saved incrementally, compacted now and then, and
//! numbered in the order they change.
//!
//! A document is stored as a run of chunks under `doc/<id><seq>`: each change to a document writes
//! only what is new since the last save (`save_after`). Once the increments together outweigh the
//! last full save (and at least [`COMPACT_MIN_BYTES`]), the run is replaced by one full save in the
//! same atomic batch, so the bytes written stay proportional to the bytes changed even for a store
//! directory of 100,000 entries. Loading concatenates the chunks, which Automerge reads as one
//! document. Documents are loaded on first use; at most [`CACHE_DOCS`] stay in memory.
//!
//! Every save also moves the document to the end of the *change sequence* (`chg/<seq>` →
//! document id and its heads, one entry per document): a reconnecting device names the last
//! position it saw and learns exactly which documents changed since, and their heads, without one
//! document being loaded, so re-sync costs what changed, not what exists.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ChangeHash};
use carclub_protocol::DocumentId;

use super::keys::{self, CHANGES, DOC_CHUNKS};
use super::{Batch, Order, Store, StoreError};

/// Increments below this many bytes never trigger a compaction (small documents compact after a
/// few kilobytes of changes, not after every one).
pub const COMPACT_MIN_BYTES: usize = 8 * 1024;

struct Entry {
    doc: Automerge,
    saved_heads: Vec<ChangeHash>,
    first_seq: u64,
    next_seq: u64,
    /// Bytes of the first chunk of the run (the last full save).
    base_bytes: usize,
    /// Bytes of the chunks after it.
    incr_bytes: usize,
    last_used: Cell<u64>,
}

/// How many documents stay in memory; beyond it the least recently used saved ones are dropped
/// (they reload from the store on next use). Nothing on the sync path needs a document loaded
/// just to learn its heads, so the cap bounds memory without making summaries reload documents.
pub const CACHE_DOCS: usize = 2_000;

/// A document as stored: its chunks concatenated, and its heads.
pub type Stored = (Vec<u8>, Vec<ChangeHash>);

/// Where a document stands in the change sequence.
struct Position {
    seq: u64,
    /// Its heads as of that save (absent only in entries written before heads were recorded).
    heads: Option<Box<[ChangeHash]>>,
}

/// The documents the server holds.
#[derive(Default)]
pub struct DocStore {
    docs: HashMap<DocumentId, Entry>,
    /// Change sequence number → the document whose latest change it is.
    changes: BTreeMap<u64, DocumentId>,
    /// Document → its position in the change sequence and its heads there.
    positions: HashMap<DocumentId, Position>,
    seq: u64,
    clock: Cell<u64>,
    /// Documents saved whole since the last trim, to leave the cache then (see [`DocStore::save`]).
    saved_whole: Vec<DocumentId>,
}

fn change_key(seq: u64) -> Vec<u8> {
    CHANGES.key(&seq)
}

/// A change-sequence value: the document id, then its heads.
fn change_value(id: &DocumentId, heads: &[ChangeHash]) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + 32 * heads.len());
    v.extend_from_slice(id.as_bytes());
    for h in heads {
        v.extend_from_slice(&h.0);
    }
    v
}

/// Reads a change-sequence entry back.
fn parse_change(k: &[u8], v: &[u8]) -> Option<(u64, DocumentId, Position)> {
    let seq = u64::from_be_bytes(k.get(4..12)?.try_into().ok()?);
    let id = DocumentId::from_bytes(v.get(..16)?.try_into().ok()?);
    let rest = &v[16..];
    if rest.is_empty() {
        return Some((seq, id, Position { seq, heads: None }));
    }
    if !rest.len().is_multiple_of(32) {
        return None;
    }
    let heads = rest
        .chunks_exact(32)
        .map(|c| c.try_into().map(ChangeHash))
        .collect::<Result<Box<[ChangeHash]>, _>>()
        .ok()?;
    Some((
        seq,
        id,
        Position {
            seq,
            heads: Some(heads),
        },
    ))
}

fn prefix(id: &DocumentId) -> Vec<u8> {
    DOC_CHUNKS.key(id)
}

fn chunk_key(id: &DocumentId, seq: u64) -> Vec<u8> {
    keys::chunk_key(id, seq)
}

impl DocStore {
    /// Opens the documents of `store`: reads the change sequence (documents load on first use).
    pub fn open(store: &dyn Store) -> Result<Self, StoreError> {
        let mut docs = DocStore::default();
        store.visit(CHANGES.prefix(), Order::Forward, &mut |k, v| {
            let Some((seq, id, position)) = parse_change(k, v) else {
                return Err(StoreError::corrupt(k, "bad change entry"));
            };
            docs.changes.insert(seq, id);
            docs.positions.insert(id, position);
            docs.seq = docs.seq.max(seq);
            Ok(true)
        })?;
        Ok(docs)
    }

    /// Brings the change sequence's entry `seq` in line with `store` after another instance wrote
    /// or removed it: a document's position moves there, or the entry is gone. Later saves
    /// number after every position seen.
    pub fn refresh_change(&mut self, store: &dyn Store, seq: u64) -> Result<(), StoreError> {
        let key = change_key(seq);
        self.seq = self.seq.max(seq);
        match store.get(&key)? {
            Some(v) => {
                let Some((_, id, position)) = parse_change(&key, &v) else {
                    return Err(StoreError::corrupt(&key, "bad change entry"));
                };
                if let Some(old) = self.positions.insert(id, position)
                    && old.seq != seq
                    && self.changes.get(&old.seq) == Some(&id)
                {
                    self.changes.remove(&old.seq);
                }
                self.changes.insert(seq, id);
            }
            None => {
                if let Some(id) = self.changes.remove(&seq)
                    && self.positions.get(&id).is_some_and(|p| p.seq == seq)
                {
                    self.positions.remove(&id);
                }
            }
        }
        Ok(())
    }

    /// The document whose chunk `key` is (a key of `doc/`), if it is one.
    pub fn chunk_owner(key: &[u8]) -> Option<DocumentId> {
        let rest = DOC_CHUNKS.rest_of(key)?;
        Some(DocumentId::from_bytes(rest.get(..16)?.try_into().ok()?))
    }

    /// The change-sequence number of entry `key` (a key of `chg/`), if it is one.
    pub fn change_seq(key: &[u8]) -> Option<u64> {
        let rest = CHANGES.rest_of(key)?;
        Some(u64::from_be_bytes(rest.try_into().ok()?))
    }

    /// Whether `id` is in memory.
    pub fn is_loaded(&self, id: &DocumentId) -> bool {
        self.docs.contains_key(id)
    }

    /// The current end of the change sequence.
    pub fn cursor(&self) -> u64 {
        self.seq
    }

    /// Documents whose latest change comes after `cursor`, oldest first, with their positions.
    pub fn changes_since(&self, cursor: u64) -> impl Iterator<Item = (u64, DocumentId)> + '_ {
        self.changes
            .range(cursor.saturating_add(1)..)
            .map(|(seq, id)| (*seq, *id))
    }

    /// The heads of `id` as last saved, without loading it when the change sequence records them;
    /// `None` if the document was never saved.
    pub fn saved_heads(
        &mut self,
        store: &dyn Store,
        id: &DocumentId,
    ) -> Result<Option<Vec<ChangeHash>>, StoreError> {
        if let Some(heads) = self.positions.get(id).and_then(|p| p.heads.as_ref()) {
            return Ok(Some(heads.to_vec()));
        }
        if !self.load(store, id)? {
            return Ok(None);
        }
        Ok(self.docs.get(id).map(|e| e.saved_heads.clone()))
    }

    /// The document as stored — its chunks concatenated, which Automerge loads as one document —
    /// and its heads, without loading it: what a device that holds nothing of it is sent. `None`
    /// if the document was never saved, its heads were not recorded, or its copy in memory holds
    /// changes not saved yet.
    pub fn stored(&self, store: &dyn Store, id: &DocumentId) -> Result<Option<Stored>, StoreError> {
        let Some(heads) = self.positions.get(id).and_then(|p| p.heads.as_ref()) else {
            return Ok(None);
        };
        if self
            .docs
            .get(id)
            .is_some_and(|e| e.doc.get_heads() != e.saved_heads)
        {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        store.visit(&prefix(id), Order::Forward, &mut |_, v| {
            bytes.extend_from_slice(v);
            Ok(true)
        })?;
        Ok((!bytes.is_empty()).then(|| (bytes, heads.to_vec())))
    }

    /// The heads of `id` as last saved, if the change sequence records them (no load).
    pub fn recorded_heads(&self, id: &DocumentId) -> Option<&[ChangeHash]> {
        self.positions.get(id).and_then(|p| p.heads.as_deref())
    }

    /// How many documents are in memory.
    #[cfg(test)]
    pub fn loaded(&self) -> usize {
        self.docs.len()
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
        let base_bytes = first.1.len();
        let incr_bytes = chunks[1..].iter().map(|(_, v)| v.len()).sum();
        let bytes: Vec<u8> = chunks.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let doc = Automerge::load(&bytes).map_err(|e| StoreError::corrupt(&prefix(id), e))?;
        let saved_heads = doc.get_heads();
        self.docs.insert(
            *id,
            Entry {
                doc,
                saved_heads,
                first_seq,
                next_seq,
                base_bytes,
                incr_bytes,
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
                base_bytes: 0,
                incr_bytes: 0,
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

    /// Drops the documents saved whole since the last trim (unless changed since), then the least
    /// recently used documents that are saved, until at most `cap` stay loaded.
    pub fn trim(&mut self, cap: usize) {
        for id in std::mem::take(&mut self.saved_whole) {
            if self
                .docs
                .get(&id)
                .is_some_and(|e| e.doc.get_heads() == e.saved_heads)
            {
                self.docs.remove(&id);
            }
        }
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

    /// Writes what changed in `id` since its last save into `batch`, compacting once the increments
    /// outweigh the last full save, and moves the document (with its heads) to the end of the
    /// change sequence. Whether anything was written.
    pub fn save(&mut self, id: &DocumentId, batch: &mut Batch) -> bool {
        let Some(e) = self.docs.get_mut(id) else {
            return false;
        };
        let heads = e.doc.get_heads();
        if heads == e.saved_heads {
            return false;
        }
        let increment = (e.next_seq > e.first_seq).then(|| e.doc.save_after(&e.saved_heads));
        match increment {
            Some(chunk) if e.incr_bytes + chunk.len() < e.base_bytes.max(COMPACT_MIN_BYTES) => {
                e.incr_bytes += chunk.len();
                batch.put(chunk_key(id, e.next_seq), chunk);
            }
            _ => {
                for seq in e.first_seq..e.next_seq {
                    batch.delete(chunk_key(id, seq));
                }
                let full = e.doc.save();
                // A document built or grown here (a new member file, status, directory) takes
                // several times the memory of the same document loaded from its bytes (Automerge's
                // batch creation leaves its columns with room to spare): once saved whole it
                // leaves the cache at the next trim, and comes back as loaded if used again.
                self.saved_whole.push(*id);
                e.base_bytes = full.len();
                e.incr_bytes = 0;
                batch.put(chunk_key(id, e.next_seq), full);
                e.first_seq = e.next_seq;
            }
        }
        e.next_seq += 1;
        self.seq += 1;
        batch.put(change_key(self.seq), change_value(id, &heads));
        e.saved_heads = heads;
        let position = Position {
            seq: self.seq,
            heads: Some(e.saved_heads.clone().into_boxed_slice()),
        };
        if let Some(old) = self.positions.insert(*id, position) {
            self.changes.remove(&old.seq);
            batch.delete(change_key(old.seq));
        }
        self.changes.insert(self.seq, *id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStore;
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    #[test]
    fn incremental_saves_and_compaction_reload_the_same_document() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let id = DocumentId::from_bytes([7; 16]);
        let mut docs = DocStore::default();
        docs.insert_new(id, Automerge::new());
        let saves = 400u64;
        let mut most_chunks = 0;
        for i in 0..saves {
            let doc = docs.get_mut(&id).unwrap();
            let mut tx = doc.transaction();
            tx.put(ROOT, format!("field{}", i % 50), i as i64).unwrap();
            tx.commit();
            let mut b = Batch::default();
            docs.save(&id, &mut b);
            store.commit(b).unwrap();
            most_chunks = most_chunks.max(store.scan(&prefix(&id)).unwrap().len());
        }
        let stored: usize = store
            .scan(&prefix(&id))
            .unwrap()
            .iter()
            .map(|(_, v)| v.len())
            .sum();
        let full = docs.get(&id).unwrap().save().len();
        assert!(
            (most_chunks as u64) < saves / 4,
            "compaction keeps the run short: {most_chunks} chunks"
        );
        assert!(
            stored <= full.max(COMPACT_MIN_BYTES) * 2 + full,
            "the run never grows far beyond a full save: {stored} B stored, full save {full} B"
        );
        let heads = docs.get(&id).unwrap().get_heads();
        let mut fresh = DocStore::open(&store).unwrap();
        assert_eq!(fresh.cursor(), saves);
        assert_eq!(
            fresh.changes_since(0).map(|(_, id)| id).collect::<Vec<_>>(),
            vec![id],
            "one entry per document"
        );
        assert_eq!(fresh.changes_since(fresh.cursor()).count(), 0);
        assert_eq!(
            fresh.saved_heads(&store, &id).unwrap(),
            Some(heads.clone()),
            "the change sequence knows the heads"
        );
        assert_eq!(fresh.loaded(), 0, "learning the heads loaded nothing");
        assert!(fresh.load(&store, &id).unwrap());
        assert_eq!(fresh.get(&id).unwrap().get_heads(), heads);
        assert!(
            !fresh
                .load(&store, &DocumentId::from_bytes([8; 16]))
                .unwrap()
        );
    }

    #[test]
    fn change_entries_without_heads_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let id = DocumentId::from_bytes([9; 16]);
        let mut docs = DocStore::default();
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "n", 1).unwrap();
        tx.commit();
        let heads = doc.get_heads();
        docs.insert_new(id, doc);
        let mut b = Batch::default();
        docs.save(&id, &mut b);
        // An entry as written before heads were recorded: the id alone.
        b.put(change_key(1), id.as_bytes().to_vec());
        store.commit(b).unwrap();
        let mut fresh = DocStore::open(&store).unwrap();
        assert_eq!(fresh.saved_heads(&store, &id).unwrap(), Some(heads));
        assert_eq!(
            fresh.loaded(),
            1,
            "without recorded heads the document loads"
        );
        let mut bad = Batch::default();
        bad.put(change_key(2), vec![1, 2, 3]);
        store.commit(bad).unwrap();
        assert!(DocStore::open(&store).is_err(), "a torn entry is reported");
    }
}
