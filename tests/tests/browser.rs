//! The web app in a real browser against the real server: a field device registers, goes offline,
//! enrolls a member, survives a reload with no network, syncs when back online, and the member is
//! then on the server; a second device that enrolled the same vehicle offline meanwhile makes the
//! server keep both records and raise one conflict.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm ci --prefix tests/browser`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).
//! The server binary is brought up to date with `cargo build -p carclub-server` (same profile).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const ADMIN: &str = "admin";
const SERVER_START: Duration = Duration::from_secs(60);
const BROWSER_RUN: Duration = Duration::from_secs(240);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// A value that differs between runs, for passwords and names.
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

/// The `carclub-server` binary of the profile this test was built with, brought up to date with
/// cargo (a no-op when it is): `carclub-tests` cannot depend on a binary-only package.
fn server_binary() -> PathBuf {
    // The test runs as <target>/<profile>/deps/browser-<hash>; the binaries are in <target>/<profile>.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in <target>/<profile>/deps");
    let binary = profile_dir.join(format!("carclub-server{}", std::env::consts::EXE_SUFFIX));
    {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build
            .current_dir(repo_root())
            .args(["build", "--quiet", "-p", "carclub-server"]);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building carclub-server failed");
    }
    require(
        &binary,
        "the server binary",
        "cargo build -p carclub-server",
    );
    binary
}

/// The real server on a temporary store and a free port; killed when dropped.
struct Server {
    child: Child,
    base: String,
    admin_password: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn spawn() -> Server {
        let data = tempfile::tempdir().expect("a temporary directory");
        let admin_password = format!("pw-{:x}", nonce());
        let mut child = Command::new(server_binary())
            .current_dir(repo_root())
            .arg("--data")
            .arg(data.path())
            .args(["--listen", "127.0.0.1:0"])
            .env("CARCLUB_ADMIN_PASSWORD", &admin_password)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("carclub-server starts");

        // Read stdout on a thread for as long as the server lives, so it never blocks on a full pipe.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on http://") {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
                }
            }
        });
        let base = match rx.recv_timeout(SERVER_START) {
            Ok(base) => base,
            Err(_) => {
                let exited = child.try_wait().ok().flatten();
                let _ = child.kill();
                let _ = child.wait();
                match exited {
                    Some(status) => panic!(
                        "carclub-server exited ({status}) without printing `listening on http://…`"
                    ),
                    None => panic!(
                        "carclub-server printed no `listening on http://…` line within {SERVER_START:?}"
                    ),
                }
            }
        };
        Server {
            child,
            base,
            admin_password,
            _data: data,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the browser script to its end (or kills it at the deadline); returns success and its output.
fn run_browser(server: &Server, member: &str, shots: &Path) -> (bool, String) {
    let root = repo_root();
    let mut child = Command::new("node")
        .current_dir(&root)
        .arg(root.join("tests/browser/offline-enroll.mjs"))
        .args(["--base", &server.base, "--user", ADMIN])
        .args(["--password", &server.admin_password, "--name", member])
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

/// A back-office session on the server's HTTP API.
struct BackOffice<'a> {
    server: &'a Server,
    token: String,
}

impl<'a> BackOffice<'a> {
    fn login(server: &'a Server) -> BackOffice<'a> {
        let login: Value = ureq::post(format!("{}/api/login", server.base))
            .send_json(json!({ "username": ADMIN, "password": server.admin_password }))
            .expect("POST /api/login answers")
            .body_mut()
            .read_json()
            .expect("the login answer is JSON");
        let token = login["token"]
            .as_str()
            .expect("the login answer has a token")
            .to_owned();
        BackOffice { server, token }
    }

    fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut request = ureq::get(format!("{}{path}", self.server.base))
            .header("Authorization", format!("Bearer {}", self.token));
        for (key, value) in query {
            request = request.query(*key, *value);
        }
        request
            .call()
            .unwrap_or_else(|e| panic!("GET {path} answers: {e}"))
            .body_mut()
            .read_json()
            .unwrap_or_else(|e| panic!("GET {path} answers JSON: {e}"))
    }

    /// The members found for `q`.
    fn members(&self, q: &str) -> Vec<Value> {
        self.get("/api/members", &[("q", q)])["members"]
            .as_array()
            .expect("the member search answer has a members array")
            .clone()
    }

    /// Every conflict of the store.
    fn conflicts(&self) -> Vec<Value> {
        self.get("/api/conflicts", &[])["conflicts"]
            .as_array()
            .expect("the conflicts answer has a conflicts array")
            .clone()
    }
}

#[test]
fn offline_enrollment_in_the_browser_reaches_the_server() {
    let root = repo_root();
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
        &root.join("tests/browser/node_modules/playwright-core"),
        "the browser driver (playwright-core)",
        "npm ci --prefix tests/browser",
    );

    let server = Server::spawn();
    let member = format!("王测试{}", nonce() % 100_000);
    let shots = root.join("target/screenshots");

    let (passed, output) = run_browser(&server, &member, &shots);
    println!("{output}");
    assert!(
        passed,
        "the browser run failed (screenshots in {}):\n{output}",
        shots.display()
    );

    let office = BackOffice::login(&server);
    let members = office.members(&member);
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
    let both = office.members(&member);
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
    let conflicts = office.conflicts();
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
}
