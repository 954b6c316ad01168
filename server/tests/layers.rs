//! The server's layers, checked from its sources: `http → domain → storage`,
//! `sync → domain → storage` and `notify → domain → storage`, never back; only `http/` knows axum
//! (and `sync/` for the WebSocket); only `storage/` writes key prefixes.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of `layer` (a folder of `src/`) with its code lines (comments dropped).
fn layer(name: &str) -> Vec<(String, Vec<(usize, String)>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(name);
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(!files.is_empty(), "layer {name} has no sources");
    files
        .into_iter()
        .map(|f| {
            let text = fs::read_to_string(&f).expect("readable source");
            let lines = text
                .lines()
                .enumerate()
                .filter(|(_, l)| {
                    let t = l.trim_start();
                    !(t.starts_with("//") || t.starts_with("///") || t.starts_with("//!"))
                })
                .map(|(i, l)| (i + 1, l.to_owned()))
                .collect();
            (f.display().to_string(), lines)
        })
        .collect()
}

/// The lines of `layers` that contain any of `words`.
fn uses(layers: &[&str], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for name in layers {
        for (file, lines) in layer(name) {
            for (n, line) in lines {
                if words.iter().any(|w| line.contains(w)) {
                    found.push(format!("{file}:{n}: {}", line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn domain_and_storage_never_reach_up_into_http_or_sync() {
    let found = uses(
        &["domain", "storage"],
        &[
            "crate::http",
            "crate::sync",
            "axum",
            "StatusCode",
            "ApiError",
        ],
    );
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn domain_storage_and_sync_never_reach_into_notify() {
    let found = uses(&["domain", "storage", "sync"], &["crate::notify"]);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn notify_uses_only_domain_and_storage() {
    let found = uses(
        &["notify"],
        &[
            "crate::http",
            "crate::sync",
            "axum",
            "ApiError",
            "StatusCode",
        ],
    );
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn sync_never_reaches_into_http() {
    let found = uses(&["sync"], &["crate::http", "ApiError", "StatusCode"]);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn storage_knows_nothing_of_the_domain() {
    let found = uses(&["storage"], &["crate::domain"]);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn only_storage_writes_key_prefixes() {
    // A key prefix is a string literal of lowercase letters ending in '/', as the tables in
    // `storage/keys.rs` have them ("member/", "mev/"…); API paths start with '/'.
    let mut found = Vec::new();
    for name in ["domain", "sync", "http", "notify"] {
        for (file, lines) in layer(name) {
            for (n, line) in lines {
                let mut rest = line.as_str();
                while let Some(start) = rest.find('"') {
                    let after = &rest[start + 1..];
                    let Some(end) = after.find('"') else { break };
                    let lit = &after[..end];
                    let head = lit.split('{').next().unwrap_or(lit);
                    if head.len() > 1
                        && head.ends_with('/')
                        && head[..head.len() - 1]
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
                    {
                        found.push(format!("{file}:{n}: {}", line.trim()));
                    }
                    rest = &after[end + 1..];
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "key prefixes written outside storage/keys.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_encoding_error_is_replaced_by_an_empty_value() {
    let found = uses(
        &["domain", "sync", "http", "storage", "notify"],
        &["to_vec(", "to_value("],
    )
    .into_iter()
    .filter(|l| l.contains("unwrap_or_default") || l.contains("unwrap_or(Value::Null)"))
    .collect::<Vec<_>>();
    assert!(
        found.is_empty(),
        "encoding errors dropped:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_handler_returns_untyped_json() {
    // Answers are typed structs.
    let found = uses(
        &["http"],
        &["Json<Value>", "Json<serde_json::Value>", "json!("],
    )
    .into_iter()
    .filter(|l| !l.contains("ApiJson<Value>"))
    .collect::<Vec<_>>();
    assert!(
        found.is_empty(),
        "untyped JSON handlers:\n{}",
        found.join("\n")
    );
}
