//! Partial sync: a device receives only the documents it may see. Another device's journal and
//! status are unavailable to it (and to the back office), and the `carclub-heads` summary it gets
//! lists only documents it may read.

use std::collections::BTreeSet;
use std::time::Duration;

use carclub_client::native::{self, DirStore};
use carclub_protocol::DocumentId;
use carclub_protocol::wire::Message;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Backend, Server, TestServer};
use serde_json::{Value, json};

use crate::rule;

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
                channel: None,
                referrer: None,
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

/// Three devices of the administrator's store, each of which enrolled a member and synced: the
/// registration answers of the first two, and what the third holds after its sync.
struct Devices {
    server: TestServer,
    mine: Value,
    other: Value,
    third_holds: BTreeSet<DocumentId>,
}

impl Devices {
    fn on(backend: Backend) -> Devices {
        let server = TestServer::start_on(backend, &[]);
        let mine = register(&server, "mine");
        let other = register(&server, "other");
        // Both devices have written their journals and received a status with an outcome.
        enroll_and_sync(&server, &server.path("mine"), &mine, 1);
        let other_holds = enroll_and_sync(&server, &server.path("other"), &other, 2);
        for kind in ["journal", "status"] {
            assert!(other_holds.contains(&doc(&other, kind)));
        }
        let third_holds = enroll_and_sync(
            &server,
            &server.path("mine-again"),
            &register(&server, "third"),
            3,
        );
        Devices {
            server,
            mine,
            other,
            third_holds,
        }
    }

    fn peer(&self) -> Peer {
        Peer::connect(&self.server, self.mine["token"].as_str().unwrap())
    }

    /// The member files the first device's summary lists (besides its own documents).
    fn member_files(&self, listed: &BTreeSet<DocumentId>) -> Vec<DocumentId> {
        let own: BTreeSet<DocumentId> = ["journal", "status", "directory"]
            .iter()
            .map(|k| doc(&self.mine, k))
            .collect();
        listed
            .iter()
            .filter(|id| !own.contains(id))
            .copied()
            .collect()
    }
}

/// Three devices that enrolled and synced are slow to make: one world, a rule at a time.
#[test]
fn a_device_receives_only_documents_it_may_see() {
    receives_only_documents_it_may_see_on(Backend::Sled);
}

/// The same with the server on PostgreSQL.
#[test]
fn on_postgres_a_device_receives_only_documents_it_may_see() {
    receives_only_documents_it_may_see_on(Backend::Postgres);
}

fn receives_only_documents_it_may_see_on(backend: Backend) {
    let d = Devices::on(backend);
    rule(
        "a device's sync fetches the store's documents but never another device's own",
        || {
            for kind in ["journal", "status"] {
                for reg in [&d.mine, &d.other] {
                    assert!(
                        !d.third_holds.contains(&doc(reg, kind)),
                        "a device holds another device's {kind}"
                    );
                }
            }
            assert!(d.third_holds.contains(&doc(&d.mine, "directory")));
        },
    );
    rule(
        "a device is served its own documents and the directory, not another device's",
        || {
            let mut peer = d.peer();
            for kind in ["journal", "status", "directory"] {
                let answer = peer.request(doc(&d.mine, kind));
                assert!(
                    matches!(answer, Message::Sync { .. }),
                    "own {kind}: {answer:?}"
                );
            }
            // The other device's journal and status are not, though both exist and have content.
            for kind in ["journal", "status"] {
                let answer = peer.request(doc(&d.other, kind));
                assert!(
                    matches!(answer, Message::DocUnavailable { .. }),
                    "the other device's {kind}: {answer:?}"
                );
            }
        },
    );
    rule(
        "the heads summary lists what the device may read and nothing else",
        || {
            let listed = d.peer().summary(0);
            for kind in ["status", "directory"] {
                assert!(
                    listed.contains(&doc(&d.mine, kind)),
                    "own {kind} missing from the summary"
                );
            }
            for kind in ["journal", "status"] {
                assert!(
                    !listed.contains(&doc(&d.other, kind)),
                    "the other device's {kind} is listed in my summary"
                );
            }
            // Every listed document is one the device may fetch (a fresh connection each, so no earlier
            // exchange on this one decides what the server answers).
            for id in &listed {
                let answer = d.peer().request(*id);
                assert!(
                    matches!(answer, Message::Sync { .. }),
                    "listed but not served: {id} {answer:?}"
                );
            }
            // Own journal, own status, directory, the member files.
            assert_eq!(
                d.member_files(&listed).len(),
                3,
                "besides its own documents, the summary lists the three member files: {listed:?}"
            );
        },
    );
    rule(
        "the back office reads member files but no device's journal or status",
        || {
            let members = d.member_files(&d.peer().summary(0));
            // A session without a device.
            let admin = d.server.admin();
            let mut office = Peer::connect(&d.server, &admin);
            let office_listed = office.summary(0);
            for reg in [&d.mine, &d.other] {
                for kind in ["journal", "status"] {
                    assert!(!office_listed.contains(&doc(reg, kind)));
                    let answer = office.request(doc(reg, kind));
                    assert!(
                        matches!(answer, Message::DocUnavailable { .. }),
                        "back office reading a device's {kind}: {answer:?}"
                    );
                }
            }
            for id in &members {
                assert!(office_listed.contains(id));
            }
        },
    );
}

#[test]
fn a_long_summary_arrives_in_pages_and_a_small_cache_serves_it() {
    long_summary_in_pages_on(Backend::Sled);
}

/// The same with the server on PostgreSQL.
#[test]
fn on_postgres_a_long_summary_arrives_in_pages_and_a_small_cache_serves_it() {
    long_summary_in_pages_on(Backend::Postgres);
}

fn long_summary_in_pages_on(backend: Backend) {
    // Pages of two documents, at most three documents in the server's memory.
    let server = TestServer::start_on(backend, &["--summary-page", "2", "--cache-docs", "3"]);
    let mine = register(&server, "mine");
    for n in 1..=4 {
        let reg = register(&server, &format!("seed-{n}"));
        enroll_and_sync(&server, &server.path(&format!("seed-{n}")), &reg, n);
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
    let holds = enroll_and_sync(&server, &server.path("mine"), &mine, 5);
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
