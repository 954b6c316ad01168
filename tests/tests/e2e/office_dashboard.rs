//! The back office's dashboard (数据看板, issue 13 item 4) in a real browser against the real
//! server: two months of a store's life recorded through a field device and back-dated operations,
//! a second store with one member, both months computed; the administrator opens the dashboard,
//! reads the figures, the twelve-month trend and the stores side by side, opens the members behind
//! the inactive ratio (those counted, then those not), exports the CSV, computes the month again
//! and looks at one store only. The server then holds the export and the drill-downs in its audit
//! log.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_shared::Timestamp;
use carclub_shared::complaints::Month;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, home_store, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{DAY_MS, now_ms, ts};
use carclub_tests::{ADMIN_PASSWORD, TestServer};
use serde_json::json;

use super::rule;

/// `hour`:00 (UTC+8) on `day` of `month`.
fn on(month: Month, day: i64, hour: i64) -> i64 {
    month.start().millis() + (day - 1) * DAY_MS + hour * 3_600_000
}

/// Enrolls a member at the desk on the 3rd of `month` (or in the last hour of the 2nd; standard
/// tier, ¥180) and approves them on the 4th (back-dated by the administrator); the member's id.
fn joined(
    server: &TestServer,
    admin: &str,
    device: &mut JournalDevice,
    month: Month,
    name: &str,
    n: u32,
) -> String {
    // Whole days back from now, rounded up: the event falls in the day before 23:00 on the 3rd,
    // whatever the time of day now (rounded down, it fell on the 4th after the approval when the
    // tests ran between 10:00 and 12:00).
    let days_ago = (now_ms() - on(month, 3, 23) + DAY_MS - 1) / DAY_MS;
    let member = device.enroll(days_ago, name, n, "standard", 18000);
    device.sync(server);
    let (s, v) = operate(
        server,
        admin,
        &member,
        json!({"type": "enrollment_approved", "at": ts(on(month, 4, 10))}),
    );
    assert_eq!(s, 200, "{v}");
    member
}

#[test]
fn the_administrator_reads_the_months_figures_and_the_members_behind_them_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let server = TestServer::start();
    let admin = server.admin();
    let home = home_store(&server, &admin);
    let south = create_store(&server, &admin, "南店", "A");
    create_user(&server, &admin, "field-north", "field_staff", &home);
    create_user(&server, &admin, "field-south", "field_staff", &south);
    let this = Month::of(Timestamp::from_millis(now_ms()));
    let (m, before) = (this.previous(), this.previous().previous());

    // The month before: 陈静 and 刘洋 join. The month: 王芳 joins; 陈静 comes for a regular service
    // on the 10th and to a club event on the 12th. 南店: 赵磊 joins in the month.
    let mut north = JournalDevice::register(&server, "field-north", PASSWORD);
    let chen = joined(&server, &admin, &mut north, before, "陈静", 1);
    let _liu = joined(&server, &admin, &mut north, before, "刘洋", 2);
    let wang = joined(&server, &admin, &mut north, m, "王芳", 3);
    let mut southern = JournalDevice::register(&server, "field-south", PASSWORD);
    joined(&server, &admin, &mut southern, m, "赵磊", 4);
    let day10 = Timestamp::from_millis(on(m, 10, 10)).date().to_string();
    for op in [
        json!({"type": "service_visit_recorded", "vin": "LSVAU2180N0000001", "on": day10,
            "kind": "regular_service", "amount": 40000, "at": ts(on(m, 10, 11))}),
        json!({"type": "event_attended", "activity": "冬季用车讲座", "at": ts(on(m, 12, 15))}),
    ] {
        let (s, v) = operate(&server, &admin, &chen, op);
        assert_eq!(s, 200, "{v}");
    }
    for month in [before, m] {
        let (s, v) = server.post(
            "/api/kpis/compute",
            &json!({"month": month.to_string()}),
            Some(&admin),
        );
        assert_eq!(s, 200, "{v}");
    }

    let output = carclub_tests::browser::drive(
        "office-dashboard.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", ADMIN_PASSWORD.to_owned()),
            ("--month", m.to_string()),
            ("--inactive", "刘洋".to_owned()),
            ("--active", "陈静".to_owned()),
        ],
    );
    rule(
        "the CSV downloaded in the browser holds the month's figures",
        || {
            let line = carclub_tests::browser::printed(&output, "CSV");
            assert!(line.contains("bom=yes"), "{line}");
            assert!(line.contains("crlf=yes"), "{line}");
            assert!(
                line.contains(&format!("{m},group,members_joined,2")),
                "{line}"
            );
        },
    );
    rule(
        "the export and the members opened are in the audit log",
        || {
            for action in ["export_kpis", "view_kpi_members", "compute_kpis"] {
                let (s, v) = server.get(&format!("/api/audit?action={action}"), Some(&admin));
                assert_eq!(s, 200, "{v}");
                let n = v["records"].as_array().map(Vec::len).unwrap_or(0);
                assert!(n > 0, "no {action} in the audit log: {v}");
            }
        },
    );
    rule(
        "王芳 (joined in the month, nothing done since) is behind the inactive ratio",
        || {
            let (s, v) = server.get(
                &format!("/api/kpis/members?store={home}&month={m}&kpi=inactive_ratio"),
                Some(&admin),
            );
            assert_eq!(s, 200, "{v}");
            assert!(v.to_string().contains(&wang), "{v}");
        },
    );
}
