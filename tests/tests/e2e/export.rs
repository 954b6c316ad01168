//! Exports need the permission to export: the club's managers get the member list as CSV within
//! their scope, others are refused, and every export is in the audit log.

use carclub_tests::accounts::{PASSWORD, create_user};
use carclub_tests::{ADMIN_PASSWORD, Device, Server};

fn get_text(server: &Server, path: &str, token: &str) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(format!("{}{path}", server.base))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        r.status().as_u16(),
        ct,
        r.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn only_permitted_roles_export_and_every_export_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let (_, me) = server.get("/api/me", Some(&admin));
    let home = me["user"]["store"].as_str().unwrap().to_owned();
    create_user(&server, &admin, "manager", "club_manager", &home);
    create_user(&server, &admin, "finance", "finance", &home);
    let device = Device::new(&tmp.path().join("device"));
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

    let manager = server.login("manager", PASSWORD);
    let (code, ct, csv) = get_text(&server, "/api/members/export", &manager);
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

    let finance = server.login("finance", PASSWORD);
    let (code, _, body) = get_text(&server, "/api/members/export", &finance);
    assert_eq!(code, 403, "{body}");
    let (code, _, _) = get_text(&server, "/api/members/export", "not-a-token");
    assert_eq!(code, 401);

    let (code, audit) = server.get("/api/audit?action=export_members", Some(&admin));
    assert_eq!(code, 200);
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "one export, one record: {audit}");
    assert_eq!(records[0]["username"], "manager");
    assert_eq!(records[0]["detail"], "2 members");
}
