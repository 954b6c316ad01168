//! The three handbook programs (DOMAIN.md §3), shipped as program files in `shared/presets/`
//! and loaded through the same validating loader as any club's own file — from the JSON the build
//! writes of each (build.rs), so that a device, which loads no program file of its own, carries no
//! TOML parser.

use std::sync::OnceLock;

use super::Program;

const A: &str = include_str!(concat!(env!("OUT_DIR"), "/a.json"));
const B: &str = include_str!(concat!(env!("OUT_DIR"), "/b.json"));
const C: &str = include_str!(concat!(env!("OUT_DIR"), "/c.json"));

pub(super) fn preset(name: &str) -> Option<Program> {
    // Parsed once per process: the server projects a member on every event it folds.
    static PARSED: OnceLock<[Option<Program>; 3]> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        // The preset files are checked by the tests below, so a failure here is a build defect.
        // Through a JSON value, like every document a device reads: its wasm then holds the
        // program's reader once, for values, not again for JSON text.
        [A, B, C].map(|text| {
            let value: serde_json::Value = serde_json::from_str(text).ok()?;
            let program: Program = serde_json::from_value(value).ok()?;
            super::load::validate(&program).ok()?;
            Some(program)
        })
    });
    let index = match name.trim().to_ascii_uppercase().as_str() {
        "A" => 0,
        "B" => 1,
        "C" => 2,
        _ => return None,
    };
    parsed[index].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: [(&str, &str); 3] = [
        ("A", include_str!("../../presets/a.toml")),
        ("B", include_str!("../../presets/b.toml")),
        ("C", include_str!("../../presets/c.toml")),
    ];

    #[test]
    fn every_preset_loads() {
        for (name, text) in TOML {
            if let Err(e) = Program::from_toml_str(text) {
                panic!("preset {name}: {e}");
            }
        }
        assert!(Program::preset("a").is_some());
        assert!(Program::preset("D").is_none());
    }

    #[test]
    fn the_built_json_is_the_toml_file() {
        for ((name, toml), json) in TOML.into_iter().zip([A, B, C]) {
            let from_toml = Program::from_toml_str(toml).expect("the TOML loads");
            let from_json = Program::from_json_str(json).expect("the JSON loads");
            assert_eq!(from_json, from_toml, "preset {name}");
            assert_eq!(Program::preset(name), Some(from_toml), "preset {name}");
        }
    }
}
