//! A member's year through the API, on preset B (DOMAIN.md §3): enrolled on site, approved,
//! settlements that earn points (quoted first), a benefit used, an upgrade, a redemption, a lost
//! card with a temporary card and a reissue, and the renewal — then the member's own login sees
//! exactly their state and nobody else's, and the club manager finds it all in the audit log.
//!
//! The year is keyed in as it happened: the enrollment is uploaded by a field device dated 340
//! days back, and each back-office operation carries the moment it happened (`at`).

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};

fn ago(days: i64) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - days * 86_400_000;
    serde_json::to_value(carclub_shared::Timestamp::from_millis(ms))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn ok(r: (u16, Value)) -> Value {
    assert_eq!(r.0, 200, "operation refused: {}", r.1);
    r.1["state"].clone()
}

#[test]
fn a_members_year_through_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let store = create_store(&server, &admin, "北店", "B");
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    for (name, role) in [
        ("field", "field_staff"),
        ("fin", "finance"),
        ("care", "care_specialist"),
    ] {
        create_user(&server, &cm, name, role, &store);
    }
    let fin = server.login("fin", PASSWORD);
    let care = server.login("care", PASSWORD);

    // Enrollment on site, uploaded by the field device; a second member for the privacy check.
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let member = phone.enroll(340, "陈静", 1, "guest", 30000);
    let other = phone.enroll(340, "刘洋", 2, "guest", 30000);
    let card = format!("{}{:08}", phone.card_prefix, phone.card_first);
    phone.sync(&server);
    let (s, f) = file(&server, &cm, &member);
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["state"]["status"], "pending");

    // Approval by the club manager; the term runs one year from it.
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "enrollment_approved", "at": ago(339)}),
    ));
    assert_eq!(st["status"], "active");
    assert_eq!(st["tier"], "guest");
    // Approving twice is refused by the engine and changes nothing.
    let (s, v) = operate(
        &server,
        &cm,
        &member,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(s, 409, "{v}");

    // Settlement: the quote shows discount and points, then finance confirms it.
    let order = json!({"lines": [{"category": "labor", "amount": 1_500_000}], "card": card, "receipt": "S-1"});
    let (s, q) = server.post(
        &format!("/api/members/{member}/quote"),
        &json!({ "order": order }),
        Some(&fin),
    );
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["discount"], 75_000, "guest labor discount 5 %: {q}");
    assert_eq!(q["points"], 1425, "1 point per 10 yuan paid: {q}");
    // Dated 300 days back: a paper record keyed in later. Finance may date an operation within
    // the last day only; the club manager keys it in.
    let (s, v) = operate(
        &server,
        &fin,
        &member,
        json!({"type": "order_settled", "order": order, "at": ago(300)}),
    );
    assert_eq!(s, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("backdate"), "{v}");
    let (_, f) = file(&server, &cm, &member);
    assert_eq!(
        f["state"]["points"], 0,
        "the refused settlement changed nothing"
    );
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "order_settled", "order": order, "at": ago(300)}),
    ));
    assert_eq!(st["points"], 1425);

    // A benefit used, registered with its value.
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "benefit_used", "benefit": "free_wash", "value": 3000, "at": ago(290)}),
    ));
    let wash = st["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "free_wash")
        .unwrap()
        .clone();
    assert_eq!(wash["remaining"], 5, "{wash}");

    // More than 1,000 points: the member applies for Silver; points reset on upgrade (001).
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "upgrade_approved", "tier": "silver", "at": ago(280)}),
    ));
    assert_eq!(st["tier"], "silver");
    assert_eq!(st["points"], 0);

    // Another settlement at the Silver discount, then a redemption from the catalogue.
    let order2 = json!({"lines": [{"category": "labor", "amount": 600_000}], "card": card, "receipt": "S-2"});
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "order_settled", "order": order2, "at": ago(200)}),
    ));
    assert_eq!(st["points"], 552, "8 % off, then 1 point per 10 yuan");
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "points_redeemed", "points": 500, "item": "100 yuan voucher", "at": ago(150)}),
    ));
    assert_eq!(st["points"], 52);
    // Redeeming more than is held: refused with the reason, nothing changes.
    let (s, v) = operate(
        &server,
        &fin,
        &member,
        json!({"type": "points_redeemed", "points": 500}),
    );
    assert_eq!(s, 409, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("52"), "{v}");

    // A lost card: reported, a temporary card meanwhile, and a reissue for the fee.
    let temp = phone.next_card();
    let new_card = phone.next_card();
    ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "card_lost", "card": card, "at": ago(100)}),
    ));
    ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "temporary_card_issued", "card": temp, "at": ago(100)}),
    ));
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "card_reissued", "card": new_card, "replaces": card, "fee": 2000, "receipt": "R-RE-1", "at": ago(98)}),
    ));
    let cards = st["cards"].as_array().unwrap();
    assert!(
        cards
            .iter()
            .any(|c| c["number"] == new_card.as_str() && c["status"] == "active"),
        "{st}"
    );
    assert!(
        cards
            .iter()
            .any(|c| c["number"] == card.as_str() && c["status"] != "active")
    );

    // Renewal in the month before expiry, for Silver's renewal fee.
    let before = st["valid_until"].as_str().unwrap().to_owned();
    let st = ok(operate(
        &server,
        &cm,
        &member,
        json!({"type": "renewed", "fee": 30000, "receipt": "R-RN-1"}),
    ));
    let after = st["valid_until"].as_str().unwrap().to_owned();
    assert!(
        after > before,
        "renewal extends the term: {before} -> {after}"
    );
    assert_eq!(st["status"], "active");

    // The member's own login, from an invitation code the store hands over.
    let (s, inv) = server.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(&care),
    );
    assert_eq!(s, 201, "{inv}");
    let (s, signup) = server.post(
        "/api/member-signup",
        &json!({"code": inv["code"], "username": "chenjing", "password": "member-pw-123"}),
        None,
    );
    assert_eq!(s, 201, "{signup}");
    let me_token = server.login("chenjing", "member-pw-123");
    let (s, me) = server.get("/api/me", Some(&me_token));
    assert_eq!(s, 200, "{me}");
    let mine = &me["member"];
    assert_eq!(mine["id"], member.as_str());
    assert_eq!(
        mine["phone"], "13900000001",
        "a member sees their own phone"
    );
    assert_eq!(mine["state"]["tier"], "silver");
    assert_eq!(mine["state"]["points"], 52);
    assert_eq!(mine["state"]["valid_until"], after.as_str());
    assert_eq!(mine["card"], new_card.as_str());
    // Exactly their state and nobody else's.
    assert_eq!(file(&server, &me_token, &other).0, 403);
    assert_eq!(server.get("/api/members", Some(&me_token)).0, 403);
    assert_eq!(server.get("/api/audit", Some(&me_token)).0, 403);
    let (s, _) = operate(
        &server,
        &me_token,
        &member,
        json!({"type": "points_redeemed", "points": 10}),
    );
    assert_eq!(s, 403, "a member does not redeem by themselves");

    // Finance sees the file with the phone masked (it does not need it).
    let (_, f) = file(&server, &fin, &member);
    assert_eq!(f["phone"], "139****0001");

    // The club manager finds every change and every view in the audit log.
    let (s, log) = server.get(&format!("/api/audit?member={member}"), Some(&cm));
    assert_eq!(s, 200, "{log}");
    let actions: Vec<&str> = log["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "enrollment_approved",
        "order_settled",
        "benefit_used",
        "upgrade_approved",
        "points_redeemed",
        "card_lost",
        "card_reissued",
        "renewed",
        "view_member_file",
        "invite_member",
        "member_signup",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let viewers: Vec<&str> = log["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "view_member_file")
        .map(|r| r["username"].as_str().unwrap())
        .collect();
    assert!(viewers.contains(&"chenjing") && viewers.contains(&"fin"));
}
