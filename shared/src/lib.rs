//! The membership domain of carclub.
//!
//! Everything here is pure: no IO, no clocks except where a caller passes a time in, no knowledge of
//! sled, axum, tokio, automerge or wasm-bindgen. The server runs it for the authoritative view and the
//! device runs the same code for its optimistic view, so both compute the same state from the same events.

pub mod events;
pub mod types;

pub use events::{Event, EventBody};
pub use types::*;
