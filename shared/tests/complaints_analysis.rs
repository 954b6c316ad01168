//! The monthly complaint analysis (001, 003: "analyse monthly") as tables: which month a complaint
//! counts in (business time, UTC+8), counts by level and channel, the on-time rate over the due
//! complaints, the median and average time to answer, and the month before beside it.

use carclub_shared::Timestamp;
use carclub_shared::complaints::*;
use carclub_shared::dating::DAY_MS;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn plus(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp::from_millis(t.millis() + ms)
}

const HOUR: i64 = 3_600_000;

/// A complaint filed at `filed` by `channel` at `level`, answered `answer_hours` later (if any).
fn filed(filed: &str, channel: Channel, level: Level, answer_hours: Option<i64>) -> Filed {
    let mut state = ComplaintState::filed(level, at(filed));
    if let Some(h) = answer_hours {
        state.answered_at = Some(plus(state.filed_at, h * HOUR));
    }
    Filed {
        channel,
        state,
        escalated: false,
    }
}

fn month(text: &str) -> Month {
    Month::parse(text).unwrap()
}

#[test]
fn months_are_read_written_and_stepped() {
    let cases: &[(&str, Option<&str>, &str, &str)] = &[
        // text, written back, the month before, the month after
        ("2026-11", Some("2026-11"), "2026-10", "2026-12"),
        ("2026-01", Some("2026-01"), "2025-12", "2026-02"),
        ("2026-12", Some("2026-12"), "2026-11", "2027-01"),
    ];
    for (text, back, prev, next) in cases {
        let m = month(text);
        assert_eq!(Some(m.to_string().as_str()), *back, "{text}");
        assert_eq!(m.previous().to_string(), *prev, "{text}");
        assert_eq!(m.next().to_string(), *next, "{text}");
    }
    for bad in [
        "2026-13",
        "2026-00",
        "2026-1",
        "26-11",
        "2026/11",
        "",
        "2026-11-01",
        "0000-05",
        "+026-11",
        "２０２６-11",
    ] {
        assert!(Month::parse(bad).is_err(), "{bad:?} is not a month");
    }
}

#[test]
fn a_complaint_counts_in_its_business_month() {
    let cases: &[(&str, &str, bool)] = &[
        // filed at, month, counted
        ("2026-11-01T00:00:00+08:00", "2026-11", true),
        ("2026-10-31T23:59:59+08:00", "2026-11", false),
        // 16:30 UTC on 31 October is 00:30 on 1 November in China.
        ("2026-10-31T16:30:00Z", "2026-11", true),
        ("2026-11-30T23:59:59+08:00", "2026-11", true),
        ("2026-12-01T00:00:00+08:00", "2026-11", false),
    ];
    for (when, m, counted) in cases {
        assert_eq!(month(m).contains(at(when)), *counted, "{when} in {m}");
        assert_eq!(
            month(m).start() <= at(when) && at(when) < month(m).next().start(),
            *counted,
            "{when}: start of {m}"
        );
    }
}

#[test]
fn figures_of_a_month() {
    let now = at("2026-11-30T12:00:00+08:00");
    let list = vec![
        // November: answered in 2 h, 10 h and 100 h (late), one overdue, one still waiting.
        filed(
            "2026-11-02T09:00:00+08:00",
            Channel::Counter,
            Level::Grumble,
            Some(2),
        ),
        filed(
            "2026-11-03T09:00:00+08:00",
            Channel::Phone,
            Level::Complaint,
            Some(10),
        ),
        filed(
            "2026-11-04T09:00:00+08:00",
            Channel::Hotline,
            Level::Major,
            Some(100),
        ),
        filed(
            "2026-11-05T09:00:00+08:00",
            Channel::Letter,
            Level::Complaint,
            None,
        ),
        filed(
            "2026-11-29T09:00:00+08:00",
            Channel::Counter,
            Level::Grumble,
            None,
        ),
        // October: one answered in 4 h.
        filed(
            "2026-10-20T09:00:00+08:00",
            Channel::CommentsBook,
            Level::Claim,
            Some(4),
        ),
    ];
    let a = analyse(month("2026-11"), &list, now);
    let f = &a.current;
    let rows: &[(&str, u32, u32)] = &[
        ("filed", f.filed, 5),
        ("answered", f.answered, 3),
        ("on time", f.on_time, 2),
        ("late (100 h > 72 h)", f.late, 1),
        ("overdue (5 Nov + 3 days < 30 Nov)", f.overdue, 1),
        ("waiting (29 Nov + 3 days > 30 Nov)", f.waiting, 1),
        ("closed", f.closed, 0),
    ];
    for (what, got, want) in rows {
        assert_eq!(got, want, "November: {what}");
    }
    let level = |l: Level| f.by_level.iter().find(|c| c.level == l).unwrap().count;
    let channel = |c: Channel| f.by_channel.iter().find(|x| x.channel == c).unwrap().count;
    assert_eq!(
        Level::ALL.map(level),
        [2, 2, 0, 1, 0],
        "by level, every level listed"
    );
    assert_eq!(
        Channel::ALL.map(channel),
        [2, 1, 1, 0, 1],
        "by channel, every channel listed"
    );
    // 2 on time of 4 due (3 answered + 1 overdue; the waiting one is not due yet).
    assert_eq!(f.on_time_permille, Some(500));
    // 2 h, 10 h, 100 h: the median 10 h, the average 37 h 20 min.
    assert_eq!(f.median_answer_minutes, Some(600));
    assert_eq!(f.average_answer_minutes, Some((2 + 10 + 100) * 60 / 3));

    let p = &a.previous;
    assert_eq!(p.month.to_string(), "2026-10");
    assert_eq!((p.filed, p.answered, p.on_time), (1, 1, 1));
    assert_eq!(p.on_time_permille, Some(1000));
    assert_eq!(p.median_answer_minutes, Some(240));
}

#[test]
fn edge_cases_of_the_rates() {
    let now = at("2026-11-30T12:00:00+08:00");
    let m = month("2026-11");
    // Nothing filed: counts zero, no rates.
    let empty = month_figures(m, &[], now);
    assert_eq!(empty.filed, 0);
    assert_eq!(empty.on_time_permille, None);
    assert_eq!(empty.median_answer_minutes, None);
    assert_eq!(empty.average_answer_minutes, None);
    assert_eq!(empty.by_level.len(), Level::ALL.len());
    assert_eq!(empty.by_channel.len(), Channel::ALL.len());

    // Only waiting complaints: none is due, so no on-time rate.
    let waiting = [filed(
        "2026-11-29T09:00:00+08:00",
        Channel::Counter,
        Level::Grumble,
        None,
    )];
    assert_eq!(month_figures(m, &waiting, now).on_time_permille, None);

    // Answered exactly at the deadline is on time; a minute after is late.
    let exact = [
        filed(
            "2026-11-02T09:00:00+08:00",
            Channel::Phone,
            Level::Grumble,
            Some(72),
        ),
        Filed {
            state: ComplaintState {
                answered_at: Some(plus(at("2026-11-02T09:00:00+08:00"), 3 * DAY_MS + 60_000)),
                ..ComplaintState::filed(Level::Grumble, at("2026-11-02T09:00:00+08:00"))
            },
            channel: Channel::Phone,
            escalated: true,
        },
    ];
    let f = month_figures(m, &exact, now);
    assert_eq!((f.on_time, f.late, f.escalated), (1, 1, 1));
    // One of two: 500 ‰; two answers 72 h and 72 h 1 min: the median of an even count is the mean
    // of the middle two, rounded down.
    assert_eq!(f.on_time_permille, Some(500));
    assert_eq!(f.median_answer_minutes, Some(72 * 60));
    assert_eq!(f.average_answer_minutes, Some(72 * 60));

    // Two of three on time: 666 ‰ (rounded down).
    let thirds = [
        filed(
            "2026-11-02T09:00:00+08:00",
            Channel::Phone,
            Level::Grumble,
            Some(1),
        ),
        filed(
            "2026-11-02T09:00:00+08:00",
            Channel::Phone,
            Level::Grumble,
            Some(2),
        ),
        filed(
            "2026-11-02T09:00:00+08:00",
            Channel::Phone,
            Level::Grumble,
            Some(80),
        ),
    ];
    assert_eq!(month_figures(m, &thirds, now).on_time_permille, Some(666));

    // Closed and escalated are counted; an escalated complaint counts at its level now.
    let mut c = filed(
        "2026-11-10T09:00:00+08:00",
        Channel::Hotline,
        Level::Grumble,
        Some(5),
    );
    c.state.escalate(Level::Crisis).unwrap();
    c.escalated = true;
    c.state.closed_at = Some(plus(c.state.filed_at, 6 * HOUR));
    let f = month_figures(m, &[c], now);
    assert_eq!((f.closed, f.escalated), (1, 1));
    let crisis = f
        .by_level
        .iter()
        .find(|l| l.level == Level::Crisis)
        .unwrap();
    assert_eq!(crisis.count, 1);
}

#[test]
fn the_analysis_writes_its_months_as_text() {
    let a = analyse(month("2026-01"), &[], at("2026-01-15T12:00:00+08:00"));
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["current"]["month"], "2026-01");
    assert_eq!(v["previous"]["month"], "2025-12");
    assert_eq!(v["current"]["on_time_permille"], serde_json::Value::Null);
    let back: Month = serde_json::from_value(serde_json::json!("2025-12")).unwrap();
    assert_eq!(back, month("2025-12"));
}
