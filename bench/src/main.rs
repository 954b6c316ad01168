//! `carclub-bench`: starts the real release `carclub-server` on a temporary store, drives real
//! devices (client-core, in this process) against it, and prints figures. It asserts nothing about
//! time; `BENCHMARKS.md` records what it printed.
//!
//! ```sh
//! cargo build --release -p carclub-server
//! cargo run --release -p carclub-bench -- first-sync --members 10000
//! ```

mod import;
mod js_client;
mod kpi;
mod server;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use carclub_client::native::{DirStore, now_ms};
use carclub_client::{Device, EnrollInput};
use carclub_protocol::docs::Outcome;
use clap::{Parser, Subcommand};

use server::{Measured, Server};
use wire::{SyncStats, Until};

/// Members one device can enroll (its card block).
const CARD_BLOCK: usize = 200;
static PER_DEVICE_CELL: OnceLock<usize> = OnceLock::new();
static SERVER_ARGS: OnceLock<Vec<String>> = OnceLock::new();
static STORE_URL: OnceLock<Option<String>> = OnceLock::new();

/// The PostgreSQL database every server the benchmark starts uses (`--postgres`), or none (sled in
/// the data directory).
fn store_url() -> Option<&'static str> {
    STORE_URL.get().and_then(Option::as_deref)
}

/// Extra options every server the benchmark starts gets.
fn server_args() -> &'static [String] {
    SERVER_ARGS.get().map_or(&[], Vec::as_slice)
}

/// Members each seeding device enrolls.
fn per_device() -> usize {
    *PER_DEVICE_CELL.get().unwrap_or(&CARD_BLOCK)
}

/// The longest any one sync may take before the benchmark gives up.
const SYNC_TIMEOUT: Duration = Duration::from_secs(3600);

#[derive(Parser)]
#[command(about = "carclub benchmarks: the real server, real devices, printed figures")]
struct Cli {
    /// Keep the server's data here instead of a temporary directory (reused if it already holds
    /// a population of the same size).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Seeding devices working at once.
    #[arg(long, global = true, default_value_t = 2)]
    seeders: usize,
    /// Members each seeding device enrolls (at most its block of 200 cards).
    #[arg(long, global = true, default_value_t = 50)]
    per_device: usize,
    /// An option for the server, e.g. `--server-arg=--cache-docs=5000` (repeatable).
    #[arg(long = "server-arg", global = true, allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Run the servers on PostgreSQL: a cluster of the benchmark's own in a temporary directory
    /// (initdb and pg_ctl as the tests' harness does, a unix socket), instead of sled.
    #[arg(long, global = true)]
    postgres: bool,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// A fresh device's first sync against a store of N member files.
    FirstSync {
        #[arg(long, default_value_t = 10_000)]
        members: usize,
    },
    /// Re-sync of a device holding N member files after K of them changed.
    Resync {
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        #[arg(long, default_value_t = 10)]
        changed: usize,
    },
    /// Many devices recording visits and syncing at once.
    Concurrent {
        #[arg(long, default_value_t = 100)]
        devices: usize,
        /// Visits (a start and an end event each) a device records between syncs.
        #[arg(long, default_value_t = 5)]
        visits: usize,
        /// How many times each device records and syncs.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Servers on the one store, the devices spread over them in turn (needs `--postgres`).
        #[arg(long, default_value_t = 1)]
        instances: usize,
    },
    /// Server memory with N member files, after populating and after a restart.
    Memory {
        #[arg(long, default_value_t = 100_000)]
        members: usize,
    },
    /// The time to compute a month's figures (docs/kpis.md) for a store of N members.
    Kpi {
        #[arg(long, default_value_t = 100_000)]
        members: usize,
        /// Computations to time.
        #[arg(long, default_value_t = 2)]
        runs: usize,
    },
    /// The throughput of `carclub-server import`: N customers, one vehicle each, V service visits
    /// per vehicle (docs/import.md), into a fresh store.
    Import {
        #[arg(long, default_value_t = 100_000)]
        customers: usize,
        #[arg(long, default_value_t = 5)]
        visits: usize,
        /// The import command's store page cache (`--store-cache-mib`), in MiB.
        #[arg(long, default_value_t = 512)]
        cache_mib: u64,
    },
    /// The official JS automerge-repo client (node, `bench/js`) fetching N member files from a
    /// populated server: its CPU, wall time and bytes, and the server's CPU.
    JsClient {
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Documents requested at a time.
        #[arg(long, default_value_t = 100)]
        in_flight: usize,
    },
    /// Time from process start to `/healthz` with N member files in the store.
    Startup {
        #[arg(long, default_value_t = 100_000)]
        members: usize,
        /// Restarts to time.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    PER_DEVICE_CELL
        .set(cli.per_device.clamp(1, CARD_BLOCK))
        .map_err(|_| anyhow::anyhow!("set twice"))?;
    SERVER_ARGS
        .set(cli.server_args.clone())
        .map_err(|_| anyhow::anyhow!("set twice"))?;
    if cli.postgres && cli.data.is_some() {
        bail!("--data keeps a sled store between runs; with --postgres every run starts afresh");
    }
    let postgres = if cli.postgres {
        Some(
            carclub_tests::Postgres::try_start()
                .map_err(|e| anyhow::anyhow!("PostgreSQL did not start: {e}"))?,
        )
    } else {
        None
    };
    STORE_URL
        .set(postgres.as_ref().map(carclub_tests::Postgres::url))
        .map_err(|_| anyhow::anyhow!("set twice"))?;
    let tmp = tempfile::tempdir()?;
    let data = match &cli.data {
        Some(d) => d.clone(),
        None => tmp.path().join("data"),
    };
    if let Some(parent) = data.parent() {
        std::fs::create_dir_all(parent)?;
    }
    println!(
        "machine: {} cores; server: {}; store: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server::server_binary()?.display(),
        if postgres.is_some() {
            "PostgreSQL (a cluster of its own, unix socket)"
        } else {
            "sled"
        }
    );
    let result = match cli.scenario {
        Scenario::FirstSync { members } => first_sync(&data, tmp.path(), members, cli.seeders),
        Scenario::Resync { members, changed } => {
            resync(&data, tmp.path(), members, changed, cli.seeders)
        }
        Scenario::Concurrent {
            devices,
            visits,
            rounds,
            instances,
        } => concurrent(&data, devices, visits, rounds, instances),
        Scenario::Memory { members } => memory(&data, members, cli.seeders),
        Scenario::Startup { members, runs } => startup(&data, members, cli.seeders, runs),
        Scenario::Kpi { members, runs } => kpi::run(&data, members, cli.seeders, runs),
        Scenario::JsClient { members, in_flight } => {
            js_client::run(&data, tmp.path(), members, cli.seeders, in_flight)
        }
        Scenario::Import {
            customers,
            visits,
            cache_mib,
        } => import::run(&data, tmp.path(), customers, visits, cache_mib),
    };
    // The servers have stopped; the cluster goes last.
    drop(postgres);
    result
}

/// The enrollment of the `i`-th benchmark member (unique VIN, phone, receipt).
fn enrollment(i: usize, tag: &str) -> EnrollInput {
    EnrollInput {
        name: format!("会员{i}"),
        phone: format!("139{:08}", i % 100_000_000),
        vin: format!("LBV{i:014}"),
        plate: format!("粤B{:05}", i % 100_000),
        tier: "standard".into(),
        fee_fen: 18000,
        receipt: Some(format!("R-{tag}-{i}")),
        card: None,
        id_number: None,
        model: None,
        documents_seen: Vec::new(),
        channel: None,
        referrer: None,
    }
}

/// Counts of what a device's events came to.
fn outcome_counts(device: &Device) -> (usize, usize) {
    let outcomes = device.outcomes();
    let accepted = outcomes
        .values()
        .filter(|o| matches!(o, Outcome::Accepted { .. }))
        .count();
    (accepted, outcomes.len() - accepted)
}

/// Enrolls `members` members through `ceil(members / per_device)` registered devices, each enrolling
/// offline and then syncing until every event is acknowledged (journal and status only).
fn populate(base: &str, members: usize, first: usize, seeders: usize) -> anyhow::Result<Duration> {
    let per = per_device();
    let devices = members.div_ceil(per);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..seeders.max(1) {
            s.spawn(|| {
                let run = || -> anyhow::Result<()> {
                    loop {
                        let d = next.fetch_add(1, Ordering::Relaxed);
                        if d >= devices {
                            return Ok(());
                        }
                        let mut device = wire::register(base, &format!("seeder {d}"))?;
                        let from = first + d * per;
                        let to = (first + members).min(from + per);
                        for i in from..to {
                            device.enroll_input(enrollment(i, "S"), now_ms())?;
                        }
                        wire::sync(&mut device, base, None, Until::Acknowledged, SYNC_TIMEOUT)?;
                        let (accepted, rejected) = outcome_counts(&device);
                        if rejected > 0 || accepted != to - from {
                            bail!("seeder {d}: {accepted} accepted, {rejected} rejected");
                        }
                        let n = done.fetch_add(to - from, Ordering::Relaxed) + to - from;
                        if n % 5000 < per || n == members {
                            eprintln!(
                                "  populated {n}/{members} members in {:.1} s",
                                started.elapsed().as_secs_f64()
                            );
                        }
                    }
                };
                if let Err(e) = run() {
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    next.store(usize::MAX / 2, Ordering::Relaxed);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(started.elapsed())
}

/// Starts a server on `data` holding `members` members, populating it if it does not yet.
fn server_with(data: &Path, members: usize, seeders: usize) -> anyhow::Result<Server> {
    let marker = data.with_extension("members");
    let held: Option<usize> = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let server = server::start(data)?;
    match held {
        Some(n) if n == members => {
            println!("reusing {} ({members} members)", data.display());
        }
        Some(n) => bail!(
            "{} holds {n} members, not {members}: use another --data",
            data.display()
        ),
        None => {
            let cpu0 = server.cpu();
            let took = populate(&server.base, members, 0, seeders)?;
            std::fs::write(&marker, members.to_string())?;
            let cpu = server.cpu().zip(cpu0).map(|(a, b)| a - b);
            println!(
                "populate: {members} members by {} devices ({seeders} at once) in {:.1} s \
                 ({:.0} enrollments/s), server CPU {}",
                members.div_ceil(per_device()),
                took.as_secs_f64(),
                members as f64 / took.as_secs_f64(),
                secs(cpu)
            );
        }
    }
    Ok(server)
}

fn secs(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| format!("{:.2} s", d.as_secs_f64()))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// A fresh device registers and syncs until complete; prints what it cost.
fn fresh_device_sync(
    server: &Server,
    home: &Path,
    expect: usize,
) -> anyhow::Result<(Device, DirStore, SyncStats)> {
    let store = DirStore::open(home)?;
    let mut device = wire::register(&server.base, "measured device")?;
    store.write(device.take_dirty())?;
    let cpu0 = server.cpu();
    let stats = wire::sync(
        &mut device,
        &server.base,
        Some(&store),
        Until::Complete,
        SYNC_TIMEOUT,
    )?;
    let cpu = server.cpu().zip(cpu0).map(|(a, b)| a - b);
    let held = device.members().len();
    println!("first sync: {}", stats.line());
    probe(&store)?;
    println!(
        "first sync: {} B on the wire, {} frames, server CPU {}, device shows {held} members \
         (expected {expect})",
        stats.wire_total(),
        stats.frames(),
        secs(cpu)
    );
    Ok((device, store, stats))
}

/// Times, on a copy of the device loaded from its store, opening it and building its member view.
fn probe(store: &DirStore) -> anyhow::Result<()> {
    let t = Instant::now();
    let copy = Device::open(store.load_all()?)?;
    let open_took = t.elapsed();
    let t = Instant::now();
    let shown = copy.members().len();
    let members_took = t.elapsed();
    println!(
        "device cost per call: Device::open {:.1} ms, members() {:.1} ms ({shown} members)",
        open_took.as_secs_f64() * 1000.0,
        members_took.as_secs_f64() * 1000.0,
    );
    Ok(())
}

fn first_sync(data: &Path, tmp: &Path, members: usize, seeders: usize) -> anyhow::Result<()> {
    let mut server = server_with(data, members, seeders)?;
    fresh_device_sync(&server, &tmp.join("device"), members)?;
    server.stop();
    Ok(())
}

fn resync(
    data: &Path,
    tmp: &Path,
    members: usize,
    changed: usize,
    seeders: usize,
) -> anyhow::Result<()> {
    let mut server = server_with(data, members, seeders)?;
    let (mut device, store, first) = fresh_device_sync(&server, &tmp.join("device"), members)?;

    // A sync with nothing changed.
    let idle = wire::sync(
        &mut device,
        &server.base,
        Some(&store),
        Until::Complete,
        SYNC_TIMEOUT,
    )?;
    println!("re-sync, nothing changed: {}", idle.line());

    // Another device enrolls `changed` members whose VINs collide with existing members: each
    // existing member's file changes (it now carries a conflict), and new members appear.
    let mut other = wire::register(&server.base, "colliding device")?;
    for k in 0..changed {
        let existing = k * (members / changed.max(1)).max(1);
        let mut e = enrollment(members + k, "C");
        e.vin = enrollment(existing, "S").vin;
        other.enroll_input(e, now_ms())?;
    }
    let up = wire::sync(
        &mut other,
        &server.base,
        None,
        Until::Acknowledged,
        SYNC_TIMEOUT,
    )?;
    println!("colliding device upload: {}", up.line());

    let cpu0 = server.cpu();
    let again = wire::sync(
        &mut device,
        &server.base,
        Some(&store),
        Until::Complete,
        SYNC_TIMEOUT,
    )?;
    let cpu = server.cpu().zip(cpu0).map(|(a, b)| a - b);
    println!("re-sync after {changed} members changed: {}", again.line());
    println!(
        "re-sync: {} B on the wire, {} frames, server CPU {}; {:.2} % of the first sync's bytes, \
         {:.2} % of its frames; device shows {} members",
        again.wire_total(),
        again.frames(),
        secs(cpu),
        100.0 * again.wire_total() as f64 / first.wire_total() as f64,
        100.0 * again.frames() as f64 / first.frames() as f64,
        device.members().len(),
    );
    server.stop();
    Ok(())
}

fn concurrent(
    data: &Path,
    devices: usize,
    visits: usize,
    rounds: usize,
    instances: usize,
) -> anyhow::Result<()> {
    if instances > 1 && store_url().is_none() {
        bail!("several instances share a PostgreSQL store: add --postgres");
    }
    let mut servers = vec![server::start(data)?];
    for i in 1..instances.max(1) {
        servers.push(server::start(
            &data.with_extension(format!("instance-{i}")),
        )?);
    }
    // Device d talks to server d mod instances, always the same one.
    let bases: Vec<String> = (0..devices)
        .map(|d| servers[d % servers.len()].base.clone())
        .collect();
    let mut fleet = Vec::with_capacity(devices);
    for (d, base) in bases.iter().enumerate() {
        fleet.push(wire::register(base, &format!("field device {d}"))?);
    }
    // A first sync each, so the measured rounds are steady state.
    for (device, base) in fleet.iter_mut().zip(&bases) {
        wire::sync(device, base, None, Until::Complete, SYNC_TIMEOUT)?;
    }
    let cpu_of = |servers: &[Server]| -> Option<Duration> {
        servers.iter().map(Measured::cpu).sum::<Option<Duration>>()
    };
    let latencies: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
    let acknowledged = AtomicUsize::new(0);
    let cpu0 = cpu_of(&servers);
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = fleet
            .iter_mut()
            .zip(&bases)
            .map(|(device, base)| {
                let (latencies, acknowledged) = (&latencies, &acknowledged);
                s.spawn(move || -> anyhow::Result<()> {
                    for round in 0..rounds {
                        for v in 0..visits {
                            device.start_visit(&format!("园区 {round}-{v}"), now_ms())?;
                            device.end_visit("", now_ms())?;
                        }
                        let before = device.pending_events();
                        let t = Instant::now();
                        wire::sync(device, base, None, Until::Complete, SYNC_TIMEOUT)?;
                        let took = t.elapsed();
                        acknowledged.fetch_add(before - device.pending_events(), Ordering::Relaxed);
                        latencies
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(took);
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a device thread panicked"))
            })
            .collect()
    });
    let wall = started.elapsed();
    for r in results {
        r?;
    }
    let cpu = cpu_of(&servers).zip(cpu0).map(|(a, b)| a - b);
    let mut l = latencies.into_inner().unwrap_or_else(|p| p.into_inner());
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1];
    let acked = acknowledged.into_inner();
    println!(
        "concurrent: {devices} devices over {} server(s) x {rounds} rounds x {visits} visits: \
         {acked} events acknowledged in {:.2} s = {:.0} events/s; {} syncs, latency p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms; server CPU {}",
        servers.len(),
        wall.as_secs_f64(),
        acked as f64 / wall.as_secs_f64(),
        l.len(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        secs(cpu)
    );
    for server in &mut servers {
        server.stop();
    }
    Ok(())
}

fn memory(data: &Path, members: usize, seeders: usize) -> anyhow::Result<()> {
    let mut server = server_with(data, members, seeders)?;
    println!(
        "memory after populating {members}: VmRSS {}, VmHWM {}",
        mib(server.rss_kib()),
        mib(server.peak_rss_kib())
    );
    server.stop();
    let mut server = server::start(data)?;
    println!(
        "memory after a restart with {members}: VmRSS {} (ready in {:.2} s)",
        mib(server.rss_kib()),
        server.ready_after.as_secs_f64()
    );
    let token = server.try_login("admin", server::ADMIN_PASSWORD)?;
    let listed = server.member_count(&token)?;
    println!(
        "memory after a back-office member list ({listed} listed): VmRSS {}",
        mib(server.rss_kib())
    );
    server.stop();
    Ok(())
}

fn startup(data: &Path, members: usize, seeders: usize, runs: usize) -> anyhow::Result<()> {
    server_with(data, members, seeders)?.stop();
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let mut server = server::start(data).context("restarting")?;
        times.push(server.ready_after);
        server.stop();
    }
    let shown: Vec<String> = times
        .iter()
        .map(|t| format!("{:.3} s", t.as_secs_f64()))
        .collect();
    println!(
        "startup with {members} members: process start to /healthz 200 in {}",
        shown.join(", ")
    );
    Ok(())
}
