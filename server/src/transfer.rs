//! `carclub-server backup`, `restore`, `migrate` and `checksum`: whole stores moved and checked
//! (`storage::backup`), with a progress bar on a terminal and the summary printed at the end.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use carclub_server::storage::{DEFAULT_CACHE_BYTES, Location, Store, backup};

/// Opens `location`, saying how a sled store in use can be backed up instead.
fn open(location: &Location) -> anyhow::Result<Arc<dyn Store>> {
    location
        .open(DEFAULT_CACHE_BYTES)
        .with_context(|| match location {
            Location::Sled(_) => format!(
                "opening {location} (if a server is running on it, take its backup with \
             GET /api/admin/backup as the administrator)"
            ),
            Location::Postgres(_) => format!("opening {location}"),
        })
}

/// A spinner counting records on stderr, drawn only on a terminal.
fn progress(what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} records") {
        bar.set_style(style);
    }
    bar.set_message(what);
    bar
}

pub fn backup(store: &Location, out: &Path) -> anyhow::Result<()> {
    let source = open(store)?;
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let bar = progress("backing up");
    let summary = backup::backup(&*source, file, &mut |n| bar.set_position(n))
        .with_context(|| format!("backing up {store}"))?;
    bar.finish_and_clear();
    println!("backup of {store} written to {}: {summary}", out.display());
    Ok(())
}

pub fn restore(store: &Location, from: &Path) -> anyhow::Result<()> {
    let target = open(store)?;
    let bar = progress("restoring");
    let summary = backup::restore(&*target, from, &mut |n| bar.set_position(n))
        .with_context(|| format!("restoring {} into {store}", from.display()))?;
    bar.finish_and_clear();
    println!("restored {} into {store}: {summary}", from.display());
    Ok(())
}

pub fn migrate(from: &Location, to: &Location) -> anyhow::Result<()> {
    let source = open(from)?;
    let target = open(to)?;
    let bar = progress("copying");
    let summary = backup::migrate(&*source, &*target, &mut |n| bar.set_position(n))
        .with_context(|| format!("migrating {from} to {to}"))?;
    bar.finish_and_clear();
    println!("migrated {from} to {to}: {summary}");
    Ok(())
}

pub fn checksum(store: &Location) -> anyhow::Result<()> {
    let source = open(store)?;
    let summary = backup::digest(&*source).with_context(|| format!("reading {store}"))?;
    println!("{store}: {summary}");
    Ok(())
}
