//! The member's ledger: every event in the order the projection applies it, with the points it
//! moved and the balance after it, as the engine computed them.
//!
//! The ledger runs the same engine as [`project`](super::project), one event at a time, and reads
//! the balance after each, so its arithmetic cannot differ from the member's state. Where the
//! engine moves points by itself, the movement is an entry of its own: the points a lapse clears
//! (A: 积分清零) on the day after the term and grace ended, and an automatic upgrade (with the reset
//! of points the program may make on upgrade, B: 积分自动归零) right after the event that brought it.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::events::{Channel, Event, EventBody, WithdrawalReason};
use crate::program::Program;
use crate::types::*;

use super::apply::{Applied, Engine, Lapse};
use super::{Status, Violation, ordered};

/// The type of an entry the engine makes by itself when a membership lapses.
pub const LAPSED: &str = "lapsed";
/// The type of an entry the engine makes by itself for an automatic upgrade.
pub const UPGRADED: &str = "upgraded";

/// One line of a member's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// The event; null for a movement the engine made by itself (`lapsed`, `upgraded`).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub event: Option<EventId>,
    /// The event's `type`, or `lapsed` / `upgraded` for the engine's own movements.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (a lapse: the start of the first day without membership).
    pub at: Timestamp,
    /// Who recorded the event; null for the engine's own movements.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub author: Option<UserId>,
    /// The fee receipt or settlement slip the event counts.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub receipt: Option<ReceiptNo>,
    /// Points moved: positive when earned, negative when redeemed, cleared or reset; 0 for none.
    pub points: i64,
    /// Redeemable points after it.
    pub balance: Points,
    /// The money involved: the fee paid, the order's list price, the value of a benefit used or of
    /// what points were redeemed for, the refund due.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub amount: Option<Money>,
    /// The card discount of a settled order.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub discount: Option<Money>,
    /// The membership's status after it.
    pub status: Status,
    /// The tier after it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub tier: Option<TierId>,
    /// What happened, in a few words.
    pub description: String,
    /// The same in Chinese, for the store's staff.
    pub description_zh: String,
    /// Rules the event broke (a rejected event had no effect).
    pub violations: Vec<Violation>,
}

/// The ledger of the member whose events these are, up to `at`: each event (deduplicated, in the
/// projection's order; events after `at` left out) and each movement the engine made by itself,
/// including a lapse reached between the last event and `at`.
pub fn ledger(program: &Program, events: &[Event], at: Date) -> Vec<LedgerEntry> {
    let mut engine = Engine::new(program);
    let mut out = Vec::new();
    for event in ordered(events) {
        if event.at.date() > at {
            break;
        }
        if event.member().is_none() {
            continue;
        }
        let seen = engine.violations.len();
        let before = engine.points;
        let tier_before = engine.tier.clone();
        let applied = engine.apply(event);
        let mut balance = before;
        if let Some(lapse) = applied.lapse {
            balance = Points::new(balance.get().saturating_sub(lapse.cleared.get()));
            out.push(lapse_entry(&lapse, balance, tier_before));
        }
        let violations = engine.violations[seen..].to_vec();
        let rejected = violations
            .iter()
            .any(|v| matches!(v, Violation::Rejected { event: id, .. } if *id == event.id));
        let (amount, discount) = money(program, &engine, event, &applied, rejected);
        let status = applied.status;
        let (mut description, mut description_zh) = describe(program, &engine, event, &applied);
        if rejected {
            description.push_str(" (not applied)");
            description_zh.push_str("（未生效）");
        }
        out.push(LedgerEntry {
            event: Some(event.id),
            kind: event.body.kind().to_owned(),
            at: event.at,
            author: Some(event.author),
            receipt: event.body.receipt().cloned(),
            points: movement(balance, applied.points),
            balance: applied.points,
            amount,
            discount,
            status,
            tier: applied.tier.clone(),
            description,
            description_zh,
            violations,
        });
        for up in &applied.upgrades {
            let name = tier_name(program, &up.to);
            out.push(LedgerEntry {
                event: None,
                kind: UPGRADED.to_owned(),
                at: event.at,
                author: None,
                receipt: None,
                points: movement(up.before, up.after),
                balance: up.after,
                amount: None,
                discount: None,
                status: engine.status,
                tier: Some(up.to.clone()),
                description: if up.after < up.before {
                    format!("upgraded to {name}; points reset")
                } else {
                    format!("upgraded to {name}")
                },
                description_zh: if up.after < up.before {
                    format!("升级为{name}，积分清零")
                } else {
                    format!("升级为{name}")
                },
                violations: Vec::new(),
            });
        }
    }
    if let Some(lapse) = engine.advance(at) {
        out.push(lapse_entry(&lapse, engine.points, engine.tier.clone()));
    }
    out
}

fn lapse_entry(lapse: &Lapse, balance: Points, tier: Option<TierId>) -> LedgerEntry {
    LedgerEntry {
        event: None,
        kind: LAPSED.to_owned(),
        at: Timestamp::start_of(lapse.day),
        author: None,
        receipt: None,
        points: -signed(lapse.cleared),
        balance,
        amount: None,
        discount: None,
        status: Status::Lapsed,
        tier,
        description: if lapse.cleared > Points::ZERO {
            format!(
                "membership lapsed unrenewed; {} points cleared",
                lapse.cleared
            )
        } else {
            "membership lapsed unrenewed".into()
        },
        description_zh: if lapse.cleared > Points::ZERO {
            format!("会籍未续费失效，清除 {} 积分", lapse.cleared)
        } else {
            "会籍未续费失效".into()
        },
        violations: Vec::new(),
    }
}

fn signed(p: Points) -> i64 {
    i64::try_from(p.get()).unwrap_or(i64::MAX)
}

/// The signed movement from `before` to `after`.
fn movement(before: Points, after: Points) -> i64 {
    signed(after).saturating_sub(signed(before))
}

/// The money an event involves, and an order's discount.
fn money(
    program: &Program,
    engine: &Engine<'_>,
    event: &Event,
    applied: &Applied,
    rejected: bool,
) -> (Option<Money>, Option<Money>) {
    use EventBody::*;
    match &event.body {
        Enrolled(en) => (Some(en.fee), None),
        Renewed { fee, .. } | TierPurchased { fee, .. } | CardReissued { fee, .. } => {
            (Some(*fee), None)
        }
        BenefitUsed { value, .. } => (Some(*value), None),
        OrderSettled { order, .. } => match &applied.settled {
            Some(q) => (Some(q.total), Some(q.discount)),
            // A slip counted before settles nothing: its list price only.
            None => (Some(order.lines.iter().map(|l| l.amount).sum()), None),
        },
        PointsRedeemed { points, .. } => (program.redemption(*points).map(|r| r.value), None),
        _ if rejected => (None, None),
        EnrollmentRejected { .. } | WithdrawalDecided { accepted: true, .. } => {
            (engine.refund_due, None)
        }
        WithdrawalRequested { .. } => (engine.withdrawal.as_ref().map(|w| w.refund), None),
        _ => (None, None),
    }
}

fn tier_name(program: &Program, tier: &TierId) -> String {
    program
        .tier(tier)
        .map_or_else(|| tier.to_string(), |t| t.name.clone())
}

fn benefit_name(program: &Program, benefit: &BenefitId) -> String {
    program
        .tiers
        .iter()
        .find_map(|t| t.benefit(benefit))
        .map_or_else(|| benefit.to_string(), |b| b.name().to_owned())
}

/// A vehicle as people know it: its plate, else its VIN.
fn plate_or_vin(engine: &Engine<'_>, vin: &Vin) -> String {
    engine
        .care
        .vehicle(vin)
        .and_then(|v| v.plate.as_ref())
        .map_or_else(|| vin.to_string(), ToString::to_string)
}

/// The event in a few words, in English and in Chinese (no contact details: every role that sees
/// the ledger may read it).
fn describe(
    program: &Program,
    engine: &Engine<'_>,
    event: &Event,
    applied: &Applied,
) -> (String, String) {
    use EventBody::*;
    let both = |en: &str, zh: &str| (en.to_owned(), zh.to_owned());
    match &event.body {
        VisitStarted(_) | VisitEnded(_) => both("visit", "外拓拜访"),
        Enrolled(en) => {
            let (how, how_zh) = match en.channel {
                Channel::Purchase => ("with a car bought here", "购车赠卡"),
                Channel::Referral { .. } => ("referred by a member", "会员推荐"),
                Channel::Desk => ("at the club desk", "到店申请"),
                Channel::OnSite { .. } => ("on site", "现场办理"),
                Channel::Campaign => ("in a campaign", "活动办理"),
            };
            let tier = tier_name(program, &en.tier);
            (
                format!("enrolled at {tier} {how}, card {}", en.card),
                format!("入会：{tier}（{how_zh}），卡号 {}", en.card),
            )
        }
        CustomerImported(c) => match &c.membership {
            Some(m) => {
                let tier = tier_name(program, &m.tier);
                (
                    format!(
                        "brought in from the dealer's records as a {tier} member since {}, card {}",
                        m.joined, m.card
                    ),
                    format!(
                        "从经销商系统导入：{tier}会员，{} 入会，卡号 {}",
                        m.joined, m.card
                    ),
                )
            }
            None => both(
                "brought in from the dealer's records as a prospect",
                "从经销商系统导入：潜在客户（未入会）",
            ),
        },
        EnrollmentApproved { .. } => match engine.term {
            Some(t) => (
                format!("enrollment approved; valid until {}", t.to),
                format!("入会审核通过，有效期至 {}", t.to),
            ),
            None => both("enrollment approved", "入会审核通过"),
        },
        EnrollmentRejected { reason, .. } => match reason {
            Some(r) => (
                format!("enrollment rejected: {}", r.as_str()),
                format!("入会申请被拒：{}", r.as_str()),
            ),
            None => both("enrollment rejected", "入会申请被拒"),
        },
        OrderSettled { order, .. } => match &applied.settled {
            Some(q) => (
                format!(
                    "order settled: {} less {} discount, {} paid, {} points",
                    q.total, q.discount, q.payable, q.points
                ),
                format!(
                    "结算：原价 {}，会员卡优惠 {}，实付 {}，积 {} 分",
                    q.total, q.discount, q.payable, q.points
                ),
            ),
            None => {
                let receipt = order.receipt.as_ref().map_or("", |r| r.as_str());
                (
                    format!("order {receipt} already counted"),
                    format!("结算单 {receipt} 已计过积分"),
                )
            }
        },
        EventAttended { activity, .. } => match activity {
            Some(a) => (
                format!("attended {}", a.as_str()),
                format!("参加活动：{}", a.as_str()),
            ),
            None => both("attended a club event", "参加俱乐部活动"),
        },
        ForumRewarded { .. } => both("forum contribution rewarded", "论坛贡献奖励"),
        ReferralRecorded { name, .. } => match name {
            Some(n) => (
                format!("referred {}", n.as_str()),
                format!("推荐：{}", n.as_str()),
            ),
            None => both("referred a prospect", "推荐了一位潜在客户"),
        },
        ReferralConverted { .. } => both("a referral converted", "推荐成功"),
        VehicleAdded { vehicle, card, .. } => match card {
            Some(c) => (
                format!("vehicle {} added with card {c}", vehicle.plate),
                format!("新增车辆 {}，卡号 {c}", vehicle.plate),
            ),
            None => (
                format!("vehicle {} added", vehicle.plate),
                format!("新增车辆 {}", vehicle.plate),
            ),
        },
        BenefitUsed { benefit, count, .. } => {
            let name = benefit_name(program, benefit);
            if *count == 1 {
                (format!("{name} used"), format!("使用权益：{name}"))
            } else {
                (
                    format!("{name} used ×{count}"),
                    format!("使用权益：{name} ×{count}"),
                )
            }
        }
        PointsRedeemed { points, item, .. } => match item {
            Some(i) => (
                format!("{points} points redeemed for {}", i.as_str()),
                format!("兑换 {points} 积分：{}", i.as_str()),
            ),
            None => (
                format!("{points} points redeemed"),
                format!("兑换 {points} 积分"),
            ),
        },
        Renewed { .. } => match engine.term {
            Some(t) => (
                format!("renewed until {}", t.to),
                format!("续费，有效期至 {}", t.to),
            ),
            None => both("renewed", "续费"),
        },
        TierPurchased { tier, .. } => {
            let name = tier_name(program, tier);
            (format!("bought {name}"), format!("购买{name}"))
        }
        UpgradeApproved { tier, .. } => {
            let name = tier_name(program, tier);
            (
                format!("upgrade to {name} approved"),
                format!("升级为{name}（审核通过）"),
            )
        }
        ManualGrant {
            tier,
            points,
            reason,
            ..
        } => {
            let (what, what_zh) = match (tier, points) {
                (Some(t), Some(p)) => {
                    let name = tier_name(program, t);
                    (
                        format!("{name} and {p} points"),
                        format!("{name}及 {p} 积分"),
                    )
                }
                (Some(t), None) => (tier_name(program, t), tier_name(program, t)),
                (None, Some(p)) => (format!("{p} points"), format!("{p} 积分")),
                (None, None) => both("nothing", "无"),
            };
            (
                format!("granted {what}: {}", reason.as_str()),
                format!("人工授予{what_zh}：{}", reason.as_str()),
            )
        }
        CardLost { card, .. } => (
            format!("card {card} reported lost"),
            format!("会员卡 {card} 挂失"),
        ),
        TemporaryCardIssued { card, .. } => (
            format!("temporary card {card} issued"),
            format!("发放临时卡 {card}"),
        ),
        CardReissued { card, replaces, .. } => match replaces {
            Some(old) => (
                format!("card {card} issued in place of {old}"),
                format!("补办会员卡 {card}，替换 {old}"),
            ),
            None => (
                format!("card {card} issued in place of the lost one"),
                format!("补办会员卡 {card}"),
            ),
        },
        WithdrawalRequested { reason, .. } => match reason {
            WithdrawalReason::FirstServiceDisappointing => both(
                "withdrawal requested: the first service disappointed",
                "申请退会：首次服务不满意",
            ),
            WithdrawalReason::Other => both("withdrawal requested", "申请退会"),
        },
        WithdrawalDecided { accepted, .. } => {
            if *accepted {
                both("withdrawal accepted; points cleared", "同意退会，积分清零")
            } else {
                both("withdrawal refused", "不同意退会")
            }
        }
        Expired { .. } => both("membership expired", "会籍到期"),
        ComplaintFiled { .. } => both("complaint filed", "提交投诉"),
        ContactChangeRequested { .. } => {
            both("contact details change requested", "申请变更联系方式")
        }
        ContactChangeDecided {
            confirmed, reason, ..
        } => match (confirmed, reason) {
            (true, _) => both("contact details change confirmed", "联系方式变更已确认"),
            (false, Some(r)) => (
                format!("contact details change declined: {}", r.as_str()),
                format!("联系方式变更未通过：{}", r.as_str()),
            ),
            (false, None) => both("contact details change declined", "联系方式变更未通过"),
        },
        InvitationAnswered { attending, .. } => {
            if *attending {
                both("invitation accepted", "报名参加活动")
            } else {
                both("invitation declined", "谢绝活动邀请")
            }
        }
        CompanyChanged { company, .. } => match company {
            Some(_) => both("company set", "设置所属单位"),
            None => both("company cleared", "清除所属单位"),
        },
        PersonFactsSet { .. } => both("care details updated", "更新车主关怀资料"),
        VehicleFactsSet { vin, .. } => (
            format!("vehicle {} details updated", plate_or_vin(engine, vin)),
            format!("更新车辆 {} 档案", plate_or_vin(engine, vin)),
        ),
        PreInspectionRecorded(p) => {
            let car = plate_or_vin(engine, &p.vin);
            let faults = p
                .checks
                .iter()
                .filter(|c| c.state == crate::care::CheckState::Fault)
                .count();
            (
                format!("{car} pre-inspected on site: {faults} at fault"),
                format!("{car} 上门预检：{faults} 项故障"),
            )
        }
        MileageRecorded { vin, on, km, .. } => (
            format!("{} read {km} km on {on}", plate_or_vin(engine, vin)),
            format!("{} 于 {on} 里程 {km} 公里", plate_or_vin(engine, vin)),
        ),
        ServiceVisitRecorded {
            vin,
            on,
            kind,
            elsewhere,
            ..
        } => {
            let car = plate_or_vin(engine, vin);
            match elsewhere {
                Some(x) => (
                    format!(
                        "{} of {car} on {on} at {}, {} ({})",
                        kind.en(),
                        x.store.as_str(),
                        x.place.as_str(),
                        x.cost
                    ),
                    format!(
                        "{car} 于 {on} 在{}（{}）{}，费用 {}",
                        x.store.as_str(),
                        x.place.as_str(),
                        kind.zh(),
                        x.cost
                    ),
                ),
                None => (
                    format!("{} of {car} on {on}", kind.en()),
                    format!("{car} 于 {on} {}", kind.zh()),
                ),
            }
        }
    }
}
