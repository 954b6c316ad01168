//! A lost phone stops syncing at once: revoking a device (or a person's sessions) ends the sync
//! connections it already holds, not only the next ones.

use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, TestServer};
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
        match carclub_tests::read_ws(&mut peer.ws) {
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

/// A device registered as the administrator and syncing, and the administrator's own back-office
/// connection: the device's id, both connections, the administrator's token.
struct Connected {
    server: TestServer,
    device_id: String,
    phone: Peer,
    office: Peer,
    admin: String,
}

impl Connected {
    fn new() -> Connected {
        let server = TestServer::start();
        let (_, reg) = server.post(
            "/api/devices",
            &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": "lost phone"}),
            None,
        );
        let device_id = reg["device_id"].as_str().unwrap().to_owned();
        let mut phone = Peer::connect(&server, reg["token"].as_str().unwrap());
        phone.send(&summary());
        assert!(
            matches!(phone.recv(), Message::HeadsSummary { .. }),
            "syncing before the revocation"
        );
        let admin = server.admin();
        let office = Peer::connect(&server, &admin);
        Connected {
            server,
            device_id,
            phone,
            office,
            admin,
        }
    }
}

#[test]
fn revoking_a_device_ends_its_open_sync_connection_and_no_other() {
    let mut c = Connected::new();
    let (code, body) = c.server.post(
        &format!("/api/devices/{}/revoke", c.device_id),
        &json!({}),
        Some(&c.admin),
    );
    assert!(code == 200 || code == 204, "revoke answered {code}: {body}");
    c.phone.send(&summary());
    assert!(
        matches!(c.phone.recv(), Message::Error { message, .. } if message.contains("revoked"))
    );
    assert!(
        is_closed(&mut c.phone),
        "the revoked device's connection is closed"
    );

    // The back office's own connection is untouched by the device's revocation.
    c.office.send(&summary());
    assert!(matches!(c.office.recv(), Message::HeadsSummary { .. }));
}

#[test]
fn revoking_a_persons_sessions_ends_their_open_sync_connections() {
    let mut c = Connected::new();
    let (_, me) = c.server.get("/api/me", Some(&c.admin));
    let user = me["user"]["id"].as_str().unwrap().to_owned();
    let (code, _) = c.server.post(
        &format!("/api/users/{user}/revoke-sessions"),
        &json!({}),
        Some(&c.admin),
    );
    assert!(
        code == 200 || code == 204,
        "revoke-sessions answered {code}"
    );
    c.office.send(&summary());
    assert!(
        matches!(c.office.recv(), Message::Error { message, .. } if message.contains("revoked"))
    );
    assert!(is_closed(&mut c.office));
}
