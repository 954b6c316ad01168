//! Requests to change a member's contact details — a new phone number, the times to call, SMS
//! consent — made on the member's phone (offline too) or at the counter, and the store's answer.
//!
//! A request is an event (`contact_change_requested`) kept among the member's events; while the
//! store has not answered it, it is also noted in a table of open requests, which is the back
//! office's list. The answer is an event too (`contact_change_decided`, through
//! `POST /api/members/{id}/operations`): confirmed, the new phone number goes on the member's file
//! and index, the call times and SMS consent into the service file (the projection applies them);
//! declined, the reason reaches the member's phone with their record.

use std::collections::HashMap;

use carclub_shared::care::CallSlot;
use carclub_shared::{
    CardNo, Event, EventBody, EventId, MemberId, Phone, StoreId, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};

use super::Core;
use super::auth::Principal;
use super::history::name_of;
use super::ops::mask;
use super::perm::{self, Denied, Op, Target};
use crate::storage::keys::CONTACT_CHANGES_OPEN;
use crate::storage::{Batch, Order, StoreError};

/// The operation whose permission shows the list: the one a `contact_change_decided` records.
pub const OP: Op = Op::DecideContactChange;

/// Most requests listed at once.
pub const MAX_LISTED: usize = 500;

/// An open request as the table keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Open {
    member: MemberId,
    store: StoreId,
    at: Timestamp,
    by: UserId,
    #[serde(default)]
    phone: Option<Phone>,
    #[serde(default)]
    call_slots: Option<Vec<CallSlot>>,
    #[serde(default)]
    sms_consent: Option<bool>,
}

/// Why the list of contact changes was refused.
#[derive(Debug, thiserror::Error)]
pub enum ContactChangesError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No store has this id.
    #[error("store {0} does not exist")]
    UnknownStore(StoreId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request awaiting the store's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactChangeRequest {
    /// The request's event id: the `request` of the answer.
    pub request: EventId,
    pub member: MemberId,
    pub store: StoreId,
    pub name: String,
    pub card: CardNo,
    /// The phone number on file now, its middle masked for roles that do not see contacts.
    pub phone: String,
    /// When it was asked for.
    pub at: Timestamp,
    /// Whether the member asked on their own phone (otherwise staff keyed it in).
    pub by_member: bool,
    /// Who keyed it in, when staff did.
    #[schema(required = true)]
    pub by_name: Option<String>,
    /// The new phone number asked for, masked as the one on file is.
    #[schema(required = true)]
    pub new_phone: Option<String>,
    /// The times to call asked for.
    #[schema(required = true)]
    pub call_slots: Option<Vec<CallSlot>>,
    /// The SMS consent asked for.
    #[schema(required = true)]
    pub sms_consent: Option<bool>,
}

/// The requests awaiting the store's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactChanges {
    /// Oldest first, at most [`MAX_LISTED`].
    pub pending: Vec<ContactChangeRequest>,
    /// More are waiting than listed.
    pub more: bool,
}

/// Notes an accepted request (no engine objection) as open, or takes an answered one off the
/// list; other events change nothing here.
pub(crate) fn note(batch: &mut Batch, store: StoreId, event: &Event) -> Result<(), StoreError> {
    match &event.body {
        EventBody::ContactChangeRequested {
            member,
            phone,
            call_slots,
            sms_consent,
        } => {
            let open = Open {
                member: *member,
                store,
                at: event.at,
                by: event.author,
                phone: phone.clone(),
                call_slots: call_slots.clone(),
                sms_consent: *sms_consent,
            };
            CONTACT_CHANGES_OPEN.put(batch, &event.id.to_string(), &open)
        }
        EventBody::ContactChangeDecided { request, .. } => {
            CONTACT_CHANGES_OPEN.delete(batch, &request.to_string());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The new phone number a confirmed answer puts on the member's file, if it names one.
pub(crate) fn confirmed_phone(
    core: &Core,
    batch: &Batch,
    event: &Event,
) -> Result<Option<Phone>, StoreError> {
    let EventBody::ContactChangeDecided {
        request,
        confirmed: true,
        ..
    } = &event.body
    else {
        return Ok(None);
    };
    let open: Option<Open> =
        CONTACT_CHANGES_OPEN.get_through(core.store.as_ref(), batch, &request.to_string())?;
    Ok(open.and_then(|o| o.phone))
}

/// The requests awaiting an answer in `p`'s scope (or in `store`), oldest first.
pub fn pending(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
) -> Result<ContactChanges, ContactChangesError> {
    let scope = perm::check_any(p, OP)?;
    if let Some(store) = store {
        perm::check(p, OP, Target::store(store))?;
        if core.accounts.store_record(store)?.is_none() {
            return Err(ContactChangesError::UnknownStore(store));
        }
    }
    let mut found: Vec<(String, Open)> = Vec::new();
    CONTACT_CHANGES_OPEN.visit(core.store.as_ref(), Order::Forward, &mut |k, open: Open| {
        let company = core.members.get(&open.member).and_then(|m| m.company);
        if store.is_none_or(|s| s == open.store)
            && perm::within_member(p, scope, open.store, open.member, company)
        {
            let id = k
                .get(CONTACT_CHANGES_OPEN.prefix().len()..)
                .map(|rest| String::from_utf8_lossy(rest).into_owned())
                .unwrap_or_default();
            found.push((id, open));
        }
        Ok(true)
    })?;
    found.sort_by_key(|(id, open)| (open.at, id.clone()));
    let more = found.len() > MAX_LISTED;
    found.truncate(MAX_LISTED);
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let mut names = HashMap::new();
    let mut pending = Vec::with_capacity(found.len());
    for (id, open) in found {
        let (Ok(request), Some(file)) = (id.parse::<EventId>(), core.members.get(&open.member))
        else {
            continue;
        };
        let sees = perm::within_member(p, contact, file.store, file.id, file.company);
        let shown = |phone: &str| {
            if sees { phone.to_owned() } else { mask(phone) }
        };
        let by_member = core.accounts.member_of(open.by)?.is_some();
        pending.push(ContactChangeRequest {
            request,
            member: open.member,
            store: open.store,
            name: file.name.clone(),
            card: file.card.clone(),
            phone: shown(file.phone.as_str()),
            at: open.at,
            by_member,
            by_name: if by_member {
                None
            } else {
                name_of(core, &mut names, open.by)?
            },
            new_phone: open.phone.as_ref().map(|ph| shown(ph.as_str())),
            call_slots: open.call_slots,
            sms_consent: open.sms_consent,
        });
    }
    Ok(ContactChanges { pending, more })
}
