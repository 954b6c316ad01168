//! Card stock: the back office checks out a block of card numbers to a staff member's device; the
//! device learns of it on its next sync and issues cards from it offline; the server accepts cards
//! from the device's blocks only.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, home_store};
use carclub_tests::{Device, TestServer};
use serde_json::json;

/// A field device registered as the administrator.
struct World {
    server: TestServer,
    device: Device,
    token: String,
    /// `/api/devices/{id}/card-blocks` of the device.
    path: String,
}

impl World {
    fn new() -> World {
        let server = TestServer::start();
        let device = Device::new(&server.path("device"));
        device.register(&server, "field phone");
        let device_id = device.status()["device"]["device"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = server.admin();
        World {
            path: format!("/api/devices/{device_id}/card-blocks"),
            server,
            device,
            token,
        }
    }

    /// Checks out five more cards to the device; the first of them.
    fn check_out_five(&self) -> String {
        let (code, body) = self
            .server
            .post(&self.path, &json!({"count": 5}), Some(&self.token));
        assert_eq!(code, 200, "{body}");
        body["first_card"].as_str().unwrap().to_owned()
    }
}

#[test]
fn a_registered_device_carries_its_first_block() {
    let w = World::new();
    assert_eq!(
        w.device.status()["cards"]["left"],
        200,
        "a registered device carries its first block"
    );
}

#[test]
fn a_checked_out_block_is_audited_and_reaches_the_device_at_its_next_sync() {
    let w = World::new();
    w.check_out_five();
    let (_, audit) = w
        .server
        .get("/api/audit?action=check_out_cards", Some(&w.token));
    assert_eq!(
        audit["records"].as_array().unwrap().len(),
        1,
        "the checkout is audited: {audit}"
    );

    // Not on the device until it syncs.
    assert_eq!(w.device.status()["cards"]["left"], 200);
    w.device.ok(&["sync"]);
    let after = w.device.status();
    assert_eq!(after["cards"]["left"], 205);
    assert_eq!(after["cards"]["blocks"].as_array().unwrap().len(), 2);
}

#[test]
fn a_card_of_a_checked_out_block_issued_offline_is_accepted_and_counted_as_issued() {
    let w = World::new();
    let first_card = w.check_out_five();
    w.device.ok(&["sync"]);

    // Offline, the device issues a card of the new block; the server accepts it.
    let out = w.device.enroll_with_card(
        [
            "赵敏",
            "13600136000",
            "LVSHCAMB1CE000008",
            "粤B55555",
            "R-C-1",
        ],
        &first_card,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let member = String::from_utf8_lossy(&out.stdout)
        .trim()
        .strip_prefix("enrolled: ")
        .unwrap()
        .to_owned();
    w.device.ok(&["sync"]);
    let listed = w.server.members(&w.token, &first_card);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], member.as_str());
    let view = w.device.members();
    assert_eq!(view[0]["sync"], "synced");

    // The block list shows what was issued.
    let (code, body) = w.server.get(&w.path, Some(&w.token));
    assert_eq!(code, 200);
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1]["issued"], 1);
    assert_eq!(blocks[1]["left"], 4);
}

#[test]
fn a_card_from_no_block_of_the_device_is_refused_on_the_device() {
    let w = World::new();
    let out = w.device.enroll_with_card(
        [
            "钱多",
            "13600136001",
            "LVSHCAMB1CE000009",
            "粤B55556",
            "R-C-2",
        ],
        "C99999999",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("card block"));
}

#[test]
fn bad_checkout_requests_change_nothing() {
    let w = World::new();
    w.check_out_five();
    let (server, path, token) = (&w.server, &w.path, &w.token);
    assert_eq!(server.post(path, &json!({"count": 0}), Some(token)).0, 400);
    assert_eq!(
        server.post(path, &json!({"count": "five"}), Some(token)).0,
        400
    );
    assert_eq!(server.post(path, &json!({"count": 5}), None).0, 401);
    let unknown = "/api/devices/01900000-0000-7000-8000-000000000000/card-blocks";
    assert_eq!(
        server.post(unknown, &json!({"count": 5}), Some(token)).0,
        404
    );
    assert_eq!(
        server
            .post(
                "/api/devices/not-an-id/card-blocks",
                &json!({"count": 5}),
                Some(token)
            )
            .0,
        400
    );
    assert_eq!(
        server.get(path, Some(token)).1["blocks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn only_managers_of_the_devices_store_check_out_cards() {
    let server = TestServer::start();
    let admin = server.admin();
    let home = home_store(&server, &admin);
    let other = create_store(&server, &admin, "二店", "A");
    create_user(&server, &admin, "field1", "field_staff", &home);
    create_user(&server, &admin, "manager2", "club_manager", &other);
    create_user(&server, &admin, "manager1", "club_manager", &home);

    let device = Device::new(&server.path("device"));
    device.register_as(&server, "field1", PASSWORD, "phone");
    let id = device.status()["device"]["device"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/devices/{id}/card-blocks");
    let ask = json!({"count": 10});

    let field = server.login("field1", PASSWORD);
    let (code, body) = server.post(&path, &ask, Some(&field));
    assert_eq!(code, 403, "{body}");
    let manager2 = server.login("manager2", PASSWORD);
    assert_eq!(
        server.post(&path, &ask, Some(&manager2)).0,
        404,
        "another store's device is not even visible"
    );
    let manager1 = server.login("manager1", PASSWORD);
    assert_eq!(
        server.get(&path, Some(&manager1)).1["blocks"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing was added"
    );
    let (code, body) = server.post(&path, &ask, Some(&manager1));
    assert_eq!(code, 200, "{body}");
    device.ok(&["sync"]);
    assert_eq!(device.status()["cards"]["left"], 210);
}

#[test]
fn blocks_taken_after_a_restart_follow_the_last_one_and_keep_eight_digits() {
    let w = World::new();
    let before = w.check_out_five();
    let mut server = w.server;
    server.start_again("127.0.0.1:0");
    let token = server.admin();
    let (code, body) = server.post(&w.path, &json!({"count": 5}), Some(&token));
    assert_eq!(code, 200, "{body}");
    let after = body["first_card"].as_str().unwrap().to_owned();
    let number = |card: &str| -> u64 {
        assert_eq!(card.len(), 9, "a card number is C and eight digits: {card}");
        card[1..].parse().expect("digits")
    };
    assert_eq!(
        number(&after),
        number(&before) + 200,
        "the block after a restart is the next one ({before} before, {after} after)"
    );

    // A device registered after the restart gets the block after that, and issues from it.
    let second = Device::new(&server.path("second"));
    second.register(&server, "second phone");
    let out = second.enroll_with_card(
        [
            "钱芳",
            "13600136001",
            "LVSHCAMB1CE000016",
            "粤B55556",
            "R-C-2",
        ],
        &format!("C{:08}", number(&after) + 200),
    );
    assert!(
        out.status.success(),
        "the new device issues a card of its own block: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
