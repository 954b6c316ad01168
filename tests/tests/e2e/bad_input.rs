//! Bad input gets a clear error and changes nothing: malformed JSON, wrong types, unknown fields,
//! oversized bodies, missing or bad tokens, routes and methods the server does not have, garbage
//! sync frames, writes to documents the caller may only read, and documents the caller may not
//! see. Every error names its code and says the same in Chinese.

use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Server, TestServer};
use serde_json::{Value, json};
use tungstenite::Message as Ws;

/// A problem+json body with a code and the detail in English and in Chinese.
#[track_caller]
fn assert_problem_body(ct: &str, v: &Value) {
    assert_eq!(ct, "application/problem+json", "{v}");
    assert!(
        !v["detail"].as_str().unwrap_or_default().is_empty(),
        "a message a person can act on: {v}"
    );
    assert!(
        v["code"].as_str().is_some_and(|c| !c.is_empty()),
        "a code: {v}"
    );
    assert!(
        v["detail_zh"]
            .as_str()
            .is_some_and(|d| d.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "the detail in Chinese: {v}"
    );
}

#[track_caller]
fn assert_problem(server: &Server, path: &str, body: &[u8], status: u16) -> Value {
    let (got, ct, v) = server.post_raw(path, "application/json", body, None);
    assert_eq!(
        got,
        status,
        "{path} with {:?}: {v}",
        String::from_utf8_lossy(&body[..body.len().min(80)])
    );
    assert_problem_body(&ct, &v);
    v
}

/// The server is still healthy and nothing was created.
fn assert_nothing_created(server: &Server) {
    let token = server.login("admin", ADMIN_PASSWORD);
    assert!(server.members(&token, "").is_empty());
}

#[test]
fn the_api_describes_itself_in_openapi() {
    let server = TestServer::start();
    let (code, doc) = server.get("/api/openapi.json", None);
    assert_eq!(code, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/login"]["post"].is_object());
}

#[test]
fn a_malformed_wrong_or_oversized_login_is_refused_clearly() {
    let server = TestServer::start();
    assert_problem(&server, "/api/login", b"{not json", 400);
    assert_problem(
        &server,
        "/api/login",
        br#"{"username": 7, "password": "x"}"#,
        400,
    );
    assert_problem(
        &server,
        "/api/login",
        br#"{"username": "admin", "password": "x", "role": "admin"}"#,
        400,
    );
    assert_problem(
        &server,
        "/api/login",
        br#"{"username": "admin", "password": "wrong"}"#,
        401,
    );
    let huge = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        "x".repeat(200_000)
    );
    assert_problem(&server, "/api/login", huge.as_bytes(), 413);
    assert_nothing_created(&server);
}

#[test]
fn a_refused_login_names_its_code_and_says_it_in_chinese() {
    let server = TestServer::start();
    let cases: [(&[u8], u16, &str, &str); 5] = [
        (b"{not json", 400, "malformed_body", "JSON"),
        (
            br#"{"username": 7, "password": "x"}"#,
            400,
            "invalid_value",
            "username",
        ),
        (
            br#"{"username": "admin", "password": "x", "role": "admin"}"#,
            400,
            "unknown_field",
            "role",
        ),
        (
            br#"{"username": "admin"}"#,
            400,
            "missing_field",
            "password",
        ),
        (
            br#"{"username": "admin", "password": "wrong"}"#,
            401,
            "bad_credentials",
            "用户名或密码错误",
        ),
    ];
    for (body, status, code, said) in cases {
        let v = assert_problem(&server, "/api/login", body, status);
        assert_eq!(v["code"], code, "{v}");
        let zh = v["detail_zh"].as_str().unwrap();
        assert!(zh.contains(said), "{zh} names {said}");
    }
    let huge = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        "x".repeat(200_000)
    );
    let v = assert_problem(&server, "/api/login", huge.as_bytes(), 413);
    assert_eq!(v["code"], "body_too_large", "{v}");
    let (status, ct, v) = server.post_raw("/api/login", "text/plain", b"{}", None);
    assert_eq!(status, 400, "{v}");
    assert_problem_body(&ct, &v);
    assert_eq!(v["code"], "expected_json", "{v}");
    assert_nothing_created(&server);
}

#[test]
fn unknown_routes_methods_and_sessions_are_problems_with_codes() {
    let server = TestServer::start();
    let get = |path: &str, token: Option<&str>| {
        let (status, ct, body) = server.get_text(path, token);
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_problem_body(&ct, &v);
        (status, v)
    };
    let (status, v) = get("/api/nowhere", None);
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    assert!(
        v["detail_zh"].as_str().unwrap().contains("/api/nowhere"),
        "{v}"
    );
    let (status, v) = get("/api/login", None);
    assert_eq!(
        (status, v["code"].as_str()),
        (405, Some("method_not_allowed")),
        "{v}"
    );
    let (status, v) = get("/api/members", None);
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
    assert!(v["detail_zh"].as_str().unwrap().contains("登录"), "{v}");
    let (status, v) = get("/api/members", Some("not-a-token"));
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
    let token = server.admin();
    let (status, v) = get("/api/members?limit=many", Some(&token));
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("invalid_query")),
        "{v}"
    );
    assert!(v["detail_zh"].as_str().unwrap().contains("limit"), "{v}");
    let (status, v) = get("/sync", None);
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("not_a_websocket")),
        "{v}"
    );
}

#[test]
fn a_device_registration_with_a_wrong_password_or_no_name_is_refused() {
    let server = TestServer::start();
    assert_problem(
        &server,
        "/api/devices",
        br#"{"username": "admin", "password": "wrong", "name": "x"}"#,
        401,
    );
    assert_problem(
        &server,
        "/api/devices",
        br#"{"username": "admin", "password": "test-admin-pw", "name": ""}"#,
        400,
    );
    assert_nothing_created(&server);
}

#[test]
fn the_member_list_needs_a_valid_session_and_a_short_search() {
    let server = TestServer::start();
    for token in [None, Some("not-a-token")] {
        let (status, body) = server.get("/api/members", token);
        assert_eq!(status, 401, "{body}");
    }
    let token = server.admin();
    let (status, _) = server.get(&format!("/api/members?q={}", "x".repeat(300)), Some(&token));
    assert_eq!(status, 400);
    assert_nothing_created(&server);
}

#[test]
fn a_signed_out_session_is_over() {
    let server = TestServer::start();
    let token = server.admin();
    let (status, _) = server.post("/api/logout", &json!({}), Some(&token));
    assert_eq!(status, 204);
    let (status, _) = server.get("/api/members", Some(&token));
    assert_eq!(status, 401, "a signed-out session is over");
    assert_nothing_created(&server);
}

/// Two devices registered as the administrator, the first connected as a raw peer.
struct Sync {
    server: TestServer,
    mine: Value,
    other: Value,
    peer: Peer,
}

impl Sync {
    fn new() -> Sync {
        let server = TestServer::start();
        let register = |name: &str| -> Value {
            let (status, body) = server.post(
                "/api/devices",
                &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": name}),
                None,
            );
            assert_eq!(status, 200, "{body}");
            body
        };
        let mine = register("mine");
        let other = register("other");
        let peer = Peer::connect(&server, mine["token"].as_str().unwrap());
        Sync {
            server,
            mine,
            other,
            peer,
        }
    }

    /// The store directory's id (the device may read it, never write it).
    fn directory(&self) -> DocumentId {
        self.mine["docs"]["directory"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// Asks for a document that does not exist; the server answers it is unavailable.
fn assert_unknown_unavailable(peer: &mut Peer) {
    let unknown = DocumentId::from_bytes([9; 16]);
    peer.send(&Message::Request {
        sender_id: "test-peer".into(),
        target_id: "s".into(),
        document_id: unknown,
        data: vec![],
    });
    assert!(
        matches!(peer.recv(), Message::DocUnavailable { document_id, .. } if document_id == unknown)
    );
}

#[test]
fn garbage_and_text_frames_get_an_error_and_the_connection_still_works() {
    let mut s = Sync::new();
    let dir = s.directory();
    let peer = &mut s.peer;
    peer.ws
        .send(Ws::Binary(vec![0xff, 0x00, 0x13].into()))
        .unwrap();
    assert!(matches!(peer.recv(), Message::Error { message, .. } if message.contains("malformed")));
    peer.ws.send(Ws::Text("hello".into())).unwrap();
    assert!(matches!(peer.recv(), Message::Error { .. }));
    peer.sync(dir, vec![1, 2, 3]);
    assert!(
        matches!(peer.recv(), Message::Error { message, .. } if message.contains("malformed sync message"))
    );
    // Still answering on the same connection.
    assert_unknown_unavailable(peer);
}

/// A change chunk Automerge 0.12's column decoder panics on (found by fuzzing `journal_upload`:
/// a LEB128 number cut short), sent inside a sync message to the device's own journal: the server
/// contains the panic, tells the device, keeps its journal as stored and goes on serving.
#[test]
fn a_change_chunk_automerge_panics_on_is_refused_and_the_server_goes_on() {
    let mut s = Sync::new();
    let journal: DocumentId = s.mine["docs"]["journal"].as_str().unwrap().parse().unwrap();
    let kept = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz-regressions/sync_changes/column-number-cut-short"),
    )
    .expect("the kept chunk");
    let message = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: kept.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V2,
    };
    s.peer.sync(journal, message.encode());
    assert!(
        matches!(s.peer.recv(), Message::Error { message, .. } if message.contains("malformed")),
        "the device is told its changes are malformed"
    );
    // The same connection and the server still answer, and a new login works.
    assert_unknown_unavailable(&mut s.peer);
    let token = s.server.login("admin", ADMIN_PASSWORD);
    assert!(s.server.members(&token, "").is_empty());
}

/// A bundle chunk Automerge 0.12 would expand to gigabytes while reading it (found by fuzzing
/// `journal_upload`), sent inside a sync message to the device's own journal: the server refuses it
/// before Automerge reads it, tells the device, and goes on serving.
#[test]
fn a_bundle_chunk_that_would_expand_to_gigabytes_is_refused_and_the_server_goes_on() {
    let mut s = Sync::new();
    let journal: DocumentId = s.mine["docs"]["journal"].as_str().unwrap().parse().unwrap();
    let kept = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz-regressions/journal_upload/bundle-expands-runs"),
    )
    .expect("the kept input");
    let message = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        // The fuzzing input's first byte picks its form; the chunk follows it.
        changes: kept[1..].to_vec().into(),
        flags: None,
        version: automerge::sync::MessageVersion::V2,
    };
    s.peer.sync(journal, message.encode());
    assert!(
        matches!(s.peer.recv(), Message::Error { message, .. } if message.contains("bundle")),
        "the device is told its sync data holds a bundle"
    );
    assert_unknown_unavailable(&mut s.peer);
    let token = s.server.login("admin", ADMIN_PASSWORD);
    assert!(s.server.members(&token, "").is_empty());
}

#[test]
fn another_devices_journal_and_documents_that_do_not_exist_are_unavailable() {
    let mut s = Sync::new();
    let theirs: DocumentId = s.other["docs"]["journal"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let doc = Automerge::new();
    let mut state = automerge::sync::State::new();
    s.peer.sync(
        theirs,
        doc.generate_sync_message(&mut state).unwrap().encode(),
    );
    assert!(
        matches!(s.peer.recv(), Message::DocUnavailable { document_id, .. } if document_id == theirs)
    );
    assert_unknown_unavailable(&mut s.peer);
}

#[test]
fn a_write_into_the_read_only_store_directory_is_refused_and_not_applied() {
    let mut s = Sync::new();
    let dir = s.directory();
    let peer = &mut s.peer;
    let mut forged = Automerge::new();
    let mut tx = forged.transaction();
    tx.put(ROOT, "kind", "directory").unwrap();
    tx.put(ROOT, "forged", true).unwrap();
    tx.commit();
    let mut state = automerge::sync::State::new();
    // First exchange: the server tells what it has; then we push our change.
    peer.sync(
        dir,
        forged.generate_sync_message(&mut state).unwrap().encode(),
    );
    let mut saw_read_only = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !saw_read_only && Instant::now() < deadline {
        match peer.recv() {
            Message::Sync { data, .. } => {
                let m = automerge::sync::Message::decode(&data).unwrap();
                forged.receive_sync_message(&mut state, m).unwrap();
                // A forging device ignores the server's read-only flag and pushes its changes anyway,
                // even when the server's Bloom filter claims, falsely, to hold them already (about
                // one exchange in a hundred, which left both sides waiting).
                state.peer_read_only = false;
                if let Some(mut next) = forged.generate_sync_message(&mut state) {
                    if next.changes.is_empty() {
                        next.changes = forged.save().into();
                    }
                    peer.sync(dir, next.encode());
                }
            }
            Message::Error { message, .. } => saw_read_only = message.contains("read-only"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_read_only, "the server says the directory is read-only");

    // The server's directory has no forged field: the JS-visible content is unchanged.
    let admin = s.server.admin();
    let mut reader = Peer::connect(&s.server, &admin);
    let mut copy = Automerge::new();
    let mut st = automerge::sync::State::new();
    reader.send(&Message::Request {
        sender_id: "test-peer".into(),
        target_id: "s".into(),
        document_id: dir,
        data: copy.generate_sync_message(&mut st).unwrap().encode(),
    });
    while let Message::Sync { data, .. } = reader.recv() {
        copy.receive_sync_message(&mut st, automerge::sync::Message::decode(&data).unwrap())
            .unwrap();
        match copy.generate_sync_message(&mut st) {
            Some(m) => reader.sync(dir, m.encode()),
            None => break,
        }
        if copy.get(ROOT, "kind").unwrap().is_some()
            && st
                .their_heads
                .as_ref()
                .is_some_and(|h| *h == copy.get_heads())
        {
            break;
        }
    }
    let content = carclub_protocol::json_am::read(&copy, &ROOT);
    assert_eq!(content["kind"], "directory");
    assert!(
        content.get("forged").is_none(),
        "forged write leaked: {content}"
    );
}
