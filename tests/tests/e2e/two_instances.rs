//! Several stateless servers behind one PostgreSQL database: devices on each instance converge,
//! what one instance commits reaches devices connected to the other without them asking, the
//! invariants hold across instances (a balance redeemed from both at once, a card number or a
//! receipt taken on both, an event uploaded to both, card blocks handed out by both), and a
//! SIGKILL of one instance mid-sync loses nothing acknowledged while the other keeps serving. The
//! outbox: an SMS one instance is sending is left alone by another that starts meanwhile, and one
//! whose instance was killed mid-attempt becomes `unknown` once its deadline has passed.

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
use carclub_tests::time::ms;
use carclub_tests::webhook::{Receiver, SECRET, free_port, sender_options};
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

// ---- the notification outbox with two instances ----

/// A store with a club manager and one active member who agreed to SMS, made through `server`;
/// the manager's token and the member.
fn sms_member(server: &Server) -> (String, String) {
    let admin = server.login_admin();
    let store = create_store(server, &admin, "短信店", "B");
    create_user(server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    create_user(server, &cm, "field", "field_staff", &store);
    let mut phone = JournalDevice::register(server, "field", PASSWORD);
    let member = phone.enroll(30, "陈静", 1, "guest", 30000);
    phone.sync(server);
    let (s, v) = operate(server, &cm, &member, json!({"type": "enrollment_approved"}));
    assert_eq!(s, 200, "{v}");
    let (s, v) = server.put(
        &format!("/api/members/{member}/person-facts"),
        &json!({"sms_consent": true}),
        Some(&cm),
    );
    assert_eq!(s, 200, "{v}");
    (cm, member)
}

/// Sends a holiday campaign through `server`; the idempotency key of its one message.
fn campaign(server: &Server, cm: &str, member: &str) -> String {
    let (s, c) = server.post(
        "/api/care/campaigns",
        &json!({"kind": "holiday", "title": "中秋", "text": "中秋快乐，行车平安"}),
        Some(cm),
    );
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["recipients"], 1, "{c}");
    format!("campaign:{}:{member}", c["id"].as_str().unwrap())
}

/// The outbox's message with `key`, as `server` lists it.
fn outbox_message(server: &Server, cm: &str, key: &str) -> Option<Value> {
    let (s, page) = server.get("/api/care/outbox?limit=1000", Some(cm));
    assert_eq!(s, 200, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .cloned()
}

/// Polls `server`'s outbox until the message with `key` satisfies `done` (within `limit`).
fn wait_message(
    server: &Server,
    cm: &str,
    key: &str,
    limit: Duration,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    let mut last = None;
    while Instant::now() < deadline {
        last = outbox_message(server, cm, key);
        if last.as_ref().is_some_and(&done) {
            return last.unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("message {key} never became {what}; last seen: {last:?}");
}

fn results(m: &Value) -> Vec<&str> {
    m["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect()
}

/// Waits until the receiver has the request with `key` (the attempt is in flight).
fn until_received(receiver: &Receiver, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver.seen().iter().any(|s| s.key == key) {
        assert!(
            Instant::now() < deadline,
            "the message {key} never reached the receiver"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn webhook_options(port: u16, timeout_secs: u64) -> Vec<String> {
    let mut options = sender_options(port);
    options.extend([
        "--webhook-secret".to_owned(),
        SECRET.to_owned(),
        "--notify-timeout-secs".to_owned(),
        timeout_secs.to_string(),
    ]);
    options
}

#[test]
fn an_attempt_in_flight_on_one_instance_is_left_alone_when_another_starts() {
    let port = free_port();
    let receiver = Receiver::listen(port);
    // Timeout 20 s: an attempt is in flight for at most 50 s before it counts as interrupted;
    // the gateway takes 12 s to answer.
    let options = webhook_options(port, 20);
    let a = TestServer::start_on(
        Backend::Postgres,
        &options.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let (cm, member) = sms_member(&a);
    receiver.hold_next(Duration::from_secs(12));
    let key = campaign(&a, &cm, &member);
    until_received(&receiver, &key);

    // Instance b starts while a's request is at the gateway, and recovers what it finds stale at
    // start-up: not this attempt.
    let b = Server::launch(&a.path("instance-b"))
        .listen("127.0.0.1:0")
        .store(a.server.store.as_ref().unwrap())
        .options(&options)
        .start();
    let cm_b = b.login("cm", PASSWORD);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let m = outbox_message(&b, &cm_b, &key).expect("the message, listed by b");
        assert!(
            receiver.accepted(&key) == 1 || !m["sending_since"].is_null(),
            "the attempt was taken out of flight before it ended: {m}"
        );
        assert!(
            !results(&m).contains(&"interrupted"),
            "instance b took a's attempt as interrupted: {m}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // a records the gateway's answer; the message was sent once and never marked unknown.
    let m = wait_message(&b, &cm_b, &key, Duration::from_secs(60), "sent", |m| {
        m["state"] == "sent"
    });
    assert_eq!(results(&m), vec!["sent"], "{m}");
    assert_eq!(receiver.seen().len(), 1, "{:?}", receiver.seen());
    assert_eq!(receiver.accepted(&key), 1);
}

#[test]
fn an_attempt_whose_instance_was_killed_is_recovered_after_its_deadline() {
    let port = free_port();
    let receiver = Receiver::listen(port);
    // Timeout 2 s: a's attempts are in flight for at most 14 s; the gateway never answers in
    // time.
    let options = webhook_options(port, 2);
    let mut a = TestServer::start_on(
        Backend::Postgres,
        &options.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let (cm, member) = sms_member(&a);
    receiver.hold_next(Duration::from_secs(120));
    let key = campaign(&a, &cm, &member);
    until_received(&receiver, &key);
    a.server.kill();

    // Instance b, started after a died, finds the attempt in flight and leaves it until its
    // deadline has passed, then marks it unknown: the gateway may have sent it.
    let b = Server::launch(&a.path("instance-b"))
        .listen("127.0.0.1:0")
        .store(a.server.store.as_ref().unwrap())
        .options(&options)
        .start();
    let cm_b = b.login("cm", PASSWORD);
    let m = wait_message(&b, &cm_b, &key, Duration::from_secs(90), "unknown", |m| {
        m["state"] == "unknown"
    });
    assert_eq!(results(&m), vec!["interrupted"], "{m}");
    assert!(m["sending_since"].is_null(), "no longer in flight: {m}");
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1, "not sent again: {seen:?}");
    // The request left at the webhook's timestamp (whole seconds); the attempt was taken as
    // interrupted no sooner than its deadline, 14 s after it started.
    let left: i64 = seen[0].timestamp_header.parse().expect("unix seconds");
    let noticed = ms(&m["attempts"][0]["at"]);
    assert!(
        noticed >= (left + 14) * 1000 - 1000,
        "taken as interrupted at {noticed} ms, the request left at {left} s: {m}"
    );
}

// ---- accounts created through two instances at once ----

#[test]
fn a_username_or_an_invitation_is_taken_once_across_instances() {
    let a = TestServer::start_on(Backend::Postgres, &[]);
    let b = a.another_instance("instance-b");
    let admin = [a.admin(), b.login_admin()];
    let store = create_store(&a, &admin[0], "账号店", "B");
    let instances: [&Server; 2] = [&a, &b];

    // Ten usernames, each created through both instances at the same moment.
    for round in 0..10 {
        let username = format!("staff{round}");
        let barrier = std::sync::Barrier::new(2);
        let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
            let creating: Vec<_> = (0..2)
                .map(|i| {
                    let (server, token, barrier) = (instances[i], &admin[i], &barrier);
                    let body = json!({"username": username, "name": format!("员工{i}"),
                        "password": PASSWORD, "role": "field_staff", "store": store});
                    s.spawn(move || {
                        barrier.wait();
                        server.post("/api/users", &body, Some(token))
                    })
                })
                .collect();
            creating.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let created: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
        let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 409).collect();
        assert_eq!(
            (created.len(), refused.len()),
            (1, 1),
            "{username}: one created, one refused: {answers:?}"
        );
        assert_eq!(refused[0].1["code"], "username_taken", "{answers:?}");
        assert!(
            refused[0].1["detail"].as_str().unwrap().contains(&username),
            "{answers:?}"
        );
        // The account that exists is the one the 201 described, on both instances.
        for server in instances {
            let (s, v) = server.get("/api/users?limit=1000", Some(&admin[0]));
            assert_eq!(s, 200, "{v}");
            let same: Vec<&Value> = v["users"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["username"] == username.as_str())
                .collect();
            assert_eq!(same.len(), 1, "{v}");
            assert_eq!(same[0]["id"], created[0].1["id"], "{v}");
        }
        b.login(&username, PASSWORD);
    }

    // An invitation redeemed through both instances at once, under two usernames: one login.
    create_user(&a, &admin[0], "cm", "club_manager", &store);
    let cm = a.login("cm", PASSWORD);
    create_user(&a, &cm, "field", "field_staff", &store);
    let mut phone = JournalDevice::register(&a, "field", PASSWORD);
    let member = phone.enroll(30, "邀请会员", 1, "guest", 30000);
    phone.sync(&a);
    let (s, inv) = a.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(&cm),
    );
    assert_eq!(s, 201, "{inv}");
    let barrier = std::sync::Barrier::new(2);
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let redeeming: Vec<_> = (0..2)
            .map(|i| {
                let (server, barrier) = (instances[i], &barrier);
                let body = json!({"code": inv["code"], "username": format!("member{i}"),
                    "password": "member password"});
                s.spawn(move || {
                    barrier.wait();
                    server.post("/api/member-signup", &body, None)
                })
            })
            .collect();
        redeeming.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "one login from one code: {answers:?}");
    let refused = answers.iter().find(|(s, _)| *s != 201).unwrap();
    assert_eq!(refused.0, 422, "{answers:?}");
    assert_eq!(refused.1["code"], "invalid_invitation", "{answers:?}");
}
