//! Several stateless servers behind one PostgreSQL database: devices on each instance converge,
//! what one instance commits reaches devices connected to the other without them asking, the
//! invariants hold across instances (a balance redeemed from both at once, a card number or a
//! receipt taken on both, an event uploaded to both, card blocks handed out by both), and a
//! SIGKILL of one instance mid-sync loses nothing acknowledged while the other keeps serving.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::SyncDoc;
use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_protocol::wire::Message;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::peer::{Peer, doc_of};
use carclub_tests::{Backend, Device, Server, TestServer};
use serde_json::{Value, json};

/// The value of the series `name` (labels as printed) in a scrape of `/metrics`; 0 when absent.
fn series(scrape: &str, name: &str) -> f64 {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (s, v) = l.rsplit_once(' ')?;
            (s == name).then(|| v.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

fn scrape(server: &Server) -> String {
    let (status, _, text) = server.get_text("/metrics", None);
    assert_eq!(status, 200, "{text}");
    text
}

/// A peer that holds one document and answers the server's sync messages about it, as a device
/// that keeps its connection open does.
struct Watcher {
    peer: Peer,
    id: DocumentId,
    doc: Automerge,
    state: automerge::sync::State,
}

impl Watcher {
    fn new(server: &Server, token: &str, id: DocumentId) -> Watcher {
        let mut w = Watcher {
            peer: Peer::connect(server, token),
            id,
            doc: Automerge::new(),
            state: automerge::sync::State::new(),
        };
        let first = w.doc.generate_sync_message(&mut w.state).unwrap().encode();
        w.peer.send(&Message::Request {
            sender_id: "test-peer".into(),
            target_id: "server".into(),
            document_id: id,
            data: first,
        });
        // Until the document arrived and both sides agree.
        w.until(|doc| !doc.get_heads().is_empty());
        w
    }

    /// Answers the server until `done` holds for the document; panics after 10 s of silence.
    fn until(&mut self, done: impl Fn(&Automerge) -> bool) {
        while !done(&self.doc) {
            match self.peer.recv() {
                Message::Sync {
                    document_id, data, ..
                } if document_id == self.id => {
                    let msg = automerge::sync::Message::decode(&data).unwrap();
                    self.doc.receive_sync_message(&mut self.state, msg).unwrap();
                    if let Some(reply) = self.doc.generate_sync_message(&mut self.state) {
                        self.peer.sync(self.id, reply.encode());
                    }
                }
                Message::Error { message, .. } => panic!("server error: {message}"),
                m @ Message::DocUnavailable { .. } if doc_of(&m) == Some(self.id) => {
                    panic!("{} is unavailable", self.id)
                }
                _ => {}
            }
        }
    }
}

fn member_doc(member: &str) -> DocumentId {
    docs::member_id(member.parse().unwrap())
}

fn members_listed(server: &Server, token: &str) -> BTreeSet<String> {
    server
        .members(token, "")
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn devices_on_each_instance_converge_and_hear_of_the_others_changes() {
    let a = TestServer::start_on(Backend::Postgres, &[]);
    let b = a.another_instance("instance-b");
    let before = [scrape(&a), scrape(&b)];

    // A field phone on each instance enrolls a member and syncs.
    let on_a = Device::new(&a.path("phone-a"));
    on_a.register(&a, "phone on a");
    let on_b = Device::new(&a.path("phone-b"));
    on_b.register(&b, "phone on b");
    let first = on_a.enroll(
        "甲会员",
        "13800000001",
        "LSVAU2180N2000001",
        "粤B00001",
        "R-A-1",
    );
    on_a.ok(&["sync"]);
    let second = on_b.enroll(
        "乙会员",
        "13800000002",
        "LSVAU2180N2000002",
        "粤B00002",
        "R-B-1",
    );
    on_b.ok(&["sync"]);
    // Each instance lists both, and each phone holds both after its next sync.
    let both: BTreeSet<String> = [first.clone(), second.clone()].into();
    for server in [&*a, &b] {
        assert_eq!(members_listed(server, &server.login_admin()), both);
    }
    for phone in [&on_a, &on_b] {
        phone.ok(&["sync"]);
        let held: BTreeSet<String> = phone
            .members()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(held, both, "a phone on either instance holds both members");
    }

    // The back office watches the first member's file through instance b; a manager approves the
    // enrollment through instance a. The file's change reaches b's connection unasked.
    let admin_b = b.login_admin();
    let mut watcher = Watcher::new(&b, &admin_b, member_doc(&first));
    let heads = watcher.doc.get_heads();
    let started = Instant::now();
    let (code, body) = operate(
        &a,
        &a.login_admin(),
        &first,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(code, 200, "{body}");
    watcher.until(|doc| doc.get_heads() != heads);
    println!(
        "a change committed on instance a reached a connection on instance b {} ms after the request",
        started.elapsed().as_millis()
    );

    // Both instances' metrics moved: connections, frames, fold and flush latencies; and each
    // reports how far behind the other it is.
    let after = [scrape(&a), scrape(&b)];
    for (i, (was, now)) in before.iter().zip(&after).enumerate() {
        for name in [
            "carclub_sync_frames_total{direction=\"in\"}",
            "carclub_sync_frames_total{direction=\"out\"}",
            "carclub_sync_fold_seconds_count",
            "carclub_store_flush_seconds_count",
        ] {
            assert!(
                series(now, name) > series(was, name),
                "instance {i}: {name} did not move:\n{now}"
            );
        }
        assert!(now.contains("carclub_change_lag"), "instance {i}:\n{now}");
    }
    assert_eq!(
        series(&after[1], "carclub_sync_connections"),
        1.0,
        "the watcher is connected to b:\n{}",
        after[1]
    );
    drop(watcher);
}

#[test]
fn invariants_hold_across_instances() {
    let a = TestServer::start_on(Backend::Postgres, &[]);
    let b = a.another_instance("instance-b");
    let admin = a.admin();
    let store = create_store(&a, &admin, "双实例店", "B");
    create_user(&a, &admin, "mgr2", "club_manager", &store);
    let manager = b.login("mgr2", PASSWORD);
    let instances: [&Server; 2] = [&a, &b];

    // Twenty phones, registered at once, half on each instance: no card block is handed out
    // twice.
    let mut phones: Vec<JournalDevice> = std::thread::scope(|s| {
        let registering: Vec<_> = (0..20)
            .map(|i| s.spawn(move || JournalDevice::register(instances[i % 2], "mgr2", PASSWORD)))
            .collect();
        registering.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let blocks: BTreeSet<(String, u64)> = phones
        .iter()
        .map(|p| (p.card_prefix.clone(), p.card_first))
        .collect();
    assert_eq!(blocks.len(), 20, "every phone got a block of its own");

    // A member with 1,000 points (preset B: a point per 10 yuan).
    let member = phones[0].enroll(30, "双实例会员", 1, "guest", 30000);
    phones[0].sync(&a);
    assert_eq!(
        operate(
            &b,
            &manager,
            &member,
            json!({"type": "enrollment_approved"})
        )
        .0,
        200
    );
    let order = json!({"type": "order_settled", "order": {"receipt": "S-1000", "lines": [{"category": "cash", "amount": 1000000}], "promotion": false}});
    let (code, body) = operate(&a, &manager, &member, order);
    assert_eq!(code, 200, "{body}");

    // Offline, each phone redeems 500 points (the catalogue's smallest) and two phones book the
    // same slip.
    for phone in phones.iter_mut() {
        phone.record(
            0,
            json!({"type": "points_redeemed", "member": member, "points": 500, "item": "保养套餐"}),
        );
    }
    for phone in &mut phones[2..4] {
        phone.record(0, json!({"type": "order_settled", "member": member, "order": {"receipt": "S-TWICE", "lines": [{"category": "cash", "amount": 10000}], "promotion": false}}));
    }
    // All twenty upload at once, half to each instance.
    std::thread::scope(|s| {
        for (i, phone) in phones.iter_mut().enumerate() {
            let server = instances[i % 2];
            s.spawn(move || phone.sync(server));
        }
    });

    // Two redemptions fit in 1,000 points (1,010 with the slip); the other eighteen are kept,
    // never deducted, and listed as conflicts. The slip counts once (10 points), a conflict once.
    let (code, body) = file(&b, &manager, &member);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["state"]["points"], 10,
        "1,000 + 10 for the slip counted once − 2 × 500: {body}"
    );
    assert_eq!(body["state"]["measures"]["points_redeemed"], 1000, "{body}");
    let conflicts = |server: &Server| -> Vec<Value> {
        let (code, body) = server.get("/api/conflicts", Some(&manager));
        assert_eq!(code, 200, "{body}");
        body["conflicts"].as_array().unwrap().clone()
    };
    let listed = conflicts(&a);
    let count = |kind: &str| listed.iter().filter(|c| c["kind"] == kind).count();
    assert_eq!(count("duplicate_receipt"), 1, "{listed:?}");
    assert!(count("points_overdrawn") >= 1, "{listed:?}");
    assert_eq!(
        listed,
        conflicts(&b),
        "both instances list the same conflicts"
    );

    // A card number issued through one instance is taken on the other: a phone that enrolls a
    // person with its next card syncs to a, and (restored from an old copy) issues the same card
    // to another person and syncs to b.
    let card = phones[4].next_card();
    for (i, server) in instances.iter().enumerate() {
        phones[4].record(
            1,
            json!({
                "type": "enrolled", "member": carclub_shared::MemberId::new(),
                "person": {"name": format!("同卡{i}"), "phone": format!("1390000070{i}")},
                "vehicle": {"vin": format!("LSVAU2180N900070{i}"), "plate": format!("粤B9070{i}")},
                "tier": "guest", "channel": {"kind": "desk"}, "fee": 30000,
                "receipt": format!("R-TWIN-{i}"), "card": card
            }),
        );
        phones[4].sync(server);
    }
    let listed = conflicts(&a);
    assert_eq!(
        listed
            .iter()
            .filter(|c| c["kind"] == "duplicate_card")
            .count(),
        1,
        "{listed:?}"
    );

    // A phone that uploads an event to one instance and the same event again to the other earns
    // its points once.
    phones[6].record(0, json!({"type": "order_settled", "member": member, "order": {"receipt": "S-ONCE", "lines": [{"category": "cash", "amount": 100000}], "promotion": false}}));
    phones[6].sync(&a);
    phones[6].repeat_last();
    phones[6].sync(&b);
    let (_, body) = file(&a, &manager, &member);
    assert_eq!(
        body["state"]["points"], 110,
        "the event folded once: {body}"
    );
}

#[test]
fn a_sigkill_of_one_instance_mid_sync_loses_nothing_acknowledged_and_the_other_keeps_serving() {
    let mut a = TestServer::start_on(Backend::Postgres, &[]);
    let b = a.another_instance("instance-b");
    let on_a = Device::new(&a.path("phone-a"));
    on_a.register(&a, "phone on a");
    let on_b = Device::new(&a.path("phone-b"));
    on_b.register(&b, "phone on b");

    // The phone on a enrolls and syncs in a loop; a is killed while it does.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let synced_on_a = std::sync::atomic::AtomicUsize::new(0);
    let (acked_on_a, acked_on_b) = std::thread::scope(|s| {
        let phone_a = s.spawn(|| {
            let mut acked = Vec::new();
            for n in 0.. {
                if stop.load(std::sync::atomic::Ordering::Acquire) {
                    break;
                }
                let id = on_a.enroll(
                    &format!("甲{n}"),
                    &format!("1380010{n:04}"),
                    &format!("LSVAU2180N31{n:05}"),
                    &format!("粤A{n:05}"),
                    &format!("R-KA-{n}"),
                );
                if on_a.run(&["sync"]).status.success() {
                    acked.push(id);
                    synced_on_a.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                } else {
                    break;
                }
            }
            acked
        });
        let phone_b = s.spawn(|| {
            let mut acked = Vec::new();
            for n in 0..12 {
                let id = on_b.enroll(
                    &format!("乙{n}"),
                    &format!("1380020{n:04}"),
                    &format!("LSVAU2180N32{n:05}"),
                    &format!("粤C{n:05}"),
                    &format!("R-KB-{n}"),
                );
                on_b.ok(&["sync"]);
                acked.push(id);
            }
            acked
        });
        // Let a few uploads through, then SIGKILL a in the middle of the next ones.
        let deadline = Instant::now() + Duration::from_secs(120);
        while synced_on_a.load(std::sync::atomic::Ordering::Acquire) < 3
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Into the next sync.
        std::thread::sleep(Duration::from_millis(150));
        a.kill();
        stop.store(true, std::sync::atomic::Ordering::Release);
        (phone_a.join().unwrap(), phone_b.join().unwrap())
    });
    assert!(acked_on_a.len() >= 2, "some uploads were acknowledged by a");
    assert_eq!(acked_on_b.len(), 12, "b kept serving while a died");

    // Everything either instance acknowledged is there, read through b.
    let token = b.login_admin();
    let listed = members_listed(&b, &token);
    for id in acked_on_a.iter().chain(&acked_on_b) {
        assert!(listed.contains(id), "member {id} acknowledged but lost");
    }
    // The phone that was on a finishes on b, and then both phones hold every member.
    on_a.ok(&["sync", "--server", &b.base]);
    let listed = members_listed(&b, &token);
    assert_eq!(
        listed.len(),
        on_a.members().len(),
        "the phone's last enrollment arrived too"
    );
    on_b.ok(&["sync"]);
    assert_eq!(on_b.members().len(), listed.len());
    assert!(on_a.members().iter().all(|m| m["sync"] == "synced"));
}
