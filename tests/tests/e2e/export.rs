//! Exports need the permission to export: the club's managers get the member list as CSV within
//! their scope, others are refused, and every export is in the audit log.

use carclub_tests::accounts::{PASSWORD, create_user, home_store};
use carclub_tests::{Device, TestServer};

/// The administrator's store with a club manager and finance, and two members enrolled by a
/// field device (one whose name needs quoting in CSV).
fn store_with_two_members() -> TestServer {
    let server = TestServer::start();
    let admin = server.admin();
    let home = home_store(&server, &admin);
    create_user(&server, &admin, "manager", "club_manager", &home);
    create_user(&server, &admin, "finance", "finance", &home);
    let device = Device::new(&server.path("device"));
    device.register(&server, "phone");
    device.enroll(
        "导出一",
        "13800138011",
        "LSVAU2180N3000001",
        "粤B70001",
        "R-E-1",
    );
    device.enroll(
        "Smith, \"Jo\"",
        "13800138012",
        "LSVAU2180N3000002",
        "粤B70002",
        "R-E-2",
    );
    device.ok(&["sync"]);
    server
}

#[test]
fn a_club_manager_exports_the_member_list_as_csv() {
    let server = store_with_two_members();
    let manager = server.login("manager", PASSWORD);
    let (code, ct, csv) = server.get_text("/api/members/export", Some(&manager));
    assert_eq!(code, 200, "{csv}");
    assert!(ct.starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,phone,card,tier,status,vin,plate,store,enrolled_at"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(csv.contains("导出一"));
    assert!(csv.contains("\"Smith, \"\"Jo\"\"\""), "quoted: {csv}");
}

#[test]
fn roles_without_the_export_permission_are_refused() {
    let server = store_with_two_members();
    let finance = server.login("finance", PASSWORD);
    let (code, _, body) = server.get_text("/api/members/export", Some(&finance));
    assert_eq!(code, 403, "{body}");
    let (code, _, _) = server.get_text("/api/members/export", Some("not-a-token"));
    assert_eq!(code, 401);
}

#[test]
fn every_export_is_audited_with_who_made_it_and_how_many_members_it_held() {
    let server = store_with_two_members();
    let manager = server.login("manager", PASSWORD);
    let (code, _, csv) = server.get_text("/api/members/export", Some(&manager));
    assert_eq!(code, 200, "{csv}");
    // Refused exports are not exports.
    let finance = server.login("finance", PASSWORD);
    assert_eq!(
        server.get_text("/api/members/export", Some(&finance)).0,
        403
    );
    let (code, audit) = server.get("/api/audit?action=export_members", Some(&server.admin()));
    assert_eq!(code, 200);
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "one export, one record: {audit}");
    assert_eq!(records[0]["username"], "manager");
    assert_eq!(records[0]["detail"], "2 members");
}
