//! Whole documents by the page: what a [`crate::wire::Message::Documents`] carries, and the sync
//! state both sides keep for each of them afterwards.
//!
//! A page is, for each document, its 16-byte id, its heads (a LEB128 count, then 32 bytes each)
//! and its bytes as stored (a LEB128 length, then Automerge's storage format), one after another,
//! the whole compressed with DEFLATE: member files repeat the same keys, which compress across a
//! page as they cannot inside one small document.
//!
//! Unpacking faces the network like every decoder here: the page inflates to at most
//! [`MAX_INFLATED_BYTES`], each document's chunks are checked as a sync message's changes are
//! ([`check_chunks`]: no bundle chunk, no compressed chunk inflating beyond what is left), and
//! anything cut short or left over is an error, never a panic.

use std::io::{Read, Write};

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Capability, Have, State};

use crate::DocumentId;
use crate::wire::{MAX_INFLATED_BYTES, SyncDataError, check_chunks};

/// One document of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedDoc {
    pub id: DocumentId,
    pub heads: Vec<ChangeHash>,
    /// The document as stored: chunks Automerge loads as one document.
    pub bytes: Vec<u8>,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The page is not DEFLATE data, or is cut short.
    #[error("the page of documents is damaged: {0}")]
    Damaged(&'static str),
    /// The page inflates beyond [`MAX_INFLATED_BYTES`].
    #[error("the page of documents inflates beyond {MAX_INFLATED_BYTES} bytes")]
    TooLarge,
    /// A document's chunks are refused.
    #[error("document {id}: {source}")]
    Chunks {
        id: DocumentId,
        #[source]
        source: SyncDataError,
    },
}

/// Packs `docs` into a page.
pub fn pack(docs: &[PackedDoc]) -> Vec<u8> {
    let size: usize = docs
        .iter()
        .map(|d| 16 + 10 + 32 * d.heads.len() + 10 + d.bytes.len())
        .sum();
    let mut raw = Vec::with_capacity(size);
    for d in docs {
        raw.extend_from_slice(d.id.as_bytes());
        leb(&mut raw, d.heads.len() as u64);
        for h in &d.heads {
            raw.extend_from_slice(&h.0);
        }
        leb(&mut raw, d.bytes.len() as u64);
        raw.extend_from_slice(&d.bytes);
    }
    let mut out = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(size / 2),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = out.write_all(&raw);
    out.finish().unwrap_or_default()
}

fn leb(out: &mut Vec<u8>, n: u64) {
    let _ = leb128::write::unsigned(out, n);
}

/// Reads a page back.
pub fn unpack(page: &[u8]) -> Result<Vec<PackedDoc>, PackError> {
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(page)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|_| PackError::Damaged("not deflate data"))?;
    if raw.len() as u64 > MAX_INFLATED_BYTES {
        return Err(PackError::TooLarge);
    }
    let mut budget = MAX_INFLATED_BYTES;
    let mut rest = raw.as_slice();
    let mut docs = Vec::new();
    while !rest.is_empty() {
        let id: [u8; 16] = take(&mut rest, 16)?
            .try_into()
            .map_err(|_| PackError::Damaged("an id cut short"))?;
        let id = DocumentId::from_bytes(id);
        let count = leb128::read::unsigned(&mut rest)
            .map_err(|_| PackError::Damaged("a count of heads"))?;
        if count > (rest.len() / 32) as u64 {
            return Err(PackError::Damaged("heads cut short"));
        }
        let heads = (0..count)
            .map(|_| {
                let h: [u8; 32] = take(&mut rest, 32)?
                    .try_into()
                    .map_err(|_| PackError::Damaged("a head cut short"))?;
                Ok(ChangeHash(h))
            })
            .collect::<Result<Vec<_>, PackError>>()?;
        let len = leb128::read::unsigned(&mut rest)
            .map_err(|_| PackError::Damaged("a document's length"))?;
        let len = usize::try_from(len).map_err(|_| PackError::Damaged("a document's length"))?;
        let bytes = take(&mut rest, len)?.to_vec();
        check_chunks(&bytes, &mut budget).map_err(|source| PackError::Chunks { id, source })?;
        docs.push(PackedDoc { id, heads, bytes });
    }
    Ok(docs)
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], PackError> {
    if rest.len() < n {
        return Err(PackError::Damaged("cut short"));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

/// The sync state of a document both sides hold at `heads`, as Automerge leaves it once an
/// exchange completed: nothing in flight, each side knowing the other holds `heads`, so the
/// next message either side generates carries only what changes after them. `read_only` for
/// the server's side of a document the device may only read.
pub fn synced_state(heads: &[ChangeHash], read_only: bool) -> State {
    let mut state = if read_only {
        State::new_read_only()
    } else {
        State::new()
    };
    state.shared_heads = heads.to_vec();
    state.last_sent_heads = heads.to_vec();
    state.their_heads = Some(heads.to_vec());
    state.their_need = Some(Vec::new());
    state.their_have = Some(vec![Have {
        last_sync: heads.to_vec(),
        bloom: BloomFilter::default(),
    }]);
    state.their_capabilities = Some(vec![Capability::MessageV2, Capability::SyncReset]);
    state.have_responded = true;
    state
}

#[cfg(test)]
mod tests {
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT, ReadDoc};

    use super::*;

    fn doc(name: &str) -> AutoCommit {
        let mut d = AutoCommit::new();
        d.put(ROOT, "name", name).unwrap();
        d
    }

    #[test]
    fn a_page_reads_back_and_both_sides_then_sync_only_what_changes() {
        let mut server = doc("首同步");
        let id = DocumentId::random();
        let page = pack(&[PackedDoc {
            id,
            heads: server.get_heads(),
            bytes: server.save(),
        }]);
        let docs = unpack(&page).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].id, id);
        let mut device = AutoCommit::load(&docs[0].bytes).unwrap();
        assert_eq!(device.get_heads(), server.get_heads());
        let mut server_state = synced_state(&docs[0].heads, true);
        let mut device_state = synced_state(&docs[0].heads, false);
        // Neither side has anything to say.
        assert!(
            server
                .sync()
                .generate_sync_message(&mut server_state)
                .is_none()
        );
        assert!(
            device
                .sync()
                .generate_sync_message(&mut device_state)
                .is_none()
        );
        // A change on the server reaches the device as an ordinary exchange.
        server.put(ROOT, "points", 10_i64).unwrap();
        for _ in 0..4 {
            if let Some(m) = server.sync().generate_sync_message(&mut server_state) {
                device
                    .sync()
                    .receive_sync_message(&mut device_state, m)
                    .unwrap();
            }
            if let Some(m) = device.sync().generate_sync_message(&mut device_state) {
                server
                    .sync()
                    .receive_sync_message(&mut server_state, m)
                    .unwrap();
            }
        }
        assert_eq!(device.get_heads(), server.get_heads());
        assert!(device.get(ROOT, "points").unwrap().is_some());
    }

    #[test]
    fn damaged_pages_are_errors() {
        let d = doc("x");
        let page = pack(&[PackedDoc {
            id: DocumentId::random(),
            heads: vec![],
            bytes: d.clone().save(),
        }]);
        assert!(unpack(&page[..page.len() / 2]).is_err());
        assert!(unpack(b"not deflate at all").is_err());
        // A page whose count of heads runs past its end.
        let mut raw = vec![0u8; 16];
        raw.push(0x7f);
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&raw).unwrap();
        assert!(unpack(&e.finish().unwrap()).is_err());
        assert!(unpack(&pack(&[])).unwrap().is_empty());
    }
}
