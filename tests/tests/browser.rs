//! The web app in a real browser against the real server: a field device registers, goes offline,
//! enrolls a member, survives a reload with no network, syncs when back online, and the member is
//! then on the server; a second device that enrolled the same vehicle offline meanwhile makes the
//! server keep both records and raise one conflict, which the back office resolves.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).
//! The server binary comes from the shared harness (`common`), which builds it when needed.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ADMIN_PASSWORD, Server};
use serde_json::Value;

const ADMIN: &str = "admin";
const BROWSER_RUN: Duration = Duration::from_secs(240);

/// A value that differs between runs, for the names of the people enrolled.
fn nonce() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
        ^ u128::from(std::process::id())
}

/// Panics with what to run when something the test needs but does not build is missing.
fn require(path: &Path, what: &str, fix: &str) {
    assert!(
        path.exists(),
        "{what} is missing ({}): run `{fix}` from the repository root first",
        path.display()
    );
}

/// Runs the browser script to its end (or kills it at the deadline); returns success and its output.
fn run_browser(server: &Server, member: &str, shots: &Path) -> (bool, String) {
    let root = common::root();
    let mut child = Command::new("node")
        .current_dir(&root)
        .arg(root.join("tests/browser/offline-enroll.mjs"))
        .args(["--base", &server.base, "--user", ADMIN])
        .args(["--password", ADMIN_PASSWORD, "--name", member])
        .arg("--shots")
        .arg(shots)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (is Node.js installed?)");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read(Box::new(stdout));
    let err = read(Box::new(stderr));

    let deadline = Instant::now() + BROWSER_RUN;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = out.join().unwrap_or_default();
    output.push_str(&err.join().unwrap_or_default());
    match status {
        Some(status) => (status.success(), output),
        None => (false, format!("{output}\nkilled after {BROWSER_RUN:?}")),
    }
}

#[test]
fn offline_enrollment_in_the_browser_reaches_the_server() {
    let root = common::root();
    require(
        &root.join("web/dist/index.html"),
        "the built web app",
        "scripts/build-web",
    );
    require(
        &root.join("web/dist/pkg/carclub_web_bg.wasm"),
        "the web app's wasm",
        "scripts/build-web",
    );
    require(
        &root.join("tests/js/node_modules/playwright-core"),
        "the browser driver (playwright-core)",
        "npm install --prefix tests/js",
    );

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let member = format!("王测试{}", nonce() % 100_000);
    let shots = root.join("target/screenshots");

    let (passed, output) = run_browser(&server, &member, &shots);
    println!("{output}");
    assert!(
        passed,
        "the browser run failed (screenshots in {}, server log {}):\n{output}",
        shots.display(),
        server.log.display()
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
    assert_eq!(
        vehicle[0]["resolved"], true,
        "the back office resolved the conflict in the browser: {:#?}",
        vehicle[0]
    );
}
