//! Card stock in the drawer: sample cards (24 h) and borrowed cards (36 h) signed out by a manager
//! and returned; sold cards written off against the receipt of their fee.

use carclub_tests::accounts::{PASSWORD, create_user, home_store};
use carclub_tests::{Device, TestServer};
use serde_json::{Value, json};

/// The administrator's store with a field staff member, finance and a club manager.
struct Drawer {
    server: TestServer,
    admin: String,
    sales: String,
    manager: String,
    finance: String,
}

impl Drawer {
    fn new() -> Drawer {
        let server = TestServer::start();
        let admin = server.admin();
        let home = home_store(&server, &admin);
        let sales = create_user(&server, &admin, "sales", "field_staff", &home);
        create_user(&server, &admin, "finance", "finance", &home);
        create_user(&server, &admin, "manager", "club_manager", &home);
        let manager = server.login("manager", PASSWORD);
        let finance = server.login("finance", PASSWORD);
        Drawer {
            server,
            admin,
            sales,
            manager,
            finance,
        }
    }

    /// The manager lends `card` (`kind`) to the field staff member; the answer.
    fn lend(&self, card: &str, kind: &str) -> Value {
        let (code, loan) = self.server.post(
            "/api/card-stock/loans",
            &json!({"card": card, "kind": kind, "holder": self.sales}),
            Some(&self.manager),
        );
        assert_eq!(code, 200, "{loan}");
        loan
    }

    /// Asserts the audit log holds `action`.
    fn assert_audited(&self, action: &str) {
        let (_, audit) = self.server.get("/api/audit?limit=1000", Some(&self.admin));
        let actions: Vec<&str> = audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

/// How many hours a loan runs.
fn hours(loan: &Value) -> i64 {
    let t = |k: &str| {
        carclub_shared::Timestamp::parse(loan["loan"][k].as_str().unwrap())
            .unwrap()
            .millis()
    };
    (t("due_at") - t("lent_at")) / 3_600_000
}

#[test]
fn a_sample_card_goes_out_for_24_hours_and_a_borrowed_one_for_36() {
    let d = Drawer::new();
    assert_eq!(hours(&d.lend("S0000001", "sample")), 24);
    assert_eq!(hours(&d.lend("S0000002", "borrowed")), 36);
    d.assert_audited("lend_card");
}

#[test]
fn a_card_goes_out_once_and_only_a_manager_signs_it_out() {
    let d = Drawer::new();
    let server = &d.server;
    d.lend("S0000001", "sample");
    let again = json!({"card": "S0000001", "kind": "borrowed", "holder": d.sales});
    assert_eq!(
        server
            .post("/api/card-stock/loans", &again, Some(&d.manager))
            .0,
        409
    );
    let field = server.login("sales", PASSWORD);
    let other = json!({"card": "S0000003", "kind": "sample", "holder": d.sales});
    assert_eq!(
        server.post("/api/card-stock/loans", &other, Some(&field)).0,
        403
    );
    assert_eq!(
        server
            .post("/api/card-stock/loans", &other, Some(&d.finance))
            .0,
        403
    );
    assert_eq!(
        server
            .post(
                "/api/card-stock/loans",
                &json!({"card": "x", "kind": "sample", "holder": d.sales}),
                Some(&d.manager)
            )
            .0,
        400
    );
}

#[test]
fn a_loan_returned_in_time_is_closed_once() {
    let d = Drawer::new();
    let server = &d.server;
    let sample = d.lend("S0000001", "sample");
    d.lend("S0000002", "borrowed");
    let (_, open) = server.get("/api/card-stock/loans?open=true", Some(&d.manager));
    assert_eq!(open["loans"].as_array().unwrap().len(), 2);
    assert!(
        open["loans"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["overdue"] == false)
    );
    let id = sample["loan"]["id"].as_str().unwrap();
    let (code, back) = server.post(
        &format!("/api/card-stock/loans/{id}/return"),
        &json!({}),
        Some(&d.manager),
    );
    assert_eq!(code, 200, "{back}");
    assert_eq!(back["loan"]["late"], false);
    assert_eq!(
        server
            .post(
                &format!("/api/card-stock/loans/{id}/return"),
                &json!({}),
                Some(&d.manager)
            )
            .0,
        409
    );
    assert_eq!(
        server
            .post(
                "/api/card-stock/loans/nope/return",
                &json!({}),
                Some(&d.manager)
            )
            .0,
        404
    );
    let (_, open) = server.get("/api/card-stock/loans?open=true", Some(&d.manager));
    assert_eq!(open["loans"].as_array().unwrap().len(), 1);
    d.assert_audited("return_card");
}

#[test]
fn finance_writes_a_sold_card_off_once_against_the_receipt_of_its_fee() {
    let d = Drawer::new();
    let (server, finance) = (&d.server, &d.finance);
    let device = Device::new(&server.path("device"));
    device.register(server, "phone");
    device.enroll(
        "售卡一",
        "13800138021",
        "LSVAU2180N4000001",
        "粤B80001",
        "R-W-1",
    );
    device.ok(&["sync"]);
    let card = device.members()[0]["card"].as_str().unwrap().to_owned();
    let (_, list) = server.get("/api/card-stock/write-offs", Some(finance));
    assert_eq!(list["pending"].as_array().unwrap().len(), 1);
    assert_eq!(list["pending"][0]["card"], card.as_str());
    let wrong = json!({"card": card, "receipt": "R-W-9"});
    let (code, body) = server.post("/api/card-stock/write-offs", &wrong, Some(finance));
    assert_eq!(code, 409, "a wrong receipt is refused: {body}");
    assert!(body["detail"].as_str().unwrap().contains("R-W-1"));
    assert_eq!(
        server
            .post(
                "/api/card-stock/write-offs",
                &json!({"card": "C99999999", "receipt": "R-W-1"}),
                Some(finance)
            )
            .0,
        409
    );
    let right = json!({"card": card, "receipt": "R-W-1"});
    let field = server.login("sales", PASSWORD);
    assert_eq!(
        server
            .post("/api/card-stock/write-offs", &right, Some(&field))
            .0,
        403
    );
    let (code, body) = server.post("/api/card-stock/write-offs", &right, Some(finance));
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        server
            .post("/api/card-stock/write-offs", &right, Some(finance))
            .0,
        409
    );
    let (_, list) = server.get("/api/card-stock/write-offs", Some(finance));
    assert_eq!(list["write_offs"].as_array().unwrap().len(), 1);
    assert!(list["pending"].as_array().unwrap().is_empty());
    d.assert_audited("write_off_card");
}
