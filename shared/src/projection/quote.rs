//! The settlement quote: what staff tell the member at the till (004): the card discount and the
//! points this order earns.
//!
//! Non-members, pending and lapsed members get no discount (004: non-members never get member
//! discounts); without a working card the member pays as a non-member (001); a card discount does
//! not stack with a store promotion unless the program says so. Points are earned on what is paid,
//! by members in good standing (active or in grace).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::events::{Category, Event, Order};
use crate::program::{Benefit, Program, Tier};
use crate::types::*;

use super::{MemberState, Status, project};

/// The quote for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    /// The list price of the order.
    pub total: Money,
    /// The card discount.
    pub discount: Money,
    /// What the member pays.
    pub payable: Money,
    /// The points this order earns.
    pub points: Points,
    /// Points and amounts per category.
    pub earned: Vec<Earned>,
    /// Why there is no card discount, when there is none.
    pub no_discount: Option<NoDiscount>,
}

/// One order line with its discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    pub category: Category,
    pub amount: Money,
    pub discount_percent: u32,
    pub discount: Money,
    pub payable: Money,
}

/// Points earned in one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Earned {
    pub category: Category,
    pub paid: Money,
    pub points: Points,
}

/// Why an order gets no card discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoDiscount {
    /// Not a member in good standing.
    NotAMember,
    /// No card was presented, or it does not work.
    NoValidCard,
    /// The order is under a promotion and discounts do not stack.
    Promotion,
}

/// What the quote needs to know about the member.
pub(crate) struct Standing<'a> {
    pub status: Status,
    pub tier: Option<&'a Tier>,
    pub card_works: bool,
}

/// The quote for `order` by a member in `state`, on `at`.
pub fn quote(program: &Program, state: &MemberState, order: &Order, at: Date) -> Quote {
    let card_works = order
        .card
        .as_ref()
        .is_some_and(|c| state.cards.iter().any(|s| &s.number == c && s.works_on(at)));
    let standing = Standing {
        status: state.status,
        tier: state.tier.as_ref().and_then(|t| program.tier(t)),
        card_works,
    };
    quote_for(program, &standing, order)
}

/// The quote for `order` by the member whose events these are, on `at`.
pub fn quote_events(program: &Program, events: &[Event], order: &Order, at: Date) -> Quote {
    quote(program, &project(program, events, at), order, at)
}

pub(crate) fn quote_for(program: &Program, who: &Standing<'_>, order: &Order) -> Quote {
    let no_discount = if !who.status.is_member() || who.tier.is_none() {
        Some(NoDiscount::NotAMember)
    } else if !who.card_works {
        Some(NoDiscount::NoValidCard)
    } else if order.promotion && !program.discount_stacks_with_promotion {
        Some(NoDiscount::Promotion)
    } else {
        None
    };
    let lines: Vec<QuoteLine> = order
        .lines
        .iter()
        .map(|line| {
            let percent = match (no_discount, who.tier) {
                (None, Some(tier)) => discount_percent(program, tier, who.status, line.category),
                _ => 0,
            };
            let off = i128::from(line.amount.fen().max(0)) * i128::from(percent) / 100;
            let discount = Money::from_fen(i64::try_from(off).unwrap_or(i64::MAX));
            QuoteLine {
                category: line.category,
                amount: line.amount,
                discount_percent: percent,
                discount,
                payable: line.amount - discount,
            }
        })
        .collect();
    let mut earned = Vec::new();
    for category in Category::ALL {
        let paid: Money = lines
            .iter()
            .filter(|l| l.category == category)
            .map(|l| l.payable)
            .sum();
        if paid == Money::ZERO && !lines.iter().any(|l| l.category == category) {
            continue;
        }
        let points = match program.earning.rate(category) {
            Some(rate) if who.status.is_member() => {
                let per_point = i64::from(rate.yuan_per_point) * 100;
                Points::new(u64::try_from(paid.fen().max(0) / per_point).unwrap_or(0))
            }
            _ => Points::ZERO,
        };
        earned.push(Earned {
            category,
            paid,
            points,
        });
    }
    Quote {
        total: lines.iter().map(|l| l.amount).sum(),
        discount: lines.iter().map(|l| l.discount).sum(),
        payable: lines.iter().map(|l| l.payable).sum(),
        points: earned.iter().map(|e| e.points).sum(),
        lines,
        earned,
        no_discount,
    }
}

/// The best discount the tier gives on a category today; some are not given in grace.
fn discount_percent(program: &Program, tier: &Tier, status: Status, category: Category) -> u32 {
    tier.benefits
        .iter()
        .filter_map(|b| match b {
            Benefit::Discount {
                id,
                percent,
                applies_to,
                ..
            } if applies_to.contains(&category) => {
                let excluded =
                    status == Status::Grace && program.renewal.grace_excludes.contains(id);
                (!excluded).then_some(*percent)
            }
            _ => None,
        })
        .max()
        .unwrap_or(0)
}
