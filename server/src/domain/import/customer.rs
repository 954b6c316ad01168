//! Folding a `customer_imported` event: the member file of a customer brought in from the DMS,
//! created as an enrollment creates one (file, index, directory, the holders of its VIN and card
//! for the one-car-one-card checks), with the engine's judgement first — unknown tier, a
//! membership dated after the event — and nothing written when it objects.

use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, DocKind, MemberFile, VehicleEntry};
use carclub_shared::events::CustomerImport;
use carclub_shared::{CardNo, Event};

use crate::domain::Core;
use crate::domain::core::DocMeta;
use crate::domain::fold::{EnrollmentError, Refusal, refresh_or_defer};
use crate::domain::ledger;
use crate::storage::keys::HOLDERS;
use crate::storage::{Batch, StoreError};

/// The number a prospect's file shows where a member's shows the card: the DMS customer number,
/// so the counter finds them by it. No card is issued (the engine's card list stays empty).
pub fn prospect_number(customer: &str) -> Option<CardNo> {
    CardNo::parse(&format!("DMS-{customer}")).ok()
}

/// Who holds `value` in the index `index` (`vin` or `card`), if anyone, with their name.
fn holder(
    core: &Core,
    batch: &Batch,
    index: &'static str,
    value: String,
) -> Result<Option<String>, StoreError> {
    let holders: Vec<carclub_shared::MemberId> = HOLDERS
        .get_through(core.store.as_ref(), batch, &(index, value))?
        .unwrap_or_default();
    Ok(holders.first().map(|m| {
        core.members
            .get(m)
            .map_or_else(|| m.to_string(), |f| f.name.clone())
    }))
}

/// What `fold_customer` would refuse, without writing anything.
pub(crate) fn objection(
    core: &Core,
    batch: &Batch,
    event: &Event,
    c: &CustomerImport,
) -> Result<(), Refusal> {
    if core.members.contains_key(&c.member) {
        return Err(EnrollmentError::AlreadyEnrolled(c.member).into());
    }
    let program = ledger::program_of(core, c.store).ok_or(Refusal::NoProgram(c.store))?;
    if let Some(v) = ledger::judge(&program, &[], event).first() {
        return Err(Refusal::Engine(v.clone()));
    }
    if let Some(name) = holder(core, batch, "vin", c.vehicle.vin.to_string())? {
        return Err(EnrollmentError::VehicleOnFile {
            vin: c.vehicle.vin.clone(),
            name,
        }
        .into());
    }
    if let Some(m) = &c.membership
        && let Some(name) = holder(core, batch, "card", m.card.to_string())?
    {
        return Err(EnrollmentError::CardOnFile {
            card: m.card.clone(),
            name,
        }
        .into());
    }
    Ok(())
}

/// Folds an accepted `customer_imported` (the permission is checked by the caller).
pub(crate) fn fold_customer(
    core: &mut Core,
    event: &Event,
    c: &CustomerImport,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), Refusal> {
    objection(core, batch, event, c)?;
    let card = match &c.membership {
        Some(m) => m.card.clone(),
        None => prospect_number(c.customer.as_str())
            .ok_or_else(|| EnrollmentError::CustomerNumber(c.customer.to_string()))?,
    };
    let file = MemberFile {
        id: c.member,
        store: c.store,
        name: c.person.name.to_string(),
        phone: c.person.phone.clone(),
        tier: c
            .membership
            .as_ref()
            .map(|m| m.tier.to_string())
            .unwrap_or_default(),
        status: if c.membership.is_some() {
            "active".into()
        } else {
            "prospect".into()
        },
        card: card.clone(),
        vehicles: vec![VehicleEntry {
            vin: c.vehicle.vin.clone(),
            plate: c.vehicle.plate.clone(),
            card,
        }],
        fee: carclub_shared::Money::ZERO,
        receipt: None,
        channel: "import".into(),
        enrolled_at: event.at,
        enrolled_by: event.author,
        enrolled_on: event.device,
        events: vec![event.id.to_string()],
        conflicts: Vec::new(),
        company: None,
    };
    core.set_meta(
        batch,
        docs::member_id(c.member),
        DocMeta {
            kind: DocKind::Member,
            store: Some(c.store),
            device: None,
            member: Some(c.member),
        },
    )?;
    core.index.insert(&file);
    core.members.insert(c.member, file);
    ledger::keep(batch, c.member, event)?;
    HOLDERS.put(batch, &("vin", c.vehicle.vin.to_string()), &vec![c.member])?;
    if let Some(m) = &c.membership {
        HOLDERS.put(batch, &("card", m.card.to_string()), &vec![c.member])?;
    }
    refresh_or_defer(core, c.member, batch, touched)?;
    Ok(())
}
