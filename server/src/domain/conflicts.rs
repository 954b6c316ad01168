//! Resolving conflicts: what offline devices did together that breaks an invariant stays listed
//! until someone in the back office decides, and the decision is kept with who made it and when.

use carclub_shared::{MemberId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::Core;
use super::auth::Principal;
use super::fold::Conflict;
use super::perm::{self, Op};
use crate::storage::keys::{CONFLICTS, RESOLUTIONS};
use crate::storage::{Batch, StoreError};

/// The longest note of a decision, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// A decision on a conflict.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    pub conflict: String,
    /// The record kept, when the decision keeps one (e.g. the one card of a vehicle).
    #[schema(required = true)]
    pub keep: Option<MemberId>,
    /// What was decided and done, in words.
    pub note: String,
    pub by: UserId,
    pub at: Timestamp,
}

/// Why a conflict could not be shown or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConflictsError {
    /// No conflict with this id the caller may see.
    #[error("no conflict {0}")]
    UnknownConflict(String),
    /// The conflict was resolved before.
    #[error("conflict {0} is already resolved")]
    AlreadyResolved(String),
    /// A note that says nothing, or too much, or has control characters.
    #[error(
        "note must say what was decided, in 1 to {NOTE_MAX_CHARS} characters without control characters"
    )]
    BadNote,
    /// The member to keep is not one of the conflict's.
    #[error("member {member} is not part of conflict {conflict}")]
    NotInConflict { member: MemberId, conflict: String },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The conflict `id` if `p` may do `op` on it; another store's conflict is unknown.
fn in_scope<'a>(
    core: &'a Core,
    p: &Principal,
    id: &str,
    op: Op,
) -> Result<&'a Conflict, ConflictsError> {
    let unknown = || ConflictsError::UnknownConflict(id.chars().take(200).collect());
    let conflict = core.conflicts.get(id).ok_or_else(unknown)?;
    match perm::check(p, op, perm::Target::store(conflict.store)) {
        Ok(()) => Ok(conflict),
        Err(perm::Denied::OtherStore { .. }) => Err(unknown()),
        Err(denied) => Err(denied.into()),
    }
}

/// Conflict `id` and the decision on it, if one was made.
pub fn show(
    core: &Core,
    p: &Principal,
    id: &str,
) -> Result<(Conflict, Option<Resolution>), ConflictsError> {
    let conflict = in_scope(core, p, id, Op::ViewConflicts)?.clone();
    let resolution = core.resolution(id)?;
    Ok((conflict, resolution))
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct Decision {
    /// What was decided and done, in words.
    pub note: String,
    /// The member kept, if the decision keeps one.
    pub keep: Option<MemberId>,
}

/// Resolves conflict `id` with `decision`; returns the conflict as it is now and the decision.
pub fn resolve(
    core: &mut Core,
    p: &Principal,
    id: &str,
    decision: Decision,
) -> Result<(Conflict, Resolution), ConflictsError> {
    // The whole note counts against the limit, spaces too, and it is one text as the description
    // states it (`Text`): not blank, no control characters but tab and newline.
    let note =
        super::club::text::<NOTE_MAX_CHARS>(&decision.note).map_err(|_| ConflictsError::BadNote)?;
    let conflict = in_scope(core, p, id, Op::ResolveConflicts)?;
    if conflict.resolved {
        return Err(ConflictsError::AlreadyResolved(id.to_owned()));
    }
    if let Some(keep) = decision.keep
        && !conflict.members.contains(&keep)
    {
        return Err(ConflictsError::NotInConflict {
            member: keep,
            conflict: id.to_owned(),
        });
    }
    let resolution = Resolution {
        conflict: id.to_owned(),
        keep: decision.keep,
        note,
        by: p.user.id,
        at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    };
    core.resolve_conflict(p, &resolution)?;
    tracing::info!(conflict = %id, by = %p.user.username, "conflict resolved");
    let conflict = core
        .conflicts
        .get(id)
        .cloned()
        .ok_or_else(|| ConflictsError::UnknownConflict(id.to_owned()))?;
    Ok((conflict, resolution))
}

impl Core {
    /// Marks a conflict resolved, keeps the decision, and clears it from the members' files.
    pub fn resolve_conflict(
        &mut self,
        by: &Principal,
        resolution: &Resolution,
    ) -> Result<(), StoreError> {
        let Some(conflict) = self.conflicts.get_mut(&resolution.conflict) else {
            return Ok(());
        };
        conflict.resolved = true;
        let conflict = conflict.clone();
        let done = self.write_resolution(by, &conflict, resolution);
        if done.is_err()
            && let Some(c) = self.conflicts.get_mut(&conflict.id)
        {
            // Not durable: the conflict stays open, in memory as in the store.
            c.resolved = false;
        }
        done
    }

    /// Writes the resolved `conflict`, the decision, its audit record and the members' refreshed
    /// files in one batch.
    fn write_resolution(
        &mut self,
        by: &Principal,
        conflict: &Conflict,
        resolution: &Resolution,
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        CONFLICTS.put(&mut batch, &conflict.id, conflict)?;
        RESOLUTIONS.put(&mut batch, &conflict.id, resolution)?;
        let entry = super::audit::Entry {
            action: "resolve_conflict",
            store: conflict.store,
            member: resolution.keep,
            detail: format!("{}: {}", conflict.id, resolution.note),
        };
        super::audit::record(self.store.as_ref(), &mut batch, by, entry)?;
        let mut touched = Vec::new();
        for member in &conflict.members {
            super::fold::refresh_member(self, *member, &mut batch, &mut touched)?;
        }
        self.commit(batch, touched)
    }

    /// The decision on a conflict, if one was made.
    pub fn resolution(&self, conflict: &str) -> Result<Option<Resolution>, StoreError> {
        RESOLUTIONS.get(self.store.as_ref(), conflict)
    }
}
