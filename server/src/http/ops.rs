//! Club operations through the API, and the member file.
//!
//! An operation is an event: the API builds a `carclub_shared::Event` (author: the caller; device:
//! the caller's device, or the caller's back-office console id; a fresh id; now, or an earlier
//! moment when a paper record is keyed in later) and hands it to `fold::apply` — the same
//! validate-and-fold path as events arriving through sync — in `Mode::Online`: the permission
//! matrix, then the program engine, whose objection refuses the operation with its reason (409)
//! and changes nothing. Accepted events reach devices through the member documents.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_protocol::docs;
use carclub_shared::events::Order;
use carclub_shared::projection::quote_events;
use carclub_shared::{DeviceId, Event, EventBody, EventId, MemberId, StoreId, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::api::{ApiError, ApiJson, AppState, Caller, mask};
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::Core;
use crate::domain::fold::{self, Mode, StoredEvent};
use crate::storage::keys::EVENTS;
use crate::domain::ledger;
use crate::domain::perm::{self, Op, Target};
use crate::storage::Batch;
use carclub_protocol::DocumentId;

/// How far back anyone may date an operation; further back needs [`Op::Backdate`].
const BACKDATE_GRACE_MS: i64 = 24 * 3600 * 1000;

/// The routes of club operations.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/members/{id}", get(member_file))
        .route("/api/members/{id}/operations", post(operate))
        .route("/api/members/{id}/quote", post(quote))
}

fn member_id(raw: &str) -> Result<MemberId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("member {raw:?} is not a valid id (a UUID)")))
}

fn store_of(st: &AppState, member: MemberId) -> Result<StoreId, ApiError> {
    st.core()
        .members
        .get(&member)
        .map(|m| m.store)
        .ok_or_else(|| ApiError::NotFound(format!("member {member} is not on file")))
}

/// The member's full file and state as `p` may see it; the view is audited.
fn file_view(st: &AppState, p: &Principal, member: MemberId) -> Result<Value, ApiError> {
    let store = store_of(st, member)?;
    let target = Target::member(store, member, fold::company_of(&st.core(), member));
    perm::check(p, Op::ViewMemberFile, target)?;
    let contact = perm::check(p, Op::SeeContact, target).is_ok();
    let core = st.core();
    let file = core
        .members
        .get(&member)
        .ok_or_else(|| ApiError::NotFound(format!("member {member} is not on file")))?;
    let state = ledger::state(&core, &Batch::default(), member, store)?;
    let mut v = serde_json::to_value(file).map_err(|e| ApiError::internal(e))?;
    if !contact {
        v["phone"] = Value::String(mask(file.phone.as_str()));
    }
    v["state"] = serde_json::to_value(&state).map_err(|e| ApiError::internal(e))?;
    v["url"] = Value::String(docs::member_id(member).url());
    audit::record_now(
        core.store.as_ref(),
        p,
        Entry {
            action: "view_member_file",
            store,
            member: Some(member),
            detail: file.name.clone(),
        },
    )?;
    Ok(v)
}

async fn member_file(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let member = member_id(&id)?;
    Ok(Json(file_view(&st, &p, member)?))
}

/// `GET /api/me`: who is signed in, and for a member their own file.
async fn me(State(st): State<AppState>, Caller(p): Caller) -> Result<Json<Value>, ApiError> {
    let member = match p.member {
        Some(m) => file_view(&st, &p, m)?,
        None => Value::Null,
    };
    Ok(Json(json!({
        "user": {"id": p.user.id, "username": p.user.username, "name": p.user.name,
                 "role": p.user.role, "store": p.user.store},
        "device": p.device,
        "member": member,
    })))
}

/// The device an API event is recorded on: the caller's device, or their back-office console
/// (an id derived from the user's, so one person's API events share one device in the order).
fn console(p: &Principal) -> DeviceId {
    p.device.unwrap_or(DeviceId(p.user.id.0))
}

/// Builds the event of an operation `p` does through the API and folds it online (refused on
/// any objection of the permission matrix or the program engine). Returns the event, and the batch
/// and documents it touched, for the caller to add to and commit.
pub(crate) fn fold_online(
    core: &mut Core,
    p: &Principal,
    at: Timestamp,
    body: EventBody,
) -> Result<(Event, Batch, Vec<DocumentId>), ApiError> {
    let event = Event {
        id: EventId::new(),
        at,
        device: console(p),
        seq: core.store.next_id()?,
        author: p.user.id,
        body,
    };
    let mut batch = Batch::default();
    let mut touched = Vec::new();
    fold::apply(
        core,
        p,
        None,
        &event,
        Mode::Online,
        &mut batch,
        &mut touched,
    )?;
    Ok((event, batch, touched))
}

/// The event body of an operation: the JSON object with the member from the path.
fn body_of(mut v: Value, member: MemberId) -> Result<(EventBody, Option<Timestamp>), ApiError> {
    let Value::Object(map) = &mut v else {
        return Err(ApiError::BadRequest(
            "the operation must be a JSON object with a \"type\"".into(),
        ));
    };
    let at =
        match map.remove("at") {
            None | Some(Value::Null) => None,
            Some(raw) => Some(serde_json::from_value::<Timestamp>(raw).map_err(|e| {
                ApiError::BadRequest(format!("\"at\" must be an RFC 3339 time: {e}"))
            })?),
        };
    match map.get("member") {
        None => {
            map.insert("member".into(), json!(member));
        }
        Some(m) if m == &json!(member) => {}
        Some(_) => {
            return Err(ApiError::BadRequest(
                "the operation names a different member than the path".into(),
            ));
        }
    }
    let body: EventBody = serde_json::from_value(v)
        .map_err(|e| ApiError::BadRequest(format!("the operation is not valid: {e}")))?;
    if matches!(
        body,
        EventBody::Enrolled(_) | EventBody::VisitStarted(_) | EventBody::VisitEnded(_)
    ) {
        return Err(ApiError::BadRequest(format!(
            "{} is recorded on a field device, not as a member operation",
            body.kind()
        )));
    }
    Ok((body, at))
}

async fn operate(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(raw): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let member = member_id(&id)?;
    let (body, at) = body_of(raw, member)?;
    let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    let at = crate::http::club::moment(at, "\"at\"")?;
    let mut guard = st.core();
    let core = &mut *guard;
    if at.millis() < now.millis() - BACKDATE_GRACE_MS {
        let (store, company) = core
            .members
            .get(&member)
            .map_or((p.user.store, None), |m| (m.store, m.company));
        perm::check(&p, Op::Backdate, Target::member(store, member, company))?;
    }
    let (event, mut batch, touched) = fold_online(core, &p, at, body)?;
    let store = core
        .members
        .get(&member)
        .map(|m| m.store)
        .unwrap_or(p.user.store);
    let stored = StoredEvent {
        event: event.clone(),
        outcome: docs::Outcome::Accepted {
            member: Some(member),
        },
        received_at: now,
    };
    EVENTS.put(&mut batch, &event.id.to_string(), &stored)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        &p,
        Entry {
            action: event.body.kind(),
            store,
            member: Some(member),
            detail: format!("event {}", event.id),
        },
    )?;
    core.commit(batch, touched)?;
    let state = ledger::state(core, &Batch::default(), member, store)?;
    tracing::info!(user = %p.user.username, event = %event.id, kind = event.body.kind(), "operation recorded");
    Ok(Json(json!({"event": event.id, "state": state})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteRequest {
    order: Order,
}

/// `POST /api/members/{id}/quote`: the discount and points an order would bring, before it is
/// settled; changes nothing.
async fn quote(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<Value>, ApiError> {
    let member = member_id(&id)?;
    let store = store_of(&st, member)?;
    perm::check(
        &p,
        Op::SettleOrder,
        Target::member(store, member, fold::company_of(&st.core(), member)),
    )?;
    let core = st.core();
    let program = ledger::program_of(&core, store)
        .ok_or_else(|| ApiError::internal(format!("store {store} has no program")))?;
    let events = ledger::member_events(&core, &Batch::default(), member)?;
    let q = quote_events(&program, &events, &req.order, ledger::today());
    Ok(Json(
        serde_json::to_value(q).map_err(|e| ApiError::internal(e))?,
    ))
}
