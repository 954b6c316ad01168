//! The joining terms of a store's program (from the program engine): which tiers a person can
//! join at, and for what fee.

use carclub_shared::TierId;
use carclub_shared::program::Program;
use serde::Serialize;

/// The joining terms of one tier, as devices receive them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierTerms {
    pub id: String,
    pub name: String,
    /// The fee to join at this tier; `None` when one cannot join at it (earned only).
    pub fee_fen: Option<i64>,
    /// Given free with a car bought at the store.
    pub gift_on_purchase: bool,
}

/// The program a store runs, by its name (a preset).
pub fn program(name: &str) -> Option<Program> {
    Program::preset(name)
}

fn terms(tier: &carclub_shared::program::Tier) -> TierTerms {
    TierTerms {
        id: tier.id.to_string(),
        name: tier.name.clone(),
        fee_fen: tier.fee.filter(|_| tier.entry).map(|m| m.fen()),
        gift_on_purchase: tier.gift_on_purchase,
    }
}

/// Every tier of `program`, in order, with its joining terms.
pub fn tiers(program_name: &str) -> Vec<TierTerms> {
    program(program_name)
        .map(|p| p.tiers.iter().map(terms).collect())
        .unwrap_or_default()
}

/// The terms of `tier` in `program`.
pub fn tier(program_name: &str, tier: &TierId) -> Option<TierTerms> {
    program(program_name).and_then(|p| p.tier(tier).map(terms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_a_joining_terms() {
        // DOMAIN.md §3 preset A: Standard 180 yuan, Silver 280 yuan, Gold cannot be bought.
        let t = tiers("A");
        let fees: Vec<(&str, Option<i64>)> = t.iter().map(|t| (t.id.as_str(), t.fee_fen)).collect();
        assert_eq!(
            fees,
            vec![
                ("standard", Some(18000)),
                ("silver", Some(28000)),
                ("gold", None)
            ]
        );
        assert!(t[0].gift_on_purchase);
    }
}
