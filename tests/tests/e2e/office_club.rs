//! The back office's club screens in a real browser against the real server, and the two things
//! the server gained for them: satisfaction scores after a club event (DOMAIN.md §6, "satisfaction
//! survey") and the member list filtered by company.
//!
//! In the browser the administrator creates an event for the active members of the standard tier,
//! reads its invitation list, checks an attendee in by plate (the points shown), sees a second
//! check-in refused, records a satisfaction score and sees the average; puts a partner merchant on
//! file and deactivates it; signs a corporate agreement with a service advisor and check days and
//! sees a member of that company in its member list; reception then sees the event and the
//! partners but is offered no action its role may not take. The server then holds one attendance
//! and its points once, the score and its average, the partner inactive and the agreement as
//! signed.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, home_store, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{DAY_MS, now_ms, ts};
use carclub_tests::{ADMIN_PASSWORD, Device, TestServer};
use serde_json::{Value, json};

use super::rule;

const TITLE: &str = "冬季用车讲堂";
const ATTENDEE: &str = "王芳";
const PLATE: &str = "粤B10001";
const OTHER: &str = "刘强";
const PENDING: &str = "赵磊";
const PARTNER: &str = "海景酒店";
const COMPANY: &str = "丙科技有限公司";

fn points(server: &TestServer, token: &str, member: &str) -> u64 {
    let (s, f) = file(server, token, member);
    assert_eq!(s, 200, "{f}");
    f["state"]["points"].as_u64().expect("points")
}

#[test]
fn the_back_office_runs_an_event_and_signs_partners_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let server = TestServer::start();
    let admin = server.admin();
    let store = home_store(&server, &admin);

    // Three members enrolled on a field device; two approved (active), one left pending.
    let device = Device::new(&server.path("d1"));
    device.register(&server, "展厅平板");
    let attendee = device.enroll(ATTENDEE, "13900010001", "LSVAM4187N2010001", PLATE, "R-401");
    let other = device.enroll(
        OTHER,
        "13900010002",
        "LSVAM4187N2010002",
        "粤B10002",
        "R-402",
    );
    let pending = device.enroll(
        PENDING,
        "13900010003",
        "LSVAM4187N2010003",
        "粤B10003",
        "R-403",
    );
    device.ok(&["sync"]);
    for m in [&attendee, &other] {
        let (s, v) = operate(&server, &admin, m, json!({"type": "enrollment_approved"}));
        assert_eq!(s, 200, "{v}");
    }
    let before = points(&server, &admin, &attendee);
    let advisor = create_user(&server, &admin, "advisor1", "service_advisor", &store);
    create_user(&server, &admin, "reception1", "reception", &store);

    let output = carclub_tests::browser::drive(
        "office-club.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", ADMIN_PASSWORD.to_owned()),
            ("--title", TITLE.to_owned()),
            ("--attendee", ATTENDEE.to_owned()),
            ("--plate", PLATE.to_owned()),
            ("--other", OTHER.to_owned()),
            ("--pending", PENDING.to_owned()),
            ("--partner", PARTNER.to_owned()),
            ("--company", COMPANY.to_owned()),
            ("--advisor", "advisor1".to_owned()),
            ("--company-member", other.clone()),
            ("--company-member-name", OTHER.to_owned()),
            ("--reception", "reception1".to_owned()),
            ("--staff-password", PASSWORD.to_owned()),
        ],
    );
    let event = carclub_tests::browser::printed(&output, "EVENT");
    let agreement = carclub_tests::browser::printed(&output, "AGREEMENT");

    let (s, ev) = server.get(&format!("/api/club-events/{event}"), Some(&admin));
    assert_eq!(s, 200, "{ev}");
    rule(
        "the event invites its segment: the active members, not the pending one",
        || {
            let mut invited: Vec<&str> = ev["invited"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            invited.sort_unstable();
            let mut want = vec![attendee.as_str(), other.as_str()];
            want.sort_unstable();
            assert_eq!(invited, want, "{ev}");
            assert!(!ev["invited"].to_string().contains(&pending));
            assert_eq!(ev["title"], TITLE);
            assert_eq!(ev["capacity"], 20);
            assert_eq!(ev["segment"]["tiers"], json!(["standard"]), "{ev}");
        },
    );
    rule("the answer recorded in the browser is kept", || {
        assert_eq!(ev["rsvps"][&attendee]["attending"], true, "{ev}");
        assert_eq!(ev["accepted"], 1);
    });
    rule("one attendance, and its points earned once", || {
        let attended = ev["attended"].as_object().unwrap();
        assert_eq!(attended.len(), 1, "{ev}");
        assert!(attended.contains_key(&attendee), "{ev}");
        let earned = ev["points"].as_u64().unwrap();
        assert!(earned > 0, "the program gives points for an event: {ev}");
        assert_eq!(points(&server, &admin, &attendee), before + earned);
    });
    rule("the satisfaction score and the average", || {
        assert_eq!(
            ev["satisfaction_summary"],
            json!({"count": 1, "average": 4.0}),
            "{ev}"
        );
        let invitation = ev["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["member"] == attendee.as_str())
            .expect("the attendee's invitation");
        assert_eq!(invitation["satisfaction"]["score"], 4, "{invitation}");
        assert_eq!(
            invitation["satisfaction"]["comment"], "讲解清楚，希望多办",
            "{invitation}"
        );
    });

    let (s, list) = server.get("/api/partners", Some(&admin));
    assert_eq!(s, 200, "{list}");
    rule("the partner is on file, inactive", || {
        let partner = list["partners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == PARTNER)
            .unwrap_or_else(|| panic!("{PARTNER} on file: {list}"));
        assert_eq!(partner["active"], false, "{partner}");
        assert!(partner["deactivated_at"].is_string(), "{partner}");
        assert_eq!(partner["kind"], "hotel", "{partner}");
    });

    let (s, a) = server.get(
        &format!("/api/corporate-accounts/{agreement}"),
        Some(&admin),
    );
    assert_eq!(s, 200, "{a}");
    rule(
        "the agreement is stored with its advisor and check days",
        || {
            assert_eq!(a["company"], COMPANY, "{a}");
            assert_eq!(a["service_advisor"], advisor.as_str(), "{a}");
            assert_eq!(a["contact"]["phone"], "13800138002", "{a}");
            let start = a["term_start"].as_str().unwrap();
            assert!(start.ends_with("-01"), "{a}");
            let month = &start[..7];
            assert_eq!(
                a["on_site_check_days"],
                json!([format!("{month}-10"), format!("{month}-20")]),
                "{a}"
            );
        },
    );
    rule("the company's members are those moved into it", || {
        let (s, page) = server.get(&format!("/api/members?company={agreement}"), Some(&admin));
        assert_eq!(s, 200, "{page}");
        let names: Vec<&str> = page["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [OTHER], "{page}");
    });
}

/// A store on preset A with a club manager, reception, and two active members (enrolled a month
/// ago); the club manager's token.
struct World {
    server: TestServer,
    store: String,
    cm: String,
    members: [String; 2],
}

fn world() -> World {
    let server = TestServer::start();
    let admin = server.admin();
    let store = create_store(&server, &admin, "东店", "A");
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    create_user(&server, &cm, "field", "field_staff", &store);
    create_user(&server, &cm, "rec", "reception", &store);
    create_user(&server, &cm, "sa", "service_advisor", &store);
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let a = phone.enroll(30, "陈静", 1, "standard", 18000);
    let b = phone.enroll(30, "刘洋", 2, "standard", 18000);
    phone.sync(&server);
    for m in [&a, &b] {
        let (s, v) = operate(&server, &cm, m, json!({"type": "enrollment_approved"}));
        assert_eq!(s, 200, "{v}");
    }
    World {
        server,
        store,
        cm,
        members: [a, b],
    }
}

impl World {
    fn event(&self, starts_ms: i64) -> String {
        let (s, v) = self.server.post(
            "/api/club-events",
            &json!({"title": "车主讲堂", "kind": "lecture", "starts_at": ts(starts_ms),
                    "place": "店内", "capacity": 10}),
            Some(&self.cm),
        );
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    fn score(&self, token: &str, event: &str, body: Value) -> (u16, Value) {
        self.server.post(
            &format!("/api/club-events/{event}/satisfaction"),
            &body,
            Some(token),
        )
    }
}

#[test]
fn satisfaction_is_scored_by_attendees_once_on_or_after_the_event_day() {
    let w = world();
    let [a, b] = &w.members;
    let today = w.event(now_ms() - 60_000);
    let (s, v) = w.server.post(
        &format!("/api/club-events/{today}/attendance"),
        &json!({"member": a}),
        Some(&w.cm),
    );
    assert_eq!(s, 200, "{v}");

    let refused = |token: &str, event: &str, body: Value, status: u16, code: &str| {
        let (s, v) = w.score(token, event, body.clone());
        assert_eq!(s, status, "{body}: {v}");
        assert_eq!(v["code"], code, "{body}: {v}");
        assert!(
            v["detail_zh"].as_str().is_some_and(|d| !d.is_empty()),
            "a reason in Chinese: {v}"
        );
    };
    refused(
        &w.cm,
        &today,
        json!({"member": b, "score": 5}),
        409,
        "not_attended",
    );
    refused(
        &w.cm,
        &today,
        json!({"member": a, "score": 6}),
        400,
        "score_out_of_range",
    );
    refused(
        &w.cm,
        &today,
        json!({"member": a, "score": 0}),
        400,
        "score_out_of_range",
    );
    refused(
        &w.cm,
        &today,
        json!({"member": a, "score": 4, "comment": "好".repeat(201)}),
        400,
        "comment_too_long",
    );
    let (s, v) = w.score(
        &w.server.login("rec", PASSWORD),
        &today,
        json!({"member": a, "score": 4}),
    );
    assert_eq!(s, 403, "reception may not record scores: {v}");

    let (s, v) = w.score(
        &w.cm,
        &today,
        json!({"member": a, "score": 4, "comment": " 很好 "}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["satisfaction_summary"],
        json!({"count": 1, "average": 4.0})
    );
    refused(
        &w.cm,
        &today,
        json!({"member": a, "score": 1}),
        409,
        "already_scored",
    );
    let (s, v) = w
        .server
        .get(&format!("/api/club-events/{today}"), Some(&w.cm));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["satisfaction_summary"],
        json!({"count": 1, "average": 4.0}),
        "{v}"
    );
    assert_eq!(v["satisfaction"], Value::Null, "{v}");
    let mine = v["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["member"] == a.as_str())
        .unwrap();
    assert_eq!(mine["satisfaction"]["score"], 4);
    assert_eq!(mine["satisfaction"]["comment"], "很好", "kept trimmed");

    let next_week = w.event(now_ms() + 7 * DAY_MS);
    refused(
        &w.cm,
        &next_week,
        json!({"member": a, "score": 5}),
        409,
        "score_before_event",
    );
    let (s, v) = w.score(&w.cm, &today, json!({"member": a, "score": 5, "extra": 1}));
    assert_eq!(s, 400, "{v}");
}

#[test]
fn the_member_list_filters_by_company() {
    let w = world();
    let [a, b] = &w.members;
    let sign = |company: &str| {
        let (s, v) = w.server.get("/api/users", Some(&w.cm));
        assert_eq!(s, 200, "{v}");
        let advisor = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "sa")
            .unwrap()["id"]
            .clone();
        let (s, v) = w.server.post(
            "/api/corporate-accounts",
            &json!({"company": company, "term_start": "2026-03-01", "fleet_price_note": "车队价",
                    "service_advisor": advisor, "contact": {"name": "赵经理", "phone": "13800138001"},
                    "store": w.store}),
            Some(&w.cm),
        );
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let one = sign("甲物流有限公司");
    let two = sign("乙运输有限公司");
    let (s, v) = operate(
        &w.server,
        &w.cm,
        a,
        json!({"type": "company_changed", "company": one}),
    );
    assert_eq!(s, 200, "{v}");
    let names = |query: &str| {
        let (s, v) = w.server.get(&format!("/api/members?{query}"), Some(&w.cm));
        assert_eq!(s, 200, "{query}: {v}");
        let mut ids: Vec<String> = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(names(&format!("company={one}")), vec![a.clone()]);
    assert!(names(&format!("company={two}")).is_empty());
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(names(""), both, "without the filter, everyone");
    assert_eq!(
        names(&format!("company={one}&q=139")),
        vec![a.clone()],
        "with a search"
    );
    let (s, v) = w.server.get("/api/members?company=nope", Some(&w.cm));
    assert_eq!(s, 400, "{v}");
}
