//! A member's year through the API, on preset B (DOMAIN.md §3): enrolled on site, approved,
//! settlements that earn points (quoted first), a benefit used, an upgrade, a redemption, a lost
//! card with a temporary card and a reissue, and the renewal — then the member's own login sees
//! exactly their state and nobody else's, and the club manager finds it all in the audit log.
//!
//! The year is keyed in as it happened: the enrollment is uploaded by a field device dated 340
//! days back, and each back-office operation carries the moment it happened (`at`).

use carclub_tests::TestServer;
use carclub_tests::accounts::{
    MEMBER_PASSWORD, PASSWORD, create_store, create_user, file, operate,
};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::ago;
use serde_json::{Value, json};

use crate::rule;

/// A store on preset B with a club manager, finance and a care specialist; a member enrolled on
/// site by a field device 340 days ago, and a second one for the privacy checks.
struct Year {
    server: TestServer,
    cm: String,
    fin: String,
    care: String,
    phone: JournalDevice,
    member: String,
    other: String,
    /// The member's first card.
    card: String,
}

fn ok(r: (u16, Value)) -> Value {
    assert_eq!(r.0, 200, "operation refused: {}", r.1);
    r.1["state"].clone()
}

/// The first settlement: 15,000 yuan of labour.
fn first_order(card: &str) -> Value {
    json!({"lines": [{"category": "labor", "amount": 1_500_000}], "card": card, "receipt": "S-1"})
}

/// Lost, replaced meanwhile, reissued: the cards.
struct Cards {
    temp: String,
    new_card: String,
}

impl Year {
    fn new() -> Year {
        let server = TestServer::start();
        let admin = server.admin();
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
        // Enrollment on site, uploaded by the field device; a second member for the privacy
        // check.
        let mut phone = JournalDevice::register(&server, "field", PASSWORD);
        let member = phone.enroll(340, "陈静", 1, "guest", 30000);
        let other = phone.enroll(340, "刘洋", 2, "guest", 30000);
        let card = format!("{}{:08}", phone.card_prefix, phone.card_first);
        phone.sync(&server);
        Year {
            server,
            cm,
            fin,
            care,
            phone,
            member,
            other,
            card,
        }
    }

    /// An operation on the member as the club manager; the state after it.
    fn keyed_in(&self, op: Value) -> Value {
        ok(operate(&self.server, &self.cm, &self.member, op))
    }

    /// Approved by the club manager 339 days ago.
    fn approved(self) -> Year {
        self.keyed_in(json!({"type": "enrollment_approved", "at": ago(339)}));
        self
    }

    /// The first settlement, 300 days ago: 1,425 points.
    fn settled(self) -> Year {
        let order = first_order(&self.card);
        self.keyed_in(json!({"type": "order_settled", "order": order, "at": ago(300)}));
        self
    }

    /// A free wash used 290 days ago.
    fn washed(self) -> Year {
        self.keyed_in(
            json!({"type": "benefit_used", "benefit": "free_wash", "value": 3000, "at": ago(290)}),
        );
        self
    }

    /// Upgraded to Silver 280 days ago.
    fn upgraded(self) -> Year {
        self.keyed_in(json!({"type": "upgrade_approved", "tier": "silver", "at": ago(280)}));
        self
    }

    /// Another settlement at the Silver discount 200 days ago, and a redemption 150 days ago:
    /// 52 points left.
    fn settled_and_redeemed(self) -> Year {
        let order2 = json!({"lines": [{"category": "labor", "amount": 600_000}], "card": self.card, "receipt": "S-2"});
        self.keyed_in(json!({"type": "order_settled", "order": order2, "at": ago(200)}));
        self.keyed_in(json!({"type": "points_redeemed", "points": 500, "item": "100 yuan voucher", "at": ago(150)}));
        self
    }

    /// The card lost 100 days ago, a temporary card meanwhile, and a reissue 98 days ago; the
    /// state after the reissue.
    fn lose_card(&mut self) -> (Cards, Value) {
        let cards = Cards {
            temp: self.phone.next_card(),
            new_card: self.phone.next_card(),
        };
        self.keyed_in(json!({"type": "card_lost", "card": self.card, "at": ago(100)}));
        self.keyed_in(json!({"type": "temporary_card_issued", "card": cards.temp, "at": ago(100)}));
        let st = self.keyed_in(
            json!({"type": "card_reissued", "card": cards.new_card, "replaces": self.card, "fee": 2000, "receipt": "R-RE-1", "at": ago(98)}),
        );
        (cards, st)
    }

    /// The whole year up to the renewal, renewed today; the new card and the new end of the term.
    fn lived(self) -> (Year, Cards, String) {
        let mut year = self
            .approved()
            .settled()
            .washed()
            .upgraded()
            .settled_and_redeemed();
        let (cards, _) = year.lose_card();
        let st = year.keyed_in(json!({"type": "renewed", "fee": 30000, "receipt": "R-RN-1"}));
        let valid_until = st["valid_until"].as_str().unwrap().to_owned();
        (year, cards, valid_until)
    }

    /// The member's own login, from an invitation code the store hands over, and what it shows:
    /// exactly their state and nobody else's. The member's token.
    fn member_sees_their_own_state(&self, cards: &Cards, valid_until: &str) -> String {
        let (s, inv) = self.server.post(
            &format!("/api/members/{}/invitations", self.member),
            &json!({}),
            Some(&self.care),
        );
        assert_eq!(s, 201, "{inv}");
        let (s, signup) = self.server.post(
            "/api/member-signup",
            &json!({"code": inv["code"], "username": "chenjing", "password": MEMBER_PASSWORD}),
            None,
        );
        assert_eq!(s, 201, "{signup}");
        let me_token = self.server.login("chenjing", MEMBER_PASSWORD);
        let (s, me) = self.server.get("/api/me", Some(&me_token));
        assert_eq!(s, 200, "{me}");
        let mine = &me["member"];
        assert_eq!(mine["id"], self.member.as_str());
        assert_eq!(
            mine["phone"], "13900000001",
            "a member sees their own phone"
        );
        assert_eq!(mine["state"]["tier"], "silver");
        assert_eq!(mine["state"]["points"], 52);
        assert_eq!(mine["state"]["valid_until"], valid_until);
        assert_eq!(mine["card"], cards.new_card.as_str());
        // Exactly their state and nobody else's.
        assert_eq!(file(&self.server, &me_token, &self.other).0, 403);
        assert_eq!(self.server.get("/api/members", Some(&me_token)).0, 403);
        assert_eq!(self.server.get("/api/audit", Some(&me_token)).0, 403);
        let (s, _) = operate(
            &self.server,
            &me_token,
            &self.member,
            json!({"type": "points_redeemed", "points": 10}),
        );
        assert_eq!(s, 403, "a member does not redeem by themselves");
        me_token
    }
}

/// The year, step by step on one world: each step is a rule of the program, checked when it
/// happens.
#[test]
fn a_members_year_through_the_api() {
    let mut y = Year::new();
    rule(
        "an enrollment uploaded by a field device awaits approval",
        || {
            let (s, f) = file(&y.server, &y.cm, &y.member);
            assert_eq!(s, 200, "{f}");
            assert_eq!(f["state"]["status"], "pending");
        },
    );
    rule(
        "approval by the club manager activates the member, once",
        || {
            // The term runs one year from it.
            let st = y.keyed_in(json!({"type": "enrollment_approved", "at": ago(339)}));
            assert_eq!(st["status"], "active");
            assert_eq!(st["tier"], "guest");
            // Approving twice is refused by the engine and changes nothing.
            let (s, v) = operate(
                &y.server,
                &y.cm,
                &y.member,
                json!({"type": "enrollment_approved"}),
            );
            assert_eq!(s, 409, "{v}");
        },
    );
    let order = first_order(&y.card);
    rule(
        "a settlement is quoted with its discount and points first",
        || {
            let (s, q) = y.server.post(
                &format!("/api/members/{}/quote", y.member),
                &json!({ "order": order }),
                Some(&y.fin),
            );
            assert_eq!(s, 200, "{q}");
            assert_eq!(q["discount"], 75_000, "guest labor discount 5 %: {q}");
            assert_eq!(q["points"], 1425, "1 point per 10 yuan paid: {q}");
        },
    );
    rule(
        "finance may not date a settlement back, the club manager may",
        || {
            // Dated 300 days back: a paper record keyed in later. Finance may date an operation
            // within the last day only; the club manager keys it in.
            let (s, v) = operate(
                &y.server,
                &y.fin,
                &y.member,
                json!({"type": "order_settled", "order": order, "at": ago(300)}),
            );
            assert_eq!(s, 403, "{v}");
            assert!(v["detail"].as_str().unwrap().contains("backdate"), "{v}");
            let (_, f) = file(&y.server, &y.cm, &y.member);
            assert_eq!(
                f["state"]["points"], 0,
                "the refused settlement changed nothing"
            );
            let st = y.keyed_in(json!({"type": "order_settled", "order": order, "at": ago(300)}));
            assert_eq!(st["points"], 1425);
        },
    );
    rule(
        "a used benefit is registered with its value and counted against its allowance",
        || {
            let st = y.keyed_in(
                json!({"type": "benefit_used", "benefit": "free_wash", "value": 3000, "at": ago(290)}),
            );
            let wash = st["benefits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["id"] == "free_wash")
                .unwrap()
                .clone();
            assert_eq!(wash["remaining"], 5, "{wash}");
        },
    );
    rule("an upgrade to Silver resets the points", || {
        // More than 1,000 points: the member applies for Silver; points reset on upgrade (001).
        let st = y.keyed_in(json!({"type": "upgrade_approved", "tier": "silver", "at": ago(280)}));
        assert_eq!(st["tier"], "silver");
        assert_eq!(st["points"], 0);
    });
    rule(
        "Silver settlements earn at its discount, and only points held are redeemed",
        || {
            let order2 = json!({"lines": [{"category": "labor", "amount": 600_000}], "card": y.card, "receipt": "S-2"});
            let st = y.keyed_in(json!({"type": "order_settled", "order": order2, "at": ago(200)}));
            assert_eq!(st["points"], 552, "8 % off, then 1 point per 10 yuan");
            let st = y.keyed_in(json!({"type": "points_redeemed", "points": 500, "item": "100 yuan voucher", "at": ago(150)}));
            assert_eq!(st["points"], 52);
            // Redeeming more than is held: refused with the reason, nothing changes.
            let (s, v) = operate(
                &y.server,
                &y.fin,
                &y.member,
                json!({"type": "points_redeemed", "points": 500}),
            );
            assert_eq!(s, 409, "{v}");
            assert!(v["detail"].as_str().unwrap().contains("52"), "{v}");
        },
    );
    let mut before = String::new();
    rule(
        "a lost card is replaced by a temporary card and reissued for the fee",
        || {
            let (cards, st) = y.lose_card();
            let all = st["cards"].as_array().unwrap();
            assert!(
                all.iter()
                    .any(|c| c["number"] == cards.new_card.as_str() && c["status"] == "active"),
                "{st}"
            );
            assert!(
                all.iter()
                    .any(|c| c["number"] == y.card.as_str() && c["status"] != "active")
            );
            before = st["valid_until"].as_str().unwrap().to_owned();
        },
    );
    rule(
        "a renewal in the month before expiry extends the term",
        || {
            let st = y.keyed_in(json!({"type": "renewed", "fee": 30000, "receipt": "R-RN-1"}));
            let after = st["valid_until"].as_str().unwrap().to_owned();
            assert!(
                after > before,
                "renewal extends the term: {before} -> {after}"
            );
            assert_eq!(st["status"], "active");
        },
    );
}

#[test]
fn a_members_own_login_sees_exactly_their_state_and_nobody_elses() {
    let (y, cards, valid_until) = Year::new().lived();
    y.member_sees_their_own_state(&cards, &valid_until);
}

#[test]
fn finance_sees_a_members_file_with_the_phone_masked() {
    let y = Year::new();
    let (_, f) = file(&y.server, &y.fin, &y.member);
    assert_eq!(f["phone"], "139****0001");
}

#[test]
fn the_club_manager_finds_every_change_and_every_view_in_the_audit_log() {
    let (y, cards, valid_until) = Year::new().lived();
    y.member_sees_their_own_state(&cards, &valid_until);
    let (_, f) = file(&y.server, &y.fin, &y.member);
    assert_eq!(f["phone"], "139****0001");
    let (s, log) = y
        .server
        .get(&format!("/api/audit?member={}", y.member), Some(&y.cm));
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
