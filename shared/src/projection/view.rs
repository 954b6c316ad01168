//! Turning the running state into the [`MemberState`] shown for one day.

use time::Date;

use crate::program::{Benefit, Condition};
use crate::types::*;

use super::apply::Engine;
use super::{BenefitState, CardKind, CardStatus, DateRange, Measures, MemberState, Status};

impl Engine<'_> {
    /// The state on `at`, after every event up to that day was applied.
    pub(crate) fn finish(mut self, at: Date) -> MemberState {
        self.advance(at);
        let p = self.program;
        let member_now = self.status.is_member();
        let mut cards = self.cards.clone();
        for c in &mut cards {
            if c.kind == CardKind::Temporary && c.status == CardStatus::Active && !c.works_on(at) {
                c.status = CardStatus::Expired;
            }
        }
        let year = if matches!(self.status, Status::Active | Status::Grace) {
            self.year_of(at)
        } else {
            None
        };
        let benefits = match (
            self.current_tier(),
            matches!(self.status, Status::Pending) || member_now,
        ) {
            (Some(tier), true) => tier
                .benefits
                .iter()
                .map(|b| {
                    let uses = self.uses.iter().filter(|u| {
                        &u.benefit == b.id() && year.is_some_and(|y| y.contains(u.date))
                    });
                    let used = uses.clone().fold(0u32, |n, u| n.saturating_add(u.count));
                    let value_used: Money = uses.map(|u| u.value).sum();
                    let excluded =
                        self.status == Status::Grace && p.renewal.grace_excludes.contains(b.id());
                    BenefitState {
                        benefit: b.clone(),
                        available: member_now && !excluded,
                        used,
                        remaining: match b {
                            Benefit::Allowance { per_year, .. } => {
                                Some(per_year.saturating_sub(used))
                            }
                            _ => None,
                        },
                        value_used,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let renewal_window = match (self.status, self.term) {
            (Status::Active | Status::Grace, Some(t)) => Some(DateRange {
                from: p.renewal.window.before(t.to),
                to: t.to,
            }),
            _ => None,
        };
        let refund_if_withdrawn = match (self.status, self.fee_term) {
            (Status::Pending, _) => Some(self.fee_paid),
            (Status::Active | Status::Grace, Some(t)) => Some(self.refund_on(t, at)),
            _ => None,
        };
        let measures = self.measures(at);
        MemberState {
            member: self.member,
            at,
            status: self.status,
            tier: self.tier.clone(),
            tier_since: self.tier_since,
            joined: self.joined,
            term_start: self.term.map(|t| t.from),
            valid_until: self.term.map(|t| t.to),
            grace_until: self
                .term
                .filter(|_| !p.renewal.grace.is_zero())
                .map(|t| p.renewal.grace.after(t.to)),
            points: self.points,
            cards,
            vehicles: self.vehicles.clone(),
            measures,
            benefits,
            benefits_period: year,
            benefits_used_value: self.term.map(|t| self.used_value(t)).unwrap_or_default(),
            renewal_open: self.status == Status::Active
                && renewal_window.is_some_and(|w| w.contains(at)),
            renewal_window,
            upgrades: self.eligible(at),
            withdrawal: self.withdrawal.clone(),
            refund_due: self.refund_due,
            refund_if_withdrawn,
            violations: std::mem::take(&mut self.violations),
            care: std::mem::take(&mut self.care),
            contact_changes: self.contact_changes.clone(),
        }
    }

    fn measures(&self, at: Date) -> Measures {
        let conditions = || self.program.upgrades.iter().flat_map(|r| r.any_of.iter());
        let gap = conditions()
            .find_map(|c| match c {
                Condition::MaintenanceStreak { max_gap_months, .. } => Some(*max_gap_months),
                _ => None,
            })
            .unwrap_or(6);
        let (streak_days, streak_km, _, _) = self.streak(gap, at);
        let mut spend_windows = Vec::new();
        for c in conditions().filter(|c| matches!(c, Condition::Spend { .. })) {
            let w = self.spend_window(c, at);
            if !spend_windows.contains(&w) {
                spend_windows.push(w);
            }
        }
        Measures {
            points_earned: self.points_earned,
            points_redeemed: self.points_redeemed,
            referrals_since_joined: self.referrals(crate::program::ReferralsSince::Joined),
            referrals_since_tier: self.referrals(crate::program::ReferralsSince::Tier),
            vehicles: self.vehicles.len() as u32,
            maintenance_streak_days: streak_days,
            maintenance_streak_km: streak_km,
            spend_windows,
        }
    }
}
