//! Payloads of the membership lifecycle events: settlement, referrals, benefits, points, renewal,
//! upgrades, cards and withdrawal (DOMAIN.md §2–§4, §6).
//!
//! They carry facts as staff recorded them, not decisions of the engine: an order says what was
//! bought, not the points it earned, because the points follow from the program and the member's
//! state at that moment, which the projection computes the same way on every replica.

use serde::{Deserialize, Serialize};

use crate::types::*;

/// A spending category; earning rates and discounts are set per category by the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Repair and maintenance labor (工时).
    Labor,
    /// Maintenance parts and materials (维保材料).
    Parts,
    /// Insurance premium.
    Insurance,
    /// Repair of an insured accident (保险事故车).
    AccidentRepair,
    /// Other spend paid in cash: accessories, boutique (精品).
    Cash,
    /// Styling and decoration (个性化装潢).
    Styling,
    /// A loaner car while the member's car is in the workshop (代用车).
    Loaner,
    /// Car rental (租车).
    Rental,
}

impl Category {
    /// Every category, in a fixed order.
    pub const ALL: [Category; 8] = [
        Category::Labor,
        Category::Parts,
        Category::Insurance,
        Category::AccidentRepair,
        Category::Cash,
        Category::Styling,
        Category::Loaner,
        Category::Rental,
    ];
}

/// One line of an order: what was bought, at list price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub category: Category,
    /// The list price, before any card discount.
    pub amount: Money,
}

/// An order at the till (结算单).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// The invoice or settlement slip number; one slip earns points once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptNo>,
    pub lines: Vec<OrderLine>,
    /// The order is under a store promotion; card discounts do not stack with it.
    #[serde(default)]
    pub promotion: bool,
    /// The card presented; without a card the member pays as a non-member (001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardNo>,
    /// A scheduled maintenance visit (保养), which counts toward a maintenance streak.
    #[serde(default)]
    pub maintenance: bool,
    /// The odometer reading at the visit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "integral_opt"
    )]
    pub mileage_km: Option<u32>,
}

/// Why a member asks to withdraw (001 会员退会须知).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalReason {
    /// The first service disappointed the member.
    FirstServiceDisappointing,
    /// Any other reason.
    Other,
}
