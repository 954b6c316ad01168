//! Satisfaction with a club event (DOMAIN.md §6 l.126, "satisfaction survey") as a table: an
//! attendee's score of 1 to 5, once, on or after the event's day, and the event's average.

use carclub_shared::satisfaction::*;
use time::{Date, Month};

fn d(day: u8) -> Date {
    Date::from_calendar_date(2026, Month::December, day).unwrap()
}

/// An attendee not yet scored, asked the day after the event (12 December).
fn asked(score: u8) -> Asked<'static> {
    Asked {
        score,
        comment: None,
        attended: true,
        scored: false,
        event_day: d(12),
        today: d(13),
    }
}

#[test]
fn who_may_be_scored_and_when() {
    let long = "好".repeat(MAX_COMMENT_CHARS + 1);
    let fits = "好".repeat(MAX_COMMENT_CHARS);
    let cases: Vec<(&str, Asked<'_>, Result<(), SatisfactionRefused>)> = vec![
        ("a score of 1 is the lowest", asked(1), Ok(())),
        ("a score of 5 is the highest", asked(5), Ok(())),
        (
            "0 is below the scale",
            asked(0),
            Err(SatisfactionRefused::ScoreOutOfRange(0)),
        ),
        (
            "6 is above the scale",
            asked(6),
            Err(SatisfactionRefused::ScoreOutOfRange(6)),
        ),
        (
            "a comment of 200 characters fits",
            Asked {
                comment: Some(&fits),
                ..asked(4)
            },
            Ok(()),
        ),
        (
            "a comment of 201 characters does not",
            Asked {
                comment: Some(&long),
                ..asked(4)
            },
            Err(SatisfactionRefused::CommentTooLong),
        ),
        (
            "on the event's day",
            Asked {
                today: d(12),
                ..asked(4)
            },
            Ok(()),
        ),
        (
            "not the day before",
            Asked {
                today: d(11),
                ..asked(4)
            },
            Err(SatisfactionRefused::BeforeEvent { starts: d(12) }),
        ),
        (
            "only an attendee",
            Asked {
                attended: false,
                ..asked(4)
            },
            Err(SatisfactionRefused::NotAttended),
        ),
        (
            "once per attendee",
            Asked {
                scored: true,
                ..asked(4)
            },
            Err(SatisfactionRefused::AlreadyScored),
        ),
        (
            "before the day, the day is the reason (nobody has attended yet)",
            Asked {
                attended: false,
                today: d(1),
                ..asked(4)
            },
            Err(SatisfactionRefused::BeforeEvent { starts: d(12) }),
        ),
    ];
    let failures: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, a, want)| {
            let got = check(a);
            (got != want).then(|| format!("{name}: got {got:?}, want {want:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "satisfaction:\n{}",
        failures.join("\n")
    );
}

#[test]
fn comments_are_kept_trimmed_and_empty_ones_dropped() {
    assert_eq!(comment(None), None);
    assert_eq!(comment(Some("   ")), None);
    assert_eq!(comment(Some(" 讲得好 ")), Some("讲得好".to_owned()));
}

#[test]
fn the_average_is_rounded_to_one_decimal() {
    let cases: &[(&[u8], u32, Option<f64>)] = &[
        (&[], 0, None),
        (&[5], 1, Some(5.0)),
        (&[4, 5], 2, Some(4.5)),
        (&[4, 4, 5], 3, Some(4.3)),
        (&[5, 5, 4], 3, Some(4.7)),
        (&[1, 2, 2, 2], 4, Some(1.8)),
        // 4.25 rounds half up to 4.3.
        (&[4, 4, 4, 5], 4, Some(4.3)),
    ];
    for (scores, count, average) in cases {
        let s = summary(scores.iter().copied());
        assert_eq!(s.count, *count, "{scores:?}");
        assert_eq!(s.average, *average, "{scores:?}");
    }
}
