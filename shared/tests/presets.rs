//! Every number of DOMAIN.md §3, per preset, as a table. Each case names the DOMAIN.md line it
//! checks and runs through the engine (join, settle, project, quote), not just the preset data.

mod common;

use carclub_shared::events::*;
use carclub_shared::program::{Benefit, Program, UpgradeMode};
use carclub_shared::projection::{MemberState, NoDiscount, Rejection, Status, Violation, quote};
use carclub_shared::*;
use common::*;

/// A case that fails with a message.
type Check = fn(&Program) -> Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn run(preset_name: &str, cases: &[(&str, Check)]) {
    let program = preset(preset_name);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(line, check)| {
            check(&program)
                .err()
                .map(|e| format!("DOMAIN.md {line}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "preset {preset_name}:\n{}",
        failures.join("\n")
    );
}

fn member_at(program: &Program, tier_id: &str, fee: i64) -> Member {
    let _ = program;
    let mut m = Member::new(1);
    m.join("2026-03-01", tier_id, fee);
    m
}

fn rejected(state: &MemberState, why: Rejection) -> bool {
    state
        .violations
        .iter()
        .any(|v| matches!(v, Violation::Rejected { reason, .. } if *reason == why))
}

fn tier_of(state: &MemberState) -> &str {
    state.tier.as_ref().map(|t| t.as_str()).unwrap_or("-")
}

/// A member of `tier_id` since 2026-03-01: joined there when it is an entry tier, else joined at
/// the first entry tier and granted it.
fn member_in(program: &Program, tier_id: &str) -> Member {
    let mut m = Member::new(1);
    let t = program.tier(&tier(tier_id)).unwrap();
    if t.entry {
        m.join(
            "2026-03-01",
            tier_id,
            t.fee.unwrap_or_default().whole_yuan(),
        );
    } else {
        let entry = program.entry_tiers().next().unwrap();
        m.join(
            "2026-03-01",
            entry.id.as_str(),
            entry.fee.unwrap_or_default().whole_yuan(),
        );
        m.grant_tier("2026-03-01", tier_id);
    }
    m
}

/// The discount percent a member of `tier_id` gets on 1,000 yuan of `category`.
fn percent(program: &Program, tier_id: &str, category: Category) -> Result<u32, String> {
    let m = member_in(program, tier_id);
    let state = m.project(program, "2026-03-02");
    ensure!(
        tier_of(&state) == tier_id,
        "expected tier {tier_id}, got {}",
        tier_of(&state)
    );
    let order = Order {
        lines: vec![OrderLine {
            category,
            amount: yuan(1000),
        }],
        card: Some(m.card.clone()),
        ..Order::default()
    };
    Ok(quote(program, &state, &order, day("2026-03-02")).lines[0].discount_percent)
}

/// A benefit of a tier, from the program.
fn benefit_of<'p>(program: &'p Program, tier_id: &str, id: &str) -> Result<&'p Benefit, String> {
    program
        .tier(&tier(tier_id))
        .and_then(|t| t.benefit(&benefit(id)))
        .ok_or_else(|| format!("tier {tier_id} has no benefit {id}"))
}

/// Points a fresh member of the entry tier earns for one order line.
fn earned(program: &Program, entry: &str, category: Category, y: i64) -> Points {
    let mut m = Member::new(1);
    m.join("2026-03-01", entry, 0);
    m.order("2026-03-02", &[(category, y)]);
    m.project(program, "2026-03-02").measures.points_earned
}

fn without_referral_points(program: &Program) -> Program {
    let mut p = program.clone();
    p.earning.referral_converted = Points::ZERO;
    p
}

#[test]
fn preset_a_innovation_club() {
    let cases: &[(&str, Check)] = &[
        ("l.51 Standard: car bought here (gift)", |p| {
            let mut m = Member::new(1);
            m.enroll("2026-03-01", "standard", Channel::Purchase, 0);
            m.approve("2026-03-01");
            let s = m.project(p, "2026-03-01");
            ensure!(
                s.status == Status::Active && tier_of(&s) == "standard",
                "{s:?}"
            );
            ensure!(s.violations.is_empty(), "{:?}", s.violations);
            Ok(())
        }),
        ("l.51 Standard: fee 180 yuan", |p| {
            ensure!(
                p.tier(&tier("standard")).unwrap().fee == Some(yuan(180)),
                "fee"
            );
            let ok = member_at(p, "standard", 180).project(p, "2026-03-01");
            ensure!(ok.violations.is_empty(), "{:?}", ok.violations);
            let low = member_at(p, "standard", 170).project(p, "2026-03-01");
            ensure!(
                matches!(low.violations[..], [Violation::FeeMismatch { expected, .. }] if expected == yuan(180)),
                "{:?}",
                low.violations
            );
            Ok(())
        }),
        ("l.51 Silver: 100 points", |p| {
            let mut m = member_at(p, "standard", 180);
            m.order("2026-04-01", &[(Category::Parts, 4950)]);
            let s = m.project(p, "2026-04-01");
            ensure!(
                s.points == Points::new(99) && tier_of(&s) == "standard",
                "{} {}",
                s.points,
                tier_of(&s)
            );
            m.order("2026-04-02", &[(Category::Parts, 50)]);
            let s = m.project(p, "2026-04-02");
            ensure!(
                tier_of(&s) == "silver" && s.points == Points::new(100),
                "{} {}",
                tier_of(&s),
                s.points
            );
            Ok(())
        }),
        ("l.51 Silver: 2 years of continuous maintenance", |p| {
            let mut m = member_at(p, "standard", 180);
            m.renew("2028-02-01", 180);
            for (i, on) in [
                "2026-03-10",
                "2026-09-01",
                "2027-03-01",
                "2027-09-01",
                "2028-02-20",
            ]
            .iter()
            .enumerate()
            {
                m.maintenance(on, 1000 * i as u32);
            }
            let s = m.project(p, "2028-02-20");
            ensure!(s.upgrades.is_empty(), "too early: {:?}", s.upgrades);
            m.maintenance("2028-03-10", 5000);
            let s = m.project(p, "2028-03-10");
            ensure!(
                s.upgrades.iter().any(|o| o.to.as_str() == "silver"
                    && o.mode == UpgradeMode::Application
                    && o.by == "maintenance_streak"),
                "{:?}",
                s.upgrades
            );
            ensure!(tier_of(&s) == "standard", "applied, not automatic");
            let member = m.id;
            m.push(
                "2028-03-11",
                EventBody::UpgradeApproved {
                    member,
                    tier: tier("silver"),
                },
            );
            ensure!(tier_of(&m.project(p, "2028-03-11")) == "silver", "approval");
            Ok(())
        }),
        ("l.51 Silver: 60,000 km of continuous maintenance", |p| {
            let mut m = member_at(p, "standard", 180);
            m.maintenance("2026-03-10", 10_000);
            m.maintenance("2026-08-10", 40_000);
            m.maintenance("2027-01-10", 69_999);
            ensure!(
                m.project(p, "2027-01-10").upgrades.is_empty(),
                "59,999 km is not enough"
            );
            m.maintenance("2027-01-20", 70_000);
            let s = m.project(p, "2027-01-20");
            ensure!(
                s.measures.maintenance_streak_km == 60_000,
                "{:?}",
                s.measures
            );
            ensure!(
                s.upgrades.iter().any(|o| o.to.as_str() == "silver"),
                "{:?}",
                s.upgrades
            );
            Ok(())
        }),
        (
            "l.51 Silver: ≥5 repairs and ≥3,000 yuan a year, accident repairs excluded",
            |p| {
                let mut m = member_at(p, "standard", 180);
                for on in ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01"] {
                    m.order(on, &[(Category::Parts, 750)]);
                }
                m.order("2026-08-01", &[(Category::AccidentRepair, 750)]);
                ensure!(
                    tier_of(&m.project(p, "2026-08-01")) == "standard",
                    "accident repair counted"
                );
                m.order("2026-09-01", &[(Category::Parts, 100)]);
                let s = m.project(p, "2026-09-01");
                ensure!(
                    tier_of(&s) == "silver",
                    "5 repairs, 3,100 yuan: {:?}",
                    s.measures.spend_windows
                );
                let mut few = member_at(p, "standard", 180);
                for on in [
                    "2026-04-01",
                    "2026-05-01",
                    "2026-06-01",
                    "2026-07-01",
                    "2026-08-01",
                ] {
                    few.order(on, &[(Category::Parts, 500)]);
                }
                ensure!(
                    tier_of(&few.project(p, "2026-08-01")) == "standard",
                    "2,500 yuan is not enough"
                );
                Ok(())
            },
        ),
        (
            "l.51 Silver: a Standard member refers 2 new customers",
            |p| {
                let p = &without_referral_points(p);
                let mut m = member_at(p, "standard", 180);
                m.refer("2026-04-01", 1);
                ensure!(
                    tier_of(&m.project(p, "2026-04-01")) == "standard",
                    "one referral"
                );
                m.refer("2026-04-02", 2);
                ensure!(
                    tier_of(&m.project(p, "2026-04-02")) == "silver",
                    "two referrals"
                );
                Ok(())
            },
        ),
        ("l.51 Silver: fee 280 yuan", |p| {
            ensure!(
                p.tier(&tier("silver")).unwrap().fee == Some(yuan(280)),
                "fee"
            );
            let direct = member_at(p, "silver", 280).project(p, "2026-03-01");
            ensure!(
                tier_of(&direct) == "silver" && direct.violations.is_empty(),
                "{direct:?}"
            );
            let mut m = member_at(p, "standard", 180);
            let member = m.id;
            m.push(
                "2026-05-01",
                EventBody::TierPurchased {
                    member,
                    tier: tier("silver"),
                    fee: yuan(280),
                    receipt: Some(receipt("F-280")),
                },
            );
            let s = m.project(p, "2026-05-01");
            ensure!(tier_of(&s) == "silver" && s.violations.is_empty(), "{s:?}");
            Ok(())
        }),
        ("l.51 Gold: 200 points", |p| {
            let mut m = member_at(p, "standard", 180);
            m.order("2026-04-01", &[(Category::Parts, 9950)]);
            ensure!(
                tier_of(&m.project(p, "2026-04-01")) == "silver",
                "199 points"
            );
            m.order("2026-04-02", &[(Category::Parts, 50)]);
            ensure!(tier_of(&m.project(p, "2026-04-02")) == "gold", "200 points");
            Ok(())
        }),
        ("l.51 Gold: special contribution to the club", |p| {
            let mut m = member_at(p, "standard", 180);
            m.grant_tier("2026-04-01", "gold");
            ensure!(
                tier_of(&m.project(p, "2026-04-01")) == "gold",
                "manual grant"
            );
            Ok(())
        }),
        ("l.51 Gold: a Standard member refers ≥4", |p| {
            let p = &without_referral_points(p);
            let mut m = member_at(p, "standard", 180);
            for n in 1..=3 {
                m.refer("2026-04-01", n);
            }
            ensure!(
                tier_of(&m.project(p, "2026-04-01")) == "silver",
                "three referrals"
            );
            m.refer("2026-04-02", 4);
            ensure!(
                tier_of(&m.project(p, "2026-04-02")) == "gold",
                "four referrals"
            );
            Ok(())
        }),
        ("l.51 Gold: a Silver member refers ≥2", |p| {
            let p = &without_referral_points(p);
            let mut m = member_at(p, "silver", 280);
            m.refer("2026-04-01", 1);
            ensure!(
                tier_of(&m.project(p, "2026-04-01")) == "silver",
                "one referral"
            );
            m.refer("2026-04-02", 2);
            ensure!(
                tier_of(&m.project(p, "2026-04-02")) == "gold",
                "two referrals"
            );
            Ok(())
        }),
        ("l.51 Gold: cannot be bought", |p| {
            ensure!(
                p.tier(&tier("gold")).unwrap().fee.is_none(),
                "gold has a fee"
            );
            let mut m = member_at(p, "standard", 180);
            let member = m.id;
            m.push(
                "2026-05-01",
                EventBody::TierPurchased {
                    member,
                    tier: tier("gold"),
                    fee: yuan(500),
                    receipt: Some(receipt("F-500")),
                },
            );
            let s = m.project(p, "2026-05-01");
            ensure!(
                rejected(&s, Rejection::NotPurchasable) && tier_of(&s) == "standard",
                "{s:?}"
            );
            Ok(())
        }),
        ("l.52 valid for 2 years / 2 years / 3 years", |p| {
            let s = member_at(p, "standard", 180).project(p, "2026-03-01");
            ensure!(
                s.valid_until == Some(day("2028-02-29")),
                "standard {:?}",
                s.valid_until
            );
            let s = member_at(p, "silver", 280).project(p, "2026-03-01");
            ensure!(
                s.valid_until == Some(day("2028-02-29")),
                "silver {:?}",
                s.valid_until
            );
            let mut m = member_at(p, "standard", 180);
            m.grant_tier("2026-03-01", "gold");
            let s = m.project(p, "2026-03-01");
            ensure!(
                s.valid_until == Some(day("2029-02-28")),
                "gold {:?}",
                s.valid_until
            );
            Ok(())
        }),
        ("l.53 labor discount 5 % / 10 % / 20 %", |p| {
            for (t, want) in [("standard", 5), ("silver", 10), ("gold", 20)] {
                let got = percent(p, t, Category::Labor)?;
                ensure!(got == want, "{t}: {got} %");
            }
            Ok(())
        }),
        ("l.54 free washes / year 10 / 20 / 25", |p| {
            for (t, want) in [("standard", 10), ("silver", 20), ("gold", 25)] {
                let s = member_in(p, t).project(p, "2026-03-02");
                let wash = s
                    .benefits
                    .iter()
                    .find(|b| b.benefit.id().as_str() == "free_wash");
                ensure!(
                    wash.and_then(|w| w.remaining) == Some(want),
                    "{t}: {wash:?}"
                );
            }
            Ok(())
        }),
        ("l.55 loaner car 15 % off / 20 % off / —", |p| {
            for (t, want) in [("standard", 15), ("silver", 20), ("gold", 0)] {
                let got = percent(p, t, Category::Loaner)?;
                ensure!(got == want, "{t}: {got} %");
            }
            Ok(())
        }),
        (
            "l.56 towing: 10 km / 20 km free outside the city; Gold within the outer ring",
            |p| {
                for (t, want) in [("standard", 10), ("silver", 20)] {
                    ensure!(
                        matches!(benefit_of(p, t, "towing_outside")?, Benefit::FreeKm { km, .. } if *km == want),
                        "{t}"
                    );
                    ensure!(
                        matches!(benefit_of(p, t, "towing_city")?, Benefit::Service { .. }),
                        "{t} in city"
                    );
                }
                ensure!(
                    matches!(
                        benefit_of(p, "gold", "towing_outer_ring")?,
                        Benefit::Service { .. }
                    ),
                    "gold"
                );
                Ok(())
            },
        ),
        (
            "l.57 other services; one alignment a year; rental 15 % off; styling 20 % off",
            |p| {
                for (t, id) in [
                    ("standard", "registration_agency"),
                    ("standard", "claim_agency"),
                    ("silver", "inspection_agency"),
                    ("gold", "emergency_repair"),
                    ("gold", "inspection_agency"),
                ] {
                    benefit_of(p, t, id)?;
                }
                ensure!(
                    matches!(
                        benefit_of(p, "silver", "wheel_alignment")?,
                        Benefit::Allowance { per_year: 1, .. }
                    ),
                    "alignment"
                );
                ensure!(percent(p, "silver", Category::Rental)? == 15, "rental");
                ensure!(percent(p, "gold", Category::Styling)? == 20, "styling");
                Ok(())
            },
        ),
        ("l.59 repair spend 1 point / 50 yuan", |p| {
            ensure!(
                earned(p, "standard", Category::Parts, 549) == Points::new(10),
                "549 yuan of parts"
            );
            // 1,000 yuan of labor less the 5 % card discount is 950 yuan paid: 19 points.
            ensure!(
                earned(p, "standard", Category::Labor, 1000) == Points::new(19),
                "labor"
            );
            Ok(())
        }),
        ("l.59 insurance premium 1 point / 300 yuan", |p| {
            ensure!(
                earned(p, "standard", Category::Insurance, 3000) == Points::new(10),
                "3,000 yuan"
            );
            ensure!(
                earned(p, "standard", Category::Insurance, 299) == Points::ZERO,
                "299 yuan"
            );
            Ok(())
        }),
        ("l.59 joining a member event 5", |p| {
            let mut m = member_at(p, "standard", 180);
            m.attend("2026-04-01");
            ensure!(m.project(p, "2026-04-01").points == Points::new(5), "event");
            Ok(())
        }),
        ("l.60 referring a new customer 50", |p| {
            let mut m = member_at(p, "standard", 180);
            m.refer("2026-04-01", 1);
            ensure!(
                m.project(p, "2026-04-01").points == Points::new(50),
                "referral"
            );
            Ok(())
        }),
        ("l.60 renewal within 30 days before expiry", |p| {
            // Valid until 2028-02-29; the window opens 30 days before, on 2028-01-30.
            let mut early = member_at(p, "standard", 180);
            early.renew("2028-01-29", 180);
            let s = early.project(p, "2028-01-29");
            ensure!(
                rejected(&s, Rejection::OutsideRenewalWindow) && !s.renewal_open,
                "{:?}",
                s.violations
            );
            let mut m = member_at(p, "standard", 180);
            ensure!(m.project(p, "2028-01-30").renewal_open, "window open");
            m.renew("2028-01-30", 180);
            let s = m.project(p, "2028-03-01");
            ensure!(
                s.status == Status::Active && s.valid_until == Some(day("2030-02-28")),
                "{:?} {:?}",
                s.status,
                s.valid_until
            );
            Ok(())
        }),
        ("l.60 late: lapses, card void, points cleared", |p| {
            let mut m = member_at(p, "standard", 180);
            m.attend("2026-04-01");
            m.renew("2028-03-01", 180);
            let s = m.project(p, "2028-03-01");
            ensure!(
                s.status == Status::Lapsed && s.points == Points::ZERO,
                "{:?} {}",
                s.status,
                s.points
            );
            ensure!(
                s.cards
                    .iter()
                    .all(|c| c.status == carclub_shared::projection::CardStatus::Void),
                "{:?}",
                s.cards
            );
            ensure!(
                rejected(&s, Rejection::OutsideRenewalWindow),
                "{:?}",
                s.violations
            );
            Ok(())
        }),
        ("l.61 refunded in full within 30 days", |p| {
            for (on, want) in [("2026-03-30", 180), ("2026-03-31", 0)] {
                let mut m = member_at(p, "standard", 180);
                let member = m.id;
                m.push(
                    on,
                    EventBody::WithdrawalRequested {
                        member,
                        reason: WithdrawalReason::FirstServiceDisappointing,
                    },
                );
                m.push(
                    on,
                    EventBody::WithdrawalDecided {
                        member,
                        accepted: true,
                    },
                );
                let s = m.project(p, on);
                ensure!(
                    s.status == Status::Withdrawn && s.refund_due == Some(yuan(want)),
                    "{on}: {:?}",
                    s.refund_due
                );
            }
            Ok(())
        }),
    ];
    run("A", cases);
}

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
                    s.cards.iter().any(|c| c.number.as_str() == "T0001"
                        && c.status == carclub_shared::projection::CardStatus::Expired),
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

/// The labor discount percent the member gets on `on`.
fn percent_in(p: &Program, m: &Member, on: &str, category: Category) -> u32 {
    let s = m.project(p, on);
    let order = Order {
        lines: vec![OrderLine {
            category,
            amount: yuan(1000),
        }],
        card: Some(m.card.clone()),
        ..Order::default()
    };
    quote(p, &s, &order, day(on)).lines[0].discount_percent
}

#[test]
fn preset_c_chezhuhui() {
    let cases: &[(&str, Check)] = &[
        (
            "l.81 Regular (prospect) → Green (every verified owner)",
            |p| {
                ensure!(
                    p.tier(&tier("regular")).unwrap().entry
                        && p.tier(&tier("green")).unwrap().entry,
                    "entry tiers"
                );
                let mut m = member_at(p, "regular", 0);
                ensure!(
                    m.project(p, "2026-03-01").violations.is_empty(),
                    "free to join"
                );
                m.grant_tier("2026-04-01", "green");
                ensure!(
                    tier_of(&m.project(p, "2026-04-01")) == "green",
                    "verified owner"
                );
                Ok(())
            },
        ),
        ("l.81 Green 1-star: referred ≥3 buyers", |p| {
            let mut m = member_at(p, "green", 0);
            m.refer("2026-04-01", 1);
            m.refer("2026-04-01", 2);
            ensure!(tier_of(&m.project(p, "2026-04-01")) == "green", "two");
            m.refer("2026-04-02", 3);
            ensure!(tier_of(&m.project(p, "2026-04-02")) == "green1", "three");
            Ok(())
        }),
        ("l.82 Green 2-star: referred ≥5 buyers", |p| {
            let mut m = member_at(p, "green", 0);
            for n in 1..=4 {
                m.refer("2026-04-01", n);
            }
            ensure!(tier_of(&m.project(p, "2026-04-01")) == "green1", "four");
            m.refer("2026-04-02", 5);
            ensure!(
                tier_of(&m.project(p, "2026-04-02")) == "green2",
                "five in all"
            );
            Ok(())
        }),
        ("l.82 Green 2-star: confirmed VIP applicant", |p| {
            let mut m = member_at(p, "green", 0);
            m.grant_tier("2026-04-01", "green2");
            ensure!(tier_of(&m.project(p, "2026-04-01")) == "green2", "manual");
            let mut r = member_at(p, "regular", 0);
            r.grant_tier("2026-04-01", "green2");
            ensure!(
                rejected(&r.project(p, "2026-04-01"), Rejection::NotGrantable),
                "a prospect is not a green member"
            );
            Ok(())
        }),
        (
            "l.83 Gold: a second car of the brand, two vehicles on file",
            |p| {
                let mut m = member_at(p, "green", 0);
                let member = m.id;
                m.push(
                    "2026-06-01",
                    EventBody::VehicleAdded {
                        member,
                        vehicle: Vehicle {
                            vin: vin(77),
                            plate: Plate::parse("粤B54321").unwrap(),
                            model: None,
                        },
                        card: Some(card("C77000001")),
                    },
                );
                let s = m.project(p, "2026-06-01");
                ensure!(
                    tier_of(&s) == "gold" && s.measures.vehicles == 2,
                    "{} {:?}",
                    tier_of(&s),
                    s.measures
                );
                ensure!(
                    s.cards.len() == 2 && s.violations.is_empty(),
                    "{:?}",
                    s.violations
                );
                Ok(())
            },
        ),
        (
            "l.83 Gold: 30,000 points within 24 months of which ≥10,000 from parts",
            |p| {
                let mut m = member_at(p, "green", 0);
                m.order("2026-04-01", &[(Category::Parts, 9_999)]);
                m.order("2027-04-01", &[(Category::Insurance, 20_001)]);
                let s = m.project(p, "2027-04-01");
                ensure!(
                    tier_of(&s) == "green",
                    "9,999 from parts: {:?}",
                    s.measures.spend_windows
                );
                m.order("2027-05-01", &[(Category::Parts, 1)]);
                let s = m.project(p, "2027-05-01");
                ensure!(tier_of(&s) == "gold", "{:?}", s.measures.spend_windows);
                let mut slow = member_at(p, "green", 0);
                slow.order("2026-04-01", &[(Category::Parts, 10_000)]);
                slow.order("2028-04-02", &[(Category::Insurance, 20_000)]);
                ensure!(
                    tier_of(&slow.project(p, "2028-04-02")) == "green",
                    "more than 24 months apart"
                );
                Ok(())
            },
        ),
    ];
    run("C", cases);
}
