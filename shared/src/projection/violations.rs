//! Violations: broken rules and invariants, kept for the back office instead of dropped.
//!
//! Offline devices can each record something valid on its own that is invalid together: two
//! redemptions from one balance, one card number issued twice, a receipt keyed in on two devices.
//! CRDT merge cannot prevent that, so the projection keeps every event, refuses the effect that
//! would break an invariant, and reports it here. `check_store` does the same across members.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::events::Event;
use crate::program::Program;
use crate::types::*;

use super::{CardKind, ordered, project};

/// A broken rule or invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Violation {
    /// A redemption asked for more points than the balance held; it was not deducted.
    PointsOverdrawn {
        event: EventId,
        requested: Points,
        available: Points,
    },
    /// A counted benefit was used beyond its yearly allowance.
    BenefitOverused {
        event: EventId,
        benefit: BenefitId,
        allowance: u32,
        used: u32,
    },
    /// One card number was issued by more than one event.
    DuplicateCard { card: CardNo, events: Vec<EventId> },
    /// A vehicle has more than one active card (一车一卡).
    SecondActiveCard { vin: Vin, cards: Vec<CardNo> },
    /// One receipt or settlement slip was counted by more than one event; only the first counts.
    ReceiptCountedTwice {
        receipt: ReceiptNo,
        events: Vec<EventId>,
    },
    /// A fee was collected without a receipt.
    MissingReceipt { event: EventId },
    /// The fee collected differs from the program's.
    FeeMismatch {
        event: EventId,
        expected: Money,
        paid: Money,
    },
    /// An event the rules do not allow in the member's state; it had no effect.
    Rejected {
        event: EventId,
        event_type: String,
        reason: Rejection,
    },
}

/// Why an event had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    #[error("the event is about another member")]
    OtherMember,
    #[error("the person is not a member")]
    NotAMember,
    #[error("the membership is not in a state that allows this")]
    WrongStatus,
    #[error("the tier is not in the program")]
    UnknownTier,
    #[error("members cannot join at this tier")]
    NotAnEntryTier,
    #[error("the tier cannot be bought")]
    NotPurchasable,
    #[error("the tier is not above the current one")]
    NotAnUpgrade,
    #[error("no upgrade condition is met")]
    NotEligible,
    #[error("the program does not allow granting this tier by hand")]
    NotGrantable,
    #[error("the current tier has no such benefit")]
    BenefitNotInTier,
    #[error("the benefit is not given during grace")]
    NotCoveredInGrace,
    #[error("renewal is only possible in the window before expiry")]
    OutsideRenewalWindow,
    #[error("the catalogue has no entry for this many points")]
    NotInCatalogue,
    #[error("more forum points than the program allows for one contribution")]
    AboveForumMax,
    #[error("the member has no such card")]
    UnknownCard,
    #[error("the referral was never recorded")]
    UnknownReferral,
    #[error("the referral was already counted")]
    DuplicateReferral,
    #[error("there is no pending withdrawal request")]
    NoWithdrawalRequest,
    #[error("there is no such contact change request awaiting an answer")]
    NoContactChangeRequest,
    #[error("the contact change names no new detail")]
    EmptyContactChange,
    #[error("the membership has not expired yet")]
    NotYetExpired,
    #[error("the vehicle is not on the member's file")]
    UnknownVehicle,
    #[error("the date is after the day it was recorded")]
    DatedInFuture,
    #[error(
        "the reading does not fit the vehicle's other readings: below an earlier one or above a later one"
    )]
    MileageDecreased,
}

impl Rejection {
    /// Why the event had no effect, in Chinese.
    pub const fn describe_zh(self) -> &'static str {
        match self {
            Rejection::OtherMember => "该记录属于另一位会员",
            Rejection::NotAMember => "此人还不是会员",
            Rejection::WrongStatus => "会籍当前的状态不允许此操作",
            Rejection::UnknownTier => "会员方案中没有这个等级",
            Rejection::NotAnEntryTier => "不能以这个等级入会",
            Rejection::NotPurchasable => "这个等级不能购买",
            Rejection::NotAnUpgrade => "这个等级不高于当前等级",
            Rejection::NotEligible => "尚未满足任何升级条件",
            Rejection::NotGrantable => "会员方案不允许人工授予这个等级",
            Rejection::BenefitNotInTier => "当前等级没有这项权益",
            Rejection::NotCoveredInGrace => "宽限期内不提供这项权益",
            Rejection::OutsideRenewalWindow => "只能在到期前的续费期内续费",
            Rejection::NotInCatalogue => "兑换目录中没有这个积分档位",
            Rejection::AboveForumMax => "单次论坛贡献的奖励积分超过会员方案的上限",
            Rejection::UnknownCard => "会员名下没有这张卡",
            Rejection::UnknownReferral => "没有登记过这次推荐",
            Rejection::DuplicateReferral => "这次推荐已经计算过",
            Rejection::NoWithdrawalRequest => "没有待处理的退会申请",
            Rejection::NoContactChangeRequest => "没有这项待处理的联系方式变更申请",
            Rejection::EmptyContactChange => "联系方式变更没有填写任何新内容",
            Rejection::NotYetExpired => "会籍尚未到期",
            Rejection::UnknownVehicle => "会员档案中没有这辆车",
            Rejection::DatedInFuture => "日期晚于登记当天",
            Rejection::MileageDecreased => {
                "里程与这辆车的其他读数不符：低于更早的读数，或高于更晚的读数"
            }
        }
    }
}

/// Invariants across members: duplicate card numbers, a second active card on one vehicle, a
/// receipt counted twice. `events` may hold many members' events, in any order, with duplicates.
pub fn check_store(program: &Program, events: &[Event], at: Date) -> Vec<Violation> {
    let events = ordered(events);
    let mut cards: BTreeMap<&CardNo, Vec<EventId>> = BTreeMap::new();
    let mut receipts: BTreeMap<&ReceiptNo, Vec<EventId>> = BTreeMap::new();
    let mut members: BTreeMap<MemberId, Vec<Event>> = BTreeMap::new();
    for e in &events {
        if let Some(card) = e.body.card_issued() {
            cards.entry(card).or_default().push(e.id);
        }
        if let Some(receipt) = e.body.receipt() {
            receipts.entry(receipt).or_default().push(e.id);
        }
        if let Some(member) = e.member() {
            members.entry(member).or_default().push((*e).clone());
        }
    }
    let mut out = Vec::new();
    for (card, ids) in cards.into_iter().filter(|(_, ids)| ids.len() > 1) {
        out.push(Violation::DuplicateCard {
            card: card.clone(),
            events: ids,
        });
    }
    for (receipt, ids) in receipts.into_iter().filter(|(_, ids)| ids.len() > 1) {
        out.push(Violation::ReceiptCountedTwice {
            receipt: receipt.clone(),
            events: ids,
        });
    }
    let mut by_vin: BTreeMap<Vin, Vec<CardNo>> = BTreeMap::new();
    for member_events in members.values() {
        let state = project(program, member_events, at);
        for card in state.cards {
            if card.kind == CardKind::Regular
                && card.works_on(at)
                && let Some(vin) = card.vin
            {
                by_vin.entry(vin).or_default().push(card.number);
            }
        }
    }
    for (vin, mut cards) in by_vin.into_iter().filter(|(_, c)| c.len() > 1) {
        crate::sorting::sort(&mut cards);
        cards.dedup();
        if cards.len() > 1 {
            out.push(Violation::SecondActiveCard { vin, cards });
        }
    }
    out
}
