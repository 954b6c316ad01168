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
use carclub_shared::{CompanyId, MemberId};

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

    /// Removes the keys of `file`.
    pub fn remove(&mut self, file: &MemberFile) {
        for k in keys_of(file) {
            self.keys.remove(&(k, file.id));
        }
    }

    /// The keys `file` is found by now, to hand to [`MemberIndex::update`] after it changes.
    pub fn keys(file: &MemberFile) -> Vec<Box<str>> {
        keys_of(file)
    }

    /// Replaces `before`, the keys a member was found by, with those of its file `after` (a
    /// vehicle added since `before` was read is indexed too: every key of `after` is put).
    pub fn update(&mut self, before: Vec<Box<str>>, after: &MemberFile) {
        let now = keys_of(after);
        for k in before {
            if !now.contains(&k) {
                self.keys.remove(&(k, after.id));
            }
        }
        for k in now {
            self.keys.insert((k, after.id));
        }
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
    /// Only the members of this company (corporate agreement).
    pub company: Option<CompanyId>,
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
    let visible = |m: &&MemberFile| {
        perm::within_member(p, scope, m.store, m.id, m.company)
            && q.company.is_none_or(|c| m.company == Some(c))
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(card: &str, vins: &[(&str, &str)]) -> MemberFile {
        serde_json::from_value(serde_json::json!({
            "id": "01900000-0000-7000-8000-000000000004",
            "store": "01900000-0000-7000-8000-000000000001",
            "name": "陈静", "phone": "13900000041", "tier": "standard", "status": "active",
            "card": card,
            "vehicles": vins.iter().map(|(vin, plate)| serde_json::json!(
                {"vin": vin, "plate": plate, "card": card})).collect::<Vec<_>>(),
            "fee": 18000, "channel": "desk",
            "enrolled_at": "2026-03-01T10:00:00+08:00",
            "enrolled_by": "01900000-0000-7000-8000-000000000002",
            "enrolled_on": "01900000-0000-7000-8000-000000000003"
        }))
        .expect("a member file")
    }

    #[test]
    fn a_member_is_found_by_the_start_of_a_name_and_either_end_of_a_number() {
        let m = file("C00000001", &[("LSVAU2180N0000041", "粤B00041")]);
        let index = MemberIndex::build([&m]);
        for q in [
            "陈",
            "陈静",
            "139",
            "0041",
            "c00000001",
            "N0000041",
            "lsvau",
            "粤B",
            "00041",
        ] {
            assert!(index.search(q).contains(&m.id), "{q}");
        }
        for q in ["静", "9000004", "", "2180N"] {
            assert!(
                index.search(q).is_empty(),
                "{q:?} is in the middle of every number"
            );
        }
    }

    #[test]
    fn an_update_finds_a_new_vehicle_and_forgets_a_replaced_card() {
        let m = file("C00000001", &[("LSVAU2180N0000041", "粤B00041")]);
        let mut index = MemberIndex::build([&m]);
        // A vehicle added before the keys were read (as the fold does), and a new card.
        let before = MemberIndex::keys(&file(
            "C00000001",
            &[
                ("LSVAU2180N0000041", "粤B00041"),
                ("LFV2A21K500000042", "粤B00042"),
            ],
        ));
        let after = file(
            "C00000009",
            &[
                ("LSVAU2180N0000041", "粤B00041"),
                ("LFV2A21K500000042", "粤B00042"),
            ],
        );
        index.update(before, &after);
        assert!(index.search("LFV2A21K").contains(&m.id), "the new vehicle");
        assert!(index.search("C00000009").contains(&m.id), "the new card");
        assert!(index.search("C00000001").is_empty(), "the replaced card");
        assert!(
            index.search("粤B00041").contains(&m.id),
            "the first vehicle still"
        );
    }
}
