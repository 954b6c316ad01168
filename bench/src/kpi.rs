//! `carclub-bench kpi`: the time the server takes to compute one month's figures (docs/kpis.md)
//! for a store of N members. The store is populated through sync as the other scenarios do (desk
//! enrollments, today), then the server starts again with its business clock on the 1st of the
//! month after (`--clock-file`): its own run computes the month at start-up, and the benchmark
//! then times `POST /api/kpis/compute` for that month — every member projected at the end of the
//! month and of the two before, the store's care tasks, appointments, club events and complaints
//! read, the figures and the members behind them written in one batch.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use carclub_shared::Timestamp;
use carclub_shared::complaints::Month;
use serde_json::json;

use crate::server::{self, ADMIN_PASSWORD, Measured, Server};

/// Populates (or reuses) `data` with `members`, then times computing their month `runs` times.
pub fn run(data: &Path, members: usize, seeders: usize, runs: usize) -> anyhow::Result<()> {
    crate::server_with(data, members, seeders)?.stop();
    // The members were enrolled this month: their month is computed from the 1st of the next.
    let month = Month::of(Timestamp::from_millis(carclub_client::native::now_ms()));
    let first = month.next().start();
    let clock = data.with_extension("clock");
    std::fs::write(
        &clock,
        carclub_tests::time::ts(first.millis() + 9 * 3_600_000),
    )?;
    let mut server = Server::launch(data)
        .binary(server::server_binary()?)
        .options([std::ffi::OsStr::new("--clock-file"), clock.as_os_str()])
        .options(["--care-interval-secs", "86400"])
        .options(crate::server_args())
        .admin_password(ADMIN_PASSWORD)
        .ready_within(Duration::from_secs(600))
        .http_timeout(Duration::from_secs(3600))
        .stop_within(Duration::from_secs(60))
        .try_start()?;
    let token = server.try_login("admin", ADMIN_PASSWORD)?;
    // The start-up run: the care rules for every member, then the month's figures.
    let started = Instant::now();
    loop {
        let (s, v) = server.get(&format!("/api/kpis?from={month}&to={month}"), Some(&token));
        if s != 200 {
            bail!("GET /api/kpis answered {s}: {v}");
        }
        if v["months"][0]["computed"] == true {
            break;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("the start-up run did not compute {month} within an hour");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    println!(
        "kpi: the start-up run (care rules, then the figures of {month}) done {:.1} s after ready",
        started.elapsed().as_secs_f64()
    );
    for r in 1..=runs {
        let cpu0 = server.cpu();
        let t = Instant::now();
        let (s, v) = server.post(
            "/api/kpis/compute",
            &json!({"month": month.to_string()}),
            Some(&token),
        );
        let took = t.elapsed();
        if s != 200 {
            bail!("POST /api/kpis/compute answered {s}: {v}");
        }
        let kept = v["months"].as_array().context("the months computed")?;
        let figure = |kpi: &str| {
            kept.iter()
                .filter_map(|m| m["figures"].as_array())
                .flatten()
                .find(|f| f["kpi"] == kpi)
                .map(|f| f["value"].clone())
        };
        let cpu = server.cpu().zip(cpu0).map(|(a, b)| a - b);
        println!(
            "kpi run {r}: {month} for {} store(s), {members} members in {:.2} s (server CPU {}, \
             VmRSS {}); members joined {}",
            kept.len(),
            took.as_secs_f64(),
            cpu.map_or("n/a".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            server
                .rss_kib()
                .map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
            figure("members_joined").unwrap_or_default(),
        );
    }
    server.stop();
    let _ = std::fs::remove_file(&clock);
    Ok(())
}
