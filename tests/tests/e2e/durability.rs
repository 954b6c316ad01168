//! A server killed with SIGKILL right after it acknowledged a sync restarts with that data.

use carclub_tests::{ADMIN_PASSWORD, Device, Server};

#[test]
fn acknowledged_uploads_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data, "127.0.0.1:0");
    let device = Device::new(&tmp.path().join("device"));
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
        server = Server::start(&data, "127.0.0.1:0");
        let token = server.login("admin", ADMIN_PASSWORD);
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
