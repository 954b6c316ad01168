//! Physical card stock (DOMAIN.md §2, handbook 001 会员卡管理制度): cards lent out of the drawer
//! and sold cards written off.
//!
//! A sample card (样卡), signed out by the department manager for showing to prospects, must be back
//! within 24 hours (001 l.291); a borrowed card (借用), signed by a manager, within 36 hours
//! (l.293). A loan is due that many hours after it is signed out; returned later it is kept and
//! flagged late, and while out past its due time it is overdue. A card issued to a member is no
//! longer stock, and a card already out cannot be lent again until it is back.
//!
//! A sold card is written off once, against the receipt of its fee (l.294): the receipt handed in
//! must be the one the card was sold against.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{MemberId, ReceiptNo, Timestamp};

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// Why a card left the drawer for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoanKind {
    /// A sample card, for showing: back within 24 hours.
    Sample,
    /// A borrowed card: back within 36 hours.
    Borrowed,
}

impl LoanKind {
    /// Every kind of loan.
    pub const ALL: [LoanKind; 2] = [LoanKind::Sample, LoanKind::Borrowed];

    /// The kind's name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoanKind::Sample => "sample",
            LoanKind::Borrowed => "borrowed",
        }
    }

    /// How many hours the card may stay out (001 l.291, l.293).
    pub const fn limit_hours(self) -> i64 {
        match self {
            LoanKind::Sample => 24,
            LoanKind::Borrowed => 36,
        }
    }

    /// When a card lent at `lent_at` is due back.
    pub fn due_at(self, lent_at: Timestamp) -> Timestamp {
        Timestamp::from_millis(
            lent_at
                .millis()
                .saturating_add(self.limit_hours() * HOUR_MS),
        )
    }
}

/// Whether a card returned at `returned_at` is late for `due_at`.
pub fn is_late(returned_at: Timestamp, due_at: Timestamp) -> bool {
    returned_at > due_at
}

/// Why a card may not be lent or returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LoanError {
    /// The card was issued to a member: it is not stock.
    #[error("the card was issued to member {member}; it is not stock")]
    IssuedToMember {
        /// The member holding it.
        member: MemberId,
    },
    /// The card is out on another loan.
    #[error("the card is already out until {due_at}")]
    AlreadyOut {
        /// When the open loan is due.
        due_at: Timestamp,
    },
    /// The loan was returned before.
    #[error("the card was already returned")]
    AlreadyReturned,
}

/// Whether a card may be lent: not issued to a member (`issued_to`), not out on an open loan due
/// at `open_loan_due`.
pub fn check_lend(
    issued_to: Option<MemberId>,
    open_loan_due: Option<Timestamp>,
) -> Result<(), LoanError> {
    if let Some(member) = issued_to {
        return Err(LoanError::IssuedToMember { member });
    }
    if let Some(due_at) = open_loan_due {
        return Err(LoanError::AlreadyOut { due_at });
    }
    Ok(())
}

/// The moments of a card loan: what its rules depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanState {
    /// Sample or borrowed.
    pub kind: LoanKind,
    /// When the card was signed out.
    pub lent_at: Timestamp,
    /// When it is due back (kept as lent).
    pub due_at: Timestamp,
    /// When it came back.
    pub returned_at: Option<Timestamp>,
}

impl LoanState {
    /// A card of `kind` signed out at `lent_at`.
    pub fn lent(kind: LoanKind, lent_at: Timestamp) -> Self {
        Self {
            kind,
            lent_at,
            due_at: kind.due_at(lent_at),
            returned_at: None,
        }
    }

    /// Not returned yet.
    pub fn is_open(&self) -> bool {
        self.returned_at.is_none()
    }

    /// Out past its due time at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.is_open() && now > self.due_at
    }

    /// Whether it came back late, once returned.
    pub fn returned_late(&self) -> Option<bool> {
        self.returned_at.map(|at| is_late(at, self.due_at))
    }

    /// Records the card back at `at`; returns whether it is late.
    pub fn give_back(&mut self, at: Timestamp) -> Result<bool, LoanError> {
        if !self.is_open() {
            return Err(LoanError::AlreadyReturned);
        }
        self.returned_at = Some(at);
        Ok(is_late(at, self.due_at))
    }
}

/// Why a sold card may not be written off against a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WriteOffError {
    /// The receipt handed in is not the one the card was sold against.
    #[error(
        "the card was sold against receipt {}, not {given}",
        sold_against.as_ref().map_or("none", |r| r.as_str())
    )]
    ReceiptMismatch {
        /// The receipt on the member's file, if any.
        sold_against: Option<ReceiptNo>,
        /// The receipt handed in.
        given: ReceiptNo,
    },
    /// The card is written off already.
    #[error("the card is already written off")]
    AlreadyWrittenOff,
}

/// Whether a sold card may be written off against `given`: it must be the receipt it was sold
/// against, and the card not yet written off.
pub fn check_write_off(
    sold_against: Option<&ReceiptNo>,
    given: &ReceiptNo,
    already_written_off: bool,
) -> Result<(), WriteOffError> {
    if sold_against != Some(given) {
        return Err(WriteOffError::ReceiptMismatch {
            sold_against: sold_against.cloned(),
            given: given.clone(),
        });
    }
    if already_written_off {
        return Err(WriteOffError::AlreadyWrittenOff);
    }
    Ok(())
}
