//! The audit log: every change made through the API and every view of a member's full file, with
//! who, when and from which device (DOMAIN.md §7, DESIGN.md "Security").
//!
//! Append-only: records live under `audit/<sequence>` with a sequence from the store's id
//! generator, are written in the same batch as the change they record, and nothing updates or
//! deletes them. The club manager (and above) queries them within the permission matrix's scope.

use carclub_shared::{DeviceId, MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::perm::{self, Op};
use crate::storage::keys::AUDIT;
use crate::storage::{Batch, Order, Store, StoreError};

/// One audit record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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
    AUDIT.put(batch, &seq, &rec)
}

/// Records `entry` on its own (a view, which changes nothing else).
pub fn record_now(store: &dyn Store, p: &Principal, entry: Entry<'_>) -> Result<(), StoreError> {
    let mut batch = Batch::default();
    record(store, &mut batch, p, entry)?;
    store.commit(batch)
}

/// Filters of an audit query.
/// Which audit records a query wants.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub member: Option<MemberId>,
    pub user: Option<UserId>,
    pub action: Option<String>,
    /// Only records made at or after this moment.
    pub from: Option<Timestamp>,
    /// Only records made before this moment.
    pub to: Option<Timestamp>,
    /// Only records older than this sequence number (the cursor of the previous page).
    pub before: Option<u64>,
}

/// The records `p` may see that match `filter`, newest first, at most `limit`; and the cursor of
/// the next page when there may be more. Reads only as far back as the page needs.
pub fn query(
    store: &dyn Store,
    p: &Principal,
    filter: &AuditFilter,
    limit: usize,
) -> Result<(Vec<AuditRecord>, Option<u64>), AuditError> {
    let scope = perm::check_any(p, Op::ViewAudit)?;
    let mut list: Vec<AuditRecord> = Vec::new();
    let mut more = false;
    AUDIT.visit(store, Order::Reverse, &mut |_, r: AuditRecord| {
        if filter.before.is_some_and(|b| r.seq >= b) {
            return Ok(true);
        }
        if perm::within(p, scope, r.store, r.member)
            && filter.member.is_none_or(|m| r.member == Some(m))
            && filter.user.is_none_or(|u| r.user == u)
            && filter.action.as_deref().is_none_or(|a| r.action == a)
            && filter.from.is_none_or(|f| r.at >= f)
            && filter.to.is_none_or(|t| r.at < t)
        {
            if list.len() == limit {
                more = true;
                return Ok(false);
            }
            list.push(r);
        }
        Ok(true)
    })?;
    let next = if more {
        list.last().map(|r| r.seq)
    } else {
        None
    };
    Ok((list, next))
}

/// Why an audit query was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}
