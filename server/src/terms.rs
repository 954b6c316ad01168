//! The membership terms a store's program sets for joining: which tiers exist, which can be bought
//! and for what fee.

use carclub_shared::{Money, TierId};
use serde::Serialize;

/// The joining terms of one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierTerms {
    pub id: String,
    pub name: String,
    /// The fee to buy it; `None` when it cannot be bought.
    pub fee_fen: Option<i64>,
}

/// Every tier of `program`, in order, with its joining terms.
pub fn tiers(program: &str) -> Vec<TierTerms> {
    let t = |id: &str, name: &str, fee: Option<i64>| TierTerms {
        id: id.into(),
        name: name.into(),
        fee_fen: fee.map(|y| Money::from_yuan(y).fen()),
    };
    match program {
        "A" => vec![
            t("standard", "一般卡", Some(180)),
            t("silver", "银卡", Some(280)),
            t("gold", "金卡", None),
        ],
        _ => Vec::new(),
    }
}

/// The terms of `tier` in `program`.
pub fn tier(program: &str, tier: &TierId) -> Option<TierTerms> {
    tiers(program).into_iter().find(|t| t.id == tier.as_str())
}
