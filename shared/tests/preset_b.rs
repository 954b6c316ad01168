//! Every number of DOMAIN.md §3 for preset B, as a table. Each case names the DOMAIN.md line it
//! checks and runs through the engine (join, settle, project, quote), not just the preset data.

mod common;

use carclub_shared::events::*;
use carclub_shared::program::UpgradeMode;
use carclub_shared::projection::{CardStatus, MemberState, NoDiscount, Rejection, Status, quote};
use carclub_shared::*;
use common::table::*;
use common::*;

#[test]
fn preset_b_operation_manual() {
    let cases: &[(&str, Check)] = &[
        (
            "l.65 Guest → Silver → VIP → Diamond; membership is one year",
            |p| {
                let ids: Vec<&str> = p.tiers.iter().map(|t| t.id.as_str()).collect();
                ensure!(ids == ["guest", "silver", "vip", "diamond"], "{ids:?}");
                ensure!(
                    p.tiers
                        .iter()
                        .all(|t| t.validity.months == 12 && t.validity.days == 0),
                    "validity"
                );
                let s = member_at(p, "guest", 300).project(p, "2026-03-01");
                ensure!(
                    s.valid_until == Some(day("2027-02-28")),
                    "{:?}",
                    s.valid_until
                );
                Ok(())
            },
        ),
        ("l.66 1 point per 10 yuan paid in cash", |p| {
            ensure!(
                earned(p, "guest", Category::Cash, 1009) == Points::new(100),
                "cash"
            );
            ensure!(
                earned(p, "guest", Category::Parts, 1000) == Points::new(100),
                "parts"
            );
            Ok(())
        }),
        (
            "l.66 insurance and insured-accident repairs 1 point per 100 yuan",
            |p| {
                ensure!(
                    earned(p, "guest", Category::Insurance, 1000) == Points::new(10),
                    "insurance"
                );
                ensure!(
                    earned(p, "guest", Category::AccidentRepair, 1099) == Points::new(10),
                    "accident"
                );
                Ok(())
            },
        ),
        (
            "l.67 each club event 10; forum at the club's discretion",
            |p| {
                let mut m = member_at(p, "guest", 300);
                m.attend("2026-04-01");
                let member = m.id;
                m.push(
                    "2026-04-02",
                    EventBody::ForumRewarded {
                        member,
                        points: Points::new(30),
                        note: None,
                    },
                );
                m.push(
                    "2026-04-03",
                    EventBody::ForumRewarded {
                        member,
                        points: p.earning.forum_max + Points::new(1),
                        note: None,
                    },
                );
                let s = m.project(p, "2026-04-03");
                ensure!(s.points == Points::new(40), "{}", s.points);
                ensure!(rejected(&s, Rejection::AboveForumMax), "{:?}", s.violations);
                Ok(())
            },
        ),
        (
            "l.68 Guest with > 1,000 points may apply for Silver; l.69 points reset",
            |p| {
                let mut m = member_at(p, "guest", 300);
                m.grant_points("2026-04-01", 1000);
                ensure!(
                    m.project(p, "2026-04-01").upgrades.is_empty(),
                    "1,000 is not more than 1,000"
                );
                m.grant_points("2026-04-02", 1);
                let s = m.project(p, "2026-04-02");
                ensure!(tier_of(&s) == "guest", "by application only");
                ensure!(
                    s.upgrades
                        .iter()
                        .any(|o| o.to.as_str() == "silver" && o.mode == UpgradeMode::Application),
                    "{:?}",
                    s.upgrades
                );
                let member = m.id;
                m.push(
                    "2026-04-03",
                    EventBody::UpgradeApproved {
                        member,
                        tier: tier("silver"),
                    },
                );
                let s = m.project(p, "2026-04-03");
                ensure!(
                    tier_of(&s) == "silver" && s.points == Points::ZERO,
                    "{} {}",
                    tier_of(&s),
                    s.points
                );
                Ok(())
            },
        ),
        (
            "l.68 Silver with > 2,000 points may apply for VIP; l.69 points reset",
            |p| {
                let mut m = member_at(p, "guest", 300);
                let member = m.id;
                m.grant_points("2026-04-01", 1001);
                m.push(
                    "2026-04-01",
                    EventBody::UpgradeApproved {
                        member,
                        tier: tier("silver"),
                    },
                );
                m.grant_points("2026-04-02", 2000);
                m.push(
                    "2026-04-02",
                    EventBody::UpgradeApproved {
                        member,
                        tier: tier("vip"),
                    },
                );
                let s = m.project(p, "2026-04-02");
                ensure!(
                    tier_of(&s) == "silver" && rejected(&s, Rejection::NotEligible),
                    "2,000 is not enough: {s:?}"
                );
                m.grant_points("2026-04-03", 1);
                m.push(
                    "2026-04-03",
                    EventBody::UpgradeApproved {
                        member,
                        tier: tier("vip"),
                    },
                );
                let s = m.project(p, "2026-04-03");
                ensure!(
                    tier_of(&s) == "vip" && s.points == Points::ZERO,
                    "{} {}",
                    tier_of(&s),
                    s.points
                );
                Ok(())
            },
        ),
        (
            "l.70 redemption 500 → 100; 1,000 → 200; 1,500 → 300; 2,000 → 500",
            |p| {
                for (points, value) in [(500, 100), (1000, 200), (1500, 300), (2000, 500)] {
                    let entry = p
                        .redemption(Points::new(points))
                        .ok_or(format!("{points}"))?;
                    ensure!(entry.value == yuan(value), "{points}: {}", entry.value);
                }
                let mut m = member_at(p, "guest", 300);
                m.grant_points("2026-04-01", 600);
                m.redeem("2026-04-02", 500);
                m.redeem("2026-04-03", 700);
                let s = m.project(p, "2026-04-03");
                ensure!(s.points == Points::new(100), "{}", s.points);
                ensure!(
                    rejected(&s, Rejection::NotInCatalogue),
                    "{:?}",
                    s.violations
                );
                Ok(())
            },
        ),
        ("l.71 unused benefits lapse at the end of the year", |p| {
            let mut m = member_at(p, "guest", 300);
            for _ in 0..4 {
                m.use_benefit("2026-05-01", "free_wash", 30);
            }
            let wash = |s: &MemberState| {
                s.benefits
                    .iter()
                    .find(|b| b.benefit.id().as_str() == "free_wash")
                    .and_then(|b| b.remaining)
            };
            ensure!(wash(&m.project(p, "2026-05-01")) == Some(2), "this year");
            m.renew("2027-02-15", 300);
            ensure!(
                wash(&m.project(p, "2027-03-01")) == Some(6),
                "next year starts afresh"
            );
            Ok(())
        }),
        (
            "l.71 benefits continue one month after expiry, labor discount excepted",
            |p| {
                let m = member_at(p, "guest", 300);
                let s = m.project(p, "2027-03-15");
                ensure!(s.status == Status::Grace, "{:?}", s.status);
                ensure!(
                    percent_in(p, &m, "2027-03-15", Category::Labor) == 0,
                    "labor discount in grace"
                );
                let labor = s
                    .benefits
                    .iter()
                    .find(|b| b.benefit.id().as_str() == "labor_discount")
                    .unwrap();
                let wash = s
                    .benefits
                    .iter()
                    .find(|b| b.benefit.id().as_str() == "free_wash")
                    .unwrap();
                ensure!(!labor.available && wash.available, "{labor:?} {wash:?}");
                ensure!(
                    m.project(p, "2027-03-28").status == Status::Grace,
                    "last day of grace"
                );
                ensure!(
                    m.project(p, "2027-03-29").status == Status::Lapsed,
                    "after grace"
                );
                Ok(())
            },
        ),
        ("l.72 renew one month before expiry", |p| {
            let m = member_at(p, "guest", 300);
            // Valid until 2027-02-28; the window opens one month before, on 2027-01-28.
            ensure!(
                !m.project(p, "2027-01-27").renewal_open,
                "before the window"
            );
            ensure!(m.project(p, "2027-01-28").renewal_open, "window");
            ensure!(!m.project(p, "2027-03-01").renewal_open, "in grace");
            Ok(())
        }),
        (
            "l.73 withdrawal within 90 days; l.74 refund = fee minus benefits used; l.75 points cleared",
            |p| {
                let mut m = member_at(p, "guest", 300);
                m.grant_points("2026-03-02", 50);
                m.use_benefit("2026-03-05", "free_wash", 30);
                let member = m.id;
                m.push(
                    "2026-05-29",
                    EventBody::WithdrawalRequested {
                        member,
                        reason: WithdrawalReason::Other,
                    },
                );
                m.push(
                    "2026-05-30",
                    EventBody::WithdrawalDecided {
                        member,
                        accepted: true,
                    },
                );
                let s = m.project(p, "2026-05-30");
                ensure!(
                    s.refund_due == Some(yuan(270)) && s.points == Points::ZERO,
                    "{:?} {}",
                    s.refund_due,
                    s.points
                );
                Ok(())
            },
        ),
        (
            "l.74 after 90 days: pro rata to the membership period, minus benefits used",
            |p| {
                let mut m = member_at(p, "guest", 300);
                m.use_benefit("2026-03-05", "free_wash", 30);
                let member = m.id;
                // Term 2026-03-01..2027-02-28 (365 days); on 2026-08-31 there are 181 days left.
                m.push(
                    "2026-08-31",
                    EventBody::WithdrawalRequested {
                        member,
                        reason: WithdrawalReason::Other,
                    },
                );
                m.push(
                    "2026-09-01",
                    EventBody::WithdrawalDecided {
                        member,
                        accepted: true,
                    },
                );
                let s = m.project(p, "2026-09-01");
                let want = Money::from_fen(30000 * 181 / 365) - yuan(30);
                ensure!(s.refund_due == Some(want), "{:?} want {want}", s.refund_due);
                Ok(())
            },
        ),
        (
            "l.76 reissue fee 20 yuan, temporary card valid 3 days",
            |p| {
                ensure!(p.cards.reissue_fee == yuan(20), "fee");
                let mut m = member_at(p, "guest", 300);
                let member = m.id;
                let old = m.card.clone();
                m.push(
                    "2026-04-01",
                    EventBody::CardLost {
                        member,
                        card: old.clone(),
                    },
                );
                m.push(
                    "2026-04-01",
                    EventBody::TemporaryCardIssued {
                        member,
                        card: card("T0001"),
                    },
                );
                let s = m.project(p, "2026-04-03");
                let temp = s
                    .cards
                    .iter()
                    .find(|c| c.number.as_str() == "T0001")
                    .unwrap();
                ensure!(
                    temp.valid_until == Some(day("2026-04-03")) && temp.works_on(day("2026-04-03")),
                    "{temp:?}"
                );
                let s = m.project(p, "2026-04-04");
                ensure!(
                    s.cards
                        .iter()
                        .any(|c| c.number.as_str() == "T0001" && c.status == CardStatus::Expired),
                    "{:?}",
                    s.cards
                );
                m.push(
                    "2026-04-04",
                    EventBody::CardReissued {
                        member,
                        card: card("C10000001"),
                        replaces: Some(old),
                        fee: yuan(20),
                        receipt: Some(receipt("RE-1")),
                    },
                );
                let s = m.project(p, "2026-04-04");
                ensure!(s.violations.is_empty(), "{:?}", s.violations);
                Ok(())
            },
        ),
        (
            "l.77 without the card the member pays as a non-member; l.78 no stacking with promotions",
            |p| {
                let m = member_at(p, "guest", 300);
                let s = m.project(p, "2026-04-01");
                let at = day("2026-04-01");
                let mut order = Order {
                    lines: vec![OrderLine {
                        category: Category::Labor,
                        amount: yuan(1000),
                    }],
                    card: Some(m.card.clone()),
                    ..Order::default()
                };
                ensure!(quote(p, &s, &order, at).discount == yuan(50), "with card");
                order.promotion = true;
                let q = quote(p, &s, &order, at);
                ensure!(
                    q.discount == Money::ZERO
                        && q.no_discount == Some(NoDiscount::Promotion)
                        && q.points == Points::new(100),
                    "{q:?}"
                );
                order.promotion = false;
                order.card = None;
                let q = quote(p, &s, &order, at);
                ensure!(
                    q.discount == Money::ZERO && q.no_discount == Some(NoDiscount::NoValidCard),
                    "{q:?}"
                );
                Ok(())
            },
        ),
    ];
    run("B", cases);
}
