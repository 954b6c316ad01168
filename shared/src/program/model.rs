//! The program as plain data: what a club manager writes in a program file.
//!
//! Nothing here decides anything; the projection interprets these rules. Keeping rules as data is
//! what lets one engine run the three handbook programs and any program a manager tries out with
//! `simulate` before launching it.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use crate::events::Category;
use crate::types::*;

/// A membership program: tiers, earning, upgrades, renewal, withdrawal, cards and redemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The club's name for the program.
    pub name: String,
    /// Tiers from lowest to highest; the order is the upgrade order.
    pub tiers: Vec<Tier>,
    /// How points are earned.
    pub earning: Earning,
    /// How members move up; each rule is satisfied by any one of its conditions.
    #[serde(default)]
    pub upgrades: Vec<UpgradeRule>,
    /// What an upgrade does to points and validity.
    #[serde(default)]
    pub on_upgrade: OnUpgrade,
    /// Renewal window, grace period and lapse.
    pub renewal: Renewal,
    /// Withdrawal and refund.
    pub withdrawal: Withdrawal,
    /// Lost cards: reissue fee and temporary card.
    pub cards: CardPolicy,
    /// What points can be redeemed for; empty when points only drive upgrades.
    #[serde(default)]
    pub redemption: Vec<Redemption>,
    /// Whether a card discount stacks with a store promotion (001: it does not).
    #[serde(default)]
    pub discount_stacks_with_promotion: bool,
}

/// A card tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The id used by events, the API and the command line.
    pub id: TierId,
    /// The name printed on the card.
    pub name: String,
    /// The price of the tier in fen; `None` when it cannot be bought, only earned.
    #[serde(default)]
    pub fee: Option<Money>,
    /// The fee for another term; `None` means the tier's fee, or free when it has none.
    #[serde(default)]
    pub renewal_fee: Option<Money>,
    /// How long a term lasts.
    pub validity: Period,
    /// A member may join directly at this tier.
    #[serde(default)]
    pub entry: bool,
    /// Given free with a car bought at the store.
    #[serde(default)]
    pub gift_on_purchase: bool,
    /// What the card gives.
    #[serde(default)]
    pub benefits: Vec<Benefit>,
}

impl Tier {
    /// The fee due for another term.
    pub fn renewal_fee(&self) -> Money {
        self.renewal_fee.or(self.fee).unwrap_or(Money::ZERO)
    }

    /// The benefit with this id, if the tier gives it.
    pub fn benefit(&self, id: &BenefitId) -> Option<&Benefit> {
        self.benefits.iter().find(|b| b.id() == id)
    }
}

crate::tagged_enum! {
tag = "kind",
twin = [#[serde(remote = "Benefit", rename_all = "snake_case", deny_unknown_fields)]],
/// One benefit of a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Benefit {
    /// A service given a counted number of times per membership year (free washes).
    Allowance {
        id: BenefitId,
        name: String,
        per_year: u32,
    },
    /// A percent discount on some spending categories (labor 5 %).
    Discount {
        id: BenefitId,
        name: String,
        percent: u32,
        applies_to: Vec<Category>,
    },
    /// A free distance (towing: 10 km free outside the city).
    FreeKm {
        id: BenefitId,
        name: String,
        km: u32,
    },
    /// A yes/no service (insurance-claim agency, 24 h emergency repair).
    Service { id: BenefitId, name: String },
}
}

impl Benefit {
    /// The benefit's id.
    pub fn id(&self) -> &BenefitId {
        match self {
            Benefit::Allowance { id, .. }
            | Benefit::Discount { id, .. }
            | Benefit::FreeKm { id, .. }
            | Benefit::Service { id, .. } => id,
        }
    }

    /// The benefit's kind as it is written: `allowance`, `discount`, `free_km` or `service`.
    pub fn kind(&self) -> &'static str {
        match self {
            Benefit::Allowance { .. } => "allowance",
            Benefit::Discount { .. } => "discount",
            Benefit::FreeKm { .. } => "free_km",
            Benefit::Service { .. } => "service",
        }
    }

    /// The benefit's name.
    pub fn name(&self) -> &str {
        match self {
            Benefit::Allowance { name, .. }
            | Benefit::Discount { name, .. }
            | Benefit::FreeKm { name, .. }
            | Benefit::Service { name, .. } => name,
        }
    }
}

/// How points are earned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Earning {
    /// Points per amount spent, per category; a category without a rate earns nothing.
    #[serde(default)]
    pub rates: Vec<Rate>,
    /// Points for attending a club event.
    #[serde(default)]
    pub event_attended: Points,
    /// Points for a referral that converted.
    #[serde(default)]
    pub referral_converted: Points,
    /// The most points one forum contribution may earn; zero when the forum earns nothing.
    #[serde(default)]
    pub forum_max: Points,
}

impl Earning {
    /// The rate for a category, if it earns.
    pub fn rate(&self, category: Category) -> Option<&Rate> {
        self.rates.iter().find(|r| r.category == category)
    }
}

/// One point per `yuan_per_point` yuan paid in a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The category the rate applies to.
    pub category: Category,
    /// Yuan paid, after the card discount, per point; remainders earn nothing.
    pub yuan_per_point: u32,
}

/// An upgrade to `to`, reached by any one of the conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpgradeRule {
    /// The tier reached.
    pub to: TierId,
    /// The tiers the rule applies to; empty means every tier below `to`.
    #[serde(default)]
    pub from: Vec<TierId>,
    /// Whether the upgrade happens by itself or the member applies for it.
    #[serde(default)]
    pub mode: UpgradeMode,
    /// The conditions; any one suffices.
    pub any_of: Vec<Condition>,
}

/// How an upgrade takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UpgradeMode {
    /// As soon as a condition holds (A: 直接升为).
    #[default]
    Automatic,
    /// The member may apply; the back office approves (B: 可申请).
    Application,
}

crate::tagged_enum! {
tag = "kind",
twin = [#[serde(remote = "Condition", rename_all = "snake_case", deny_unknown_fields)]],
/// One condition of an upgrade rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The redeemable balance is at least this.
    Points { at_least: Points },
    /// Spending in a rolling window of `months` before the day, over `categories` (all when empty).
    Spend {
        months: u32,
        #[serde(default)]
        categories: Vec<Category>,
        /// Points earned by that spending.
        #[serde(default)]
        min_points: Option<Points>,
        /// Amount paid.
        #[serde(default)]
        min_amount: Option<Money>,
        /// Number of orders.
        #[serde(default)]
        min_orders: Option<u32>,
        /// A sub-condition: of those points, at least so many from these categories.
        #[serde(default)]
        of_which: Option<OfWhich>,
    },
    /// Converted referrals, counted since joining or since reaching the current tier.
    Referrals {
        at_least: u32,
        #[serde(default)]
        since: ReferralsSince,
    },
    /// Vehicles on the member's file.
    Vehicles { at_least: u32 },
    /// Continuous maintenance at the store over `years` or `km`, whichever comes first; the chain
    /// breaks when two maintenance visits are more than `max_gap_months` apart.
    MaintenanceStreak {
        years: u32,
        km: u32,
        max_gap_months: u32,
    },
    /// A manager's grant (special contribution, confirmed VIP applicant).
    Manual,
}
}

/// The sub-condition of a spend condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfWhich {
    /// The categories the sub-condition counts.
    pub categories: Vec<Category>,
    /// The points that must come from them.
    pub min_points: Points,
}

/// Where referrals are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReferralsSince {
    /// Since the member reached the current tier (A: a Silver member refers 2 more).
    #[default]
    Tier,
    /// Since the member joined (C: referred 5 buyers in all).
    Joined,
}

/// What an upgrade does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnUpgrade {
    /// Points after the upgrade.
    pub points: PointsOnUpgrade,
    /// Whether a new term of the new tier's validity starts on the day of the upgrade.
    #[serde(default = "yes")]
    pub restart_term: bool,
}

impl Default for OnUpgrade {
    fn default() -> Self {
        Self {
            points: PointsOnUpgrade::Keep,
            restart_term: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// Points after an upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PointsOnUpgrade {
    /// Points carry over.
    Keep,
    /// Points reset to zero (B: 积分自动归零).
    Reset,
}

/// Renewal, grace and lapse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    /// Renewal opens this long before the last valid day.
    pub window: Period,
    /// How long benefits continue after expiry without renewal.
    #[serde(default)]
    pub grace: Period,
    /// Benefits not given during grace (B: the labor discount).
    #[serde(default)]
    pub grace_excludes: Vec<BenefitId>,
    /// Whether points are cleared when the membership lapses (A: 积分清零).
    pub clear_points_on_lapse: bool,
}

/// Withdrawal and refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Within this time from the start of the term the fee is refunded in full.
    pub full_refund_within: Period,
    /// What is refunded after that.
    pub after: RefundAfter,
    /// Whether the value of benefits already used is deducted (B).
    #[serde(default)]
    pub deduct_benefits_used: bool,
}

/// The refund after the full-refund window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundAfter {
    /// Nothing.
    Nothing,
    /// The fee pro rata to the days left in the term.
    ProRata,
}

/// Lost cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CardPolicy {
    /// The reissue fee (工本费).
    pub reissue_fee: Money,
    /// How long a temporary card works.
    pub temporary_validity: Period,
}

/// A catalogue entry: so many points for goods or services of this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Redemption {
    /// The points spent.
    pub points: Points,
    /// The value of the goods or service, in fen.
    pub value: Money,
}

/// A length of time in calendar months and days, e.g. `{ months = 24 }` or `{ days = 30 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Calendar months.
    #[serde(default)]
    pub months: u32,
    /// Days, added after the months.
    #[serde(default)]
    pub days: u32,
}

impl Period {
    /// A period of whole months.
    pub const fn months(months: u32) -> Self {
        Self { months, days: 0 }
    }
    /// A period of days.
    pub const fn days(days: u32) -> Self {
        Self { months: 0, days }
    }
    /// Whether the period is empty.
    pub fn is_zero(self) -> bool {
        self.months == 0 && self.days == 0
    }
    /// The date this period after `date` (month ends clamp: Jan 31 + 1 month = Feb 28).
    pub fn after(self, date: Date) -> Date {
        let d = add_months(date, i64::from(self.months));
        d.checked_add(Duration::days(i64::from(self.days)))
            .unwrap_or(Date::MAX)
    }
    /// The date this period before `date`.
    pub fn before(self, date: Date) -> Date {
        let d = add_months(date, -i64::from(self.months));
        d.checked_sub(Duration::days(i64::from(self.days)))
            .unwrap_or(Date::MIN)
    }
    /// The last day of a span of this length starting on `start`.
    pub fn last_day(self, start: Date) -> Date {
        let end = self.after(start);
        end.previous_day().unwrap_or(end)
    }
}

/// Adds calendar months, clamping the day to the end of the month and the result to the dates
/// `time` can represent.
pub(crate) fn add_months(date: Date, months: i64) -> Date {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = index.div_euclid(12);
    if year > i64::from(Date::MAX.year()) {
        return Date::MAX;
    }
    if year < i64::from(Date::MIN.year()) {
        return Date::MIN;
    }
    let year = year as i32;
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_clamp_month_ends() {
        assert_eq!(
            Period::months(1).after(date!(2026 - 01 - 31)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            Period::months(24).last_day(date!(2026 - 03 - 01)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            Period::days(30).before(date!(2026 - 03 - 31)),
            date!(2026 - 03 - 01)
        );
        assert_eq!(
            Period::months(13).before(date!(2026 - 01 - 15)),
            date!(2024 - 12 - 15)
        );
    }
}
