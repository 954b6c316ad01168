//! The notification outbox as the back office sees it: messages with their delivery states and
//! attempts, and dead letters put back for delivery. The rules are `domain::care::outbox`; the
//! delivery itself is the `notify` layer's.

use axum::Json;
use axum::extract::State;
use carclub_shared::StoreId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::care::outbox::{
    self, DeliveryState, Message, MessageId, OutboxFilter, StateCounts,
};
use crate::http::AppState;
use crate::http::error::{ApiError, Conflict, Errors, NotFound};
use crate::http::extract::{ApiPath, ApiQuery, Caller, page_limit};

/// The routes of the outbox.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_outbox))
        .routes(routes!(retry_message))
}

/// Which messages, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only messages of this store.
    store: Option<StoreId>,
    /// Only messages in this state.
    state: Option<DeliveryState>,
    /// Most messages in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page: messages enqueued before it.
    #[param(value_type = Option<uuid::Uuid>)]
    cursor: Option<MessageId>,
}

/// A page of the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub messages: Vec<Message>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<MessageId>,
    /// How many messages of the store (or of every store the caller sees) are in each state,
    /// whatever the `state` filter and the page.
    pub counts: StateCounts,
}

/// The outbox: every SMS or message the caller's stores send, newest first.
///
/// Each message with its delivery state (`pending` waiting for its first attempt, `sent`,
/// `failed` with the next attempt due, `unknown` when the gateway may or may not have sent it,
/// `dead` when refused or out of attempts) and every attempt with what the gateway answered;
/// with the count in each state. Paged with `limit` and `cursor`.
#[utoipa::path(get, path = "/api/care/outbox", tag = "care", params(OutboxQuery),
    responses((status = 200, description = "A page of the outbox", body = OutboxPage),
        Errors))]
async fn list_outbox(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<OutboxPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let filter = OutboxFilter {
        store: q.store,
        state: q.state,
        before: q.cursor,
    };
    let page = outbox::list(&st.core(), &p, &filter, limit)?;
    Ok(Json(OutboxPage {
        messages: page.messages,
        next: page.next,
        counts: page.counts,
    }))
}

/// Puts a dead, unknown or failed message back in the outbox for an attempt at once (audited).
///
/// An `unknown` message may already have reached the member: retry it only when the gateway's
/// records say it did not. Its attempts so far stay on file, and it gets the full number of
/// attempts again.
#[utoipa::path(post, path = "/api/care/outbox/{id}/retry", tag = "care",
    params(("id" = uuid::Uuid, Path, description = "The message's id")),
    responses((status = 200, description = "Back in the outbox, pending", body = Message),
        Errors, NotFound, Conflict))]
async fn retry_message(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<MessageId>,
) -> Result<Json<Message>, ApiError> {
    let m = outbox::retry(&mut st.core(), &p, id)?;
    Ok(Json(m))
}
