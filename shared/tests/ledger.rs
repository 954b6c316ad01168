//! The member's ledger as a table: each case is a member's story (DOMAIN.md §3, §4), the entries
//! the ledger shows (type, points moved, balance after), and for every case the same checks: the
//! balances chain (each is the one before plus the movement), and the last balance is the
//! projection's, so the ledger's arithmetic is the engine's.

mod common;

use carclub_shared::events::*;
use carclub_shared::program::{Program, UpgradeMode};
use carclub_shared::projection::{LedgerEntry, Status, Violation, ledger, project};
use carclub_shared::*;
use common::*;

/// A story: the program, the member's events, and the day the ledger is read.
type Story = fn() -> (Program, Member, &'static str);

/// One expected line: type, points moved, balance after.
type Line = (&'static str, i64, u64);

fn lines(entries: &[LedgerEntry]) -> Vec<(String, i64, u64)> {
    entries
        .iter()
        .map(|e| (e.kind.clone(), e.points, e.balance.get()))
        .collect()
}

#[test]
fn the_ledger_shows_each_movement_with_the_engines_balance() {
    let cases: &[(&str, Story, &[Line])] = &[
        (
            "§3 A: repair spend 1 point / 50 yuan, after the 5 % labor discount (1,000 → 950 → 19)",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "standard", 180);
                m.order("2026-03-10", &[(Category::Labor, 1000)]);
                (preset("A"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 19, 19),
            ],
        ),
        (
            "§3 A: 100 points make a Standard member Silver by themselves; points carry over",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "standard", 180);
                // 6,000 yuan of labor less 5 % = 5,700 paid = 114 points.
                m.order("2026-03-10", &[(Category::Labor, 6000)]);
                (preset("A"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 114, 114),
                ("upgraded", 0, 114),
            ],
        ),
        (
            "§3 A: late renewal → membership lapses, points cleared (between events)",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "standard", 180);
                m.order("2026-03-10", &[(Category::Labor, 1000)]);
                // The term ends 2028-02-29; an order the day after lapse earns nothing.
                m.order("2028-03-05", &[(Category::Labor, 1000)]);
                (preset("A"), m, "2028-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 19, 19),
                ("lapsed", -19, 0),
                ("order_settled", 0, 0),
            ],
        ),
        (
            "§3 A: points cleared at lapse show even with no event after it",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "standard", 180);
                m.order("2026-03-10", &[(Category::Labor, 1000)]);
                (preset("A"), m, "2028-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 19, 19),
                ("lapsed", -19, 0),
            ],
        ),
        (
            "§3 B: 1 point per 10 yuan in cash; 500 points redeemed for 100 yuan; a benefit moves none",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.order("2026-03-10", &[(Category::Cash, 6000)]);
                m.use_benefit("2026-03-11", "free_wash", 30);
                m.redeem("2026-03-12", 500);
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 600, 600),
                ("benefit_used", 0, 600),
                ("points_redeemed", -500, 100),
            ],
        ),
        (
            "§3 B: a redemption beyond the balance is not deducted",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.order("2026-03-10", &[(Category::Cash, 6000)]);
                m.redeem("2026-03-12", 1000);
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 600, 600),
                ("points_redeemed", 0, 600),
            ],
        ),
        (
            "§3 B: points reset to zero on an approved upgrade",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.order("2026-03-10", &[(Category::Cash, 11_000)]);
                let member = m.id;
                m.push(
                    "2026-03-20",
                    EventBody::UpgradeApproved {
                        member,
                        tier: tier("silver"),
                    },
                );
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 1100, 1100),
                ("upgrade_approved", -1100, 0),
            ],
        ),
        (
            "§3 B with automatic upgrades: the reset is the engine's own movement after the order",
            || {
                let mut p = preset("B");
                for rule in &mut p.upgrades {
                    rule.mode = UpgradeMode::Automatic;
                }
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.order("2026-03-10", &[(Category::Cash, 11_000)]);
                (p, m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 1100, 1100),
                ("upgraded", -1100, 0),
            ],
        ),
        (
            "§4 one slip earns points once: the same receipt settled twice earns nothing the second time",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                let order = Order {
                    receipt: Some(receipt("W-1")),
                    lines: vec![OrderLine {
                        category: Category::Cash,
                        amount: yuan(1000),
                    }],
                    card: Some(m.card.clone()),
                    ..Order::default()
                };
                m.settle("2026-03-10", order.clone());
                m.settle("2026-03-11", order);
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 100, 100),
                ("order_settled", 0, 100),
            ],
        ),
        (
            "§3 B withdrawal: points cleared when the club accepts it",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.order("2026-03-10", &[(Category::Cash, 1000)]);
                let member = m.id;
                m.push(
                    "2026-03-15",
                    EventBody::WithdrawalRequested {
                        member,
                        reason: WithdrawalReason::FirstServiceDisappointing,
                    },
                );
                m.push(
                    "2026-03-16",
                    EventBody::WithdrawalDecided {
                        member,
                        accepted: true,
                    },
                );
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 100, 100),
                ("withdrawal_requested", 0, 100),
                ("withdrawal_decided", -100, 0),
            ],
        ),
        (
            "events after the day read are left out; an event recorded twice shows once",
            || {
                let mut m = Member::new(1);
                m.join("2026-03-01", "guest", 300);
                m.attend("2026-03-05");
                let again = m.events.last().cloned().expect("the attendance");
                m.events.push(again);
                m.attend("2026-05-05");
                (preset("B"), m, "2026-04-01")
            },
            &[
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("event_attended", 10, 10),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, story, expected) in cases {
        let (program, member, on) = story();
        let entries = ledger(&program, &member.events, day(on));
        let want: Vec<(String, i64, u64)> = expected
            .iter()
            .map(|(k, p, b)| ((*k).to_owned(), *p, *b))
            .collect();
        if lines(&entries) != want {
            failures.push(format!(
                "{name}:\n  got  {:?}\n  want {want:?}",
                lines(&entries)
            ));
            continue;
        }
        let mut balance = 0i64;
        for e in &entries {
            balance += e.points;
            if balance != e.balance.get() as i64 {
                failures.push(format!("{name}: the balances do not chain at {}", e.kind));
            }
        }
        let state = project(&program, &member.events, day(on));
        if entries.last().map(|e| e.balance) != Some(state.points) {
            failures.push(format!(
                "{name}: the ledger ends at {:?}, the projection at {}",
                entries.last().map(|e| e.balance),
                state.points
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn entries_carry_receipts_money_authors_and_what_the_engine_refused() {
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    let order = Order {
        receipt: Some(receipt("W-7")),
        lines: vec![
            OrderLine {
                category: Category::Labor,
                amount: yuan(1000),
            },
            OrderLine {
                category: Category::Cash,
                amount: yuan(5000),
            },
        ],
        card: Some(m.card.clone()),
        ..Order::default()
    };
    let settled = m.settle("2026-03-10", order);
    let used = m.use_benefit("2026-03-11", "free_wash", 30);
    let redeemed = m.redeem("2026-03-12", 500);
    let overdrawn = m.redeem("2026-03-13", 500);
    let program = preset("B");
    let entries = ledger(&program, &m.events, day("2026-04-01"));
    let by = |id: EventId| {
        entries
            .iter()
            .find(|e| e.event == Some(id))
            .expect("the event's entry")
    };

    let enrolled = &entries[0];
    assert_eq!(enrolled.kind, "enrolled");
    assert_eq!(enrolled.amount, Some(yuan(300)), "the fee paid");
    assert!(enrolled.receipt.is_some(), "the fee's receipt");
    assert_eq!(enrolled.status, Status::Pending);
    assert_eq!(entries[1].status, Status::Active);

    // Guest: 5 % off labor (50 yuan); 950 + 5,000 = 5,950 yuan paid, 595 points.
    let order = by(settled);
    assert_eq!(order.receipt, Some(receipt("W-7")));
    assert_eq!(
        (order.amount, order.discount),
        (Some(yuan(6000)), Some(yuan(50)))
    );
    assert_eq!((order.points, order.balance), (595, Points::new(595)));
    assert_eq!(order.author, Some(m.events[2].author));
    assert!(
        order.description.contains("595 points"),
        "{}",
        order.description
    );

    let wash = by(used);
    assert_eq!((wash.points, wash.amount), (0, Some(yuan(30))));
    assert!(
        wash.description.contains("free wash"),
        "{}",
        wash.description
    );

    // 001: 500 points → 100 yuan.
    let r = by(redeemed);
    assert_eq!(
        (r.points, r.balance, r.amount),
        (-500, Points::new(95), Some(yuan(100)))
    );
    assert!(r.violations.is_empty());

    // 95 points left: a second redemption of 500 is not deducted, and says why.
    let o = by(overdrawn);
    assert_eq!((o.points, o.balance), (0, Points::new(95)));
    assert!(
        o.violations
            .iter()
            .any(|v| matches!(v, Violation::PointsOverdrawn { .. })),
        "{:?}",
        o.violations
    );

    // A refused event says it had no effect.
    let mut late = Member::new(2);
    late.redeem("2026-03-01", 500);
    let refused = ledger(&program, &late.events, day("2026-04-01"));
    assert!(
        refused[0].description.ends_with("(not applied)"),
        "{}",
        refused[0].description
    );
}

#[test]
fn a_lapse_is_dated_the_first_day_without_membership() {
    // §3 B: one year, benefits continue one month after expiry; then the membership lapses.
    let program = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    m.order("2026-03-10", &[(Category::Cash, 1000)]);
    let during = project(&program, &m.events, day("2026-04-01"));
    let grace_until = during.grace_until.expect("a grace period");
    let entries = ledger(&program, &m.events, day("2027-06-01"));
    let lapse = entries.last().expect("entries");
    assert_eq!(lapse.kind, "lapsed");
    assert_eq!(lapse.event, None);
    assert_eq!(lapse.at.date(), grace_until.next_day().unwrap());
    assert_eq!((lapse.points, lapse.balance), (-100, Points::ZERO));
    assert_eq!(lapse.status, Status::Lapsed);
    // Read on the last day of grace, nothing has lapsed yet.
    let before = ledger(&program, &m.events, grace_until);
    assert!(before.iter().all(|e| e.kind != "lapsed"));
}
