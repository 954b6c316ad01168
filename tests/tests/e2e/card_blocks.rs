//! Card stock: the back office checks out a block of card numbers to a staff member's device; the
//! device learns of it on its next sync and issues cards from it offline; the server accepts cards
//! from the device's blocks only.

use carclub_tests::{ADMIN_PASSWORD, Device, Server};
use serde_json::{Value, json};

fn status(device: &Device) -> Value {
    serde_json::from_str(&device.ok(&["status", "--json"])).expect("status JSON")
}

#[test]
fn a_checked_out_block_reaches_the_device_and_its_cards_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let device = Device::new(&tmp.path().join("device"));
    device.register(&server, "field phone");
    let before = status(&device);
    let device_id = before["device"]["device"].as_str().unwrap().to_owned();
    assert_eq!(
        before["cards"]["left"], 200,
        "a registered device carries its first block"
    );

    let token = server.login("admin", ADMIN_PASSWORD);
    let path = format!("/api/devices/{device_id}/card-blocks");
    let (code, body) = server.post(&path, &json!({"count": 5}), Some(&token));
    assert_eq!(code, 200, "{body}");
    let first_card = body["first_card"].as_str().unwrap().to_owned();
    let (_, audit) = server.get("/api/audit?action=check_out_cards", Some(&token));
    assert_eq!(
        audit["records"].as_array().unwrap().len(),
        1,
        "the checkout is audited: {audit}"
    );

    // Not on the device until it syncs.
    assert_eq!(status(&device)["cards"]["left"], 200);
    device.ok(&["sync"]);
    let after = status(&device);
    assert_eq!(after["cards"]["left"], 205);
    assert_eq!(after["cards"]["blocks"].as_array().unwrap().len(), 2);

    // Offline, the device issues a card of the new block; the server accepts it.
    let member = device
        .ok(&[
            "enroll",
            "--name",
            "赵敏",
            "--phone",
            "13600136000",
            "--vin",
            "LVSHCAMB1CE000008",
            "--plate",
            "粤B55555",
            "--tier",
            "standard",
            "--fee-fen",
            "18000",
            "--receipt",
            "R-C-1",
            "--card",
            &first_card,
        ])
        .trim()
        .strip_prefix("enrolled: ")
        .unwrap()
        .to_owned();
    device.ok(&["sync"]);
    let listed = server.members(&token, &first_card);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], member.as_str());
    let view = device.members();
    assert_eq!(view[0]["sync"], "synced");

    // A card from no block of this device is refused on the device itself.
    let out = device.run(&[
        "enroll",
        "--name",
        "钱多",
        "--phone",
        "13600136001",
        "--vin",
        "LVSHCAMB1CE000009",
        "--plate",
        "粤B55556",
        "--tier",
        "standard",
        "--fee-fen",
        "18000",
        "--receipt",
        "R-C-2",
        "--card",
        "C99999999",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("card block"));

    // The block list shows what was issued.
    let (code, body) = server.get(&path, Some(&token));
    assert_eq!(code, 200);
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1]["issued"], 1);
    assert_eq!(blocks[1]["left"], 4);

    // Bad requests change nothing.
    assert_eq!(
        server.post(&path, &json!({"count": 0}), Some(&token)).0,
        400
    );
    assert_eq!(
        server
            .post(&path, &json!({"count": "five"}), Some(&token))
            .0,
        400
    );
    assert_eq!(server.post(&path, &json!({"count": 5}), None).0, 401);
    let unknown = "/api/devices/01900000-0000-7000-8000-000000000000/card-blocks";
    assert_eq!(
        server.post(unknown, &json!({"count": 5}), Some(&token)).0,
        404
    );
    assert_eq!(
        server
            .post(
                "/api/devices/not-an-id/card-blocks",
                &json!({"count": 5}),
                Some(&token)
            )
            .0,
        400
    );
    assert_eq!(
        server.get(&path, Some(&token)).1["blocks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn only_managers_of_the_devices_store_check_out_cards() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (_, me) = server.get("/api/me", Some(&admin));
    let home = me["user"]["store"]
        .as_str()
        .expect("admin's store")
        .to_owned();
    let other = carclub_tests::accounts::create_store(&server, &admin, "二店", "A");
    carclub_tests::accounts::create_user(&server, &admin, "field1", "field_staff", &home);
    carclub_tests::accounts::create_user(&server, &admin, "manager2", "club_manager", &other);
    carclub_tests::accounts::create_user(&server, &admin, "manager1", "club_manager", &home);

    let device = Device::new(&tmp.path().join("device"));
    device.ok(&[
        "register",
        "--server",
        &server.base,
        "--user",
        "field1",
        "--password",
        carclub_tests::accounts::PASSWORD,
        "--name",
        "phone",
    ]);
    let id = status(&device)["device"]["device"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/devices/{id}/card-blocks");
    let ask = json!({"count": 10});

    let field = server.login("field1", carclub_tests::accounts::PASSWORD);
    let (code, body) = server.post(&path, &ask, Some(&field));
    assert_eq!(code, 403, "{body}");
    let manager2 = server.login("manager2", carclub_tests::accounts::PASSWORD);
    assert_eq!(
        server.post(&path, &ask, Some(&manager2)).0,
        404,
        "another store's device is not even visible"
    );
    let manager1 = server.login("manager1", carclub_tests::accounts::PASSWORD);
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
    assert_eq!(status(&device)["cards"]["left"], 210);
}
