//! A full disk: the server's store on a small tmpfs, filled to the last byte while devices upload
//! and the back office records operations. Every write is then refused with a clear error (a sync
//! frame with `disk_full` the device reports and retries later, an API write with 507
//! `disk_full` in both languages), reads go on (the member list), and nothing acknowledged is lost; once space is
//! freed the same server writes again, and after a restart on the same store everything
//! acknowledged is still there.
//!
//! Mounting needs root (CI runs the test command as root on a fresh machine); elsewhere the test
//! prints that it was skipped and why.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use carclub_client::native;
use carclub_tests::{ADMIN_PASSWORD, Server};

use super::sigkill_loop::{
    Acked, ApiAcked, Office, Rng, api, assert_all_acked_present, assert_api_acked_present,
    enroll_a_few, listed, office_worker, open_device, record_acks, sync_once,
};

const DEVICES: usize = 3;
/// Enrollments per device at most (inside its block of cards).
const PER_DEVICE: usize = 60;

/// A tmpfs of `mib` MiB mounted on a fresh directory; unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m"),
                "carclub-full-disk",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs was refused: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the disk refuses a byte more; its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("the filler file");
        for size in [1 << 20, 4096, 1] {
            let chunk = vec![0x5a_u8; size];
            loop {
                match file.write(&chunk) {
                    Ok(n) if n == chunk.len() => {}
                    Ok(_) => break,
                    Err(e) if e.raw_os_error() == Some(28) => break,
                    Err(e) => panic!("filling the disk: {e}"),
                }
            }
        }
        let _ = file.sync_all();
        path
    }

    fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(self.path())
            .output()
            .expect("df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(u64::MAX)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// How each device's syncs ended, in order: (device, what it was told; "ok" for a sync that
/// completed), with how many times in a row.
type Told = Arc<Mutex<Vec<(usize, String, usize)>>>;

fn note(told: &Told, device: usize, result: &Result<(), String>) {
    let what = match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let mut told = told.lock().unwrap();
    match told.iter_mut().rev().find(|(d, _, _)| *d == device) {
        Some((_, last, n)) if *last == what => *n += 1,
        _ => told.push((device, what, 1)),
    }
}

fn told_so_far(told: &Told) -> String {
    told.lock()
        .unwrap()
        .iter()
        .map(|(d, what, n)| format!("\n  device {d}: {what} (×{n})"))
        .collect()
}

/// Waits (at most a minute) until `ok` holds, checking every 100 ms.
fn eventually(what: &str, ok: impl FnMut() -> bool) {
    eventually_or(|| what.to_owned(), ok);
}

/// The same, with a message built when it fails.
fn eventually_or(what: impl Fn() -> String, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "{}", what());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_full_disk_refuses_writes_clearly_and_loses_nothing_acknowledged() {
    let disk = match SmallDisk::mount(64) {
        Ok(disk) => disk,
        Err(why) => {
            println!(
                "SKIPPED a_full_disk_refuses_writes_clearly_and_loses_nothing_acknowledged: \
                 it mounts a small tmpfs for the store, which needs root ({why})"
            );
            return;
        }
    };
    let seed = native::now_ms() as u64;
    println!("seed {seed}");
    // The store is the disk itself; the server's log goes beside it, off the small disk.
    let data = disk.path().to_owned();
    let homes = tempfile::tempdir().expect("the devices' homes");
    let mut server = Server::start(&data, "127.0.0.1:0");
    let base = Arc::new(RwLock::new(server.base.clone()));
    let acked: Acked = Arc::default();
    let api_acked: ApiAcked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let disk_full_seen = Arc::new(AtomicUsize::new(0));
    let told: Told = Arc::default();

    let workers: Vec<_> = (0..DEVICES)
        .map(|index| {
            let (mut device, store) = open_device(
                &server,
                &homes.path().join(format!("device{index}")),
                &format!("field phone {index}"),
            );
            let (base, acked, stop, seen, told) = (
                base.clone(),
                acked.clone(),
                stop.clone(),
                disk_full_seen.clone(),
                told.clone(),
            );
            let mut rng = Rng::new(seed ^ (index as u64 + 1));
            std::thread::spawn(move || {
                let mut enrolled = 0;
                while !stop.load(Ordering::Relaxed) {
                    enroll_a_few(
                        &mut device,
                        &store,
                        &mut rng,
                        index,
                        &mut enrolled,
                        PER_DEVICE,
                    );
                    let result = sync_once(&mut device, &store, &base);
                    if let Err(e) = &result
                        && (e.contains("disk_full") || e.contains("disk is full"))
                    {
                        seen.fetch_add(1, Ordering::Relaxed);
                    }
                    note(&told, index, &result);
                    record_acks(index, &device, &acked);
                    std::thread::sleep(Duration::from_millis(rng.below(100)));
                }
                (device, store)
            })
        })
        .collect();
    let office = {
        let (base, acked, api_acked, stop) =
            (base.clone(), acked.clone(), api_acked.clone(), stop.clone());
        let rng = Rng::new(seed ^ 0x0FF1_CE00);
        std::thread::spawn(move || office_worker(base, acked, api_acked, stop, rng))
    };

    // Uploads acknowledged before the disk fills.
    eventually(
        "no enrollment and grant acknowledged before the disk filled",
        || acked.lock().unwrap().len() >= 10 && api_acked.lock().unwrap().len() >= 5,
    );
    let token = server.login_admin();
    let filler = disk.fill();
    println!(
        "disk filled ({} bytes free) with {} enrollments and {} grants acknowledged",
        disk.free(),
        acked.lock().unwrap().len(),
        api_acked.lock().unwrap().len()
    );

    // While it is full: the devices are told, the API answers 507 disk_full, reads go on.
    told.lock().unwrap().clear();
    eventually_or(
        || {
            format!(
                "no device was told the disk is full; the syncs since it filled ended: {}\nserver log {}",
                told_so_far(&told),
                server.log.display()
            )
        },
        || disk_full_seen.load(Ordering::Relaxed) > 0,
    );
    println!(
        "since the disk filled the syncs ended: {}",
        told_so_far(&told)
    );
    let grant = serde_json::json!({"type": "manual_grant", "points": 1, "reason": "满盘"});
    let member = acked
        .lock()
        .unwrap()
        .keys()
        .next()
        .cloned()
        .expect("a member");
    eventually("a write on the full disk was not refused with 507", || {
        let (status, body) = server.post(
            &format!("/api/members/{member}/operations"),
            &grant,
            Some(&token),
        );
        assert_ne!(status, 200, "a write on a full disk acknowledged: {body}");
        status == 507
    });
    let (status, refused) = server.post(
        &format!("/api/members/{member}/operations"),
        &grant,
        Some(&token),
    );
    assert_eq!(status, 507, "{refused}");
    assert_eq!(refused["code"], "disk_full", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("disk is full"),
        "{refused}"
    );
    assert!(
        refused["detail_zh"]
            .as_str()
            .unwrap_or_default()
            .contains("磁盘已满"),
        "{refused}"
    );
    std::thread::sleep(Duration::from_secs(3));
    // Reads go on. (Opening one member's history is audited, a write: it waits for space too.)
    let during = assert_all_acked_present(&server, &token, &acked, "while the disk is full");
    println!(
        "disk full: the member list answers with all {during} enrollments acknowledged; {} syncs \
         were told disk_full",
        disk_full_seen.load(Ordering::Relaxed)
    );

    // Space freed: the same server writes again, the devices' uploads go through.
    std::fs::remove_file(&filler).expect("the filler goes");
    let acked_at_free = acked.lock().unwrap().len();
    let grants_at_free = api_acked.lock().unwrap().len();
    eventually(
        "the server does not write again after space was freed",
        || {
            let (status, _) = server.post(
                &format!("/api/members/{member}/operations"),
                &grant,
                Some(&token),
            );
            status == 200
        },
    );
    eventually("no upload acknowledged after space was freed", || {
        acked.lock().unwrap().len() > acked_at_free
            && api_acked.lock().unwrap().len() > grants_at_free
    });
    stop.store(true, Ordering::Relaxed);
    let Office { refused, disk_full } = office.join().expect("office thread");
    assert!(disk_full > 0, "the back office never saw 507 disk_full");
    let mut devices: Vec<_> = workers
        .into_iter()
        .map(|w| w.join().expect("device thread"))
        .collect();

    // Everything still on the devices uploads now; nothing acknowledged was lost.
    for (index, (device, store)) in devices.iter_mut().enumerate() {
        eventually(
            "a device cannot finish syncing after space was freed",
            || sync_once(device, store, &base).is_ok() && device.pending_events() == 0,
        );
        record_acks(index, device, &acked);
    }
    let enrolled: usize = devices.iter().map(|(d, _)| d.journal_events().len()).sum();
    let check = |server: &Server, when: &str| {
        let token = server.login("admin", ADMIN_PASSWORD);
        let n = assert_all_acked_present(server, &token, &acked, when);
        let g = assert_api_acked_present(server, &token, &api_acked, when);
        assert_eq!(n, enrolled, "{when}: every enrollment is acknowledged");
        assert_eq!(
            listed(server, &token).len(),
            enrolled,
            "{when}: the server holds each enrollment once"
        );
        (n, g)
    };
    let (n, g) = check(&server, "after space was freed");
    println!(
        "space freed: {n} enrollments and {g} grants acknowledged, none lost; {refused} grants \
         refused ({disk_full} with 507 disk_full)"
    );

    // The same store opens clean after a restart, with everything acknowledged.
    server.kill();
    let server = Server::start(&data, "127.0.0.1:0");
    *base.write().unwrap() = server.base.clone();
    check(&server, "after a restart");
    let token = server.login("admin", ADMIN_PASSWORD);
    let path = format!("/api/members/{member}/operations");
    let (status, body) = api(&base, &path, Some(&grant), Some(&token)).expect("an answer");
    assert_eq!(status, 200, "a write after the restart: {body}");
    println!("restarted on the same store: everything acknowledged is there, writes go on");
}
