//! Resolving conflicts: what offline devices did together that breaks an invariant stays listed
//! until someone in the back office decides, and the decision is kept with who made it and when.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_shared::{MemberId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::api::{ApiError, ApiJson, AppState, bearer};
use crate::domain::auth::Principal;
use crate::domain::Core;
use crate::domain::fold::Conflict;
use crate::domain::perm::{self, Op};
use crate::storage::keys::{CONFLICTS, RESOLUTIONS};
use crate::storage::{Batch, StoreError};

/// The routes of conflict resolution.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/conflicts/{id}", get(show))
        .route("/api/conflicts/{id}/resolve", post(resolve))
}

/// The conflict `id` if `p` may see it.
fn conflict_in_scope(core: &Core, p: &Principal, id: &str, op: Op) -> Result<Conflict, ApiError> {
    let unknown = || ApiError::NotFound(format!("no conflict {id}"));
    let conflict = core.conflicts.get(id).ok_or_else(unknown)?;
    let target = perm::Target::store(conflict.store);
    match perm::check(p, op, target) {
        Ok(()) => Ok(conflict.clone()),
        Err(perm::Denied::OtherStore { .. }) => Err(unknown()),
        Err(denied) => Err(ApiError::Forbidden(denied.to_string())),
    }
}

async fn show(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = crate::http::api::authenticate(&st, bearer(&headers)).await?;
    let core = st.core();
    let conflict = conflict_in_scope(&core, &p, &id, Op::ViewConflicts)?;
    Ok(Json(
        json!({ "conflict": conflict, "resolution": core.resolution(&id)? }),
    ))
}

/// A decision on a conflict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolution {
    pub conflict: String,
    /// The record kept, when the decision keeps one (e.g. the one card of a vehicle).
    pub keep: Option<MemberId>,
    /// What was decided and done, in words.
    pub note: String,
    pub by: UserId,
    pub at: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    note: String,
    #[serde(default)]
    keep: Option<MemberId>,
}

async fn resolve(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<Value>, ApiError> {
    let p = crate::http::api::authenticate(&st, bearer(&headers)).await?;
    let note = req.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "note must say what was decided, in 1 to 500 characters".into(),
        ));
    }
    let mut core = st.core();
    let conflict = conflict_in_scope(&core, &p, &id, Op::ResolveConflicts)?;
    if conflict.resolved {
        return Err(ApiError::Conflict(format!(
            "conflict {id} is already resolved"
        )));
    }
    if let Some(keep) = req.keep
        && !conflict.members.contains(&keep)
    {
        return Err(ApiError::BadRequest(format!(
            "member {keep} is not part of conflict {id}"
        )));
    }
    let resolution = Resolution {
        conflict: id.clone(),
        keep: req.keep,
        note: note.to_owned(),
        by: p.user.id,
        at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    };
    core.resolve_conflict(&p, &resolution)?;
    tracing::info!(conflict = %id, by = %p.user.username, "conflict resolved");
    Ok(Json(
        json!({ "conflict": core.conflicts.get(&id), "resolution": resolution }),
    ))
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
        let mut batch = Batch::default();
        CONFLICTS.put(&mut batch, &conflict.id, &conflict)?;
        RESOLUTIONS.put(&mut batch, &conflict.id, resolution)?;
        let entry = crate::domain::audit::Entry {
            action: "resolve_conflict",
            store: conflict.store,
            member: resolution.keep,
            detail: format!("{}: {}", conflict.id, resolution.note),
        };
        crate::domain::audit::record(self.store.as_ref(), &mut batch, by, entry)?;
        let mut touched = Vec::new();
        for member in &conflict.members {
            crate::domain::fold::refresh_member(self, *member, &mut batch, &mut touched)?;
        }
        self.commit(batch, touched)?;
        Ok(())
    }

    /// The decision on a conflict, if one was made.
    pub fn resolution(&self, conflict: &str) -> Result<Option<Resolution>, StoreError> {
        RESOLUTIONS.get(self.store.as_ref(), conflict)
    }
}
