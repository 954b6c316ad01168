//! A device's journal upload as the server takes it: a sync message decoded as the server's sync
//! handler decodes it (`wire::decode_sync`), applied to the device's journal document and
//! answered, the document saved and loaded again as the store does, and the events read out of it. The first byte picks the form — bit 0: a sync message (0) or a chunk of
//! Automerge changes loaded incrementally (1); bit 1: onto the empty document the server starts a
//! new journal with (0) or onto a journal it already holds (1).
//!
//! Automerge 0.12 panics on some malformed change chunks (its column decoder unwraps a LEB128
//! number cut short). The server contains exactly that panic while it receives a peer's sync
//! message (`sync::hub`: the document's copy and the connection's state are dropped, the peer is
//! told); this target contains it at the same place, and every other panic still stops the run.
#![no_main]

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_protocol::docs::journal;
use carclub_shared::DeviceId;
use libfuzzer_sys::fuzz_target;

thread_local! {
    /// Set while Automerge applies a peer's changes, where the server contains a panic.
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` as the server runs Automerge on a peer's changes: a panic inside is an error
/// (`None`), not the end of the process. Outside, libFuzzer's hook still turns a panic into a
/// crash.
fn contained<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let crash = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                crash(info);
            }
        }));
    });
    CONTAINED.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(false));
    result.ok()
}

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
        let Some(Ok(())) = contained(|| doc.receive_sync_message(&mut state, message)) else {
            // Refused, or a contained panic: the server drops this copy and answers an error.
            return;
        };
        let _ = doc.generate_sync_message(&mut state);
    } else {
        // Checked as the server checks the changes of a sync message before Automerge reads them.
        let mut budget = carclub_protocol::wire::MAX_INFLATED_BYTES;
        if carclub_protocol::wire::check_chunks(bytes, &mut budget).is_err() {
            return;
        }
        let Some(Ok(_)) = contained(|| doc.load_incremental(bytes)) else {
            return;
        };
    }
    if doc.get_heads() != before {
        let saved = doc.save();
        let loaded = Automerge::load(&saved).expect("a saved journal loads");
        assert_eq!(
            loaded.get_heads(),
            doc.get_heads(),
            "a saved journal keeps its heads"
        );
    }
    let _ = journal::len(&doc);
    let _ = journal::device(&doc);
    let _ = journal::entries(&doc, 0);
});
