//! Partial sync: a device receives only the documents it may see. Another device's journal and
//! status are unavailable to it (and to the back office), and the `carclub-heads` summary it gets
//! lists only documents it may read.

use std::collections::BTreeSet;
use std::time::Duration;

use carclub_client::native::{self, DirStore};
use carclub_protocol::DocumentId;
use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};

fn doc(reg: &Value, kind: &str) -> DocumentId {
    reg["docs"][kind].as_str().unwrap().parse().unwrap()
}

/// Registers a device over HTTP; the registration answer.
fn register(server: &Server, name: &str) -> Value {
    let (status, body) = server.post(
        "/api/devices",
        &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": name}),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body
}

/// A native device for a registration answer, enrolled with one member and synced; the documents
/// it then holds in its store.
fn enroll_and_sync(
    server: &Server,
    home: &std::path::Path,
    reg: &Value,
    n: u32,
) -> BTreeSet<DocumentId> {
    let store = DirStore::open(home).unwrap();
    let mut device = carclub_client::Device::open(Vec::new()).unwrap();
    device.apply_registration(&reg.to_string()).unwrap();
    device.set_server(&server.base).unwrap();
    device
        .enroll_input(
            carclub_client::EnrollInput {
                name: format!("会员{n}"),
                phone: format!("1380013{n:04}"),
                vin: format!("LSVAU2180N21{n:05}"),
                plate: format!("粤B{n:05}"),
                tier: "standard".into(),
                fee_fen: 18000,
                receipt: Some(format!("R-P-{n}")),
                card: None,
                id_number: None,
                model: None,
                documents_seen: Vec::new(),
            },
            native::now_ms(),
        )
        .unwrap();
    native::sync(&mut device, &store, Duration::from_secs(60)).unwrap();
    assert_eq!(device.pending_events(), 0);
    store
        .load_all()
        .unwrap()
        .into_iter()
        .filter_map(|(k, _)| k.strip_prefix("doc/").and_then(|id| id.parse().ok()))
        .collect()
}

#[test]
fn a_device_receives_only_documents_it_may_see() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let mine = register(&server, "mine");
    let other = register(&server, "other");
    // Both devices have written their journals and received a status with an outcome.
    enroll_and_sync(&server, &tmp.path().join("mine"), &mine, 1);
    let other_holds = enroll_and_sync(&server, &tmp.path().join("other"), &other, 2);
    // A real device's sync fetched the store's documents but not another device's own.
    let third_holds = enroll_and_sync(
        &server,
        &tmp.path().join("mine-again"),
        &register(&server, "third"),
        3,
    );
    for kind in ["journal", "status"] {
        assert!(other_holds.contains(&doc(&other, kind)));
        for reg in [&mine, &other] {
            assert!(
                !third_holds.contains(&doc(reg, kind)),
                "a device holds another device's {kind}"
            );
        }
    }
    assert!(third_holds.contains(&doc(&mine, "directory")));

    let mut peer = Peer::connect(&server, mine["token"].as_str().unwrap());

    // Its own documents and the store's directory are served.
    for kind in ["journal", "status", "directory"] {
        let answer = peer.request(doc(&mine, kind));
        assert!(
            matches!(answer, Message::Sync { .. }),
            "own {kind}: {answer:?}"
        );
    }
    // The other device's journal and status are not, though both exist and have content.
    for kind in ["journal", "status"] {
        let answer = peer.request(doc(&other, kind));
        assert!(
            matches!(answer, Message::DocUnavailable { .. }),
            "the other device's {kind}: {answer:?}"
        );
    }

    // The heads summary from the start lists what the device may read, and nothing else.
    let listed = peer.summary(0);
    for kind in ["status", "directory"] {
        assert!(
            listed.contains(&doc(&mine, kind)),
            "own {kind} missing from the summary"
        );
    }
    for kind in ["journal", "status"] {
        assert!(
            !listed.contains(&doc(&other, kind)),
            "the other device's {kind} is listed in my summary"
        );
    }
    // Every listed document is one the device may fetch (a fresh connection each, so no earlier
    // exchange on this one decides what the server answers).
    for id in &listed {
        let answer = Peer::connect(&server, mine["token"].as_str().unwrap()).request(*id);
        assert!(
            matches!(answer, Message::Sync { .. }),
            "listed but not served: {id} {answer:?}"
        );
    }
    // Own journal, own status, directory, two member files.
    let allowed: BTreeSet<DocumentId> = ["journal", "status", "directory"]
        .iter()
        .map(|k| doc(&mine, k))
        .collect();
    let members: Vec<&DocumentId> = listed.iter().filter(|id| !allowed.contains(id)).collect();
    assert_eq!(
        members.len(),
        3,
        "besides its own documents, the summary lists the three member files: {listed:?}"
    );

    // The back office (a session without a device) sees member documents but no device's
    // journal or status.
    let admin = server.login("admin", ADMIN_PASSWORD);
    let mut office = Peer::connect(&server, &admin);
    let office_listed = office.summary(0);
    for reg in [&mine, &other] {
        for kind in ["journal", "status"] {
            assert!(!office_listed.contains(&doc(reg, kind)));
            let answer = office.request(doc(reg, kind));
            assert!(
                matches!(answer, Message::DocUnavailable { .. }),
                "back office reading a device's {kind}: {answer:?}"
            );
        }
    }
    for id in members {
        assert!(office_listed.contains(id));
    }
}

#[test]
fn a_long_summary_arrives_in_pages_and_a_small_cache_serves_it() {
    let tmp = tempfile::tempdir().unwrap();
    // Pages of two documents, at most three documents in the server's memory.
    let server = Server::start_with(
        &tmp.path().join("data"),
        "127.0.0.1:0",
        &["--summary-page", "2", "--cache-docs", "3"],
    );
    let mine = register(&server, "mine");
    for n in 1..=4 {
        let reg = register(&server, &format!("seed-{n}"));
        enroll_and_sync(&server, &tmp.path().join(format!("seed-{n}")), &reg, n);
    }
    let mut peer = Peer::connect(&server, mine["token"].as_str().unwrap());
    let pages = peer.pages(0);
    assert!(pages.len() >= 3, "paged: {pages:?}");
    assert!(
        pages.iter().all(|p| p.len() <= 2),
        "pages of two: {pages:?}"
    );
    let listed: Vec<DocumentId> = pages.into_iter().flatten().collect();
    let unique: BTreeSet<DocumentId> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "no document on two pages");
    // Its status, the directory and the four member files (its journal exists once it syncs).
    assert!(unique.contains(&doc(&mine, "status")));
    assert!(unique.contains(&doc(&mine, "directory")));
    assert_eq!(unique.len(), 6, "{unique:?}");

    // A real device follows the pages: it ends holding all four members and its own enrollment.
    let holds = enroll_and_sync(&server, &tmp.path().join("mine"), &mine, 5);
    for id in &unique {
        assert!(holds.contains(id), "the device missed {id}");
    }
    // From the start again, the pages list everything it may read now, its journal included.
    let again = Peer::connect(&server, mine["token"].as_str().unwrap()).summary(0);
    assert_eq!(
        again.len(),
        8,
        "five member files, status, directory, journal: {again:?}"
    );
}
