//! The harness of the end-to-end tests: the real `carclub-server` on a temporary store and port,
//! and real `carclub-device` processes, each with its own home directory.

#![allow(dead_code)]

pub mod browser;
pub mod peer;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The administrator's password in every test.
pub const ADMIN_PASSWORD: &str = "test-admin-pw";

static BUILD: Once = Once::new();

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// The directory holding the built binaries (beside this test's own executable).
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("target profile directory")
        .to_owned()
}

/// The path of a workspace binary, built (once per test run) if needed.
pub fn bin(name: &str) -> PathBuf {
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = bin_dir().ends_with("release");
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root()).args([
            "build",
            "-q",
            "-p",
            "carclub-server",
            "-p",
            "carclub-client",
            "--bins",
        ]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo build runs");
        assert!(
            status.success(),
            "building the server and device binaries failed"
        );
    });
    let path = bin_dir().join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// A running server.
pub struct Server {
    child: Child,
    pub base: String,
    pub addr: String,
    pub data: PathBuf,
    pub log: PathBuf,
}

impl Server {
    /// Starts the server on `data`, listening on `listen` (e.g. `127.0.0.1:0`), and waits until it
    /// answers.
    pub fn start(data: &Path, listen: &str) -> Server {
        Self::start_with(data, listen, &[])
    }

    /// Like [`Server::start`], with extra command-line options for the server.
    pub fn start_with(data: &Path, listen: &str, options: &[&str]) -> Server {
        let log = data.with_extension("log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("server log file");
        let mut child = Command::new(bin("carclub-server"))
            .args(["--data", data.to_str().unwrap(), "--listen", listen])
            .args(options)
            .env("CARCLUB_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("server starts");
        let stdout = child.stdout.take().expect("server stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("listening on http://") {
                        break a.trim().to_owned();
                    }
                }
                _ => panic!(
                    "server exited before listening; log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            }
        };
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        let server = Server {
            child,
            base: format!("http://{addr}"),
            addr,
            data: data.to_owned(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.get("/healthz", None).0 != 200 {
            assert!(Instant::now() < deadline, "server did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Kills the server at once (SIGKILL): no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server the way an operator would (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    }

    /// GET `path`; the status and the body as JSON (Null when it is not JSON).
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = Self::agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        match req.call() {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let body = r.body_mut().read_to_string().unwrap_or_default();
                (status, serde_json::from_str(&body).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// POST a raw body to `path` with a content type; the status, the content type and the body.
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> (u16, String, Value) {
        let mut req = Self::agent()
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut r = req.send(body).expect("request is sent");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            ct,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// POST JSON to `path`.
    pub fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let (s, _, v) = self.post_raw(path, "application/json", body.to_string().as_bytes(), token);
        (s, v)
    }

    /// PUT JSON to `path`; the status and the body as JSON.
    pub fn put(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut req = Self::agent()
            .put(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut r = req.send(body.to_string()).expect("request is sent");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in as `user` and returns the bearer token.
    pub fn login(&self, user: &str, password: &str) -> String {
        let (status, body) = self.post(
            "/api/login",
            &serde_json::json!({"username": user, "password": password}),
            None,
        );
        assert_eq!(status, 200, "login failed: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The back office's member list for a search text.
    pub fn members(&self, token: &str, q: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/members?q={}", urlencode(q)), Some(token));
        assert_eq!(status, 200, "member search failed: {body}");
        body["members"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A command-line field device with its own home directory.
pub struct Device {
    pub home: PathBuf,
}

impl Device {
    /// A device at `home`.
    pub fn new(home: &Path) -> Device {
        Device {
            home: home.to_owned(),
        }
    }

    /// Runs `carclub-device` with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin("carclub-device"))
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .output()
            .expect("device runs")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "carclub-device {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Registers with the server as the administrator.
    pub fn register(&self, server: &Server, name: &str) {
        self.ok(&[
            "register",
            "--server",
            &server.base,
            "--user",
            "admin",
            "--password",
            ADMIN_PASSWORD,
            "--name",
            name,
        ]);
    }

    /// Enrolls a member on the standard tier for its fee.
    pub fn enroll(&self, name: &str, phone: &str, vin: &str, plate: &str, receipt: &str) -> String {
        let out = self.ok(&[
            "enroll",
            "--name",
            name,
            "--phone",
            phone,
            "--vin",
            vin,
            "--plate",
            plate,
            "--tier",
            "standard",
            "--fee-fen",
            "18000",
            "--receipt",
            receipt,
        ]);
        out.trim()
            .strip_prefix("enrolled: ")
            .expect("member id printed")
            .to_owned()
    }

    /// The members the device shows.
    pub fn members(&self) -> Vec<Value> {
        let out = self.ok(&["members", "--json"]);
        serde_json::from_str(&out).expect("members JSON")
    }
}
