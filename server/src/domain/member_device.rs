//! A member's own phone as a device: the documents it reads besides its journal and status.
//!
//! A member's device reads their member file (file and state, as every device does), their
//! **member record** — every accepted event about them and their invitations to club events, so
//! the phone projects points, benefits, tier, ledger and reminders with `shared`'s projection
//! offline — and their store's **club** document (the program's name and the active partner
//! merchants). Records and club documents are made when a member registers a device (the record
//! filled from what is on file) and kept from then on by the fold, club events and partners; a
//! member who never registered a device costs nothing.

use automerge::Automerge;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, Club, DocKind, InvitationEntry, MemberRecord, PartnerEntry};
use carclub_shared::{Event, MemberId, StoreId};

use super::club_events::ClubEvent;
use super::core::{Core, DocMeta};
use super::ledger;
use super::partners::Partner;
use crate::storage::keys::{CLUB_EVENTS, PARTNERS};
use crate::storage::{Batch, Order, StoreError};

/// The documents a member's device reads besides its own.
#[derive(Debug, Clone, Copy)]
pub struct MemberDocs {
    pub file: DocumentId,
    pub record: DocumentId,
    pub club: DocumentId,
}

/// Makes sure `member`'s record and their store's club document exist (filled from what is on
/// file), and commits them; returns the documents the member's device reads.
pub fn setup(core: &mut Core, member: MemberId, store: StoreId) -> Result<MemberDocs, StoreError> {
    let mut batch = Batch::default();
    let mut touched = Vec::new();
    let record = docs::member_record_id(member);
    if !core.meta.contains_key(&record) {
        let mut value = MemberRecord {
            events: ledger::member_events(core, &batch, member)?,
            ..MemberRecord::default()
        };
        CLUB_EVENTS.visit(
            core.store.as_ref(),
            Order::Forward,
            &mut |_, e: ClubEvent| {
                if e.invited.contains(&member) {
                    value
                        .invitations
                        .insert(e.id.to_string(), invitation(&e, member));
                }
                Ok(true)
            },
        )?;
        core.set_meta(
            &mut batch,
            record,
            meta(DocKind::MemberRecord, store, Some(member)),
        )?;
        let mut doc = Automerge::new();
        docs::write_object(&mut doc, DocKind::MemberRecord, &value);
        core.docs.insert_new(record, doc);
        core.docs.save(&record, &mut batch);
        touched.push(record);
    }
    let club = docs::club_id(store);
    if !core.meta.contains_key(&club) {
        core.set_meta(&mut batch, club, meta(DocKind::Club, store, None))?;
        core.docs.insert_new(club, Automerge::new());
        write_club(core, &mut batch, store, None, &mut touched)?;
    }
    core.commit(batch, touched)?;
    Ok(MemberDocs {
        file: docs::member_id(member),
        record,
        club,
    })
}

fn meta(kind: DocKind, store: StoreId, member: Option<MemberId>) -> DocMeta {
    DocMeta {
        kind,
        store: Some(store),
        device: None,
        member,
    }
}

/// Loads document `id` if it is kept (it has its meta); `None` if not, or not stored.
fn kept<'a>(core: &'a mut Core, id: &DocumentId) -> Result<Option<&'a mut Automerge>, StoreError> {
    if !core.meta.contains_key(id) || !core.docs.load(core.store.as_ref(), id)? {
        return Ok(None);
    }
    Ok(core.docs.get_mut(id))
}

/// Adds an accepted event to its member's record, if the member keeps one.
pub fn keep_event(
    core: &mut Core,
    batch: &mut Batch,
    member: MemberId,
    event: &Event,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    let id = docs::member_record_id(member);
    if let Some(doc) = kept(core, &id)?
        && docs::append_event(doc, event)
    {
        core.docs.save(&id, batch);
        touched.push(id);
    }
    Ok(())
}

/// The invitation to `e` as `member`'s record shows it.
fn invitation(e: &ClubEvent, member: MemberId) -> InvitationEntry {
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let attending = e.rsvps.get(&member).map(|r| r.attending);
    InvitationEntry {
        title: e.title.clone(),
        kind,
        starts_at: e.starts_at,
        place: e.place.clone(),
        points: e.points,
        attending,
        attended: e.attended.contains_key(&member),
        full: attending != Some(true) && e.accepted() >= e.capacity as usize,
    }
}

/// Writes the invitation to `e` into the record of each invited member who keeps one.
pub fn write_invitations(
    core: &mut Core,
    batch: &mut Batch,
    e: &ClubEvent,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    let key = e.id.to_string();
    for member in &e.invited {
        let id = docs::member_record_id(*member);
        if let Some(doc) = kept(core, &id)?
            && docs::write_entry(doc, "invitations", &key, &invitation(e, *member))
        {
            core.docs.save(&id, batch);
            touched.push(id);
        }
    }
    Ok(())
}

/// Rewrites `store`'s club document, if it is kept: the store's name and program and its active
/// partner merchants (the device compares their dates with its day). `changed` is a partner
/// written in `batch`, not yet in the store.
pub fn write_club(
    core: &mut Core,
    batch: &mut Batch,
    store: StoreId,
    changed: Option<&Partner>,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    let id = docs::club_id(store);
    if !core.meta.contains_key(&id) {
        return Ok(());
    }
    let mut club = Club::default();
    if let Some(record) = core.accounts.store_record(store)? {
        club.name = record.name;
        club.program = record.program;
    }
    PARTNERS.visit(core.store.as_ref(), Order::Forward, &mut |_, p: Partner| {
        if p.store == store && p.active {
            club.partners.insert(p.id.to_string(), partner_entry(&p));
        }
        Ok(true)
    })?;
    if let Some(p) = changed.filter(|p| p.store == store) {
        let key = p.id.to_string();
        if p.active {
            club.partners.insert(key, partner_entry(p));
        } else {
            club.partners.remove(&key);
        }
    }
    if let Some(doc) = kept(core, &id)?
        && docs::write_object(doc, DocKind::Club, &club)
    {
        core.docs.save(&id, batch);
        touched.push(id);
    }
    Ok(())
}

fn partner_entry(p: &Partner) -> PartnerEntry {
    let kind = serde_json::to_value(p.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    PartnerEntry {
        name: p.name.clone(),
        kind,
        discount: p.discount.clone(),
        valid_from: p.valid_from.to_string(),
        valid_until: p.valid_until.to_string(),
    }
}
