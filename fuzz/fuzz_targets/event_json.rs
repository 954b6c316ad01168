//! Event JSON as devices and the API send it: one event or a list of them, decoded, and when they
//! decode, projected together into a member's state under the preset program and written out.
#![no_main]

use carclub_shared::program::Program;
use carclub_shared::{projection, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|json: &[u8]| {
    let events = match serde_json::from_slice::<Vec<Event>>(json) {
        Ok(events) => events,
        Err(_) => match serde_json::from_slice::<Event>(json) {
            Ok(event) => vec![event],
            Err(_) => return,
        },
    };
    for event in &events {
        let text = serde_json::to_string(event).expect("an event writes");
        let again: Event = serde_json::from_str(&text).expect("a written event reads");
        assert_eq!(serde_json::to_string(&again).expect("writes"), text);
    }
    let program = Program::preset("a").expect("preset a");
    let at = events
        .iter()
        .map(|e| e.at.date())
        .max()
        .unwrap_or(time::macros::date!(2026 - 01 - 01));
    let state = projection::project(&program, &events, at);
    let _ = serde_json::to_string(&state);
});
