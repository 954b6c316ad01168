//! Card stock on devices: the back office checks out a block of card numbers to a staff member's
//! device (DOMAIN.md §2), and the device issues cards from it offline without collisions.
//!
//! A block is recorded on the device's record (the server checks every enrollment's card against
//! it) and written into the device's status document, so the device learns of it on its next sync.

use carclub_protocol::docs::{self, CardBlock};
use carclub_shared::DeviceId;
use serde::Serialize;

use super::Core;
use super::auth::{CARD_BLOCK_SIZE, DeviceRecord, Principal};
use super::perm::{self, Op};
use crate::storage::{Batch, StoreError};

/// Why a card block operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CardsError {
    /// No device with this id the caller may see.
    #[error("no device {0}")]
    UnknownDevice(DeviceId),
    /// The device was revoked.
    #[error("device {0} is revoked; it cannot receive cards")]
    DeviceRevoked(DeviceId),
    /// A block of no cards, or more than a block holds.
    #[error("count must be 1 to {max}")]
    BadCount { max: u64 },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A block on a device and how much of it was used.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlockUse {
    pub block: CardBlock,
    /// Cards of the block issued to members.
    pub issued: usize,
    /// Cards of the block still to issue.
    pub left: usize,
}

/// The device `id` if `p` may manage its card stock; another store's device is unknown.
fn device_in_scope(core: &Core, p: &Principal, id: DeviceId) -> Result<DeviceRecord, CardsError> {
    let unknown = || CardsError::UnknownDevice(id);
    let device = core.accounts.device(id)?.ok_or_else(unknown)?;
    let owner = core.accounts.user(device.user)?.ok_or_else(unknown)?;
    match perm::check(p, Op::ManageCards, perm::Target::store(owner.store)) {
        Ok(()) => {}
        Err(perm::Denied::OtherStore { .. }) => return Err(unknown()),
        Err(denied) => return Err(denied.into()),
    }
    if device.revoked {
        return Err(CardsError::DeviceRevoked(id));
    }
    Ok(device)
}

/// Checks out a block of `count` new card numbers to device `id`.
pub fn check_out(
    core: &mut Core,
    p: &Principal,
    id: DeviceId,
    count: u64,
) -> Result<CardBlock, CardsError> {
    if !(1..=CARD_BLOCK_SIZE).contains(&count) {
        return Err(CardsError::BadCount {
            max: CARD_BLOCK_SIZE,
        });
    }
    let device = device_in_scope(core, p, id)?;
    Ok(core.check_out_cards(p, &device, count)?)
}

/// The blocks of device `id` whose first serial is after `after`, in the order they were checked
/// out (by first serial), at most `limit`; and the cursor of the next page when there are more.
pub fn blocks(
    core: &Core,
    p: &Principal,
    id: DeviceId,
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<BlockUse>, Option<u64>), CardsError> {
    let device = device_in_scope(core, p, id)?;
    let mut list: Vec<&CardBlock> = device
        .card_blocks
        .iter()
        .filter(|b| after.is_none_or(|a| b.first > a))
        .collect();
    list.sort_by_key(|b| b.first);
    let more = list.len() > limit;
    list.truncate(limit);
    let next = if more {
        list.last().map(|b| b.first)
    } else {
        None
    };
    let uses = list
        .into_iter()
        .map(|b| {
            let issued = core
                .members
                .values()
                .filter(|m| b.contains(m.card.as_str()))
                .count();
            BlockUse {
                block: b.clone(),
                issued,
                left: (b.count as usize).saturating_sub(issued),
            }
        })
        .collect();
    Ok((uses, next))
}

impl Core {
    /// Checks out a new block of card numbers to `device`: durable on the device record and in the
    /// device's status document, and pushed to the device if it is connected.
    pub fn check_out_cards(
        &mut self,
        by: &Principal,
        device: &DeviceRecord,
        count: u64,
    ) -> Result<CardBlock, StoreError> {
        let mut batch = Batch::default();
        let (block, _) = self.accounts.new_card_block(device, count, &mut batch)?;
        let owner_store = self
            .accounts
            .user(device.user)?
            .map_or(by.user.store, |u| u.store);
        let entry = super::audit::Entry {
            action: "check_out_cards",
            store: owner_store,
            member: None,
            detail: format!(
                "{} cards from {} to device {}",
                block.count,
                block.key(),
                device.id
            ),
        };
        super::audit::record(self.store.as_ref(), &mut batch, by, entry)?;
        let status = docs::status_id(device.id);
        if self.docs.load(self.store.as_ref(), &status)?
            && let Some(doc) = self.docs.get_mut(&status)
            && docs::write_entry(doc, "card_blocks", &block.key(), &block)
        {
            self.docs.save(&status, &mut batch);
        }
        self.commit(batch, vec![status])?;
        tracing::info!(device = %device.id, by = %by.user.username, first = block.first, count = block.count, "card block checked out");
        Ok(block)
    }
}
