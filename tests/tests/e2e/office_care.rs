//! The back office's care screens in a real browser against the real server: the complaints board,
//! the monthly analysis and the audit log. Three members are enrolled by a field device and
//! approved; complaints are filed through the API across every channel, some dated back into the
//! two months before this one (answered on time, answered late, left overdue). In the browser the
//! administrator filters the board, files a complaint taken at the counter for a member found by
//! name, escalates one with a reason, answers and closes another, opens the analysis (the charts
//! draw), reads last month against the month before, opens a member's file from a complaint and
//! finds that view in the audit log filtered by the member, and exports the member list; the
//! reception is refused (in Chinese) an answer to a complaint its rung does not own. The server
//! then holds each complaint's state, the analysis' figures, the view and the export in the log.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_shared::Timestamp;
use carclub_shared::complaints::Month;
use carclub_tests::accounts::{PASSWORD, create_user, home_store};
use carclub_tests::time::{DAY_MS, now_ms, ts};
use carclub_tests::{ADMIN_PASSWORD, Device, TestServer, urlencode};
use serde_json::{Value, json};

use crate::rule;

const HOUR_MS: i64 = 3_600_000;

const WANG: &str = "王芳";
const CHEN: &str = "陈伟";
const ZHAO: &str = "赵磊";

const FILED_TEXT: &str = "柜台反映：保养后车内有异味，希望重新清洁";
const ESCALATE_TEXT: &str = "电话投诉：配件到货比承诺晚两周";
const ESCALATE_REASON: &str = "客户要求赔偿代步车费用，转为索赔";
const ANSWER_TEXT: &str = "前台反映：休息区空调太冷";
const ANSWER_REPLY: &str = "已调高休息区温度并致电客户说明";
const OVERDUE_TEXT: &str = "来信：发票抬头开错，至今未改";
const LATE_TEXT: &str = "意见本：洗车排队时间太长";

/// The moment `day` days and `hour` hours after the start of `month`, as the API writes it.
fn in_month(month: Month, day: i64, hour: i64) -> String {
    ts(month.start().millis() + day * DAY_MS + hour * HOUR_MS)
}

/// Milliseconds of a moment the API wrote.
fn millis(text: &str) -> i64 {
    Timestamp::parse(text).expect("a moment").millis()
}

#[test]
fn the_back_office_files_escalates_answers_analyses_and_audits_complaints_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let server = TestServer::start();
    let admin = server.admin();
    let store = home_store(&server, &admin);
    create_user(&server, &admin, "reception1", "reception", &store);

    // Three members enrolled by a field device, approved.
    let device = Device::new(&server.path("d1"));
    device.register(&server, "前台平板");
    let wang = device.enroll(
        WANG,
        "13900002001",
        "LSVAM4187N2062801",
        "粤A12801",
        "R-801",
    );
    let chen = device.enroll(
        CHEN,
        "13900002002",
        "LSVAM4187N2062802",
        "粤A12802",
        "R-802",
    );
    let zhao = device.enroll(
        ZHAO,
        "13900002003",
        "LSVAM4187N2062803",
        "粤A12803",
        "R-803",
    );
    device.ok(&["sync"]);
    for m in [&wang, &chen, &zhao] {
        let (s, v) = server.post(
            &format!("/api/members/{m}/operations"),
            &json!({"type": "enrollment_approved"}),
            Some(&admin),
        );
        assert_eq!(s, 200, "{v}");
    }

    let file = |body: Value| -> String {
        let (s, v) = server.post("/api/complaints", &body, Some(&admin));
        assert_eq!(s, 201, "{body}: {v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let answer = |id: &str, text: &str, at: Option<String>| {
        let (s, v) = server.post(
            &format!("/api/complaints/{id}/answer"),
            &json!({"text": text, "at": at}),
            Some(&admin),
        );
        assert_eq!(s, 200, "{v}");
    };

    // History: two complaints the month before last (one on time, one late), four last month
    // (two on time, one late, one never answered).
    let this = Month::of(Timestamp::from_millis(now_ms()));
    let last = this.previous();
    let before = last.previous();
    let at = |month: Month, day: i64, hour: i64| in_month(month, day, hour);
    let history = [
        (before, 2, "counter", "grumble", Some(2)),
        (before, 9, "phone", "complaint", Some(100)),
        (last, 3, "hotline", "major", Some(5)),
        (last, 6, "letter", "complaint", Some(80)),
        (last, 12, "comments_book", "grumble", None),
        (last, 15, "counter", "claim", Some(1)),
    ];
    for (month, day, channel, level, hours) in history {
        let filed = at(month, day, 10);
        let id = file(json!({"channel": channel, "level": level, "member": wang,
            "text": format!("{month} 的历史投诉"), "filed_at": filed}));
        if let Some(h) = hours {
            answer(&id, "已处理", Some(ts(millis(&filed) + h * HOUR_MS)));
        }
    }

    // On the board now: one to escalate, one to answer and close, one overdue, one answered late.
    let to_escalate = file(
        json!({"channel": "phone", "level": "complaint", "member": chen,
        "text": ESCALATE_TEXT}),
    );
    let to_answer = file(
        json!({"channel": "counter", "level": "grumble", "member": wang,
        "text": ANSWER_TEXT}),
    );
    let overdue = file(
        json!({"channel": "letter", "level": "complaint", "member": zhao,
        "text": OVERDUE_TEXT, "filed_at": ts(now_ms() - 4 * DAY_MS)}),
    );
    let late = file(
        json!({"channel": "comments_book", "level": "grumble", "member": wang,
        "text": LATE_TEXT, "filed_at": ts(now_ms() - 5 * DAY_MS)}),
    );
    answer(&late, "已增加洗车工位", Some(ts(now_ms() - DAY_MS)));

    carclub_tests::browser::drive(
        "office-care.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", ADMIN_PASSWORD.to_owned()),
            ("--reception", "reception1".to_owned()),
            ("--staff-password", PASSWORD.to_owned()),
            ("--member", WANG.to_owned()),
            ("--filed-text", FILED_TEXT.to_owned()),
            ("--escalate-text", ESCALATE_TEXT.to_owned()),
            ("--escalate-reason", ESCALATE_REASON.to_owned()),
            ("--answer-text", ANSWER_TEXT.to_owned()),
            ("--answer-reply", ANSWER_REPLY.to_owned()),
            ("--overdue-text", OVERDUE_TEXT.to_owned()),
            ("--late-text", LATE_TEXT.to_owned()),
            ("--last-month", last.to_string()),
            ("--before-filed", "2".to_owned()),
        ],
    );

    let complaint = |id: &str| {
        let (s, v) = server.get(&format!("/api/complaints/{id}"), Some(&admin));
        assert_eq!(s, 200, "{v}");
        v
    };

    rule(
        "the complaint filed at the counter in the browser is on file",
        || {
            let (s, list) = server.get(
                &format!(
                    "/api/complaints?member={}&channel=counter&open=true",
                    urlencode(&wang)
                ),
                Some(&admin),
            );
            assert_eq!(s, 200, "{list}");
            let filed = list["complaints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["text"] == FILED_TEXT)
                .unwrap_or_else(|| panic!("the filed complaint: {list}"));
            assert_eq!(filed["level"], "grumble", "{filed}");
            assert_eq!(filed["owner"], "reception", "{filed}");
            let due = millis(filed["deadline"].as_str().unwrap());
            let at = millis(filed["filed_at"].as_str().unwrap());
            assert_eq!(due - at, 3 * DAY_MS, "due three days after filing: {filed}");
        },
    );

    rule(
        "the escalated complaint is a claim owned by the general manager, with the reason",
        || {
            let c = complaint(&to_escalate);
            assert_eq!(c["level"], "claim", "{c}");
            assert_eq!(c["owner"], "general_manager", "{c}");
            assert_eq!(c["escalations"][0]["from"], "complaint", "{c}");
            assert_eq!(c["escalations"][0]["reason"], ESCALATE_REASON, "{c}");
            assert_eq!(c["open"], true, "{c}");
        },
    );

    rule(
        "the answered complaint is closed with the answer given in the browser",
        || {
            let c = complaint(&to_answer);
            assert_eq!(c["answer"]["text"], ANSWER_REPLY, "{c}");
            assert_eq!(c["answer"]["late"], false, "{c}");
            assert_eq!(c["open"], false, "{c}");
            assert!(c["closed_at"].is_string(), "{c}");
        },
    );

    rule("the reception's refused answer changed nothing", || {
        let c = complaint(&overdue);
        assert!(c["answer"].is_null(), "{c}");
        assert_eq!(c["overdue"], true, "{c}");
    });

    rule(
        "the channel filter lists only that channel's complaints",
        || {
            let (s, list) = server.get("/api/complaints?channel=letter", Some(&admin));
            assert_eq!(s, 200, "{list}");
            let all = list["complaints"].as_array().unwrap();
            assert_eq!(
                all.len(),
                2,
                "last month's letter and the overdue one: {list}"
            );
            assert!(all.iter().all(|c| c["channel"] == "letter"), "{list}");
        },
    );

    rule(
        "the analysis of last month against the month before",
        || {
            let (s, a) = server.get(
                &format!("/api/complaints/analysis?month={last}&store={store}"),
                Some(&admin),
            );
            assert_eq!(s, 200, "{a}");
            let p = &a["previous"];
            assert_eq!(p["month"], before.to_string(), "{a}");
            assert_eq!(p["filed"], 2, "{a}");
            assert_eq!(
                (p["on_time"].as_u64(), p["late"].as_u64()),
                (Some(1), Some(1))
            );
            assert_eq!(p["on_time_permille"], 500, "{a}");
            // 2 h and 100 h: the median of two is their mean, 51 h.
            assert_eq!(p["median_answer_minutes"], 51 * 60, "{a}");
            assert_eq!(p["average_answer_minutes"], 51 * 60, "{a}");
            let c = &a["current"];
            assert_eq!(c["month"], last.to_string(), "{a}");
            // Last month's four, and those of the board dated back into it when this month is young.
            assert!(c["filed"].as_u64().unwrap() >= 4, "{a}");
            assert!(c["overdue"].as_u64().unwrap() >= 1, "{a}");
            let by_channel = |ch: &str| {
                c["by_channel"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["channel"] == ch)
                    .unwrap()["count"]
                    .as_u64()
                    .unwrap()
            };
            assert!(
                by_channel("hotline") >= 1 && by_channel("comments_book") >= 1,
                "{a}"
            );
            let (s, bad) = server.get("/api/complaints/analysis?month=2026-13", Some(&admin));
            assert_eq!(s, 400, "a month that is not one: {bad}");
        },
    );

    rule(
        "the audit log holds the browser's view of the member's file and the export",
        || {
            let (s, views) = server.get(
                &format!(
                    "/api/audit?member={}&action=view_member_file",
                    urlencode(&wang)
                ),
                Some(&admin),
            );
            assert_eq!(s, 200, "{views}");
            assert!(
                views["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["username"] == "admin"),
                "{views}"
            );
            let (s, exports) = server.get("/api/audit?action=export_members", Some(&admin));
            assert_eq!(s, 200, "{exports}");
            let rec = &exports["records"][0];
            assert_eq!(rec["username"], "admin", "{exports}");
            assert!(
                rec["detail"].as_str().unwrap().starts_with("3 "),
                "{exports}"
            );
        },
    );

    rule("the audit log's dates: from and to", || {
        let today = Timestamp::from_millis(now_ms()).date();
        let (s, none) = server.get(
            &format!("/api/audit?to={}", urlencode(&ts(now_ms() - 2 * DAY_MS))),
            Some(&admin),
        );
        assert_eq!(s, 200, "{none}");
        assert_eq!(
            none["records"],
            json!([]),
            "nothing recorded before the test: {none}"
        );
        let (s, all) = server.get(&format!("/api/audit?from={today}"), Some(&admin));
        assert_eq!(s, 200, "{all}");
        let n = all["records"].as_array().unwrap().len();
        assert!(n >= 10, "today's records: {all}");
        let (s, later) = server.get(
            &format!("/api/audit?from={}", urlencode(&ts(now_ms() + HOUR_MS))),
            Some(&admin),
        );
        assert_eq!(s, 200, "{later}");
        assert_eq!(later["records"], json!([]), "{later}");
        let (s, bad) = server.get("/api/audit?from=yesterday", Some(&admin));
        assert_eq!(s, 400, "{bad}");
    });
}
