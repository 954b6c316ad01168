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

// ---------------------------------------------------------------------------------------------
// The monthly analysis (001, 003: "record, escalate, close, analyse monthly").

/// A calendar month of business time (UTC+8), written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: time::Month,
}

/// Text that is not a month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a month: expected YYYY-MM, e.g. 2026-11")]
pub struct BadMonth(pub String);

impl Month {
    /// The month of `year` numbered `month` (1 to 12).
    pub fn new(year: i32, month: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        // Dates this library can write (and the store can hold): years 1 to 9999.
        (1..=9999).contains(&year).then_some(Self { year, month })
    }

    /// Reads `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Self, BadMonth> {
        let bad = || BadMonth(text.to_owned());
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.chars().chain(m.chars())).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        Self::new(year, month).ok_or_else(bad)
    }

    /// The business month `at` falls in.
    pub fn of(at: Timestamp) -> Self {
        let d = at.date();
        Self {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        match self.month {
            time::Month::January => Self {
                year: self.year.saturating_sub(1).max(1),
                month: time::Month::December,
            },
            m => Self {
                year: self.year,
                month: m.previous(),
            },
        }
    }

    /// The month after.
    pub fn next(self) -> Self {
        match self.month {
            time::Month::December => Self {
                year: self.year.saturating_add(1).min(9999),
                month: time::Month::January,
            },
            m => Self {
                year: self.year,
                month: m.next(),
            },
        }
    }

    /// 00:00 (UTC+8) on its first day.
    pub fn start(self) -> Timestamp {
        match time::Date::from_calendar_date(self.year, self.month, 1) {
            Ok(d) => Timestamp::start_of(d),
            Err(_) => Timestamp::from_millis(0),
        }
    }

    /// Whether `at` falls in it.
    pub fn contains(self, at: Timestamp) -> bool {
        Month::of(at) == self
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A calendar month of business time (UTC+8): YYYY-MM."))
            .pattern(Some(
                "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$",
            ))
            .examples([serde_json::Value::from("2026-11")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Month {}

/// How many complaints of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelCount {
    pub level: Level,
    pub count: u32,
}

/// How many complaints came by one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelCount {
    pub channel: Channel,
    pub count: u32,
}

/// The figures of the complaints filed in one month, as they stand at the moment of the analysis.
///
/// A complaint counts in the month it was filed (business time), at its level now (after any
/// escalation). It is *due* once answered or once its deadline has passed unanswered; the on-time
/// rate is the share of due complaints answered by their deadline, so complaints still within
/// their three days count neither way. Times to answer are from filing to the answer, in minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigures {
    pub month: Month,
    /// Filed in the month.
    pub filed: u32,
    /// By level, every level listed (least serious first), zero where none.
    pub by_level: Vec<LevelCount>,
    /// By channel, every channel listed, zero where none.
    pub by_channel: Vec<ChannelCount>,
    /// Answered (on time or late).
    pub answered: u32,
    /// Answered by the deadline.
    pub on_time: u32,
    /// Answered after the deadline.
    pub late: u32,
    /// Not answered and past the deadline.
    pub overdue: u32,
    /// Not answered, still within the deadline.
    pub waiting: u32,
    /// Closed.
    pub closed: u32,
    /// Escalated at least once.
    pub escalated: u32,
    /// `on_time` per 1000 due complaints (answered + overdue), rounded down; absent when none is due.
    pub on_time_permille: Option<u32>,
    /// The median time from filing to answer, in minutes (of two middle values, their mean rounded
    /// down); absent when none is answered.
    pub median_answer_minutes: Option<i64>,
    /// The average time from filing to answer, in minutes, rounded down; absent when none is answered.
    pub average_answer_minutes: Option<i64>,
}

/// A month's figures and the month before's, to compare.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ComplaintAnalysis))]
pub struct Analysis {
    /// The month asked for.
    pub current: MonthFigures,
    /// The month before it.
    pub previous: MonthFigures,
}

/// What the analysis reads of one complaint: how it came, and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub channel: Channel,
    pub state: ComplaintState,
    /// Escalated at least once.
    pub escalated: bool,
}

/// The figures of `month` from `complaints` (any months; the others are ignored), at `now`.
pub fn month_figures<'a>(
    month: Month,
    complaints: impl IntoIterator<Item = &'a Filed>,
    now: Timestamp,
) -> MonthFigures {
    let mut by_level: Vec<LevelCount> = Level::ALL
        .iter()
        .map(|&level| LevelCount { level, count: 0 })
        .collect();
    let mut by_channel: Vec<ChannelCount> = Channel::ALL
        .iter()
        .map(|&channel| ChannelCount { channel, count: 0 })
        .collect();
    let (mut filed, mut on_time, mut late, mut overdue, mut waiting, mut closed, mut escalated) =
        (0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    let mut minutes: Vec<i64> = Vec::new();
    for c in complaints {
        let s = &c.state;
        if !month.contains(s.filed_at) {
            continue;
        }
        filed += 1;
        if let Some(l) = by_level.iter_mut().find(|l| l.level == s.level) {
            l.count += 1;
        }
        if let Some(ch) = by_channel.iter_mut().find(|ch| ch.channel == c.channel) {
            ch.count += 1;
        }
        match s.answered_at {
            Some(at) => {
                if is_late(at, s.deadline) {
                    late += 1;
                } else {
                    on_time += 1;
                }
                minutes.push(at.millis().saturating_sub(s.filed_at.millis()) / 60_000);
            }
            None if now > s.deadline => overdue += 1,
            None => waiting += 1,
        }
        if s.closed_at.is_some() {
            closed += 1;
        }
        if c.escalated {
            escalated += 1;
        }
    }
    let answered = on_time + late;
    let due = u64::from(answered) + u64::from(overdue);
    let on_time_permille = (due > 0).then(|| (u64::from(on_time) * 1000 / due) as u32);
    minutes.sort_unstable();
    let median_answer_minutes = match minutes.len() {
        0 => None,
        n if n % 2 == 1 => Some(minutes[n / 2]),
        n => Some(((i128::from(minutes[n / 2 - 1]) + i128::from(minutes[n / 2])) / 2) as i64),
    };
    let average_answer_minutes = (!minutes.is_empty()).then(|| {
        let sum: i128 = minutes.iter().map(|&m| i128::from(m)).sum();
        (sum / minutes.len() as i128) as i64
    });
    MonthFigures {
        month,
        filed,
        by_level,
        by_channel,
        answered,
        on_time,
        late,
        overdue,
        waiting,
        closed,
        escalated,
        on_time_permille,
        median_answer_minutes,
        average_answer_minutes,
    }
}

/// The analysis of `month` against the month before, from `complaints`, at `now`.
pub fn analyse(month: Month, complaints: &[Filed], now: Timestamp) -> Analysis {
    Analysis {
        current: month_figures(month, complaints, now),
        previous: month_figures(month.previous(), complaints, now),
    }
}
