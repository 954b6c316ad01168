//! The official JS client fetching member files: `bench/js/fetch-many.mjs` drives
//! `@automerge/automerge-repo` (node) with its WebSocket adapter against a populated server, N
//! member files with `--in-flight` requests at a time, and prints its CPU, wall time and bytes;
//! this prints them with the server's CPU beside. Needs Node.js and `npm ci --prefix bench/js`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use carclub_protocol::docs;
use carclub_shared::MemberId;

use crate::server::{self, Measured};
use crate::{secs, server_with, wire};

pub fn run(
    data: &Path,
    tmp: &Path,
    members: usize,
    seeders: usize,
    in_flight: usize,
) -> anyhow::Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("js/fetch-many.mjs");
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("js/node_modules/@automerge/automerge-repo")
        .exists()
    {
        bail!("the JS client is not installed: run `npm ci --prefix bench/js` first");
    }
    let mut server = server_with(data, members, seeders)?;
    let token = server.try_login("admin", server::ADMIN_PASSWORD)?;
    let urls = member_urls(&server, &token)?;
    let list = tmp.join("member-urls.txt");
    std::fs::write(&list, urls.join("\n"))?;
    let device = wire::register(&server.base, "js client")?;
    let url = device.sync_url(&server.base);
    let cpu0 = server.cpu();
    let out = Command::new("node")
        .arg(&script)
        .args(["--url", &url, "--docs"])
        .arg(&list)
        .args(["--in-flight", &in_flight.to_string()])
        .output()
        .context("running node (is Node.js installed?)")?;
    let cpu = server.cpu().zip(cpu0).map(|(a, b)| a - b);
    if !out.status.success() {
        bail!(
            "the JS client failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .with_context(|| format!("the JS client printed {line:?}"))?;
    let ms = |k: &str| v[k].as_u64().unwrap_or(0);
    let client_cpu = ms("cpu_user_ms") + ms("cpu_system_ms");
    let fetched = ms("fetched");
    println!(
        "JS client (automerge-repo) fetching {fetched} of {} member files, {in_flight} in flight: \
         {:.1} s wall, client CPU {:.1} s ({:.1} ms a file), {} B read and {} B written on its \
         socket, server CPU {}",
        urls.len(),
        ms("wall_ms") as f64 / 1000.0,
        client_cpu as f64 / 1000.0,
        client_cpu as f64 / fetched.max(1) as f64,
        ms("bytes_read"),
        ms("bytes_written"),
        secs(cpu),
    );
    server.stop();
    Ok(())
}

/// Every member file's document URL, from the back office's member list.
fn member_urls(server: &server::Server, token: &str) -> anyhow::Result<Vec<String>> {
    let mut urls = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/members?limit=1000&after={a}"),
            None => "/api/members?limit=1000".to_owned(),
        };
        let (status, page) = server.get(&path, Some(token));
        if status != 200 {
            bail!("the member list answered {status}: {page}");
        }
        for m in page["members"].as_array().into_iter().flatten() {
            let id: MemberId = m["id"]
                .as_str()
                .context("a member without an id")?
                .parse()
                .map_err(|e| anyhow::anyhow!("member id: {e:?}"))?;
            urls.push(docs::member_id(id).url());
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok(urls),
        }
    }
}
