//! The membership domain of carclub.
//!
//! Everything here is pure: no IO, no clocks except where a caller passes a time in, no knowledge of
//! sled, axum, tokio, automerge or wasm-bindgen. The server runs it for the authoritative view and the
//! device runs the same code for its optimistic view, so both compute the same state from the same events.
//!
//! - [`program`]: the rules of a club as data, with the handbook presets A, B and C.
//! - [`events`]: the facts recorded by devices and the back office.
//! - [`projection`]: member state on a day from a program and events, quotes, violations.
//! - [`simulate`]: a program tried on a file of events.

pub mod events;
pub mod program;
pub mod projection;
pub mod simulate;
pub mod types;

pub use events::{Event, EventBody};
pub use types::*;
