//! The real release `carclub-server` as a child process, and what `/proc` says about it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The administrator's password of every benchmark server.
pub const ADMIN_PASSWORD: &str = "bench-admin-pw";

/// A running server.
pub struct Server {
    child: Child,
    /// `http://ADDR`.
    pub base: String,
    /// How long from spawning the process to `/healthz` answering 200.
    pub ready_after: Duration,
}

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
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

impl Server {
    /// Starts the server on `data` (port 0) and waits until `/healthz` answers.
    pub fn start(data: &Path) -> anyhow::Result<Server> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))?;
        let started = Instant::now();
        let mut child = Command::new(server_binary()?)
            .args(["--data", data.to_str().context("data path")?])
            .args(["--listen", "127.0.0.1:0"])
            .args(crate::server_args())
            .env("CARCLUB_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // As `scripts/run` starts it, unless the caller chose otherwise.
            .env(
                "MALLOC_ARENA_MAX",
                std::env::var("MALLOC_ARENA_MAX").unwrap_or("2".into()),
            )
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting carclub-server")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("listening on http://") {
                        break a.trim().to_owned();
                    }
                }
                _ => bail!(
                    "the server exited before listening (see {}.log)",
                    data.display()
                ),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let base = format!("http://{addr}");
        let agent = agent();
        loop {
            if let Ok(r) = agent.get(format!("{base}/healthz")).call()
                && r.status() == 200
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                bail!("the server did not become healthy in 600 s");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Server {
            child,
            base,
            ready_after: started.elapsed(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    /// Peak resident memory in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmHWM:")
    }

    /// User plus system CPU time the server has used so far (/proc/PID/stat, 100 ticks a second).
    pub fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(Duration::from_millis((utime + stime) * 10))
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Signs in as the administrator; the bearer token.
    pub fn login(&self) -> anyhow::Result<String> {
        let mut r = agent()
            .post(format!("{}/api/login", self.base))
            .send_json(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}))?;
        let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string()?)?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the login answer")
    }

    /// How many members the back office lists.
    pub fn member_count(&self, token: &str) -> anyhow::Result<usize> {
        let mut r = agent()
            .get(format!("{}/api/members", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()?;
        let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string()?)?;
        Ok(v["members"].as_array().map(Vec::len).unwrap_or(0))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
