//! The member state the projection returns, as the app, the back office and the server show it.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::events::{Category, WithdrawalReason};
use crate::program::{Benefit, UpgradeMode};
use crate::types::*;

use super::Violation;

/// A member's state on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberState {
    /// The member, once enrolled.
    pub member: Option<MemberId>,
    /// The day this state is for.
    #[serde(with = "crate::types::iso_date")]
    pub at: Date,
    pub status: Status,
    /// The current tier.
    pub tier: Option<TierId>,
    /// When the member reached the current tier.
    #[serde(with = "crate::types::iso_date::option")]
    pub tier_since: Option<Date>,
    /// When the membership took effect (approval).
    #[serde(with = "crate::types::iso_date::option")]
    pub joined: Option<Date>,
    /// The first day of the current term.
    #[serde(with = "crate::types::iso_date::option")]
    pub term_start: Option<Date>,
    /// The last day of the current term.
    #[serde(with = "crate::types::iso_date::option")]
    pub valid_until: Option<Date>,
    /// The last day benefits continue without renewal.
    #[serde(with = "crate::types::iso_date::option")]
    pub grace_until: Option<Date>,
    /// Redeemable points; never negative.
    pub points: Points,
    /// Every card the member has held.
    pub cards: Vec<CardState>,
    /// The vehicles on file.
    pub vehicles: Vec<Vin>,
    /// The figures that drive upgrades.
    pub measures: Measures,
    /// The current tier's benefits and what is left of them this membership year.
    pub benefits: Vec<BenefitState>,
    /// The membership year the allowances count in.
    pub benefits_period: Option<DateRange>,
    /// The value of benefits used in the current term.
    pub benefits_used_value: Money,
    /// Whether the member may renew today.
    pub renewal_open: bool,
    /// When renewal is possible for the current term.
    pub renewal_window: Option<DateRange>,
    /// Upgrades the member is eligible for today.
    pub upgrades: Vec<UpgradeOption>,
    /// A withdrawal request and its outcome.
    pub withdrawal: Option<WithdrawalState>,
    /// Money the club owes back: a withdrawal refund or a rejected enrollment's fee.
    pub refund_due: Option<Money>,
    /// What a withdrawal requested today would refund, for a member who could still withdraw.
    pub refund_if_withdrawn: Option<Money>,
    /// Broken rules and invariants, for the back office to resolve.
    pub violations: Vec<Violation>,
    /// The lifelong service file (终身维修档案): person and vehicle facts, readings, visits.
    #[serde(default)]
    pub care: crate::care::CareFile,
    /// Requests to change the member's contact details, oldest first, with the store's answer.
    #[serde(default)]
    pub contact_changes: Vec<ContactChangeState>,
}

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = MembershipStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No enrollment yet.
    NotMember,
    /// A customer of the store brought in from its dealer management system who has not joined:
    /// the store cares for their vehicles, they earn no points and use no benefits.
    Prospect,
    /// Enrolled, awaiting approval (001: effective within 3 working days).
    Pending,
    /// A member in good standing.
    Active,
    /// Expired unrenewed; some benefits continue for the grace period (B: one month).
    Grace,
    /// Expired; the card is void.
    Lapsed,
    /// Left the club, or the enrollment was turned down.
    Withdrawn,
}

impl Status {
    /// Whether the person is a member who earns points and may use benefits.
    pub fn is_member(self) -> bool {
        matches!(self, Status::Active | Status::Grace)
    }
}

/// An inclusive span of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateRange {
    #[serde(with = "crate::types::iso_date")]
    pub from: Date,
    #[serde(with = "crate::types::iso_date")]
    pub to: Date,
}

impl DateRange {
    /// Whether the day falls in the span.
    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }
}

/// A card the member holds or held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardState {
    pub number: CardNo,
    pub kind: CardKind,
    pub status: CardStatus,
    /// The vehicle the card belongs to (一车一卡).
    pub vin: Option<Vin>,
    #[serde(with = "crate::types::iso_date")]
    pub issued: Date,
    /// The last day a temporary card works.
    #[serde(with = "crate::types::iso_date::option")]
    pub valid_until: Option<Date>,
}

impl CardState {
    /// Whether the card works on this day.
    pub fn works_on(&self, day: Date) -> bool {
        self.status == CardStatus::Active && self.valid_until.is_none_or(|d| day <= d)
    }
}

/// A regular or a temporary card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Regular,
    /// Handed over while a lost card is reissued (B: valid 3 days).
    Temporary,
}

/// Whether a card works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    /// Reported lost.
    Lost,
    /// Replaced by a reissued card.
    Replaced,
    /// A temporary card past its last day.
    Expired,
    /// Void: the membership lapsed or ended, or a temporary card was superseded.
    Void,
}

/// The figures that upgrade conditions look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measures {
    /// Every point ever earned, before redemptions and resets.
    pub points_earned: Points,
    /// Points spent on redemptions.
    pub points_redeemed: Points,
    /// Converted referrals since joining.
    pub referrals_since_joined: u32,
    /// Converted referrals since reaching the current tier.
    pub referrals_since_tier: u32,
    /// Vehicles on file.
    pub vehicles: u32,
    /// Days of the current unbroken maintenance chain.
    pub maintenance_streak_days: u32,
    /// Kilometres of the current unbroken maintenance chain.
    pub maintenance_streak_km: u32,
    /// Spending in the rolling windows the program's rules use.
    pub spend_windows: Vec<SpendWindow>,
}

/// Spending in one rolling window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpendWindow {
    pub months: u32,
    /// The categories counted; empty means all.
    pub categories: Vec<Category>,
    pub points: Points,
    pub amount: Money,
    pub orders: u32,
    /// Points from the sub-condition's categories, when the rule has one.
    pub of_which_points: Option<Points>,
}

/// One benefit of the current tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BenefitState {
    #[serde(flatten)]
    pub benefit: Benefit,
    /// Whether the member may use it today (not while pending or lapsed; some not in grace).
    pub available: bool,
    /// Times used this membership year.
    pub used: u32,
    /// Times left this membership year, for counted allowances.
    pub remaining: Option<u32>,
    /// Value given this membership year.
    pub value_used: Money,
}

/// An upgrade the member is eligible for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradeOption {
    pub to: TierId,
    /// Automatic upgrades happen by themselves; the others need an application.
    pub mode: UpgradeMode,
    /// The condition met, e.g. `points`, `referrals`.
    pub by: String,
}

/// A request to change the member's contact details, and the store's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactChangeState {
    /// The request's event id.
    pub request: EventId,
    /// When it was asked for.
    pub at: Timestamp,
    /// The new phone number asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// The times to call asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_slots: Option<Vec<crate::care::CallSlot>>,
    /// The SMS consent asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<bool>,
    /// `None` while the store has not answered; then confirmed or declined.
    pub confirmed: Option<bool>,
    /// Why it was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ShortText>,
}

/// A withdrawal request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalState {
    #[serde(with = "crate::types::iso_date")]
    pub requested: Date,
    pub reason: WithdrawalReason,
    /// `None` while the club has not decided.
    pub accepted: Option<bool>,
    /// The refund the program gives for a withdrawal on the request day.
    pub refund: Money,
}
