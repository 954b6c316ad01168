//! `carclub-server simulate`: a club manager tries a program on a member's events.

use std::process::Command;

use carclub_tests::{bin, root};

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(bin("carclub-server"))
        .arg("simulate")
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs")
}

#[test]
fn simulate_prints_the_member_state_for_each_preset() {
    let example = "docs/examples/member-year.json";
    let mut points = Vec::new();
    for preset in ["A", "B", "C"] {
        let out = simulate(&[
            "--program",
            preset,
            "--events",
            example,
            "--at",
            "2026-08-01",
        ]);
        assert!(
            out.status.success(),
            "{preset}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let state: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON state");
        for field in [
            "status",
            "tier",
            "points",
            "valid_until",
            "benefits",
            "violations",
        ] {
            assert!(
                state.get(field).is_some(),
                "{preset}: {field} missing in {state}"
            );
        }
        points.push(state["points"].clone());
    }
    assert_ne!(
        points[0], points[1],
        "presets A and B earn points differently"
    );
}

#[test]
fn simulate_refuses_a_program_that_is_neither_a_preset_nor_a_file() {
    let out = simulate(&[
        "--program",
        "Z",
        "--events",
        "docs/examples/member-year.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a preset"));
}

#[test]
fn simulate_refuses_events_it_cannot_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let bad_events = dir.path().join("events.json");
    std::fs::write(&bad_events, r#"[{"type": "enrolled", "id": "nope"}]"#).unwrap();
    let out = simulate(&["--program", "A", "--events", bad_events.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be simulated"));
}

#[test]
fn simulate_refuses_a_program_file_that_is_not_valid() {
    let dir = tempfile::tempdir().unwrap();
    let bad_program = dir.path().join("program.toml");
    std::fs::write(&bad_program, "name = \"x\"\n[[tiers]]\nid = \"BAD ID\"\n").unwrap();
    let out = simulate(&[
        "--program",
        bad_program.to_str().unwrap(),
        "--events",
        "docs/examples/member-year.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not valid"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
