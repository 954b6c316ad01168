//! The built web app as it ships: each page downloads only its own part (the phone apps no Element
//! Plus or charts, the back office no wasm), the service worker precaches the device's wasm, never
//! answers the API, and lets a new version wait for the person.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use std::path::Path;

use carclub_tests::TestServer;
use serde_json::Value;

fn report() -> Value {
    carclub_tests::browser::require_web_app();
    let path = carclub_tests::root().join("web/dist/build-report.json");
    let text = std::fs::read_to_string(&path).expect("the build report is readable");
    serde_json::from_str(&text).expect("the build report is JSON")
}

/// Every file an entry downloads, at once or later.
fn files(report: &Value, entry: &str) -> Vec<String> {
    ["initial", "lazy"]
        .iter()
        .flat_map(|when| {
            report[entry][when]["files"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect()
}

fn packages(report: &Value, entry: &str) -> Vec<String> {
    report[entry]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("the report lists the packages of {entry}: {report}"))
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_phone_apps_download_no_element_plus_or_charts() {
    let report = report();
    for entry in ["field", "member"] {
        let found: Vec<String> = packages(&report, entry)
            .into_iter()
            .filter(|p| p.contains("element-plus") || p.contains("echarts"))
            .collect();
        assert!(found.is_empty(), "{entry} downloads {found:?}");
        assert!(
            packages(&report, entry).iter().any(|p| p == "vant"),
            "{entry} is built on Vant: {report}"
        );
    }
}

#[test]
fn only_the_phone_apps_download_the_wasm() {
    let report = report();
    let wasm = |entry: &str| -> Vec<String> {
        files(&report, entry)
            .into_iter()
            .filter(|f| f.ends_with(".wasm"))
            .collect()
    };
    for entry in ["field", "member"] {
        assert_eq!(
            wasm(entry).len(),
            1,
            "the {entry} app runs a device: {report}"
        );
    }
    for entry in ["office", "start"] {
        assert!(
            wasm(entry).is_empty(),
            "{entry} downloads {:?}",
            wasm(entry)
        );
    }
    assert!(
        packages(&report, "office")
            .iter()
            .any(|p| p == "element-plus"),
        "the back office is built on Element Plus: {report}"
    );
}

#[test]
fn the_service_worker_precaches_the_wasm() {
    let report = report();
    let wasm = files(&report, "field")
        .into_iter()
        .find(|f| f.ends_with(".wasm"))
        .expect("the field app's wasm");
    let sw = std::fs::read_to_string(carclub_tests::root().join("web/dist/sw.js"))
        .expect("the service worker is built");
    assert!(
        sw.contains(&format!("\"{wasm}\"")),
        "{wasm} is not in the precache manifest of sw.js (Workbox skips files over its size limit)"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("the built app") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

#[test]
fn the_service_worker_never_answers_the_api_and_waits_to_update() {
    carclub_tests::browser::require_web_app();
    let root = carclub_tests::root();
    // A copy of the app, so the script can publish a "new version" without touching the build.
    let web = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&root.join("web/dist"), web.path());
    let dist = web.path().to_string_lossy().into_owned();
    let server = TestServer::start_with(&["--web", &dist]);
    let shots = root.join("target/screenshots");
    let args: Vec<String> = ["--base", &server.base, "--dist", &dist, "--shots"]
        .iter()
        .map(|s| s.to_string())
        .chain([shots.to_string_lossy().into_owned()])
        .collect();
    let (passed, output) = carclub_tests::browser::run_script("pwa.mjs", &args);
    println!("{output}");
    assert!(
        passed,
        "the service worker run failed (screenshots in {}, server log {}):\n{output}",
        shots.display(),
        server.log.display()
    );
}
