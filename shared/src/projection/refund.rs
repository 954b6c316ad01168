//! The refund due on withdrawal.
//!
//! A: a paid membership is refunded in full within 30 days (000). B: within 90 days, or after that
//! pro rata to the membership period, in both cases minus the discounted value of the benefits
//! already used (001). The refund is computed for the day of the request, because that is the day
//! the member gave up the card; the club's decision only confirms it.

use time::Date;

use crate::program::{Program, RefundAfter};
use crate::types::Money;

use super::DateRange;

/// The refund for a withdrawal requested on `day`, for a term that cost `fee` and in which
/// benefits worth `used` were given.
pub(crate) fn refund(
    program: &Program,
    fee: Money,
    term: DateRange,
    day: Date,
    used: Money,
) -> Money {
    let policy = &program.withdrawal;
    let full = day <= policy.full_refund_within.last_day(term.from);
    let base = if full {
        fee
    } else {
        match policy.after {
            RefundAfter::Nothing => Money::ZERO,
            RefundAfter::ProRata => pro_rata(fee, term, day),
        }
    };
    let due = if policy.deduct_benefits_used {
        base - used
    } else {
        base
    };
    due.max(Money::ZERO)
}

/// The fee times the share of the term's days left after `day`.
fn pro_rata(fee: Money, term: DateRange, day: Date) -> Money {
    let total = (term.to - term.from).whole_days() + 1;
    let left = (term.to - day).whole_days().clamp(0, total);
    if total <= 0 {
        return Money::ZERO;
    }
    let share = i128::from(fee.fen()) * i128::from(left) / i128::from(total);
    Money::from_fen(i64::try_from(share).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn pro_rata_counts_days_left() {
        let term = DateRange {
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 12 - 31),
        };
        // 365 days; on 2026-07-02 there are 182 days left.
        assert_eq!(
            pro_rata(Money::from_yuan(365), term, date!(2026 - 07 - 02)).fen(),
            18200
        );
        assert_eq!(
            pro_rata(Money::from_yuan(365), term, date!(2027 - 01 - 05)),
            Money::ZERO
        );
    }
}
