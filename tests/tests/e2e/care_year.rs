//! A car owner's first months in customer care (DOMAIN.md §5, handbook 002), on the real server
//! with a fixed business clock (`--clock-file`: the server reads the moment from the file; the
//! test moves it, never sleeps):
//!
//! two members enrolled by purchase (the car delivered that day) → the clock moves to nine weeks
//! after delivery → the care manager runs the rules: each gets a first-service call task, once →
//! the server is killed (SIGKILL) right after the run was acknowledged, started again, and the
//! rules run again: nothing twice → the first owner does not answer three times, in three slots
//! (the clock moved to each) → the task is failed with its reason and the SMS is in the outbox.
//! The second owner books an appointment on the call: refused less than 3 hours ahead (and
//! nothing changes), booked at a later hour, and it is in the register the front desk reads.
//! The SMS goes to a real webhook receiver (`--sender webhook`): down when the SMS is made, the
//! server killed (SIGKILL) after its first attempt failed, the receiver up and the server started
//! again → delivered once, with a valid signature.
//! A care specialist of another store is refused; bad input — an unknown task, a bad outcome, an
//! outcome without what it needs — changes nothing.

use std::path::{Path, PathBuf};

use carclub_shared::Timestamp;
use carclub_tests::Server;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, member_login};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{DAY_MS, now_ms, ts};
use carclub_tests::webhook::{self, Receiver, free_port, sender_options};
use serde_json::{Value, json};

use crate::rule;

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// The server of the story: its store, its clock file and how it is started.
struct World {
    _dir: tempfile::TempDir,
    data: PathBuf,
    clock: PathBuf,
    /// Where the outbox is delivered (a webhook receiver, down until the story starts it).
    hook: u16,
    server: Server,
}

impl World {
    fn launch(data: &Path, clock: &Path, hook: u16) -> Server {
        Server::launch(data)
            .options([std::ffi::OsStr::new("--clock-file"), clock.as_os_str()])
            // The interval run is not part of the story: the start-up run and the manager's.
            .options(["--care-interval-secs", "86400"])
            .options(sender_options(hook))
            // Long waits between attempts: a kill never lands in the middle of one.
            .options(["--notify-retry-base-ms", "5000"])
            .env("CARCLUB_WEBHOOK_SECRET", webhook::SECRET)
            .start()
    }

    fn start() -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let clock = dir.path().join("clock");
        set_clock(&clock, now_ms());
        let hook = free_port();
        let server = Self::launch(&data, &clock, hook);
        World {
            _dir: dir,
            data,
            clock,
            hook,
            server,
        }
    }

    /// Moves the business clock to `ms`.
    fn at(&self, ms: i64) {
        set_clock(&self.clock, ms);
    }

    /// SIGKILL, then the server again on the same store and clock.
    fn kill_and_restart(&mut self) {
        self.server.kill();
        self.server = Self::launch(&self.data, &self.clock, self.hook);
    }
}

fn set_clock(path: &Path, ms: i64) {
    std::fs::write(path, ts(ms)).expect("the clock file is written");
}

/// The start of the business day (UTC+8) of `ms`.
fn day_start(ms: i64) -> i64 {
    Timestamp::start_of(Timestamp::from_millis(ms).date()).millis()
}

/// Enrolls a member by purchase (the car delivered today): the member's id.
fn enroll_by_purchase(device: &mut JournalDevice, name: &str, n: u32) -> String {
    let member = carclub_shared::EventId::new().to_string();
    let card = device.next_card();
    device.record(
        0,
        json!({
            "type": "enrolled", "member": member,
            "person": {"name": name, "phone": format!("139{n:08}")},
            "vehicle": {"vin": format!("LSVAU2180N{n:07}"), "plate": format!("粤B{n:05}"), "model": "雅阁 2.0T"},
            "tier": "guest", "channel": {"kind": "purchase"}, "fee": 30000,
            "receipt": format!("R-CARE-{n}"), "card": card
        }),
    );
    member
}

fn tasks(server: &Server, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = server.get(&format!("/api/care/tasks?{query}"), Some(token));
    assert_eq!(s, 200, "GET /api/care/tasks?{query}: {v}");
    v["tasks"].as_array().cloned().unwrap_or_default()
}

fn task_of<'a>(list: &'a [Value], member: &str) -> &'a Value {
    list.iter()
        .find(|t| t["member"] == member)
        .unwrap_or_else(|| panic!("no task of {member} in {list:?}"))
}

fn call(server: &Server, token: &str, task: &str, body: Value) -> (u16, Value) {
    server.post(&format!("/api/care/tasks/{task}/calls"), &body, Some(token))
}

fn run(server: &Server, token: &str) -> Value {
    let (s, v) = server.post("/api/care/run", &json!({}), Some(token));
    assert_eq!(s, 200, "POST /api/care/run: {v}");
    v
}

#[test]
fn a_first_service_call_goes_unanswered_three_times_and_the_owner_gets_an_sms() {
    let mut w = World::start();
    let admin = w.server.login_admin();
    let store = create_store(&w.server, &admin, "北店", "B");
    let other_store = create_store(&w.server, &admin, "南店", "B");
    create_user(&w.server, &admin, "cm", "club_manager", &store);
    let cm = w.server.login("cm", PASSWORD);
    for (name, role) in [
        ("field", "field_staff"),
        ("care", "care_specialist"),
        ("desk", "reception"),
    ] {
        create_user(&w.server, &cm, name, role, &store);
    }
    create_user(
        &w.server,
        &admin,
        "care-south",
        "care_specialist",
        &other_store,
    );

    // Two owners buy a car today and are enrolled by purchase (active at once).
    let mut phone = JournalDevice::register(&w.server, "field", PASSWORD);
    let chen = enroll_by_purchase(&mut phone, "陈静", 1);
    let liu = enroll_by_purchase(&mut phone, "刘洋", 2);
    phone.sync(&w.server);
    // The business clock stands still until moved: to now, after the enrollments.
    w.at(now_ms());
    let delivered = day_start(now_ms());

    let care = w.server.login("care", PASSWORD);
    rule(
        "the member file shows the service file: delivered today, the model from the enrollment",
        || {
            let (s, f) = file(&w.server, &care, &chen);
            assert_eq!(s, 200, "{f}");
            let v = &f["state"]["care"]["vehicles"][0];
            assert_eq!(v["facts"]["model"], "雅阁 2.0T", "{f}");
            assert_eq!(
                v["facts"]["delivered"].as_str().map(|d| d.len()),
                Some(10),
                "{f}"
            );
        },
    );
    rule(
        "the care specialist edits the person's care facts through the fold",
        || {
            let (s, v) = w.server.put(
                &format!("/api/members/{chen}/person-facts"),
                &json!({"region": "non_local", "call_slots": ["afternoon"], "sms_consent": true}),
                Some(&care),
            );
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["state"]["care"]["person"]["region"], "non_local", "{v}");
        },
    );

    // Nine weeks later — between two and three months after delivery — at 09:30.
    let day = delivered + 63 * DAY_MS;
    w.at(day + 9 * HOUR_MS + 30 * MINUTE_MS);
    let report = run(&w.server, &cm);
    rule("the rules make one first-service task per owner", || {
        assert_eq!(report["tasks_created"], 2, "{report}");
        let open = tasks(&w.server, &care, "state=open&when=today");
        assert_eq!(open.len(), 2, "{open:?}");
        for m in [&chen, &liu] {
            let t = task_of(&open, m);
            assert_eq!(t["kind"], "first_service", "{t}");
            assert_eq!(t["by"], "specialist", "{t}");
            assert!(
                t["script"].as_str().is_some_and(|s| s.contains("首保")),
                "{t}"
            );
            assert_eq!(t["summary"]["model"], "雅阁 2.0T", "{t}");
            assert!(
                t["summary"]["phone"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("139")),
                "{t}"
            );
            assert!(t["next"]["call_again"].is_object(), "{t}");
        }
    });

    rule(
        "the member sees their own upcoming reminders in the app, and staff have none",
        || {
            let own = member_login(&w.server, &cm, &chen, "chen");
            let (s, v) = w.server.get("/api/me/reminders", Some(&own));
            assert_eq!(s, 200, "{v}");
            let kinds: Vec<&str> = v["reminders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["kind"].as_str().unwrap())
                .collect();
            assert!(kinds.contains(&"first_service"), "{v}");
            let (s, v) = w.server.get("/api/me/reminders", Some(&care));
            assert_eq!(s, 403, "{v}");
        },
    );

    // Killed right after the run was acknowledged: everything it made is on disk, and the rules
    // run again (at start-up and by the manager) make nothing twice.
    w.kill_and_restart();
    let cm = w.server.login("cm", PASSWORD);
    let care = w.server.login("care", PASSWORD);
    let again = run(&w.server, &cm);
    rule(
        "after a SIGKILL and a restart, running the rules again creates nothing twice",
        || {
            assert_eq!(again["tasks_created"], 0, "{again}");
            assert_eq!(again["messages"], 0, "{again}");
            let all = tasks(&w.server, &care, "");
            assert_eq!(all.len(), 2, "{all:?}");
        },
    );

    let open = tasks(&w.server, &care, "state=open");
    let chen_task = task_of(&open, &chen)["id"].as_str().unwrap().to_owned();
    let liu_task = task_of(&open, &liu)["id"].as_str().unwrap().to_owned();

    rule(
        "a care specialist of another store is refused the task",
        || {
            let south = w.server.login("care-south", PASSWORD);
            let (s, v) = call(
                &w.server,
                &south,
                &chen_task,
                json!({"outcome": "no_answer"}),
            );
            assert_eq!(s, 403, "{v}");
            assert_eq!(v["code"], "forbidden_other_store", "{v}");
            let (s, _) = w
                .server
                .get(&format!("/api/care/tasks/{chen_task}"), Some(&south));
            assert_eq!(s, 403);
            assert!(tasks(&w.server, &south, "").is_empty());
        },
    );

    rule("bad input changes nothing", || {
        let unknown = "20260101-0123456789abcdef";
        let (s, v) = call(&w.server, &care, unknown, json!({"outcome": "no_answer"}));
        assert_eq!(
            (s, v["code"].as_str()),
            (404, Some("care_task_not_found")),
            "{v}"
        );
        let (s, v) = call(&w.server, &care, "nope", json!({"outcome": "no_answer"}));
        assert_eq!(s, 400, "{v}");
        let (s, v) = call(&w.server, &care, &chen_task, json!({"outcome": "maybe"}));
        assert!(s == 400 || s == 422, "{s} {v}");
        assert!(!v["detail_zh"].as_str().unwrap_or("").is_empty(), "{v}");
        let (s, v) = call(
            &w.server,
            &care,
            &chen_task,
            json!({"outcome": "appointment"}),
        );
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("outcome_needs_field")),
            "{v}"
        );
        let (s, v) = call(
            &w.server,
            &care,
            &chen_task,
            json!({"outcome": "reached", "call_back_at": ts(day + 30 * HOUR_MS)}),
        );
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("field_not_for_outcome")),
            "{v}"
        );
        let (s, t) = w
            .server
            .get(&format!("/api/care/tasks/{chen_task}"), Some(&care));
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["calls"].as_array().map(Vec::len), Some(0), "{t}");
        assert_eq!(t["state"], "open", "{t}");
    });

    // Three unanswered calls in three slots: this morning, at midday, tomorrow afternoon.
    w.at(day + 10 * HOUR_MS);
    let (s, first) = call(
        &w.server,
        &care,
        &chen_task,
        json!({"outcome": "no_answer"}),
    );
    w.at(day + 13 * HOUR_MS);
    let (s2, second) = call(
        &w.server,
        &care,
        &chen_task,
        json!({"outcome": "no_answer"}),
    );
    rule(
        "after two unanswered slots the task waits for a third slot",
        || {
            assert_eq!(s, 200, "{first}");
            assert_eq!(s2, 200, "{second}");
            assert_eq!(second["state"], "open", "{second}");
            assert_eq!(
                second["next"]["call_again"]["avoid"],
                json!(["morning", "midday"]),
                "{second}"
            );
        },
    );
    w.at(day + DAY_MS + 15 * HOUR_MS);
    let (s, third) = call(
        &w.server,
        &care,
        &chen_task,
        json!({"outcome": "no_answer"}),
    );
    rule(
        "the third unanswered slot fails the task and records why",
        || {
            assert_eq!(s, 200, "{third}");
            assert_eq!(third["state"], "failed", "{third}");
            assert_eq!(third["calls"].as_array().map(Vec::len), Some(3), "{third}");
            let slots: Vec<&str> = third["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["slot"].as_str().unwrap())
                .collect();
            assert_eq!(slots, ["morning", "midday", "afternoon"]);
            assert!(
                third["failure"]["reason_zh"]
                    .as_str()
                    .is_some_and(|r| r.contains("短信")),
                "{third}"
            );
            assert!(third["failure"]["message"].is_string(), "{third}");
        },
    );
    rule(
        "the SMS is in the outbox, once, for the owner's number",
        || {
            let (s, out) = w.server.get("/api/care/outbox", Some(&cm));
            assert_eq!(s, 200, "{out}");
            let mine: Vec<&Value> = out["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["member"] == chen.as_str())
                .collect();
            assert_eq!(mine.len(), 1, "{out}");
            assert_eq!(mine[0]["kind"], "unreachable", "{out}");
            assert_eq!(mine[0]["phone"], "13900000001", "{out}");
            assert_eq!(mine[0]["id"], third["failure"]["message"], "{out}");
            assert!(
                mine[0]["text"].as_str().is_some_and(|t| t.contains("陈静")),
                "{out}"
            );
        },
    );

    // The receiver is down: the SMS's first attempt fails. The server is killed with the SMS
    // acknowledged and not delivered; the receiver comes up and the server starts again.
    let sms = third["failure"]["message"].as_str().unwrap().to_owned();
    let outbox_state = |server: &Server| {
        let (s, out) = server.get("/api/care/outbox", Some(&cm));
        assert_eq!(s, 200, "{out}");
        out["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == sms.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("the SMS {sms} left the outbox: {out}"))
    };
    let until = |server: &Server, state: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let m = outbox_state(server);
            if m["state"] == state {
                return m;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the SMS never became {state}: {m}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    until(&w.server, "failed");
    let receiver = Receiver::listen(w.hook);
    w.kill_and_restart();
    let sent = until(&w.server, "sent");
    rule(
        "the SMS killed before delivery is delivered once after the restart, signed",
        || {
            let results: Vec<&str> = sent["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["result"].as_str().unwrap())
                .collect();
            assert_eq!(results, ["failed", "sent"], "{sent}");
            let key = sent["key"].as_str().unwrap();
            let seen: Vec<_> = receiver
                .seen()
                .into_iter()
                .filter(|s| s.key == key)
                .collect();
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert!(seen[0].valid, "the signature does not match: {seen:?}");
            assert_eq!(seen[0].body["kind"], "unreachable");
            assert_eq!(seen[0].body["phone"], "13900000001");
        },
    );

    rule("a failed task takes no more calls", || {
        let (s, v) = call(&w.server, &care, &chen_task, json!({"outcome": "reached"}));
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("care_task_closed")),
            "{v}"
        );
        let run = run(&w.server, &cm);
        assert_eq!(run["messages"], 0, "{run}");
    });

    // The second owner answers and books an appointment on the call.
    let now = day + DAY_MS + 15 * HOUR_MS;
    rule(
        "an appointment less than 3 hours ahead is refused with the reason, and nothing changes",
        || {
            let (s, v) = call(
                &w.server,
                &care,
                &liu_task,
                json!({"outcome": "appointment", "appointment_at": ts(now + 2 * HOUR_MS)}),
            );
            assert_eq!(
                (s, v["code"].as_str()),
                (422, Some("appointment_too_soon")),
                "{v}"
            );
            assert!(
                v["detail_zh"]
                    .as_str()
                    .is_some_and(|d| d.contains("3 小时")),
                "{v}"
            );
            let (_, t) = w
                .server
                .get(&format!("/api/care/tasks/{liu_task}"), Some(&care));
            assert_eq!(t["state"], "open", "{t}");
            let desk = w.server.login("desk", PASSWORD);
            let (s, reg) = w.server.get("/api/care/appointments", Some(&desk));
            assert_eq!(s, 200, "{reg}");
            assert_eq!(
                reg["appointments"].as_array().map(Vec::len),
                Some(0),
                "{reg}"
            );
        },
    );
    let at = now + 24 * HOUR_MS;
    let (s, booked) = call(
        &w.server,
        &care,
        &liu_task,
        json!({"outcome": "appointment", "appointment_at": ts(at), "feedback": "周六上午方便"}),
    );
    rule(
        "an appointment on the call ends the task and is in the front desk's register",
        || {
            assert_eq!(s, 200, "{booked}");
            assert_eq!(booked["state"], "done", "{booked}");
            assert_eq!(booked["outcome"], "appointment", "{booked}");
            let desk = w.server.login("desk", PASSWORD);
            let (s, reg) = w.server.get(
                &format!("/api/care/appointments?store={store}"),
                Some(&desk),
            );
            assert_eq!(s, 200, "{reg}");
            let list = reg["appointments"].as_array().unwrap();
            assert_eq!(list.len(), 1, "{reg}");
            assert_eq!(list[0]["member"], liu.as_str(), "{reg}");
            assert_eq!(list[0]["task"], liu_task.as_str(), "{reg}");
            assert_eq!(list[0]["state"], "booked", "{reg}");
            assert_eq!(list[0]["name"], "刘洋", "{reg}");
            assert_eq!(
                Timestamp::parse(list[0]["at"].as_str().unwrap())
                    .unwrap()
                    .millis(),
                at
            );
        },
    );
    rule(
        "the front desk books an appointment at least 3 hours ahead and marks it arrived",
        || {
            let desk = w.server.login("desk", PASSWORD);
            let (s, v) = w.server.post(
                "/api/care/appointments",
                &json!({"member": chen, "at": ts(now + HOUR_MS), "purpose": "首保"}),
                Some(&desk),
            );
            assert_eq!(
                (s, v["code"].as_str()),
                (422, Some("appointment_too_soon")),
                "{v}"
            );
            let (s, a) = w.server.post(
                "/api/care/appointments",
                &json!({"member": chen, "at": ts(now + 4 * HOUR_MS), "purpose": "首保"}),
                Some(&desk),
            );
            assert_eq!(s, 201, "{a}");
            let id = a["id"].as_str().unwrap();
            let (s, v) = w.server.post(
                &format!("/api/care/appointments/{id}/arrived"),
                &json!({}),
                Some(&desk),
            );
            assert_eq!((s, v["state"].as_str()), (200, Some("arrived")), "{v}");
            let (s, v) = w.server.post(
                &format!("/api/care/appointments/{id}/cancel"),
                &json!({}),
                Some(&desk),
            );
            assert_eq!(
                (s, v["code"].as_str()),
                (409, Some("appointment_not_booked")),
                "{v}"
            );
        },
    );

    rule(
        "a campaign goes to the members who agreed to SMS, and the month counts it against 3",
        || {
            let (s, c) = w.server.post(
            "/api/care/campaigns",
            &json!({"kind": "weather", "title": "暴雨预警", "text": "明日有暴雨，请减少出行，注意行车安全。",
                "segment": {"statuses": ["pending", "active"]}}),
            Some(&cm),
        );
            assert_eq!(s, 201, "{c}");
            assert_eq!(
                (c["recipients"].as_u64(), c["without_consent"].as_u64()),
                (Some(1), Some(1)),
                "{c}"
            );
            let (s, board) = w.server.get("/api/care/campaigns", Some(&care));
            assert_eq!(s, 200, "{board}");
            assert_eq!(
                (board["this_month"].as_u64(), board["target"].as_u64()),
                (Some(1), Some(3)),
                "{board}"
            );
        },
    );

    // Three months without a visit: both owners are lost customers, in their classes.
    w.at(delivered + 95 * DAY_MS + 10 * HOUR_MS);
    let report = run(&w.server, &cm);
    rule(
        "owners not seen for 90 days are lost customers, by class, and the call records why",
        || {
            assert_eq!(report["tasks_created"], 2, "{report}");
            let (s, lost) = w.server.get("/api/care/lost", Some(&care));
            assert_eq!(s, 200, "{lost}");
            assert_eq!(lost["counts"]["local"], 1, "{lost}");
            assert_eq!(lost["counts"]["non_local"], 1, "{lost}");
            assert_eq!(lost["counts"]["non_local_out_of_warranty"], 1, "{lost}");
            assert!(lost["next"].is_null(), "{lost}");
            // A page at a time: the counts on each page, the rows once each.
            let (s, first) = w.server.get("/api/care/lost?limit=1", Some(&care));
            assert_eq!(s, 200, "{first}");
            assert_eq!(first["rows"].as_array().map(Vec::len), Some(1), "{first}");
            assert_eq!(first["counts"], lost["counts"], "{first}");
            let cursor = first["next"].as_str().expect("a next page");
            let (s, second) = w.server.get(
                &format!("/api/care/lost?limit=1&cursor={cursor}"),
                Some(&care),
            );
            assert_eq!(s, 200, "{second}");
            assert_eq!(second["rows"].as_array().map(Vec::len), Some(1), "{second}");
            assert!(second["next"].is_null(), "{second}");
            assert_ne!(
                first["rows"][0]["task"]["id"],
                second["rows"][0]["task"]["id"]
            );
            let rows = lost["rows"].as_array().unwrap();
            let row = rows
                .iter()
                .find(|r| r["task"]["member"] == chen.as_str())
                .expect("Chen's row");
            assert_eq!(
                row["class"],
                json!({"region": "non_local", "in_warranty": false}),
                "{lost}"
            );
            let id = row["task"]["id"].as_str().unwrap();
            let (s, v) = call(&w.server, &care, id, json!({"outcome": "reached"}));
            assert_eq!(
                (s, v["code"].as_str()),
                (422, Some("cause_required")),
                "{v}"
            );
            let (s, v) = call(
                &w.server,
                &care,
                id,
                json!({"outcome": "reached", "cause": "搬到外地，在当地4S店保养"}),
            );
            assert_eq!((s, v["state"].as_str()), (200, Some("done")), "{v}");
            let (_, lost) = w.server.get("/api/care/lost", Some(&care));
            assert_eq!(lost["with_cause"], 1, "{lost}");
        },
    );

    rule(
        "a service visit recorded brings the owner back: the lost task is closed as no longer due",
        || {
            let on = ts(delivered + 95 * DAY_MS);
            let (s, v) = w.server.post(
            &format!("/api/members/{liu}/service-visits"),
            &json!({"vin": "LSVAU2180N0000002", "on": &on[..10], "km": 4200, "kind": "first_service", "amount": 0}),
            Some(&care),
        );
            assert_eq!(s, 200, "{v}");
            let report = run(&w.server, &cm);
            assert_eq!(report["tasks_obsolete"], 1, "{report}");
            let (_, lost) = w.server.get("/api/care/lost", Some(&care));
            assert_eq!(lost["counts"]["local"], 0, "{lost}");
            let liu_lost: Vec<Value> = tasks(&w.server, &care, &format!("member={liu}&kind=lost"));
            assert_eq!(liu_lost.len(), 1, "{liu_lost:?}");
            assert_eq!(liu_lost[0]["state"], "done", "{liu_lost:?}");
            assert_eq!(liu_lost[0]["obsolete"], true, "{liu_lost:?}");
        },
    );
}
