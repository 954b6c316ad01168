//! The member app (我的卡, `/member/`) in a real browser on a phone against the real server: a member
//! enrolled by a field device, approved and with points from a settled order activates their login
//! with an invitation code, sees their card and their car's upcoming reminders (the insurance the
//! store recorded as expiring within the month), answers yes to a club event (and cannot to one that
//! another member has filled), files a complaint, and a staff account is refused; the server then
//! has the answer and the complaint, and nothing more.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::time::{DAY_MS, now_ms, ts};
use carclub_tests::{Device, TestServer};
use serde_json::{Value, json};

#[test]
fn a_member_sees_their_card_and_answers_an_invitation_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let server = TestServer::start();
    let admin = server.admin();

    // Enrolled on site by a field device, then synced.
    let device = Device::new(&server.path("device"));
    device.register(&server, "展厅平板");
    let member = device.enroll(
        "陈静",
        "13900000001",
        "LSVAB1234567890XY",
        "粤A12345",
        "R-001",
    );
    // Another member, who takes the only place of a small event.
    let other = device.enroll(
        "李雷",
        "13900000002",
        "LSVAB1234567890XZ",
        "粤A54321",
        "R-002",
    );
    device.ok(&["sync"]);
    let (s, v) = server.post(
        &format!("/api/members/{other}/operations"),
        &json!({"type": "enrollment_approved"}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");

    // Approved, and an order settled so the member has points.
    let op = |body: Value| {
        let (s, v) = server.post(
            &format!("/api/members/{member}/operations"),
            &body,
            Some(&admin),
        );
        assert_eq!(s, 200, "{body}: {v}");
        v["state"].clone()
    };
    let st = op(json!({"type": "enrollment_approved"}));
    assert_eq!(st["status"], "active", "{st}");
    let st = op(json!({"type": "order_settled", "order": {"receipt": "S-1",
        "lines": [{"category": "labor", "amount": 100_000}], "promotion": false}}));
    let points = st["points"].as_u64().expect("points");
    assert!(points > 0, "the order earned points: {st}");
    let tier = st["tier"].as_str().expect("tier").to_owned();
    assert_eq!(tier, "standard");

    let (s, file) = server.get(&format!("/api/members/{member}"), Some(&admin));
    assert_eq!(s, 200, "{file}");
    let card = file["card"].as_str().expect("a card number").to_owned();

    // The store recorded the car's facts: delivered ten weeks ago (its first service is due),
    // insurance that expires within the month (its calls began two months before) and the annual
    // inspection in two and a half months. The member's reminders list them.
    let day = |offset: i64| ts(now_ms() + offset * DAY_MS)[..10].to_owned();
    let expiry = day(30);
    let (s, v) = server.put(
        &format!("/api/members/{member}/vehicles/LSVAB1234567890XY/facts"),
        &json!({"delivered": day(-70), "insurance_expiry": expiry, "insurer": "平安财险",
                "inspection_due": day(75), "model": "帕萨特 2026款"}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");

    // A club event for the active members, and the invitation code the store hands over.
    let (s, ev) = server.post(
        "/api/club-events",
        &json!({"title": "车主讲堂：冬季保养", "kind": "lecture", "starts_at": ts(now_ms() + 7 * 86_400_000),
                "place": "本店二楼", "capacity": 20}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{ev}");
    let event = ev["id"].as_str().expect("event id").to_owned();
    assert!(
        ev["invited"].as_array().unwrap().contains(&json!(member)),
        "the member is invited: {ev}"
    );
    // A trip with one place, taken by the other member.
    let (s, small) = server.post(
        "/api/club-events",
        &json!({"title": "周末自驾：从化温泉", "kind": "self_drive", "starts_at": ts(now_ms() + 10 * 86_400_000),
                "place": "本店门口集合", "capacity": 1}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{small}");
    let full_event = small["id"].as_str().expect("event id").to_owned();
    let (s, v) = server.post(
        &format!("/api/club-events/{full_event}/rsvp"),
        &json!({"attending": true, "member": other}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    let (s, inv) = server.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{inv}");
    let code = inv["code"].as_str().expect("code").to_owned();

    carclub_tests::browser::drive(
        "member-app.mjs",
        &server,
        &[
            ("--code", code),
            ("--card", card.clone()),
            ("--tier", "一般卡".to_owned()),
            ("--points", points.to_string()),
            ("--event", event.clone()),
            ("--full-event", full_event.clone()),
            ("--staff-user", "admin".to_owned()),
            ("--staff-password", carclub_tests::ADMIN_PASSWORD.to_owned()),
            ("--username", "chenjing".to_owned()),
            ("--insurance-expiry", expiry.clone()),
            ("--plate", "粤A12345".to_owned()),
        ],
    );

    // The answer is on the server, given by the member's own login.
    let (s, ev) = server.get(&format!("/api/club-events/{event}"), Some(&admin));
    assert_eq!(s, 200, "{ev}");
    let mine = ev["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["member"] == member.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        mine["rsvp"]["attending"], true,
        "the RSVP is recorded: {ev}"
    );
    assert_eq!(ev["accepted"], 1, "{ev}");

    // The full event kept its one place for the other member.
    let (s, ev) = server.get(&format!("/api/club-events/{full_event}"), Some(&admin));
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["accepted"], 1, "{ev}");
    assert!(
        ev["rsvps"].get(member.as_str()).is_none(),
        "no answer from the member to the full event: {ev}"
    );

    // The complaint is about the member, at the level they filed, once (a double tap sends one).
    let (s, list) = server.get(&format!("/api/complaints?member={member}"), Some(&admin));
    assert_eq!(s, 200, "{list}");
    let complaints = list["complaints"].as_array().unwrap();
    assert_eq!(complaints.len(), 1, "{list}");
    assert_eq!(complaints[0]["level"], "complaint");
    assert_eq!(complaints[0]["channel"], "phone");

    // The member's login sees their own file only.
    let me = server.login("chenjing", "member-pw-2026");
    let (s, v) = server.get("/api/me", Some(&me));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["member"]["card"], card.as_str());
    assert_eq!(server.get("/api/members", Some(&me)).0, 403);

    // The reminders the app showed are the member's own, from the server.
    let (s, v) = server.get("/api/me/reminders", Some(&me));
    assert_eq!(s, 200, "{v}");
    assert!(
        v["reminders"]
            .as_array()
            .unwrap_or_else(|| panic!("a list of reminders: {v}"))
            .iter()
            .any(|r| r["kind"] == "insurance_expiry" && r["until"] == expiry.as_str()),
        "the insurance reminder: {v}"
    );
}
