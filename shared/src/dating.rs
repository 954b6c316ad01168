//! When something may be dated: now, or earlier when a paper record is keyed in later.
//!
//! Field staff work offline and the back office keys in letters, the comments book and paper
//! receipts days after the fact, so a moment may be dated back — but not forever: at most
//! [`MAX_BACKDATE_DAYS`] days (three years of 366 days), and never in the future beyond
//! [`SKEW_MS`] of clock skew between a client and the server.
//!
//! A member operation dated more than [`BACKDATE_GRACE_MS`] (a day) back moves points and tiers
//! to that date, so it needs the backdate permission, which the permission matrix gives managers.
//! Both rules take the current time as an argument: this crate reads no clock.

use thiserror::Error;

use crate::Timestamp;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// How far back a moment may be dated, in days.
pub const MAX_BACKDATE_DAYS: i64 = 3 * 366;
/// Clock skew tolerated between a client and the server for "not in the future".
pub const SKEW_MS: i64 = 60_000;
/// How far back anyone may date an operation; further back needs the backdate permission.
pub const BACKDATE_GRACE_MS: i64 = DAY_MS;

/// Why a moment may not be dated as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DatingError {
    /// Later than now plus the tolerated clock skew.
    #[error("{at} is in the future (now is {now})")]
    InFuture {
        /// The moment asked for.
        at: Timestamp,
        /// The current time.
        now: Timestamp,
    },
    /// Earlier than [`MAX_BACKDATE_DAYS`] days before now.
    #[error("{at} is more than {MAX_BACKDATE_DAYS} days in the past (the earliest is {earliest})")]
    TooFarBack {
        /// The moment asked for.
        at: Timestamp,
        /// The earliest moment allowed now.
        earliest: Timestamp,
    },
}

impl DatingError {
    /// The error in Chinese, with the same moments.
    pub fn describe_zh(&self) -> String {
        match self {
            DatingError::InFuture { at, now } => {
                format!("{at} 是将来的时间（现在是 {now}）；请检查设备时钟")
            }
            DatingError::TooFarBack { at, earliest } => {
                format!("{at} 早于 {MAX_BACKDATE_DAYS} 天前（最早可记到 {earliest}）")
            }
        }
    }
}

/// The earliest moment that may be dated at `now`.
pub fn earliest(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(
        now.millis()
            .saturating_sub(MAX_BACKDATE_DAYS.saturating_mul(DAY_MS)),
    )
}

/// The moment something happened: `now` when none is asked for, else the one asked for if it is
/// neither in the future (beyond [`SKEW_MS`]) nor more than [`MAX_BACKDATE_DAYS`] days back.
pub fn moment(requested: Option<Timestamp>, now: Timestamp) -> Result<Timestamp, DatingError> {
    let Some(at) = requested else { return Ok(now) };
    if at.millis() > now.millis().saturating_add(SKEW_MS) {
        return Err(DatingError::InFuture { at, now });
    }
    let earliest = earliest(now);
    if at < earliest {
        return Err(DatingError::TooFarBack { at, earliest });
    }
    Ok(at)
}

/// Whether an operation dated `at` needs the backdate permission at `now` (more than a day back).
pub fn needs_backdate_permission(at: Timestamp, now: Timestamp) -> bool {
    at.millis() < now.millis().saturating_sub(BACKDATE_GRACE_MS)
}

/// The date of a member operation and whether it needs the backdate permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationDate {
    /// When the operation counts as done.
    pub at: Timestamp,
    /// More than a day back: only a role with the backdate permission may record it.
    pub needs_backdate_permission: bool,
}

/// Dates a member operation: [`moment`], then whether it needs the backdate permission.
pub fn date_operation(
    requested: Option<Timestamp>,
    now: Timestamp,
) -> Result<OperationDate, DatingError> {
    let at = moment(requested, now)?;
    Ok(OperationDate {
        at,
        needs_backdate_permission: needs_backdate_permission(at, now),
    })
}
