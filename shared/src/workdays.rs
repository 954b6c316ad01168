//! Working days (Monday to Friday) and the approval deadline of an enrollment.
//!
//! An on-site enrollment "takes effect within 3 working days" after the application (001): the
//! back office has until the third working day after the day of enrollment to approve or reject
//! it. A weekend does not count, so an enrollment on a Friday (or on the weekend) is due on the
//! Wednesday after. Public holidays are not known to the club's programs and count as working
//! days. Everything takes the day as an argument: this crate reads no clock.

use time::{Date, Weekday};

/// Working days the back office has to decide an enrollment (001: effective within 3 working days).
pub const APPROVAL_WORKING_DAYS: u32 = 3;

/// Whether `day` is a working day (Monday to Friday).
pub fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The first working day after `day`.
pub fn next_working_day(day: Date) -> Date {
    let mut d = day;
    loop {
        match d.next_day() {
            Some(next) => d = next,
            None => return d,
        }
        if is_working_day(d) {
            return d;
        }
    }
}

/// The `n`th working day after `day` (`day` itself when `n` is 0).
pub fn add_working_days(day: Date, n: u32) -> Date {
    (0..n).fold(day, |d, _| next_working_day(d))
}

/// The working days after `from` up to and including `to` (0 when `to` is not after `from`).
pub fn working_days_between(from: Date, to: Date) -> u32 {
    if to <= from {
        return 0;
    }
    let days = (to - from).whole_days();
    let weeks = u32::try_from(days / 7).unwrap_or(u32::MAX);
    // Whole weeks have five working days each; walk the rest.
    let mut count = weeks.saturating_mul(5);
    let mut d = from;
    for _ in 0..days % 7 {
        d = d.next_day().unwrap_or(d);
        if is_working_day(d) {
            count = count.saturating_add(1);
        }
    }
    count
}

/// Where an enrollment awaiting approval stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalDeadline {
    /// Working days waited since the day of enrollment.
    pub working_days: u32,
    /// The last day to decide: [`APPROVAL_WORKING_DAYS`] working days after enrollment.
    pub due: Date,
    /// The due day has passed.
    pub overdue: bool,
    /// Due today or on the next working day.
    pub due_soon: bool,
}

/// The approval deadline of an enrollment made on `enrolled`, as it stands on `today`.
pub fn approval_deadline(enrolled: Date, today: Date) -> ApprovalDeadline {
    let due = add_working_days(enrolled, APPROVAL_WORKING_DAYS);
    let overdue = today > due;
    ApprovalDeadline {
        working_days: working_days_between(enrolled, today),
        due,
        overdue,
        due_soon: !overdue && (today == due || next_working_day(today) == due),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_approval_is_due_three_working_days_after_enrollment() {
        // 001: effective within 3 working days; weekends do not count. 2026-03-02 is a Monday.
        let rows = [
            (
                date!(2026 - 03 - 02),
                date!(2026 - 03 - 05),
                "Monday → Thursday",
            ),
            (
                date!(2026 - 03 - 04),
                date!(2026 - 03 - 09),
                "Wednesday → Monday",
            ),
            (
                date!(2026 - 03 - 05),
                date!(2026 - 03 - 10),
                "Thursday → Tuesday",
            ),
            (
                date!(2026 - 03 - 06),
                date!(2026 - 03 - 11),
                "Friday → Wednesday",
            ),
            (
                date!(2026 - 03 - 07),
                date!(2026 - 03 - 11),
                "Saturday → Wednesday",
            ),
            (
                date!(2026 - 03 - 08),
                date!(2026 - 03 - 11),
                "Sunday → Wednesday",
            ),
            (
                date!(2026 - 12 - 31),
                date!(2027 - 01 - 05),
                "over the new year",
            ),
        ];
        for (enrolled, due, why) in rows {
            assert_eq!(
                add_working_days(enrolled, APPROVAL_WORKING_DAYS),
                due,
                "{why}"
            );
        }
    }

    #[test]
    fn working_days_waited_skip_weekends() {
        let fri = date!(2026 - 03 - 06);
        let rows = [
            (fri, fri, 0, "the same day"),
            (fri, date!(2026 - 03 - 07), 0, "Saturday"),
            (fri, date!(2026 - 03 - 08), 0, "Sunday"),
            (fri, date!(2026 - 03 - 09), 1, "Monday"),
            (fri, date!(2026 - 03 - 13), 5, "the next Friday"),
            (fri, date!(2026 - 03 - 16), 6, "ten days later"),
            (fri, date!(2026 - 04 - 06), 21, "a month later"),
            (
                date!(2026 - 03 - 07),
                date!(2026 - 03 - 09),
                1,
                "Saturday to Monday",
            ),
            (fri, date!(2026 - 03 - 01), 0, "a day before"),
        ];
        for (from, to, n, why) in rows {
            assert_eq!(working_days_between(from, to), n, "{why}");
        }
        // The count by whole weeks agrees with a walk day by day.
        for offset in 0..40 {
            let to = fri + time::Duration::days(offset);
            let walked = (1..=offset)
                .filter(|d| is_working_day(fri + time::Duration::days(*d)))
                .count() as u32;
            assert_eq!(working_days_between(fri, to), walked, "{to}");
        }
    }

    #[test]
    fn an_enrollment_is_due_soon_then_overdue() {
        // Enrolled on Friday 2026-03-06: due Wednesday 2026-03-11.
        let fri = date!(2026 - 03 - 06);
        let rows = [
            // (today, working days waited, overdue, due soon)
            (fri, 0, false, false),
            (date!(2026 - 03 - 09), 1, false, false), // Monday: due in two working days
            (date!(2026 - 03 - 10), 2, false, true),  // Tuesday: due the next working day
            (date!(2026 - 03 - 11), 3, false, true),  // Wednesday: due today
            (date!(2026 - 03 - 12), 4, true, false),  // Thursday: overdue
        ];
        for (today, waited, overdue, soon) in rows {
            let d = approval_deadline(fri, today);
            assert_eq!(d.due, date!(2026 - 03 - 11));
            assert_eq!(
                (d.working_days, d.overdue, d.due_soon),
                (waited, overdue, soon),
                "{today}"
            );
        }
        // Enrolled Wednesday, due Monday: on the Saturday before, the next working day is the due day.
        let d = approval_deadline(date!(2026 - 03 - 04), date!(2026 - 03 - 07));
        assert_eq!(
            (d.due, d.due_soon, d.overdue),
            (date!(2026 - 03 - 09), true, false)
        );
    }
}
