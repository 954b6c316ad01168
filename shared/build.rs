//! The preset programs (`presets/*.toml`) also as JSON, written to `OUT_DIR` for
//! `program::presets`: a build that reads programs only from JSON — the device's wasm — then
//! carries no TOML parser. The TOML files stay the one source; the tests check both forms load to
//! the same program.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in ["a", "b", "c"] {
        let path = format!("presets/{name}.toml");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json = serde_json::to_string(&value).unwrap_or_else(|e| panic!("{path}: {e}"));
        std::fs::write(out.join(format!("{name}.json")), json)
            .unwrap_or_else(|e| panic!("{name}.json: {e}"));
    }
}
