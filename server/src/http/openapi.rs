//! The OpenAPI description of the HTTP API, served at `/api/openapi.json`.
//!
//! It is written here by hand, next to the routes, and a test reads every `.route(…)` in the
//! server's sources and checks that each path and method is described and nothing else is — so the
//! description cannot drift from the code.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::http::api::AppState;

/// The route of the description.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}

fn obj(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

fn string(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max })
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn any_object() -> Value {
    json!({ "type": "object" })
}

/// One operation: a summary, its tag, an optional JSON body, and whether it needs a session.
fn op(summary: &str, tag: &str, body: Option<Value>, auth: bool) -> Value {
    let mut o = json!({
        "summary": summary,
        "tags": [tag],
        "responses": {
            "200": { "description": "done", "content": { "application/json": { "schema": any_object() } } },
            "4XX": { "$ref": "#/components/responses/Problem" },
        },
    });
    if let Some(schema) = body {
        o["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    if !auth {
        o["security"] = json!([]);
    }
    o
}

fn id_param() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }])
}

/// The whole description.
pub fn document() -> Value {
    let credentials = obj(
        &[("username", string(64)), ("password", string(128))],
        &["username", "password"],
    );
    let device = obj(
        &[
            ("username", string(64)),
            ("password", string(128)),
            ("name", string(64)),
        ],
        &["username", "password", "name"],
    );
    let paths: Vec<(&str, Vec<(&str, Value)>)> = vec![
        (
            "/healthz",
            vec![("get", op("Liveness", "service", None, false))],
        ),
        (
            "/api/openapi.json",
            vec![("get", op("This description", "service", None, false))],
        ),
        (
            "/sync",
            vec![(
                "get",
                op(
                    "WebSocket upgrade to the automerge-repo sync protocol (token as ?token= or bearer)",
                    "sync",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/login",
            vec![(
                "post",
                op(
                    "Sign in: a bearer token for 12 hours",
                    "sessions",
                    Some(credentials.clone()),
                    false,
                ),
            )],
        ),
        (
            "/api/logout",
            vec![("post", op("End this session", "sessions", None, true))],
        ),
        (
            "/api/devices",
            vec![(
                "post",
                op(
                    "Register a device: its token, document URLs, card block and tiers",
                    "devices",
                    Some(device),
                    false,
                ),
            )],
        ),
        (
            "/api/devices/{id}/revoke",
            vec![(
                "post",
                op("Revoke a device: it stops syncing", "devices", None, true),
            )],
        ),
        (
            "/api/devices/{id}/card-blocks",
            vec![
                (
                    "get",
                    op(
                        "The device's card blocks with numbers issued and left",
                        "card stock",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Check out a further block of card numbers to the device",
                        "card stock",
                        Some(obj(
                            &[(
                                "count",
                                json!({"type": "integer", "minimum": 1, "maximum": 200}),
                            )],
                            &["count"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/me",
            vec![(
                "get",
                op(
                    "Who is signed in; a member's own file and state",
                    "sessions",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/members",
            vec![(
                "get",
                json!({
                    "summary": "Search members by name, phone, card, VIN or plate",
                    "tags": ["members"],
                    "parameters": [
                        { "name": "q", "in": "query", "schema": string(100) },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } },
                    ],
                    "responses": {
                        "200": { "description": "members", "content": { "application/json": { "schema": any_object() } } },
                        "4XX": { "$ref": "#/components/responses/Problem" },
                    },
                }),
            )],
        ),
        (
            "/api/members/export",
            vec![(
                "get",
                json!({
                    "summary": "The member list as CSV (needs the permission to export; audited; contact masked unless allowed)",
                    "tags": ["members"],
                    "responses": {
                        "200": { "description": "CSV", "content": { "text/csv": { "schema": { "type": "string" } } } },
                        "4XX": { "$ref": "#/components/responses/Problem" },
                    },
                }),
            )],
        ),
        (
            "/api/members/{id}",
            vec![(
                "get",
                op(
                    "A member's full file and state (audited)",
                    "members",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/members/{id}/operations",
            vec![(
                "post",
                op(
                    "Record a club operation as an event (type and fields as in docs/events.md; optional at)",
                    "operations",
                    Some(
                        json!({ "type": "object", "required": ["type"], "properties": { "type": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } }),
                    ),
                    true,
                ),
            )],
        ),
        (
            "/api/members/{id}/quote",
            vec![(
                "post",
                op(
                    "The card discount and points an order would bring; changes nothing",
                    "operations",
                    Some(
                        json!({ "type": "object", "required": ["order"], "properties": { "order": any_object() } }),
                    ),
                    true,
                ),
            )],
        ),
        (
            "/api/members/{id}/invitations",
            vec![(
                "post",
                op(
                    "An invitation code for the member app (single use, 7 days)",
                    "accounts",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/member-signup",
            vec![(
                "post",
                op(
                    "A member's own login from an invitation code",
                    "accounts",
                    Some(obj(
                        &[
                            ("code", string(64)),
                            ("username", string(64)),
                            ("password", string(128)),
                        ],
                        &["code", "username", "password"],
                    )),
                    false,
                ),
            )],
        ),
        (
            "/api/stores",
            vec![
                ("get", op("The group's stores", "accounts", None, true)),
                (
                    "post",
                    op(
                        "Create a store on a program",
                        "accounts",
                        Some(obj(
                            &[("name", string(100)), ("program", string(16))],
                            &["name", "program"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/users",
            vec![
                (
                    "get",
                    op(
                        "Staff accounts in the caller's scope",
                        "accounts",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Create a staff account (never one that outranks the caller)",
                        "accounts",
                        Some(obj(
                            &[
                                ("username", string(64)),
                                ("name", string(50)),
                                ("password", string(128)),
                                ("role", string(32)),
                                ("store", uuid()),
                            ],
                            &["username", "name", "password", "role", "store"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/users/{id}/revoke-sessions",
            vec![(
                "post",
                op("End every session of a person", "accounts", None, true),
            )],
        ),
        (
            "/api/users/{id}/devices",
            vec![("get", op("A person's devices", "accounts", None, true))],
        ),
        (
            "/api/users/{id}/assignment",
            vec![
                (
                    "get",
                    op(
                        "Which members a field staff account works with: the whole store or some companies",
                        "accounts",
                        None,
                        true,
                    ),
                ),
                (
                    "put",
                    op(
                        "Assign a field staff account to the whole store ({\"scope\": \"store\"}) or to companies (corporate agreements) of its store ({\"scope\": \"companies\", \"companies\": [id…]})",
                        "accounts",
                        Some(obj(
                            &[
                                (
                                    "scope",
                                    json!({"type": "string", "enum": ["store", "companies"]}),
                                ),
                                (
                                    "companies",
                                    json!({"type": "array", "items": uuid(), "minItems": 1, "maxItems": 100}),
                                ),
                            ],
                            &["scope"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/permissions",
            vec![(
                "get",
                op(
                    "The permission matrix: role × operation → scope",
                    "accounts",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/audit",
            vec![(
                "get",
                json!({
                    "summary": "The append-only audit log",
                    "tags": ["audit"],
                    "parameters": [
                        { "name": "member", "in": "query", "schema": uuid() },
                        { "name": "user", "in": "query", "schema": uuid() },
                        { "name": "action", "in": "query", "schema": string(64) },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                    ],
                    "responses": {
                        "200": { "description": "records", "content": { "application/json": { "schema": any_object() } } },
                        "4XX": { "$ref": "#/components/responses/Problem" },
                    },
                }),
            )],
        ),
        (
            "/api/conflicts",
            vec![(
                "get",
                op(
                    "Conflicts raised by offline devices, with how to resolve them",
                    "conflicts",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/conflicts/{id}",
            vec![(
                "get",
                op(
                    "One conflict and the decision taken on it",
                    "conflicts",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/conflicts/{id}/resolve",
            vec![(
                "post",
                op(
                    "Record the decision on a conflict",
                    "conflicts",
                    Some(obj(&[("note", string(500)), ("keep", uuid())], &["note"])),
                    true,
                ),
            )],
        ),
        (
            "/api/card-stock/loans",
            vec![
                (
                    "get",
                    op(
                        "Sample and borrowed card loans (?open, ?overdue)",
                        "card stock",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Sign a card out: a sample for 24 hours or a borrowed card for 36 hours",
                        "card stock",
                        Some(obj(
                            &[
                                ("card", string(20)),
                                ("kind", json!({"enum": ["sample", "borrowed"]})),
                                ("holder", uuid()),
                            ],
                            &["card", "kind", "holder"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/card-stock/loans/{id}/return",
            vec![(
                "post",
                op(
                    "A lent card comes back (late is flagged)",
                    "card stock",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/card-stock/write-offs",
            vec![
                (
                    "get",
                    op(
                        "Sold cards written off, and those still waiting for their receipt",
                        "card stock",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Write a sold card off against the receipt of its fee",
                        "card stock",
                        Some(obj(
                            &[("card", string(20)), ("receipt", string(32))],
                            &["card", "receipt"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/complaints",
            vec![
                (
                    "get",
                    op(
                        "Complaints in scope, filtered by open, overdue, level, owner, member",
                        "complaints",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "File a complaint: its level sets the owner; the answer is due in 3 days",
                        "complaints",
                        Some(obj(
                            &[
                                (
                                    "channel",
                                    json!({"enum": ["counter", "phone", "letter", "comments_book", "hotline"]}),
                                ),
                                (
                                    "level",
                                    json!({"enum": ["grumble", "complaint", "claim", "major", "crisis"]}),
                                ),
                                ("text", string(2000)),
                                ("member", uuid()),
                                ("filed_at", json!({"type": "string", "format": "date-time"})),
                            ],
                            &["channel", "level", "text"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/complaints/{id}",
            vec![(
                "get",
                op("One complaint with its history", "complaints", None, true),
            )],
        ),
        (
            "/api/complaints/{id}/escalate",
            vec![(
                "post",
                op(
                    "Escalate to a higher level; the owner moves with it",
                    "complaints",
                    Some(obj(
                        &[
                            ("level", string(16)),
                            ("reason", string(500)),
                            ("at", json!({"type": "string", "format": "date-time"})),
                        ],
                        &["level", "reason"],
                    )),
                    true,
                ),
            )],
        ),
        (
            "/api/complaints/{id}/answer",
            vec![(
                "post",
                op(
                    "Answer a complaint; an answer after the deadline is flagged late",
                    "complaints",
                    Some(obj(
                        &[
                            ("text", string(2000)),
                            ("at", json!({"type": "string", "format": "date-time"})),
                        ],
                        &["text"],
                    )),
                    true,
                ),
            )],
        ),
        (
            "/api/complaints/{id}/close",
            vec![(
                "post",
                op("Close an answered complaint", "complaints", None, true),
            )],
        ),
        (
            "/api/club-events",
            vec![
                (
                    "get",
                    op(
                        "Club events in scope (a member: those they are invited to)",
                        "club events",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Create a club event and invite a member segment",
                        "club events",
                        Some(obj(
                            &[
                                ("title", string(100)),
                                (
                                    "kind",
                                    json!({"enum": ["lecture", "self_drive", "party", "other"]}),
                                ),
                                (
                                    "starts_at",
                                    json!({"type": "string", "format": "date-time"}),
                                ),
                                ("place", string(100)),
                                ("capacity", json!({"type": "integer", "minimum": 1})),
                                ("segment", any_object()),
                                ("store", uuid()),
                            ],
                            &["title", "kind", "starts_at", "place", "capacity"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/club-events/{id}",
            vec![(
                "get",
                op(
                    "One club event with invitations, answers and attendance",
                    "club events",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/club-events/{id}/rsvp",
            vec![(
                "post",
                op(
                    "Answer an invitation (a member for themselves, staff for an invited member)",
                    "club events",
                    Some(obj(
                        &[
                            ("attending", json!({"type": "boolean"})),
                            ("member", uuid()),
                        ],
                        &["attending"],
                    )),
                    true,
                ),
            )],
        ),
        (
            "/api/club-events/{id}/attendance",
            vec![(
                "post",
                op(
                    "Record attendance; the member earns the program's points once",
                    "club events",
                    Some(obj(
                        &[
                            ("member", uuid()),
                            ("at", json!({"type": "string", "format": "date-time"})),
                        ],
                        &["member"],
                    )),
                    true,
                ),
            )],
        ),
        (
            "/api/partners",
            vec![
                (
                    "get",
                    op(
                        "Partner merchants (?current=true: valid today)",
                        "partners",
                        None,
                        true,
                    ),
                ),
                (
                    "post",
                    op(
                        "Add a partner merchant",
                        "partners",
                        Some(obj(
                            &[
                                ("name", string(100)),
                                ("kind", string(32)),
                                ("discount", string(200)),
                                ("valid_from", json!({"type": "string", "format": "date"})),
                                ("valid_until", json!({"type": "string", "format": "date"})),
                                ("store", uuid()),
                            ],
                            &["name", "kind", "discount", "valid_from", "valid_until"],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/partners/{id}/deactivate",
            vec![(
                "post",
                op(
                    "Deactivate a partner merchant (kept on file)",
                    "partners",
                    None,
                    true,
                ),
            )],
        ),
        (
            "/api/corporate-accounts",
            vec![
                (
                    "get",
                    op("Corporate agreements (大客户协议)", "partners", None, true),
                ),
                (
                    "post",
                    op(
                        "Sign a one-year corporate agreement",
                        "partners",
                        Some(obj(
                            &[
                                ("company", string(100)),
                                ("term_start", json!({"type": "string", "format": "date"})),
                                ("fleet_price_note", string(500)),
                                ("contact", any_object()),
                                ("service_advisor", uuid()),
                                (
                                    "on_site_check_days",
                                    json!({"type": "array", "items": {"type": "string", "format": "date"}}),
                                ),
                                ("store", uuid()),
                            ],
                            &[
                                "company",
                                "term_start",
                                "fleet_price_note",
                                "contact",
                                "service_advisor",
                            ],
                        )),
                        true,
                    ),
                ),
            ],
        ),
        (
            "/api/corporate-accounts/{id}",
            vec![("get", op("One corporate agreement", "partners", None, true))],
        ),
    ];
    let mut out = Map::new();
    for (path, methods) in paths {
        let mut item = Map::new();
        for (method, mut operation) in methods {
            if path.contains("{id}") {
                operation["parameters"] = id_param();
            }
            item.insert(method.to_owned(), operation);
        }
        out.insert(path.to_owned(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "carclub 车友汇",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The membership club of a car dealership group: back office, member app and field devices.",
        },
        "security": [{ "bearer": [] }],
        "paths": out,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Problem": {
                    "description": "an error a person can act on",
                    "content": { "application/problem+json": { "schema": {
                        "type": "object",
                        "properties": {
                            "type": { "type": "string" },
                            "title": { "type": "string" },
                            "status": { "type": "integer" },
                            "detail": { "type": "string" },
                        },
                        "required": ["status", "detail"],
                    } } },
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every `(method, path)` the server's sources register with `.route(…)`.
    fn routes_in_code() -> BTreeSet<(String, String)> {
        let sources = [
            include_str!("api.rs"),
            include_str!("accounts.rs"),
            include_str!("ops.rs"),
            include_str!("cards.rs"),
            include_str!("conflicts.rs"),
            include_str!("mod.rs"),
            include_str!("openapi.rs"),
            include_str!("club.rs"),
            include_str!("export.rs"),
            include_str!("cardstock.rs"),
            include_str!("club/complaints.rs"),
            include_str!("club/events.rs"),
            include_str!("club/partners.rs"),
        ];
        let mut found = BTreeSet::new();
        for source in sources {
            // Stop at the tests, which mention routes in strings of their own.
            let source = source.split("#[cfg(test)]").next().unwrap_or(source);
            for chunk in source.split(".route(").skip(1) {
                let Some(chunk) = chunk.trim_start().strip_prefix('"') else {
                    continue;
                };
                let Some((path, rest)) = chunk.split_once('"') else {
                    continue;
                };
                // The rest of the `.route(` call: up to its closing parenthesis.
                let mut depth = 1;
                let end = rest
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let call = &rest[..end];
                for method in ["get", "post", "put", "patch", "delete"] {
                    if call.contains(&format!("{method}(")) {
                        found.insert((method.to_owned(), path.to_owned()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn the_description_lists_exactly_the_routes_of_the_code() {
        let doc = document();
        let described: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), path.clone()))
            })
            .collect();
        let code = routes_in_code();
        assert!(code.len() > 20, "the scan found the routes: {code:?}");
        let missing: Vec<_> = code.difference(&described).collect();
        let stale: Vec<_> = described.difference(&code).collect();
        assert!(
            missing.is_empty(),
            "routes without a description: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "described routes that do not exist: {stale:?}"
        );
    }

    #[test]
    fn every_operation_has_a_summary_and_error_responses() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(
                    !operation["summary"].as_str().unwrap_or("").is_empty(),
                    "{method} {path}"
                );
                assert!(operation["responses"]["4XX"].is_object(), "{method} {path}");
            }
        }
    }
}
