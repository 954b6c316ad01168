//! The monthly figures (issue 13 item 3, docs/kpis.md) on the real server with a business clock
//! (`--clock-file`, moved by the test, never slept for): a month of a store's life recorded
//! through a field device and the API — three owners enrolled by purchase, a club event, two
//! complaints, an appointment kept, two service visits — then the clock moves to the 1st of the
//! month after and the server computes the month by itself and keeps it. The figures are checked
//! against the month worked out by hand; a backdated attendance and a recompute change the one
//! figure it should; the members behind a figure page with a cursor; the CSV opens in Excel (BOM,
//! CRLF) and is audited; the figures survive a SIGKILL; roles without the permission, another
//! store and a month not over are refused.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use carclub_shared::Timestamp;
use carclub_shared::complaints::Month;
use carclub_tests::Server;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{DAY_MS, now_ms, ts};
use serde_json::{Value, json};

use crate::rule;

const HOUR_MS: i64 = 3_600_000;

struct World {
    _dir: tempfile::TempDir,
    data: PathBuf,
    clock: PathBuf,
    server: Server,
}

impl World {
    fn launch(data: &Path, clock: &Path) -> Server {
        Server::launch(data)
            .options([std::ffi::OsStr::new("--clock-file"), clock.as_os_str()])
            // A tick every second: the 1st's figures come from the server's own run.
            .options(["--care-interval-secs", "1"])
            .start()
    }

    fn start(at: i64) -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let clock = dir.path().join("clock");
        std::fs::write(&clock, ts(at)).expect("the clock file is written");
        let server = Self::launch(&data, &clock);
        World {
            _dir: dir,
            data,
            clock,
            server,
        }
    }

    fn at(&self, ms: i64) {
        std::fs::write(&self.clock, ts(ms)).expect("the clock file is written");
    }

    fn kill_and_restart(&mut self) {
        self.server.kill();
        self.server = Self::launch(&self.data, &self.clock);
    }
}

/// The month of the story: the one two months before the current business month, so every day
/// of it lies in the past of the real clock the field device dates its events by.
fn story_month() -> Month {
    Month::of(Timestamp::from_millis(now_ms()))
        .previous()
        .previous()
}

/// `hour`:00 (UTC+8) on `day` of `month`.
fn on(month: Month, day: i64, hour: i64) -> i64 {
    month.start().millis() + (day - 1) * DAY_MS + hour * HOUR_MS
}

fn enroll_by_purchase(device: &mut JournalDevice, days_ago: i64, name: &str, n: u32) -> String {
    let member = carclub_shared::EventId::new().to_string();
    let card = device.next_card();
    device.record(
        days_ago,
        json!({
            "type": "enrolled", "member": member,
            "person": {"name": name, "phone": format!("139{n:08}")},
            "vehicle": {"vin": format!("LSVAU2180N{n:07}"), "plate": format!("粤B{n:05}")},
            "tier": "guest", "channel": {"kind": "purchase"}, "fee": 30000,
            "receipt": format!("R-KPI-{n}"), "card": card
        }),
    );
    member
}

fn ok(what: &str, (s, v): (u16, Value)) -> Value {
    assert!((200..300).contains(&s), "{what}: {s} {v}");
    v
}

fn figure<'a>(month: &'a Value, kpi: &str) -> &'a Value {
    month["figures"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["kpi"] == kpi))
        .unwrap_or_else(|| panic!("no {kpi} in {month}"))
}

fn triple(f: &Value) -> (i64, Option<i64>, Option<i64>) {
    (
        f["value"].as_i64().expect("a value"),
        f["base"].as_i64(),
        f["permille"].as_i64(),
    )
}

/// The store's figures of `month`, once the server has computed them.
fn wait_computed(server: &Server, token: &str, store: &str, month: Month) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, v) = server.get(
            &format!("/api/kpis?store={store}&from={month}&to={month}"),
            Some(token),
        );
        assert_eq!(s, 200, "{v}");
        if v["months"][0]["computed"] == true {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "the figures of {month} were not computed: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_month_recorded_through_the_api_gives_its_figures_on_the_first_and_they_are_kept() {
    let m = story_month();
    let mut w = World::start(on(m, 2, 9));
    let admin = w.server.login_admin();
    let store = create_store(&w.server, &admin, "北店", "B");
    let other = create_store(&w.server, &admin, "南店", "B");
    create_user(&w.server, &admin, "cm", "club_manager", &store);
    create_user(&w.server, &admin, "cm-south", "club_manager", &other);
    let cm = w.server.login("cm", PASSWORD);
    create_user(&w.server, &cm, "field", "field_staff", &store);
    create_user(&w.server, &cm, "care", "care_specialist", &store);

    // Three owners buy a car on the 1st of the month, are enrolled by purchase and approved on the
    // 2nd.
    let days_ago = (now_ms() - m.start().millis()) / DAY_MS;
    let mut phone = JournalDevice::register(&w.server, "field", PASSWORD);
    let a = enroll_by_purchase(&mut phone, days_ago, "陈静", 1);
    let b = enroll_by_purchase(&mut phone, days_ago, "刘洋", 2);
    let c = enroll_by_purchase(&mut phone, days_ago, "王芳", 3);
    phone.sync(&w.server);
    for member in [&a, &b, &c] {
        let (s, v) = operate(
            &w.server,
            &cm,
            member,
            json!({"type": "enrollment_approved"}),
        );
        assert_eq!(s, 200, "{v}");
    }

    // The 2nd: a lecture on the 15th for the active members — all three are invited.
    let event = ok(
        "a club event",
        w.server.post(
            "/api/club-events",
            &json!({"title": "冬季用车讲座", "kind": "lecture", "starts_at": ts(on(m, 15, 10)),
                "place": "北店二楼", "capacity": 30}),
            Some(&cm),
        ),
    );
    let event = event["id"].as_str().expect("the event's id").to_owned();

    // The 5th: A complained on the 3rd, answered on the 4th (on time); B complains today and is
    // never answered (overdue by the 1st).
    w.at(on(m, 5, 10));
    let ca = ok(
        "A's complaint",
        w.server.post(
            "/api/complaints",
            &json!({"channel": "counter", "level": "complaint", "text": "洗车排队太久",
                "member": a, "filed_at": ts(on(m, 3, 10))}),
            Some(&cm),
        ),
    );
    ok(
        "the answer",
        w.server.post(
            &format!("/api/complaints/{}/answer", ca["id"].as_str().unwrap()),
            &json!({"text": "已安排专人", "at": ts(on(m, 4, 10))}),
            Some(&cm),
        ),
    );
    ok(
        "B's complaint",
        w.server.post(
            "/api/complaints",
            &json!({"channel": "phone", "level": "complaint", "text": "保养报价不清楚", "member": b}),
            Some(&cm),
        ),
    );

    // The 9th: A books a regular service for the 10th; the 10th: A arrives and the visit is
    // recorded. The 12th: B comes for a repair without an appointment.
    w.at(on(m, 9, 10));
    let appt = ok(
        "the appointment",
        w.server.post(
            "/api/care/appointments",
            &json!({"member": a, "at": ts(on(m, 10, 10)), "purpose": "定保"}),
            Some(&cm),
        ),
    );
    w.at(on(m, 10, 10) + HOUR_MS / 2);
    ok(
        "A arrived",
        w.server.post(
            &format!(
                "/api/care/appointments/{}/arrived",
                appt["id"].as_str().unwrap()
            ),
            &json!({}),
            Some(&cm),
        ),
    );
    let day = |d: i64| Timestamp::from_millis(on(m, d, 10)).date().to_string();
    ok(
        "A's visit",
        w.server.post(
            &format!("/api/members/{a}/service-visits"),
            &json!({"vin": "LSVAU2180N0000001", "on": day(10), "kind": "regular_service", "amount": 40000}),
            Some(&cm),
        ),
    );
    w.at(on(m, 12, 10));
    ok(
        "B's visit",
        w.server.post(
            &format!("/api/members/{b}/service-visits"),
            &json!({"vin": "LSVAU2180N0000002", "on": day(12), "kind": "repair", "amount": 80000}),
            Some(&cm),
        ),
    );
    // The 15th: A comes to the lecture.
    w.at(on(m, 15, 11));
    ok(
        "A's attendance",
        w.server.post(
            &format!("/api/club-events/{event}/attendance"),
            &json!({"member": a}),
            Some(&cm),
        ),
    );

    rule("a month that has not ended is not computed", || {
        let (s, v) = w.server.post(
            "/api/kpis/compute",
            &json!({"month": m.to_string(), "store": store}),
            Some(&cm),
        );
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("month_not_over")),
            "{v}"
        );
    });

    // The 1st of the month after, 09:00: the server's tick computes the month by itself.
    w.at(on(m.next(), 1, 9));
    let trend = wait_computed(&w.server, &cm, &store, m);
    let month = &trend["months"][0];
    rule("the month's figures are those worked out by hand", || {
        // Joined in the month: A, B, C; nobody at its start: no growth rate.
        assert_eq!(triple(figure(month, "members_joined")), (3, None, None));
        assert_eq!(triple(figure(month, "member_growth")), (3, Some(0), None));
        // Arrivals here: A on the 10th (booked, arrived), B on the 12th (not booked) → 1 of 2.
        assert_eq!(
            triple(figure(month, "appointment_rate")),
            (1, Some(2), Some(500))
        );
        // Complaints due: A's answered on time, B's overdue → 1 of 2.
        assert_eq!(
            triple(figure(month, "complaint_on_time")),
            (1, Some(2), Some(500))
        );
        // Invited A, B, C to the lecture; A came → 1 of 3.
        assert_eq!(
            triple(figure(month, "activity_participation")),
            (1, Some(3), Some(333))
        );
        // Nothing done by C: 1 of 3 inactive.
        assert_eq!(
            triple(figure(month, "inactive_ratio")),
            (1, Some(3), Some(333))
        );
        // Cars delivered on the 1st: none lost, three in the base.
        assert_eq!(triple(figure(month, "lost_rate")), (0, Some(3), Some(0)));
        assert_eq!(month["computed"], true);
    });

    rule("the members behind a figure page with a cursor", || {
        let path = |part: &str, extra: &str| {
            format!(
                "/api/kpis/members?store={store}&month={m}&kpi=activity_participation&part={part}{extra}"
            )
        };
        let first = ok(
            "missed, page 1",
            w.server.get(&path("missed", "&limit=1"), Some(&cm)),
        );
        assert_eq!(first["total"], 2, "{first}");
        assert_eq!(first["rows"].as_array().map(Vec::len), Some(1), "{first}");
        let cursor = first["next"].as_str().expect("a next page").to_owned();
        let second = ok(
            "missed, page 2",
            w.server.get(
                &path("missed", &format!("&limit=1&cursor={cursor}")),
                Some(&cm),
            ),
        );
        assert_eq!(second["next"], Value::Null, "{second}");
        let mut missed: Vec<String> = [&first, &second]
            .iter()
            .map(|p| p["rows"][0]["member"].as_str().unwrap().to_owned())
            .collect();
        missed.sort();
        let mut want = vec![b.clone(), c.clone()];
        want.sort();
        assert_eq!(missed, want);
        let counted = ok("counted", w.server.get(&path("counted", ""), Some(&cm)));
        assert_eq!(counted["rows"][0]["member"], a.as_str(), "{counted}");
        assert_eq!(counted["rows"][0]["name"], "陈静", "{counted}");
    });

    // Found later: C came to an owners' drive on the 20th, keyed in from paper (backdated).
    let (s, v) = operate(
        &w.server,
        &cm,
        &c,
        json!({"type": "event_attended", "activity": "自驾游", "at": ts(on(m, 20, 10))}),
    );
    assert_eq!(s, 200, "{v}");
    rule(
        "what is kept does not move until the month is computed again",
        || {
            let v = ok(
                "the trend",
                w.server.get(
                    &format!("/api/kpis?store={store}&from={m}&to={m}"),
                    Some(&cm),
                ),
            );
            assert_eq!(
                triple(figure(&v["months"][0], "inactive_ratio")),
                (1, Some(3), Some(333))
            );
        },
    );
    rule("a recompute by the club manager counts C as active", || {
        let v = ok(
            "recompute",
            w.server.post(
                "/api/kpis/compute",
                &json!({"month": m.to_string(), "store": store}),
                Some(&cm),
            ),
        );
        let kept = &v["months"][0];
        assert_eq!(kept["computed_by"], "cm", "{v}");
        assert_eq!(
            triple(figure(kept, "inactive_ratio")),
            (0, Some(3), Some(0))
        );
        // Everything else as before.
        assert_eq!(
            triple(figure(kept, "appointment_rate")),
            (1, Some(2), Some(500))
        );
        let behind = ok(
            "inactive members",
            w.server.get(
                &format!("/api/kpis/members?store={store}&month={m}&kpi=inactive_ratio"),
                Some(&cm),
            ),
        );
        assert_eq!(behind["total"], 0, "{behind}");
    });

    rule(
        "the CSV opens in Excel: a byte-order mark, CRLF, every figure; audited",
        || {
            let (s, ct, csv) = w.server.get_text(
                &format!("/api/kpis/export?store={store}&from={m}&to={m}"),
                Some(&cm),
            );
            assert_eq!(s, 200, "{csv}");
            assert!(ct.starts_with("text/csv"), "{ct}");
            assert!(csv.starts_with('\u{feff}'), "no BOM: {csv:?}");
            assert!(csv.contains("\r\n"), "{csv:?}");
            assert!(
                !csv.replace("\r\n", "").contains('\n'),
                "a bare LF: {csv:?}"
            );
            let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
            assert_eq!(lines[0], "month,store,kpi,value,base,permille,computed_at");
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&format!("{m},北店,appointment_rate,1,2,500,"))),
                "{csv}"
            );
            let audit = ok(
                "audit",
                w.server.get("/api/audit?action=export_kpis", Some(&cm)),
            );
            assert!(audit.to_string().contains("export_kpis"), "{audit}");
        },
    );

    rule("group roles see every store, store against store", || {
        let v = ok(
            "the group",
            w.server
                .get(&format!("/api/kpis?from={m}&to={m}"), Some(&admin)),
        );
        let stores = v["stores"].as_array().expect("stores");
        assert_eq!(
            stores.len(),
            3,
            "the administrator's home store, 北店, 南店: {v}"
        );
        let north = stores.iter().find(|s| s["name"] == "北店").expect("北店");
        assert_eq!(triple(figure(north, "members_joined")), (3, None, None));
        assert_eq!(
            triple(figure(&v["months"][0], "members_joined")),
            (3, None, None)
        );
    });

    rule(
        "roles without the permission and other stores are refused",
        || {
            let care = w.server.login("care", PASSWORD);
            let (s, v) = w.server.get("/api/kpis", Some(&care));
            assert_eq!((s, v["code"].as_str()), (403, Some("forbidden")), "{v}");
            let south = w.server.login("cm-south", PASSWORD);
            let (s, v) = w
                .server
                .get(&format!("/api/kpis?store={store}"), Some(&south));
            assert_eq!(s, 403, "{v}");
            let (s, v) = w.server.get(
                &format!("/api/kpis/members?store={store}&month={m}&kpi=inactive_ratio"),
                Some(&south),
            );
            assert_eq!(s, 403, "{v}");
            let (s, v) = w.server.post(
                "/api/kpis/compute",
                &json!({"month": m.to_string(), "store": store}),
                Some(&south),
            );
            assert_eq!(s, 403, "{v}");
            // Bad input changes nothing and says why.
            let (s, v) = w.server.get("/api/kpis?from=2026-13", Some(&cm));
            assert_eq!(s, 400, "{v}");
            let (s, v) = w
                .server
                .get(&format!("/api/kpis?from={}&to={m}", m.next()), Some(&cm));
            assert_eq!((s, v["code"].as_str()), (422, Some("invalid_range")), "{v}");
            let (s, v) = w.server.get(
                &format!(
                    "/api/kpis/members?store={store}&month={}&kpi=inactive_ratio",
                    m.previous().previous()
                ),
                Some(&cm),
            );
            assert_eq!(
                (s, v["code"].as_str()),
                (404, Some("kpi_not_computed")),
                "{v}"
            );
        },
    );

    w.kill_and_restart();
    rule("the kept figures survive a SIGKILL", || {
        let v = ok(
            "after the restart",
            w.server.get(
                &format!("/api/kpis?store={store}&from={m}&to={m}"),
                Some(&cm),
            ),
        );
        assert_eq!(v["months"][0]["computed"], true, "{v}");
        assert_eq!(
            triple(figure(&v["months"][0], "inactive_ratio")),
            (0, Some(3), Some(0))
        );
    });
}
