//! Bad input on the accounts and operations routes gets a clear 4xx as problem+json and changes
//! nothing: wrong types, unknown ids, oversized bodies, missing, revoked or device-revoked
//! sessions, operations dated in the future, accounts that would outrank their creator.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file};
use carclub_tests::journal::JournalDevice;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};

fn problem(server: &Server, path: &str, body: &[u8], token: Option<&str>, status: u16) {
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
}

fn snapshot(server: &Server, admin: &str, member: &str) -> Value {
    let (s, f) = file(server, admin, member);
    assert_eq!(s, 200, "{f}");
    json!({"state": f["state"], "events": f["events"]})
}

#[test]
fn bad_input_on_every_route_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let store = create_store(&server, &admin, "东店", "A");
    create_user(&server, &admin, "cm", "club_manager", &store);
    create_user(&server, &admin, "field", "field_staff", &store);
    let cm = server.login("cm", PASSWORD);
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let member = phone.enroll(1, "王芳", 7, "standard", 18000);
    phone.sync(&server);
    let before = snapshot(&server, &admin, &member);
    let (_, users_before) = server.get("/api/users", Some(&admin));
    let unknown = "01900000-0000-7000-8000-00000000abcd";
    let ops = format!("/api/members/{member}/operations");

    // No session.
    for path in [
        "/api/stores",
        "/api/users",
        &ops,
        &format!("/api/members/{member}/quote"),
        &format!("/api/members/{member}/invitations"),
    ] {
        problem(&server, path, b"{}", None, 401);
    }
    assert_eq!(server.get("/api/audit", None).0, 401);
    assert_eq!(server.get("/api/me", Some("not-a-token")).0, 401);

    // Wrong types and values.
    let t = Some(admin.as_str());
    problem(
        &server,
        "/api/stores",
        br#"{"name": 5, "program": "A"}"#,
        t,
        400,
    );
    problem(
        &server,
        "/api/stores",
        br#"{"name": "x", "program": "Z"}"#,
        t,
        400,
    );
    let long = format!(r#"{{"name": "{}", "program": "A"}}"#, "店".repeat(65));
    problem(&server, "/api/stores", long.as_bytes(), t, 400);
    problem(
        &server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "wizard"}"#,
        t,
        400,
    );
    problem(&server, "/api/users", br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "finance", "store": "nope"}"#, t, 400);
    problem(&server, "/api/users", format!(r#"{{"username": "u1", "name": "u", "password": "long enough 1", "role": "finance", "store": "{unknown}"}}"#).as_bytes(), t, 404);
    problem(
        &server,
        "/api/users",
        br#"{"username": "u 1", "name": "u", "password": "long enough 1", "role": "finance"}"#,
        t,
        400,
    );
    problem(
        &server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "short", "role": "finance"}"#,
        t,
        400,
    );
    problem(
        &server,
        "/api/users",
        br#"{"username": "u1", "name": "u", "password": "long enough 1", "role": "member"}"#,
        t,
        400,
    );
    problem(
        &server,
        "/api/users",
        br#"{"username": "cm", "name": "u", "password": "long enough 1", "role": "finance"}"#,
        t,
        409,
    );
    // A club manager does not create a general manager.
    problem(&server, "/api/users", br#"{"username": "gm", "name": "u", "password": "long enough 1", "role": "general_manager"}"#, Some(&cm), 403);

    // Operations: not an object, unknown type, wrong field types, another member, bad dates.
    for body in [
        &b"[1, 2]"[..],
        br#"{"type": "teleported"}"#,
        br#"{"type": "points_redeemed", "points": "many"}"#,
        br#"{"type": "points_redeemed", "points": -5}"#,
        br#"{"type": "benefit_used", "benefit": "free_wash"}"#,
        br#"{"type": "enrollment_approved", "at": "yesterday"}"#,
        br#"{"type": "enrollment_approved", "at": "2099-01-01T00:00:00Z"}"#,
        br#"{"type": "enrollment_approved", "at": "2001-01-01T00:00:00Z"}"#,
        br#"{"type": "visit_started", "visit": "01900000-0000-7000-8000-000000000001", "site": "x"}"#,
        format!(r#"{{"type": "enrollment_approved", "member": "{unknown}"}}"#).as_bytes(),
        b"{not json",
    ] {
        problem(&server, &ops, body, t, 400);
    }
    problem(
        &server,
        &format!("/api/members/{unknown}/operations"),
        br#"{"type": "enrollment_approved"}"#,
        t,
        404,
    );
    problem(
        &server,
        "/api/members/nope/operations",
        br#"{"type": "enrollment_approved"}"#,
        t,
        400,
    );
    problem(
        &server,
        &format!("/api/members/{member}/quote"),
        br#"{"order": {"lines": [{"category": "fuel", "amount": 1}]}}"#,
        t,
        400,
    );
    problem(
        &server,
        &format!("/api/members/{member}/quote"),
        br#"{"order": {"lines": [{"category": "labor", "amount": 1.5}]}}"#,
        t,
        400,
    );
    // The engine refuses what the member's state does not allow: still pending, no benefits.
    problem(
        &server,
        &ops,
        br#"{"type": "benefit_used", "benefit": "free_wash", "value": 0}"#,
        t,
        409,
    );
    // Oversized body.
    let big = format!(
        r#"{{"type": "enrollment_approved", "pad": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    problem(&server, &ops, big.as_bytes(), t, 413);

    // Unknown ids on the other routes.
    assert_eq!(server.get(&format!("/api/members/{unknown}"), t).0, 404);
    assert_eq!(server.get("/api/members/nope", t).0, 400);
    problem(
        &server,
        &format!("/api/users/{unknown}/revoke-sessions"),
        b"",
        t,
        404,
    );
    problem(&server, "/api/users/nope/revoke-sessions", b"", t, 400);
    problem(
        &server,
        &format!("/api/devices/{unknown}/revoke"),
        b"",
        t,
        404,
    );
    problem(
        &server,
        &format!("/api/members/{unknown}/invitations"),
        b"",
        t,
        404,
    );
    problem(
        &server,
        "/api/member-signup",
        br#"{"code": "WRONGCODE123", "username": "m1", "password": "member-pw-123"}"#,
        None,
        400,
    );
    assert_eq!(server.get("/api/audit?limit=many", t).0, 400);

    // Nothing changed.
    assert_eq!(snapshot(&server, &admin, &member), before);
    assert_eq!(server.get("/api/users", Some(&admin)).1, users_before);

    // Revoked sessions and devices stop working at once.
    let (_, me) = server.get("/api/me", Some(&cm));
    let cm_id = me["user"]["id"].as_str().unwrap().to_owned();
    let (s, _, _) = server.post_raw(
        &format!("/api/users/{cm_id}/revoke-sessions"),
        "application/json",
        b"",
        t,
    );
    assert_eq!(s, 204);
    assert_eq!(server.get("/api/me", Some(&cm)).0, 401);
    let again = server.login("cm", PASSWORD);
    assert_eq!(
        server.get("/api/me", Some(&again)).0,
        200,
        "a new login works"
    );

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
