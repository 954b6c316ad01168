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
//! - [`roles`]: the roles and the one seniority ladder behind account creation and complaints.
//! - [`care`]: customer care — the lifelong service file, reminder rules, the 3×3×3 call rule.
//! - [`complaints`]: complaint channels, levels and owners, the answer deadline, their life.
//! - [`kpi`]: the monthly figures of 002 and 004, per store and for the group.
//! - [`cardstock`]: sample and borrowed card loans and write-offs of sold cards.
//! - [`satisfaction`]: an attendee's score of a club event, once, on or after its day; the average.
//! - [`dating`]: how far back a moment or a member operation may be dated.
//! - [`workdays`]: working days, and the 3 working days the back office has to approve an enrollment.

pub mod cardstock;
pub mod care;
pub mod complaints;
pub mod dating;
pub mod events;
pub mod kpi;
pub mod program;
pub mod projection;
pub mod roles;
pub mod satisfaction;
pub mod simulate;
pub mod sorting;
#[doc(hidden)]
pub mod tagged;
pub mod types;
pub mod workdays;

pub use cardstock::{LoanError, LoanKind, WriteOffError};
pub use complaints::{ComplaintError, ComplaintState};
pub use dating::DatingError;
pub use events::{Event, EventBody};
pub use roles::{CreateRefused, Role, Seniority, UnknownRole};
pub use types::*;
