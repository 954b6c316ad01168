//! Satisfaction with a club event (活动满意度, DOMAIN.md §6 l.126: "satisfaction survey"): after
//! the event, each attendee's score of 1 to 5 with an optional comment, and the event's average.
//!
//! A score is recorded only for a member who attended, once per attendee, and only on or after
//! the event's day (business days, UTC+8): nobody rates what has not happened yet or what they did
//! not attend, and a score once given is not replaced. [`check`] is the rule; the server keeps the
//! scores beside the event's attendance.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

/// The lowest score (very dissatisfied).
pub const MIN_SCORE: u8 = 1;
/// The highest score (very satisfied).
pub const MAX_SCORE: u8 = 5;
/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 200;

/// Why a satisfaction score may not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SatisfactionRefused {
    /// The score is not 1 to 5.
    #[error("the score must be {MIN_SCORE} to {MAX_SCORE}, not {0}")]
    ScoreOutOfRange(u8),
    /// The comment is longer than [`MAX_COMMENT_CHARS`].
    #[error("the comment may have at most {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    /// The member did not attend the event.
    #[error("only a member who attended the event may be asked for a score")]
    NotAttended,
    /// The member's score is on file already.
    #[error("this member's score is on file already")]
    AlreadyScored,
    /// The event's day has not come.
    #[error("the event is on {starts}; scores are recorded on or after that day")]
    BeforeEvent { starts: Date },
}

/// What the rule needs to know of the event and the member.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub score: u8,
    pub comment: Option<&'a str>,
    /// Whether the member's attendance is on file.
    pub attended: bool,
    /// Whether the member's score is on file already.
    pub scored: bool,
    /// The event's (business) day.
    pub event_day: Date,
    /// Today (business day).
    pub today: Date,
}

/// Whether the score may be recorded: a score of 1 to 5, a comment of at most 200 characters, an
/// attendee not yet scored, on or after the event's day.
pub fn check(a: Asked<'_>) -> Result<(), SatisfactionRefused> {
    if !(MIN_SCORE..=MAX_SCORE).contains(&a.score) {
        return Err(SatisfactionRefused::ScoreOutOfRange(a.score));
    }
    if a.comment
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(SatisfactionRefused::CommentTooLong);
    }
    if a.today < a.event_day {
        return Err(SatisfactionRefused::BeforeEvent {
            starts: a.event_day,
        });
    }
    if !a.attended {
        return Err(SatisfactionRefused::NotAttended);
    }
    if a.scored {
        return Err(SatisfactionRefused::AlreadyScored);
    }
    Ok(())
}

/// The comment as kept: trimmed, none when empty.
pub fn comment(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// The scores' count and their average rounded to one decimal (none without scores).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SatisfactionSummary))]
pub struct Summary {
    /// How many attendees gave a score.
    pub count: u32,
    /// The average score, rounded to one decimal; null before the first score.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub average: Option<f64>,
}

/// The count and average of `scores`.
pub fn summary(scores: impl IntoIterator<Item = u8>) -> Summary {
    let (count, sum) = scores
        .into_iter()
        .fold((0u32, 0u64), |(n, s), x| (n + 1, s + u64::from(x)));
    let average = (count > 0).then(|| {
        // Tenths, rounded half up, from integers so 4.25 is 4.3 on every platform.
        let tenths = (sum * 20 + u64::from(count)) / (u64::from(count) * 2);
        tenths as f64 / 10.0
    });
    Summary { count, average }
}
