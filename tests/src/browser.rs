//! Running the web app's browser scripts (node + playwright-core + Chromium) from a test.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one browser script may run before it is killed.
pub const BROWSER_RUN: Duration = Duration::from_secs(240);

/// Panics with what to run when something the test needs but does not build is missing.
pub fn require(path: &Path, what: &str, fix: &str) {
    if !path.exists() {
        panic!(
            "{what} is missing ({}): run `{fix}` from the repository root first",
            path.display()
        );
    }
}

/// Checks that the built web app and the browser driver are there.
pub fn require_web_app() {
    let root = crate::root();
    require(
        &root.join("web/dist/index.html"),
        "the built web app",
        "scripts/build-web",
    );
    require(
        &root.join("web/dist/build-report.json"),
        "the web app's build report",
        "scripts/build-web",
    );
    require(
        &root.join("tests/js/node_modules/playwright-core"),
        "the browser driver (playwright-core)",
        "npm install --prefix tests/js",
    );
}

/// Runs `tests/browser/<script>` with `args` to its end (or kills it at the deadline); returns
/// success and everything it printed.
pub fn run_script(script: &str, args: &[String]) -> (bool, String) {
    let root = crate::root();
    let mut child = Command::new("node")
        .current_dir(&root)
        .arg(root.join("tests/browser").join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (is Node.js installed?)");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read(Box::new(child.stdout.take().expect("stdout is piped")));
    let err = read(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + BROWSER_RUN;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = out.join().unwrap_or_default();
    output.push_str(&err.join().unwrap_or_default());
    match status {
        Some(status) => (status.success(), output),
        None => (false, format!("{output}\nkilled after {BROWSER_RUN:?}")),
    }
}

/// Runs `tests/browser/<script>` against `server` with `--base` and `--shots
/// target/screenshots` followed by `options` (each a flag and its value); panics with everything
/// it printed, where its screenshots are and the server's log when it fails. Returns what it
/// printed.
pub fn drive(script: &str, server: &crate::Server, options: &[(&str, String)]) -> String {
    require_web_app();
    let shots = crate::root().join("target/screenshots");
    let mut args = vec![
        "--base".to_owned(),
        server.base.clone(),
        "--shots".to_owned(),
        shots.display().to_string(),
    ];
    for (flag, value) in options {
        args.push((*flag).to_owned());
        args.push(value.clone());
    }
    let (passed, output) = run_script(script, &args);
    println!("{output}");
    assert!(
        passed,
        "the browser run of {script} failed (screenshots in {}, server log {}):\n{output}",
        shots.display(),
        server.log.display()
    );
    output
}

/// The value a browser script printed on a line `<key> <value>` (an id it created, a code it was
/// shown); panics when it printed none.
pub fn printed(output: &str, key: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} ")))
        .unwrap_or_else(|| panic!("the script printed no {key}:\n{output}"))
        .trim()
        .to_owned()
}
