//! Upgrade conditions and the measures behind them.
//!
//! Conditions are evaluated on the day of each event, against the member's history, so a rolling
//! window ("30,000 points within 24 months") and a streak ("2 years / 60,000 km of continuous
//! maintenance") are read the same way on every replica. Referral counts can start at joining or
//! at the current tier, because A counts a Silver member's referrals afresh.

use time::Date;

use crate::events::Category;
use crate::program::{Condition, Period, ReferralsSince, UpgradeMode, UpgradeRule};
use crate::types::*;

use super::apply::Engine;
use super::{SpendWindow, Status, UpgradeOption};

impl Engine<'_> {
    /// Upgrades whose rule applies to the current tier and whose condition holds on `day`.
    pub(super) fn eligible(&self, day: Date) -> Vec<UpgradeOption> {
        let mut out = Vec::new();
        if self.status != Status::Active {
            return out;
        }
        for rule in &self.program.upgrades {
            if !self.rule_applies(rule) {
                continue;
            }
            for condition in &rule.any_of {
                if self.holds(condition, day) {
                    out.push(UpgradeOption {
                        to: rule.to.clone(),
                        mode: rule.mode,
                        by: kind(condition).to_owned(),
                    });
                    break;
                }
            }
        }
        out
    }

    /// Whether a rule moves the current tier up.
    pub(super) fn rule_applies(&self, rule: &UpgradeRule) -> bool {
        let Some(current) = &self.tier else {
            return false;
        };
        let (Some(from), Some(to)) = (self.program.rank(current), self.program.rank(&rule.to))
        else {
            return false;
        };
        to > from && (rule.from.is_empty() || rule.from.contains(current))
    }

    /// The highest tier an automatic rule reaches on `day`, if any.
    pub(super) fn automatic_target(&self, day: Date) -> Option<TierId> {
        self.eligible(day)
            .into_iter()
            .filter(|o| o.mode == UpgradeMode::Automatic)
            .max_by_key(|o| self.program.rank(&o.to))
            .map(|o| o.to)
    }

    fn holds(&self, condition: &Condition, day: Date) -> bool {
        match condition {
            Condition::Points { at_least } => self.points >= *at_least,
            Condition::Spend {
                min_points,
                min_amount,
                min_orders,
                of_which,
                ..
            } => {
                let w = self.spend_window(condition, day);
                min_points.is_none_or(|p| w.points >= p)
                    && min_amount.is_none_or(|m| w.amount >= m)
                    && min_orders.is_none_or(|n| w.orders >= n)
                    && of_which
                        .as_ref()
                        .is_none_or(|o| w.of_which_points.unwrap_or_default() >= o.min_points)
            }
            Condition::Referrals { at_least, since } => self.referrals(*since) >= *at_least,
            Condition::Vehicles { at_least } => self.vehicles.len() >= *at_least as usize,
            Condition::MaintenanceStreak {
                years,
                km,
                max_gap_months,
            } => {
                let (_, kms, first, last) = self.streak(*max_gap_months, day);
                let by_years = *years > 0
                    && first.is_some_and(|f| {
                        last.is_some_and(|l| Period::months(years.saturating_mul(12)).after(f) <= l)
                    });
                let by_km = *km > 0 && kms >= *km;
                by_years || by_km
            }
            Condition::Manual => false,
        }
    }

    /// Converted referrals since joining or since the current tier.
    pub(super) fn referrals(&self, since: ReferralsSince) -> u32 {
        let after = match since {
            ReferralsSince::Joined => self.joined_step,
            ReferralsSince::Tier => self.tier_step,
        };
        self.referrals
            .iter()
            .filter(|r| r.converted.is_some_and(|step| step > after))
            .count() as u32
    }

    /// Spending in a spend condition's window ending on `day`.
    pub(super) fn spend_window(&self, condition: &Condition, day: Date) -> SpendWindow {
        let Condition::Spend {
            months,
            categories,
            of_which,
            ..
        } = condition
        else {
            return SpendWindow {
                months: 0,
                categories: Vec::new(),
                points: Points::ZERO,
                amount: Money::ZERO,
                orders: 0,
                of_which_points: None,
            };
        };
        let start = Period::months(*months).before(day);
        let counts = |c: &Category| categories.is_empty() || categories.contains(c);
        let mut w = SpendWindow {
            months: *months,
            categories: categories.clone(),
            points: Points::ZERO,
            amount: Money::ZERO,
            orders: 0,
            of_which_points: of_which.as_ref().map(|_| Points::ZERO),
        };
        for order in self
            .orders
            .iter()
            .filter(|o| o.date > start && o.date <= day)
        {
            let mut counted = false;
            for line in order.lines.iter().filter(|l| counts(&l.category)) {
                w.points += line.points;
                w.amount = w.amount + line.paid;
                counted |= line.paid > Money::ZERO;
                if let (Some(o), Some(p)) = (of_which, w.of_which_points.as_mut())
                    && o.categories.contains(&line.category)
                {
                    *p += line.points;
                }
            }
            w.orders += u32::from(counted);
        }
        w
    }

    /// The unbroken chain of maintenance visits ending at the latest one: its length in days and
    /// km and its first and last day. The chain is broken when `day` is too long after the latest.
    pub(super) fn streak(
        &self,
        max_gap_months: u32,
        day: Date,
    ) -> (u32, u32, Option<Date>, Option<Date>) {
        let visits: Vec<_> = self
            .orders
            .iter()
            .filter(|o| o.maintenance && o.date <= day)
            .collect();
        let Some(last) = visits.last() else {
            return (0, 0, None, None);
        };
        let gap = Period::months(max_gap_months);
        if gap.after(last.date) < day {
            return (0, 0, None, None);
        }
        let mut first = *last;
        for visit in visits.iter().rev().skip(1) {
            if gap.after(visit.date) < first.date {
                break;
            }
            first = visit;
        }
        let days = (last.date - first.date).whole_days().max(0) as u32;
        let km = match (first.mileage_km, last.mileage_km) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        (days, km, Some(first.date), Some(last.date))
    }
}

/// A condition's kind as written in program files.
fn kind(condition: &Condition) -> &'static str {
    match condition {
        Condition::Points { .. } => "points",
        Condition::Spend { .. } => "spend",
        Condition::Referrals { .. } => "referrals",
        Condition::Vehicles { .. } => "vehicles",
        Condition::MaintenanceStreak { .. } => "maintenance_streak",
        Condition::Manual => "manual",
    }
}
