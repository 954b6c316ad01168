//! The official JS client (`@automerge/automerge-repo` with its WebSocket adapter, run by node)
//! fetches a member's file from the server with a valid token, and is refused without one.

use std::process::Command;

use carclub_tests::{Device, TestServer, root};
use serde_json::Value;

fn node_interop(args: &[&str]) -> std::process::Output {
    let dir = root().join("tests/js");
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").is_dir(),
        "the JS client is not installed: run `npm install` in tests/js (the README's test command does)"
    );
    Command::new("node")
        .current_dir(&dir)
        .arg("interop.mjs")
        .args(args)
        .output()
        .expect("node runs")
}

/// A member enrolled on site by a field device and synced; the server, the member as the back
/// office lists it, and the administrator's token.
fn a_member_on_the_server() -> (TestServer, Value, String) {
    let server = TestServer::start();
    let device = Device::new(&server.path("device"));
    device.register(&server, "field phone");
    device.ok(&["visit", "start", "--site", "比亚迪坪山园区"]);
    device.enroll(
        "陈静",
        "13700137000",
        "LGXCE4CB5N0000007",
        "粤BD12345",
        "R-900",
    );
    device.ok(&["visit", "end"]);
    device.ok(&["sync"]);
    let token = server.admin();
    let member = server.members(&token, "陈静").pop().expect("member listed");
    (server, member, token)
}

#[test]
fn the_official_js_client_reads_a_member_file_with_a_token() {
    let (server, member, token) = a_member_on_the_server();
    let url = member["url"].as_str().unwrap();
    let ws = format!("ws://{}/sync", server.addr);
    let ok = node_interop(&[
        "--url",
        &format!("{ws}?token={token}"),
        "--doc",
        url,
        "--expect-field",
        "name=陈静",
        "--timeout-ms",
        "15000",
    ]);
    assert!(
        ok.status.success(),
        "JS client failed: {}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("document JSON");
    assert_eq!(doc["kind"], "member");
    assert_eq!(doc["card"], member["card"]);
    assert_eq!(doc["vehicles"][0]["vin"], "LGXCE4CB5N0000007");
    assert_eq!(doc["vehicles"][0]["plate"], "粤BD12345");
}

#[test]
fn the_official_js_client_is_refused_without_a_valid_token() {
    let (server, member, _) = a_member_on_the_server();
    let url = member["url"].as_str().unwrap();
    let ws = format!("ws://{}/sync", server.addr);
    for bad in [ws.clone(), format!("{ws}?token=not-a-real-token")] {
        let refused = node_interop(&["--url", &bad, "--doc", url, "--timeout-ms", "5000"]);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(
            refused.stdout.is_empty(),
            "nothing of the document is printed"
        );
        assert!(String::from_utf8_lossy(&refused.stderr).contains("401"));
    }
}
