//! The API description, derived from the handlers: every operation answers typed bodies, names
//! its errors as problems, and every reference resolves.

use serde_json::Value;

fn description() -> Value {
    serde_json::to_value(carclub_server::http::description()).expect("the description encodes")
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn every_operation_has_a_unique_id_and_a_summary() {
    let doc = description();
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path} has no summary (the handler's doc comment)"
        );
    }
    assert!(
        ids.len() >= 40,
        "only {} operations are described",
        ids.len()
    );
}

#[test]
fn every_success_answers_a_named_schema_and_every_error_a_problem() {
    let doc = description();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.contains_key("401") || op["security"] == serde_json::json!([{}]),
            "{method} {path} does not document 401"
        );
        for (status, r) in responses {
            let content = r["content"].as_object();
            if status.starts_with('2') {
                if status == "204" {
                    continue;
                }
                let content =
                    content.unwrap_or_else(|| panic!("{method} {path} {status}: no body"));
                for (kind, media) in content {
                    if kind == "application/json" {
                        let schema = &media["schema"];
                        assert!(
                            schema.get("$ref").is_some() || schema.get("items").is_some(),
                            "{method} {path} {status}: the body is not a named schema: {schema}"
                        );
                    }
                }
            } else {
                let content =
                    content.unwrap_or_else(|| panic!("{method} {path} {status}: no body"));
                assert!(
                    content.contains_key("application/problem+json"),
                    "{method} {path} {status}: errors are application/problem+json"
                );
            }
        }
    }
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_owned());
                    }
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = description();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "{r} points at nothing");
    }
}

/// The description the web app generates its types from.
const COMMITTED: &str = "../web/src/api/openapi.json";

#[test]
fn the_web_apps_copy_of_the_description_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    let now = carclub_server::http::description_json().expect("the description encodes");
    if std::env::var_os("CARCLUB_UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &now).expect("web/src/api/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "web/src/api/openapi.json differs from the description the server serves (the API \
         changed); run `CARCLUB_UPDATE_OPENAPI=1 cargo test -p carclub-server --test openapi` to \
         rewrite it, and commit it"
    );
}
