//! Membership programs: the rules of one club, as data.
//!
//! The handbooks disagree on tiers, rates and policies, so the program is configuration, not
//! code. A program is loaded from TOML or JSON through one validating loader that names the bad
//! field; the three handbook programs ship as presets A, B and C (DOMAIN.md §3) and go through
//! the same loader, so a preset can never be in a state a file could not express.

mod load;
mod model;
mod presets;

pub use load::ProgramError;
pub use model::*;

use crate::types::TierId;

impl Program {
    /// A handbook preset by name: "A", "B" or "C", case-insensitive.
    pub fn preset(name: &str) -> Option<Program> {
        presets::preset(name)
    }

    /// Loads and validates a program written in TOML.
    pub fn from_toml_str(text: &str) -> Result<Program, ProgramError> {
        load::from_toml_str(text)
    }

    /// Loads and validates a program written in JSON.
    pub fn from_json_str(text: &str) -> Result<Program, ProgramError> {
        load::from_json_str(text)
    }

    /// Checks the rules that serde cannot: references between parts, ranges, order.
    pub fn validate(&self) -> Result<(), ProgramError> {
        load::validate(self)
    }

    /// The tier with this id.
    pub fn tier(&self, id: &TierId) -> Option<&Tier> {
        self.tiers.iter().find(|t| &t.id == id)
    }

    /// The tier's position, lowest first.
    pub fn rank(&self, id: &TierId) -> Option<usize> {
        self.tiers.iter().position(|t| &t.id == id)
    }

    /// The tiers a member may join at directly.
    pub fn entry_tiers(&self) -> impl Iterator<Item = &Tier> {
        self.tiers.iter().filter(|t| t.entry)
    }

    /// The catalogue entry for so many points.
    pub fn redemption(&self, points: crate::types::Points) -> Option<&Redemption> {
        self.redemption.iter().find(|r| r.points == points)
    }
}
