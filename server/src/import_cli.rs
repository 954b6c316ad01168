//! `carclub-server import`: a DMS export brought into a store (`domain::import`) from the command
//! line, as a named staff account (the administrator by default) whose permissions apply — a dry
//! run that prints what would happen, or the real run with a progress bar on a terminal. A sled
//! store must not be open in a running server; a PostgreSQL one may be (devices then receive the
//! imported files on their next sync after the server restarts, as its memory is rebuilt at start).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use carclub_server::domain::Core;
use carclub_server::domain::auth::Principal;
use carclub_server::domain::import::{self, Encoding, FileKind, Report, Run, Source};
use carclub_server::storage::{Location, Store};

/// The files and how to read them.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The customers file (CSV; docs/import.md).
    #[arg(long)]
    customers: Option<PathBuf>,
    /// The vehicles file.
    #[arg(long)]
    vehicles: Option<PathBuf>,
    /// The service visits file.
    #[arg(long)]
    visits: Option<PathBuf>,
    /// Read, validate and judge every row, print what would be added, updated or refused, and
    /// write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The files' encoding: `auto` reads valid UTF-8 as UTF-8 and anything else as GBK.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// The staff account the import is done as (its role and store decide what it may import).
    #[arg(long = "as", default_value = "admin")]
    user: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum EncodingArg {
    Auto,
    Utf8,
    Gbk,
}

impl From<EncodingArg> for Encoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Auto => Encoding::Auto,
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Gbk => Encoding::Gbk,
        }
    }
}

fn sources(args: &Args) -> anyhow::Result<Vec<Source>> {
    let mut out = Vec::new();
    for (kind, path) in [
        (FileKind::Customers, &args.customers),
        (FileKind::Vehicles, &args.vehicles),
        (FileKind::Visits, &args.visits),
    ] {
        if let Some(path) = path {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            out.push(Source { kind, name, bytes });
        }
    }
    Ok(out)
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let what = if report.dry_run {
        "dry run (nothing written)"
    } else {
        "imported"
    };
    println!("{what}:");
    for (name, c) in [
        ("customers", report.customers),
        ("vehicles", report.vehicles),
        ("visits", report.visits),
    ] {
        println!(
            "  {name:<9} added {:>7}  updated {:>7}  unchanged {:>7}  refused {:>7}",
            c.added, c.updated, c.unchanged, c.refused
        );
    }
    for r in &report.refused {
        println!("  refused {}:{}: {}", r.file, r.line, r.reason);
    }
    Ok(())
}

/// Imports `args`' files into the store at `location`, opened with a page cache of `cache_bytes`
/// (a large export on sled goes faster with a cache that holds the member files it rewrites).
pub fn run(location: &Location, cache_bytes: u64, args: &Args) -> anyhow::Result<()> {
    let sources = sources(args)?;
    let store: Arc<dyn Store> = location.open(cache_bytes).with_context(|| match location {
        Location::Sled(_) => format!(
            "opening {location} (a sled store cannot be imported into while a server has it \
                 open: stop the server, or import in the back office)"
        ),
        Location::Postgres(_) => format!("opening {location}"),
    })?;
    let mut core = Core::open(store).context("loading the store")?;
    let user = core
        .accounts
        .user_by_name(&args.user)?
        .with_context(|| format!("no staff account is named {:?}", args.user))?;
    anyhow::ensure!(!user.disabled, "the account {:?} is disabled", args.user);
    let assignment = core.accounts.assignment(&user)?;
    let p = Principal {
        user,
        device: None,
        member: None,
        assignment,
    };
    let plan = import::plan(&core, &p, &sources, args.encoding.into())?;
    if args.dry_run {
        let report = import::check(&core, &p, &plan)?;
        return print(&report, args.json);
    }
    let mut run = Run::new(plan);
    let bar = indicatif::ProgressBar::new(run.total_rows());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} rows ({per_sec}, {eta} left) {msg}",
    ) {
        bar.set_style(style);
    }
    bar.set_message("importing");
    while !run.finished() {
        run.step(&mut core, &p).context("importing")?;
        bar.set_position(run.done_rows);
        // For whoever watches a log rather than a terminal (and for tests).
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!("progress {}/{}", run.done_rows, run.total_rows());
        }
    }
    bar.finish_and_clear();
    core.store.flush().context("flushing the store")?;
    print(&run.report(), args.json)
}
