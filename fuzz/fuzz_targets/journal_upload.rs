//! A device's journal upload as the server takes it: a sync message decoded as the server's sync
//! handler decodes it (`wire::decode_sync`), applied to the device's journal document and
//! answered, the document saved and loaded again as the store does, and the events read out of it. The first byte picks the form — bit 0: a sync message (0) or a chunk of
//! Automerge changes loaded incrementally (1); bit 1: onto the empty document the server starts a
//! new journal with (0) or onto a journal it already holds (1).
#![no_main]

use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use carclub_protocol::docs::journal;
use carclub_shared::DeviceId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&form, bytes)) = data.split_first() else {
        return;
    };
    let mut doc = Automerge::new();
    if form & 2 != 0 {
        journal::create(&mut doc, DeviceId::from_bytes([7; 16])).expect("a fresh journal");
    }
    let before = doc.get_heads();
    if form & 1 == 0 {
        let Ok(message) = carclub_protocol::wire::decode_sync(bytes) else {
            return;
        };
        let mut state = sync::State::new();
        if doc.receive_sync_message(&mut state, message).is_err() {
            return;
        }
        let _ = doc.generate_sync_message(&mut state);
    } else if doc.load_incremental(bytes).is_err() {
        return;
    }
    if doc.get_heads() != before {
        let saved = doc.save();
        let loaded = Automerge::load(&saved).expect("a saved journal loads");
        assert_eq!(loaded.get_heads(), doc.get_heads(), "a saved journal keeps its heads");
    }
    let _ = journal::len(&doc);
    let _ = journal::device(&doc);
    let _ = journal::entries(&doc, 0);
});
