//! Stores, staff accounts and members' own logins made through the API, and the member routes
//! every story uses.

use serde_json::{Value, json};

use crate::Server;

/// The password of every staff account the tests create.
pub const PASSWORD: &str = "staff-password-1";

/// The password of every member login the tests activate.
pub const MEMBER_PASSWORD: &str = "member-pw-123";

/// Creates a store on `program` as the administrator; its id.
pub fn create_store(server: &Server, admin: &str, name: &str, program: &str) -> String {
    let (s, v) = server.post(
        "/api/stores",
        &json!({"name": name, "program": program}),
        Some(admin),
    );
    if s != 201 {
        panic!("creating the store {name} answered {s}: {v}");
    }
    v["id"].as_str().expect("the store's id").into()
}

/// Creates a staff account with [`PASSWORD`] as `by`; the user id.
pub fn create_user(server: &Server, by: &str, username: &str, role: &str, store: &str) -> String {
    let (s, v) = server.post(
        "/api/users",
        &json!({"username": username, "name": username, "password": PASSWORD, "role": role, "store": store}),
        Some(by),
    );
    if s != 201 {
        panic!("creating the account {username} ({role}) answered {s}: {v}");
    }
    v["id"].as_str().expect("the user's id").into()
}

/// The administrator's own store.
pub fn home_store(server: &Server, admin: &str) -> String {
    let (s, me) = server.get("/api/me", Some(admin));
    if s != 200 {
        panic!("GET /api/me answered {s}: {me}");
    }
    me["user"]["store"]
        .as_str()
        .expect("the administrator's store")
        .to_owned()
}

/// A member's own login: `staff` hands over an invitation code for `member`, the member signs up
/// as `username` with [`MEMBER_PASSWORD`] and signs in; the member's token.
pub fn member_login(server: &Server, staff: &str, member: &str, username: &str) -> String {
    let (s, inv) = server.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(staff),
    );
    if s != 201 {
        panic!("an invitation for {member} answered {s}: {inv}");
    }
    let (s, v) = server.post(
        "/api/member-signup",
        &json!({"code": inv["code"], "username": username, "password": MEMBER_PASSWORD}),
        None,
    );
    if s != 201 {
        panic!("signing up as {username} answered {s}: {v}");
    }
    server.login(username, MEMBER_PASSWORD)
}

/// A member's file as `token` sees it: status and body.
pub fn file(server: &Server, token: &str, member: &str) -> (u16, Value) {
    server.get(&format!("/api/members/{member}"), Some(token))
}

/// Records an operation on `member` as `token`: status and body.
pub fn operate(server: &Server, token: &str, member: &str, op: Value) -> (u16, Value) {
    server.post(
        &format!("/api/members/{member}/operations"),
        &op,
        Some(token),
    )
}
