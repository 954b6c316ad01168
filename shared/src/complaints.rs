//! Complaints (DOMAIN.md §6, handbooks 001 and 003): how they arrive, who owns them, when the
//! answer is due, and the order of their life — filed, escalated, answered, closed.
//!
//! Each level has an owner role (003's table): a grumble the reception, a complaint the department
//! (club) manager, a claim for loss the sales/service director (the general manager in our roles),
//! a major case (400 hotline, consumer association, group HQ) and a crisis the general manager.
//! A role answers and closes what its own rung of the seniority ladder or a lower one owns
//! ([`Role::may_handle_complaint_owned_by`]).
//!
//! The answer is due [`ANSWER_DAYS`] days after filing: 001 promises members an answer in 3 days
//! (l.116) while its internal procedure allows 5 (l.131); we hold the promise. An answer after the deadline is
//! kept and flagged late. Escalation goes only upwards; a complaint is closed only once answered,
//! never before its answer, and a closed complaint does not change again.
//!
//! [`ComplaintState`] is the part of a complaint on file these rules need; the server keeps the
//! rest (texts, people, ids) around it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Timestamp;
use crate::dating::DAY_MS;
use crate::roles::Role;

/// Days to answer a complaint, from filing (001 l.116; its internal procedure, l.131, allows 5).
pub const ANSWER_DAYS: i64 = 3;

/// How a complaint reached the club (001, 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ComplaintChannel))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Said at the counter.
    Counter,
    /// By phone.
    Phone,
    /// By letter or fax.
    Letter,
    /// Written in the comments book (意见本).
    CommentsBook,
    /// Through the hotline.
    Hotline,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Counter,
        Channel::Phone,
        Channel::Letter,
        Channel::CommentsBook,
        Channel::Hotline,
    ];

    /// The channel's name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Phone => "phone",
            Channel::Letter => "letter",
            Channel::CommentsBook => "comments_book",
            Channel::Hotline => "hotline",
        }
    }
}

/// How serious a complaint is, from least to most (001, 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ComplaintLevel))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A minor grumble: the reception answers.
    Grumble,
    /// A complaint: the department manager.
    Complaint,
    /// A claim for loss: the sales/service director.
    Claim,
    /// 400 hotline, consumer association, group HQ: the general manager.
    Major,
    /// A crisis: the general manager.
    Crisis,
}

impl Level {
    /// Every level, from least to most serious.
    pub const ALL: [Level; 5] = [
        Level::Grumble,
        Level::Complaint,
        Level::Claim,
        Level::Major,
        Level::Crisis,
    ];

    /// The level's name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Grumble => "grumble",
            Level::Complaint => "complaint",
            Level::Claim => "claim",
            Level::Major => "major",
            Level::Crisis => "crisis",
        }
    }

    /// The role that owns a complaint of this level.
    pub const fn owner(self) -> Role {
        match self {
            Level::Grumble => Role::Reception,
            Level::Complaint => Role::ClubManager,
            Level::Claim | Level::Major | Level::Crisis => Role::GeneralManager,
        }
    }
}

/// When the answer to a complaint filed at `filed_at` is due.
pub fn answer_deadline(filed_at: Timestamp) -> Timestamp {
    Timestamp::from_millis(
        filed_at
            .millis()
            .saturating_add(ANSWER_DAYS.saturating_mul(DAY_MS)),
    )
}

/// Whether an answer given at `answered_at` is late for `deadline`.
pub fn is_late(answered_at: Timestamp, deadline: Timestamp) -> bool {
    answered_at > deadline
}

/// Why a step in a complaint's life is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ComplaintError {
    /// The complaint is closed and changes no more.
    #[error("the complaint is closed")]
    Closed,
    /// Escalation to the same or a lower level.
    #[error(
        "the complaint is already at level {}; escalate only to a higher level than {}",
        current.as_str(),
        requested.as_str()
    )]
    NotHigher {
        /// The level the complaint is at.
        current: Level,
        /// The level asked for.
        requested: Level,
    },
    /// The role stands below the complaint's owner.
    #[error(
        "a {} complaint is owned by the {owner}; your role ({role}) cannot answer or close it",
        level.as_str()
    )]
    NotOwner {
        /// The complaint's level.
        level: Level,
        /// The role that owns it.
        owner: Role,
        /// The role that tried.
        role: Role,
    },
    /// A second answer.
    #[error("the complaint is already answered")]
    AlreadyAnswered,
    /// An answer dated before the complaint was filed.
    #[error("the answer cannot be dated before the complaint was filed")]
    AnswerBeforeFiling,
    /// Closing a complaint nobody answered.
    #[error("the complaint has no answer yet; answer it before closing")]
    Unanswered,
    /// Closing dated before the answer.
    #[error("the complaint cannot be closed before it was answered")]
    CloseBeforeAnswer,
}

/// The moments and level of a complaint on file: what its rules depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintState {
    /// How serious it is now; its owner is [`Level::owner`].
    pub level: Level,
    /// When it was received.
    pub filed_at: Timestamp,
    /// When the answer is due (kept as filed, so a later change of [`ANSWER_DAYS`] keeps old ones).
    pub deadline: Timestamp,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
}

impl ComplaintState {
    /// A complaint of `level` just filed at `filed_at`, due [`ANSWER_DAYS`] days later.
    pub fn filed(level: Level, filed_at: Timestamp) -> Self {
        Self {
            level,
            filed_at,
            deadline: answer_deadline(filed_at),
            answered_at: None,
            closed_at: None,
        }
    }

    /// The role that owns it now.
    pub fn owner(&self) -> Role {
        self.level.owner()
    }

    /// Not closed yet.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// Open, unanswered and past its deadline at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.answered_at.is_none() && self.is_open() && now > self.deadline
    }

    /// Whether the answer given, if any, was late.
    pub fn answered_late(&self) -> Option<bool> {
        self.answered_at.map(|at| is_late(at, self.deadline))
    }

    /// Raises the level to `to` (owned from then on by `to.owner()`); returns the level before.
    /// Anyone who may handle complaints may escalate, whoever owns it now.
    pub fn escalate(&mut self, to: Level) -> Result<Level, ComplaintError> {
        self.ensure_open()?;
        if to <= self.level {
            return Err(ComplaintError::NotHigher {
                current: self.level,
                requested: to,
            });
        }
        let from = self.level;
        self.level = to;
        Ok(from)
    }

    /// Records the answer `by` gives at `at`; returns whether it is late.
    pub fn answer(&mut self, by: Role, at: Timestamp) -> Result<bool, ComplaintError> {
        self.ensure_open()?;
        self.ensure_owner(by)?;
        if self.answered_at.is_some() {
            return Err(ComplaintError::AlreadyAnswered);
        }
        if at < self.filed_at {
            return Err(ComplaintError::AnswerBeforeFiling);
        }
        self.answered_at = Some(at);
        Ok(is_late(at, self.deadline))
    }

    /// Closes it, `by` at `at`, once answered.
    pub fn close(&mut self, by: Role, at: Timestamp) -> Result<(), ComplaintError> {
        self.ensure_open()?;
        self.ensure_owner(by)?;
        let Some(answered) = self.answered_at else {
            return Err(ComplaintError::Unanswered);
        };
        if at < answered {
            return Err(ComplaintError::CloseBeforeAnswer);
        }
        self.closed_at = Some(at);
        Ok(())
    }

    fn ensure_open(&self) -> Result<(), ComplaintError> {
        if self.is_open() {
            Ok(())
        } else {
            Err(ComplaintError::Closed)
        }
    }

    fn ensure_owner(&self, role: Role) -> Result<(), ComplaintError> {
        let owner = self.owner();
        if role.may_handle_complaint_owned_by(owner) {
            Ok(())
        } else {
            Err(ComplaintError::NotOwner {
                level: self.level,
                owner,
                role,
            })
        }
    }
}
