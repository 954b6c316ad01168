//! The real `carclub-server` as a child process: started on a store and an address, ready once
//! `/healthz` answers, spoken to over HTTP.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{ADMIN_PASSWORD, Error, agent, bin, urlencode};

/// How a server is started: [`Server::launch`] gives the tests' defaults, each method changes one.
#[derive(Debug, Clone)]
pub struct Launch {
    data: PathBuf,
    store: Option<String>,
    binary: Option<PathBuf>,
    listen: String,
    options: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    admin_password: String,
    ready_within: Duration,
    http_timeout: Duration,
    stop_within: Duration,
}

impl Launch {
    /// The server binary to run (by default the workspace's, built by [`bin`]).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Launch {
        self.binary = Some(path.into());
        self
    }

    /// The address to listen on (by default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: &str) -> Launch {
        addr.clone_into(&mut self.listen);
        self
    }

    /// The server's store instead of the directory: `--store URL` (a PostgreSQL database; the
    /// directory still holds the log).
    pub fn store(mut self, url: &str) -> Launch {
        self.store = Some(url.to_owned());
        self
    }

    /// Extra command-line options for the server.
    pub fn options<I, S>(mut self, options: I) -> Launch
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.options.extend(options.into_iter().map(Into::into));
        self
    }

    /// An environment variable for the server (`RUST_LOG` is `info` unless set here).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The administrator's password a new store is created with (by default [`ADMIN_PASSWORD`]).
    pub fn admin_password(mut self, password: &str) -> Launch {
        password.clone_into(&mut self.admin_password);
        self
    }

    /// How long the server may take to answer `/healthz` (by default 20 s).
    pub fn ready_within(mut self, limit: Duration) -> Launch {
        self.ready_within = limit;
        self
    }

    /// How long one HTTP request to the server may take (by default 30 s).
    pub fn http_timeout(mut self, limit: Duration) -> Launch {
        self.http_timeout = limit;
        self
    }

    /// How long [`Server::stop`] waits after SIGTERM before it kills (by default 10 s).
    pub fn stop_within(mut self, limit: Duration) -> Launch {
        self.stop_within = limit;
        self
    }

    /// Starts the server and waits until `/healthz` answers 200.
    pub fn try_start(self) -> Result<Server, Error> {
        let log = self.data.with_extension("log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::new(format!("opening {}: {e}", log.display())))?;
        let binary = self.binary.unwrap_or_else(|| bin("carclub-server"));
        // The repository's built web app unless the caller serves another (the server's own default
        // is relative to where it was compiled, which may be another checkout).
        let web: Vec<OsString> = if self.options.iter().any(|o| o == "--web") {
            Vec::new()
        } else {
            vec!["--web".into(), crate::root().join("web/dist").into()]
        };
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .arg("--data")
            .arg(&self.data)
            .args(["--listen", &self.listen])
            .args(&web)
            .args(self.store.iter().flat_map(|s| ["--store", s]))
            .args(&self.options)
            .env("CARCLUB_ADMIN_PASSWORD", &self.admin_password)
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| Error::new(format!("starting {}: {e}", binary.display())))?;
        let stdout = child.stdout.take().expect("the server's stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("listening on http://") {
                        break a.trim().to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::new(format!(
                        "the server exited before listening; its log ({}):\n{}",
                        log.display(),
                        std::fs::read_to_string(&log).unwrap_or_default()
                    )));
                }
            }
        };
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        let mut server = Server {
            child,
            base: format!("http://{addr}"),
            addr,
            data: self.data,
            store: self.store,
            log,
            ready_after: Duration::ZERO,
            admin_password: self.admin_password,
            http_timeout: self.http_timeout,
            stop_within: self.stop_within,
        };
        while server.get("/healthz", None).0 != 200 {
            if started.elapsed() > self.ready_within {
                return Err(Error::new(format!(
                    "the server did not become healthy in {} s (log: {})",
                    self.ready_within.as_secs(),
                    server.log.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        server.ready_after = started.elapsed();
        Ok(server)
    }

    /// Like [`Launch::try_start`]; panics with the reason when the server does not start.
    pub fn start(self) -> Server {
        self.try_start()
            .unwrap_or_else(|e| panic!("the server did not start: {e}"))
    }
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://ADDR`.
    pub base: String,
    /// The address it listens on, `IP:PORT`.
    pub addr: String,
    /// Its store's directory (with `--store`, only the log's place).
    pub data: PathBuf,
    /// Its `--store`, when not the directory.
    pub store: Option<String>,
    /// Its log (stderr), beside the store.
    pub log: PathBuf,
    /// From spawning the process to `/healthz` answering 200.
    pub ready_after: Duration,
    admin_password: String,
    http_timeout: Duration,
    stop_within: Duration,
}

impl Server {
    /// A server on the store `data`, with the tests' defaults, to adjust before starting.
    pub fn launch(data: &Path) -> Launch {
        Launch {
            data: data.to_owned(),
            store: None,
            binary: None,
            listen: "127.0.0.1:0".into(),
            options: Vec::new(),
            env: Vec::new(),
            admin_password: ADMIN_PASSWORD.into(),
            ready_within: Duration::from_secs(20),
            http_timeout: Duration::from_secs(30),
            stop_within: Duration::from_secs(10),
        }
    }

    /// Starts the server on `data`, listening on `listen` (e.g. `127.0.0.1:0`), and waits until it
    /// answers.
    pub fn start(data: &Path, listen: &str) -> Server {
        Self::launch(data).listen(listen).start()
    }

    /// Like [`Server::start`], with extra command-line options for the server.
    pub fn start_with(data: &Path, listen: &str, options: &[&str]) -> Server {
        Self::launch(data).listen(listen).options(options).start()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server at once (SIGKILL): no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server the way an operator would (SIGTERM) and waits for it; kills it if it is
    /// still running after the launch's `stop_within`.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + self.stop_within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    fn agent(&self) -> ureq::Agent {
        agent(self.http_timeout)
    }

    /// GET `path`; the status and the body as JSON (Null when it is not JSON; status 0 when the
    /// server could not be reached).
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        match self.try_get_text(path, token) {
            Ok((status, _, body)) => (status, serde_json::from_str(&body).unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        }
    }

    /// GET `path`; the status, the content type and the body as text.
    pub fn get_text(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        self.try_get_text(path, token)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    fn try_get_text(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(u16, String, String), Error> {
        let mut req = self.agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let r = req
            .call()
            .map_err(|e| Error::new(format!("GET {path}: {e}")))?;
        Ok(answer(r))
    }

    /// POST a raw body to `path` with a content type; the status, the content type and the body.
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> (u16, String, Value) {
        let (status, ct, text) = self
            .try_send("POST", path, content_type, body, token)
            .unwrap_or_else(|e| panic!("{e}"));
        (
            status,
            ct,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    fn try_send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> Result<(u16, String, String), Error> {
        let url = format!("{}{path}", self.base);
        let agent = self.agent();
        let mut req = match method {
            "PUT" => agent.put(url),
            _ => agent.post(url),
        }
        .header("Content-Type", content_type);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let r = req
            .send(body)
            .map_err(|e| Error::new(format!("{method} {path}: {e}")))?;
        Ok(answer(r))
    }

    /// POST JSON to `path`; the status and the body as JSON.
    pub fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let (s, _, v) = self.post_raw(path, "application/json", body.to_string().as_bytes(), token);
        (s, v)
    }

    /// PUT JSON to `path`; the status and the body as JSON.
    pub fn put(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let (status, _, text) = self
            .try_send(
                "PUT",
                path,
                "application/json",
                body.to_string().as_bytes(),
                token,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in as `user`; the bearer token.
    pub fn try_login(&self, user: &str, password: &str) -> Result<String, Error> {
        let body = serde_json::json!({"username": user, "password": password}).to_string();
        let (status, _, text) = self.try_send(
            "POST",
            "/api/login",
            "application/json",
            body.as_bytes(),
            None,
        )?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match answer["token"].as_str() {
            Some(token) if status == 200 => Ok(token.to_owned()),
            _ => Err(Error::new(format!(
                "signing in as {user} was refused ({status}): {text}"
            ))),
        }
    }

    /// Signs in as `user`; the bearer token. Panics when the server refuses.
    pub fn login(&self, user: &str, password: &str) -> String {
        self.try_login(user, password)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Signs in as the administrator the store was created with.
    pub fn login_admin(&self) -> String {
        self.login("admin", &self.admin_password)
    }

    /// The back office's member list for a search text. Panics when the server refuses.
    pub fn members(&self, token: &str, q: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/members?q={}", urlencode(q)), Some(token));
        if status != 200 {
            panic!("the member search for {q:?} answered {status}: {body}");
        }
        body["members"].as_array().cloned().unwrap_or_default()
    }
}

/// The status, the content type and the body of an answer.
fn answer(mut r: ureq::http::Response<ureq::Body>) -> (u16, String, String) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, ct, text)
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What almost every test starts with: a server on a fresh temporary store and a free port, and a
/// scratch directory beside the store for device homes and other files. Both go when it is
/// dropped, the server first.
pub struct TestServer {
    /// The server; `TestServer` dereferences to it.
    pub server: Server,
    /// Its PostgreSQL cluster, on [`Backend::Postgres`] (dropped after the server).
    pub postgres: Option<crate::Postgres>,
    dir: tempfile::TempDir,
}

/// Which store a [`TestServer`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded sled store in the temporary directory (the default).
    Sled,
    /// A PostgreSQL cluster of its own in a temporary directory ([`crate::Postgres`]).
    Postgres,
}

impl TestServer {
    /// Starts a server on a fresh store.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// Starts a server on a fresh store with extra command-line options.
    pub fn start_with(options: &[&str]) -> TestServer {
        Self::start_on(Backend::Sled, options)
    }

    /// Starts a server on a fresh store of `backend` with extra command-line options.
    pub fn start_on(backend: Backend, options: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let postgres = (backend == Backend::Postgres).then(crate::Postgres::start_new);
        let mut launch = Server::launch(&dir.path().join("data"))
            .listen("127.0.0.1:0")
            .options(options);
        if let Some(pg) = &postgres {
            launch = launch.store(&pg.url());
        }
        let server = launch.start();
        TestServer {
            server,
            postgres,
            dir,
        }
    }

    /// Starts another instance of the server on this one's PostgreSQL database (several stateless
    /// instances behind one database), listening on a free port, its log in the scratch
    /// directory under `name`. Panics on the sled store, which one process owns.
    pub fn another_instance(&self, name: &str) -> Server {
        let store = self
            .server
            .store
            .as_ref()
            .expect("several instances share a PostgreSQL store, not sled");
        Server::launch(&self.path(name))
            .listen("127.0.0.1:0")
            .store(store)
            .start()
    }

    /// A path in the scratch directory (a device's home, a file to hand to a command).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The administrator's token.
    pub fn admin(&self) -> String {
        self.server.login_admin()
    }

    /// Starts the server again on the same store, listening on `listen` (after [`Server::kill`]
    /// or [`Server::stop`]; a server still running is killed first).
    pub fn start_again(&mut self, listen: &str) {
        self.server.kill();
        let mut launch = Server::launch(&self.server.data).listen(listen);
        if let Some(store) = &self.server.store {
            launch = launch.store(store);
        }
        self.server = launch.start();
    }
}

impl Deref for TestServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl DerefMut for TestServer {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}
