//! Validating uploaded events and folding the accepted ones into the server-owned documents.
//!
//! Each event is checked against who sent it (the device's user and role), the store's program and
//! the device's card block. A rejected event gets its reason in the device's status document and
//! changes nothing else. An accepted one updates the member files, the store directory and the
//! indexes. Invariants that offline devices can break together (one active card per vehicle, card
//! numbers unique, a receipt counted once) are never fixed by dropping a record: every record is
//! kept and a [`Conflict`] is raised for the back office. An event id seen before is skipped, so a
//! retried upload changes nothing.

use automerge::Automerge;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{
    self, ConflictRef, DeviceStatus, DirectoryEntry, DocKind, MemberFile, Outcome, VehicleEntry,
};
use carclub_shared::events::{Channel, Enrollment};
use carclub_shared::{DeviceId, Event, EventBody, EventId, MemberId, Money, StoreId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::auth::{DeviceRecord, Principal};
use crate::core::{Core, DocMeta};
use crate::store::Batch;
use crate::terms;

/// What kind of invariant offline devices broke together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictKind {
    /// Two cards on one vehicle (一车一卡).
    #[serde(rename = "duplicate_vin")]
    SecondCardOnVehicle,
    /// One card number issued to two members.
    #[serde(rename = "duplicate_card")]
    CardIssuedTwice,
    /// One fee receipt counted for two enrollments.
    #[serde(rename = "duplicate_receipt")]
    ReceiptCountedTwice,
}

impl ConflictKind {
    fn as_str(self) -> &'static str {
        match self {
            ConflictKind::SecondCardOnVehicle => "duplicate_vin",
            ConflictKind::CardIssuedTwice => "duplicate_card",
            ConflictKind::ReceiptCountedTwice => "duplicate_receipt",
        }
    }
}

/// A conflict for the back office to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub id: String,
    pub kind: ConflictKind,
    pub summary: String,
    pub members: Vec<MemberId>,
    pub events: Vec<EventId>,
    pub created_at: Timestamp,
    pub store: StoreId,
    pub resolved: bool,
    /// What the back office can do about it.
    pub resolution: String,
}

/// An event as the server keeps it: the event and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvent {
    pub event: serde_json::Value,
    pub outcome: Outcome,
    pub received_at: Timestamp,
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// Folds journal entries; returns the documents changed (besides the journal).
pub(crate) fn fold_entries(
    core: &mut Core,
    p: &Principal,
    device: DeviceId,
    entries: Vec<docs::journal::Entry>,
    batch: &mut Batch,
) -> Vec<DocumentId> {
    let mut touched = Vec::new();
    let status_id = docs::status_id(device);
    let mut outcomes = Vec::new();
    let device_record = core.accounts.device(device).ok().flatten();
    for entry in entries {
        let (key, outcome, raw) = match entry {
            docs::journal::Entry::Malformed { index, id, reason } => {
                let key = id.unwrap_or_else(|| format!("entry-{index}"));
                (
                    key,
                    Outcome::Rejected {
                        reason: format!("the event could not be read: {reason}"),
                    },
                    None,
                )
            }
            docs::journal::Entry::Event(event) => {
                let key = event.id.to_string();
                if core
                    .store
                    .get(format!("event/{key}").as_bytes())
                    .ok()
                    .flatten()
                    .is_some()
                {
                    // Seen before (a retried upload or a copied event): it counts once.
                    continue;
                }
                let outcome = match device_record.as_ref() {
                    Some(d) => apply(core, p, d, &event, batch, &mut touched),
                    None => Outcome::Rejected {
                        reason: "the device is not registered".into(),
                    },
                };
                (key, outcome, Some(event))
            }
        };
        tracing::info!(event = %key, ?outcome, "event folded");
        if let Some(event) = raw {
            let stored = StoredEvent {
                event: serde_json::to_value(&*event).unwrap_or_default(),
                outcome: outcome.clone(),
                received_at: now(),
            };
            batch.put(
                format!("event/{key}"),
                serde_json::to_vec(&stored).unwrap_or_default(),
            );
        }
        outcomes.push((key, outcome));
    }
    if !core
        .docs
        .load(core.store.as_ref(), &status_id)
        .unwrap_or(false)
    {
        let mut doc = Automerge::new();
        docs::write_object(&mut doc, DocKind::DeviceStatus, &DeviceStatus::default());
        core.docs.insert_new(status_id, doc);
    }
    if let Some(doc) = core.docs.get_mut(&status_id) {
        let mut changed = false;
        for (key, outcome) in &outcomes {
            changed |= docs::write_entry(doc, "events", key, outcome);
        }
        if changed {
            core.docs.save(&status_id, batch);
            touched.push(status_id);
        }
    }
    touched.sort();
    touched.dedup();
    touched
}

/// Writes a server-owned document (creating it if needed); whether it changed.
fn write(
    core: &mut Core,
    id: DocumentId,
    kind: DocKind,
    value: &impl Serialize,
    batch: &mut Batch,
) -> bool {
    if !core.docs.load(core.store.as_ref(), &id).unwrap_or(false) {
        core.docs.insert_new(id, Automerge::new());
    }
    let Some(doc) = core.docs.get_mut(&id) else {
        return false;
    };
    let changed = docs::write_object(doc, kind, value);
    if changed {
        core.docs.save(&id, batch);
    }
    changed
}

fn reject(reason: impl Into<String>) -> Outcome {
    Outcome::Rejected {
        reason: reason.into(),
    }
}

fn apply(
    core: &mut Core,
    p: &Principal,
    device: &DeviceRecord,
    event: &Event,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Outcome {
    if event.device != device.id {
        return reject(format!(
            "the event names device {} but was uploaded by device {}",
            event.device, device.id
        ));
    }
    if event.author != p.user.id {
        return reject("the event's author is not the person signed in on this device");
    }
    if event.at > Timestamp::from_millis(now().millis() + 24 * 3600 * 1000) {
        return reject(format!(
            "the event is dated {} which is in the future; check the device clock",
            event.at
        ));
    }
    match &event.body {
        EventBody::VisitStarted(_) | EventBody::VisitEnded(_) => {
            record_visit(core, p, event, batch);
            Outcome::Accepted { member: None }
        }
        EventBody::Enrolled(e) => match enroll(core, p, device, event, e, batch, touched) {
            Ok(()) => Outcome::Accepted {
                member: Some(e.member),
            },
            Err(reason) => reject(reason),
        },
        // Approvals, settlements, redemptions and the rest of the lifecycle are back-office
        // operations with graded permissions; field devices do not record them.
        other => reject(format!(
            "{} events are recorded by the back office, not by field devices",
            other.kind()
        )),
    }
}

/// A visit as the back office sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VisitRecord {
    pub id: String,
    pub site: Option<String>,
    pub staff: String,
    pub device: String,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub notes: Option<String>,
    pub enrolled: Vec<MemberId>,
}

fn visit_key(id: &str) -> String {
    format!("visit/{id}")
}

fn load_visit(core: &Core, id: &str) -> VisitRecord {
    core.store
        .get(visit_key(id).as_bytes())
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_slice(&v).ok())
        .unwrap_or_else(|| VisitRecord {
            id: id.to_owned(),
            ..Default::default()
        })
}

fn record_visit(core: &mut Core, p: &Principal, event: &Event, batch: &mut Batch) {
    let visit_id = match &event.body {
        EventBody::VisitStarted(v) => v.visit,
        EventBody::VisitEnded(v) => v.visit,
        _ => return,
    };
    let mut visit = load_visit(core, &visit_id.to_string());
    visit.staff = p.user.username.clone();
    visit.device = event.device.to_string();
    match &event.body {
        EventBody::VisitStarted(v) => {
            visit.site = Some(v.site.to_string());
            visit.started_at = Some(event.at);
        }
        EventBody::VisitEnded(v) => {
            visit.ended_at = Some(event.at);
            visit.notes = v.notes.as_ref().map(ToString::to_string);
        }
        _ => {}
    }
    batch.put(
        visit_key(&visit.id),
        serde_json::to_vec(&visit).unwrap_or_default(),
    );
}

fn enroll(
    core: &mut Core,
    p: &Principal,
    device: &DeviceRecord,
    event: &Event,
    e: &Enrollment,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), String> {
    if !p.user.role.may_enroll() {
        return Err("your role may not enroll members".into());
    }
    if core.members.contains_key(&e.member) {
        return Err(format!("member {} is already enrolled", e.member));
    }
    let store_id = p.user.store;
    let store = core
        .accounts
        .store_record(store_id)
        .ok()
        .flatten()
        .ok_or_else(|| "your store is not set up on the server".to_string())?;
    let Some(tier) = terms::tier(&store.program, &e.tier) else {
        let known: Vec<String> = terms::tiers(&store.program)
            .into_iter()
            .map(|t| t.id)
            .collect();
        return Err(format!(
            "tier {} is not in program {} ({})",
            e.tier,
            store.program,
            known.join(", ")
        ));
    };
    let gift =
        matches!(e.channel, Channel::Purchase) && e.fee == Money::ZERO && tier.gift_on_purchase;
    match tier.fee_fen {
        _ if gift => {}
        None => {
            return Err(format!(
                "the {} tier cannot be bought; it is earned",
                tier.name
            ));
        }
        Some(fee) if fee != e.fee.fen() => {
            return Err(format!(
                "fee {} does not match the {} fee {}",
                e.fee,
                tier.name,
                Money::from_fen(fee)
            ));
        }
        Some(_) => {}
    }
    if e.fee > Money::ZERO && e.receipt.is_none() {
        return Err("a receipt number is required when a fee is collected".into());
    }
    if !device
        .card_blocks
        .iter()
        .any(|b| b.contains(e.card.as_str()))
    {
        return Err(format!(
            "card {} is not in a card block checked out to this device",
            e.card
        ));
    }

    let file = MemberFile {
        id: e.member,
        store: store_id,
        name: e.person.name.to_string(),
        phone: e.person.phone.clone(),
        tier: e.tier.to_string(),
        status: "pending".into(),
        card: e.card.clone(),
        vehicles: vec![VehicleEntry {
            vin: e.vehicle.vin.clone(),
            plate: e.vehicle.plate.clone(),
            card: e.card.clone(),
        }],
        fee: e.fee,
        receipt: e.receipt.as_ref().map(ToString::to_string),
        channel: serde_json::to_value(&e.channel)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_default(),
        enrolled_at: event.at,
        enrolled_by: event.author,
        enrolled_on: event.device,
        events: vec![event.id.to_string()],
        conflicts: Vec::new(),
    };
    let member_doc = docs::member_id(e.member);
    core.set_meta(
        batch,
        member_doc,
        DocMeta {
            kind: DocKind::Member,
            store: Some(store_id),
            device: None,
            member: Some(e.member),
        },
    )
    .map_err(|err| err.to_string())?;
    core.members.insert(e.member, file);
    if let Channel::OnSite { visit } = &e.channel {
        let mut v = load_visit(core, &visit.to_string());
        v.enrolled.push(e.member);
        batch.put(visit_key(&v.id), serde_json::to_vec(&v).unwrap_or_default());
    }

    let mut involved = vec![e.member];
    let mut check =
        |core: &mut Core, kind: ConflictKind, index: String, value: String, what: String| {
            let key = format!("idx/{index}/{value}");
            let mut holders: Vec<MemberId> = core
                .store
                .get(key.as_bytes())
                .ok()
                .flatten()
                .and_then(|v| serde_json::from_slice(&v).ok())
                .unwrap_or_default();
            holders.push(e.member);
            batch.put(key, serde_json::to_vec(&holders).unwrap_or_default());
            if holders.len() > 1 {
                raise(core, kind, &value, &what, &holders, event, store_id, batch);
                involved.extend(holders);
            }
        };
    check(
        core,
        ConflictKind::SecondCardOnVehicle,
        "vin".into(),
        e.vehicle.vin.to_string(),
        format!("vehicle {}", e.vehicle.vin),
    );
    check(
        core,
        ConflictKind::CardIssuedTwice,
        "card".into(),
        e.card.to_string(),
        format!("card {}", e.card),
    );
    if let Some(r) = &e.receipt {
        check(
            core,
            ConflictKind::ReceiptCountedTwice,
            "receipt".into(),
            r.to_string(),
            format!("receipt {r}"),
        );
    }
    involved.sort();
    involved.dedup();
    for m in involved {
        refresh_member(core, m, batch, touched);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn raise(
    core: &mut Core,
    kind: ConflictKind,
    value: &str,
    what: &str,
    holders: &[MemberId],
    event: &Event,
    store: StoreId,
    batch: &mut Batch,
) {
    let id = format!("{}:{value}", kind.as_str());
    let names: Vec<String> = holders
        .iter()
        .filter_map(|m| core.members.get(m))
        .map(|m| format!("{} ({})", m.name, m.card))
        .collect();
    let (summary, resolution) = match kind {
        ConflictKind::SecondCardOnVehicle => (
            format!("{what} was enrolled {} times: {}", holders.len(), names.join(", ")),
            "one car, one card: keep one enrollment and withdraw the others with a refund of their fee".to_string(),
        ),
        ConflictKind::CardIssuedTwice => (
            format!("{what} was issued to {} members: {}", holders.len(), names.join(", ")),
            "reissue a new card number to all but one member".to_string(),
        ),
        ConflictKind::ReceiptCountedTwice => (
            format!("{what} was counted for {} enrollments: {}", holders.len(), names.join(", ")),
            "check the cash handed to finance against the receipt book and correct the receipt numbers".to_string(),
        ),
    };
    let conflict = core
        .conflicts
        .entry(id.clone())
        .or_insert_with(|| Conflict {
            id: id.clone(),
            kind,
            summary: String::new(),
            members: Vec::new(),
            events: Vec::new(),
            created_at: now(),
            store,
            resolved: false,
            resolution: resolution.clone(),
        });
    conflict.summary = summary;
    conflict.members = holders.to_vec();
    // The enrollments that collide: each holder's own, and this one.
    let mut events: Vec<EventId> = holders
        .iter()
        .filter_map(|m| core.members.get(m))
        .filter_map(|m| m.events.first().and_then(|e| e.parse().ok()))
        .collect();
    events.push(event.id);
    events.sort();
    events.dedup();
    if let Some(conflict) = core.conflicts.get_mut(&id) {
        conflict.events = events;
        conflict.resolved = false;
        batch.put(
            format!("conflict/{id}"),
            serde_json::to_vec(&*conflict).unwrap_or_default(),
        );
    }
}

/// Rewrites a member's file, its index record and its directory entry from the current state.
pub(crate) fn refresh_member(
    core: &mut Core,
    member: MemberId,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) {
    let conflicts: Vec<ConflictRef> = core
        .conflicts
        .values()
        .filter(|c| !c.resolved && c.members.contains(&member))
        .map(|c| ConflictRef {
            id: c.id.clone(),
            kind: c.kind.as_str().into(),
            summary: c.summary.clone(),
        })
        .collect();
    let Some(file) = core.members.get_mut(&member) else {
        return;
    };
    file.conflicts = conflicts;
    let file = file.clone();
    batch.put(
        format!("member/{member}"),
        serde_json::to_vec(&file).unwrap_or_default(),
    );
    let doc_id = docs::member_id(member);
    if write(core, doc_id, DocKind::Member, &file, batch) {
        touched.push(doc_id);
    }
    let dir_id = docs::directory_id(file.store);
    if core.ensure_directory(batch, file.store, dir_id).is_err() {
        return;
    }
    let entry = DirectoryEntry {
        url: doc_id.url(),
        name: file.name.clone(),
        card: file.card.clone(),
        vin: file.vehicles[0].vin.clone(),
        plate: file.vehicles[0].plate.clone(),
        tier: file.tier.clone(),
        status: file.status.clone(),
        conflicts: file.conflicts.len(),
    };
    if core
        .docs
        .load(core.store.as_ref(), &dir_id)
        .unwrap_or(false)
        && let Some(doc) = core.docs.get_mut(&dir_id)
        && docs::write_entry(doc, "members", &member.to_string(), &entry)
    {
        core.docs.save(&dir_id, batch);
        touched.push(dir_id);
    }
}
