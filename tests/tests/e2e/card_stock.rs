//! Card stock in the drawer: sample cards (24 h) and borrowed cards (36 h) signed out by a manager
//! and returned; sold cards written off against the receipt of their fee.

use carclub_tests::accounts::{PASSWORD, create_user};
use carclub_tests::{ADMIN_PASSWORD, Device, Server};
use serde_json::json;

#[test]
fn loans_have_their_limits_and_sold_cards_are_written_off_against_receipts() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (_, me) = server.get("/api/me", Some(&admin));
    let home = me["user"]["store"].as_str().unwrap().to_owned();
    let sales = create_user(&server, &admin, "sales", "field_staff", &home);
    create_user(&server, &admin, "finance", "finance", &home);
    create_user(&server, &admin, "manager", "club_manager", &home);
    let manager = server.login("manager", PASSWORD);
    let finance = server.login("finance", PASSWORD);

    // A sample card out for 24 hours, a borrowed one for 36.
    let (code, sample) = server.post(
        "/api/card-stock/loans",
        &json!({"card": "S0000001", "kind": "sample", "holder": sales}),
        Some(&manager),
    );
    assert_eq!(code, 200, "{sample}");
    let hours = |loan: &serde_json::Value| {
        let t = |k: &str| {
            carclub_shared::Timestamp::parse(loan["loan"][k].as_str().unwrap())
                .unwrap()
                .millis()
        };
        (t("due_at") - t("lent_at")) / 3_600_000
    };
    assert_eq!(hours(&sample), 24);
    let (code, borrowed) = server.post(
        "/api/card-stock/loans",
        &json!({"card": "S0000002", "kind": "borrowed", "holder": sales}),
        Some(&manager),
    );
    assert_eq!(code, 200, "{borrowed}");
    assert_eq!(hours(&borrowed), 36);
    // The same card cannot go out twice; field staff and finance cannot sign cards out.
    let again = json!({"card": "S0000001", "kind": "borrowed", "holder": sales});
    assert_eq!(
        server
            .post("/api/card-stock/loans", &again, Some(&manager))
            .0,
        409
    );
    let field = server.login("sales", PASSWORD);
    let other = json!({"card": "S0000003", "kind": "sample", "holder": sales});
    assert_eq!(
        server.post("/api/card-stock/loans", &other, Some(&field)).0,
        403
    );
    assert_eq!(
        server
            .post("/api/card-stock/loans", &other, Some(&finance))
            .0,
        403
    );
    assert_eq!(
        server
            .post(
                "/api/card-stock/loans",
                &json!({"card": "x", "kind": "sample", "holder": sales}),
                Some(&manager)
            )
            .0,
        400
    );

    let (_, open) = server.get("/api/card-stock/loans?open=true", Some(&manager));
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
        Some(&manager),
    );
    assert_eq!(code, 200, "{back}");
    assert_eq!(back["loan"]["late"], false);
    assert_eq!(
        server
            .post(
                &format!("/api/card-stock/loans/{id}/return"),
                &json!({}),
                Some(&manager)
            )
            .0,
        409
    );
    assert_eq!(
        server
            .post(
                "/api/card-stock/loans/nope/return",
                &json!({}),
                Some(&manager)
            )
            .0,
        404
    );
    let (_, open) = server.get("/api/card-stock/loans?open=true", Some(&manager));
    assert_eq!(open["loans"].as_array().unwrap().len(), 1);

    // Sold cards: finance writes each off against its receipt.
    let device = Device::new(&tmp.path().join("device"));
    device.register(&server, "phone");
    device.enroll(
        "售卡一",
        "13800138021",
        "LSVAU2180N4000001",
        "粤B80001",
        "R-W-1",
    );
    device.ok(&["sync"]);
    let card = device.members()[0]["card"].as_str().unwrap().to_owned();
    let (_, list) = server.get("/api/card-stock/write-offs", Some(&finance));
    assert_eq!(list["pending"].as_array().unwrap().len(), 1);
    assert_eq!(list["pending"][0]["card"], card.as_str());
    let wrong = json!({"card": card, "receipt": "R-W-9"});
    let (code, body) = server.post("/api/card-stock/write-offs", &wrong, Some(&finance));
    assert_eq!(code, 409, "a wrong receipt is refused: {body}");
    assert!(body["detail"].as_str().unwrap().contains("R-W-1"));
    assert_eq!(
        server
            .post(
                "/api/card-stock/write-offs",
                &json!({"card": "C99999999", "receipt": "R-W-1"}),
                Some(&finance)
            )
            .0,
        409
    );
    let right = json!({"card": card, "receipt": "R-W-1"});
    assert_eq!(
        server
            .post("/api/card-stock/write-offs", &right, Some(&field))
            .0,
        403
    );
    let (code, body) = server.post("/api/card-stock/write-offs", &right, Some(&finance));
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        server
            .post("/api/card-stock/write-offs", &right, Some(&finance))
            .0,
        409
    );
    let (_, list) = server.get("/api/card-stock/write-offs", Some(&finance));
    assert_eq!(list["write_offs"].as_array().unwrap().len(), 1);
    assert!(list["pending"].as_array().unwrap().is_empty());

    let (_, audit) = server.get("/api/audit?limit=1000", Some(&admin));
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in ["lend_card", "return_card", "write_off_card"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}
