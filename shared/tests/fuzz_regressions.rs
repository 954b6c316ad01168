//! Inputs the fuzzing targets `event_json` and `program_toml` (fuzz/) failed on once, and hostile
//! inputs of the same kinds, replayed on stable from `tests/fuzz-regressions/<target>/`: each must
//! end in an error — never a panic.

use std::path::PathBuf;

use carclub_shared::Event;
use carclub_shared::program::Program;

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
