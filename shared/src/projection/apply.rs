//! Applying one event to the member's running state.
//!
//! Each arm checks the rule the handbooks set for that fact and either applies it or records a
//! violation; it never panics and never lets a balance go below zero. Before each event the clock
//! is advanced to the event's day, so expiry, grace and lapse happen between events in the same
//! place on every replica.

use std::collections::BTreeMap;

use time::Date;

use crate::events::{Event, EventBody, Order};
use crate::program::{Benefit, Condition, PointsOnUpgrade, Program};
use crate::types::*;

use super::quote::{Quote, Standing, quote_for};
use super::{
    CardKind, CardState, CardStatus, ContactChangeState, DateRange, Rejection, Status, Violation,
    WithdrawalState,
};

/// One settled order as the conditions see it.
pub(super) struct OrderRecord {
    pub date: Date,
    pub lines: Vec<LineRecord>,
    pub maintenance: bool,
    pub mileage_km: Option<u32>,
}

/// What was paid and earned in one category of an order.
pub(super) struct LineRecord {
    pub category: crate::events::Category,
    pub paid: Money,
    pub points: Points,
}

/// A referral the member made.
pub(super) struct ReferralRecord {
    pub prospect: Phone,
    /// The step (position in the event order) at which it converted.
    pub converted: Option<u64>,
}

/// One registered use of a benefit.
pub(super) struct BenefitUse {
    pub date: Date,
    pub benefit: BenefitId,
    pub count: u32,
    pub value: Money,
}

/// The running state of one member while events are applied.
pub(crate) struct Engine<'p> {
    pub(super) program: &'p Program,
    pub(super) member: Option<MemberId>,
    pub(super) status: Status,
    pub(super) tier: Option<TierId>,
    pub(super) tier_since: Option<Date>,
    pub(super) joined: Option<Date>,
    /// The number of events applied so far; orders facts within one day.
    pub(super) step: u64,
    /// The step at which the member joined and reached the current tier.
    pub(super) joined_step: u64,
    pub(super) tier_step: u64,
    pub(super) term: Option<DateRange>,
    pub(super) points: Points,
    pub(super) points_earned: Points,
    pub(super) points_redeemed: Points,
    pub(super) fee_paid: Money,
    /// The term the fee paid for; an earned upgrade restarts the term but not this.
    pub(super) fee_term: Option<DateRange>,
    pub(super) cards: Vec<CardState>,
    pub(super) vehicles: Vec<Vin>,
    pub(super) orders: Vec<OrderRecord>,
    pub(super) referrals: Vec<ReferralRecord>,
    pub(super) uses: Vec<BenefitUse>,
    pub(super) withdrawal: Option<WithdrawalState>,
    pub(super) contact_changes: Vec<ContactChangeState>,
    pub(super) refund_due: Option<Money>,
    pub(super) violations: Vec<Violation>,
    pub(super) receipts: BTreeMap<ReceiptNo, EventId>,
    pub(super) issued: BTreeMap<CardNo, EventId>,
    /// The quote of the order the event being applied settled.
    settled: Option<Quote>,
    /// The lifelong service file.
    pub(super) care: crate::care::CareFile,
    /// Each vehicle's model and delivery day from its enrollment or addition, for facts that
    /// name none.
    pub(super) care_defaults: BTreeMap<Vin, (Option<ShortText>, Option<Date>)>,
}

/// What applying one event did to the balance, besides the event's own effect: a lapse the clock
/// reached before it, and automatic upgrades after it.
#[derive(Debug)]
pub(crate) struct Applied {
    /// The membership lapsed before the event (the clock reached the end of grace).
    pub lapse: Option<Lapse>,
    /// Redeemable points after the event's own effect, before any automatic upgrade.
    pub points: Points,
    /// The status after the event's own effect.
    pub status: Status,
    /// The tier after the event's own effect, before any automatic upgrade.
    pub tier: Option<TierId>,
    /// The quote of the order the event settled.
    pub settled: Option<Quote>,
    /// Automatic upgrades the event brought, in order.
    pub upgrades: Vec<AutomaticUpgrade>,
}

/// A membership that lapsed unrenewed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lapse {
    /// The first day without membership: the day after the term (and grace) ended.
    pub day: Date,
    /// The points cleared (A: 积分清零); zero when the program keeps them.
    pub cleared: Points,
}

/// An upgrade the engine made by itself, with the balance before and after it.
#[derive(Debug, Clone)]
pub(crate) struct AutomaticUpgrade {
    pub to: TierId,
    pub before: Points,
    pub after: Points,
}

impl Default for Applied {
    fn default() -> Self {
        Self {
            lapse: None,
            points: Points::ZERO,
            status: Status::NotMember,
            tier: None,
            settled: None,
            upgrades: Vec::new(),
        }
    }
}

impl<'p> Engine<'p> {
    pub(crate) fn new(program: &'p Program) -> Self {
        Self {
            program,
            member: None,
            status: Status::NotMember,
            tier: None,
            tier_since: None,
            joined: None,
            step: 0,
            joined_step: 0,
            tier_step: 0,
            term: None,
            points: Points::ZERO,
            points_earned: Points::ZERO,
            points_redeemed: Points::ZERO,
            fee_paid: Money::ZERO,
            fee_term: None,
            cards: Vec::new(),
            vehicles: Vec::new(),
            orders: Vec::new(),
            referrals: Vec::new(),
            uses: Vec::new(),
            withdrawal: None,
            contact_changes: Vec::new(),
            refund_due: None,
            violations: Vec::new(),
            receipts: BTreeMap::new(),
            issued: BTreeMap::new(),
            settled: None,
            care: crate::care::CareFile::default(),
            care_defaults: BTreeMap::new(),
        }
    }

    /// Applies one event; the caller passes events in order, each once. Returns what moved the
    /// balance around it, for the ledger (the projection ignores it).
    pub(crate) fn apply(&mut self, e: &Event) -> Applied {
        let mut applied = Applied::default();
        let Some(member) = e.member() else {
            return applied;
        };
        match self.member {
            None => self.member = Some(member),
            Some(m) if m != member => {
                self.reject(e, Rejection::OtherMember);
                applied.points = self.points;
                applied.status = self.status;
                applied.tier = self.tier.clone();
                return applied;
            }
            Some(_) => {}
        }
        let day = e.at.date();
        self.step += 1;
        applied.lapse = self.advance(day);
        let receipt_reused = self.receipt_reused(e);
        if let Err(reason) = self.apply_body(e, day, receipt_reused) {
            self.reject(e, reason);
        }
        applied.points = self.points;
        applied.status = self.status;
        applied.tier = self.tier.clone();
        applied.settled = self.settled.take();
        for _ in 0..self.program.tiers.len() {
            match self.automatic_target(day) {
                Some(to) => {
                    let before = self.points;
                    self.upgrade(to.clone(), day);
                    applied.upgrades.push(AutomaticUpgrade {
                        to,
                        before,
                        after: self.points,
                    });
                }
                None => break,
            }
        }
        applied
    }

    fn apply_body(&mut self, e: &Event, day: Date, receipt_reused: bool) -> Result<(), Rejection> {
        let p = self.program;
        match &e.body {
            EventBody::VisitStarted(_)
            | EventBody::VisitEnded(_)
            | EventBody::CompanyChanged { .. }
            | EventBody::InvitationAnswered { .. }
            | EventBody::ComplaintFiled { .. } => {}
            EventBody::Enrolled(en) => {
                if matches!(
                    self.status,
                    Status::Pending | Status::Active | Status::Grace
                ) {
                    // Another vehicle of the same member: one car, one card.
                    self.add_vehicle(&en.vehicle.vin);
                    self.care_vehicle(&en.vehicle, Self::delivered_by(&en.channel, day));
                    self.issue(
                        e,
                        &en.card,
                        Some(en.vehicle.vin.clone()),
                        CardKind::Regular,
                        day,
                    );
                    return Ok(());
                }
                let tier = p.tier(&en.tier).ok_or(Rejection::UnknownTier)?;
                if !tier.entry {
                    return Err(Rejection::NotAnEntryTier);
                }
                let gift =
                    tier.gift_on_purchase && matches!(en.channel, crate::events::Channel::Purchase);
                let expected = if gift {
                    Money::ZERO
                } else {
                    tier.fee.unwrap_or(Money::ZERO)
                };
                self.check_fee(e, expected, en.fee, en.receipt.is_some());
                self.status = Status::Pending;
                self.tier = Some(tier.id.clone());
                self.fee_paid = en.fee;
                self.term = None;
                self.joined = None;
                self.tier_since = None;
                self.withdrawal = None;
                self.refund_due = None;
                self.add_vehicle(&en.vehicle.vin);
                self.care_vehicle(&en.vehicle, Self::delivered_by(&en.channel, day));
                self.issue(
                    e,
                    &en.card,
                    Some(en.vehicle.vin.clone()),
                    CardKind::Regular,
                    day,
                );
            }
            EventBody::CustomerImported(c) => {
                if self.status != Status::NotMember {
                    return Err(Rejection::WrongStatus);
                }
                if let Some(m) = &c.membership {
                    if m.joined > day {
                        return Err(Rejection::DatedInFuture);
                    }
                    let tier = p.tier(&m.tier).ok_or(Rejection::UnknownTier)?;
                    let to = m
                        .valid_until
                        .unwrap_or_else(|| tier.validity.last_day(m.joined));
                    self.status = Status::Active;
                    self.tier = Some(tier.id.clone());
                    self.joined = Some(m.joined);
                    self.tier_since = Some(m.joined);
                    self.joined_step = self.step;
                    self.tier_step = self.step;
                    self.term = Some(DateRange { from: m.joined, to });
                    self.fee_term = self.term;
                    self.issue(
                        e,
                        &m.card,
                        Some(c.vehicle.vin.clone()),
                        CardKind::Regular,
                        day,
                    );
                } else {
                    self.status = Status::Prospect;
                }
                self.add_vehicle(&c.vehicle.vin);
                self.care_vehicle(&c.vehicle, None);
            }
            EventBody::EnrollmentApproved { .. } => {
                if self.status != Status::Pending {
                    return Err(Rejection::WrongStatus);
                }
                let tier = self.current_tier().ok_or(Rejection::UnknownTier)?;
                self.status = Status::Active;
                self.joined = Some(day);
                self.tier_since = Some(day);
                self.joined_step = self.step;
                self.tier_step = self.step;
                self.term = Some(DateRange {
                    from: day,
                    to: tier.validity.last_day(day),
                });
                self.fee_term = self.term;
            }
            EventBody::EnrollmentRejected { .. } => {
                if self.status != Status::Pending {
                    return Err(Rejection::WrongStatus);
                }
                self.status = Status::Withdrawn;
                self.refund_due = Some(self.fee_paid);
                self.void_cards();
            }
            EventBody::OrderSettled { order, .. } => {
                if !receipt_reused {
                    self.settle(order, day);
                    let paid = self.settled.as_ref().map_or(Money::ZERO, |q| q.payable);
                    self.care_order(e, order, day, paid);
                }
            }
            EventBody::EventAttended { .. } => {
                self.require_member()?;
                self.earn(p.earning.event_attended);
            }
            EventBody::ForumRewarded { points, .. } => {
                self.require_member()?;
                if *points > p.earning.forum_max {
                    return Err(Rejection::AboveForumMax);
                }
                self.earn(*points);
            }
            EventBody::ReferralRecorded { prospect, .. } => {
                if self.status == Status::NotMember {
                    return Err(Rejection::NotAMember);
                }
                if self.referrals.iter().any(|r| &r.prospect == prospect) {
                    return Err(Rejection::DuplicateReferral);
                }
                self.referrals.push(ReferralRecord {
                    prospect: prospect.clone(),
                    converted: None,
                });
            }
            EventBody::ReferralConverted { prospect, .. } => {
                let referral = self
                    .referrals
                    .iter_mut()
                    .find(|r| &r.prospect == prospect)
                    .ok_or(Rejection::UnknownReferral)?;
                if referral.converted.is_some() {
                    return Err(Rejection::DuplicateReferral);
                }
                referral.converted = Some(self.step);
                if self.status.is_member() {
                    self.earn(p.earning.referral_converted);
                }
            }
            EventBody::VehicleAdded { vehicle, card, .. } => {
                if self.status == Status::NotMember {
                    return Err(Rejection::NotAMember);
                }
                self.add_vehicle(&vehicle.vin);
                self.care_vehicle(vehicle, None);
                if let Some(card) = card {
                    self.issue(e, card, Some(vehicle.vin.clone()), CardKind::Regular, day);
                }
            }
            EventBody::BenefitUsed {
                benefit,
                count,
                value,
                ..
            } => {
                self.require_member()?;
                let tier = self.current_tier().ok_or(Rejection::UnknownTier)?;
                let given = tier.benefit(benefit).ok_or(Rejection::BenefitNotInTier)?;
                if self.status == Status::Grace && p.renewal.grace_excludes.contains(benefit) {
                    return Err(Rejection::NotCoveredInGrace);
                }
                if let Benefit::Allowance { per_year, .. } = given {
                    let used = self.used_in_year(benefit, day).saturating_add(*count);
                    if used > *per_year {
                        self.violations.push(Violation::BenefitOverused {
                            event: e.id,
                            benefit: benefit.clone(),
                            allowance: *per_year,
                            used,
                        });
                    }
                }
                self.uses.push(BenefitUse {
                    date: day,
                    benefit: benefit.clone(),
                    count: *count,
                    value: *value,
                });
            }
            EventBody::PointsRedeemed { points, .. } => {
                self.require_member()?;
                p.redemption(*points).ok_or(Rejection::NotInCatalogue)?;
                match self.points.checked_sub(*points) {
                    Some(left) => {
                        self.points = left;
                        self.points_redeemed += *points;
                    }
                    None => self.violations.push(Violation::PointsOverdrawn {
                        event: e.id,
                        requested: *points,
                        available: self.points,
                    }),
                }
            }
            EventBody::Renewed { fee, receipt, .. } => {
                if receipt_reused {
                    return Ok(());
                }
                let term = match (self.status, self.term) {
                    (Status::Active, Some(t)) => t,
                    (Status::Grace | Status::Lapsed, _) => {
                        return Err(Rejection::OutsideRenewalWindow);
                    }
                    _ => return Err(Rejection::WrongStatus),
                };
                if day < p.renewal.window.before(term.to) {
                    return Err(Rejection::OutsideRenewalWindow);
                }
                let tier = self.current_tier().ok_or(Rejection::UnknownTier)?;
                let from = term.to.next_day().unwrap_or(term.to);
                let next = DateRange {
                    from,
                    to: tier.validity.last_day(from),
                };
                self.check_fee(e, tier.renewal_fee(), *fee, receipt.is_some());
                self.term = Some(next);
                self.fee_term = Some(next);
                self.fee_paid = *fee;
            }
            EventBody::TierPurchased {
                tier, fee, receipt, ..
            } => {
                if receipt_reused {
                    return Ok(());
                }
                if self.status != Status::Active {
                    return Err(Rejection::WrongStatus);
                }
                let target = p.tier(tier).ok_or(Rejection::UnknownTier)?;
                let price = target.fee.ok_or(Rejection::NotPurchasable)?;
                if p.rank(tier) <= self.tier.as_ref().and_then(|t| p.rank(t)) {
                    return Err(Rejection::NotAnUpgrade);
                }
                self.check_fee(e, price, *fee, receipt.is_some());
                self.upgrade(tier.clone(), day);
                if p.on_upgrade.restart_term {
                    self.fee_paid = *fee;
                    self.fee_term = self.term;
                } else {
                    self.fee_paid = self.fee_paid + *fee;
                }
            }
            EventBody::UpgradeApproved { tier, .. } => {
                p.tier(tier).ok_or(Rejection::UnknownTier)?;
                if self.status != Status::Active {
                    return Err(Rejection::WrongStatus);
                }
                if !self.eligible(day).iter().any(|o| &o.to == tier) {
                    return Err(Rejection::NotEligible);
                }
                self.upgrade(tier.clone(), day);
            }
            EventBody::ManualGrant { tier, points, .. } => {
                if self.status == Status::NotMember {
                    return Err(Rejection::NotAMember);
                }
                if let Some(tier) = tier {
                    p.tier(tier).ok_or(Rejection::UnknownTier)?;
                    if self.status != Status::Active {
                        return Err(Rejection::WrongStatus);
                    }
                    let grantable = p.upgrades.iter().any(|r| {
                        &r.to == tier
                            && self.rule_applies(r)
                            && r.any_of.contains(&Condition::Manual)
                    });
                    if !grantable {
                        return Err(Rejection::NotGrantable);
                    }
                    self.upgrade(tier.clone(), day);
                }
                if let Some(points) = points {
                    self.earn(*points);
                }
            }
            EventBody::CardLost { card, .. } => {
                let lost = self
                    .cards
                    .iter_mut()
                    .find(|c| &c.number == card && c.status == CardStatus::Active)
                    .ok_or(Rejection::UnknownCard)?;
                lost.status = CardStatus::Lost;
            }
            EventBody::TemporaryCardIssued { card, .. } => {
                if self.status == Status::NotMember {
                    return Err(Rejection::NotAMember);
                }
                let vin = self.last_lost().and_then(|c| c.vin.clone());
                let until = p.cards.temporary_validity.last_day(day);
                if self.issue(e, card, vin, CardKind::Temporary, day)
                    && let Some(c) = self.cards.last_mut()
                {
                    c.valid_until = Some(until);
                }
            }
            EventBody::CardReissued {
                card,
                replaces,
                fee,
                receipt,
                ..
            } => {
                if receipt_reused {
                    return Ok(());
                }
                let old = match replaces {
                    Some(r) => self
                        .cards
                        .iter()
                        .position(|c| &c.number == r && c.kind == CardKind::Regular),
                    None => self
                        .cards
                        .iter()
                        .rposition(|c| c.status == CardStatus::Lost),
                }
                .ok_or(Rejection::UnknownCard)?;
                self.check_fee(e, p.cards.reissue_fee, *fee, receipt.is_some());
                self.cards[old].status = CardStatus::Replaced;
                let vin = self.cards[old].vin.clone();
                for c in &mut self.cards {
                    if c.kind == CardKind::Temporary && c.status == CardStatus::Active {
                        c.status = CardStatus::Void;
                    }
                }
                self.issue(e, card, vin, CardKind::Regular, day);
            }
            EventBody::WithdrawalRequested { reason, .. } => {
                let refund = match (self.status, self.fee_term) {
                    (Status::Pending, _) => self.fee_paid,
                    (Status::Active | Status::Grace, Some(term)) => self.refund_on(term, day),
                    _ => return Err(Rejection::WrongStatus),
                };
                self.withdrawal = Some(WithdrawalState {
                    requested: day,
                    reason: *reason,
                    accepted: None,
                    refund,
                });
            }
            EventBody::WithdrawalDecided { accepted, .. } => {
                let request = self
                    .withdrawal
                    .as_mut()
                    .filter(|w| w.accepted.is_none())
                    .ok_or(Rejection::NoWithdrawalRequest)?;
                request.accepted = Some(*accepted);
                if *accepted {
                    self.refund_due = Some(request.refund);
                    self.status = Status::Withdrawn;
                    self.points = Points::ZERO;
                    self.void_cards();
                }
            }
            EventBody::ContactChangeRequested {
                phone,
                call_slots,
                sms_consent,
                ..
            } => {
                if self.status == Status::NotMember {
                    return Err(Rejection::NotAMember);
                }
                if phone.is_none() && call_slots.is_none() && sms_consent.is_none() {
                    return Err(Rejection::EmptyContactChange);
                }
                self.contact_changes.push(ContactChangeState {
                    request: e.id,
                    at: e.at,
                    phone: phone.clone(),
                    call_slots: call_slots.clone(),
                    sms_consent: *sms_consent,
                    confirmed: None,
                    reason: None,
                });
            }
            EventBody::ContactChangeDecided {
                request,
                confirmed,
                reason,
                ..
            } => {
                let asked = self
                    .contact_changes
                    .iter_mut()
                    .find(|c| c.request == *request && c.confirmed.is_none())
                    .ok_or(Rejection::NoContactChangeRequest)?;
                asked.confirmed = Some(*confirmed);
                asked.reason = reason.clone().filter(|_| !*confirmed);
                if *confirmed {
                    let person = &mut self.care.person;
                    if let Some(slots) = &asked.call_slots {
                        person.call_slots = slots.clone();
                    }
                    if let Some(consent) = asked.sms_consent {
                        person.sms_consent = consent;
                    }
                }
            }
            EventBody::PersonFactsSet { .. }
            | EventBody::VehicleFactsSet { .. }
            | EventBody::MileageRecorded { .. }
            | EventBody::ServiceVisitRecorded { .. }
            | EventBody::PreInspectionRecorded(_) => self.care_event(e)?,
            EventBody::Expired { .. } => {
                if self.status == Status::Active && self.term.is_some_and(|t| day <= t.to) {
                    return Err(Rejection::NotYetExpired);
                }
            }
        }
        Ok(())
    }

    /// Moves the clock to `day`: a term past its end goes into grace, then lapses. Returns the
    /// lapse when this move reached it.
    pub(super) fn advance(&mut self, day: Date) -> Option<Lapse> {
        let (Status::Active | Status::Grace, Some(term)) = (self.status, self.term) else {
            return None;
        };
        if day <= term.to {
            return None;
        }
        let last_day = self.program.renewal.grace.after(term.to);
        if day <= last_day {
            self.status = Status::Grace;
            return None;
        }
        self.status = Status::Lapsed;
        let mut cleared = Points::ZERO;
        if self.program.renewal.clear_points_on_lapse {
            cleared = std::mem::replace(&mut self.points, Points::ZERO);
        }
        self.void_cards();
        Some(Lapse {
            day: last_day.next_day().unwrap_or(last_day),
            cleared,
        })
    }

    fn upgrade(&mut self, to: TierId, day: Date) {
        let Some(validity) = self.program.tier(&to).map(|t| t.validity) else {
            return;
        };
        self.tier = Some(to);
        self.tier_since = Some(day);
        self.tier_step = self.step;
        if self.program.on_upgrade.points == PointsOnUpgrade::Reset {
            self.points = Points::ZERO;
        }
        if self.program.on_upgrade.restart_term {
            self.term = Some(DateRange {
                from: day,
                to: validity.last_day(day),
            });
        }
    }

    fn settle(&mut self, order: &Order, day: Date) {
        let card_works = order
            .card
            .as_ref()
            .is_some_and(|n| self.cards.iter().any(|c| &c.number == n && c.works_on(day)));
        let standing = Standing {
            status: self.status,
            tier: self.current_tier(),
            card_works,
        };
        let quote = quote_for(self.program, &standing, order);
        self.earn(quote.points);
        self.settled = Some(quote.clone());
        self.orders.push(OrderRecord {
            date: day,
            lines: quote
                .earned
                .into_iter()
                .map(|e| LineRecord {
                    category: e.category,
                    paid: e.paid,
                    points: e.points,
                })
                .collect(),
            maintenance: order.maintenance,
            mileage_km: order.mileage_km,
        });
    }

    fn earn(&mut self, points: Points) {
        self.points += points;
        self.points_earned += points;
    }

    fn require_member(&self) -> Result<(), Rejection> {
        if self.status.is_member() {
            Ok(())
        } else {
            Err(Rejection::NotAMember)
        }
    }

    pub(super) fn current_tier(&self) -> Option<&'p crate::program::Tier> {
        self.tier.as_ref().and_then(|t| self.program.tier(t))
    }

    fn reject(&mut self, e: &Event, reason: Rejection) {
        self.violations.push(Violation::Rejected {
            event: e.id,
            event_type: e.body.kind().to_owned(),
            reason,
        });
    }
}
