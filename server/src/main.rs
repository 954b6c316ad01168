//! `carclub-server`: the membership club's server.

mod import_cli;
mod notify_cli;
mod simulate;
mod transfer;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The carclub server: HTTP API, sync endpoint and web app on an embedded store.
#[derive(Parser, Debug)]
#[command(name = "carclub-server", version, about)]
struct Cli {
    /// Directory of the embedded store (the default store: `sled:DIR`).
    #[arg(long, default_value = "./data", global = true)]
    data: PathBuf,
    /// The store, instead of `--data`: `sled:DIR` or `postgres://user@host/db` (a unix socket as
    /// `postgres://user@%2Frun%2Fpostgresql/db`).
    #[arg(long, env = "CARCLUB_STORE", hide_env_values = true, global = true)]
    store: Option<carclub_server::storage::Location>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the built web app (default: web/dist beside the working directory or the sources).
    #[arg(long)]
    web: Option<PathBuf>,
    /// Most member files and other documents kept in memory (least recently used ones leave).
    #[arg(long, default_value_t = carclub_server::domain::Limits::default().cache_docs)]
    cache_docs: usize,
    /// The store's in-memory page cache, in MiB (the server's, and the `import` command's).
    #[arg(long, default_value_t = carclub_server::storage::DEFAULT_CACHE_BYTES / (1024 * 1024))]
    store_cache_mib: u64,
    /// Most documents listed in one page of a device's heads summary.
    #[arg(long, default_value_t = carclub_server::domain::Limits::default().summary_page)]
    summary_page: usize,
    /// Seconds between two runs of the care scheduler (it also runs at start-up).
    #[arg(long, default_value_t = 300)]
    care_interval_secs: u64,
    /// Test only: read the business clock (an RFC 3339 moment) from this file on every use.
    #[arg(long, hide = true)]
    clock_file: Option<PathBuf>,
    #[command(flatten)]
    notify: notify_cli::NotifyArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Computes a member's state from a program and a file of events, and prints it as JSON.
    Simulate(simulate::Args),
    /// Prints the API description the server serves at /api/openapi.json (pretty JSON); opens no
    /// store.
    Openapi,
    /// Writes a backup of the store (`--store` or `--data`) at one moment to a file. A PostgreSQL
    /// store is backed up while it serves; a sled store only when no server has it open (a
    /// serving sled store: `GET /api/admin/backup` as the administrator).
    Backup {
        /// The backup file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restores a backup into the store (`--store` or `--data`), which must be empty; the file
    /// is checked whole before anything is written.
    Restore {
        /// The backup file to read.
        #[arg(long)]
        from: PathBuf,
    },
    /// Copies a whole store into an empty one (sled to PostgreSQL or back) and checks the copy.
    Migrate {
        /// The store to copy: `sled:DIR` or `postgres://…`.
        #[arg(long)]
        from: carclub_server::storage::Location,
        /// The empty store to copy into.
        #[arg(long)]
        to: carclub_server::storage::Location,
    },
    /// Prints the count, bytes and checksum of the store (`--store` or `--data`) at one moment.
    Checksum,
    /// Brings customers, vehicles and service visits in from a DMS export (CSV files,
    /// docs/import.md) into the store (`--store` or `--data`); `--dry-run` only reports.
    Import(import_cli::Args),
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let store = cli
        .store
        .clone()
        .unwrap_or_else(|| carclub_server::storage::Location::Sled(cli.data.clone()));
    match cli.command {
        Some(Command::Backup { out }) => transfer::backup(&store, &out),
        Some(Command::Restore { from }) => transfer::restore(&store, &from),
        Some(Command::Migrate { from, to }) => transfer::migrate(&from, &to),
        Some(Command::Checksum) => transfer::checksum(&store),
        Some(Command::Import(args)) => {
            import_cli::run(&store, cli.store_cache_mib.max(1) * 1024 * 1024, &args)
        }
        Some(Command::Simulate(args)) => simulate::run(&args),
        Some(Command::Openapi) => {
            use std::io::Write;
            let text = carclub_server::http::description_json()?;
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        None => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,sled=warn,tower_http=info".into()),
                )
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            if let Some(path) = cli.clock_file {
                tracing::warn!(file = %path.display(), "the business clock is read from a file (test only)");
                carclub_server::domain::club::use_clock_file(path);
            }
            let notify = cli.notify.config()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(carclub_server::app::serve(carclub_server::app::Options {
                notify,
                store,
                listen: cli.listen,
                web: cli.web,
                store_cache_mib: cli.store_cache_mib.max(1),
                care_interval: std::time::Duration::from_secs(cli.care_interval_secs.max(1)),
                limits: carclub_server::domain::Limits {
                    cache_docs: cli.cache_docs.max(1),
                    summary_page: cli.summary_page.max(1),
                },
            }))
        }
    }
}
