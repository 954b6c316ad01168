//! Physical card stock beyond the blocks on devices (DOMAIN.md §2, 001 会员卡管理制度): sample
//! cards lent out for at most 24 hours and borrowed cards for at most 36 hours, each signed out by
//! a manager and returned; and sold cards written off against the receipt of their fee.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_shared::{CardNo, ReceiptNo, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::api::{ApiError, ApiJson, AppState, Caller};
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::perm::{self, Op, Target};
use crate::storage::Batch;

/// The routes of card stock.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/card-stock/loans", get(list_loans).post(lend))
        .route("/api/card-stock/loans/{id}/return", post(give_back))
        .route(
            "/api/card-stock/write-offs",
            get(list_write_offs).post(write_off),
        )
}

/// Why a card left the drawer for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanKind {
    /// A sample card, for showing: back within 24 hours.
    Sample,
    /// A borrowed card: back within 36 hours.
    Borrowed,
}

impl LoanKind {
    fn hours(self) -> i64 {
        match self {
            LoanKind::Sample => 24,
            LoanKind::Borrowed => 36,
        }
    }
}

/// A card signed out to a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Loan {
    pub id: String,
    pub card: CardNo,
    pub kind: LoanKind,
    pub holder: UserId,
    pub store: StoreId,
    pub signed_by: UserId,
    pub lent_at: Timestamp,
    pub due_at: Timestamp,
    pub returned_at: Option<Timestamp>,
    /// Returned after the limit.
    pub late: bool,
}

/// A sold card matched with the receipt of its fee.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteOff {
    pub card: CardNo,
    pub receipt: ReceiptNo,
    pub store: StoreId,
    pub by: UserId,
    pub at: Timestamp,
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

fn denied(e: perm::Denied) -> ApiError {
    ApiError::Forbidden(e.to_string())
}

fn load<T: for<'de> Deserialize<'de>>(st: &AppState, key: &str) -> Result<Option<T>, ApiError> {
    let core = st.core();
    Ok(core
        .store
        .get(key.as_bytes())?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}

fn scan<T: for<'de> Deserialize<'de>>(st: &AppState, prefix: &str) -> Result<Vec<T>, ApiError> {
    let core = st.core();
    Ok(core
        .store
        .scan(prefix.as_bytes())?
        .iter()
        .filter_map(|(_, v)| serde_json::from_slice(v).ok())
        .collect())
}

fn commit(
    st: &AppState,
    p: &Principal,
    key: String,
    value: &impl Serialize,
    entry: Entry<'_>,
) -> Result<(), ApiError> {
    let core = st.core();
    let mut batch = Batch::default();
    batch.put(key, serde_json::to_vec(value).unwrap_or_default());
    audit::record(core.store.as_ref(), &mut batch, p, entry)?;
    core.store.commit(batch)?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LendRequest {
    card: CardNo,
    kind: LoanKind,
    holder: UserId,
}

async fn lend(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<LendRequest>,
) -> Result<Json<Value>, ApiError> {
    let holder = st
        .accounts
        .user(req.holder)?
        .ok_or_else(|| ApiError::NotFound(format!("no person {}", req.holder)))?;
    perm::check(&p, Op::ManageCards, Target::store(holder.store)).map_err(denied)?;
    if let Some(m) = st.core().members.values().find(|m| m.card == req.card) {
        return Err(ApiError::Conflict(format!(
            "card {} was issued to member {}; it is not stock",
            req.card, m.id
        )));
    }
    let open: Vec<Loan> = scan(&st, "loan/")?;
    if let Some(l) = open
        .iter()
        .find(|l| l.card == req.card && l.returned_at.is_none())
    {
        return Err(ApiError::Conflict(format!(
            "card {} is already out until {}",
            req.card, l.due_at
        )));
    }
    let lent_at = now();
    let loan = Loan {
        id: uuid::Uuid::now_v7().to_string(),
        card: req.card,
        kind: req.kind,
        holder: holder.id,
        store: holder.store,
        signed_by: p.user.id,
        lent_at,
        due_at: Timestamp::from_millis(lent_at.millis() + req.kind.hours() * 3_600_000),
        returned_at: None,
        late: false,
    };
    let detail = format!(
        "{:?} card {} to {} until {}",
        loan.kind, loan.card, holder.username, loan.due_at
    );
    commit(
        &st,
        &p,
        format!("loan/{}", loan.id),
        &loan,
        Entry {
            action: "lend_card",
            store: loan.store,
            member: None,
            detail,
        },
    )?;
    Ok(Json(json!({ "loan": loan })))
}

async fn give_back(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let unknown = || ApiError::NotFound(format!("no card loan {id}"));
    if id.len() > 64 {
        return Err(unknown());
    }
    let mut loan: Loan = load(&st, &format!("loan/{id}"))?.ok_or_else(unknown)?;
    match perm::check(&p, Op::ManageCards, Target::store(loan.store)) {
        Ok(()) => {}
        Err(perm::Denied::OtherStore { .. }) => return Err(unknown()),
        Err(e) => return Err(denied(e)),
    }
    if loan.returned_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "card {} was already returned",
            loan.card
        )));
    }
    let at = now();
    loan.returned_at = Some(at);
    loan.late = at > loan.due_at;
    let detail = format!(
        "card {} returned{}",
        loan.card,
        if loan.late { " late" } else { "" }
    );
    commit(
        &st,
        &p,
        format!("loan/{id}"),
        &loan,
        Entry {
            action: "return_card",
            store: loan.store,
            member: None,
            detail,
        },
    )?;
    Ok(Json(json!({ "loan": loan })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoanQuery {
    #[serde(default)]
    open: Option<bool>,
    #[serde(default)]
    overdue: Option<bool>,
}

async fn list_loans(
    State(st): State<AppState>,
    Caller(p): Caller,
    q: Result<Query<LoanQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let scope = perm::check_any(&p, Op::ManageCards).map_err(denied)?;
    let at = now();
    let loans: Vec<Value> = scan::<Loan>(&st, "loan/")?
        .into_iter()
        .filter(|l| perm::within(&p, scope, l.store, None))
        .map(|l| {
            let overdue = l.returned_at.is_none() && at > l.due_at;
            (l, overdue)
        })
        .filter(|(l, _)| q.open.is_none_or(|open| open == l.returned_at.is_none()))
        .filter(|(_, overdue)| q.overdue.is_none_or(|want| want == *overdue))
        .map(|(l, overdue)| json!({ "loan": l, "overdue": overdue }))
        .collect();
    Ok(Json(json!({ "loans": loans })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteOffRequest {
    card: CardNo,
    receipt: ReceiptNo,
}

async fn write_off(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<WriteOffRequest>,
) -> Result<Json<Value>, ApiError> {
    let (store, receipt) = {
        let core = st.core();
        let member = core
            .members
            .values()
            .find(|m| m.card == req.card)
            .ok_or_else(|| {
                ApiError::Conflict(format!(
                    "card {} was not sold: no member holds it",
                    req.card
                ))
            })?;
        (member.store, member.receipt.clone())
    };
    perm::check(&p, Op::WriteOffCards, Target::store(store)).map_err(denied)?;
    if receipt.as_deref() != Some(req.receipt.as_str()) {
        return Err(ApiError::Conflict(format!(
            "card {} was sold against receipt {}, not {}",
            req.card,
            receipt.unwrap_or_else(|| "none".into()),
            req.receipt
        )));
    }
    if load::<WriteOff>(&st, &format!("writeoff/{}", req.card))?.is_some() {
        return Err(ApiError::Conflict(format!(
            "card {} is already written off",
            req.card
        )));
    }
    let w = WriteOff {
        card: req.card,
        receipt: req.receipt,
        store,
        by: p.user.id,
        at: now(),
    };
    let detail = format!("card {} against receipt {}", w.card, w.receipt);
    commit(
        &st,
        &p,
        format!("writeoff/{}", w.card),
        &w,
        Entry {
            action: "write_off_card",
            store,
            member: None,
            detail,
        },
    )?;
    Ok(Json(json!({ "write_off": w })))
}

async fn list_write_offs(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<Value>, ApiError> {
    let scope = perm::check_any(&p, Op::WriteOffCards).map_err(denied)?;
    let done: Vec<WriteOff> = scan::<WriteOff>(&st, "writeoff/")?
        .into_iter()
        .filter(|w| perm::within(&p, scope, w.store, None))
        .collect();
    // Sold cards (a fee was collected) still waiting for their receipt to be matched.
    let pending: Vec<Value> = st
        .core()
        .members
        .values()
        .filter(|m| perm::within(&p, scope, m.store, None) && m.fee.fen() > 0)
        .filter(|m| !done.iter().any(|w| w.card == m.card))
        .map(|m| json!({ "card": m.card, "receipt": m.receipt, "fee": m.fee, "member": m.id }))
        .collect();
    Ok(Json(json!({ "write_offs": done, "pending": pending })))
}
