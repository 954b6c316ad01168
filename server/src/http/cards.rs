//! Card stock on devices: the back office checks out a block of card numbers to a staff member's
//! device (DOMAIN.md §2), and the device issues cards from it offline without collisions.
//!
//! A block is recorded on the device's record (the server checks every enrollment's card against
//! it) and written into the device's status document, so the device learns of it on its next sync.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use carclub_protocol::docs::{self, CardBlock};
use carclub_shared::DeviceId;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::api::{ApiError, ApiJson, AppState, bearer};
use crate::domain::auth::{CARD_BLOCK_SIZE, Principal};
use crate::domain::Core;
use crate::domain::perm::{self, Op};
use crate::storage::{Batch, StoreError};

/// The routes of card stock.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/devices/{id}/card-blocks", post(check_out).get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckOut {
    count: u64,
}

fn parse_device(id: &str) -> Result<DeviceId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not a device id")))
}

/// The device's record if `p` may manage its card stock.
fn device_in_scope(
    st: &AppState,
    p: &Principal,
    id: DeviceId,
) -> Result<crate::domain::auth::DeviceRecord, ApiError> {
    let unknown = || ApiError::NotFound(format!("no device {id}"));
    let device = st.accounts.device(id)?.ok_or_else(unknown)?;
    let owner = st.accounts.user(device.user)?.ok_or_else(unknown)?;
    let target = perm::Target::store(owner.store);
    match perm::check(p, Op::ManageCards, target) {
        Ok(()) => {}
        Err(perm::Denied::OtherStore { .. }) => return Err(unknown()),
        Err(denied) => return Err(ApiError::Forbidden(denied.to_string())),
    }
    if device.revoked {
        return Err(ApiError::Conflict(format!(
            "device {id} is revoked; it cannot receive cards"
        )));
    }
    Ok(device)
}

async fn check_out(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CheckOut>,
) -> Result<Json<Value>, ApiError> {
    let p = crate::http::api::authenticate(&st, bearer(&headers)).await?;
    let id = parse_device(&id)?;
    if !(1..=CARD_BLOCK_SIZE).contains(&req.count) {
        return Err(ApiError::BadRequest(format!(
            "count must be 1 to {CARD_BLOCK_SIZE}"
        )));
    }
    let device = device_in_scope(&st, &p, id)?;
    let block = st.core().check_out_cards(&p, &device, req.count)?;
    tracing::info!(device = %id, by = %p.user.username, first = block.first, count = block.count, "card block checked out");
    Ok(Json(
        json!({ "block": block, "first_card": block.numbers().next().map(|c| c.to_string()) }),
    ))
}

async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = crate::http::api::authenticate(&st, bearer(&headers)).await?;
    let id = parse_device(&id)?;
    let device = device_in_scope(&st, &p, id)?;
    let core = st.core();
    let blocks: Vec<Value> = device
        .card_blocks
        .iter()
        .map(|b| {
            let issued = core.members.values().filter(|m| b.contains(m.card.as_str())).count();
            json!({ "block": b, "issued": issued, "left": b.count as usize - issued.min(b.count as usize) })
        })
        .collect();
    Ok(Json(json!({ "device": id, "blocks": blocks })))
}

impl Core {
    /// Checks out a new block of card numbers to `device`: durable on the device record and in the
    /// device's status document, and pushed to the device if it is connected.
    pub fn check_out_cards(
        &mut self,
        by: &Principal,
        device: &crate::domain::auth::DeviceRecord,
        count: u64,
    ) -> Result<CardBlock, StoreError> {
        let mut batch = Batch::default();
        let (block, _) = self.accounts.new_card_block(device, count, &mut batch)?;
        let owner_store = self
            .accounts
            .user(device.user)?
            .map_or(by.user.store, |u| u.store);
        let entry = crate::domain::audit::Entry {
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
        crate::domain::audit::record(self.store.as_ref(), &mut batch, by, entry)?;
        let status = docs::status_id(device.id);
        if self.docs.load(self.store.as_ref(), &status)?
            && let Some(doc) = self.docs.get_mut(&status)
            && docs::write_entry(doc, "card_blocks", &block.key(), &block)
        {
            self.docs.save(&status, &mut batch);
        }
        self.commit(batch, vec![status])?;
        Ok(block)
    }
}
