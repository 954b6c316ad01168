//! What offline devices do together that breaks an invariant is kept and listed as a conflict:
//! a card number issued twice, the same points redeemed on two devices, a benefit used beyond its allowance, a receipt counted
//! twice; and a retried upload never earns points twice.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};

fn conflicts(server: &Server, token: &str) -> Vec<Value> {
    let (code, body) = server.get("/api/conflicts", Some(token));
    assert_eq!(code, 200, "{body}");
    body["conflicts"].as_array().unwrap().clone()
}

fn points(server: &Server, token: &str, member: &str) -> u64 {
    let (code, body) = file(server, token, member);
    assert_eq!(code, 200, "{body}");
    body["state"]["points"]
        .as_u64()
        .unwrap_or_else(|| panic!("points in {body}"))
}

#[test]
fn offline_devices_that_overdraw_or_overuse_raise_conflicts_and_retries_count_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let store = create_store(&server, &admin, "三店", "B");
    create_user(&server, &admin, "mgrb", "club_manager", &store);
    let manager = server.login("mgrb", PASSWORD);
    let mut d1 = JournalDevice::register(&server, "mgrb", PASSWORD);
    let mut d2 = JournalDevice::register(&server, "mgrb", PASSWORD);

    let member = d1.enroll(20, "积分会员", 1, "guest", 30000);
    d1.sync(&server);
    // A device restored from an old copy issues its first card again, to another person.
    let reissued = d1.card_first;
    let twin = d1.record(
        19,
        json!({
            "type": "enrolled", "member": carclub_shared::MemberId::new(), "person": {"name": "同卡会员", "phone": "13900000777"},
            "vehicle": {"vin": "LSVAU2180N9000777", "plate": "粤B90777"}, "tier": "guest", "channel": {"kind": "desk"},
            "fee": 30000, "receipt": "R-TWIN-1", "card": format!("{}{reissued:08}", d1.card_prefix)
        }),
    );
    d1.sync(&server);
    let listed = conflicts(&server, &manager);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["kind"], "duplicate_card");
    assert!(
        listed[0]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == twin.as_str())
    );
    let (code, body) = server.post(
        &format!(
            "/api/conflicts/{}/resolve",
            carclub_tests::urlencode(listed[0]["id"].as_str().unwrap())
        ),
        &json!({"note": "the second person gets a new card"}),
        Some(&manager),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        operate(
            &server,
            &manager,
            &member,
            json!({"type": "enrollment_approved"})
        )
        .0,
        200
    );
    let order = json!({"type": "order_settled", "order": {"receipt": "S-1", "lines": [{"category": "cash", "amount": 700000}], "promotion": false}});
    let (code, body) = operate(&server, &manager, &member, order);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        points(&server, &manager, &member),
        700,
        "preset B: 1 point per 10 yuan"
    );
    assert!(
        conflicts(&server, &manager)
            .iter()
            .all(|c| c["resolved"] == true)
    );

    // A settlement uploaded, then the very same event again (a retry): it earns once.
    d1.record(0, json!({"type": "order_settled", "member": member, "order": {"receipt": "S-2", "lines": [{"category": "cash", "amount": 100000}], "promotion": false}}));
    d1.sync(&server);
    assert_eq!(points(&server, &manager, &member), 800);
    d1.repeat_last();
    d1.sync(&server);
    assert_eq!(
        points(&server, &manager, &member),
        800,
        "a retried upload never earns twice"
    );

    // Offline, both devices redeem 500 of the 800 points and use the free check (2 a year).
    d1.record(
        0,
        json!({"type": "points_redeemed", "member": member, "points": 500, "item": "保养套餐"}),
    );
    d2.record(
        0,
        json!({"type": "points_redeemed", "member": member, "points": 500, "item": "保养套餐"}),
    );
    d1.record(0, json!({"type": "benefit_used", "member": member, "benefit": "free_check", "count": 2, "value": 10000}));
    d2.record(0, json!({"type": "benefit_used", "member": member, "benefit": "free_check", "count": 1, "value": 5000}));
    // And the second device books a settlement slip the first already booked.
    d2.record(0, json!({"type": "order_settled", "member": member, "order": {"receipt": "S-2", "lines": [{"category": "cash", "amount": 100000}], "promotion": false}}));
    d1.sync(&server);
    d2.sync(&server);

    let listed: Vec<Value> = conflicts(&server, &manager)
        .into_iter()
        .filter(|c| c["resolved"] == false)
        .collect();
    let kinds: Vec<&str> = listed.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    for kind in ["points_overdrawn", "benefit_overused", "duplicate_receipt"] {
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            1,
            "{kind} in {listed:?}"
        );
    }
    for c in &listed {
        assert_eq!(c["members"], json!([member]));
        assert!(
            !c["resolution"].as_str().unwrap().is_empty(),
            "each conflict says how to resolve it"
        );
    }
    // Every record is kept; nothing was silently dropped or doubled.
    let (_, body) = file(&server, &manager, &member);
    assert_eq!(
        body["state"]["points"], 300,
        "the second redemption was kept but not deducted"
    );
    let violations = body["state"]["violations"].to_string();
    assert!(violations.contains("points_overdrawn"), "{violations}");
    assert!(violations.contains("benefit_overused"), "{violations}");
    assert!(
        body["conflicts"].as_array().unwrap().len() >= 3,
        "the member's file shows the conflicts"
    );
}
