//! Club operations at the counter, and the member file.
//!
//! An operation is an event: the server builds a `carclub_shared::Event` (author: the caller;
//! device: the caller's device, or the caller's back-office console id; a fresh id; now, or an
//! earlier moment when a paper record is keyed in later) and hands it to `fold::apply` — the same
//! validate-and-fold path as events arriving through sync — in `Mode::Online`: the permission
//! matrix, then the program engine, whose objection refuses the operation with its reason and
//! changes nothing. Accepted events reach devices through the member documents.
//!
//! Dating follows `carclub_shared::dating::date_operation`: never in the future, at most three
//! years back, and more than a day back only with the backdate permission.

use std::collections::{BTreeMap, HashMap};

use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, ConflictRef, MemberFile, Outcome, VehicleEntry};
use carclub_shared::dating::{self, DatingError};
use carclub_shared::events::{Channel, DocumentKind, Order};
use carclub_shared::projection::{MemberState, Quote, quote_events};
use carclub_shared::{
    CardNo, CompanyId, DeviceId, Event, EventBody, EventId, MemberId, Money, StoreId, Timestamp,
    UserId,
};
use serde::Serialize;

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::fold::{self, Mode, Refusal, StoredEvent};
use super::history;
use super::ledger;
use super::perm::{self, Op, Target};
use crate::storage::keys::EVENTS;
use crate::storage::{Batch, StoreError};

/// Why an operation or a view of a member file was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// No member file has this id.
    #[error("member {0} is not on file")]
    NotOnFile(MemberId),
    /// The operation's body names another member than the one it is recorded on.
    #[error("the operation names a different member than the path")]
    OtherMember { path: MemberId, named: MemberId },
    /// Enrollments and visits are recorded on field devices only.
    #[error("{kind} is recorded on a field device, not as a member operation")]
    FieldDeviceOnly { kind: &'static str },
    /// The moment asked for is in the future or too far back.
    #[error("\"at\": {0}")]
    Dating(#[from] DatingError),
    /// The member's store runs no program the server knows.
    #[error("store {0} has no program")]
    NoProgram(StoreId),
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A phone or ID number with its middle hidden, for roles that do not need it (DOMAIN.md §7).
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A member's file as a caller may see it: the phone masked for roles that do not see contact
/// details, the state computed today, and the document's URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberFileView {
    pub id: MemberId,
    pub store: StoreId,
    pub name: String,
    /// The phone number, its middle masked (`138****8000`) for roles that do not see contacts.
    pub phone: String,
    pub tier: String,
    pub status: String,
    pub card: CardNo,
    pub vehicles: Vec<VehicleEntry>,
    pub fee: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    pub channel: String,
    pub enrolled_at: Timestamp,
    pub enrolled_by: UserId,
    pub enrolled_on: DeviceId,
    pub events: Vec<String>,
    pub conflicts: Vec<ConflictRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyId>,
    /// The member's state today (null when the store's program is not set up).
    #[schema(required = true)]
    pub state: Option<MemberState>,
    /// The member document's `automerge:` URL.
    pub url: String,
    /// The names of the staff this file names (who enrolled the member, the advisors of the
    /// service visits), by account.
    pub staff: BTreeMap<UserId, String>,
    /// The documents staff saw and copied at the enrollment (DOMAIN.md §2).
    pub documents: Vec<DocumentKind>,
    /// The member who referred this one, for a referral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Referrer>,
}

/// The member who referred another, as the referred member's file names them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referrer {
    pub id: MemberId,
    pub name: String,
    pub card: CardNo,
}

impl MemberFileView {
    fn new(file: &MemberFile, contact: bool, state: Option<MemberState>) -> Self {
        let f = file.clone();
        Self {
            phone: if contact {
                f.phone.to_string()
            } else {
                mask(f.phone.as_str())
            },
            id: f.id,
            store: f.store,
            name: f.name,
            tier: f.tier,
            status: f.status,
            card: f.card,
            vehicles: f.vehicles,
            fee: f.fee,
            receipt: f.receipt,
            channel: f.channel,
            enrolled_at: f.enrolled_at,
            enrolled_by: f.enrolled_by,
            enrolled_on: f.enrolled_on,
            events: f.events,
            conflicts: f.conflicts,
            company: f.company,
            state,
            url: docs::member_id(f.id).url(),
            staff: BTreeMap::new(),
            documents: Vec::new(),
            referrer: None,
        }
    }

    /// Fills in the documents and the referrer from the member's enrollment.
    fn name_enrollment(&mut self, core: &Core) -> Result<(), StoreError> {
        let events = ledger::member_events(core, &Batch::default(), self.id)?;
        let Some(e) = events.iter().find_map(|e| match &e.body {
            EventBody::Enrolled(en) => Some(en),
            _ => None,
        }) else {
            return Ok(());
        };
        self.documents = e.documents_seen.clone();
        self.documents.sort();
        self.documents.dedup();
        if let Channel::Referral { referrer } = e.channel {
            self.referrer = core.members.get(&referrer).map(|r| Referrer {
                id: r.id,
                name: r.name.clone(),
                card: r.card.clone(),
            });
        }
        Ok(())
    }

    /// Fills in `staff` from the accounts.
    fn name_staff(&mut self, core: &Core) -> Result<(), StoreError> {
        let mut ids = vec![self.enrolled_by];
        if let Some(state) = &self.state {
            for v in &state.care.vehicles {
                ids.extend(v.visits.iter().filter_map(|visit| visit.advisor));
                ids.extend(v.inspections.iter().map(|i| i.by));
            }
        }
        let mut names = HashMap::new();
        for id in ids {
            if let Some(name) = history::name_of(core, &mut names, id)? {
                self.staff.insert(id, name);
            }
        }
        Ok(())
    }
}

/// The store of `member`.
fn store_of(core: &Core, member: MemberId) -> Result<StoreId, OpsError> {
    core.members
        .get(&member)
        .map(|m| m.store)
        .ok_or(OpsError::NotOnFile(member))
}

/// The member's full file and state as `p` may see it; the view is audited.
pub fn file_view(core: &Core, p: &Principal, member: MemberId) -> Result<MemberFileView, OpsError> {
    let store = store_of(core, member)?;
    let target = Target::member(store, member, fold::company_of(core, member));
    perm::check(p, Op::ViewMemberFile, target)?;
    let contact = perm::check(p, Op::SeeContact, target).is_ok();
    let file = core
        .members
        .get(&member)
        .ok_or(OpsError::NotOnFile(member))?;
    let state = ledger::state(core, &Batch::default(), member, store)?;
    let mut view = MemberFileView::new(file, contact, state);
    view.name_staff(core)?;
    view.name_enrollment(core)?;
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
    Ok(view)
}

/// For a member's login, their own file (audited as any view); for staff, nothing.
pub fn own_file(core: &Core, p: &Principal) -> Result<Option<MemberFileView>, OpsError> {
    p.member.map(|m| file_view(core, p, m)).transpose()
}

/// The device an API event is recorded on: the caller's device, or their back-office console
/// (an id derived from the user's, so one person's API events share one device in the order).
fn console(p: &Principal) -> DeviceId {
    p.device.unwrap_or(DeviceId(p.user.id.0))
}

/// Builds the event of an operation `p` does through the API and folds it online (refused on
/// any objection of the permission matrix or the program engine). Returns the event, and the batch
/// and documents it touched, for the caller to add to and commit.
pub fn fold_online(
    core: &mut Core,
    p: &Principal,
    at: Timestamp,
    body: EventBody,
) -> Result<(Event, Batch, Vec<DocumentId>), Refusal> {
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

/// The event types recorded only on field devices, never as a member operation: enrollments and
/// visits.
pub const FIELD_DEVICE_ONLY: [&str; 3] = ["enrolled", "visit_started", "visit_ended"];

/// An operation on a member: what happened and, when keyed in later, when.
#[derive(Debug, Clone)]
pub struct Operation {
    pub body: EventBody,
    /// When it happened; now when absent.
    pub at: Option<Timestamp>,
}

/// An operation recorded: its event and the member's state after it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub event: EventId,
    /// The member's state today (null when the store's program is not set up).
    #[schema(required = true)]
    pub state: Option<MemberState>,
}

/// Records `op` on `member` as `p`: dated (backdating more than a day needs the backdate
/// permission), validated and folded online, kept with its outcome and audited, in one batch.
pub fn record(
    core: &mut Core,
    p: &Principal,
    member: MemberId,
    op: Operation,
) -> Result<Recorded, OpsError> {
    if let Some(named) = op.body.member()
        && named != member
    {
        return Err(OpsError::OtherMember {
            path: member,
            named,
        });
    }
    if FIELD_DEVICE_ONLY.contains(&op.body.kind()) {
        return Err(OpsError::FieldDeviceOnly {
            kind: op.body.kind(),
        });
    }
    let now = super::club::now();
    let date = dating::date_operation(op.at, now)?;
    if date.needs_backdate_permission {
        let (store, company) = core
            .members
            .get(&member)
            .map_or((p.user.store, None), |m| (m.store, m.company));
        perm::check(p, Op::Backdate, Target::member(store, member, company))?;
    }
    let (event, mut batch, touched) = fold_online(core, p, date.at, op.body)?;
    let store = core
        .members
        .get(&member)
        .map(|m| m.store)
        .unwrap_or(p.user.store);
    let stored = StoredEvent {
        event: event.clone(),
        outcome: Outcome::Accepted {
            member: Some(member),
        },
        received_at: now,
    };
    EVENTS.put(&mut batch, &event.id.to_string(), &stored)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
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
    Ok(Recorded {
        event: event.id,
        state,
    })
}

/// The discount and points `order` would bring `member` today, before it is settled; changes
/// nothing. Needs the permission to settle orders for the member.
pub fn quote(
    core: &Core,
    p: &Principal,
    member: MemberId,
    order: &Order,
) -> Result<Quote, OpsError> {
    let store = store_of(core, member)?;
    perm::check(
        p,
        Op::SettleOrder,
        Target::member(store, member, fold::company_of(core, member)),
    )?;
    let program = ledger::program_of(core, store).ok_or(OpsError::NoProgram(store))?;
    let events = ledger::member_events(core, &Batch::default(), member)?;
    Ok(quote_events(&program, &events, order, ledger::today()))
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask("13800138000"), "138****8000");
        assert_eq!(mask("1234567"), "*******");
    }
}
