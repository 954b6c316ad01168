//! Bringing a DMS export in (`carclub-server import`, `POST /api/imports/check`, `POST
//! /api/imports`) and exporting service visits and care outcomes: a dry run lists each bad row
//! with its line and changes nothing; the real run imports the rest, and running it again changes
//! nothing; an import killed in the middle finishes on a second run without duplicates, and a back
//! office import job killed with its server goes on after the restart; a GBK file
//! imports as a UTF-8 one does; what is imported reaches devices by sync; the exports open in
//! Excel (BOM, CRLF) and are audited; roles without the permission are refused.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carclub_shared::Timestamp;
use carclub_tests::accounts::{PASSWORD, create_user, home_store};
use carclub_tests::time::{DAY_MS, now_ms};
use carclub_tests::{Device, TestServer, bin, root};
use serde_json::{Value, json};

use super::rule;

/// Standard base64 of `bytes`, as the upload sends files.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(root().join("docs/examples").join(name)).expect("the example file")
}

/// The three example files (docs/examples) as an upload.
fn examples_upload() -> Value {
    json!({"files": [
        {"kind": "customers", "name": "customers.csv", "content": base64(&example("customers.csv"))},
        {"kind": "vehicles", "name": "vehicles.csv", "content": base64(&example("vehicles.csv"))},
        {"kind": "visits", "name": "visits.csv", "content": base64(&example("visits.csv"))},
    ]})
}

/// The refusals of a report as (file, line).
fn refused(report: &Value) -> Vec<(String, u64)> {
    report["refused"]
        .as_array()
        .expect("refusals")
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Counts of one file of a report: (added, updated, unchanged, refused).
fn counts(report: &Value, file: &str) -> (u64, u64, u64, u64) {
    let c = &report[file];
    let n = |k: &str| {
        c[k].as_u64()
            .unwrap_or_else(|| panic!("{file}.{k} in {report}"))
    };
    (n("added"), n("updated"), n("unchanged"), n("refused"))
}

/// Starts an import of `upload` and waits for its job to finish; the job.
fn import_over_http(server: &TestServer, token: &str, upload: &Value) -> Value {
    let (code, job) = server.post("/api/imports", upload, Some(token));
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (code, job) = server.get(&format!("/api/imports/{id}"), Some(token));
        assert_eq!(code, 200, "{job}");
        match job["state"].as_str() {
            Some("finished") => return job,
            Some("running") => {}
            other => panic!("the import job is {other:?}: {job}"),
        }
        assert!(
            Instant::now() < deadline,
            "the import did not finish: {job}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The members the administrator finds, by name.
fn member_named(server: &TestServer, token: &str, name: &str) -> Value {
    let found = server.members(token, name);
    assert_eq!(found.len(), 1, "one member named {name}: {found:?}");
    let id = found[0]["id"].as_str().unwrap();
    let (code, file) = server.get(&format!("/api/members/{id}"), Some(token));
    assert_eq!(code, 200, "{file}");
    file
}

fn visits_of(file: &Value) -> usize {
    file["state"]["care"]["vehicles"]
        .as_array()
        .expect("vehicles in the service file")
        .iter()
        .map(|v| v["visits"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn a_dry_run_lists_each_bad_row_with_its_line_then_the_import_brings_the_rest_once() {
    let server = TestServer::start();
    let admin = server.admin();
    let home = home_store(&server, &admin);
    create_user(&server, &admin, "manager", "club_manager", &home);
    let manager = server.login("manager", PASSWORD);
    let upload = examples_upload();

    let (code, report) = server.post("/api/imports/check", &upload, Some(&manager));
    assert_eq!(code, 200, "{report}");
    rule(
        "the dry run lists every bad row with its file and line",
        || {
            assert_eq!(
                refused(&report),
                vec![
                    ("customers.csv".into(), 5),
                    ("customers.csv".into(), 6),
                    ("vehicles.csv".into(), 6),
                    ("vehicles.csv".into(), 7),
                    ("visits.csv".into(), 8),
                    ("visits.csv".into(), 9),
                    ("visits.csv".into(), 10),
                ],
                "{report}"
            );
            let reasons: Vec<&str> = report["refused"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reason"].as_str().unwrap())
                .collect();
            assert!(reasons[0].contains("phone"), "{reasons:?}");
            assert!(reasons[1].contains("store"), "{reasons:?}");
            assert!(reasons[2].contains("VIN"), "{reasons:?}");
            assert!(reasons[4].contains("date"), "{reasons:?}");
            assert!(
                report["refused"][0]["reason_zh"]
                    .as_str()
                    .unwrap()
                    .contains("手机")
            );
            // Each reason in Chinese names the column and what it should hold, not a generic
            // "wrong format".
            let zh: Vec<&str> = report["refused"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reason_zh"].as_str().unwrap())
                .collect();
            assert_eq!(
                zh[4],
                "进厂日期“2025-13-01”无效：应为日期，如 2024-03-01（也可写作 2024/3/1、2024.03.01 或 20240301）",
                "{zh:?}"
            );
            assert_eq!(
                zh[6], "类型“洗车”无效：应为首保、定保、维修、事故或保险理赔",
                "{zh:?}"
            );
            assert!(
                zh.iter()
                    .all(|r| !r.contains("格式不对") && !r.contains("取值")),
                "{zh:?}"
            );
        },
    );
    rule("the dry run counts what would be added", || {
        assert_eq!(report["dry_run"], true);
        assert_eq!(counts(&report, "customers"), (3, 0, 0, 2));
        assert_eq!(counts(&report, "vehicles"), (4, 0, 0, 2));
        assert_eq!(counts(&report, "visits"), (6, 0, 0, 3));
    });
    rule("the dry run changes nothing", || {
        assert!(server.members(&admin, "").is_empty());
        let (_, log) = server.get("/api/audit?action=import_customers", Some(&admin));
        assert_eq!(log["records"].as_array().unwrap().len(), 0, "{log}");
    });

    let job = import_over_http(&server, &manager, &upload);
    rule(
        "the real run imports the rest, with the dry run's figures",
        || {
            assert_eq!(job["report"]["dry_run"], false);
            for file in ["customers", "vehicles", "visits"] {
                assert_eq!(
                    counts(&job["report"], file),
                    counts(&report, file),
                    "{file}: {job}"
                );
            }
            assert_eq!(refused(&job["report"]), refused(&report));
            assert_eq!(job["done_rows"], job["total_rows"]);
        },
    );
    rule(
        "members are imported with their tier, card, vehicles and history",
        || {
            let zhang = member_named(&server, &admin, "张伟");
            assert_eq!(zhang["status"], "active", "{zhang}");
            assert_eq!(zhang["tier"], "standard");
            assert_eq!(zhang["card"], "A-0001");
            assert_eq!(zhang["vehicles"].as_array().unwrap().len(), 2, "{zhang}");
            assert_eq!(visits_of(&zhang), 4, "{zhang}");
            let care = &zhang["state"]["care"];
            assert_eq!(care["person"]["birthday"], "1985-06-12");
            let first = care["vehicles"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["vin"] == "LSVAU2180N2100001")
                .expect("the first car");
            assert_eq!(first["facts"]["insurance_expiry"], "2026-02-19", "{first}");
            assert_eq!(first["facts"]["model"], "朗逸 1.5L");
        },
    );
    rule(
        "a customer who is not a member is a prospect the store cares for",
        || {
            let wang = member_named(&server, &admin, "王芳");
            assert_eq!(wang["status"], "prospect", "{wang}");
            assert_eq!(wang["state"]["status"], "prospect");
            assert_eq!(wang["card"], "DMS-C0002");
            assert!(wang["state"]["cards"].as_array().unwrap().is_empty());
            let visit = &wang["state"]["care"]["vehicles"][0]["visits"][0];
            assert_eq!(visit["elsewhere"]["store"], "城西汽修", "{wang}");
            assert_eq!(visit["kind"], "insurance_claim");
        },
    );
    rule("the import is audited", || {
        let (_, log) = server.get("/api/audit?action=import_customers", Some(&admin));
        assert!(!log["records"].as_array().unwrap().is_empty(), "{log}");
    });

    let before = server.members(&admin, "").len();
    let again = import_over_http(&server, &manager, &upload);
    rule("running the same files again changes nothing", || {
        assert_eq!(counts(&again["report"], "customers"), (0, 0, 3, 2));
        assert_eq!(counts(&again["report"], "vehicles"), (0, 0, 4, 2));
        assert_eq!(counts(&again["report"], "visits"), (0, 0, 6, 3));
        assert_eq!(server.members(&admin, "").len(), before);
        assert_eq!(visits_of(&member_named(&server, &admin, "张伟")), 4);
    });

    // A changed insurance day is an update of the vehicle, and only that.
    let vehicles = String::from_utf8(example("vehicles.csv"))
        .unwrap()
        .replace("2026-02-19,平安保险", "2027-02-19,平安保险");
    let changed = json!({"files": [
        {"kind": "vehicles", "name": "vehicles.csv", "content": base64(vehicles.as_bytes())},
    ]});
    let job = import_over_http(&server, &manager, &changed);
    rule("changed facts of a vehicle on file are an update", || {
        let (added, updated, unchanged, _) = counts(&job["report"], "vehicles");
        assert_eq!((added, updated, unchanged), (0, 1, 3), "{job}");
        let zhang = member_named(&server, &admin, "张伟");
        let first = zhang["state"]["care"]["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vin"] == "LSVAU2180N2100001")
            .cloned()
            .unwrap();
        assert_eq!(first["facts"]["insurance_expiry"], "2027-02-19");
    });
}

/// Runs `carclub-server import` on a stopped server's store.
fn cli_import(data: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(bin("carclub-server"))
        .arg("--data")
        .arg(data)
        .arg("import")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("carclub-server import runs");
    assert!(
        out.status.success(),
        "carclub-server import {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_gbk_file_imports_as_a_utf8_one_does() {
    let mut server = TestServer::start();
    server.stop();
    let examples = root().join("docs/examples");
    let out = cli_import(
        &server.data,
        &examples,
        &[
            "--json",
            "--customers",
            "customers-gbk.csv",
            "--vehicles",
            "vehicles-gbk.csv",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report as JSON");
    assert_eq!(counts(&report, "customers"), (2, 0, 0, 0), "{report}");
    assert_eq!(counts(&report, "vehicles"), (2, 0, 0, 0), "{report}");
    server.start_again("127.0.0.1:0");
    let admin = server.admin();
    let zhao = member_named(&server, &admin, "赵敏");
    assert_eq!(zhao["status"], "prospect", "{zhao}");
    assert_eq!(
        zhao["state"]["care"]["vehicles"][0]["facts"]["model"],
        "迈腾"
    );
    let sun = member_named(&server, &admin, "孙磊");
    assert_eq!(sun["status"], "active", "{sun}");
    assert_eq!(sun["card"], "G-0002");
}

/// Files of `n` customers, one vehicle each, two visits per vehicle, in `dir`.
fn big_export(dir: &Path, n: usize) {
    let mut customers = String::from("customer_id,name,phone,member,card,joined\r\n");
    let mut vehicles = String::from("customer_id,vin,plate,model,delivery\r\n");
    let mut visits = String::from("vin,date,km,kind,amount\r\n");
    for i in 0..n {
        let member = if i % 2 == 0 { "是" } else { "否" };
        customers.push_str(&format!(
            "K{i:06},客户{i},139{i:08},{member},K-{i:06},2025-01-01\r\n"
        ));
        let vin = format!("LSVKL2180N{i:07}");
        vehicles.push_str(&format!("K{i:06},{vin},粤C{i:05},朗逸,2024-12-01\r\n"));
        visits.push_str(&format!("{vin},2025-03-01,3000,首保,0\r\n"));
        visits.push_str(&format!("{vin},2025-09-01,9000,定保,680.00\r\n"));
    }
    std::fs::write(dir.join("customers.csv"), customers).unwrap();
    std::fs::write(dir.join("vehicles.csv"), vehicles).unwrap();
    std::fs::write(dir.join("visits.csv"), visits).unwrap();
}

#[test]
fn an_import_killed_in_the_middle_finishes_on_a_second_run_without_duplicates() {
    const N: usize = 3000;
    let mut server = TestServer::start();
    server.stop();
    let dir = server.path("export");
    std::fs::create_dir_all(&dir).unwrap();
    big_export(&dir, N);
    let files = [
        "--customers",
        "customers.csv",
        "--vehicles",
        "vehicles.csv",
        "--visits",
        "visits.csv",
    ];
    let mut child = Command::new(bin("carclub-server"))
        .arg("--data")
        .arg(&server.data)
        .arg("import")
        .args(files)
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("carclub-server import starts");
    // Killed once a few chunks are committed, well before the end.
    let stderr = child.stderr.take().unwrap();
    let mut progress = 0u64;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("progress ") {
            progress = p.split('/').next().unwrap().parse().unwrap();
            if progress >= 1500 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        progress > 0 && progress < (4 * N) as u64,
        "killed in the middle: {progress}"
    );

    let out = cli_import(&server.data, &dir, &[&["--json"][..], &files[..]].concat());
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report as JSON");
    let (added, _, unchanged, refused) = counts(&report, "customers");
    assert_eq!(refused, 0, "{report}");
    assert_eq!(added + unchanged, N as u64);
    assert!(
        added > 0 && unchanged > 0,
        "the second run finished the first: {report:?}"
    );

    server.start_again("127.0.0.1:0");
    let admin = server.admin();
    let (code, csv) = {
        let (code, _, csv) = server.get_text("/api/export/service-visits.csv", Some(&admin));
        (code, csv)
    };
    assert_eq!(code, 200, "{csv}");
    assert_eq!(csv.lines().count(), 1 + 2 * N, "every visit once");
    let (code, page) = server.get("/api/members?limit=1000", Some(&admin));
    assert_eq!(code, 200, "{page}");
    let mut members = page["members"].as_array().unwrap().len();
    let mut next = page["next"].clone();
    while let Some(after) = next.as_str() {
        let (_, page) = server.get(
            &format!("/api/members?limit=1000&after={after}"),
            Some(&admin),
        );
        members += page["members"].as_array().unwrap().len();
        next = page["next"].clone();
    }
    assert_eq!(members, N, "every customer once");
}

/// The files in `dir` as an upload.
fn upload_of(dir: &Path) -> Value {
    let file = |kind: &str| {
        let name = format!("{kind}.csv");
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        json!({"kind": kind, "name": name, "content": base64(&bytes)})
    };
    json!({"files": [file("customers"), file("vehicles"), file("visits")]})
}

/// Every member the administrator lists, page after page.
fn member_count(server: &TestServer, admin: &str) -> usize {
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => format!("/api/members?limit=1000&after={a}"),
            None => "/api/members?limit=1000".to_owned(),
        };
        let (code, page) = server.get(&url, Some(admin));
        assert_eq!(code, 200, "{page}");
        count += page["members"].as_array().unwrap().len();
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return count,
        }
    }
}

#[test]
fn a_back_office_import_killed_with_its_server_goes_on_after_the_restart_and_finishes_once() {
    const N: usize = 3000;
    let mut server = TestServer::start();
    let admin = server.admin();
    let dir = server.path("export");
    std::fs::create_dir_all(&dir).unwrap();
    big_export(&dir, N);
    let (code, job) = server.post("/api/imports", &upload_of(&dir), Some(&admin));
    assert_eq!(code, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let total = job["total_rows"].as_u64().unwrap();
    assert_eq!(total, (4 * N) as u64, "{job}");

    // SIGKILL once a few chunks are committed, well before the end.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_before = loop {
        let (code, job) = server.get(&format!("/api/imports/{id}"), Some(&admin));
        assert_eq!(code, 200, "{job}");
        assert_eq!(
            job["state"], "running",
            "the job ended before the kill: {job}"
        );
        let done = job["done_rows"].as_u64().unwrap();
        if done >= 1500 {
            break done;
        }
        assert!(Instant::now() < deadline, "the job does not move: {job}");
        std::thread::sleep(Duration::from_millis(20));
    };
    server.kill();
    assert!(done_before < total, "killed in the middle: {done_before}");

    server.start_again("127.0.0.1:0");
    // Generous: a debug build on a loaded machine folds a few dozen rows a second.
    let deadline = Instant::now() + Duration::from_secs(900);
    let job = loop {
        let (code, job) = server.get(&format!("/api/imports/{id}"), Some(&admin));
        assert_eq!(code, 200, "the job is known after the restart: {job}");
        match job["state"].as_str() {
            Some("finished") => break job,
            Some("running") => {}
            other => panic!("the import job is {other:?} after the restart: {job}"),
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job}");
        std::thread::sleep(Duration::from_millis(100));
    };
    rule(
        "the job resumed by the restarted server reports every row once, as added",
        || {
            assert_eq!(job["done_rows"], total, "{job}");
            assert_eq!(
                counts(&job["report"], "customers"),
                (N as u64, 0, 0, 0),
                "{job}"
            );
            assert_eq!(
                counts(&job["report"], "vehicles"),
                (N as u64, 0, 0, 0),
                "{job}"
            );
            assert_eq!(
                counts(&job["report"], "visits"),
                (2 * N as u64, 0, 0, 0),
                "{job}"
            );
        },
    );
    rule("every customer and every visit is on file once", || {
        let (code, _, csv) = server.get_text("/api/export/service-visits.csv", Some(&admin));
        assert_eq!(code, 200, "{csv}");
        assert_eq!(csv.lines().count(), 1 + 2 * N, "every visit once");
        assert_eq!(member_count(&server, &admin), N, "every customer once");
    });
    rule(
        "the finished job still answers after another restart",
        || {
            server.start_again("127.0.0.1:0");
            let (code, again) = server.get(&format!("/api/imports/{id}"), Some(&admin));
            assert_eq!(code, 200, "{again}");
            assert_eq!(again["state"], "finished", "{again}");
            assert_eq!(again["report"], job["report"]);
        },
    );
}

#[test]
fn imported_customers_reach_devices_by_sync() {
    let server = TestServer::start();
    let admin = server.admin();
    import_over_http(&server, &admin, &examples_upload());
    let device = Device::new(&server.path("device"));
    device.register(&server, "field phone");
    device.ok(&["sync"]);
    let names: Vec<String> = device
        .members()
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_owned))
        .collect();
    for name in ["张伟", "王芳", "李娜, Lina"] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} on the device: {names:?}"
        );
    }
}

#[test]
fn service_visits_and_care_outcomes_export_for_excel_and_are_audited() {
    let server = TestServer::start();
    let admin = server.admin();
    let home = home_store(&server, &admin);
    create_user(&server, &admin, "manager", "club_manager", &home);
    create_user(&server, &admin, "finance", "finance", &home);
    import_over_http(&server, &admin, &examples_upload());
    // Wang's insurance ends in 40 days: the care scheduler makes a call task for it.
    let due = Timestamp::from_millis(now_ms() + 40 * DAY_MS)
        .date()
        .to_string();
    let vehicles =
        format!("客户编号,VIN,车牌,保险到期\r\nC0002,LSVAU2180N2100003,粤B10003,{due}\r\n");
    import_over_http(
        &server,
        &admin,
        &json!({"files": [{"kind": "vehicles", "name": "v.csv", "content": base64(vehicles.as_bytes())}]}),
    );
    assert_eq!(
        server.post("/api/care/run", &json!({}), Some(&admin)).0,
        200
    );
    let manager = server.login("manager", PASSWORD);

    let (code, ct, csv) = server.get_text("/api/export/service-visits.csv", Some(&manager));
    assert_eq!(code, 200, "{csv}");
    assert!(ct.starts_with("text/csv"), "{ct}");
    rule(
        "the file starts with a BOM and every line ends with CRLF",
        || {
            assert!(csv.starts_with('\u{feff}'), "no BOM");
            assert!(csv.ends_with("\r\n"));
            assert_eq!(csv.matches('\n').count(), csv.matches("\r\n").count());
        },
    );
    rule("one row per visit, amounts in yuan", || {
        let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
        assert!(
            lines[0]
                .trim_start_matches('\u{feff}')
                .starts_with("member,name,phone")
        );
        assert_eq!(lines.len(), 1 + 6, "{csv}");
        assert!(csv.contains("4520.50"), "{csv}");
        assert!(csv.contains("城西汽修"), "{csv}");
    });

    let (code, _, care) = server.get_text("/api/export/care-calls.csv", Some(&manager));
    assert_eq!(code, 200, "{care}");
    rule("care outcomes: a header and a row per call task", || {
        assert!(care.starts_with("\u{feff}task,member,name"), "{care}");
        assert!(care.lines().count() > 1, "the scheduler's tasks: {care}");
        assert_eq!(care.matches('\n').count(), care.matches("\r\n").count());
    });
    rule("both exports are in the audit log", || {
        for action in ["export_service_visits", "export_care_calls"] {
            let (_, log) = server.get(&format!("/api/audit?action={action}"), Some(&admin));
            assert_eq!(
                log["records"].as_array().unwrap().len(),
                1,
                "{action}: {log}"
            );
        }
    });
    rule("roles without the permission are refused", || {
        let finance = server.login("finance", PASSWORD);
        for path in [
            "/api/export/service-visits.csv",
            "/api/export/care-calls.csv",
        ] {
            assert_eq!(server.get_text(path, Some(&finance)).0, 403, "{path}");
        }
        let upload = examples_upload();
        let (code, body) = server.post("/api/imports/check", &upload, Some(&finance));
        assert_eq!(code, 403, "{body}");
        let (code, body) = server.post("/api/imports", &upload, Some(&finance));
        assert_eq!(code, 403, "{body}");
    });
}

#[test]
fn the_back_office_checks_an_upload_imports_it_and_opens_the_dashboard() {
    let server = TestServer::start();
    let output = carclub_tests::browser::drive(
        "office-import.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", carclub_tests::ADMIN_PASSWORD.to_owned()),
            (
                "--files",
                root().join("docs/examples").display().to_string(),
            ),
        ],
    );
    assert_eq!(carclub_tests::browser::printed(&output, "REFUSED"), "7");
    assert_eq!(carclub_tests::browser::printed(&output, "IMPORTED"), "3");
    let admin = server.admin();
    assert_eq!(member_named(&server, &admin, "张伟")["status"], "active");
    assert_eq!(member_named(&server, &admin, "王芳")["status"], "prospect");
}
