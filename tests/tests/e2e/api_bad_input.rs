//! Bad input on the accounts and operations routes gets a clear 4xx as problem+json and changes
//! nothing: wrong types, unknown ids, oversized bodies, missing, revoked or device-revoked
//! sessions, operations dated in the future, accounts that would outrank their creator. Every
//! problem names its code and says the same in Chinese, with the same values.

use carclub_tests::TestServer;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use serde_json::{Value, json};

const UNKNOWN: &str = "01900000-0000-7000-8000-00000000abcd";

/// A store on program A with a club manager, a field device and one member it enrolled; what the
/// member's file and the account list were before any bad input.
struct World {
    server: TestServer,
    admin: String,
    cm: String,
    phone: JournalDevice,
    member: String,
    before: Value,
    users_before: Value,
}

impl World {
    fn new() -> World {
        let server = TestServer::start();
        let admin = server.admin();
        let store = create_store(&server, &admin, "东店", "A");
        create_user(&server, &admin, "cm", "club_manager", &store);
        create_user(&server, &admin, "field", "field_staff", &store);
        let cm = server.login("cm", PASSWORD);
        let mut phone = JournalDevice::register(&server, "field", PASSWORD);
        let member = phone.enroll(1, "王芳", 7, "standard", 18000);
        phone.sync(&server);
        let before = snapshot(&server, &admin, &member);
        let (_, users_before) = server.get("/api/users", Some(&admin));
        World {
            server,
            admin,
            cm,
            phone,
            member,
            before,
            users_before,
        }
    }

    fn ops(&self) -> String {
        format!("/api/members/{}/operations", self.member)
    }

    fn admin(&self) -> Option<&str> {
        Some(&self.admin)
    }

    /// The member's file and the account list are as they were.
    fn assert_nothing_changed(&self) {
        assert_eq!(
            snapshot(&self.server, &self.admin, &self.member),
            self.before
        );
        assert_eq!(
            self.server.get("/api/users", Some(&self.admin)).1,
            self.users_before
        );
    }
}

#[track_caller]
fn problem(
    server: &TestServer,
    path: &str,
    body: &[u8],
    token: Option<&str>,
    status: u16,
) -> Value {
    let (got, ct, v) = server.post_raw(path, "application/json", body, token);
    assert_eq!(
        got,
        status,
        "{path} with {:?}: {v}",
        String::from_utf8_lossy(&body[..body.len().min(80)])
    );
    assert_eq!(ct, "application/problem+json", "{path}");
    assert!(
        !v["detail"].as_str().unwrap_or_default().is_empty(),
        "a message a person can act on: {v}"
    );
    assert!(
        v["code"].as_str().is_some_and(|c| !c.is_empty()),
        "a code: {v}"
    );
    assert!(chinese(&v["detail_zh"]), "the detail in Chinese: {v}");
    v
}

/// Whether `v` is text with Chinese in it.
fn chinese(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
}

/// `v` is the problem `code`, and its Chinese detail says each of `said`.
#[track_caller]
fn assert_code(v: &Value, code: &str, said: &[&str]) {
    assert_eq!(v["code"], code, "{v}");
    let zh = v["detail_zh"].as_str().unwrap_or_default();
    for s in said {
        assert!(zh.contains(s), "{zh:?} says {s:?}: {v}");
    }
}

fn snapshot(server: &TestServer, admin: &str, member: &str) -> Value {
    let (s, f) = file(server, admin, member);
    assert_eq!(s, 200, "{f}");
    json!({"state": f["state"], "events": f["events"]})
}

#[test]
fn every_route_needs_a_session() {
    let w = World::new();
    let member = &w.member;
    for path in [
        "/api/stores",
        "/api/users",
        &w.ops(),
        &format!("/api/members/{member}/quote"),
        &format!("/api/members/{member}/invitations"),
    ] {
        problem(&w.server, path, b"{}", None, 401);
    }
    assert_eq!(w.server.get("/api/audit", None).0, 401);
    assert_eq!(w.server.get("/api/me", Some("not-a-token")).0, 401);
    w.assert_nothing_changed();
}

#[test]
fn stores_and_accounts_with_wrong_values_or_outranking_their_creator_are_refused() {
    let w = World::new();
    let (server, t) = (&w.server, w.admin());
    problem(
        server,
        "/api/stores",
        br#"{"name": 5, "program": "A"}"#,
        t,
        400,
    );
    problem(
        server,
        "/api/stores",
        br#"{"name": "x", "program": "Z"}"#,
        t,
        400,
    );
    let long = format!(r#"{{"name": "{}", "program": "A"}}"#, "店".repeat(65));
    problem(server, "/api/stores", long.as_bytes(), t, 400);
    problem(
        server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "wizard"}"#,
        t,
        400,
    );
    problem(server, "/api/users", br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "finance", "store": "nope"}"#, t, 400);
    problem(server, "/api/users", format!(r#"{{"username": "u1", "name": "u", "password": "long enough 1", "role": "finance", "store": "{UNKNOWN}"}}"#).as_bytes(), t, 404);
    problem(
        server,
        "/api/users",
        br#"{"username": "u 1", "name": "u", "password": "long enough 1", "role": "finance"}"#,
        t,
        400,
    );
    problem(
        server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "short", "role": "finance"}"#,
        t,
        400,
    );
    problem(
        server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "member"}"#,
        t,
        422,
    );
    problem(
        server,
        "/api/users",
        br#"{"username": "cm", "name": "u", "password": "long enough 1", "role": "finance"}"#,
        t,
        409,
    );
    // A club manager does not create a general manager.
    problem(server, "/api/users", br#"{"username": "gm", "name": "u", "password": "long enough 1", "role": "general_manager"}"#, Some(&w.cm), 403);
    w.assert_nothing_changed();
}

#[test]
fn malformed_misdated_or_oversized_operations_and_quotes_are_refused() {
    let w = World::new();
    let (server, t, ops) = (&w.server, w.admin(), w.ops());
    // Not an object, unknown type, wrong field types, a fraction of a point, a time that is not
    // one, an operation of field devices (none of which the description admits): 400.
    for body in [
        &b"[1, 2]"[..],
        br#"{"type": "teleported"}"#,
        br#"{"type": "points_redeemed", "points": "many"}"#,
        br#"{"type": "points_redeemed", "points": -5}"#,
        br#"{"type": "points_redeemed", "points": 2.5}"#,
        br#"{"type": "benefit_used", "benefit": "free_wash"}"#,
        br#"{"type": "enrollment_approved", "at": "yesterday"}"#,
        br#"{"type": "visit_started", "visit": "01900000-0000-7000-8000-000000000001", "site": "x"}"#,
        b"{not json",
    ] {
        problem(server, &ops, body, t, 400);
    }
    // As described, but naming another member than the path, or dated in the future or too far
    // back: 422.
    for body in [
        br#"{"type": "enrollment_approved", "at": "2099-01-01T00:00:00Z"}"#,
        br#"{"type": "enrollment_approved", "at": "2001-01-01T00:00:00Z"}"#,
        format!(r#"{{"type": "enrollment_approved", "member": "{UNKNOWN}"}}"#).as_bytes(),
    ] {
        problem(server, &ops, body, t, 422);
    }
    problem(
        server,
        &format!("/api/members/{UNKNOWN}/operations"),
        br#"{"type": "enrollment_approved"}"#,
        t,
        404,
    );
    problem(
        server,
        "/api/members/nope/operations",
        br#"{"type": "enrollment_approved"}"#,
        t,
        400,
    );
    let quote = format!("/api/members/{}/quote", w.member);
    problem(
        server,
        &quote,
        br#"{"order": {"lines": [{"category": "fuel", "amount": 1}]}}"#,
        t,
        400,
    );
    problem(
        server,
        &quote,
        br#"{"order": {"lines": [{"category": "labor", "amount": 1.5}]}}"#,
        t,
        400,
    );
    // A whole number written as a float is that number (JSON Schema counts 221.0 as an integer).
    let (status, _, quoted) = server.post_raw(
        &quote,
        "application/json",
        br#"{"order": {"lines": [{"category": "labor", "amount": 221.0}], "mileage_km": 158.0}}"#,
        t,
    );
    assert_eq!(status, 200, "{quoted}");
    // Oversized body.
    let big = format!(
        r#"{{"type": "enrollment_approved", "pad": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    problem(server, &ops, big.as_bytes(), t, 413);
    w.assert_nothing_changed();
}

#[test]
fn the_engine_refuses_what_the_members_state_does_not_allow() {
    let w = World::new();
    // Still pending, no benefits.
    problem(
        &w.server,
        &w.ops(),
        br#"{"type": "benefit_used", "benefit": "free_wash", "value": 0}"#,
        w.admin(),
        409,
    );
    // Whole numbers written as floats reach the engine, which refuses them the same way.
    problem(
        &w.server,
        &w.ops(),
        br#"{"type": "benefit_used", "benefit": "free_wash", "value": 0.0, "count": 1.0}"#,
        w.admin(),
        409,
    );
    w.assert_nothing_changed();
}

#[test]
fn refusals_name_their_code_and_say_it_in_chinese() {
    let w = World::new();
    let (server, t, ops) = (&w.server, w.admin(), w.ops());
    let v = problem(server, &ops, b"{not json", t, 400);
    assert_code(&v, "malformed_body", &["JSON"]);
    let v = problem(server, &ops, br#"{"type": "teleported"}"#, t, 400);
    assert_code(&v, "invalid_value", &["teleported"]);
    let v = problem(
        server,
        &format!("/api/members/{UNKNOWN}/operations"),
        br#"{"type": "enrollment_approved"}"#,
        t,
        404,
    );
    assert_code(&v, "member_not_found", &[UNKNOWN, "会员"]);
    let (status, v) = server.get(&format!("/api/members/{UNKNOWN}"), t);
    assert_eq!(status, 404, "{v}");
    assert_code(&v, "member_not_found", &[UNKNOWN]);
    let (status, v) = server.get("/api/members/nope", t);
    assert_eq!(status, 400, "{v}");
    assert_code(&v, "invalid_path", &["nope"]);
    let v = problem(
        server,
        &ops,
        br#"{"type": "enrollment_approved", "at": "2099-01-01T00:00:00Z"}"#,
        t,
        422,
    );
    assert_code(&v, "future_date", &["2099"]);
    // Field staff do not decide enrollments: the role and the operation, in Chinese.
    let field = w.server.login("field", PASSWORD);
    let v = problem(
        server,
        &ops,
        br#"{"type": "enrollment_approved"}"#,
        Some(&field),
        403,
    );
    assert_code(&v, "forbidden", &["会员维护专员", "审批入会"]);
    let v = problem(server, "/api/users", br#"{"username": "gm", "name": "u", "password": "long enough 1", "role": "general_manager"}"#, Some(&w.cm), 403);
    assert_code(&v, "outranked", &["俱乐部经理", "总经理"]);
    let v = problem(
        server,
        "/api/users",
        br#"{"username": "cm", "name": "u", "password": "long enough 1", "role": "finance"}"#,
        t,
        409,
    );
    assert_code(&v, "username_taken", &["cm"]);
    let v = problem(
        server,
        "/api/member-signup",
        br#"{"code": "WRONGCODE123", "username": "m1", "password": "member-pw-123"}"#,
        None,
        422,
    );
    assert_code(&v, "invalid_invitation", &["邀请码"]);
    w.assert_nothing_changed();
}

#[test]
fn the_engine_says_why_in_chinese_with_the_same_values() {
    // Program B has a catalogue (500 points and up) and a renewal window a month before expiry.
    let server = TestServer::start();
    let admin = server.admin();
    let store = create_store(&server, &admin, "西店", "B");
    create_user(&server, &admin, "fieldb", "field_staff", &store);
    let mut phone = JournalDevice::register(&server, "fieldb", PASSWORD);
    let member = phone.enroll(1, "李雷", 8, "guest", 30000);
    phone.sync(&server);
    let (s, v) = operate(
        &server,
        &admin,
        &member,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(s, 200, "{v}");
    let ops = format!("/api/members/{member}/operations");
    let t = Some(admin.as_str());
    let v = problem(
        &server,
        &ops,
        br#"{"type": "points_redeemed", "points": 500}"#,
        t,
        409,
    );
    assert_eq!(v["detail"], "500 points asked for but only 0 held", "{v}");
    assert_code(&v, "insufficient_points", &["500", "0 积分"]);
    let v = problem(
        &server,
        &ops,
        br#"{"type": "points_redeemed", "points": 7}"#,
        t,
        409,
    );
    assert_code(&v, "not_in_catalogue", &["兑换积分", "兑换目录"]);
    let v = problem(
        &server,
        &ops,
        br#"{"type": "renewed", "fee": 30000, "receipt": "R-RENEW-1"}"#,
        t,
        409,
    );
    assert_code(&v, "renewal_window_closed", &["续费"]);
}

#[test]
fn unknown_ids_are_not_found_and_malformed_ones_bad_requests() {
    let w = World::new();
    let (server, t) = (&w.server, w.admin());
    assert_eq!(server.get(&format!("/api/members/{UNKNOWN}"), t).0, 404);
    assert_eq!(server.get("/api/members/nope", t).0, 400);
    problem(
        server,
        &format!("/api/users/{UNKNOWN}/revoke-sessions"),
        b"",
        t,
        404,
    );
    problem(server, "/api/users/nope/revoke-sessions", b"", t, 400);
    problem(
        server,
        &format!("/api/devices/{UNKNOWN}/revoke"),
        b"",
        t,
        404,
    );
    problem(
        server,
        &format!("/api/members/{UNKNOWN}/invitations"),
        b"",
        t,
        404,
    );
    problem(
        server,
        "/api/member-signup",
        br#"{"code": "WRONGCODE123", "username": "m1", "password": "member-pw-123"}"#,
        None,
        422,
    );
    assert_eq!(server.get("/api/audit?limit=many", t).0, 400);
    w.assert_nothing_changed();
}

#[test]
fn revoked_sessions_stop_working_at_once_and_a_new_login_works() {
    let w = World::new();
    let (server, t) = (&w.server, w.admin());
    let (_, me) = server.get("/api/me", Some(&w.cm));
    let cm_id = me["user"]["id"].as_str().unwrap().to_owned();
    let (s, _, _) = server.post_raw(
        &format!("/api/users/{cm_id}/revoke-sessions"),
        "application/json",
        b"",
        t,
    );
    assert_eq!(s, 204);
    assert_eq!(server.get("/api/me", Some(&w.cm)).0, 401);
    let again = server.login("cm", PASSWORD);
    assert_eq!(
        server.get("/api/me", Some(&again)).0,
        200,
        "a new login works"
    );
}

#[test]
fn a_revoked_device_stops_working_at_once_and_the_revocation_is_audited() {
    let w = World::new();
    let (server, t, phone) = (&w.server, w.admin(), &w.phone);
    let (s, me) = server.get("/api/me", Some(&phone.token));
    assert_eq!(s, 200, "{me}");
    let device = me["device"].as_str().unwrap().to_owned();
    let (s, _, _) = server.post_raw(
        &format!("/api/devices/{device}/revoke"),
        "application/json",
        b"",
        t,
    );
    assert_eq!(s, 204);
    assert_eq!(server.get("/api/me", Some(&phone.token)).0, 401);
    assert!(
        tungstenite::connect(format!("ws://{}/sync?token={}", server.addr, phone.token)).is_err(),
        "a revoked device cannot sync"
    );
    let (_, log) = server.get("/api/audit?action=revoke_device", t);
    assert_eq!(log["records"].as_array().unwrap().len(), 1, "{log}");
}
