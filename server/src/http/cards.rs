//! Card blocks on devices: `POST`/`GET /api/devices/{id}/card-blocks` (the rules are in
//! `domain::cards`).

use axum::Json;
use axum::extract::State;
use carclub_protocol::docs::CardBlock;
use carclub_shared::DeviceId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};
use crate::domain::cards::{self, BlockUse};

/// The routes of card blocks.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check_out_card_block, list_card_blocks))
}

/// How many cards to check out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    /// Cards in the block.
    #[schema(minimum = 1, maximum = 200)]
    #[serde(deserialize_with = "carclub_shared::integral")]
    count: u64,
}

/// A block checked out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckedOut {
    pub block: CardBlock,
    /// The block's first card number.
    #[schema(required = true)]
    pub first_card: Option<String>,
}

/// Which page of blocks.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BlocksQuery {
    /// Most blocks in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: blocks whose first serial is after it.
    after: Option<u64>,
}

/// A device's blocks, in the order they were checked out.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceBlocks {
    pub device: DeviceId,
    pub blocks: Vec<BlockUse>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<u64>,
}

/// Check out a block of card numbers to a device.
///
/// The block is recorded on the device and written into its status document: the device learns
/// of it on its next sync and issues its cards offline. Managers of the device's store only;
/// another store's device is not found; a revoked device cannot receive cards (409).
#[utoipa::path(post, path = "/api/devices/{id}/card-blocks", tag = "cards",
    params(("id" = DeviceId, Path, description = "The device")),
    request_body = CheckOut,
    responses((status = 200, description = "The block checked out", body = CheckedOut),
        Errors, NotFound, Conflict, BodyErrors))]
async fn check_out_card_block(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(req): ApiJson<CheckOut>,
) -> Result<Json<CheckedOut>, ApiError> {
    let block = cards::check_out(&mut st.core(), &p, id, req.count)?;
    let first_card = block.numbers().next().map(|c| c.to_string());
    Ok(Json(CheckedOut { block, first_card }))
}

/// A device's card blocks and how many cards of each were issued.
///
/// Sorted by the block's first serial (the order they were checked out); paged with `limit` and
/// `after`.
#[utoipa::path(get, path = "/api/devices/{id}/card-blocks", tag = "cards",
    params(("id" = DeviceId, Path, description = "The device"), BlocksQuery),
    responses((status = 200, description = "The device's blocks", body = DeviceBlocks),
        Errors, NotFound, Conflict))]
async fn list_card_blocks(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<DeviceId>,
    ApiQuery(q): ApiQuery<BlocksQuery>,
) -> Result<Json<DeviceBlocks>, ApiError> {
    let limit = page_limit(q.limit)?;
    let (blocks, next) = cards::blocks(&st.core(), &p, id, q.after, limit)?;
    Ok(Json(DeviceBlocks {
        device: id,
        blocks,
        next,
    }))
}
