//! The walking skeleton's story: two field devices enroll members on site while the server is
//! down, one vehicle on both; the server comes back, both devices sync, the back office sees every
//! member, the doubled vehicle is a conflict (both records kept), and the devices converge.

use carclub_tests::{Backend, Device, TestServer};
use serde_json::Value;

use crate::rule;

const SHARED_VIN: &str = "LSVAU2180N2183294";

fn ids(members: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = members
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Two registered devices that worked on site while the server was down: A enrolled `a1` and
/// `a2`, B enrolled `b1` and `b2`; `a1` and `b1` share a vehicle.
struct OfflineDay {
    server: TestServer,
    /// The address the server listened on, and will again.
    addr: String,
    a: Device,
    b: Device,
    a1: String,
    a2: String,
    b1: String,
    b2: String,
}

impl OfflineDay {
    fn new() -> OfflineDay {
        Self::on(Backend::Sled)
    }

    fn on(backend: Backend) -> OfflineDay {
        let mut server = TestServer::start_on(backend, &[]);
        let addr = server.addr.clone();
        let a = Device::new(&server.path("device-a"));
        let b = Device::new(&server.path("device-b"));
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
        OfflineDay {
            server,
            addr,
            a,
            b,
            a1,
            a2,
            b1,
            b2,
        }
    }

    /// A tried to sync while the server was down; then the server is back, on the same address
    /// and store, and both devices synced (A twice, so it also has what B uploaded); the
    /// administrator's token.
    fn back_online(mut self) -> (OfflineDay, String) {
        let failed = self.a.run(&["sync", "--timeout-secs", "5"]);
        assert!(!failed.status.success(), "synced with the server down");
        let addr = self.addr.clone();
        self.server.start_again(&addr);
        self.a.ok(&["sync"]);
        self.b.ok(&["sync"]);
        self.a.ok(&["sync"]);
        let token = self.server.admin();
        (self, token)
    }

    fn everyone(&self) -> Vec<String> {
        sorted(vec![
            self.a1.clone(),
            self.a2.clone(),
            self.b1.clone(),
            self.b2.clone(),
        ])
    }

    /// The two members who share a vehicle.
    fn doubled(&self) -> Vec<String> {
        sorted(vec![self.a1.clone(), self.b1.clone()])
    }
}

#[test]
fn offline_each_device_shows_its_own_members_at_once_as_pending() {
    let day = OfflineDay::new();
    let offline_a = day.a.members();
    assert_eq!(
        ids(&offline_a),
        sorted(vec![day.a1.clone(), day.a2.clone()])
    );
    assert!(
        offline_a.iter().all(|m| m["sync"] == "pending"),
        "{offline_a:?}"
    );
}

#[test]
fn syncing_while_the_server_is_down_fails_clearly_and_loses_nothing() {
    let day = OfflineDay::new();
    let failed = day.a.run(&["sync", "--timeout-secs", "5"]);
    assert_eq!(
        failed.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot reach the server"));
    assert_eq!(day.a.members().len(), 2);
}

/// Everything below reads the world after the server is back and both devices synced, which is
/// slow to make (four device syncs and a restart): one world, a rule at a time.
#[test]
fn once_the_server_is_back_and_both_devices_synced() {
    back_online_on(Backend::Sled);
}

/// The same story with the server on PostgreSQL.
#[test]
fn on_postgres_once_the_server_is_back_and_both_devices_synced() {
    back_online_on(Backend::Postgres);
}

fn back_online_on(backend: Backend) {
    let (day, token) = OfflineDay::on(backend).back_online();
    rule(
        "every member enrolled offline reaches the back office once, awaiting approval",
        || {
            let listed = day.server.members(&token, "");
            assert_eq!(ids(&listed), day.everyone(), "every member is listed once");
            for m in &listed {
                assert!(m["url"].as_str().unwrap().starts_with("automerge:"));
                assert_eq!(m["status"], "pending", "awaiting approval");
            }
        },
    );
    rule(
        "a vehicle enrolled on two devices is one explicit conflict, and both records are kept",
        || {
            let (status, body) = day.server.get("/api/conflicts", Some(&token));
            assert_eq!(status, 200);
            let conflicts = body["conflicts"].as_array().unwrap();
            let vin_conflicts: Vec<&Value> = conflicts
                .iter()
                .filter(|c| c["kind"] == "duplicate_vin")
                .collect();
            assert_eq!(vin_conflicts.len(), 1, "{conflicts:?}");
            let involved: Vec<String> = vin_conflicts[0]["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(sorted(involved), day.doubled());
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
            let by_vin = day.server.members(&token, SHARED_VIN);
            assert_eq!(by_vin.len(), 2);
            assert!(
                by_vin
                    .iter()
                    .all(|m| m["conflicts"].as_array().unwrap().len() == 1)
            );
        },
    );
    rule(
        "both devices converge on the same synced view, with the conflict shown",
        || {
            let view_a = day.a.members();
            let view_b = day.b.members();
            assert_eq!(view_a, view_b, "devices converge");
            assert_eq!(ids(&view_a), day.everyone());
            assert!(view_a.iter().all(|m| m["sync"] == "synced"), "{view_a:?}");
            let flagged: Vec<String> = view_a
                .iter()
                .filter(|m| !m["conflicts"].as_array().unwrap().is_empty())
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(sorted(flagged), day.doubled());
        },
    );
    rule(
        "a second sync changes nothing and uploads nothing twice",
        || {
            day.a.ok(&["sync"]);
            assert_eq!(ids(&day.server.members(&token, "")), day.everyone());
        },
    );
}
