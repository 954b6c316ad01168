//! A fresh device's first sync: the server answers a device that holds nothing of a member file
//! with the file as stored, and takes the device's acknowledgement, without loading either into
//! memory; the connection then goes on as any other, so a later change reaches the device as an
//! ordinary incremental sync message. The member file carries what is left of the member's
//! benefits, not the member's whole projected state.

use std::collections::BTreeMap;

use automerge::sync::SyncDoc;
use automerge::{Automerge, ChangeHash, ROOT, ReadDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, Allowance, MemberFile};
use carclub_protocol::wire::Message;
use carclub_tests::accounts::operate;
use carclub_tests::journal::JournalDevice;
use carclub_tests::peer::{Peer, doc_of};
use carclub_tests::{ADMIN_PASSWORD, Server, TestServer};
use serde_json::json;

/// The value of the series `name` in a `/metrics` scrape; 0 when absent.
fn metric(server: &Server, name: &str) -> f64 {
    let (status, _, text) = server.get_text("/metrics", None);
    assert_eq!(status, 200, "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            (series == name).then(|| v.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

const DOCUMENTS: &str = "carclub_sync_from_store_total{step=\"document\"}";
const ACKNOWLEDGEMENTS: &str = "carclub_sync_from_store_total{step=\"acknowledgement\"}";

/// What the peer holds of one document: the document and its sync state with the server.
struct Held {
    doc: Automerge,
    state: automerge::sync::State,
}

/// The member files the summary lists for `peer`, with their heads.
fn member_files(
    server: &Server,
    token: &str,
    peer: &mut Peer,
) -> BTreeMap<DocumentId, Vec<ChangeHash>> {
    let (status, page) = server.get("/api/members?limit=100", Some(token));
    assert_eq!(status, 200, "{page}");
    let urls: Vec<DocumentId> = page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["url"].as_str().unwrap().parse().unwrap())
        .collect();
    peer.send(&Message::HeadsSummary {
        sender_id: "test-peer".into(),
        target_id: "server".into(),
        cursor: 0,
        entries: Vec::new(),
        more: false,
    });
    let entries = loop {
        if let Message::HeadsSummary { entries, .. } = peer.recv() {
            break entries;
        }
    };
    entries
        .into_iter()
        .filter(|(id, _)| urls.contains(id))
        .map(|(id, heads)| (id, heads.into_iter().map(ChangeHash).collect()))
        .collect()
}

/// The next sync message the server sends about `id`, applied to what the peer holds.
fn receive(peer: &mut Peer, id: DocumentId, held: &mut Held) {
    loop {
        match peer.recv() {
            Message::Sync {
                document_id, data, ..
            } if document_id == id => {
                let message = automerge::sync::Message::decode(&data).expect("a sync message");
                held.doc
                    .receive_sync_message(&mut held.state, message)
                    .expect("the server's message applies");
                return;
            }
            Message::Error { message, .. } => panic!("server error: {message}"),
            m => assert_ne!(doc_of(&m), Some(id), "unexpected answer {m:?}"),
        }
    }
}

/// The store approves the member whose file `h` holds: the peer's connection hears of it as an
/// incremental sync message, after which it holds the file as active at the server's new heads.
fn approved_and_heard(server: &Server, token: &str, peer: &mut Peer, id: DocumentId, h: &mut Held) {
    let member = docs::read_object::<MemberFile>(&h.doc).unwrap().id;
    let (status, body) = operate(
        server,
        token,
        &member.to_string(),
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(status, 200, "{body}");
    receive(peer, id, h);
    assert_eq!(
        docs::read_object::<MemberFile>(&h.doc).unwrap().status,
        "active"
    );
    let now = member_files(server, token, peer);
    assert_eq!(
        h.doc.get_heads(),
        now[&id],
        "the device holds the new heads"
    );
}

#[test]
fn a_fresh_device_is_sent_member_files_as_stored_and_hears_of_later_changes() {
    let server = TestServer::start();
    let mut field = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let members: Vec<String> = (1..=3)
        .map(|n| field.enroll(1, &format!("首同步{n}"), 7100 + n, "standard", 18000))
        .collect();
    field.sync(&server);

    let reader = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let mut peer = Peer::connect(&server, &reader.token);
    let files = member_files(&server, &reader.token, &mut peer);
    assert_eq!(files.len(), 3, "{files:?}");
    let (documents, acknowledgements) = (
        metric(&server, DOCUMENTS),
        metric(&server, ACKNOWLEDGEMENTS),
    );

    let mut held = BTreeMap::new();
    for (id, heads) in &files {
        let mut h = Held {
            doc: Automerge::new(),
            state: automerge::sync::State::new(),
        };
        let first = h.doc.generate_sync_message(&mut h.state).unwrap();
        peer.send(&Message::Request {
            sender_id: "test-peer".into(),
            target_id: "server".into(),
            document_id: *id,
            data: first.encode(),
        });
        receive(&mut peer, *id, &mut h);
        assert_eq!(&h.doc.get_heads(), heads, "the whole file arrived at once");
        // The acknowledgement: the device now holds the server's heads.
        let ack = h
            .doc
            .generate_sync_message(&mut h.state)
            .expect("an acknowledgement");
        assert_eq!(&ack.heads, heads);
        peer.sync(*id, ack.encode());
        held.insert(*id, h);
    }
    // Both steps of every file were answered from the store.
    assert_eq!(metric(&server, DOCUMENTS) - documents, 3.0);
    assert_eq!(metric(&server, ACKNOWLEDGEMENTS) - acknowledgements, 3.0);

    for h in held.values() {
        let file: MemberFile = docs::read_object(&h.doc).expect("a member file");
        assert!(members.contains(&file.id.to_string()));
        assert!(file.name.starts_with("首同步"), "{}", file.name);
        assert_eq!(file.status, "pending");
        assert!(
            h.doc.get(ROOT, "state").unwrap().is_none(),
            "the file carries no projected state"
        );
        let allowances: Vec<Allowance> =
            carclub_protocol::json_am::read_prop(&h.doc, &ROOT, "allowances")
                .and_then(|v| serde_json::from_value(v).ok())
                .expect("allowances");
        assert!(!allowances.is_empty(), "the standard tier gives benefits");
        assert!(
            allowances.iter().all(|a| !a.available),
            "nothing is usable before approval: {allowances:?}"
        );
    }

    // The store approves the first member: the same connection hears of it as an increment.
    let (id, _) = files.iter().next().unwrap();
    let h = held.get_mut(id).unwrap();
    approved_and_heard(&server, &reader.token, &mut peer, *id, h);
    let allowances: Vec<Allowance> =
        carclub_protocol::json_am::read_prop(&h.doc, &ROOT, "allowances")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap();
    assert!(allowances.iter().any(|a| a.available), "{allowances:?}");
}

const PAGED: &str = "carclub_sync_from_store_total{step=\"page\"}";

#[test]
fn a_fetch_is_answered_with_a_page_naming_each_document_once_and_later_changes_follow() {
    let server = TestServer::start();
    let mut field = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    for n in 1..=2 {
        field.enroll(1, &format!("成页{n}"), 7200 + n, "standard", 18000);
    }
    field.sync(&server);
    let reader = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let mut peer = Peer::connect(&server, &reader.token);
    let files = member_files(&server, &reader.token, &mut peer);
    assert_eq!(files.len(), 2);
    let nowhere = DocumentId::random();
    let mut asked: Vec<DocumentId> = files.keys().copied().collect();
    // Another device's journal, a document that does not exist, and the reader's own journal.
    asked.extend([field.journal_id(), nowhere, reader.journal_id()]);
    let paged = metric(&server, PAGED);
    peer.send(&Message::Fetch {
        sender_id: "test-peer".into(),
        target_id: "server".into(),
        documents: asked,
    });
    let (data, unavailable, declined) = loop {
        match peer.recv() {
            Message::Documents {
                data,
                unavailable,
                declined,
                ..
            } => break (data, unavailable, declined),
            Message::Error { message, .. } => panic!("server error: {message}"),
            _ => {}
        }
    };
    let page = carclub_protocol::pack::unpack(&data).expect("a page");
    assert_eq!(page.len(), 2);
    assert_eq!(metric(&server, PAGED) - paged, 2.0);
    let mut unavailable = unavailable;
    unavailable.sort();
    let mut expected = vec![field.journal_id(), nowhere];
    expected.sort();
    assert_eq!(
        unavailable, expected,
        "another device's journal and no document"
    );
    assert_eq!(
        declined,
        vec![reader.journal_id()],
        "its own journal, synced as usual"
    );
    let mut held: BTreeMap<DocumentId, Held> = page
        .into_iter()
        .map(|d| {
            assert_eq!(files[&d.id], d.heads, "the heads the summary lists");
            let doc = Automerge::load(&d.bytes).expect("a whole document");
            assert_eq!(doc.get_heads(), d.heads);
            let state = carclub_protocol::pack::synced_state(&d.heads, false);
            (d.id, Held { doc, state })
        })
        .collect();

    // The store approves a member: the same connection hears of it as an increment.
    let (id, h) = held.iter_mut().next().unwrap();
    approved_and_heard(&server, &reader.token, &mut peer, *id, h);
}

#[test]
fn a_native_device_fetches_the_member_files_it_lacks_by_the_page() {
    let server = TestServer::start();
    let mut field = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    for n in 1..=3 {
        field.enroll(1, &format!("原生{n}"), 7300 + n, "standard", 18000);
    }
    field.sync(&server);
    let (status, reg) = server.post(
        "/api/devices",
        &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": "fresh"}),
        None,
    );
    assert_eq!(status, 200, "{reg}");
    let home = server.path("fresh-device");
    let store = carclub_client::native::DirStore::open(&home).unwrap();
    let mut device = carclub_client::Device::open(Vec::new()).unwrap();
    device.apply_registration(&reg.to_string()).unwrap();
    device.set_server(&server.base).unwrap();
    let paged = metric(&server, PAGED);
    carclub_client::native::sync(&mut device, &store, std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(
        metric(&server, PAGED) - paged,
        3.0,
        "the three files came in a page"
    );
    let names: Vec<String> = device.members().into_iter().map(|m| m.name).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    // What arrived is in local storage: the device opened again shows the same.
    let again = carclub_client::Device::open(store.load_all().unwrap()).unwrap();
    assert_eq!(again.members().len(), 3);
    let detail = again
        .member_detail(&again.members()[0].id)
        .expect("a member the device knows");
    assert!(
        !detail.benefits.is_empty() && detail.benefits.iter().all(|b| !b.name.is_empty()),
        "benefits named from the program: {:?}",
        detail.benefits
    );
}
