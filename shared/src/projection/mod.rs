//! The projection: a member's state on a given day, computed from the program and the events.
//!
//! This is the one function the server runs for the authoritative view and the device runs for its
//! instant view, so it must give the same answer from the same events wherever it runs. Events are
//! deduplicated by id (a retried upload changes nothing) and applied in their total order
//! (timestamp, device, sequence, id), whatever order they arrived in. Nothing is dropped silently:
//! an event that breaks a rule or an invariant is kept and reported as a [`Violation`], so the back
//! office can resolve it, and the balances stay sane (points never go below zero).
//!
//! ```
//! use carclub_shared::program::Program;
//! use carclub_shared::projection::{project, Status};
//! let program = Program::preset("A").unwrap();
//! let state = project(&program, &[], time::macros::date!(2026 - 03 - 01));
//! assert_eq!(state.status, Status::NotMember);
//! ```

mod apply;
mod care;
mod conditions;
mod ledger;
mod pending;
mod quote;
mod records;
mod refund;
mod state;
mod view;
mod violations;

use std::collections::HashSet;

use time::Date;

use crate::events::Event;
use crate::program::Program;

pub use ledger::{LAPSED, LedgerEntry, UPGRADED, ledger};
pub use pending::{kept_with_member, optimistic};
pub use quote::{Earned, NoDiscount, Quote, QuoteLine, quote, quote_events};
pub use state::*;
pub use violations::{Rejection, Violation, check_store};

/// The member's state on `at` from the events of one member, in any order, duplicates allowed.
///
/// Events after `at` are ignored; events about another member are reported as violations.
pub fn project(program: &Program, events: &[Event], at: Date) -> MemberState {
    let mut engine = apply::Engine::new(program);
    for event in ordered(events) {
        if event.at.date() > at {
            break;
        }
        engine.apply(event);
    }
    engine.finish(at)
}

/// The events deduplicated by id and sorted in the deterministic total order.
///
/// Two different events under one id are a client bug; even then the copy kept does not depend on
/// arrival order, because ties in the order key are broken by the events' JSON.
pub fn ordered(events: &[Event]) -> Vec<&Event> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    crate::sorting::sort_by(&mut sorted, |a, b| {
        a.order_key().cmp(&b.order_key()).then_with(|| {
            let json = |e: &Event| serde_json::to_string(e).unwrap_or_default();
            json(a).cmp(&json(b))
        })
    });
    let mut seen = HashSet::new();
    sorted.retain(|e| seen.insert(e.id));
    sorted
}
