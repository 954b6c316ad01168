//! Every number of DOMAIN.md §3 for preset C, as a table. Each case names the DOMAIN.md line it
//! checks and runs through the engine (join, settle, project, quote), not just the preset data.

mod common;

use carclub_shared::events::*;
use carclub_shared::projection::Rejection;
use carclub_shared::*;
use common::table::*;
use common::*;

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
