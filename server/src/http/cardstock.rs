//! Card stock in the drawer: loans of sample and borrowed cards, and write-offs of sold cards
//! (`/api/card-stock/…`; the rules are in `domain::cardstock`).

use axum::Json;
use axum::extract::State;
use carclub_shared::cardstock::LoanKind;
use carclub_shared::{CardNo, MemberId, ReceiptNo, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Code, Conflict, Detail, Errors, NotFound};
use super::extract::page_limit;
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::domain::cardstock::{
    self, LendInput, Loan, LoanFilter, LoanId, LoanView, PendingWriteOff, WriteOff, WriteOffCursor,
};

/// The routes of card stock.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_card_loans, lend_card))
        .routes(routes!(return_card))
        .routes(routes!(list_card_write_offs, write_off_card))
}

/// A card to sign out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LendRequest {
    card: CardNo,
    kind: LoanKind,
    /// The person who takes the card.
    holder: UserId,
}

/// One loan.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoanAnswer {
    pub loan: Loan,
}

/// Which loans, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoansQuery {
    /// Only open (`true`) or only returned (`false`) loans.
    open: Option<bool>,
    /// Only loans out past their due time (`true`) or only the others (`false`).
    overdue: Option<bool>,
    /// Most loans in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: loans after this one.
    #[param(value_type = Option<uuid::Uuid>)]
    after: Option<LoanId>,
}

/// A page of loans, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoansPage {
    pub loans: Vec<LoanView>,
    /// Pass as `after` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<LoanId>,
}

/// A sold card to write off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    card: CardNo,
    /// The receipt of the card's fee.
    receipt: ReceiptNo,
}

/// One write-off.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOffAnswer {
    pub write_off: WriteOff,
}

/// Which page of write-offs and of pending cards.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WriteOffsQuery {
    /// Most write-offs, and most pending cards, in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: write-offs of cards after this one.
    after: Option<CardNo>,
    /// The `pending_next` cursor of the previous page: pending cards of members after this one.
    pending_after: Option<MemberId>,
}

/// Write-offs, and sold cards still waiting for theirs.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOffsPage {
    /// Write-offs, by card number.
    pub write_offs: Vec<WriteOff>,
    /// Sold cards (a fee was collected) whose receipt is not matched yet, by member id.
    pub pending: Vec<PendingWriteOff>,
    /// Pass as `after` for the next page of write-offs; null on the last page.
    pub next: Option<CardNo>,
    /// Pass as `pending_after` for the next page of pending cards; null on the last page.
    pub pending_next: Option<MemberId>,
}

/// Sign a sample or borrowed card out of the drawer.
///
/// A sample card is due back in 24 hours, a borrowed card in 36. Managers of the holder's store;
/// a card issued to a member, or already out, is refused (409).
#[utoipa::path(post, path = "/api/card-stock/loans", tag = "cards",
    request_body = LendRequest,
    responses((status = 200, description = "The loan", body = LoanAnswer),
        Errors, NotFound, Conflict, BodyErrors))]
async fn lend_card(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<LendRequest>,
) -> Result<Json<LoanAnswer>, ApiError> {
    let input = LendInput {
        card: req.card,
        kind: req.kind,
        holder: req.holder,
    };
    let loan = cardstock::lend(&mut st.core(), &p, input)?;
    Ok(Json(LoanAnswer { loan }))
}

/// Record a lent card back in the drawer.
///
/// Returned after its due time, the loan is kept and marked late. A loan is returned once (409
/// after); an id that names no loan, or a loan of another store, is not found.
#[utoipa::path(post, path = "/api/card-stock/loans/{id}/return", tag = "cards",
    params(("id" = uuid::Uuid, Path, description = "The loan")),
    responses((status = 200, description = "The loan, returned", body = LoanAnswer),
        Errors, NotFound, Conflict))]
async fn return_card(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<LoanAnswer>, ApiError> {
    // Text that is no loan id names no loan: not found, as it always was.
    let id = LoanId::parse(&id).map_err(|e| {
        ApiError::NotFound(Detail::new(
            Code::CardLoanNotFound,
            format!("no card loan {}", e.raw),
            format!("没有借卡记录 {}", e.raw),
        ))
    })?;
    let loan = cardstock::give_back(&mut st.core(), &p, id)?;
    Ok(Json(LoanAnswer { loan }))
}

/// Card loans, each with whether it is overdue now.
///
/// Sorted by loan id, i.e. the order the cards were lent; paged with `limit` and `after`.
/// Within the caller's scope.
#[utoipa::path(get, path = "/api/card-stock/loans", tag = "cards",
    params(LoansQuery),
    responses((status = 200, description = "A page of loans", body = LoansPage), Errors))]
async fn list_card_loans(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<LoansQuery>,
) -> Result<Json<LoansPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let filter = LoanFilter {
        open: q.open,
        overdue: q.overdue,
        after: q.after,
    };
    let (loans, next) = cardstock::loans(&st.core(), &p, &filter, limit)?;
    Ok(Json(LoansPage { loans, next }))
}

/// Write a sold card off against the receipt of its fee.
///
/// The receipt must be the one the card was sold against; a card is written off once; a card no
/// member holds was not sold (409 for each).
#[utoipa::path(post, path = "/api/card-stock/write-offs", tag = "cards",
    request_body = WriteOffRequest,
    responses((status = 200, description = "The write-off", body = WriteOffAnswer),
        Errors, Conflict, BodyErrors))]
async fn write_off_card(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<WriteOffRequest>,
) -> Result<Json<WriteOffAnswer>, ApiError> {
    let write_off = cardstock::write_off(&mut st.core(), &p, req.card, req.receipt)?;
    Ok(Json(WriteOffAnswer { write_off }))
}

/// Written-off cards, and sold cards still waiting for their receipt to be matched.
///
/// Write-offs are sorted by card number and paged with `limit` and `after`; pending cards by
/// member id (the order members enrolled), paged with `limit` and `pending_after`. Within the
/// caller's scope.
#[utoipa::path(get, path = "/api/card-stock/write-offs", tag = "cards",
    params(WriteOffsQuery),
    responses((status = 200, description = "Write-offs and pending cards", body = WriteOffsPage),
        Errors))]
async fn list_card_write_offs(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<WriteOffsQuery>,
) -> Result<Json<WriteOffsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let cursor = WriteOffCursor {
        after: q.after,
        pending_after: q.pending_after,
    };
    let page = cardstock::write_offs(&st.core(), &p, &cursor, limit)?;
    Ok(Json(WriteOffsPage {
        write_offs: page.write_offs,
        pending: page.pending,
        next: page.next,
        pending_next: page.pending_next,
    }))
}
