//! Care calls: the time slots, what comes after each call (the 3×3×3 rule of 002), and the
//! 3-hour notice of an appointment.
//!
//! **3×3×3.** An owner who does not answer is called three times, in three different time slots,
//! within three days (the day the first call was due and the two after it). Two unanswered calls
//! in the same slot count once. After the third slot without an answer — or on the fourth day,
//! whatever was tried — an SMS goes out and the failure is recorded. A wrong or dead number stops
//! the calls until the number is corrected; the calls after the correction start a new count of
//! three slots in three days, from the day of the first of them. A request to call back is an
//! answer: the count restarts from that call's day. Reached, an appointment made, or a refusal
//! ends the task.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::types::*;

use super::file::CallSlot;
use super::rules::plus_days;

/// Days the 3×3×3 rule allows, counting the first day.
pub const RETRY_DAYS: i64 = 3;
/// Different slots to try before giving up.
pub const RETRY_SLOTS: usize = 3;
/// Minimum notice of an appointment, in hours (002).
pub const APPOINTMENT_NOTICE_HOURS: i64 = 3;

impl CallSlot {
    /// The slot a moment falls in, business time (UTC+8); `None` outside calling hours.
    pub fn of(at: Timestamp) -> Option<CallSlot> {
        let t = at.to_datetime().to_offset(BUSINESS_OFFSET);
        let minute = u16::from(t.hour()) * 60 + u16::from(t.minute());
        CallSlot::ALL.into_iter().find(|s| {
            let (from, to) = s.minutes();
            from <= minute && minute < to
        })
    }
}

/// What a call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Spoke with the owner (feedback recorded).
    Reached,
    /// Spoke with the owner and booked an appointment.
    Appointment,
    /// The owner asked to be called back later.
    CallBack,
    /// A wrong or dead number (空号、错号): a corrected number is needed.
    WrongNumber,
    /// The owner declined.
    Refused,
    /// Nobody answered.
    NoAnswer,
}

impl CallOutcome {
    /// Every outcome.
    pub const ALL: [CallOutcome; 6] = [
        CallOutcome::Reached,
        CallOutcome::Appointment,
        CallOutcome::CallBack,
        CallOutcome::WrongNumber,
        CallOutcome::Refused,
        CallOutcome::NoAnswer,
    ];

    /// The name as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::Appointment => "appointment",
            CallOutcome::CallBack => "call_back",
            CallOutcome::WrongNumber => "wrong_number",
            CallOutcome::Refused => "refused",
            CallOutcome::NoAnswer => "no_answer",
        }
    }

    /// The outcome in English.
    pub const fn en(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::Appointment => "appointment made",
            CallOutcome::CallBack => "call back later",
            CallOutcome::WrongNumber => "wrong or dead number",
            CallOutcome::Refused => "refused",
            CallOutcome::NoAnswer => "no answer",
        }
    }

    /// The outcome in Chinese.
    pub const fn zh(self) -> &'static str {
        match self {
            CallOutcome::Reached => "已联系",
            CallOutcome::Appointment => "已预约",
            CallOutcome::CallBack => "稍后回电",
            CallOutcome::WrongNumber => "空号或错号",
            CallOutcome::Refused => "拒绝",
            CallOutcome::NoAnswer => "无人接听",
        }
    }

    /// Whether it ends the task.
    pub const fn ends(self) -> bool {
        matches!(
            self,
            CallOutcome::Reached | CallOutcome::Appointment | CallOutcome::Refused
        )
    }
}

/// One call made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub at: Timestamp,
    pub slot: CallSlot,
    pub outcome: CallOutcome,
}

/// What to do next on a call task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// The task is finished with this outcome.
    Done(CallOutcome),
    /// Call again, in a slot not yet tried, by the end of `by`.
    CallAgain {
        /// Slots already tried without an answer.
        avoid: Vec<CallSlot>,
        /// The last day of the three.
        #[serde(with = "crate::types::iso_date")]
        by: Date,
    },
    /// Unreachable: send the SMS and record the failure.
    SendSmsAndFail,
    /// The number is wrong or dead: get a corrected one before calling again.
    CorrectNumber,
}

/// What comes after `attempts` (in any order) on a task first due on `first_due`, at `now`.
pub fn next_step(first_due: Date, attempts: &[Attempt], now: Timestamp) -> NextStep {
    let mut sorted = attempts.to_vec();
    crate::sorting::sort_by_key(&mut sorted, |a| (a.at, a.slot, a.outcome));
    let mut start = first_due;
    let mut tried: Vec<CallSlot> = Vec::new();
    let mut wrong_number = false;
    let last_day = |start: Date| plus_days(start, RETRY_DAYS - 1);
    for a in &sorted {
        let day = a.at.date();
        if wrong_number {
            // The first call after a wrong number is to the corrected one: a new count.
            wrong_number = false;
            start = day;
            tried.clear();
        }
        if a.outcome == CallOutcome::NoAnswer && day > last_day(start) {
            return NextStep::SendSmsAndFail;
        }
        match a.outcome {
            o if o.ends() => return NextStep::Done(o),
            CallOutcome::WrongNumber => wrong_number = true,
            CallOutcome::CallBack => {
                start = day;
                tried.clear();
            }
            _ => {
                if !tried.contains(&a.slot) {
                    tried.push(a.slot);
                }
                if tried.len() >= RETRY_SLOTS {
                    return NextStep::SendSmsAndFail;
                }
            }
        }
    }
    if wrong_number {
        return NextStep::CorrectNumber;
    }
    let by = last_day(start);
    if now.date() > by {
        return NextStep::SendSmsAndFail;
    }
    crate::sorting::sort(&mut tried);
    NextStep::CallAgain { avoid: tried, by }
}

/// An appointment asked for less than [`APPOINTMENT_NOTICE_HOURS`] ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an appointment must be made at least 3 hours ahead; the earliest now is {earliest}")]
pub struct AppointmentTooSoon {
    /// The earliest moment that can be booked now.
    pub earliest: Timestamp,
}

impl AppointmentTooSoon {
    /// The refusal in Chinese.
    pub fn describe_zh(&self) -> String {
        format!("预约须至少提前 3 小时；现在最早可约 {}", self.earliest)
    }
}

/// Whether an appointment at `at` may be booked at `now` (002: at least 3 hours ahead).
pub fn appointment_ok(now: Timestamp, at: Timestamp) -> Result<(), AppointmentTooSoon> {
    let earliest = Timestamp::from_millis(
        now.millis()
            .saturating_add(APPOINTMENT_NOTICE_HOURS * 3_600_000),
    );
    if at >= earliest {
        Ok(())
    } else {
        Err(AppointmentTooSoon { earliest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const ROW: &str = r#"DOMAIN.md §5 "first service 首保 | … unreachable → 3 calls in 3 different time slots within 3 days, then SMS, record the failure""#;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn call(text: &str, outcome: CallOutcome) -> Attempt {
        let at = at(text);
        Attempt {
            at,
            slot: CallSlot::of(at).expect("a call in calling hours"),
            outcome,
        }
    }

    use CallOutcome::*;

    #[test]
    fn slots_of_the_day_in_business_time() {
        let cases = [
            ("2026-03-10T08:59:59+08:00", None),
            ("2026-03-10T09:00:00+08:00", Some(CallSlot::Morning)),
            ("2026-03-10T11:59:00+08:00", Some(CallSlot::Morning)),
            ("2026-03-10T12:00:00+08:00", Some(CallSlot::Midday)),
            ("2026-03-10T14:00:00+08:00", Some(CallSlot::Afternoon)),
            ("2026-03-10T17:29:00+08:00", Some(CallSlot::Afternoon)),
            ("2026-03-10T17:30:00+08:00", Some(CallSlot::Evening)),
            ("2026-03-10T20:29:00+08:00", Some(CallSlot::Evening)),
            ("2026-03-10T20:30:00+08:00", None),
            // 01:00 UTC is 09:00 in the store.
            ("2026-03-10T01:00:00Z", Some(CallSlot::Morning)),
        ];
        for (text, want) in cases {
            assert_eq!(CallSlot::of(at(text)), want, "{text}");
        }
    }

    #[test]
    fn three_by_three_by_three() {
        let due = date!(2026 - 03 - 10);
        type Case = (&'static str, Vec<Attempt>, &'static str, NextStep);
        let cases: Vec<Case> = vec![
            (
                "no call yet: call by the third day",
                vec![],
                "2026-03-10T09:00:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![],
                    by: date!(2026 - 03 - 12),
                },
            ),
            (
                "one slot unanswered: avoid it",
                vec![call("2026-03-10T09:30:00+08:00", NoAnswer)],
                "2026-03-10T10:00:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![CallSlot::Morning],
                    by: date!(2026 - 03 - 12),
                },
            ),
            (
                "the same slot twice counts once",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T10:30:00+08:00", NoAnswer),
                    call("2026-03-12T11:30:00+08:00", NoAnswer),
                ],
                "2026-03-12T12:00:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![CallSlot::Morning],
                    by: date!(2026 - 03 - 12),
                },
            ),
            (
                "three slots within three days: SMS and fail",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", NoAnswer),
                    call("2026-03-12T18:00:00+08:00", NoAnswer),
                ],
                "2026-03-12T18:05:00+08:00",
                NextStep::SendSmsAndFail,
            ),
            (
                "three slots on one day: SMS and fail",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-10T12:30:00+08:00", NoAnswer),
                    call("2026-03-10T15:00:00+08:00", NoAnswer),
                ],
                "2026-03-10T15:05:00+08:00",
                NextStep::SendSmsAndFail,
            ),
            (
                "the fourth day without three slots: SMS and fail",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", NoAnswer),
                ],
                "2026-03-13T09:00:00+08:00",
                NextStep::SendSmsAndFail,
            ),
            (
                "the last of the three days: still calling",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", NoAnswer),
                ],
                "2026-03-12T20:00:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![CallSlot::Morning, CallSlot::Midday],
                    by: date!(2026 - 03 - 12),
                },
            ),
            (
                "a third slot on the fourth day is too late",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", NoAnswer),
                    call("2026-03-13T15:00:00+08:00", NoAnswer),
                ],
                "2026-03-13T15:05:00+08:00",
                NextStep::SendSmsAndFail,
            ),
            (
                "reached after two unanswered: done",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", Reached),
                ],
                "2026-03-11T12:35:00+08:00",
                NextStep::Done(Reached),
            ),
            (
                "an appointment: done",
                vec![call("2026-03-10T09:30:00+08:00", Appointment)],
                "2026-03-10T09:35:00+08:00",
                NextStep::Done(Appointment),
            ),
            (
                "refused: done",
                vec![call("2026-03-10T09:30:00+08:00", Refused)],
                "2026-03-10T09:35:00+08:00",
                NextStep::Done(Refused),
            ),
            (
                "wrong number: a corrected number first",
                vec![call("2026-03-10T09:30:00+08:00", WrongNumber)],
                "2026-03-15T09:35:00+08:00",
                NextStep::CorrectNumber,
            ),
            (
                "the corrected number: a new count from its first call",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-10T12:30:00+08:00", WrongNumber),
                    call("2026-03-16T09:30:00+08:00", NoAnswer),
                ],
                "2026-03-16T09:35:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![CallSlot::Morning],
                    by: date!(2026 - 03 - 18),
                },
            ),
            (
                "call back later: the count restarts that day",
                vec![
                    call("2026-03-10T09:30:00+08:00", NoAnswer),
                    call("2026-03-11T12:30:00+08:00", NoAnswer),
                    call("2026-03-12T15:00:00+08:00", CallBack),
                ],
                "2026-03-13T09:00:00+08:00",
                NextStep::CallAgain {
                    avoid: vec![],
                    by: date!(2026 - 03 - 14),
                },
            ),
        ];
        for (what, attempts, now, want) in cases {
            assert_eq!(next_step(due, &attempts, at(now)), want, "{ROW} — {what}");
            let mut reversed = attempts.clone();
            reversed.reverse();
            assert_eq!(
                next_step(due, &reversed, at(now)),
                want,
                "{ROW} — {what} (attempts in another order)"
            );
        }
    }

    #[test]
    fn appointments_at_least_three_hours_ahead() {
        // DOMAIN.md §5 "Appointments must be made at least 3 hours ahead (002)"
        let now = at("2026-03-10T09:00:00+08:00");
        assert!(appointment_ok(now, at("2026-03-10T12:00:00+08:00")).is_ok());
        assert!(appointment_ok(now, at("2026-03-11T09:00:00+08:00")).is_ok());
        let err = appointment_ok(now, at("2026-03-10T11:59:00+08:00")).unwrap_err();
        assert_eq!(err.earliest, at("2026-03-10T12:00:00+08:00"));
        assert!(err.to_string().contains("3 hours"), "{err}");
        assert!(err.describe_zh().contains("3 小时"));
        assert!(appointment_ok(now, at("2026-03-10T08:00:00+08:00")).is_err());
    }

    #[test]
    fn next_step_json() {
        let step = NextStep::CallAgain {
            avoid: vec![CallSlot::Morning],
            by: date!(2026 - 03 - 12),
        };
        assert_eq!(
            serde_json::to_value(&step).unwrap(),
            serde_json::json!({"call_again": {"avoid": ["morning"], "by": "2026-03-12"}})
        );
        assert_eq!(
            serde_json::to_value(NextStep::Done(Reached)).unwrap(),
            serde_json::json!({"done": "reached"})
        );
        assert_eq!(
            serde_json::to_value(NextStep::SendSmsAndFail).unwrap(),
            serde_json::json!("send_sms_and_fail")
        );
    }
}
