//! Bad input gets a clear error and changes nothing: malformed JSON, wrong types, unknown fields,
//! oversized bodies, missing or bad tokens, garbage sync frames, writes to documents the caller may
//! only read, and documents the caller may not see.

use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};
use tungstenite::Message as Ws;

fn assert_problem(server: &Server, path: &str, body: &[u8], status: u16) {
    let (got, ct, v) = server.post_raw(path, "application/json", body, None);
    assert_eq!(
        got,
        status,
        "{path} with {:?}: {v}",
        String::from_utf8_lossy(&body[..body.len().min(80)])
    );
    assert_eq!(ct, "application/problem+json");
    assert!(
        !v["detail"].as_str().unwrap_or_default().is_empty(),
        "a message a person can act on: {v}"
    );
}

#[test]
fn the_http_api_rejects_bad_input_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let (code, doc) = server.get("/api/openapi.json", None);
    assert_eq!(code, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/login"]["post"].is_object());
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

    for token in [None, Some("not-a-token")] {
        let (status, body) = server.get("/api/members", token);
        assert_eq!(status, 401, "{body}");
    }
    let token = server.login("admin", ADMIN_PASSWORD);
    let (status, _) = server.get(&format!("/api/members?q={}", "x".repeat(300)), Some(&token));
    assert_eq!(status, 400);
    let (status, _) = server.post("/api/logout", &json!({}), Some(&token));
    assert_eq!(status, 204);
    let (status, _) = server.get("/api/members", Some(&token));
    assert_eq!(status, 401, "a signed-out session is over");
    // The server is still healthy and nothing was created.
    let token = server.login("admin", ADMIN_PASSWORD);
    assert!(server.members(&token, "").is_empty());
}

#[test]
fn the_sync_endpoint_rejects_bad_frames_and_forbidden_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
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
    let token = mine["token"].as_str().unwrap();
    let mut peer = Peer::connect(&server, token);

    // Garbage bytes and text frames: an error message, and the connection still works.
    peer.ws
        .send(Ws::Binary(vec![0xff, 0x00, 0x13].into()))
        .unwrap();
    assert!(matches!(peer.recv(), Message::Error { message, .. } if message.contains("malformed")));
    peer.ws.send(Ws::Text("hello".into())).unwrap();
    assert!(matches!(peer.recv(), Message::Error { .. }));
    let dir: DocumentId = mine["docs"]["directory"].as_str().unwrap().parse().unwrap();
    peer.sync(dir, vec![1, 2, 3]);
    assert!(
        matches!(peer.recv(), Message::Error { message, .. } if message.contains("malformed sync message"))
    );

    // Another device's journal, and a document that does not exist, are unavailable.
    let theirs: DocumentId = other["docs"]["journal"].as_str().unwrap().parse().unwrap();
    let doc = Automerge::new();
    let mut state = automerge::sync::State::new();
    peer.sync(
        theirs,
        doc.generate_sync_message(&mut state).unwrap().encode(),
    );
    assert!(
        matches!(peer.recv(), Message::DocUnavailable { document_id, .. } if document_id == theirs)
    );
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

    // Writing into the store directory (read-only for devices): refused, not applied.
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
                // A forging device ignores the server's read-only flag and pushes its changes anyway.
                state.peer_read_only = false;
                if let Some(next) = forged.generate_sync_message(&mut state) {
                    peer.sync(dir, next.encode());
                }
            }
            Message::Error { message, .. } => saw_read_only = message.contains("read-only"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_read_only, "the server says the directory is read-only");

    // The server's directory has no forged field: the JS-visible content is unchanged.
    let admin = server.login("admin", ADMIN_PASSWORD);
    let mut reader = Peer::connect(&server, &admin);
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
