//! The API reference at /api/docs opens in a real browser with no network but the server, and
//! shows the operations of the description the server derives from its own code.
//!
//! Needs, and does not build: the browser driver (`npm install --prefix tests/js`), Node.js and
//! Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::TestServer;

#[test]
fn the_api_reference_opens_offline_and_shows_an_operation() {
    let root = carclub_tests::root();
    carclub_tests::browser::require(
        &root.join("tests/js/node_modules/playwright-core"),
        "the browser driver (playwright-core)",
        "npm install --prefix tests/js",
    );
    let server = TestServer::start();

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
    let (ok, output) = carclub_tests::browser::run_script(
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
