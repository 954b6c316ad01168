//! The notification outbox delivered to a real webhook receiver (docs/notifications.md): the real
//! server with `--sender webhook`, messages made by a real API path (a care campaign to a member
//! who agreed to SMS), and a receiver on a local port that checks each request's HMAC-SHA256
//! signature with the shared secret and records its idempotency key. Delivered with a valid
//! signature; retried with growing waits while the receiver is down; a 4xx is a dead letter the
//! back office retries; a SIGKILL after the message was acknowledged and before it was delivered
//! loses nothing and sends nothing twice. No sleeps for time to pass: the tests poll the outbox
//! until its state changes, with a deadline.

use std::time::{Duration, Instant};

use carclub_tests::Server;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::ms;
use carclub_tests::webhook::{Receiver, SECRET, free_port, sender_options};
use serde_json::{Value, json};

use super::rule;

/// A store on preset B with a club manager and one active member who agreed to SMS; the server
/// delivers its outbox to `http://127.0.0.1:<port>/hook`.
struct World {
    _dir: tempfile::TempDir,
    server: Server,
    options: Vec<String>,
    cm: String,
    member: String,
}

fn world(port: u16, retry_base_ms: u64) -> World {
    let mut options = sender_options(port);
    options.extend([
        "--notify-retry-base-ms".to_owned(),
        retry_base_ms.to_string(),
        "--notify-max-attempts".to_owned(),
        "10".to_owned(),
        "--notify-timeout-secs".to_owned(),
        "5".to_owned(),
    ]);
    world_with(options)
}

/// The same store on a server started with `options`.
fn world_with(options: Vec<String>) -> World {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(&dir.path().join("data"), &options);
    let admin = server.login_admin();
    let store = create_store(&server, &admin, "北店", "B");
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    create_user(&server, &cm, "field", "field_staff", &store);
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let member = phone.enroll(30, "陈静", 1, "guest", 30000);
    phone.sync(&server);
    let (s, v) = operate(
        &server,
        &cm,
        &member,
        json!({"type": "enrollment_approved"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = server.put(
        &format!("/api/members/{member}/person-facts"),
        &json!({"sms_consent": true}),
        Some(&cm),
    );
    assert_eq!(s, 200, "{v}");
    World {
        _dir: dir,
        server,
        options,
        cm,
        member,
    }
}

/// The server on `data` with the webhook sender's options and its secret in the environment.
fn start(data: &std::path::Path, options: &[String]) -> Server {
    Server::launch(data)
        .options(options)
        .env("CARCLUB_WEBHOOK_SECRET", SECRET)
        .start()
}

impl World {
    /// Sends a holiday campaign; the idempotency key of its one message.
    fn campaign(&self, title: &str) -> String {
        let (s, c) = self.server.post(
            "/api/care/campaigns",
            &json!({"kind": "holiday", "title": title, "text": format!("{title}快乐，行车平安")}),
            Some(&self.cm),
        );
        assert_eq!(s, 201, "{c}");
        assert_eq!(c["recipients"], 1, "{c}");
        format!("campaign:{}:{}", c["id"].as_str().unwrap(), self.member)
    }

    /// The outbox's message with `key`, once `done` holds for it (polled until a deadline).
    fn wait(&self, key: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = Value::Null;
        while Instant::now() < deadline {
            let (s, page) = self
                .server
                .get("/api/care/outbox?limit=1000", Some(&self.cm));
            assert_eq!(s, 200, "{page}");
            if let Some(m) = page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["key"] == key)
            {
                if done(m) {
                    return m.clone();
                }
                last = m.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("message {key} never became {what}; last seen: {last}");
    }
}

fn attempts(m: &Value) -> &Vec<Value> {
    m["attempts"].as_array().unwrap()
}

fn results(m: &Value) -> Vec<&str> {
    attempts(m)
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect()
}

#[test]
fn webhook_delivery_is_signed_retried_with_backoff_and_dead_letters_are_retried() {
    let port = free_port();
    let w = world(port, 300);

    // The receiver is down: the first message waits, tried again with growing waits.
    let first = w.campaign("元旦");
    let m = w.wait(&first, "failed three times", |m| {
        attempts(m).len() >= 3 && m["state"] == "failed"
    });
    rule(
        "while the receiver is down, attempts fail and wait longer each time",
        || {
            assert!(results(&m).iter().all(|r| *r == "failed"), "{m}");
            let at: Vec<i64> = attempts(&m).iter().map(|a| ms(&a["at"])).collect();
            let (gap1, gap2) = (at[1] - at[0], at[2] - at[1]);
            assert!(gap1 >= 290, "first wait {gap1} ms, base 300");
            assert!(
                gap2 >= 590 && gap2 > gap1,
                "second wait {gap2} ms after {gap1}"
            );
            assert!(m["next_attempt_at"].is_string(), "{m}");
        },
    );

    let receiver = Receiver::listen(port);
    let m = w.wait(&first, "sent", |m| m["state"] == "sent");
    rule(
        "once the receiver is up, the message is delivered once, signed",
        || {
            let seen = receiver.seen();
            assert_eq!(seen.len(), 1, "{seen:?}");
            let s = &seen[0];
            assert_eq!(s.key, first);
            assert!(s.valid, "the signature does not match the body: {s:?}");
            assert_eq!(s.status, 200);
            assert_eq!(s.body["key"], first.as_str());
            assert_eq!(s.body["member"], w.member.as_str());
            assert_eq!(s.body["kind"], "campaign");
            assert!(
                s.body["text"]
                    .as_str()
                    .unwrap()
                    .contains("元旦快乐，行车平安"),
                "{}",
                s.body
            );
            assert_eq!(s.body["timestamp"].to_string(), s.timestamp_header);
            assert_eq!(s.body["attempt"], attempts(&m).len());
            assert_eq!(results(&m).last(), Some(&"sent"));
            assert!(m["sent_at"].is_string(), "{m}");
        },
    );

    // The receiver refuses the next one: a dead letter, which the back office retries.
    receiver.answer_next(400);
    let second = w.campaign("春节");
    let dead = w.wait(&second, "dead", |m| m["state"] == "dead");
    rule(
        "a 4xx makes a dead letter at once, not retried by the server",
        || {
            assert_eq!(results(&dead), vec!["refused"], "{dead}");
            assert!(dead["next_attempt_at"].is_null());
            assert_eq!(receiver.accepted(&second), 0);
        },
    );
    let id = dead["id"].as_str().unwrap();
    let (s, v) = w.server.post(
        &format!("/api/care/outbox/{id}/retry"),
        &json!({}),
        Some(&w.cm),
    );
    assert_eq!(s, 200, "{v}");
    let sent = w.wait(&second, "sent after the retry", |m| m["state"] == "sent");
    rule(
        "a retried dead letter is delivered, once, and the retry is audited",
        || {
            assert_eq!(results(&sent), vec!["refused", "sent"], "{sent}");
            assert_eq!(receiver.accepted(&second), 1);
            assert!(receiver.seen().iter().all(|s| s.valid));
            let (s, audit) = w.server.get("/api/audit?action=outbox_retry", Some(&w.cm));
            assert_eq!(s, 200, "{audit}");
            assert_eq!(
                audit["records"].as_array().map(Vec::len),
                Some(1),
                "{audit}"
            );
        },
    );
    rule("a sent message is not retried", || {
        let (s, v) = w.server.post(
            &format!("/api/care/outbox/{id}/retry"),
            &json!({}),
            Some(&w.cm),
        );
        assert_eq!(s, 409, "{v}");
        assert_eq!(v["code"], "message_not_retryable");
        assert!(v["detail_zh"].as_str().unwrap().contains("已发送"), "{v}");
    });
    rule(
        "the outbox lists by state, newest first, in pages, with the count in each state",
        || {
            let (s, page) = w
                .server
                .get("/api/care/outbox?state=sent&limit=1", Some(&w.cm));
            assert_eq!(s, 200, "{page}");
            assert_eq!(page["messages"][0]["key"], second.as_str());
            let next = page["next"].as_str().expect("a next page");
            let (_, page) = w.server.get(
                &format!("/api/care/outbox?state=sent&limit=1&cursor={next}"),
                Some(&w.cm),
            );
            assert_eq!(page["messages"][0]["key"], first.as_str());
            assert!(page["next"].is_null(), "{page}");
            let (_, all) = w.server.get("/api/care/outbox?state=sent", Some(&w.cm));
            let sent = all["messages"].as_array().unwrap().len();
            assert!(sent >= 2, "{all}");
            assert_eq!(all["counts"]["sent"], sent, "{all}");
            assert_eq!(all["counts"]["dead"], 0, "{all}");
            let (s, v) = w.server.get("/api/care/outbox?state=lost", Some(&w.cm));
            assert_eq!(s, 400, "{v}");
        },
    );
}

#[test]
fn a_message_acknowledged_before_a_sigkill_is_delivered_once_after_the_restart() {
    // The receiver is not listening yet; a long backoff keeps the worker idle between attempts.
    let port = free_port();
    let mut w = world(port, 5_000);
    let key = w.campaign("中秋");
    // The campaign's answer acknowledged the message; its first attempt found nobody.
    w.wait(&key, "failed once", |m| m["state"] == "failed");
    w.server.kill();

    let receiver = Receiver::listen(port);
    let data = w.server.data.clone();
    w.server = start(&data, &w.options);
    let m = w.wait(&key, "sent after the restart", |m| m["state"] == "sent");
    rule(
        "after the SIGKILL the message is delivered exactly once",
        || {
            assert_eq!(results(&m), vec!["failed", "sent"], "{m}");
            let seen = receiver.seen();
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert_eq!(seen[0].key, key);
            assert!(seen[0].valid);
        },
    );
    rule(
        "the restarted server keeps the message's key: the campaign's message is not made again",
        || {
            let (s, page) = w.server.get("/api/care/outbox", Some(&w.cm));
            assert_eq!(s, 200, "{page}");
            let same: Vec<&Value> = page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["key"] == key.as_str())
                .collect();
            assert_eq!(same.len(), 1, "{page}");
        },
    );
}

#[test]
fn the_log_sender_needs_no_configuration() {
    let w = world_with(Vec::new());
    let key = w.campaign("国庆");
    let m = w.wait(&key, "sent", |m| m["state"] == "sent");
    assert_eq!(results(&m), vec!["sent"], "{m}");
    let log = std::fs::read_to_string(&w.server.log).expect("the server's log");
    assert!(
        log.lines()
            .any(|l| l.contains("message sent to the log") && l.contains(&key)),
        "the message is not in the log {}",
        w.server.log.display()
    );
}
