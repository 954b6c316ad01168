//! Partner merchants, shown to members while their discount is valid, and corporate agreements
//! with a one-year term and a service advisor of the store.

use carclub_tests::accounts::{create_store, create_user, member_login};
use carclub_tests::time::{DAY_MS, now_ms, ts};
use serde_json::{Value, json};

use super::{Club, club};

fn today() -> String {
    ts(now_ms())[..10].to_owned()
}

fn year_later() -> String {
    ts(now_ms() + 365 * DAY_MS)[..10].to_owned()
}

/// A hotel valid from today for a year, created by the activity specialist.
fn hotel(c: &Club) -> Value {
    let (s, hotel) = c.server.post(
        "/api/partners",
        &json!({"name": "白云宾馆", "kind": "hotel", "discount": "会员房价八五折",
                "valid_from": today(), "valid_until": year_later()}),
        Some(&c.login("act")),
    );
    assert_eq!(s, 201, "{hotel}");
    hotel
}

/// A car wash whose dates are past, created by the club manager.
fn car_wash(c: &Club) -> Value {
    let (s, wash) = c.server.post(
        "/api/partners",
        &json!({"name": "洁车坊", "kind": "car_wash", "discount": "洗车九折",
                "valid_from": "2020-01-01", "valid_until": "2020-12-31"}),
        Some(&c.login("cm")),
    );
    assert_eq!(s, 201, "{wash}");
    wash
}

/// How many partners `token` gets listed.
fn list(c: &Club, token: &str, q: &str) -> usize {
    let (s, v) = c.server.get(&format!("/api/partners{q}"), Some(token));
    assert_eq!(s, 200, "{v}");
    v["partners"].as_array().unwrap().len()
}

/// A service advisor of the club's store, and one of another store.
fn advisors(c: &Club) -> (String, String) {
    let sa = create_user(&c.server, &c.login("cm"), "sa", "service_advisor", &c.store);
    let other = create_store(&c.server, &c.admin, "南店", "A");
    let sa2 = create_user(&c.server, &c.admin, "sa2", "service_advisor", &other);
    (sa, sa2)
}

fn agreement(advisor: &str, days: Value) -> Value {
    json!({"company": "广州某物流有限公司", "term_start": "2026-03-01",
           "fleet_price_note": "车队价：指导价下浮5%", "contact": {"name": "李经理", "phone": "13800138000"},
           "service_advisor": advisor, "on_site_check_days": days})
}

#[test]
fn partners_are_listed_and_a_member_sees_those_valid_today() {
    let c = club();
    let cm = c.login("cm");
    assert_eq!(hotel(&c)["active"], true);
    car_wash(&c);
    assert_eq!(list(&c, &cm, ""), 2);
    assert_eq!(
        list(&c, &cm, "?current=true"),
        1,
        "the car wash's dates are past"
    );
    let me = member_login(&c.server, &c.login("care"), &c.members[0], "chenjing");
    assert_eq!(
        list(&c, &me, ""),
        1,
        "a member sees what they can use today"
    );
}

#[test]
fn bad_partners_and_roles_without_the_permission_are_refused() {
    let c = club();
    let cm = c.login("cm");
    hotel(&c);
    car_wash(&c);
    let (today, year_later) = (today(), year_later());
    for body in [
        json!({"name": "x", "kind": "spa", "discount": "y", "valid_from": today, "valid_until": today}),
        json!({"name": "", "kind": "hotel", "discount": "y", "valid_from": today, "valid_until": today}),
        json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": "2020-02-30", "valid_until": today}),
    ] {
        let (s, v) = c.server.post("/api/partners", &body, Some(&cm));
        assert_eq!(s, 400, "{body}: {v}");
    }
    // Valid until a day before it is valid from: well-formed, refused with 422.
    let (s, v) = c.server.post(
        "/api/partners",
        &json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": year_later, "valid_until": today}),
        Some(&cm),
    );
    assert_eq!(s, 422, "{v}");
    let (s, _) = c.server.post(
        "/api/partners",
        &json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": today, "valid_until": today}),
        Some(&c.login("fin")),
    );
    assert_eq!(s, 403);
    assert_eq!(list(&c, &cm, ""), 2);
}

#[test]
fn a_deactivated_partner_is_kept_but_no_longer_shown_to_members() {
    let c = club();
    let cm = c.login("cm");
    let act = c.login("act");
    let hotel = hotel(&c);
    car_wash(&c);
    let me = member_login(&c.server, &c.login("care"), &c.members[0], "chenjing");
    assert_eq!(list(&c, &me, ""), 1);
    let hotel_id = hotel["id"].as_str().unwrap();
    let deactivate = |token: &str| {
        c.server.post(
            &format!("/api/partners/{hotel_id}/deactivate"),
            &json!({}),
            Some(token),
        )
    };
    let (s, _) = deactivate(&c.login("fin"));
    assert_eq!(s, 403);
    let (s, v) = deactivate(&act);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["active"], false);
    let (s, _) = deactivate(&act);
    assert_eq!(s, 409);
    assert_eq!(list(&c, &me, ""), 0);
    assert_eq!(list(&c, &cm, ""), 2, "deactivated, not deleted");
}

#[test]
fn a_corporate_agreement_runs_one_year_with_its_check_days_inside() {
    let c = club();
    let cm = c.login("cm");
    let (sa, _) = advisors(&c);
    let (s, a) = c.server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!(["2026-07-15", "2026-12-10"])),
        Some(&cm),
    );
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["term_end"], "2027-02-28", "{a}");
    assert_eq!(a["on_site_check_days"], json!(["2026-07-15", "2026-12-10"]));
    let (s, v) = c.server.get(
        &format!("/api/corporate-accounts/{}", a["id"].as_str().unwrap()),
        Some(&cm),
    );
    assert_eq!(s, 200);
    assert_eq!(v["company"], "广州某物流有限公司");
}

#[test]
fn bad_agreements_and_roles_without_the_permission_are_refused_and_nothing_else_is_stored() {
    let c = club();
    let server = &c.server;
    let cm = c.login("cm");
    let (sa, sa2) = advisors(&c);
    let (s, a) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!(["2026-07-15", "2026-12-10"])),
        Some(&cm),
    );
    assert_eq!(s, 201, "{a}");
    let (s, v) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa2, json!([])),
        Some(&cm),
    );
    assert_eq!(s, 422, "an advisor of another store: {v}");
    let (s, v) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!(["2027-03-01"])),
        Some(&cm),
    );
    assert_eq!(s, 422, "a check day after the term: {v}");
    let mut bad_phone = agreement(&sa, json!([]));
    bad_phone["contact"]["phone"] = json!("12345");
    let (s, v) = server.post("/api/corporate-accounts", &bad_phone, Some(&cm));
    assert_eq!(s, 400, "{v}");
    let (s, _) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!([])),
        Some(&c.login("act")),
    );
    assert_eq!(s, 403);
    let (s, v) = server.get("/api/corporate-accounts", Some(&c.login("sa")));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["agreements"].as_array().unwrap().len(),
        1,
        "nothing else stored"
    );
    let me = member_login(server, &c.login("care"), &c.members[0], "chenjing");
    let (s, _) = server.get("/api/corporate-accounts", Some(&me));
    assert_eq!(s, 403);
}
