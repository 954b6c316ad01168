//! Bookkeeping the event arms share: receipts, fees, cards, vehicles and benefit years.
//!
//! These are the places where the invariants offline devices can break together are checked (a
//! receipt counted twice, a card number issued twice, a second active card on a vehicle), so they
//! are kept in one spot and every arm goes through them.

use time::Date;

use crate::events::Event;
use crate::types::*;

use super::apply::Engine;
use super::{CardKind, CardState, CardStatus, DateRange, Violation};

impl Engine<'_> {
    /// Whether the event's receipt was already counted by another event (recorded as a violation).
    pub(super) fn receipt_reused(&mut self, e: &Event) -> bool {
        let Some(receipt) = e.body.receipt() else {
            return false;
        };
        match self.receipts.get(receipt) {
            Some(first) => {
                self.violations.push(Violation::ReceiptCountedTwice {
                    receipt: receipt.clone(),
                    events: vec![*first, e.id],
                });
                true
            }
            None => {
                self.receipts.insert(receipt.clone(), e.id);
                false
            }
        }
    }

    pub(super) fn check_fee(&mut self, e: &Event, expected: Money, paid: Money, has_receipt: bool) {
        if paid != expected {
            self.violations.push(Violation::FeeMismatch {
                event: e.id,
                expected,
                paid,
            });
        }
        if paid > Money::ZERO && !has_receipt {
            self.violations
                .push(Violation::MissingReceipt { event: e.id });
        }
    }

    /// Issues a card; returns false when the number was already issued by another event.
    pub(super) fn issue(
        &mut self,
        e: &Event,
        card: &CardNo,
        vin: Option<Vin>,
        kind: CardKind,
        day: Date,
    ) -> bool {
        if let Some(first) = self.issued.get(card) {
            self.violations.push(Violation::DuplicateCard {
                card: card.clone(),
                events: vec![*first, e.id],
            });
            return false;
        }
        self.issued.insert(card.clone(), e.id);
        if let (CardKind::Regular, Some(v)) = (kind, &vin)
            && let Some(existing) = self.cards.iter().find(|c| {
                c.kind == CardKind::Regular
                    && c.status == CardStatus::Active
                    && c.vin.as_ref() == Some(v)
            })
        {
            self.violations.push(Violation::SecondActiveCard {
                vin: v.clone(),
                cards: vec![existing.number.clone(), card.clone()],
            });
        }
        self.cards.push(CardState {
            number: card.clone(),
            kind,
            status: CardStatus::Active,
            vin,
            issued: day,
            valid_until: None,
        });
        true
    }

    pub(super) fn add_vehicle(&mut self, vin: &Vin) {
        if !self.vehicles.contains(vin) {
            self.vehicles.push(vin.clone());
        }
    }

    pub(super) fn void_cards(&mut self) {
        for c in &mut self.cards {
            if c.status == CardStatus::Active {
                c.status = CardStatus::Void;
            }
        }
    }

    pub(super) fn last_lost(&self) -> Option<&CardState> {
        self.cards
            .iter()
            .rev()
            .find(|c| c.status == CardStatus::Lost)
    }

    /// The membership year containing `day`, counted from the day the member joined.
    pub(super) fn year_of(&self, day: Date) -> Option<DateRange> {
        let joined = self.joined?;
        let mut years = i64::from(day.year() - joined.year());
        let mut from = crate::program::add_months(joined, 12 * years);
        if from > day {
            years -= 1;
            from = crate::program::add_months(joined, 12 * years);
        }
        let next = crate::program::add_months(joined, 12 * (years + 1));
        let to = next.previous_day().unwrap_or(next);
        Some(DateRange { from, to })
    }

    /// Times a benefit was used in the membership year containing `day`.
    pub(super) fn used_in_year(&self, benefit: &BenefitId, day: Date) -> u32 {
        let Some(year) = self.year_of(day) else {
            return 0;
        };
        self.uses
            .iter()
            .filter(|u| &u.benefit == benefit && year.contains(u.date))
            .fold(0u32, |n, u| n.saturating_add(u.count))
    }

    /// The value of benefits given in a term.
    pub(super) fn used_value(&self, term: DateRange) -> Money {
        self.uses
            .iter()
            .filter(|u| term.contains(u.date))
            .map(|u| u.value)
            .sum()
    }

    /// The refund for a withdrawal on `day` of the membership whose fee paid for `term`: benefits
    /// used since the term began count against it.
    pub(super) fn refund_on(&self, term: DateRange, day: Date) -> Money {
        let used = self.used_value(DateRange {
            from: term.from,
            to: day,
        });
        super::refund::refund(self.program, self.fee_paid, term, day, used)
    }
}
