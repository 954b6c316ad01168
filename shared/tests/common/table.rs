//! Helpers for the table-driven preset tests: each case is a DOMAIN.md line and a check that
//! runs it through the engine.

use carclub_shared::events::*;
use carclub_shared::program::{Benefit, Program};
use carclub_shared::projection::{MemberState, Rejection, Violation, quote};
use carclub_shared::*;

use super::*;

/// A case that fails with a message.
pub type Check = fn(&Program) -> Result<(), String>;

pub fn run(preset_name: &str, cases: &[(&str, Check)]) {
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

pub fn member_at(program: &Program, tier_id: &str, fee: i64) -> Member {
    let _ = program;
    let mut m = Member::new(1);
    m.join("2026-03-01", tier_id, fee);
    m
}

pub fn rejected(state: &MemberState, why: Rejection) -> bool {
    state
        .violations
        .iter()
        .any(|v| matches!(v, Violation::Rejected { reason, .. } if *reason == why))
}

pub fn tier_of(state: &MemberState) -> &str {
    state.tier.as_ref().map(|t| t.as_str()).unwrap_or("-")
}

/// A member of `tier_id` since 2026-03-01: joined there when it is an entry tier, else joined at
/// the first entry tier and granted it.
pub fn member_in(program: &Program, tier_id: &str) -> Member {
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
pub fn percent(program: &Program, tier_id: &str, category: Category) -> Result<u32, String> {
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
pub fn benefit_of<'p>(
    program: &'p Program,
    tier_id: &str,
    id: &str,
) -> Result<&'p Benefit, String> {
    program
        .tier(&tier(tier_id))
        .and_then(|t| t.benefit(&benefit(id)))
        .ok_or_else(|| format!("tier {tier_id} has no benefit {id}"))
}

/// Points a fresh member of the entry tier earns for one order line.
pub fn earned(program: &Program, entry: &str, category: Category, y: i64) -> Points {
    let mut m = Member::new(1);
    m.join("2026-03-01", entry, 0);
    m.order("2026-03-02", &[(category, y)]);
    m.project(program, "2026-03-02").measures.points_earned
}

pub fn without_referral_points(program: &Program) -> Program {
    let mut p = program.clone();
    p.earning.referral_converted = Points::ZERO;
    p
}

/// The labor discount percent the member gets on `on`.
pub fn percent_in(p: &Program, m: &Member, on: &str, category: Category) -> u32 {
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
