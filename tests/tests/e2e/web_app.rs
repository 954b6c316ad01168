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

/// One GET over a plain connection: the status line, the headers (names lower-cased) and the body
/// exactly as sent — no client in between that would decode it.
fn raw_get(addr: &str, path: &str, accept: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("the server accepts");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("the request is sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("the answer is read");
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8(answer[..end].to_vec()).expect("headers are text");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, answer[end + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_app_is_sent_precompressed_with_its_cache_rules() {
    use std::io::Read;
    let report = report();
    let dist = carclub_tests::root().join("web/dist");
    let wasm = files(&report, "field")
        .into_iter()
        .find(|f| f.ends_with(".wasm"))
        .expect("the field app's wasm");
    // The field app's largest script: a file of a few dozen bytes does not get smaller compressed,
    // so the build keeps no compressed copy of it.
    let script = files(&report, "field")
        .into_iter()
        .filter(|f| f.ends_with(".js"))
        .max_by_key(|f| std::fs::metadata(dist.join(f)).map_or(0, |m| m.len()))
        .expect("a script of the field app");
    let server = TestServer::start();
    for asset in [&wasm, &script] {
        let path = format!("/{asset}");
        let original = std::fs::read(dist.join(asset)).expect("the built file");

        // Brotli preferred when accepted: the build's own .br bytes, as they are.
        let (status, headers, body) = raw_get(&server.addr, &path, "gzip, deflate, br");
        assert!(status.contains(" 200 "), "{path}: {status}");
        assert_eq!(
            header(&headers, "content-encoding"),
            Some("br"),
            "{path}: {headers:?}"
        );
        assert_eq!(
            body,
            std::fs::read(dist.join(format!("{asset}.br"))).expect("the build wrote a .br copy"),
            "{path} is sent as built, not compressed again"
        );
        let mut plain = Vec::new();
        brotli_decompressor::Decompressor::new(body.as_slice(), 64 * 1024)
            .read_to_end(&mut plain)
            .expect("the brotli bytes decode");
        assert!(plain == original, "{path}: brotli decodes to the file");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path} is named by its hash: {headers:?}"
        );
        assert!(
            header(&headers, "vary")
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{path}: caches keep one copy per encoding: {headers:?}"
        );
        if asset.ends_with(".wasm") {
            assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
        }

        // gzip for a browser that takes only gzip.
        let (status, headers, body) = raw_get(&server.addr, &path, "gzip");
        assert!(status.contains(" 200 "), "{path}: {status}");
        assert_eq!(
            header(&headers, "content-encoding"),
            Some("gzip"),
            "{path}: {headers:?}"
        );
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .read_to_end(&mut plain)
            .expect("the gzip bytes decode");
        assert!(plain == original, "{path}: gzip decodes to the file");

        // And the file itself for one that takes neither.
        let (_, headers, body) = raw_get(&server.addr, &path, "identity");
        assert_eq!(
            header(&headers, "content-encoding"),
            None,
            "{path}: {headers:?}"
        );
        assert!(body == original, "{path}: the plain file");
    }

    // The pages, the service worker and the manifest are asked for again before each use, so a
    // release reaches a device on its next visit.
    for path in [
        "/",
        "/index.html",
        "/field/",
        "/sw.js",
        "/manifest.webmanifest",
    ] {
        let (status, headers, _) = raw_get(&server.addr, path, "br, gzip");
        assert!(status.contains(" 200 "), "{path}: {status}");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("no-cache"),
            "{path}: {headers:?}"
        );
        assert!(
            header(&headers, "content-length").is_some(),
            "{path} is sent as a file with its length, not compressed as it goes: {headers:?}"
        );
    }
    // The service worker, written after the bundle, is precompressed too.
    let (_, headers, body) = raw_get(&server.addr, "/sw.js", "gzip");
    assert_eq!(
        header(&headers, "content-encoding"),
        Some("gzip"),
        "/sw.js: {headers:?}"
    );
    assert_eq!(
        body,
        std::fs::read(dist.join("sw.js.gz")).expect("its .gz copy")
    );
    let (_, headers, body) = raw_get(&server.addr, "/field/", "br");
    assert_eq!(
        header(&headers, "content-encoding"),
        Some("br"),
        "the field page: {headers:?}"
    );
    assert_eq!(
        body,
        std::fs::read(dist.join("field/index.html.br")).expect("its .br copy")
    );
    // A missing asset is answered with the start page, never kept as if it were the asset.
    let (_, headers, _) = raw_get(&server.addr, "/assets/gone-0000.js", "br");
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-cache"),
        "{headers:?}"
    );
    // The API's answers are still compressed as they go.
    let (_, headers, _) = raw_get(&server.addr, "/api/openapi.json", "gzip");
    assert_eq!(
        header(&headers, "content-encoding"),
        Some("gzip"),
        "{headers:?}"
    );
}
