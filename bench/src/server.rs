//! The real release `carclub-server`, started by the tests' harness (`carclub_tests::Server`) the
//! way the benchmark needs it, and what `/proc` says about it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
pub use carclub_tests::Server;

/// The administrator's password of every benchmark server.
pub const ADMIN_PASSWORD: &str = "bench-admin-pw";

/// How long one HTTP request may take (a member list of 100,000 is slow to serialize).
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

/// The `carclub-server` built beside this binary (`cargo build --release -p carclub-server`).
pub fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .context("the bench binary has no directory")?
        .join("carclub-server");
    if !path.is_file() {
        bail!(
            "{} is missing: run `cargo build --release -p carclub-server` first",
            path.display()
        );
    }
    Ok(path)
}

/// An HTTP agent that reports every status instead of failing on it.
pub fn agent() -> ureq::Agent {
    carclub_tests::agent(HTTP_TIMEOUT)
}

/// Starts the release server on `data` (port 0; on the PostgreSQL database of `--postgres`
/// instead, `data` then holding only its log) with the benchmark's options and waits until
/// `/healthz` answers; `ready_after` is the start-up time.
pub fn start(data: &Path) -> anyhow::Result<Server> {
    let mut launch = Server::launch(data);
    if let Some(url) = crate::store_url() {
        launch = launch.store(url);
    }
    let server = launch
        .binary(server_binary()?)
        .options(crate::server_args())
        .admin_password(ADMIN_PASSWORD)
        // As `scripts/run` starts it, unless the caller chose otherwise.
        .env(
            "MALLOC_ARENA_MAX",
            std::env::var("MALLOC_ARENA_MAX").unwrap_or("2".into()),
        )
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or("warn".into()),
        )
        .ready_within(Duration::from_secs(600))
        .http_timeout(HTTP_TIMEOUT)
        .stop_within(Duration::from_secs(60))
        .try_start()?;
    Ok(server)
}

/// What the benchmark reads about a running server.
pub trait Measured {
    /// Resident memory in KiB (`VmRSS` of /proc/PID/status).
    fn rss_kib(&self) -> Option<u64>;
    /// Peak resident memory in KiB (`VmHWM`).
    fn peak_rss_kib(&self) -> Option<u64>;
    /// User plus system CPU time the server has used so far (/proc/PID/stat, 100 ticks a second).
    fn cpu(&self) -> Option<Duration>;
    /// How many members the back office lists.
    fn member_count(&self, token: &str) -> anyhow::Result<usize>;
}

impl Measured for Server {
    fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmHWM:")
    }

    fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(Duration::from_millis((utime + stime) * 10))
    }

    fn member_count(&self, token: &str) -> anyhow::Result<usize> {
        let (status, v) = self.get("/api/members", Some(token));
        if status != 200 {
            bail!("the member list answered {status}: {v}");
        }
        Ok(v["members"].as_array().map(Vec::len).unwrap_or(0))
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
