//! The counter's daily work in the back office, in a real browser against the real server, on a
//! store running preset B: enrollments approved and rejected (with a reason) from the approvals
//! list; at the till a service advisor finds a member by plate, quotes an order (discount and
//! points), settles it with a receipt number and registers a benefit used; finance redeems points;
//! on member files the club manager renews (refused outside the window, done inside it), reports a
//! card lost, hands over a temporary card and reissues, takes a withdrawal from request to
//! decision, approves an upgrade the member qualifies for by points and grants points by hand
//! with a reason. The server then holds every one of these.
//!
//! Members are enrolled by field devices: the command-line device for today's enrollments, a
//! journal device for those dated back (awaiting approval for days, or in their renewal window).
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::ago;
use carclub_tests::{Device, TestServer};
use serde_json::{Value, json};

use crate::rule;

/// Enrolls a member on the guest tier (preset B, 300 yuan) with the command-line device; the id.
fn enroll_guest(device: &Device, person: [&str; 5]) -> String {
    let [name, phone, vin, plate, receipt] = person;
    let out = device.ok(&[
        "enroll",
        "--name",
        name,
        "--phone",
        phone,
        "--vin",
        vin,
        "--plate",
        plate,
        "--tier",
        "guest",
        "--fee-fen",
        "30000",
        "--receipt",
        receipt,
    ]);
    out.trim()
        .strip_prefix("enrolled: ")
        .expect("member id printed")
        .to_owned()
}

/// Enrolls a member on the guest tier `days_ago` days back with the documents seen; the id.
fn enroll_dated(phone: &mut JournalDevice, days_ago: i64, name: &str, n: u32) -> String {
    let member = carclub_shared::EventId::new().to_string();
    let card = phone.next_card();
    phone.record(
        days_ago,
        json!({
            "type": "enrolled", "member": member,
            "person": {"name": name, "phone": format!("137{n:08}")},
            "vehicle": {"vin": format!("LFVBA2180N{n:07}"), "plate": format!("粤B{n:05}")},
            "tier": "guest", "channel": {"kind": "desk"}, "fee": 30000,
            "documents_seen": ["id_card", "driver_licence", "vehicle_licence", "application_form"],
            "receipt": format!("R-J{n}"), "card": card
        }),
    );
    member
}

fn state_of(server: &TestServer, token: &str, member: &str) -> Value {
    let (s, f) = file(server, token, member);
    assert_eq!(s, 200, "{f}");
    f
}

#[test]
fn the_counter_approves_settles_redeems_and_runs_a_members_lifecycle_in_the_browser() {
    carclub_tests::browser::require_web_app();

    let server = TestServer::start();
    let admin = server.admin();
    let store = create_store(&server, &admin, "北店", "B");
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    for (name, role) in [
        ("field", "field_staff"),
        ("sa", "service_advisor"),
        ("fin", "finance"),
    ] {
        create_user(&server, &cm, name, role, &store);
    }

    // Today's enrollments on the command-line device.
    let device = Device::new(&server.path("device"));
    device.register_as(&server, "field", PASSWORD, "外拓平板");
    let approve = enroll_guest(
        &device,
        [
            "王芳",
            "13900000011",
            "LSVAB1234567890A1",
            "粤B30001",
            "R-101",
        ],
    );
    let young = enroll_guest(
        &device,
        [
            "陈静",
            "13900000012",
            "LSVAB1234567890A2",
            "粤B12345",
            "R-102",
        ],
    );
    device.ok(&["sync"]);

    // Enrollments dated back on a journal device: one waiting six days (overdue), one four days
    // (due soon), and a member of eleven months, in the renewal window.
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let reject = enroll_dated(&mut phone, 6, "李强", 21);
    let waiting = enroll_dated(&mut phone, 4, "周敏", 22);
    let renewing = enroll_dated(&mut phone, 340, "赵磊", 23);
    let temp_card = phone.next_card();
    let new_card = phone.next_card();
    phone.sync(&server);

    // The young member is approved and has points from an earlier order; the renewing one was
    // approved eleven months ago.
    let young_card = state_of(&server, &cm, &young)["card"]
        .as_str()
        .expect("card")
        .to_owned();
    let ok = |member: &str, op: Value| {
        let (s, v) = operate(&server, &cm, member, op.clone());
        assert_eq!(s, 200, "{op}: {v}");
        v["state"].clone()
    };
    ok(&young, json!({"type": "enrollment_approved"}));
    let st = ok(
        &young,
        json!({"type": "order_settled", "order": {"receipt": "S-0", "card": young_card,
            "lines": [{"category": "labor", "amount": 500_000}]}}),
    );
    let points_before = st["points"].as_u64().expect("points");
    ok(
        &renewing,
        json!({"type": "enrollment_approved", "at": ago(339)}),
    );
    let renewing_file = state_of(&server, &cm, &renewing);
    let renewing_card = renewing_file["card"].as_str().expect("card").to_owned();
    let valid_until_before = renewing_file["state"]["valid_until"]
        .as_str()
        .expect("valid until")
        .to_owned();
    assert_eq!(
        renewing_file["state"]["renewal_open"], true,
        "{renewing_file}"
    );

    // The renewing member has earned enough points on an order to apply for Silver (preset B: a
    // Guest with more than 1,000 points); the approved one will be granted points by hand.
    let st = ok(
        &renewing,
        json!({"type": "order_settled", "order": {"receipt": "S-R0", "card": renewing_card,
            "lines": [{"category": "labor", "amount": 1_200_000}]}}),
    );
    assert!(st["points"].as_u64().expect("points") > 1000, "{st}");
    let offered = st["upgrades"]
        .as_array()
        .expect("upgrades")
        .iter()
        .any(|u| u["to"] == "silver" && u["by"] == "points" && u["mode"] == "application");
    assert!(offered, "{st}");
    let granted: u64 = 300;

    // What the till's order will earn, to check the balance after.
    let till_order = json!({"receipt": "S-T1", "card": young_card, "promotion": false,
        "lines": [{"category": "labor", "amount": 100_000}, {"category": "parts", "amount": 50_000}]});
    let (s, q) = server.post(
        &format!("/api/members/{young}/quote"),
        &json!({"order": till_order}),
        Some(&cm),
    );
    assert_eq!(s, 200, "{q}");
    let earns = q["points"].as_u64().expect("points");
    let discount = q["discount"].as_i64().expect("discount");

    // Two runs of the script, each within the browser run's time limit: the approvals and the
    // till, then the member files.
    for part in ["desk", "files"] {
        carclub_tests::browser::drive(
            "office-counter.mjs",
            &server,
            &[
                ("--store", store.clone()),
                ("--approve", approve.clone()),
                ("--reject", reject.clone()),
                ("--waiting", waiting.clone()),
                ("--young", young.clone()),
                ("--young-card", young_card.clone()),
                ("--plate", "粤B12345".to_owned()),
                ("--earns", earns.to_string()),
                ("--discount", discount.to_string()),
                ("--points-before", points_before.to_string()),
                ("--renewing", renewing.clone()),
                ("--renewing-card", renewing_card.clone()),
                ("--temp-card", temp_card.clone()),
                ("--new-card", new_card.clone()),
                ("--grant", granted.to_string()),
                ("--password", PASSWORD.to_owned()),
                ("--part", part.to_owned()),
            ],
        );
    }

    // What the server holds.
    rule("an approved enrollment is active", || {
        let f = state_of(&server, &cm, &approve);
        assert_eq!(f["state"]["status"], "active", "{f}");
    });
    rule(
        "a rejected enrollment is no membership and its fee is due back",
        || {
            let f = state_of(&server, &cm, &reject);
            assert_ne!(f["state"]["status"], "pending", "{f}");
            assert_ne!(f["state"]["status"], "active", "{f}");
            assert_eq!(f["state"]["refund_due"], 30000, "{f}");
        },
    );
    rule("an enrollment nobody decided still waits", || {
        let f = state_of(&server, &cm, &waiting);
        assert_eq!(f["state"]["status"], "pending", "{f}");
    });
    let young_file = state_of(&server, &cm, &young);
    let st = &young_file["state"];
    rule(
        "the till's receipt is counted once and redemption spent 500 points",
        || {
            let m = &st["measures"];
            assert_eq!(
                m["points_earned"].as_u64(),
                Some(points_before + earns),
                "{st}"
            );
            assert_eq!(m["points_redeemed"], 500, "{st}");
            let twice = st["violations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["type"] == "receipt_counted_twice");
            assert!(!twice, "{st}");
        },
    );
    rule("the benefit used is registered with its value", || {
        assert_eq!(st["benefits_used_value"], 3000, "{st}")
    });
    rule(
        "the withdrawal was requested, its refund computed and accepted",
        || {
            assert_eq!(st["withdrawal"]["accepted"], true, "{st}");
            assert_eq!(
                st["withdrawal"]["reason"], "first_service_disappointing",
                "{st}"
            );
            assert_eq!(st["status"], "withdrawn", "{st}");
            assert_eq!(st["points"], 0, "a withdrawal clears the points: {st}");
        },
    );
    let renewed = state_of(&server, &cm, &renewing);
    let st = &renewed["state"];
    rule("a renewal inside the window extends the term", || {
        let until = st["valid_until"].as_str().expect("valid until");
        assert!(
            until > valid_until_before.as_str(),
            "{until} after {valid_until_before}: {st}"
        );
    });
    rule(
        "the lost card is replaced, the temporary card dated, the new card active",
        || {
            let cards = st["cards"].as_array().unwrap();
            let card = |n: &str| {
                cards
                    .iter()
                    .find(|c| c["number"] == n)
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            assert_eq!(card(&renewing_card)["status"], "replaced", "{st}");
            assert_eq!(card(&temp_card)["kind"], "temporary", "{st}");
            assert!(card(&temp_card)["valid_until"].is_string(), "{st}");
            assert_eq!(card(&new_card)["status"], "active", "{st}");
            assert_eq!(card(&new_card)["kind"], "regular", "{st}");
        },
    );
    rule(
        "the upgrade approved at the counter moves the member to Silver and resets the points",
        || {
            assert_eq!(st["tier"], "silver", "{st}");
            assert_eq!(renewed["tier"], "silver", "{renewed}");
            assert_eq!(
                st["points"], 0,
                "preset B resets the points on an upgrade: {st}"
            );
        },
    );
    rule("a manual grant adds its points to the balance", || {
        let f = state_of(&server, &cm, &approve);
        assert_eq!(f["state"]["points"].as_u64(), Some(granted), "{f}");
        assert_eq!(f["state"]["tier"], "guest", "a grant of points only: {f}");
    });
}
