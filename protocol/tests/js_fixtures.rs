//! Frames captured from the real `@automerge/automerge-repo` 2.5.6 (see `tests/js/wire-fixtures.mjs`,
//! which regenerates `fixtures/js-messages.json`): we decode every one of them, and what we encode
//! for the same message is, field for field, what the JS library wrote.
//!
//! Set `CARCLUB_RUST_FRAMES=<path>` to also write our encodings there, for
//! `node tests/js/check-rust-frames.mjs <path>` to decode with the library's own CBOR decoder.

use carclub_protocol::DocumentId;
use carclub_protocol::wire::{Message, PeerMetadata};
use ciborium::value::Value;
use serde_json::{Value as Json, json};

const FIXTURES: &str = include_str!("fixtures/js-messages.json");

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The JSON view wire-fixtures.mjs prints for a decoded frame: bytes as `{"hex": …}`, tags
/// transparent, `undefined`/`null` properties dropped (the library treats them as absent).
fn plain(value: &Value) -> Json {
    match value {
        Value::Bytes(b) => json!({ "hex": hex(b) }),
        Value::Text(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::Integer(i) => json!(i128::from(*i) as f64),
        Value::Float(f) => json!(f),
        Value::Null => Json::Null,
        Value::Tag(_, inner) => plain(inner),
        Value::Array(items) => Json::Array(items.iter().map(plain).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_text().unwrap().to_owned(), plain(v)))
                .collect(),
        ),
        _ => panic!("unexpected cbor value {value:?}"),
    }
}

/// Numbers compared as f64 (JS has no integers), nulls dropped, as in [`plain`].
fn normalise(json: &Json) -> Json {
    match json {
        Json::Number(n) => json!(n.as_f64().unwrap()),
        Json::Array(items) => Json::Array(items.iter().map(normalise).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

struct Frame {
    name: String,
    bytes: Vec<u8>,
    decoded: Json,
}

fn frames() -> Vec<Frame> {
    let fixtures: Json = serde_json::from_str(FIXTURES).unwrap();
    fixtures["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Frame {
            name: f["name"].as_str().unwrap().to_owned(),
            bytes: unhex(f["hex"].as_str().unwrap()),
            decoded: f["decoded"].clone(),
        })
        .collect()
}

#[test]
fn fixtures_cover_every_standard_message_type() {
    let names: Vec<String> = frames().into_iter().map(|f| f.name).collect();
    for expected in [
        "join",
        "peer",
        "request",
        "sync",
        "doc-unavailable",
        "ephemeral",
        "remote-subscription-change",
        "remote-heads-changed",
        "error",
        "sync-tagged-uint8array",
        "unknown-type",
    ] {
        assert!(names.iter().any(|n| n == expected), "no {expected} frame");
    }
}

#[test]
fn decodes_every_js_frame_and_re_encodes_it_field_for_field() {
    let mut ours = Vec::new();
    for frame in frames() {
        let message =
            Message::decode(&frame.bytes).unwrap_or_else(|e| panic!("{}: {e}", frame.name));
        if frame.name == "unknown-type" {
            assert_eq!(
                message,
                Message::Unknown {
                    type_name: "future-thing".into()
                }
            );
            continue;
        }
        assert_eq!(message.type_name(), frame.decoded["type"], "{}", frame.name);

        let encoded = message.encode();
        assert_eq!(Message::decode(&encoded).as_ref(), Ok(&message));
        let value: Value = ciborium::de::from_reader(&encoded[..]).unwrap();
        assert_eq!(
            normalise(&plain(&value)),
            normalise(&frame.decoded),
            "{}: our encoding differs from the library's",
            frame.name
        );
        ours.push(json!({ "name": frame.name, "hex": hex(&encoded), "decoded": frame.decoded }));
    }
    if let Ok(path) = std::env::var("CARCLUB_RUST_FRAMES") {
        std::fs::write(path, serde_json::to_string_pretty(&ours).unwrap()).unwrap();
    }
}

#[test]
fn handshake_fields_are_read_as_the_library_writes_them() {
    let frames = frames();
    let join = frames.iter().find(|f| f.name == "join").unwrap();
    assert_eq!(
        Message::decode(&join.bytes).unwrap(),
        Message::Join {
            sender_id: "client-peer".into(),
            supported_protocol_versions: vec!["1".into()],
            // The library writes `storageId: undefined` when the repo has no storage.
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: true
            },
        }
    );
    let peer = frames.iter().find(|f| f.name == "peer").unwrap();
    assert!(matches!(
        Message::decode(&peer.bytes).unwrap(),
        Message::Peer { target_id, selected_protocol_version, .. }
            if target_id == "client-peer" && selected_protocol_version == "1"
    ));
}

#[test]
fn request_carries_a_real_automerge_sync_message() {
    for frame in frames()
        .iter()
        .filter(|f| f.name.starts_with("sync") || f.name == "request")
    {
        let (Message::Request {
            data, document_id, ..
        }
        | Message::Sync {
            data, document_id, ..
        }) = Message::decode(&frame.bytes).unwrap()
        else {
            panic!("{} is not a sync message", frame.name)
        };
        automerge::sync::Message::decode(&data)
            .unwrap_or_else(|e| panic!("{}: data is not a sync message: {e}", frame.name));
        assert_eq!(
            document_id,
            frame.decoded["documentId"]
                .as_str()
                .unwrap()
                .parse::<DocumentId>()
                .unwrap()
        );
    }
}

#[test]
fn document_ids_match_the_library() {
    let fixtures: Json = serde_json::from_str(FIXTURES).unwrap();
    for entry in fixtures["documentIds"].as_array().unwrap() {
        let bytes: [u8; 16] = unhex(entry["hex"].as_str().unwrap()).try_into().unwrap();
        let id = DocumentId::from_bytes(bytes);
        assert_eq!(id.to_string(), entry["documentId"]);
        assert_eq!(id.url(), entry["url"]);
        assert_eq!(entry["url"].as_str().unwrap().parse::<DocumentId>(), Ok(id));
    }
}
