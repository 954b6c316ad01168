//! What the club's own records (complaints, club events, care) share: the clock, the dating of a moment
//! keyed in later, bounded texts, a member's store and writing a record with its audit record in
//! one batch.

use std::path::PathBuf;
use std::sync::OnceLock;

use carclub_protocol::DocumentId;
use carclub_shared::dating::{self, DatingError};
use carclub_shared::{MemberId, ParseError, StoreId, Text, Timestamp};
use serde::Serialize;

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use crate::storage::keys::Table;
use crate::storage::{Batch, StoreError};

/// The file a test-only fixed clock is read from (`--clock-file`), when set.
static CLOCK_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Makes [`now`] read the moment from `path` (RFC 3339 text) on every call, so end-to-end tests
/// move the server's business time without sleeping. Set once, at start-up; a second call
/// changes nothing and returns `false`.
pub fn use_clock_file(path: PathBuf) -> bool {
    CLOCK_FILE.set(path).is_ok()
}

/// The current time: the moment in the clock file when the server runs on one (a test), else the
/// system's. Every "now" of the club's business (care tasks and their calls, appointments, the
/// scheduler's day, dating of operations, the day members' states are computed on) comes from
/// here; sessions and the audit log keep the system's time.
pub fn now() -> Timestamp {
    if let Some(path) = CLOCK_FILE.get() {
        match std::fs::read_to_string(path) {
            Ok(text) => match Timestamp::parse(&text) {
                Ok(at) => return at,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "the clock file holds no moment; using the system clock")
                }
            },
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "the clock file cannot be read; using the system clock")
            }
        }
    }
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// The moment something happened: now, or an earlier moment keyed in later (never in the
/// future, at most three years back; `carclub_shared::dating::moment`).
pub fn moment(at: Option<Timestamp>) -> Result<Timestamp, DatingError> {
    dating::moment(at, now())
}

/// A text of at most `N` characters (before and after trimming), trimmed, not empty, without
/// control characters other than tab and newline.
pub fn text<const N: usize>(raw: &str) -> Result<String, ParseError> {
    let len = raw.chars().count();
    if len > N {
        return Err(ParseError::TooLong {
            what: "text",
            len,
            max: N,
        });
    }
    Text::<N>::parse(raw).map(|t| t.as_str().to_owned())
}

/// The store of `member`, if on file.
pub fn member_store(core: &Core, member: MemberId) -> Option<StoreId> {
    core.members.get(&member).map(|m| m.store)
}

/// Writes `record` as `id` of `table` with an audit record for `p`, adding to `batch`, and commits
/// it; the documents in `touched` (changed by the same batch) go to the sync layer.
pub fn save<V: Serialize>(
    core: &mut Core,
    mut batch: Batch,
    p: &Principal,
    (table, id): (&Table<uuid::Uuid>, &uuid::Uuid),
    record: &V,
    entry: Entry<'_>,
    touched: Vec<DocumentId>,
) -> Result<(), StoreError> {
    table.put(&mut batch, id, record)?;
    if let Err(e) = audit::record(core.store.as_ref(), &mut batch, p, entry) {
        for t in &touched {
            core.docs.evict(t);
        }
        return Err(e);
    }
    core.commit(batch, touched)
}
