//! The field app (`/field/`) in a real browser against the real server: a field staff member
//! assigned to a company registers a device, goes offline, starts a visit at the company, enrolls
//! a member, survives a reload with no network, syncs when back online, and the member is then on
//! the server; a second device that enrolled the same vehicle offline meanwhile makes the server
//! keep both records and raise one conflict, left for the back office (its own browser test).
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).
//! The server binary comes from the harness (`carclub_tests::bin`), which builds it when needed.

use std::time::{SystemTime, UNIX_EPOCH};

use carclub_tests::{ADMIN_PASSWORD, Server, TestServer};
use serde_json::Value;

const ADMIN: &str = "admin";
/// A value that differs between runs, for the names of the people enrolled.
fn nonce() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
        ^ u128::from(std::process::id())
}

#[test]
fn offline_enrollment_in_the_browser_reaches_the_server() {
    carclub_tests::browser::require_web_app();

    let server = TestServer::start();
    let member = format!("王测试{}", nonce() % 100_000);
    let company = field_staff_at_company(&server);

    carclub_tests::browser::drive(
        "offline-enroll.mjs",
        &server,
        &[
            ("--user", FIELD_STAFF.to_owned()),
            ("--password", FIELD_PASSWORD.to_owned()),
            ("--company", COMPANY.to_owned()),
            ("--second-user", ADMIN.to_owned()),
            ("--second-password", ADMIN_PASSWORD.to_owned()),
            ("--name", member.clone()),
        ],
    );

    let token = server.login(ADMIN, ADMIN_PASSWORD);
    let members = server.members(&token, &member);
    let found: Vec<&Value> = members.iter().filter(|m| m["name"] == member).collect();
    assert_eq!(
        found.len(),
        1,
        "the member enrolled offline in the browser should be on the server exactly once; found {members:#?}"
    );
    let card = found[0]["card"].as_str().unwrap_or_default();
    assert!(
        !card.is_empty(),
        "the member has a card number: {:#?}",
        found[0]
    );

    // The second device enrolled the same vehicle offline: both records kept, one conflict raised.
    let second = format!("{member}乙");
    let both = server.members(&token, &member);
    assert_eq!(
        both.len(),
        2,
        "both enrollments of the vehicle are kept; found {both:#?}"
    );
    let ids: Vec<&Value> = both.iter().map(|m| &m["id"]).collect();
    assert!(
        both.iter().any(|m| m["name"] == second),
        "the second device's member is on the server: {both:#?}"
    );
    let (status, body) = server.get("/api/conflicts", Some(&token));
    assert_eq!(status, 200, "GET /api/conflicts failed: {body}");
    let conflicts = body["conflicts"].as_array().cloned().unwrap_or_default();
    let vehicle: Vec<&Value> = conflicts
        .iter()
        .filter(|c| c["kind"] == "duplicate_vin")
        .filter(|c| {
            c["members"]
                .as_array()
                .is_some_and(|m| ids.iter().all(|id| m.contains(id)))
        })
        .collect();
    assert_eq!(
        vehicle.len(),
        1,
        "one duplicate_vin conflict names both members; conflicts: {conflicts:#?}"
    );
    assert_ne!(
        vehicle[0]["resolved"], true,
        "the conflict waits for the back office: {:#?}",
        vehicle[0]
    );
    // The first member was enrolled during the visit at the company the field staff member is
    // assigned to.
    assert_eq!(
        found[0]["company"].as_str(),
        Some(company.as_str()),
        "the member enrolled during the company's visit belongs to it: {:#?}",
        found[0]
    );
}

const COMPANY: &str = "丙汽配有限公司";

const FIELD_STAFF: &str = "field1";
const FIELD_PASSWORD: &str = "staff-password-1";

/// A field staff account (`field1`) assigned to a company under agreement with the administrator's
/// store: the field app offers a visit at that company. Returns the company's id.
fn field_staff_at_company(server: &Server) -> String {
    let token = server.login(ADMIN, ADMIN_PASSWORD);
    let (_, me) = server.get("/api/me", Some(&token));
    let store = me["user"]["store"].clone();
    let user = |username: &str, role: &str| -> String {
        let (status, v) = server.post(
            "/api/users",
            &serde_json::json!({"username": username, "name": username,
                                "password": FIELD_PASSWORD, "role": role, "store": store}),
            Some(&token),
        );
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap_or_default().to_owned()
    };
    let advisor = user("advisor1", "service_advisor");
    let staff = user(FIELD_STAFF, "field_staff");
    let (status, a) = server.post(
        "/api/corporate-accounts",
        &serde_json::json!({"company": COMPANY, "term_start": "2026-03-01",
                            "fleet_price_note": "车队价", "service_advisor": advisor,
                            "contact": {"name": "赵经理", "phone": "13800138001"},
                            "on_site_check_days": []}),
        Some(&token),
    );
    assert_eq!(status, 201, "{a}");
    let company = a["id"].as_str().unwrap_or_default().to_owned();
    let (status, v) = server.put(
        &format!("/api/users/{staff}/assignment"),
        &serde_json::json!({"scope": "companies", "companies": [company]}),
        Some(&token),
    );
    assert_eq!(status, 200, "{v}");
    company
}
