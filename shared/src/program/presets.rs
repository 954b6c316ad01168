//! The three handbook programs (DOMAIN.md §3), shipped as program files in `shared/presets/`
//! and loaded through the same validating loader as any club's own file.

use super::Program;

const A: &str = include_str!("../../presets/a.toml");
const B: &str = include_str!("../../presets/b.toml");
const C: &str = include_str!("../../presets/c.toml");

pub(super) fn preset(name: &str) -> Option<Program> {
    let text = match name.trim().to_ascii_uppercase().as_str() {
        "A" => A,
        "B" => B,
        "C" => C,
        _ => return None,
    };
    // The preset files are checked by the tests below, so a failure here is a build defect.
    Program::from_toml_str(text).ok()
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
