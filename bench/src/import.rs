//! `carclub-bench import`: the throughput of bringing a DMS export in (docs/import.md). It writes
//! an export of N customers, one vehicle each (half of them club members, half prospects) and
//! `visits` service visits per vehicle, lets the release server set up a fresh store and stops it,
//! then times `carclub-server import` on those files — every row parsed, validated, judged by the
//! engine and folded into member files, directory and indexes, 500 rows per committed batch — and
//! a second run of the same files (which changes nothing).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::server;

/// Writes the three files of an export of `customers` customers into `dir`.
fn write_export(dir: &Path, customers: usize, visits: usize) -> anyhow::Result<usize> {
    let mut c = String::from("customer_id,name,phone,member,card,joined,birthday\r\n");
    let mut v = String::from("customer_id,vin,plate,model,delivery,insurance_expiry\r\n");
    let mut s = String::from("vin,date,km,kind,amount\r\n");
    for i in 0..customers {
        let member = if i % 2 == 0 { "是" } else { "否" };
        writeln!(
            c,
            "B{i:07},客户{i},13{:09},{member},B-{i:07},2024-01-01,1980-05-{:02}\r",
            i,
            1 + i % 28
        )?;
        let vin = format!("LSVBN2180N{i:07}");
        writeln!(
            v,
            "B{i:07},{vin},粤D{:05},朗逸,2023-12-01,2026-12-01\r",
            i % 100_000
        )?;
        for j in 0..visits {
            let month = 1 + j % 12;
            let year = 2024 + j / 12;
            let kind = if j == 0 { "首保" } else { "定保" };
            writeln!(
                s,
                "{vin},{year}-{month:02}-15,{},{kind},{}.00\r",
                3000 * (j + 1),
                300 + j
            )?;
        }
    }
    std::fs::write(dir.join("customers.csv"), c)?;
    std::fs::write(dir.join("vehicles.csv"), v)?;
    std::fs::write(dir.join("visits.csv"), s)?;
    Ok(customers * (2 + visits))
}

fn import(data: &Path, dir: &Path, cache_mib: u64) -> anyhow::Result<(f64, String)> {
    let started = Instant::now();
    let out = Command::new(server::server_binary()?)
        .arg("--data")
        .arg(data)
        .arg("--store-cache-mib")
        .arg(cache_mib.to_string())
        .args([
            "import",
            "--customers",
            "customers.csv",
            "--vehicles",
            "vehicles.csv",
            "--visits",
            "visits.csv",
        ])
        .current_dir(dir)
        .output()
        .context("running carclub-server import")?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "carclub-server import failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((secs, stdout))
}

/// Times importing `customers` customers with `visits` visits per vehicle into a fresh store, the
/// import's store opened with a page cache of `cache_mib` MiB.
pub fn run(
    data: &Path,
    scratch: &Path,
    customers: usize,
    visits: usize,
    cache_mib: u64,
) -> anyhow::Result<()> {
    if data.exists() {
        bail!(
            "{} already exists: the import is timed on a fresh store",
            data.display()
        );
    }
    server::start(data)?.stop();
    let dir = scratch.join("export");
    std::fs::create_dir_all(&dir)?;
    let rows = write_export(&dir, customers, visits)?;
    println!(
        "export: {customers} customers, {customers} vehicles, {} service visits ({rows} rows)",
        customers * visits
    );
    println!("the import's store page cache: {cache_mib} MiB");
    let (secs, report) = import(data, &dir, cache_mib)?;
    print!("{report}");
    println!(
        "import: {rows} rows in {secs:.1} s = {:.0} rows/s",
        rows as f64 / secs
    );
    let (again, _) = import(data, &dir, cache_mib)?;
    println!(
        "the same files again (nothing changes): {again:.1} s = {:.0} rows/s",
        rows as f64 / again
    );
    Ok(())
}
