//! Customer care (handbook 002, DOMAIN.md §5): the store keeps caring for every owner.
//!
//! [`tasks`]: call tasks from due reminders, with their calls and the 3×3×3 rule;
//! [`scheduler`]: runs the reminder rules for every member, creating tasks and messages once;
//! [`appointments`]: the appointment register; [`scripts`]: the care manager's call scripts;
//! [`campaigns`]: holiday and severe-weather messages to a segment; [`lost`]: lost customers by
//! class; [`member`]: a member's own upcoming reminders.
//!
//! [`outbox`]: every SMS or message, written in the same batch as what caused it and delivered
//! by the `notify` layer.

pub mod appointments;
pub mod campaigns;
mod error;
pub mod lost;
pub mod member;
pub mod outbox;
pub mod scheduler;
pub mod scripts;
pub mod tasks;

pub use error::{CareError, Unassignable};
