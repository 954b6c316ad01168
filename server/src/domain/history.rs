//! A member's history: the ledger of their accepted events, with the points each moved and the
//! balance after it, as `carclub_shared::projection::ledger` computes them with the program
//! engine; and who recorded each event. Visible to whoever may open the member's file, and
//! audited as a view of it.

use std::collections::HashMap;

use carclub_shared::projection::{LedgerEntry, ledger};
use carclub_shared::{MemberId, StoreId, UserId};
use serde::Serialize;

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::fold;
use super::ledger as member_ledger;
use super::ops::OpsError;
use super::perm::{self, Op, Target};
use crate::storage::{Batch, StoreError};

/// The most entries a history answers: the latest ones (a member has a few hundred at most).
pub const MAX_ENTRIES: usize = 2_000;

/// One line of a member's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub entry: LedgerEntry,
    /// The name of who recorded the event, when the account is known.
    #[schema(required = true)]
    pub author_name: Option<String>,
}

/// A member's history, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberHistory {
    pub member: MemberId,
    pub store: StoreId,
    /// Every event and movement in the order the engine applied them, up to today; at most
    /// 2,000, the latest.
    pub entries: Vec<HistoryEntry>,
    /// Earlier entries left out to keep to the limit (0 almost always).
    pub omitted: usize,
}

/// The history of `member` as `p` may see it (whoever may open the member's file); audited.
pub fn history(core: &Core, p: &Principal, member: MemberId) -> Result<MemberHistory, OpsError> {
    let store = core
        .members
        .get(&member)
        .map(|m| m.store)
        .ok_or(OpsError::NotOnFile(member))?;
    let target = Target::member(store, member, fold::company_of(core, member));
    perm::check(p, Op::ViewMemberFile, target)?;
    let program = member_ledger::program_of(core, store).ok_or(OpsError::NoProgram(store))?;
    let events = member_ledger::member_events(core, &Batch::default(), member)?;
    let mut entries = ledger(&program, &events, member_ledger::today());
    let omitted = entries.len().saturating_sub(MAX_ENTRIES);
    entries.drain(..omitted);
    let mut names: HashMap<UserId, Option<String>> = HashMap::new();
    let entries = entries
        .into_iter()
        .map(|entry| {
            let author_name = match entry.author {
                Some(id) => name_of(core, &mut names, id)?,
                None => None,
            };
            Ok(HistoryEntry { entry, author_name })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let name = core
        .members
        .get(&member)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    audit::record_now(
        core.store.as_ref(),
        p,
        Entry {
            action: "view_member_history",
            store,
            member: Some(member),
            detail: name,
        },
    )?;
    Ok(MemberHistory {
        member,
        store,
        entries,
        omitted,
    })
}

/// The name of user `id`, looked up once per request.
pub(crate) fn name_of(
    core: &Core,
    names: &mut HashMap<UserId, Option<String>>,
    id: UserId,
) -> Result<Option<String>, StoreError> {
    if let Some(n) = names.get(&id) {
        return Ok(n.clone());
    }
    let n = core.accounts.user(id)?.map(|u| u.name);
    names.insert(id, n.clone());
    Ok(n)
}
