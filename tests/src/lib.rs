//! The harness of the end-to-end tests (`tests/e2e/`) and of the benchmarks (`bench/`): the real
//! `carclub-server` as a child process on a store and port of the caller's choosing, real
//! `carclub-device` processes each with its own home directory, a raw peer of the sync protocol, a
//! device that writes any event into its journal, the browser scripts, and a webhook receiver
//! that checks the outbox's signatures.
//!
//! It asserts nothing about what the server should do: failures to run something come back as
//! [`Error`] from the `try_` functions, or panic with a message saying what failed.

pub mod accounts;
pub mod browser;
mod device;
pub mod journal;
pub mod peer;
pub mod postgres;
mod server;
pub mod time;
pub mod webhook;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;
use std::time::Duration;

pub use device::Device;
pub use postgres::Postgres;
pub use server::{Backend, Launch, Server, TestServer};

/// The administrator's password of every server the tests start.
pub const ADMIN_PASSWORD: &str = "test-admin-pw";

/// Something the harness could not do (start a server, reach it, sign in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// The directory holding the built binaries: the profile directory above `deps/`, where the test
/// executable itself lives.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target profile directory")
        .to_owned()
}

/// The path of a workspace binary (`carclub-server`, `carclub-device`) of the profile the tests
/// run in, built once per process if needed.
pub fn bin(name: &str) -> PathBuf {
    static BUILD: Once = Once::new();
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
        // `cargo test` describes the package under test in the environment; build scripts that
        // watch those variables (ring's does) would otherwise rebuild on every run, here and again
        // in the next `cargo test`.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_MANIFEST_")
                || matches!(
                    &*key,
                    "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "CARGO_RUSTC_CURRENT_DIR"
                        | "OUT_DIR"
                )
            {
                cmd.env_remove(&*key);
            }
        }
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        if !status.success() {
            panic!("building the server and device binaries failed ({status})");
        }
    });
    let path = bin_dir().join(name);
    if !path.is_file() {
        panic!("{} is missing", path.display());
    }
    path
}

/// An HTTP agent that reports every status instead of failing on it, giving up on a request after
/// `timeout`.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
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

/// The next WebSocket message from `ws`, read again when a signal interrupted the read (the
/// harness's child processes make the test process receive signals; nothing is lost).
pub fn read_ws<S: std::io::Read + std::io::Write>(
    ws: &mut tungstenite::WebSocket<S>,
) -> Result<tungstenite::Message, Box<tungstenite::Error>> {
    loop {
        match ws.read() {
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other.map_err(Box::new),
        }
    }
}
