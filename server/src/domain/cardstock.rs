//! Physical card stock beyond the blocks on devices (DOMAIN.md §2, 001 会员卡管理制度): sample
//! cards lent out for at most 24 hours and borrowed cards for at most 36 hours, each signed out by
//! a manager and returned; and sold cards written off against the receipt of their fee.
//!
//! The rules (due times, what may be lent, what may be written off) are
//! [`carclub_shared::cardstock`]'s; this module keeps the records and checks who may act.

use carclub_shared::cardstock::{self, LoanError, LoanKind, LoanState, WriteOffError};
use carclub_shared::{CardNo, MemberId, Money, ReceiptNo, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::perm::{self, Op, Target};
use crate::storage::keys::{LOANS, WRITE_OFFS};
use crate::storage::{Batch, Order, StoreError};

record_id!(
    /// A card loan.
    LoanId,
    "card loan"
);

/// A card signed out to a person.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Loan {
    #[schema(value_type = uuid::Uuid)]
    pub id: LoanId,
    pub card: CardNo,
    pub kind: LoanKind,
    pub holder: UserId,
    pub store: StoreId,
    pub signed_by: UserId,
    pub lent_at: Timestamp,
    pub due_at: Timestamp,
    #[schema(required = true)]
    pub returned_at: Option<Timestamp>,
    /// Returned after the limit.
    pub late: bool,
}

impl Loan {
    fn state(&self) -> LoanState {
        LoanState {
            kind: self.kind,
            lent_at: self.lent_at,
            due_at: self.due_at,
            returned_at: self.returned_at,
        }
    }
}

/// A loan and whether it is out past its due time now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoanView {
    pub loan: Loan,
    pub overdue: bool,
}

/// A sold card matched with the receipt of its fee.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WriteOff {
    pub card: CardNo,
    pub receipt: ReceiptNo,
    pub store: StoreId,
    pub by: UserId,
    pub at: Timestamp,
}

/// A sold card (a fee was collected) whose receipt is not matched yet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingWriteOff {
    pub card: CardNo,
    #[schema(required = true)]
    pub receipt: Option<String>,
    pub fee: Money,
    pub member: MemberId,
}

/// Why a card stock operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CardStockError {
    /// No person with this id.
    #[error("no person {0}")]
    UnknownHolder(UserId),
    /// No loan with this id the caller may see.
    #[error("no card loan {0}")]
    UnknownLoan(LoanId),
    /// The card belongs to a member.
    #[error("card {card} was issued to member {member}; it is not stock")]
    IssuedToMember { card: CardNo, member: MemberId },
    /// The card is out on an open loan.
    #[error("card {card} is already out until {until}")]
    AlreadyOut { card: CardNo, until: Timestamp },
    /// The loan was closed before.
    #[error("card {card} was already returned")]
    AlreadyReturned { card: CardNo },
    /// No member holds the card: it was never sold.
    #[error("card {card} was not sold: no member holds it")]
    NotSold { card: CardNo },
    /// The receipt handed in is not the one the card was sold against.
    #[error(
        "card {card} was sold against receipt {}, not {given}",
        sold_against.as_ref().map_or("none", |r| r.as_str())
    )]
    ReceiptMismatch {
        card: CardNo,
        sold_against: Option<ReceiptNo>,
        given: ReceiptNo,
    },
    /// The card was written off before.
    #[error("card {card} is already written off")]
    AlreadyWrittenOff { card: CardNo },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CardStockError {
    fn loan(card: &CardNo, e: LoanError) -> Self {
        let card = card.clone();
        match e {
            LoanError::IssuedToMember { member } => Self::IssuedToMember { card, member },
            LoanError::AlreadyOut { due_at } => Self::AlreadyOut {
                card,
                until: due_at,
            },
            LoanError::AlreadyReturned => Self::AlreadyReturned { card },
        }
    }

    fn write_off(card: &CardNo, e: WriteOffError) -> Self {
        let card = card.clone();
        match e {
            WriteOffError::ReceiptMismatch {
                sold_against,
                given,
            } => Self::ReceiptMismatch {
                card,
                sold_against,
                given,
            },
            WriteOffError::AlreadyWrittenOff => Self::AlreadyWrittenOff { card },
        }
    }
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// A card to sign out.
#[derive(Debug, Clone)]
pub struct LendInput {
    pub card: CardNo,
    pub kind: LoanKind,
    pub holder: UserId,
}

/// Signs `input.card` out to its holder, due back after the kind's limit.
pub fn lend(core: &mut Core, p: &Principal, input: LendInput) -> Result<Loan, CardStockError> {
    let holder = core
        .accounts
        .user(input.holder)?
        .ok_or(CardStockError::UnknownHolder(input.holder))?;
    perm::check(p, Op::ManageCards, Target::store(holder.store))?;
    let issued_to = core
        .members
        .values()
        .find(|m| m.card == input.card)
        .map(|m| m.id);
    let mut open_due = None;
    LOANS.visit(core.store.as_ref(), Order::Forward, &mut |_, l: Loan| {
        if l.card == input.card && l.state().is_open() {
            open_due = Some(l.due_at);
            return Ok(false);
        }
        Ok(true)
    })?;
    cardstock::check_lend(issued_to, open_due).map_err(|e| CardStockError::loan(&input.card, e))?;
    let state = LoanState::lent(input.kind, now());
    let loan = Loan {
        id: LoanId::new(),
        card: input.card,
        kind: input.kind,
        holder: holder.id,
        store: holder.store,
        signed_by: p.user.id,
        lent_at: state.lent_at,
        due_at: state.due_at,
        returned_at: None,
        late: false,
    };
    let detail = format!(
        "{:?} card {} to {} until {}",
        loan.kind, loan.card, holder.username, loan.due_at
    );
    let mut batch = Batch::default();
    LOANS.put(&mut batch, &loan.id.0, &loan)?;
    let entry = Entry {
        action: "lend_card",
        store: loan.store,
        member: None,
        detail,
    };
    audit::record(core.store.as_ref(), &mut batch, p, entry)?;
    core.commit(batch, Vec::new())?;
    Ok(loan)
}

/// Records loan `id`'s card back in the drawer now, late or not.
pub fn give_back(core: &mut Core, p: &Principal, id: LoanId) -> Result<Loan, CardStockError> {
    let unknown = || CardStockError::UnknownLoan(id);
    let mut loan: Loan = LOANS.get(core.store.as_ref(), &id.0)?.ok_or_else(unknown)?;
    match perm::check(p, Op::ManageCards, Target::store(loan.store)) {
        Ok(()) => {}
        Err(perm::Denied::OtherStore { .. }) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    }
    let mut state = loan.state();
    let late = state
        .give_back(now())
        .map_err(|e| CardStockError::loan(&loan.card, e))?;
    loan.returned_at = state.returned_at;
    loan.late = late;
    let detail = format!(
        "card {} returned{}",
        loan.card,
        if late { " late" } else { "" }
    );
    let mut batch = Batch::default();
    LOANS.put(&mut batch, &loan.id.0, &loan)?;
    let entry = Entry {
        action: "return_card",
        store: loan.store,
        member: None,
        detail,
    };
    audit::record(core.store.as_ref(), &mut batch, p, entry)?;
    core.commit(batch, Vec::new())?;
    Ok(loan)
}

/// Which loans a listing wants.
#[derive(Debug, Clone, Default)]
pub struct LoanFilter {
    /// Only open (`true`) or only returned (`false`) loans.
    pub open: Option<bool>,
    /// Only loans out past their due time (`true`) or only the others (`false`).
    pub overdue: Option<bool>,
    /// Only loans after this one (the cursor of the previous page).
    pub after: Option<LoanId>,
}

/// The loans `p` may see that match `filter`, oldest first (by id: the order they were lent), at
/// most `limit`; and the cursor of the next page when there are more.
pub fn loans(
    core: &Core,
    p: &Principal,
    filter: &LoanFilter,
    limit: usize,
) -> Result<(Vec<LoanView>, Option<LoanId>), CardStockError> {
    let scope = perm::check_any(p, Op::ManageCards)?;
    let at = now();
    let after = filter.after.map(|a| a.0);
    let mut more = false;
    let mut list: Vec<LoanView> = Vec::new();
    let mut keep = |l: &Loan| {
        let overdue = l.state().is_overdue(at);
        perm::within(p, scope, l.store, None)
            && filter.open.is_none_or(|open| open == l.state().is_open())
            && filter.overdue.is_none_or(|want| want == overdue)
    };
    // One more than the page, to know whether another page follows.
    let page: Vec<Loan> = LOANS.page(core.store.as_ref(), after.as_ref(), limit + 1, &mut keep)?;
    for l in page {
        if list.len() == limit {
            more = true;
            break;
        }
        let overdue = l.state().is_overdue(at);
        list.push(LoanView { loan: l, overdue });
    }
    let next = if more {
        list.last().map(|v| v.loan.id)
    } else {
        None
    };
    Ok((list, next))
}

/// Writes sold card `card` off against `receipt`, the receipt of its fee.
pub fn write_off(
    core: &mut Core,
    p: &Principal,
    card: CardNo,
    receipt: ReceiptNo,
) -> Result<WriteOff, CardStockError> {
    let (store, sold_against) = {
        let member = core
            .members
            .values()
            .find(|m| m.card == card)
            .ok_or_else(|| CardStockError::NotSold { card: card.clone() })?;
        (
            member.store,
            member
                .receipt
                .as_deref()
                .and_then(|r| ReceiptNo::parse(r).ok()),
        )
    };
    perm::check(p, Op::WriteOffCards, Target::store(store))?;
    let done = WRITE_OFFS.contains(core.store.as_ref(), &card)?;
    cardstock::check_write_off(sold_against.as_ref(), &receipt, done)
        .map_err(|e| CardStockError::write_off(&card, e))?;
    let w = WriteOff {
        card,
        receipt,
        store,
        by: p.user.id,
        at: now(),
    };
    let mut batch = Batch::default();
    WRITE_OFFS.put(&mut batch, &w.card, &w)?;
    let entry = Entry {
        action: "write_off_card",
        store,
        member: None,
        detail: format!("card {} against receipt {}", w.card, w.receipt),
    };
    audit::record(core.store.as_ref(), &mut batch, p, entry)?;
    core.commit(batch, Vec::new())?;
    Ok(w)
}

/// Where a listing of write-offs starts.
#[derive(Debug, Clone, Default)]
pub struct WriteOffCursor {
    /// Write-offs of cards after this one.
    pub after: Option<CardNo>,
    /// Pending cards of members after this one.
    pub pending_after: Option<MemberId>,
}

/// A page of write-offs and of sold cards still waiting for theirs.
#[derive(Debug, Clone)]
pub struct WriteOffPage {
    /// Write-offs by card number.
    pub write_offs: Vec<WriteOff>,
    /// The last card of the page when more write-offs follow.
    pub next: Option<CardNo>,
    /// Sold cards not written off, by member id (the order members enrolled).
    pub pending: Vec<PendingWriteOff>,
    /// The last member of the page when more pending cards follow.
    pub pending_next: Option<MemberId>,
}

/// The write-offs `p` may see, by card number, and the sold cards in `p`'s scope still waiting
/// for their receipt to be matched, by member; at most `limit` of each.
pub fn write_offs(
    core: &Core,
    p: &Principal,
    cursor: &WriteOffCursor,
    limit: usize,
) -> Result<WriteOffPage, CardStockError> {
    let scope = perm::check_any(p, Op::WriteOffCards)?;
    let mut keep = |w: &WriteOff| perm::within(p, scope, w.store, None);
    let mut write_offs: Vec<WriteOff> = WRITE_OFFS.page(
        core.store.as_ref(),
        cursor.after.as_ref(),
        limit + 1,
        &mut keep,
    )?;
    let next = if write_offs.len() > limit {
        write_offs.truncate(limit);
        write_offs.last().map(|w| w.card.clone())
    } else {
        None
    };
    let mut pending = Vec::new();
    let mut pending_next = None;
    let from = match cursor.pending_after {
        Some(m) => std::ops::Bound::Excluded(m),
        None => std::ops::Bound::Unbounded,
    };
    for m in core
        .members
        .range((from, std::ops::Bound::Unbounded))
        .map(|(_, m)| m)
    {
        if !perm::within(p, scope, m.store, None) || m.fee.fen() <= 0 {
            continue;
        }
        if WRITE_OFFS.contains(core.store.as_ref(), &m.card)? {
            continue;
        }
        if pending.len() == limit {
            pending_next = pending.last().map(|w: &PendingWriteOff| w.member);
            break;
        }
        pending.push(PendingWriteOff {
            card: m.card.clone(),
            receipt: m.receipt.clone(),
            fee: m.fee,
            member: m.id,
        });
    }
    Ok(WriteOffPage {
        write_offs,
        next,
        pending,
        pending_next,
    })
}
