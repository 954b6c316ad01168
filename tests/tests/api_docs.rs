//! The API reference at /api/docs opens in a real browser with no network but the server, and
//! shows the operations of the description the server derives from its own code.
//!
//! Needs, and does not build: the browser driver (`npm install --prefix tests/js`), Node.js and
//! Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

mod common;

use common::Server;

#[test]
fn the_api_reference_opens_offline_and_shows_an_operation() {
    let root = common::root();
    common::browser::require(
        &root.join("tests/js/node_modules/playwright-core"),
        "the browser driver (playwright-core)",
        "npm install --prefix tests/js",
    );
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");

    // The description itself: OpenAPI 3.1, typed responses.
    let (status, doc) = server.get("/api/openapi.json", None);
    assert_eq!(status, 200, "the description is served: {doc}");
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    let members = &doc["paths"]["/api/members"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert!(
        members.get("$ref").is_some(),
        "the member list answers a named schema, not a bare object: {members}"
    );

    let shots = root.join("target/screenshots");
    let (ok, output) = common::browser::run_script(
        "api-docs.mjs",
        &[
            "--base".into(),
            server.base.clone(),
            "--shots".into(),
            shots.display().to_string(),
        ],
    );
    assert!(ok, "the API reference in the browser:\n{output}");
}
