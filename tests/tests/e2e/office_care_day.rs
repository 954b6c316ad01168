//! A customer-care specialist's day in the back office, in a real browser against the real server
//! on a fixed business clock (`--clock-file`: today at 10:00 in the store's time, a morning call
//! slot). Three members bought their cars here 70 days ago (enrolled by purchase through a field
//! device, approved), so their first-service reminders (2–3 months after delivery) are due. In the
//! browser the care manager writes the first-service script, runs the reminders now and assigns
//! the three calls to the specialist; the specialist reaches one (feedback), makes an appointment
//! with another (refused less than 3 hours ahead, then booked for tomorrow) and gets no answer from
//! the third (one tap; call again in another slot); the appointment shows in the register, where
//! she books another at the desk for a lost customer (a fourth member, last serviced here 120 days
//! ago). The manager sends a holiday campaign to the owners who agreed to SMS, reads the outbox,
//! calls the lost customer (refused, with the cause) and reads the lost customers by class. The
//! server then holds each outcome, both appointments, the script, the cause and the campaign.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_shared::Timestamp;
use carclub_tests::accounts::{PASSWORD, home_store};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{now_ms, ts};
use carclub_tests::{ADMIN_PASSWORD, Server, TestServer, urlencode};
use serde_json::{Value, json};

use crate::rule;

const HOUR_MS: i64 = 3_600_000;

const REACHED: &str = "李娜";
const APPOINT: &str = "周杰";
const UNREACHABLE: &str = "孙丽";
const LOST: &str = "吴强";
const SPECIALIST_NAME: &str = "张敏";

const FEEDBACK: &str = "车况良好，下周六上午来做首保";
const PURPOSE: &str = "首保（5000 公里保养）";
const DESK_PURPOSE: &str = "定保及流失回厂检查";
const LOST_CAUSE: &str = "已搬到外地，在当地 4S 店保养";
const SCRIPT: &str =
    "您好，我是车友汇客服。您的爱车交车已满两个月，可以预约首保了，请携带保养手册和行驶证。";
const CAMPAIGN_TITLE: &str = "元旦祝福";
const CAMPAIGN_TEXT: &str = "车友汇祝您元旦快乐，出行平安！";

/// The moment `ms` as the back office's date-time picker is typed: `YYYY-MM-DD HH:mm`, store time.
fn typed(ms: i64) -> String {
    let local = Timestamp::from_millis(ms + 8 * HOUR_MS).to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// A staff account with a display name; its id.
fn staff(
    server: &Server,
    admin: &str,
    username: &str,
    name: &str,
    role: &str,
    store: &str,
) -> String {
    let (s, v) = server.post(
        "/api/users",
        &json!({"username": username, "name": name, "password": PASSWORD, "role": role, "store": store}),
        Some(admin),
    );
    assert_eq!(s, 201, "creating {username}: {v}");
    v["id"].as_str().unwrap().to_owned()
}

/// Every task of the store in `state`, through the API.
fn tasks(server: &Server, token: &str, state: &str) -> Vec<Value> {
    let (s, v) = server.get(
        &format!("/api/care/tasks?state={state}&when=all&limit=1000"),
        Some(token),
    );
    assert_eq!(s, 200, "{v}");
    v["tasks"].as_array().unwrap().clone()
}

/// The task of the member named `name` among `list`.
fn task_of<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|t| t["summary"]["name"] == name)
        .unwrap_or_else(|| panic!("no task of {name} in {list:#?}"))
}

#[test]
fn a_care_specialist_works_through_her_day_in_the_browser() {
    carclub_tests::browser::require_web_app();
    // The business clock: today (store time) at 10:00, in the morning call slot.
    let clock_dir = tempfile::tempdir().expect("a temporary directory");
    let clock_file = clock_dir.path().join("clock");
    let today = Timestamp::from_millis(now_ms()).date();
    let clock = Timestamp::start_of(today).millis() + 10 * HOUR_MS;
    std::fs::write(&clock_file, ts(clock)).expect("the clock file");
    let server =
        TestServer::start_with(&["--clock-file", clock_file.to_str().expect("a UTF-8 path")]);

    let admin = server.admin();
    let store = home_store(&server, &admin);
    staff(&server, &admin, "caremgr", "刘经理", "club_manager", &store);
    let specialist = staff(
        &server,
        &admin,
        "kefu1",
        SPECIALIST_NAME,
        "care_specialist",
        &store,
    );
    let manager = server.login("caremgr", PASSWORD);

    // Three cars bought here 70 days ago: enrolled by purchase (the card a gift), approved.
    let mut phone = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let mut members = Vec::new();
    for (n, name) in [(1u32, REACHED), (2, APPOINT), (3, UNREACHABLE)] {
        let member = carclub_shared::EventId::new().to_string();
        let card = phone.next_card();
        phone.record(
            70,
            json!({
                "type": "enrolled", "member": member,
                "person": {"name": name, "phone": format!("1390000{n:04}")},
                "vehicle": {"vin": format!("LSVCARE00N{n:07}"), "plate": format!("粤C{n:05}"), "model": "朗逸 1.5L"},
                "tier": "standard", "channel": {"kind": "purchase"}, "fee": 0, "card": card
            }),
        );
        members.push(member);
    }
    // A fourth bought elsewhere long ago and last serviced here 120 days ago: a lost customer.
    let lost = carclub_shared::EventId::new().to_string();
    let card = phone.next_card();
    phone.record(
        400,
        json!({
            "type": "enrolled", "member": lost,
            "person": {"name": LOST, "phone": "13900000009"},
            "vehicle": {"vin": "LSVCARE00N0000009", "plate": "粤C00009"},
            "tier": "standard", "channel": {"kind": "desk"}, "fee": 18000, "receipt": "R-LOST-9", "card": card
        }),
    );
    phone.sync(&server);
    for m in members.iter().chain([&lost]) {
        let (s, v) = server.post(
            &format!("/api/members/{m}/operations"),
            &json!({"type": "enrollment_approved"}),
            Some(&admin),
        );
        assert_eq!(s, 200, "{v}");
        // Local owners who agreed to SMS (campaigns go only to them).
        let (s, v) = server.put(
            &format!("/api/members/{m}/person-facts"),
            &json!({"region": "local", "call_slots": [], "sms_consent": true}),
            Some(&admin),
        );
        assert_eq!(s, 200, "{v}");
    }
    let serviced = Timestamp::from_millis(clock - 120 * 24 * HOUR_MS).date();
    let (s, v) = server.post(
        &format!("/api/members/{lost}/service-visits"),
        &json!({"vin": "LSVCARE00N0000009", "on": serviced.to_string(), "km": 18000,
                "kind": "regular_service", "amount": 48000}),
        Some(&admin),
    );
    assert!(s == 200 || s == 201, "{v}");

    let appointment_at = clock + 24 * HOUR_MS;
    let desk_at = appointment_at + 5 * HOUR_MS;
    let output = carclub_tests::browser::drive(
        "office-care-day.mjs",
        &server,
        &[
            ("--manager", "caremgr".to_owned()),
            ("--specialist", "kefu1".to_owned()),
            ("--password", PASSWORD.to_owned()),
            ("--specialist-name", SPECIALIST_NAME.to_owned()),
            ("--reached", REACHED.to_owned()),
            ("--appoint", APPOINT.to_owned()),
            ("--unreachable", UNREACHABLE.to_owned()),
            ("--feedback", FEEDBACK.to_owned()),
            ("--too-soon", typed(clock + HOUR_MS)),
            ("--appointment", typed(appointment_at)),
            ("--purpose", PURPOSE.to_owned()),
            ("--script", SCRIPT.to_owned()),
            ("--campaign-title", CAMPAIGN_TITLE.to_owned()),
            ("--campaign-text", CAMPAIGN_TEXT.to_owned()),
            ("--now", ts(clock)),
            ("--lost", LOST.to_owned()),
            ("--desk-appointment", typed(desk_at)),
            ("--desk-purpose", DESK_PURPOSE.to_owned()),
            ("--lost-cause", LOST_CAUSE.to_owned()),
        ],
    );
    assert!(output.contains("done"), "{output}");

    let done = tasks(&server, &manager, "done");
    let open = tasks(&server, &manager, "open");

    rule(
        "the script the manager wrote is the store's first-service script",
        || {
            let (s, v) = server.get("/api/care/scripts", Some(&manager));
            assert_eq!(s, 200, "{v}");
            let first = v["scripts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["kind"] == "first_service")
                .unwrap_or_else(|| panic!("no first-service script: {v}"));
            assert_eq!(first["text"], SCRIPT, "{v}");
        },
    );

    rule(
        "each of the day's calls was assigned to the specialist",
        || {
            for name in [REACHED, APPOINT] {
                assert_eq!(
                    task_of(&done, name)["assignee"],
                    specialist.as_str(),
                    "{name}"
                );
            }
            assert_eq!(task_of(&open, UNREACHABLE)["assignee"], specialist.as_str());
        },
    );

    rule(
        "the member reached: one call, reached, with the feedback; the task is done",
        || {
            let t = task_of(&done, REACHED);
            assert_eq!(t["kind"], "first_service", "{t}");
            let calls = t["calls"].as_array().unwrap();
            assert_eq!(calls.len(), 1, "{t}");
            assert_eq!(calls[0]["outcome"], "reached", "{t}");
            assert_eq!(calls[0]["slot"], "morning", "{t}");
            assert_eq!(calls[0]["feedback"], FEEDBACK, "{t}");
            assert_eq!(calls[0]["by"], specialist.as_str(), "{t}");
            assert_eq!(t["next"], json!({"done": "reached"}), "{t}");
            assert_eq!(t["state"], "done", "{t}");
        },
    );

    rule(
        "the appointment refused less than 3 hours ahead changed nothing; the one booked is in the register",
        || {
            let t = task_of(&done, APPOINT);
            let calls = t["calls"].as_array().unwrap();
            assert_eq!(calls.len(), 1, "only the booked call is on file: {t}");
            assert_eq!(calls[0]["outcome"], "appointment", "{t}");
            let day = Timestamp::from_millis(appointment_at).date();
            let after = Timestamp::from_millis(appointment_at + 24 * HOUR_MS).date();
            let (s, v) = server.get(
                &format!("/api/care/appointments?from={day}&to={after}"),
                Some(&manager),
            );
            assert_eq!(s, 200, "{v}");
            let list = v["appointments"].as_array().unwrap();
            assert_eq!(
                list.len(),
                2,
                "the one made on the call, the one booked at the desk: {v}"
            );
            let of = |member: &str| {
                list.iter()
                    .find(|a| a["member"] == member)
                    .unwrap_or_else(|| panic!("no appointment of {member}: {v}"))
            };
            let at = |a: &Value| {
                Timestamp::parse(a["at"].as_str().unwrap())
                    .unwrap()
                    .millis()
            };
            let a = of(&members[1]);
            assert_eq!(at(a), appointment_at, "{a}");
            assert_eq!(a["purpose"], PURPOSE, "{a}");
            assert_eq!(a["booked_by"], specialist.as_str(), "{a}");
            assert_eq!(a["state"], "booked", "{a}");
            assert_eq!(a["task"], t["id"], "made on the call: {a}");
            let desk = of(&lost);
            assert_eq!(at(desk), desk_at, "{desk}");
            assert_eq!(desk["purpose"], DESK_PURPOSE, "{desk}");
            assert_eq!(desk["booked_by"], specialist.as_str(), "{desk}");
            assert!(
                desk["task"].is_null(),
                "booked at the desk, not on a call: {desk}"
            );
            let (s, none) = server.get(
                &format!("/api/care/appointments?from={today}&to={day}"),
                Some(&manager),
            );
            assert_eq!(s, 200, "{none}");
            assert_eq!(
                none["appointments"],
                json!([]),
                "nothing booked for today: {none}"
            );
        },
    );

    rule(
        "the unreachable member: one call, no answer, in the morning; call again in another slot",
        || {
            let t = task_of(&open, UNREACHABLE);
            let calls = t["calls"].as_array().unwrap();
            assert_eq!(calls.len(), 1, "{t}");
            assert_eq!(calls[0]["outcome"], "no_answer", "{t}");
            assert_eq!(calls[0]["slot"], "morning", "{t}");
            assert_eq!(t["next"]["call_again"]["avoid"], json!(["morning"]), "{t}");
            assert_eq!(t["state"], "open", "{t}");
        },
    );

    rule(
        "the lost customer's call: refused, with the cause; the lost list counts it by class",
        || {
            let t = task_of(&done, LOST);
            assert_eq!(t["kind"], "lost", "{t}");
            assert_eq!(t["outcome"], "refused", "{t}");
            assert_eq!(t["cause"], LOST_CAUSE, "{t}");
            let (s, v) = server.get("/api/care/lost", Some(&manager));
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["counts"]["local"], 1, "{v}");
            assert_eq!(v["counts"]["local_out_of_warranty"], 1, "{v}");
            assert_eq!(v["with_cause"], 1, "{v}");
            assert_eq!(v["rows"][0]["task"]["cause"], LOST_CAUSE, "{v}");
        },
    );

    rule(
        "the holiday campaign counts for this month and its messages are in the outbox",
        || {
            let (s, v) = server.get("/api/care/campaigns", Some(&manager));
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["this_month"], 1, "{v}");
            assert_eq!(v["target"], 3, "{v}");
            let c = &v["campaigns"][0];
            assert_eq!(c["title"], CAMPAIGN_TITLE, "{v}");
            assert_eq!(c["kind"], "holiday", "{v}");
            let (s, out) = server.get(
                &format!("/api/care/outbox?store={}", urlencode(&store)),
                Some(&manager),
            );
            assert_eq!(s, 200, "{out}");
            let sent = out["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["kind"] == "campaign")
                .filter(|m| {
                    m["text"]
                        .as_str()
                        .is_some_and(|t| t.contains(CAMPAIGN_TEXT))
                })
                .count();
            assert_eq!(
                sent, 4,
                "one message to each active member who agreed to SMS: {out}"
            );
            assert_eq!(c["recipients"], 4, "{v}");
        },
    );
}
