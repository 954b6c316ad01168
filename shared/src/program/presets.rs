//! The three handbook programs (DOMAIN.md §3), shipped as program files in `shared/presets/`
//! and loaded through the same validating loader as any club's own file.

use std::sync::OnceLock;

use super::Program;

const A: &str = include_str!("../../presets/a.toml");
const B: &str = include_str!("../../presets/b.toml");
const C: &str = include_str!("../../presets/c.toml");

pub(super) fn preset(name: &str) -> Option<Program> {
    // Parsed once per process: the server projects a member on every event it folds.
    static PARSED: OnceLock<[Option<Program>; 3]> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        // The preset files are checked by the tests below, so a failure here is a build defect.
        [A, B, C].map(|text| Program::from_toml_str(text).ok())
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

    #[test]
    fn every_preset_loads() {
        for (name, text) in [("A", A), ("B", B), ("C", C)] {
            if let Err(e) = Program::from_toml_str(text) {
                panic!("preset {name}: {e}");
            }
        }
        assert!(Program::preset("a").is_some());
        assert!(Program::preset("D").is_none());
    }
}
