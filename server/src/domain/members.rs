//! Finding members: the search index over the member records, and pages of the member list.
//!
//! The back office finds a member by how the person at the counter names them: the name (or its
//! start: the family name), the phone number, the card number, the VIN or the plate — or the start
//! or the end of any of these numbers (the last four digits of a phone, the last six of a VIN).
//! The index holds each of these keys, and the reversed numbers for "ends with", in one ordered
//! set, so a search is a few range reads, never a scan of every member. Lists are in member id
//! order (UUIDv7: the order members were enrolled in) and page by the last id seen, so a member
//! added while someone pages through the list never makes another one appear twice or not at all.

use std::collections::BTreeSet;
use std::ops::Bound;

use carclub_protocol::docs::MemberFile;
use carclub_shared::MemberId;

use super::Core;
use super::auth::Principal;
use super::perm::{self, Denied, Op};

/// The longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Which field a key indexes, and whether it is reversed (for "ends with").
const FIELDS: [(&str, bool); 9] = [
    ("n", false),
    ("p", false),
    ("P", true),
    ("c", false),
    ("C", true),
    ("v", false),
    ("V", true),
    ("l", false),
    ("L", true),
];

/// The search index: (field tag + normalised value, member).
#[derive(Debug, Default)]
pub struct MemberIndex {
    keys: BTreeSet<(Box<str>, MemberId)>,
}

fn normalise(text: &str) -> String {
    text.trim().to_uppercase()
}

fn reversed(text: &str) -> String {
    text.chars().rev().collect()
}

/// The keys of one member file.
fn keys_of(file: &MemberFile) -> Vec<Box<str>> {
    let mut keys = Vec::with_capacity(4 + 4 * file.vehicles.len());
    let mut both = |tag: &str, rev: &str, value: &str| {
        let v = normalise(value);
        keys.push(format!("{tag}{v}").into_boxed_str());
        keys.push(format!("{rev}{}", reversed(&v)).into_boxed_str());
    };
    both("p", "P", file.phone.as_str());
    both("c", "C", file.card.as_str());
    for v in &file.vehicles {
        both("v", "V", v.vin.as_str());
        both("l", "L", v.plate.as_str());
        if v.card != file.card {
            both("c", "C", v.card.as_str());
        }
    }
    keys.push(format!("n{}", normalise(&file.name)).into_boxed_str());
    keys
}

impl MemberIndex {
    /// The index of `members`.
    pub fn build<'a>(members: impl IntoIterator<Item = &'a MemberFile>) -> Self {
        let mut index = Self::default();
        for m in members {
            index.insert(m);
        }
        index
    }

    /// Adds the keys of `file`.
    pub fn insert(&mut self, file: &MemberFile) {
        for k in keys_of(file) {
            self.keys.insert((k, file.id));
        }
    }

    /// Replaces the keys `before` had with those of `after` (the same member).
    pub fn replace(&mut self, before: &MemberFile, after: &MemberFile) {
        for k in keys_of(before) {
            self.keys.remove(&(k, before.id));
        }
        self.insert(after);
    }

    /// The members one of whose keys starts with `text` (or, for numbers, ends with it).
    pub fn search(&self, text: &str) -> BTreeSet<MemberId> {
        let q = normalise(text);
        let mut found = BTreeSet::new();
        if q.is_empty() {
            return found;
        }
        for (tag, rev) in FIELDS {
            let prefix = if rev {
                format!("{tag}{}", reversed(&q))
            } else {
                format!("{tag}{q}")
            };
            let start: (Box<str>, MemberId) =
                (prefix.clone().into_boxed_str(), MemberId(uuid::Uuid::nil()));
            for (k, m) in self.keys.range((Bound::Included(start), Bound::Unbounded)) {
                if !k.starts_with(prefix.as_str()) {
                    break;
                }
                found.insert(*m);
            }
        }
        found
    }
}

/// What a member list asks for.
#[derive(Debug, Default, Clone)]
pub struct MemberQuery {
    /// Search text; empty lists everyone.
    pub text: String,
    /// The last member of the previous page.
    pub after: Option<MemberId>,
    /// Most members in the page.
    pub limit: usize,
}

/// Why a member list was refused.
#[derive(Debug, thiserror::Error)]
pub enum MemberListError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the search text may have at most {MAX_QUERY_CHARS} characters")]
    QueryTooLong,
}

/// A page of the members `p` may list that match `q`, in id order, and the id to continue after
/// when there may be more.
pub fn list<'a>(
    core: &'a Core,
    p: &Principal,
    q: &MemberQuery,
) -> Result<(Vec<&'a MemberFile>, Option<MemberId>), MemberListError> {
    let scope = perm::check_any(p, Op::ListMembers)?;
    if q.text.chars().count() > MAX_QUERY_CHARS {
        return Err(MemberListError::QueryTooLong);
    }
    let after = q.after.map_or(Bound::Unbounded, Bound::Excluded);
    let visible = |m: &&MemberFile| perm::within_member(p, scope, m.store, m.id, m.company);
    let mut page: Vec<&MemberFile> = Vec::with_capacity(q.limit.min(1000));
    let mut more = false;
    let mut take = |m: &'a MemberFile| {
        if page.len() == q.limit {
            more = true;
            return false;
        }
        page.push(m);
        true
    };
    if q.text.trim().is_empty() {
        for m in core
            .members
            .range((after, Bound::Unbounded))
            .map(|(_, m)| m)
            .filter(visible)
        {
            if !take(m) {
                break;
            }
        }
    } else {
        let found = core.index.search(&q.text);
        for m in found
            .range((after, Bound::Unbounded))
            .filter_map(|id| core.members.get(id))
            .filter(visible)
        {
            if !take(m) {
                break;
            }
        }
    }
    let next = if more {
        page.last().map(|m| m.id)
    } else {
        None
    };
    Ok((page, next))
}
