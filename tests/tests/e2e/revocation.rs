//! A lost phone stops syncing at once: revoking a device (or a person's sessions) ends the sync
//! connections it already holds, not only the next ones.

use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::json;

fn summary() -> Message {
    Message::HeadsSummary {
        sender_id: "test-peer".into(),
        target_id: "s".into(),
        cursor: 0,
        entries: vec![],
        more: false,
    }
}

fn is_closed(peer: &mut Peer) -> bool {
    loop {
        match peer.ws.read() {
            Ok(tungstenite::Message::Close(_)) | Err(_) => return true,
            Ok(tungstenite::Message::Binary(b)) => {
                if !matches!(Message::decode(&b), Ok(Message::Error { .. })) {
                    return false;
                }
            }
            Ok(_) => {}
        }
    }
}

#[test]
fn revoking_a_device_or_sessions_ends_open_sync_connections() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let (_, reg) = server.post(
        "/api/devices",
        &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": "lost phone"}),
        None,
    );
    let device_id = reg["device_id"].as_str().unwrap();
    let mut phone = Peer::connect(&server, reg["token"].as_str().unwrap());
    phone.send(&summary());
    assert!(
        matches!(phone.recv(), Message::HeadsSummary { .. }),
        "syncing before the revocation"
    );

    let admin = server.login("admin", ADMIN_PASSWORD);
    let mut office = Peer::connect(&server, &admin);
    let (code, body) = server.post(
        &format!("/api/devices/{device_id}/revoke"),
        &json!({}),
        Some(&admin),
    );
    assert!(code == 200 || code == 204, "revoke answered {code}: {body}");
    phone.send(&summary());
    assert!(matches!(phone.recv(), Message::Error { message, .. } if message.contains("revoked")));
    assert!(
        is_closed(&mut phone),
        "the revoked device's connection is closed"
    );

    // The back office's own connection is untouched by the device's revocation…
    office.send(&summary());
    assert!(matches!(office.recv(), Message::HeadsSummary { .. }));
    // …and ends when that person's sessions are revoked.
    let (_, me) = server.get("/api/me", Some(&admin));
    let user = me["user"]["id"].as_str().unwrap().to_owned();
    let (code, _) = server.post(
        &format!("/api/users/{user}/revoke-sessions"),
        &json!({}),
        Some(&admin),
    );
    assert!(
        code == 200 || code == 204,
        "revoke-sessions answered {code}"
    );
    office.send(&summary());
    assert!(matches!(office.recv(), Message::Error { message, .. } if message.contains("revoked")));
    assert!(is_closed(&mut office));
}
