//! Every number of DOMAIN.md §3 for preset A, as a table. Each case names the DOMAIN.md line it
//! checks and runs through the engine (join, settle, project, quote), not just the preset data.

mod common;

use carclub_shared::events::*;
use carclub_shared::program::{Benefit, UpgradeMode};
use carclub_shared::projection::{CardStatus, Rejection, Status, Violation};
use carclub_shared::*;
use common::table::*;
use common::*;

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
                s.cards.iter().all(|c| c.status == CardStatus::Void),
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
