//! Trying a program before launching it: project a member from a JSON file of events.
//!
//! The server's `carclub-server simulate --program A|B|C|FILE --events FILE.json [--at DATE]` is a
//! thin wrapper over [`run`]; the example in `docs/examples/member-year.json` shows the input.

use time::Date;

use crate::events::Event;
use crate::program::Program;
use crate::projection::project;

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The input is not a JSON array.
    #[error("events file is not a JSON array of events: {0}")]
    NotAnArray(serde_json::Error),
    /// One event does not parse.
    #[error("event {index}: {source}")]
    Event {
        index: usize,
        source: serde_json::Error,
    },
    /// There is no event and no date to project at.
    #[error("no events and no date given")]
    NoDate,
    /// The state could not be written as JSON.
    #[error("state could not be written as JSON: {0}")]
    Output(serde_json::Error),
}

/// Parses a JSON array of events, projects them on `at` (default: the day of the latest event)
/// and returns the member state as JSON.
pub fn run(
    program: &Program,
    events_json: &str,
    at: Option<Date>,
) -> Result<serde_json::Value, SimulateError> {
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(events_json).map_err(SimulateError::NotAnArray)?;
    let events = raw
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            serde_json::from_value::<Event>(v)
                .map_err(|source| SimulateError::Event { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let at = at
        .or_else(|| events.iter().map(|e| e.at.date()).max())
        .ok_or(SimulateError::NoDate)?;
    serde_json::to_value(project(program, &events, at)).map_err(SimulateError::Output)
}
