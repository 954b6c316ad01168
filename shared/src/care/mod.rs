//! Customer care (DOMAIN.md §5, handbook 002): the lifelong service file, the reminder rules and
//! the rules of care calls, all pure.
//!
//! - [`file`]: the service file (终身维修档案) the projection folds from events — person facts,
//!   vehicle facts, mileage readings, service visits here and elsewhere.
//! - [`rules`]: which reminders (first service, regular service, warranty, insurance,
//!   inspection, licence, birthday, renewal, follow-ups, lost customers) are open on a day.
//! - [`inspection`]: the on-site pre-inspection of a vehicle at a company (DOMAIN.md §6).
//! - [`calls`]: call slots, the 3×3×3 rule for unreachable owners, the 3-hour appointment notice.
//!
//! Holiday and severe-weather messages are campaigns to a segment, not per-member rules; the
//! server keeps them.
//!
//! ```
//! use carclub_shared::care::{CareRules, ReminderKind, reminders};
//! use carclub_shared::program::Program;
//! use carclub_shared::projection::project;
//! use carclub_shared::Event;
//! use time::macros::date;
//!
//! // A car bought here on 10 January: delivered that day, first service due from 10 March.
//! let enrolled: Event = serde_json::from_value(serde_json::json!({
//!     "id": "01900000-0000-7000-8000-000000000001", "at": "2026-01-10T10:00:00+08:00",
//!     "device": "01900000-0000-7000-8000-000000000002", "seq": 1,
//!     "author": "01900000-0000-7000-8000-000000000003", "type": "enrolled",
//!     "member": "01900000-0000-7000-8000-000000000004",
//!     "person": {"name": "张三", "phone": "13800138000"},
//!     "vehicle": {"vin": "LSVAU2180N2183294", "plate": "粤B12345"},
//!     "tier": "standard", "channel": {"kind": "purchase"}, "fee": 0, "card": "C00000001"
//! }))
//! .unwrap();
//! let state = project(&Program::preset("A").unwrap(), &[enrolled], date!(2026 - 03 - 10));
//! let due = reminders(&state, date!(2026 - 03 - 10), &CareRules::default());
//! assert!(due.iter().any(|r| r.kind == ReminderKind::FirstService && r.until == date!(2026 - 04 - 10)));
//! ```

pub mod calls;
pub mod file;
pub mod inspection;
pub mod rules;

pub use calls::{AppointmentTooSoon, Attempt, CallOutcome, NextStep, appointment_ok, next_step};
pub use file::{
    CallSlot, CareFile, Elsewhere, MileageReading, PersonFacts, Region, ServiceVisit, VehicleCare,
    VehicleFacts, VisitKind,
};
pub use inspection::{
    CheckState, Checklist, Inspection, InspectionCheck, InspectionItem, PreInspection,
};
pub use rules::{
    CareRole, CareRules, Contact, LostClass, Reminder, ReminderKind, reminders, upcoming,
};
