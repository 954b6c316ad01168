//! Loading a program file and checking it.
//!
//! serde catches the shape (a missing field, a wrong type, an unknown key); `validate` catches
//! what only the whole program can tell: an upgrade to a tier that does not exist, a discount of
//! 120 %, a grace exclusion naming no benefit. Every error carries the path of the field, so a
//! club manager editing a file sees which line to fix.

use std::collections::HashSet;

use super::model::*;

/// Why a program could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// The TOML text does not have the program's shape.
    #[error("program file is not valid: {0}")]
    Toml(String),
    /// The JSON text does not have the program's shape.
    #[error("program file is not valid: {0}")]
    Json(String),
    /// A field holds a value the program cannot run with.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ProgramError {
    ProgramError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(super) fn from_toml_str(text: &str) -> Result<Program, ProgramError> {
    let program: Program = toml::from_str(text).map_err(|e| ProgramError::Toml(e.to_string()))?;
    validate(&program)?;
    Ok(program)
}

pub(super) fn from_json_str(text: &str) -> Result<Program, ProgramError> {
    let program: Program =
        serde_json::from_str(text).map_err(|e| ProgramError::Json(e.to_string()))?;
    validate(&program)?;
    Ok(program)
}

pub(super) fn validate(p: &Program) -> Result<(), ProgramError> {
    if p.name.trim().is_empty() {
        return Err(bad("name", "must not be empty"));
    }
    if p.tiers.is_empty() {
        return Err(bad("tiers", "a program needs at least one tier"));
    }
    let mut ids = HashSet::new();
    for (i, t) in p.tiers.iter().enumerate() {
        let at = |f: &str| format!("tiers[{i}].{f}");
        if !ids.insert(&t.id) {
            return Err(bad(
                at("id"),
                format!("tier {:?} appears twice", t.id.as_str()),
            ));
        }
        if t.name.trim().is_empty() {
            return Err(bad(at("name"), "must not be empty"));
        }
        for (f, fee) in [("fee", t.fee), ("renewal_fee", t.renewal_fee)] {
            if fee.is_some_and(|m| m.fen() < 0) {
                return Err(bad(at(f), "must not be negative"));
            }
        }
        if t.validity.is_zero() {
            return Err(bad(at("validity"), "a term must last at least one day"));
        }
        if t.entry && t.fee.is_none() && t.gift_on_purchase {
            return Err(bad(
                at("gift_on_purchase"),
                "a free tier needs no gift flag; set a fee or drop the flag",
            ));
        }
        let mut benefit_ids = HashSet::new();
        for (j, b) in t.benefits.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}].benefits[{j}].{f}");
            if !benefit_ids.insert(b.id()) {
                return Err(bad(
                    at("id"),
                    format!("benefit {:?} appears twice", b.id().as_str()),
                ));
            }
            match b {
                Benefit::Allowance { per_year: 0, .. } => {
                    return Err(bad(at("per_year"), "must be at least 1"));
                }
                Benefit::Discount { percent, .. } if !(1..=100).contains(percent) => {
                    return Err(bad(at("percent"), "must be between 1 and 100"));
                }
                Benefit::Discount { applies_to, .. } if applies_to.is_empty() => {
                    return Err(bad(at("applies_to"), "name at least one category"));
                }
                _ => {}
            }
        }
    }
    if !p.tiers.iter().any(|t| t.entry) {
        return Err(bad("tiers", "at least one tier must have entry = true"));
    }
    for (i, r) in p.earning.rates.iter().enumerate() {
        if r.yuan_per_point == 0 {
            return Err(bad(
                format!("earning.rates[{i}].yuan_per_point"),
                "must be at least 1",
            ));
        }
        if p.earning.rates[..i]
            .iter()
            .any(|o| o.category == r.category)
        {
            return Err(bad(
                format!("earning.rates[{i}].category"),
                "category has two rates",
            ));
        }
    }
    for (i, u) in p.upgrades.iter().enumerate() {
        let at = |f: &str| format!("upgrades[{i}].{f}");
        let to = p
            .rank(&u.to)
            .ok_or_else(|| bad(at("to"), format!("no tier {:?}", u.to.as_str())))?;
        for (k, from) in u.from.iter().enumerate() {
            match p.rank(from) {
                None => {
                    return Err(bad(
                        at(&format!("from[{k}]")),
                        format!("no tier {:?}", from.as_str()),
                    ));
                }
                Some(r) if r >= to => {
                    return Err(bad(
                        at(&format!("from[{k}]")),
                        "must be a lower tier than `to`",
                    ));
                }
                Some(_) => {}
            }
        }
        if to == 0 {
            return Err(bad(at("to"), "the lowest tier cannot be an upgrade"));
        }
        if u.any_of.is_empty() {
            return Err(bad(at("any_of"), "name at least one condition"));
        }
        for (k, c) in u.any_of.iter().enumerate() {
            let at = |f: &str| format!("upgrades[{i}].any_of[{k}].{f}");
            match c {
                Condition::Spend { months: 0, .. } => {
                    return Err(bad(at("months"), "must be at least 1"));
                }
                Condition::Spend {
                    min_points: None,
                    min_amount: None,
                    min_orders: None,
                    of_which: None,
                    ..
                } => {
                    return Err(bad(at("min_points"), "a spend condition needs a minimum"));
                }
                Condition::Referrals { at_least: 0, .. } | Condition::Vehicles { at_least: 0 } => {
                    return Err(bad(at("at_least"), "must be at least 1"));
                }
                Condition::MaintenanceStreak {
                    years: 0, km: 0, ..
                } => {
                    return Err(bad(at("years"), "years or km must be set"));
                }
                Condition::MaintenanceStreak {
                    max_gap_months: 0, ..
                } => {
                    return Err(bad(at("max_gap_months"), "must be at least 1"));
                }
                _ => {}
            }
        }
    }
    for (i, b) in p.renewal.grace_excludes.iter().enumerate() {
        if !p.tiers.iter().any(|t| t.benefit(b).is_some()) {
            return Err(bad(
                format!("renewal.grace_excludes[{i}]"),
                format!("no tier has benefit {:?}", b.as_str()),
            ));
        }
    }
    if p.renewal.window.is_zero() {
        return Err(bad(
            "renewal.window",
            "renewal must open at least one day before expiry",
        ));
    }
    if p.cards.reissue_fee.fen() < 0 {
        return Err(bad("cards.reissue_fee", "must not be negative"));
    }
    if p.cards.temporary_validity.is_zero() {
        return Err(bad(
            "cards.temporary_validity",
            "a temporary card must work at least one day",
        ));
    }
    for (i, r) in p.redemption.iter().enumerate() {
        if r.points.get() == 0 {
            return Err(bad(format!("redemption[{i}].points"), "must be at least 1"));
        }
        if r.value.fen() <= 0 {
            return Err(bad(format!("redemption[{i}].value"), "must be positive"));
        }
        if p.redemption[..i].iter().any(|o| o.points == r.points) {
            return Err(bad(
                format!("redemption[{i}].points"),
                "appears twice in the catalogue",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = include_str!("../../presets/a.toml");

    fn invalid_field(text: &str) -> String {
        match from_toml_str(text) {
            Err(ProgramError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_bad_field() {
        let cases = [
            (A.replace("fee = 28000", "fee = -1"), "tiers[1].fee"),
            (A.replace("id = \"gold\"", "id = \"silver\""), "tiers[2].id"),
            (
                A.replace("percent = 10,", "percent = 120,"),
                "tiers[1].benefits[0].percent",
            ),
            (
                A.replace("per_year = 25", "per_year = 0"),
                "tiers[2].benefits[1].per_year",
            ),
            (
                A.replace("yuan_per_point = 300", "yuan_per_point = 0"),
                "earning.rates[3].yuan_per_point",
            ),
            (
                A.replacen("to = \"silver\"", "to = \"platinum\"", 1),
                "upgrades[0].to",
            ),
            (
                A.replacen("from = [\"silver\"]", "from = [\"gold\"]", 1),
                "upgrades[4].from[0]",
            ),
            (
                A.replace("window = { days = 30 }", "window = { days = 0 }"),
                "renewal.window",
            ),
            (
                A.replace(
                    "temporary_validity = { days = 3 }",
                    "temporary_validity = {}",
                ),
                "cards.temporary_validity",
            ),
        ];
        for (text, field) in cases {
            assert_eq!(invalid_field(&text), field);
        }
        let err =
            from_toml_str(&A.replace("validity = { months = 36 }", "validity = { months = 0 }"))
                .unwrap_err()
                .to_string();
        assert_eq!(err, "tiers[2].validity: a term must last at least one day");
    }

    #[test]
    fn shape_errors_say_where() {
        let err = from_toml_str(&A.replace("event_attended = 5", "event_attended = \"five\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("event_attended"), "{err}");
        let err = from_toml_str(&A.replace("[cards]", "[cards]\ncolour = \"gold\"")).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        let err = from_json_str("{\"name\": \"x\"}").unwrap_err();
        assert!(matches!(err, ProgramError::Json(_)), "{err}");
    }

    #[test]
    fn json_and_toml_load_the_same_program() {
        let program = from_toml_str(A).unwrap();
        let json = serde_json::to_string(&program).unwrap();
        assert_eq!(from_json_str(&json).unwrap(), program);
    }
}
