//! When each field device last synced: the sync endpoint records the moment a device's connection
//! opens and the moment it closes, so the back office can tell a device that syncs every day from
//! one that went quiet (a lost phone to revoke).

use carclub_shared::DeviceId;

use super::auth::Accounts;
use crate::storage::keys::DEVICE_SYNCS;
use crate::storage::{Batch, StoreError};

/// Records that `device` was in contact through sync at `at_ms` (milliseconds since the epoch).
pub fn record(accounts: &Accounts, device: DeviceId, at_ms: i64) -> Result<(), StoreError> {
    let mut b = Batch::default();
    DEVICE_SYNCS.put(&mut b, &device, &at_ms)?;
    accounts.store.commit(b)
}

/// When `device` was last in contact through sync, if ever.
pub fn last(accounts: &Accounts, device: DeviceId) -> Result<Option<i64>, StoreError> {
    DEVICE_SYNCS.get(accounts.store.as_ref(), &device)
}

/// Records the moment now for the device a sync connection belongs to, if it is one; a failure to
/// write is logged and otherwise ignored (it never stops a sync).
pub fn touch(accounts: &Accounts, device: Option<DeviceId>) {
    let Some(device) = device else { return };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    if let Err(e) = record(accounts, device, now) {
        tracing::warn!(%device, error = %e, "could not record the device's last sync");
    }
}
