//! A store's program as TOML: parsed and checked, and when it is accepted, a member with no
//! history projected under it.
#![no_main]

use carclub_shared::program::Program;
use carclub_shared::projection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(program) = Program::from_toml_str(text) else { return };
    let _ = projection::project(&program, &[], time::macros::date!(2026 - 01 - 01));
    let _ = serde_json::to_string(&program);
});
