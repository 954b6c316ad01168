//! Inputs the fuzzing targets `wire_frame`, `journal_upload`, `event_json` and `program_toml`
//! (fuzz/) failed on once, and hostile inputs of the same kinds, replayed on stable from
//! `tests/fuzz-regressions/<target>/`: each must end in an error (or, for an upload, change
//! nothing) — never a panic, never a value. The event and program decoders are `shared`'s; they are
//! replayed here, beside the wire's, so one reader serves every kept input.

use std::path::PathBuf;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_protocol::docs::journal;
use carclub_protocol::wire::{Message, decode_sync};
use carclub_shared::program::Program;
use carclub_shared::{DeviceId, Event};

/// Every input kept for `target`, by file name.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fuzz-regressions")
        .join(target);
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("an entry").path();
            let bytes = std::fs::read(&path).expect("an input");
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                bytes,
            )
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no inputs in {}", dir.display());
    found
}

/// The fuzzing target's path for one upload (see fuzz/fuzz_targets/journal_upload.rs), which is
/// the server's: the data decoded by `decode_sync`, received, and answered.
fn upload(data: &[u8]) -> Result<(), String> {
    let (&form, bytes) = data.split_first().ok_or("empty")?;
    let mut doc = Automerge::new();
    if form & 2 != 0 {
        journal::create(&mut doc, DeviceId::from_bytes([7; 16])).map_err(|e| e.to_string())?;
    }
    let before = doc.get_heads();
    if form & 1 == 0 {
        let message = decode_sync(bytes).map_err(|e| e.to_string())?;
        let mut state = sync::State::new();
        doc.receive_sync_message(&mut state, message)
            .map_err(|e| e.to_string())?;
        let _ = doc.generate_sync_message(&mut state);
    } else {
        doc.load_incremental(bytes).map_err(|e| e.to_string())?;
    }
    if doc.get_heads() == before {
        return Err("nothing in it was taken".into());
    }
    let saved = doc.save();
    Automerge::load(&saved).map_err(|e| format!("a saved journal does not load: {e}"))?;
    let _ = journal::entries(&doc, 0);
    Err("the upload was taken".into())
}

#[test]
fn kept_sync_frames_are_errors() {
    for (name, frame) in inputs("wire_frame") {
        let decoded = std::panic::catch_unwind(|| Message::decode(&frame));
        match decoded {
            Ok(Err(_)) => {}
            Ok(Ok(m)) => panic!("{name}: decoded to {m:?}"),
            Err(_) => panic!("{name}: the decoder panicked"),
        }
    }
}

#[test]
fn kept_journal_uploads_are_errors() {
    for (name, data) in inputs("journal_upload") {
        match std::panic::catch_unwind(|| upload(&data)) {
            Ok(Err(e)) => assert_ne!(e, "the upload was taken", "{name}"),
            Ok(Ok(())) => unreachable!(),
            Err(_) => panic!("{name}: the upload panicked"),
        }
    }
}

#[test]
fn kept_event_json_is_an_error() {
    for (name, json) in inputs("event_json") {
        let read = std::panic::catch_unwind(|| {
            serde_json::from_slice::<Vec<Event>>(&json).is_err()
                && serde_json::from_slice::<Event>(&json).is_err()
        });
        assert!(
            read.unwrap_or_else(|_| panic!("{name}: reading panicked")),
            "{name}: read as events"
        );
    }
}

#[test]
fn kept_program_files_are_errors() {
    for (name, text) in inputs("program_toml") {
        let text = String::from_utf8_lossy(&text).into_owned();
        let loaded = std::panic::catch_unwind(|| Program::from_toml_str(&text).is_err());
        assert!(
            loaded.unwrap_or_else(|_| panic!("{name}: loading panicked")),
            "{name}: loaded"
        );
    }
}
