//! The walking skeleton's story: two field devices enroll members on site while the server is
//! down, one vehicle on both; the server comes back, both devices sync, the back office sees every
//! member, the doubled vehicle is a conflict (both records kept), and the devices converge.

use carclub_tests::{ADMIN_PASSWORD, Device, Server};
use serde_json::Value;

const SHARED_VIN: &str = "LSVAU2180N2183294";

fn ids(members: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = members
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn offline_enrollments_reach_the_back_office_and_conflicts_are_explicit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data, "127.0.0.1:0");
    let addr = server.addr.clone();

    let a = Device::new(&tmp.path().join("device-a"));
    let b = Device::new(&tmp.path().join("device-b"));
    a.register(&server, "field phone A");
    b.register(&server, "field phone B");

    // The network is gone: the server is down while staff work on site.
    server.stop();

    a.ok(&["visit", "start", "--site", "深圳华强电子有限公司"]);
    let a1 = a.enroll("张伟", "13800138001", SHARED_VIN, "粤B10001", "R-A-001");
    let a2 = a.enroll(
        "王芳",
        "13800138002",
        "LFV2A21K0A3000002",
        "粤B10002",
        "R-A-002",
    );
    a.ok(&[
        "visit",
        "end",
        "--notes",
        "12 people asked about the gold card",
    ]);

    b.ok(&["visit", "start", "--site", "万科城小区"]);
    let b1 = b.enroll("李娜", "13900139001", SHARED_VIN, "粤B20001", "R-B-001");
    let b2 = b.enroll(
        "刘洋",
        "13900139002",
        "LGBH52E05AY000003",
        "粤B20002",
        "R-B-002",
    );
    b.ok(&["visit", "end"]);

    // Offline, each device shows its own members at once, as pending.
    let offline_a = a.members();
    assert_eq!(ids(&offline_a), {
        let mut v = vec![a1.clone(), a2.clone()];
        v.sort();
        v
    });
    assert!(
        offline_a.iter().all(|m| m["sync"] == "pending"),
        "{offline_a:?}"
    );

    // Syncing while the server is down fails clearly and loses nothing.
    let failed = a.run(&["sync", "--timeout-secs", "5"]);
    assert_eq!(
        failed.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot reach the server"));
    assert_eq!(a.members().len(), 2);

    // The server is back, on the same address and store.
    let server = Server::start(&data, &addr);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);

    let token = server.login("admin", ADMIN_PASSWORD);
    let listed = server.members(&token, "");
    let mut expected = vec![a1.clone(), a2.clone(), b1.clone(), b2.clone()];
    expected.sort();
    assert_eq!(ids(&listed), expected, "every member is listed once");
    for m in &listed {
        assert!(m["url"].as_str().unwrap().starts_with("automerge:"));
        assert_eq!(m["status"], "pending", "awaiting approval");
    }

    // The doubled vehicle is reported, with both records kept.
    let (status, body) = server.get("/api/conflicts", Some(&token));
    assert_eq!(status, 200);
    let conflicts = body["conflicts"].as_array().unwrap();
    let vin_conflicts: Vec<&Value> = conflicts
        .iter()
        .filter(|c| c["kind"] == "duplicate_vin")
        .collect();
    assert_eq!(vin_conflicts.len(), 1, "{conflicts:?}");
    let mut involved: Vec<String> = vin_conflicts[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    involved.sort();
    let mut doubled = vec![a1.clone(), b1.clone()];
    doubled.sort();
    assert_eq!(involved, doubled);
    assert!(
        vin_conflicts[0]["summary"]
            .as_str()
            .unwrap()
            .contains(SHARED_VIN)
    );
    let zh = vin_conflicts[0]["summary_zh"].as_str().unwrap();
    assert!(
        zh.contains(SHARED_VIN) && zh.contains("被登记入会 2 次"),
        "the summary in Chinese: {zh}"
    );
    assert!(
        vin_conflicts[0]["resolution_zh"]
            .as_str()
            .unwrap()
            .starts_with("一车一卡")
    );
    assert_eq!(
        conflicts.len(),
        1,
        "no other conflict: distinct cards and receipts"
    );
    let by_vin = server.members(&token, SHARED_VIN);
    assert_eq!(by_vin.len(), 2);
    assert!(
        by_vin
            .iter()
            .all(|m| m["conflicts"].as_array().unwrap().len() == 1)
    );

    // Both devices converge on the same view, synced, with the conflict shown.
    let view_a = a.members();
    let view_b = b.members();
    assert_eq!(view_a, view_b, "devices converge");
    assert_eq!(ids(&view_a), expected);
    assert!(view_a.iter().all(|m| m["sync"] == "synced"), "{view_a:?}");
    let flagged: Vec<String> = view_a
        .iter()
        .filter(|m| !m["conflicts"].as_array().unwrap().is_empty())
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        {
            let mut f = flagged;
            f.sort();
            f
        },
        doubled
    );

    // A second sync changes nothing and uploads nothing twice.
    a.ok(&["sync"]);
    assert_eq!(ids(&server.members(&token, "")), expected);
}
