//! What the server acknowledged survives SIGKILL: a server killed right after it acknowledged a
//! sync restarts with that data, and so does one killed at random moments while devices keep
//! enrolling and syncing and the back office records operations (`sigkill_loop`). A full disk
//! refuses writes clearly and loses nothing acknowledged (`full_disk`).

mod full_disk;
mod sigkill_loop;

use carclub_tests::{Backend, Device, TestServer};

#[test]
fn acknowledged_uploads_survive_sigkill() {
    acknowledged_uploads_survive_sigkill_on(Backend::Sled);
}

/// The same with the server on PostgreSQL (the database keeps running; the server is killed).
#[test]
fn on_postgres_acknowledged_uploads_survive_sigkill() {
    acknowledged_uploads_survive_sigkill_on(Backend::Postgres);
}

fn acknowledged_uploads_survive_sigkill_on(backend: Backend) {
    let mut server = TestServer::start_on(backend, &[]);
    let device = Device::new(&server.path("device"));
    device.register(&server, "field phone");

    let mut enrolled = Vec::new();
    for round in 0..3 {
        let id = device.enroll(
            &format!("会员{round}"),
            &format!("1380013800{round}"),
            &format!("LSVAU2180N218320{round}"),
            &format!("粤B3000{round}"),
            &format!("R-K-{round}"),
        );
        enrolled.push(id);
        // `sync` returns once the server acknowledged every event; kill it the instant after.
        device.ok(&["sync"]);
        server.kill();
        server.start_again("127.0.0.1:0");
        let token = server.admin();
        let listed = server.members(&token, "");
        for id in &enrolled {
            assert!(
                listed.iter().any(|m| m["id"] == id.as_str()),
                "member {id} lost after SIGKILL in round {round}"
            );
        }
        assert_eq!(listed.len(), enrolled.len());
        // The device points at the new port and syncs with nothing left to do.
        device.ok(&["sync", "--server", &server.base]);
        let view = device.members();
        assert!(view.iter().all(|m| m["sync"] == "synced"), "{view:?}");
    }
}
