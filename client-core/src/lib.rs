//! The carclub device: records visits and enrollments with no network, shows them at once, and
//! syncs with the server through Automerge when it can.
//!
//! [`Device`] holds everything and does no IO, so the same code runs natively (the command-line
//! field device, tests) and in the browser (through `carclub-web`). The `native` feature adds a
//! directory store and the HTTP and WebSocket transports.

mod device;
mod error;
mod field;
mod member;
mod sync;
mod view;

#[cfg(feature = "native")]
pub mod native;

pub use device::{CardBlock, CurrentVisit, Device, EnrollInput, Registration, TierInfo};
pub use error::ClientError;
pub use field::{BenefitInput, BenefitLeft, InspectInput, MemberDetail};
pub use member::{HORIZON_DAYS, Invitation, LedgerLine, MemberCard, Request};
pub use view::{MemberView, SyncState};
