//! The club's rules that need the store: accounts and sessions, the permission matrix, audit, the
//! fold of events into member files, the ledger and the club's operations.
//!
//! No axum, no status codes, no JSON shapes of the API: each module returns its own error enum
//! whose variants say what happened, and the HTTP layer maps them to responses in one place.

/// Declares the id type of a club record: a UUIDv7, written as text, usable as a key.
macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new id (UUIDv7: ids sort by time).
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// Reads an id from its text.
            pub fn parse(raw: &str) -> Result<Self, $crate::domain::BadId> {
                uuid::Uuid::parse_str(raw.trim()).map(Self).map_err(|_| $crate::domain::BadId {
                    what: $what,
                    raw: raw.chars().take(64).collect(),
                })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        $crate::display_key!($name);
    };
}

/// Text that should have been a record's id and is not.
#[derive(Debug, thiserror::Error)]
#[error("{what} {raw:?} is not a valid id (a UUID)")]
pub struct BadId {
    pub what: &'static str,
    pub raw: String,
}

pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod cards;
pub mod cardstock;
pub mod care;
pub mod club;
pub mod club_events;
pub mod complaints;
pub mod conflicts;
pub mod contact_changes;
pub mod core;
pub mod device_sync;
pub mod export;
pub mod fold;
pub mod history;
pub mod import;
pub mod kpi;
pub mod ledger;
pub mod member_device;
pub mod members;
pub mod ops;
pub mod partners;
pub mod perm;
pub mod program;
pub mod terms;

pub use self::core::{Core, DocMeta, Limits};
