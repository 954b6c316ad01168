//! Customer care (DOMAIN.md §5, handbook 002): the lifelong service file, the reminder rules and
//! the rules of care calls, all pure.
//!
//! - [`file`]: the service file (终身维修档案) the projection folds from events — person facts,
//!   vehicle facts, mileage readings, service visits here and elsewhere.
//! - [`rules`]: which reminders (first service, regular service, warranty, insurance,
//!   inspection, licence, birthday, renewal, follow-ups, lost customers) are open on a day.
//! - [`calls`]: call slots, the 3×3×3 rule for unreachable owners, the 3-hour appointment notice.
//!
//! Holiday and severe-weather messages are campaigns to a segment, not per-member rules; the
//! server keeps them.

pub mod calls;
pub mod file;
pub mod rules;

pub use calls::{AppointmentTooSoon, Attempt, CallOutcome, NextStep, appointment_ok, next_step};
pub use file::{
    CallSlot, CareFile, Elsewhere, MileageReading, PersonFacts, Region, ServiceVisit, VehicleCare,
    VehicleFacts, VisitKind,
};
pub use rules::{
    CareRole, CareRules, Contact, LostClass, Reminder, ReminderKind, reminders, upcoming,
};
