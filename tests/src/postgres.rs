//! A real PostgreSQL server in a temporary directory, for the server's PostgreSQL store: `initdb`
//! and `pg_ctl` from Debian's `postgresql` package (`scripts/test` installs it), a unix socket in
//! the directory and no TCP. PostgreSQL refuses to run as root, so as root the cluster belongs to
//! the `postgres` user and its programs run through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::Error;

/// A PostgreSQL cluster of its own; stopped (immediately) and removed when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    running: bool,
}

/// The directory of PostgreSQL's server programs: beside `initdb` on the `PATH`, or Debian's
/// newest `/usr/lib/postgresql/*/bin`.
fn bindir() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.is_file() {
                let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
                return Ok(real.parent().unwrap_or(&dir).to_owned());
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            Error::new(format!(
                "PostgreSQL is not installed ({e}); scripts/test installs it"
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| {
        Error::new("no initdb under /usr/lib/postgresql; scripts/test installs PostgreSQL")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// Creates a cluster in a new temporary directory and starts it; the database `carclub`
    /// exists.
    pub fn try_start() -> Result<Postgres, Error> {
        let bin = bindir()?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("carclub-pg")
            .tempdir()
            .map_err(|e| Error::new(format!("a temporary directory: {e}")))?;
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| Error::new(format!("chown: {e}")))?;
            if !status.success() {
                return Err(Error::new(
                    "the postgres user cannot own the cluster directory",
                ));
            }
        }
        let mut pg = Postgres {
            dir,
            bin,
            as_postgres,
            running: false,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        pg.start()?;
        pg.run(
            "createdb",
            &["-h", &pg.socket_dir(), "-U", "postgres", "carclub"],
        )?;
        Ok(pg)
    }

    /// Like [`Postgres::try_start`]; panics saying why PostgreSQL did not start.
    pub fn start_new() -> Postgres {
        Self::try_start().unwrap_or_else(|e| panic!("PostgreSQL did not start: {e}"))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The directory of the unix socket (the cluster's own directory).
    pub fn socket_dir(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// The URL of database `db`, over the unix socket.
    pub fn url_of(&self, db: &str) -> String {
        let host: String = self
            .socket_dir()
            .bytes()
            .map(|b| match b {
                b'/' => "%2F".to_owned(),
                _ => (b as char).to_string(),
            })
            .collect();
        format!("postgres://postgres@{host}/{db}")
    }

    /// The URL of the database `carclub`.
    pub fn url(&self) -> String {
        self.url_of("carclub")
    }

    /// Creates another database; its URL.
    pub fn create_db(&self, name: &str) -> String {
        let socket = self.socket_dir();
        self.run("createdb", &["-h", &socket, "-U", "postgres", name])
            .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
        self.url_of(name)
    }

    /// Starts the cluster (again), waiting until it accepts connections.
    pub fn start(&mut self) -> Result<(), Error> {
        let data = self.data();
        let log = self.dir.path().join("postgres.log").display().to_string();
        let options = format!(
            "-c listen_addresses='' -k {} -c shared_buffers=16MB -c max_connections=40",
            self.socket_dir()
        );
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        )?;
        self.running = true;
        Ok(())
    }

    /// Stops the cluster at once (`pg_ctl stop -m immediate`): what it committed is kept.
    pub fn stop(&mut self) {
        let data = self.data();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        self.running = false;
    }

    /// The cluster's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, Error> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        // The cluster's programs must not inherit a working directory postgres cannot read.
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd
            .output()
            .map_err(|e| Error::new(format!("running {}: {e}", exe.display())))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default();
            return Err(Error::new(format!(
                "{program} {args:?} failed ({}): {}{}\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            )));
        }
        Ok(out)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            self.stop();
        }
    }
}
