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
        let mut budget = carclub_protocol::wire::MAX_INFLATED_BYTES;
        carclub_protocol::wire::check_chunks(bytes, &mut budget).map_err(|e| e.to_string())?;
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

#[test]
fn a_bundle_chunk_sent_in_a_sync_message_is_refused_before_automerge_reads_it() {
    use carclub_protocol::wire::SyncDataError;
    let mut kept = 0;
    for (name, data) in inputs("journal_upload") {
        if !name.starts_with("bundle-") {
            continue;
        }
        kept += 1;
        // The kept chunk as the changes of a real sync message a peer could send.
        let mut doc = Automerge::new();
        journal::create(&mut doc, DeviceId::from_bytes([7; 16])).expect("a journal");
        let mut state = sync::State::new();
        let mut message = doc
            .generate_sync_message(&mut state)
            .expect("a first message");
        message.changes = sync::ChunkList::from(data[1..].to_vec());
        let frame = message.encode();
        assert!(
            matches!(decode_sync(&frame), Err(SyncDataError::Bundle)),
            "{name}: not refused"
        );
    }
    assert!(kept > 0, "no bundle input kept");
}

#[test]
fn compressed_changes_inflating_beyond_the_cap_are_refused() {
    use carclub_protocol::wire::{MAX_INFLATED_BYTES, SyncDataError, check_chunks};
    use std::io::Write as _;
    // A compressed chunk (type 2) of zeros a little over the cap, deflated to a few hundred KiB.
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..=(MAX_INFLATED_BYTES >> 20) {
        deflate.write_all(&zeros).expect("deflated");
    }
    let body = deflate.finish().expect("deflated");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    leb128::write::unsigned(&mut chunk, body.len() as u64).expect("a length");
    chunk.extend_from_slice(&body);
    let mut budget = MAX_INFLATED_BYTES;
    assert!(matches!(
        check_chunks(&chunk, &mut budget),
        Err(SyncDataError::Inflated)
    ));
    // A small one passes and uses its share of the budget.
    let mut small = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    small.write_all(&[1u8; 1000]).expect("deflated");
    let body = small.finish().expect("deflated");
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    leb128::write::unsigned(&mut chunk, body.len() as u64).expect("a length");
    chunk.extend_from_slice(&body);
    let mut budget = MAX_INFLATED_BYTES;
    check_chunks(&chunk, &mut budget).expect("a small chunk passes");
    assert_eq!(budget, MAX_INFLATED_BYTES - 1000);
}
