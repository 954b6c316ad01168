//! Backup, restore and migrate (`carclub-server backup`, `restore`, `migrate`, `checksum`, and
//! `GET /api/admin/backup` for a serving sled store): a backup taken while a device enrolls and
//! syncs restores to a store with the backup's checksum, on which the server starts and serves
//! every member; a store moved from sled to PostgreSQL and back keeps its checksum.

use std::process::Output;
use std::time::Duration;

use carclub_tests::{Backend, Device, Postgres, Server, TestServer, agent, bin};

/// Runs `carclub-server` with `args`.
fn server_cli(args: &[&str]) -> Output {
    std::process::Command::new(bin("carclub-server"))
        .args(args)
        .output()
        .expect("carclub-server runs")
}

/// Runs `carclub-server` with `args`, which must succeed; the SHA-256 it printed.
fn checksum_of(args: &[&str]) -> String {
    let out = server_cli(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "carclub-server {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sha_in(&stdout)
}

fn sha_in(text: &str) -> String {
    let at = text
        .find("sha256 ")
        .unwrap_or_else(|| panic!("no checksum in {text:?}"));
    text[at + 7..at + 7 + 64].to_owned()
}

/// A device enrolling `n` members, syncing after each.
fn enroll(device: &Device, first: usize, n: usize) {
    for i in first..first + n {
        device.enroll(
            &format!("备份会员{i}"),
            &format!("1370000{i:04}"),
            &format!("LSVBK2180N2{i:06}"),
            &format!("粤B{i:05}"),
            &format!("R-BK-{i}"),
        );
        device.ok(&["sync"]);
    }
}

/// The members the back office of `server` lists, each of whose files opens.
fn served_members(server: &Server) -> usize {
    let token = server.login_admin();
    let members = server.members(&token, "");
    for m in &members {
        let id = m["id"].as_str().unwrap();
        let (status, body) = server.get(&format!("/api/members/{id}"), Some(&token));
        assert_eq!(status, 200, "member {id} of the restored store: {body}");
    }
    members.len()
}

fn backup_while_syncing(backend: Backend) {
    let server = TestServer::start_on(backend, &[]);
    let device = Device::new(&server.path("device"));
    device.register(&server, "field phone");
    enroll(&device, 0, 2);
    let file = server.path("store.backup");
    // Another device keeps enrolling and syncing while the backup is taken.
    let busy = Device::new(&server.path("busy"));
    busy.register(&server, "busy phone");
    let writer = {
        let base = server.base.clone();
        std::thread::spawn(move || {
            for i in 100..106 {
                busy.enroll(
                    &format!("并发会员{i}"),
                    &format!("1370000{i:04}"),
                    &format!("LSVBK2180N2{i:06}"),
                    &format!("粤B{i:05}"),
                    &format!("R-BK-{i}"),
                );
                busy.ok(&["sync", "--server", &base]);
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let taken = match &server.postgres {
        // A serving sled store is backed up through the server.
        None => {
            let mut answer = agent(Duration::from_secs(60))
                .get(format!("{}/api/admin/backup", server.base))
                .header("Authorization", format!("Bearer {}", server.admin()))
                .call()
                .expect("the backup downloads");
            assert_eq!(answer.status().as_u16(), 200);
            let summary = answer.headers()["x-carclub-backup"]
                .to_str()
                .unwrap()
                .to_owned();
            let bytes = answer
                .body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_vec()
                .unwrap();
            std::fs::write(&file, bytes).unwrap();
            sha_in(&summary)
        }
        // A PostgreSQL store is backed up from the command line while the server serves.
        Some(pg) => checksum_of(&[
            "backup",
            "--store",
            &pg.url(),
            "--out",
            file.to_str().unwrap(),
        ]),
    };
    writer.join().expect("the busy device");
    if server.postgres.is_none() {
        let refused = server_cli(&[
            "backup",
            "--data",
            server.data.to_str().unwrap(),
            "--out",
            "/dev/null",
        ]);
        assert!(
            !refused.status.success(),
            "a sled store in use cannot be opened twice"
        );
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("/api/admin/backup"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }

    // Restored into an empty store of the same kind, it has the backup's checksum.
    let (target, restored_dir) = match &server.postgres {
        None => {
            let dir = server.path("restored");
            (format!("sled:{}", dir.display()), dir)
        }
        Some(pg) => (pg.create_db("restored"), server.path("restored")),
    };
    let restored = checksum_of(&[
        "restore",
        "--store",
        &target,
        "--from",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        restored, taken,
        "the restored store has the backup's checksum"
    );
    assert_eq!(checksum_of(&["checksum", "--store", &target]), taken);
    let again = server_cli(&[
        "restore",
        "--store",
        &target,
        "--from",
        file.to_str().unwrap(),
    ]);
    assert!(
        !again.status.success(),
        "a store that is not empty is refused"
    );

    // The server starts on it and serves every member it holds, at least those synced before.
    let copy = Server::launch(&restored_dir).store(&target).start();
    let served = served_members(&copy);
    assert!((2..=8).contains(&served), "{served} members restored");
}

#[test]
fn a_backup_taken_while_devices_sync_restores_to_a_store_that_serves_its_members() {
    backup_while_syncing(Backend::Sled);
}

#[test]
fn on_postgres_a_backup_taken_while_devices_sync_restores_to_a_store_that_serves_its_members() {
    backup_while_syncing(Backend::Postgres);
}

#[test]
fn a_store_moved_from_sled_to_postgres_and_back_keeps_its_checksum() {
    let mut server = TestServer::start();
    let device = Device::new(&server.path("device"));
    device.register(&server, "field phone");
    enroll(&device, 0, 3);
    server.stop();
    let pg = Postgres::start_new();
    let sled_a = format!("sled:{}", server.data.display());
    let sled_b = format!("sled:{}", server.path("back").display());
    let original = checksum_of(&["checksum", "--store", &sled_a]);
    let there = checksum_of(&["migrate", "--from", &sled_a, "--to", &pg.url()]);
    assert_eq!(there, original, "sled → PostgreSQL");
    let back = checksum_of(&["migrate", "--from", &pg.url(), "--to", &sled_b]);
    assert_eq!(back, original, "PostgreSQL → sled");
    assert_eq!(checksum_of(&["checksum", "--store", &sled_b]), original);
    let refused = server_cli(&["migrate", "--from", &sled_a, "--to", &pg.url()]);
    assert!(
        !refused.status.success(),
        "a store that is not empty is refused"
    );
    // The server runs on the migrated store with every member.
    let on_pg = Server::launch(&server.path("pg-log"))
        .store(&pg.url())
        .start();
    assert_eq!(served_members(&on_pg), 3);
}
