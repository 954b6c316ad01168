//! The back office's admin screens in a real browser against the real server — card stock and
//! people — and the device's last sync the server gained for them.
//!
//! In the browser the administrator checks out a further block of 20 card numbers to a field
//! device, lends a sample card to a field staff member and takes it back, sees a write-off against
//! the wrong receipt refused with the server's reason and writes the sold card off against its
//! receipt, reads the store's program, creates a reception account, revokes a lost device, and makes
//! and prints an invitation code for a member. The server then holds the block, the loan returned,
//! the write-off, the account (which signs in), the device revoked (its token refused) and a code
//! the member signs up with.
//!
//! A second test signs in as each staff role and checks the navigation offers exactly the pages
//! the permission matrix allows (derived in the script from docs/permissions.md and router.ts),
//! and that a member's login is refused.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::accounts::{
    MEMBER_PASSWORD, PASSWORD, create_user, home_store, member_login, operate,
};
use carclub_tests::{ADMIN_PASSWORD, Device, TestServer};
use serde_json::{Value, json};

use super::rule;

const MEMBER: &str = "王芳";
const RECEIPT: &str = "R-701";
const SAMPLE: &str = "S0000001";
const NEW_USER: &str = "reception2";

fn device_id(device: &Device) -> String {
    device.status()["device"]["device"]
        .as_str()
        .expect("the device's id")
        .to_owned()
}

/// The devices of `user` as the administrator sees them.
fn devices(server: &TestServer, admin: &str, user: &str) -> Vec<Value> {
    let (s, page) = server.get(&format!("/api/users/{user}/devices"), Some(admin));
    assert_eq!(s, 200, "{page}");
    page["devices"].as_array().expect("devices").clone()
}

fn device_view<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("device {id} listed: {list:?}"))
}

#[test]
fn the_back_office_keeps_card_stock_and_people_in_the_browser() {
    carclub_tests::browser::require_web_app();

    let server = TestServer::start();
    let admin = server.admin();
    let store = home_store(&server, &admin);
    let sales = create_user(&server, &admin, "sales1", "field_staff", &store);

    // A field phone that enrolls (sells a card) and syncs; a spare tablet that never synced.
    let phone = Device::new(&server.path("phone"));
    phone.register_as(&server, "sales1", PASSWORD, "外拓手机");
    let member = phone.enroll(
        MEMBER,
        "13900020001",
        "LSVAM4187N2020001",
        "粤B20001",
        RECEIPT,
    );
    phone.ok(&["sync"]);
    let (s, v) = operate(
        &server,
        &admin,
        &member,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(s, 200, "{v}");
    let sold = phone.members()[0]["card"]
        .as_str()
        .expect("the card sold")
        .to_owned();
    let tablet = Device::new(&server.path("tablet"));
    tablet.register_as(&server, "sales1", PASSWORD, "备用平板");
    let (phone_id, tablet_id) = (device_id(&phone), device_id(&tablet));

    rule(
        "a device that synced shows when; one that never did shows none",
        || {
            let list = devices(&server, &admin, &sales);
            let synced = device_view(&list, &phone_id);
            let registered = synced["registered_ms"].as_i64().unwrap();
            let last = synced["last_sync_ms"].as_i64().unwrap_or_else(|| {
                panic!("the phone synced: {synced}");
            });
            assert!(last >= registered, "{synced}");
            assert!(
                device_view(&list, &tablet_id)["last_sync_ms"].is_null(),
                "{list:?}"
            );
        },
    );

    let output = carclub_tests::browser::drive(
        "office-admin.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", ADMIN_PASSWORD.to_owned()),
            ("--device", phone_id.clone()),
            ("--lost-device", tablet_id.clone()),
            ("--holder", "sales1".to_owned()),
            ("--sample", SAMPLE.to_owned()),
            ("--sold", sold.clone()),
            ("--receipt", RECEIPT.to_owned()),
            ("--wrong-receipt", "R-799".to_owned()),
            ("--member", MEMBER.to_owned()),
            ("--new-user", NEW_USER.to_owned()),
        ],
    );
    let block = carclub_tests::browser::printed(&output, "BLOCK");
    let code = carclub_tests::browser::printed(&output, "CODE");

    rule(
        "the device carries the block checked out in the browser",
        || {
            let (s, page) = server.get(
                &format!("/api/devices/{phone_id}/card-blocks"),
                Some(&admin),
            );
            assert_eq!(s, 200, "{page}");
            let blocks = page["blocks"].as_array().unwrap();
            assert_eq!(blocks.len(), 2, "{page}");
            assert_eq!(blocks[1]["block"]["count"], 20, "{page}");
            assert_eq!(blocks[1]["block"]["first"].to_string(), block, "{page}");
            assert_eq!(blocks[1]["issued"], 0, "{page}");
        },
    );
    rule(
        "the sample card went to the field staff member and came back",
        || {
            let (s, page) = server.get("/api/card-stock/loans", Some(&admin));
            assert_eq!(s, 200, "{page}");
            let loans = page["loans"].as_array().unwrap();
            assert_eq!(
                loans.len(),
                1,
                "the refused second loan left nothing: {page}"
            );
            let loan = &loans[0]["loan"];
            assert_eq!(loan["card"], SAMPLE, "{loan}");
            assert_eq!(loan["kind"], "sample", "{loan}");
            assert_eq!(loan["holder"], sales.as_str(), "{loan}");
            assert!(loan["returned_at"].is_string(), "returned: {loan}");
            assert_eq!(loan["late"], false, "{loan}");
        },
    );
    rule(
        "the sold card is written off against its receipt, once",
        || {
            let (s, page) = server.get("/api/card-stock/write-offs", Some(&admin));
            assert_eq!(s, 200, "{page}");
            let offs = page["write_offs"].as_array().unwrap();
            assert_eq!(offs.len(), 1, "the wrong receipt wrote nothing off: {page}");
            assert_eq!(offs[0]["card"], sold.as_str(), "{page}");
            assert_eq!(offs[0]["receipt"], RECEIPT, "{page}");
            assert!(page["pending"].as_array().unwrap().is_empty(), "{page}");
        },
    );
    rule(
        "the reception account exists in the store and signs in",
        || {
            let (s, page) = server.get("/api/users?limit=1000", Some(&admin));
            assert_eq!(s, 200, "{page}");
            let user = page["users"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["username"] == NEW_USER)
                .unwrap_or_else(|| panic!("{NEW_USER} created: {page}"));
            assert_eq!(user["role"], "reception", "{user}");
            assert_eq!(user["name"], "陈静", "{user}");
            assert_eq!(user["store"], store.as_str(), "{user}");
            let (s, body) = server.post(
                "/api/login",
                &json!({"username": NEW_USER, "password": "front-desk-2026"}),
                None,
            );
            assert_eq!(s, 200, "{body}");
        },
    );
    rule(
        "the revoked tablet's token is refused; the phone still syncs",
        || {
            let list = devices(&server, &admin, &sales);
            assert_eq!(device_view(&list, &tablet_id)["revoked"], true, "{list:?}");
            assert_eq!(device_view(&list, &phone_id)["revoked"], false, "{list:?}");
            let out = tablet.run(&["sync"]);
            assert!(
                !out.status.success(),
                "a revoked device cannot sync: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            phone.ok(&["sync"]);
        },
    );
    rule("the printed code opens the member's own login", || {
        let (s, body) = server.post(
            "/api/member-signup",
            &json!({"code": code, "username": "wangfang", "password": "my-card-2026"}),
            None,
        );
        assert_eq!(s, 201, "{body}");
        assert_eq!(body["member"], member.as_str(), "{body}");
        let (s, again) = server.post(
            "/api/member-signup",
            &json!({"code": code, "username": "wangfang2", "password": "my-card-2026"}),
            None,
        );
        assert_eq!(s, 422, "a code works once: {again}");
    });
}

/// Every staff role but the administrator's, as `create_user` names them.
const ROLES: [&str; 8] = [
    "general_manager",
    "club_manager",
    "care_specialist",
    "activity_specialist",
    "field_staff",
    "service_advisor",
    "finance",
    "reception",
];

#[test]
fn each_role_is_offered_exactly_the_back_office_pages_the_matrix_allows() {
    carclub_tests::browser::require_web_app();

    let server = TestServer::start();
    let admin = server.admin();
    let store = home_store(&server, &admin);
    let mut accounts = vec![format!("admin:admin:{ADMIN_PASSWORD}")];
    for role in ROLES {
        let username = format!("{}1", role.replace('_', "-"));
        create_user(&server, &admin, &username, role, &store);
        accounts.push(format!("{role}:{username}:{PASSWORD}"));
    }
    // A member with their own login (from an invitation code).
    let device = Device::new(&server.path("device"));
    device.register(&server, "展厅平板");
    let member = device.enroll(
        MEMBER,
        "13900030001",
        "LSVAM4187N2030001",
        "粤B30001",
        "R-801",
    );
    device.ok(&["sync"]);
    let (s, v) = operate(
        &server,
        &admin,
        &member,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(s, 200, "{v}");
    member_login(&server, &admin, &member, "wangfang");

    let output = carclub_tests::browser::drive(
        "office-roles.mjs",
        &server,
        &[
            ("--accounts", accounts.join(",")),
            ("--member-user", "wangfang".to_owned()),
            ("--member-password", MEMBER_PASSWORD.to_owned()),
        ],
    );
    for role in ROLES.iter().chain(&["admin"]) {
        assert!(
            output.lines().any(|l| l.starts_with(&format!("{role}: "))),
            "{role} was checked:\n{output}"
        );
    }
}
