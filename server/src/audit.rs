//! The audit log: every change made through the API and every view of a member's full file, with
//! who, when and from which device (DOMAIN.md §7, DESIGN.md "Security").
//!
//! Append-only: records live under `audit/<sequence>` with a sequence from the store's id
//! generator, are written in the same batch as the change they record, and nothing updates or
//! deletes them. The club manager (and above) queries them within the permission matrix's scope.

use axum::Json;
use axum::extract::{Query, State};
use carclub_shared::{DeviceId, MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{ApiError, AppState, Caller};
use crate::auth::Principal;
use crate::perm::{self, Op};
use crate::store::{Batch, Order, Store, StoreError};

/// One audit record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: Timestamp,
    pub user: UserId,
    pub username: String,
    pub role: String,
    /// The device the request came from, when it carried a device token.
    pub device: Option<DeviceId>,
    /// The store the record belongs to (the member's, or the account's).
    pub store: StoreId,
    /// What was done, e.g. `view_member_file`, `create_user`, `order_settled`.
    pub action: String,
    pub member: Option<MemberId>,
    /// What it was done to, in a few words.
    pub detail: String,
}

/// What an audit record is about.
pub struct Entry<'a> {
    pub action: &'a str,
    pub store: StoreId,
    pub member: Option<MemberId>,
    pub detail: String,
}

/// Adds an audit record for `p` doing `entry` to `batch`.
pub fn record(
    store: &dyn Store,
    batch: &mut Batch,
    p: &Principal,
    entry: Entry<'_>,
) -> Result<(), StoreError> {
    let seq = store.next_id()?;
    let rec = AuditRecord {
        seq,
        at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        user: p.user.id,
        username: p.user.username.clone(),
        role: p.user.role.as_str().into(),
        device: p.device,
        store: entry.store,
        action: entry.action.into(),
        member: entry.member,
        detail: entry.detail,
    };
    let mut key = b"audit/".to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    batch.put(key, serde_json::to_vec(&rec).unwrap_or_default());
    Ok(())
}

/// Records `entry` on its own (a view, which changes nothing else).
pub fn record_now(store: &dyn Store, p: &Principal, entry: Entry<'_>) -> Result<(), StoreError> {
    let mut batch = Batch::default();
    record(store, &mut batch, p, entry)?;
    store.commit(batch)
}

/// Filters of an audit query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    member: Option<MemberId>,
    user: Option<UserId>,
    action: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/audit`: the newest records first, within the caller's scope.
pub async fn query(
    State(st): State<AppState>,
    Caller(p): Caller,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let scope = perm::check_any(&p, Op::ViewAudit)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    // Newest first, reading only as far back as the page needs.
    let mut list: Vec<AuditRecord> = Vec::new();
    st.accounts
        .store
        .visit(b"audit/", Order::Reverse, &mut |_, v| {
            if let Ok(r) = serde_json::from_slice::<AuditRecord>(v)
                && perm::within(&p, scope, r.store, r.member)
                && q.member.is_none_or(|m| r.member == Some(m))
                && q.user.is_none_or(|u| r.user == u)
                && q.action.as_deref().is_none_or(|a| r.action == a)
            {
                list.push(r);
            }
            Ok(list.len() < limit)
        })?;
    Ok(Json(json!({ "records": list })))
}
