//! The club program a store runs: `GET /api/program`. The rules of who may read it are in
//! [`crate::domain::program`].

use axum::Json;
use axum::extract::State;
use carclub_shared::StoreId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Errors, NotFound};
use super::extract::{ApiQuery, Caller};
use crate::domain::program::{self, StoreProgram};

/// The routes of the club program.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(store_program))
}

/// Which store's program.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgramParams {
    /// The store (group roles may read any); the caller's own store when absent.
    store: Option<StoreId>,
}

/// The club program a store runs: tiers with their fees, validity and benefits, earning rates,
/// upgrade rules, renewal window and grace, withdrawal and refund, the card policy, the points
/// redemption catalogue and whether card discounts stack with promotions.
///
/// Staff read their store's program and group roles any store's; a member reads their own
/// store's.
#[utoipa::path(get, path = "/api/program", tag = "program", params(ProgramParams),
    responses((status = 200, description = "The store's program", body = StoreProgram), Errors,
        NotFound))]
async fn store_program(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ProgramParams>,
) -> Result<Json<StoreProgram>, ApiError> {
    Ok(Json(program::store_program(&st.core(), &p, q.store)?))
}
