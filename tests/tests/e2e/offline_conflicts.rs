//! What offline devices do together that breaks an invariant is kept and listed as a conflict:
//! a card number issued twice, the same points redeemed on two devices, a benefit used beyond its
//! allowance, a receipt counted twice; and a retried upload never earns points twice.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::{Backend, TestServer, urlencode};
use serde_json::{Value, json};

/// A store on preset B with a club manager, two of their devices, and a member the first device
/// enrolled 20 days ago and synced.
struct World {
    server: TestServer,
    manager: String,
    d1: JournalDevice,
    d2: JournalDevice,
    member: String,
}

impl World {
    fn new() -> World {
        Self::on(Backend::Sled)
    }

    fn on(backend: Backend) -> World {
        let server = TestServer::start_on(backend, &[]);
        let admin = server.admin();
        let store = create_store(&server, &admin, "三店", "B");
        create_user(&server, &admin, "mgrb", "club_manager", &store);
        let manager = server.login("mgrb", PASSWORD);
        let mut d1 = JournalDevice::register(&server, "mgrb", PASSWORD);
        let d2 = JournalDevice::register(&server, "mgrb", PASSWORD);
        let member = d1.enroll(20, "积分会员", 1, "guest", 30000);
        d1.sync(&server);
        World {
            server,
            manager,
            d1,
            d2,
            member,
        }
    }

    fn conflicts(&self) -> Vec<Value> {
        let (code, body) = self.server.get("/api/conflicts", Some(&self.manager));
        assert_eq!(code, 200, "{body}");
        body["conflicts"].as_array().unwrap().clone()
    }

    fn points(&self) -> u64 {
        let (code, body) = file(&self.server, &self.manager, &self.member);
        assert_eq!(code, 200, "{body}");
        body["state"]["points"]
            .as_u64()
            .unwrap_or_else(|| panic!("points in {body}"))
    }

    /// The member approved, with 700 points from a settlement at the desk.
    fn approved_with_700_points(&self) {
        assert_eq!(
            operate(
                &self.server,
                &self.manager,
                &self.member,
                json!({"type": "enrollment_approved"})
            )
            .0,
            200
        );
        let order = json!({"type": "order_settled", "order": {"receipt": "S-1", "lines": [{"category": "cash", "amount": 700000}], "promotion": false}});
        let (code, body) = operate(&self.server, &self.manager, &self.member, order);
        assert_eq!(code, 200, "{body}");
        assert_eq!(self.points(), 700, "preset B: 1 point per 10 yuan");
    }

    /// The first device uploads a settlement on slip S-2 (100 points).
    fn settle_s2_on_the_first_device(&mut self) {
        self.d1.record(0, json!({"type": "order_settled", "member": self.member, "order": {"receipt": "S-2", "lines": [{"category": "cash", "amount": 100000}], "promotion": false}}));
        self.d1.sync(&self.server);
    }
}

#[test]
fn a_card_number_issued_twice_is_a_conflict_until_resolved() {
    let mut w = World::new();
    // A device restored from an old copy issues its first card again, to another person.
    let reissued = w.d1.card_first;
    let twin = w.d1.record(
        19,
        json!({
            "type": "enrolled", "member": carclub_shared::MemberId::new(), "person": {"name": "同卡会员", "phone": "13900000777"},
            "vehicle": {"vin": "LSVAU2180N9000777", "plate": "粤B90777"}, "tier": "guest", "channel": {"kind": "desk"},
            "fee": 30000, "receipt": "R-TWIN-1", "card": format!("{}{reissued:08}", w.d1.card_prefix)
        }),
    );
    w.d1.sync(&w.server);
    let listed = w.conflicts();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["kind"], "duplicate_card");
    assert!(
        listed[0]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == twin.as_str())
    );
    let (code, body) = w.server.post(
        &format!(
            "/api/conflicts/{}/resolve",
            urlencode(listed[0]["id"].as_str().unwrap())
        ),
        &json!({"note": "the second person gets a new card"}),
        Some(&w.manager),
    );
    assert_eq!(code, 200, "{body}");
    w.approved_with_700_points();
    assert!(w.conflicts().iter().all(|c| c["resolved"] == true));
}

#[test]
fn a_retried_upload_never_earns_points_twice() {
    let mut w = World::new();
    w.approved_with_700_points();
    // A settlement uploaded, then the very same event again (a retry): it earns once.
    w.settle_s2_on_the_first_device();
    assert_eq!(w.points(), 800);
    w.d1.repeat_last();
    w.d1.sync(&w.server);
    assert_eq!(w.points(), 800, "a retried upload never earns twice");
}

#[test]
fn overdrawn_points_overused_benefits_and_doubled_receipts_are_one_conflict_each() {
    one_conflict_each_on(Backend::Sled);
}

/// The same story with the server on PostgreSQL.
#[test]
fn on_postgres_overdrawn_points_overused_benefits_and_doubled_receipts_are_one_conflict_each() {
    one_conflict_each_on(Backend::Postgres);
}

fn one_conflict_each_on(backend: Backend) {
    let mut w = World::on(backend);
    w.approved_with_700_points();
    w.settle_s2_on_the_first_device();
    let (server, member) = (&w.server, &w.member);
    // Offline, both devices redeem 500 of the 800 points and use the free check (2 a year).
    w.d1.record(
        0,
        json!({"type": "points_redeemed", "member": member, "points": 500, "item": "保养套餐"}),
    );
    w.d2.record(
        0,
        json!({"type": "points_redeemed", "member": member, "points": 500, "item": "保养套餐"}),
    );
    w.d1.record(0, json!({"type": "benefit_used", "member": member, "benefit": "free_check", "count": 2, "value": 10000}));
    w.d2.record(0, json!({"type": "benefit_used", "member": member, "benefit": "free_check", "count": 1, "value": 5000}));
    // And the second device books a settlement slip the first already booked.
    w.d2.record(0, json!({"type": "order_settled", "member": member, "order": {"receipt": "S-2", "lines": [{"category": "cash", "amount": 100000}], "promotion": false}}));
    w.d1.sync(server);
    w.d2.sync(server);

    let listed: Vec<Value> = w
        .conflicts()
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
    let (_, body) = file(server, &w.manager, member);
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
