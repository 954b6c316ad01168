//! The layouts of carclub's Automerge documents, and who writes each.
//!
//! | document | id derived from | written by | content |
//! | --- | --- | --- | --- |
//! | journal | the device id | that device only | `{kind: "journal", device, events: [event…]}`, append-only |
//! | device status | the device id | the server | `{kind: "device-status", device, events: {event id: outcome}}` |
//! | directory | the store id | the server | `{kind: "directory", store, members: {member id: entry}}` |
//! | company directory | the store and company ids | the server | a directory of the members of one company |
//! | member file | the member id | the server | [`MemberFile`] and `allowances`: [[`Allowance`]…] (not the projected state) |
//! | member record | the member id | the server | [`MemberRecord`]: the member's accepted events and invitations, for the member's own devices |
//! | club | the store id | the server | [`Club`]: what a store offers its members (program, partner merchants) |
//!
//! A device writes only its own journal; the server validates every event in it and folds the
//! accepted ones into the server-owned documents, which devices receive read-only. Document ids are
//! derived from the domain id and the document kind (a hash), so both sides compute them without a
//! round trip and documents of different kinds can never share an id.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjId, ObjType, ROOT, ReadDoc};
use carclub_shared::{
    CardNo, CompanyId, DeviceId, Event, MemberId, Money, Phone, Plate, StoreId, Timestamp, UserId,
    Vin,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{DocumentId, json_am};

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    Journal,
    DeviceStatus,
    Directory,
    Member,
    MemberRecord,
    Club,
}

impl DocKind {
    /// The kind as written in the document's `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Journal => "journal",
            DocKind::DeviceStatus => "device-status",
            DocKind::Directory => "directory",
            DocKind::Member => "member",
            DocKind::MemberRecord => "member-record",
            DocKind::Club => "club",
        }
    }
}

/// The id of the document of `kind` for the domain id `id`.
pub fn doc_id(kind: DocKind, id: &uuid::Uuid) -> DocumentId {
    let digest = Sha256::new()
        .chain_update(b"carclub/")
        .chain_update(kind.as_str().as_bytes())
        .chain_update(b"/")
        .chain_update(id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId::from_bytes(bytes)
}

/// The journal document of a device.
pub fn journal_id(device: DeviceId) -> DocumentId {
    doc_id(DocKind::Journal, &device.0)
}
/// The status document the server keeps for a device.
pub fn status_id(device: DeviceId) -> DocumentId {
    doc_id(DocKind::DeviceStatus, &device.0)
}
/// The member directory of a store.
pub fn directory_id(store: StoreId) -> DocumentId {
    doc_id(DocKind::Directory, &store.0)
}
/// The member directory of one company of a store: what a field staff member assigned to the
/// company reads instead of the store's directory. Its layout is a [`Directory`]'s.
pub fn company_directory_id(store: StoreId, company: CompanyId) -> DocumentId {
    let digest = Sha256::new()
        .chain_update(b"carclub/company-directory/")
        .chain_update(store.as_bytes())
        .chain_update(b"/")
        .chain_update(company.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId::from_bytes(bytes)
}
/// A member's file.
pub fn member_id(member: MemberId) -> DocumentId {
    doc_id(DocKind::Member, &member.0)
}

/// A member's record: what their own devices read to show and project their membership offline.
pub fn member_record_id(member: MemberId) -> DocumentId {
    doc_id(DocKind::MemberRecord, &member.0)
}
/// What a store offers its members: the club document members' devices read.
pub fn club_id(store: StoreId) -> DocumentId {
    doc_id(DocKind::Club, &store.0)
}

/// Reads the `kind` field of a document.
pub fn kind_of(doc: &Automerge) -> Option<String> {
    json_am::read_prop(doc, &ROOT, "kind").and_then(|v| v.as_str().map(str::to_owned))
}

/// Journals: a device's append-only list of events.
pub mod journal {
    use super::*;

    /// A fresh journal for `device`.
    pub fn create(doc: &mut Automerge, device: DeviceId) -> Result<(), automerge::AutomergeError> {
        let mut tx = doc.transaction();
        tx.put(ROOT, "kind", DocKind::Journal.as_str())?;
        tx.put(ROOT, "device", device.to_string())?;
        tx.put_object(ROOT, "events", ObjType::List)?;
        tx.commit();
        Ok(())
    }

    fn events_list<D: ReadDoc>(doc: &D) -> Option<ObjId> {
        match doc.get(ROOT, "events").ok()?? {
            (automerge::Value::Object(ObjType::List), id) => Some(id),
            _ => None,
        }
    }

    /// Appends an event.
    pub fn append(doc: &mut Automerge, event: &Event) -> Result<(), AppendError> {
        let list = events_list(doc).ok_or(AppendError::NotAJournal)?;
        // Written as text, then read as a value: the device's wasm holds one writer of events
        // (text, which the projection's ordering uses too) instead of two.
        let value = serde_json::to_string(event)
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text))
            .map_err(|_| AppendError::NotAJournal)?;
        let mut tx = doc.transaction();
        let len = tx.length(&list);
        json_am::insert(&mut tx, &list, len, &value)?;
        tx.commit();
        Ok(())
    }

    /// Why an event could not be appended.
    #[derive(Debug, thiserror::Error)]
    pub enum AppendError {
        #[error("the document is not a journal")]
        NotAJournal,
        #[error(transparent)]
        Automerge(#[from] automerge::AutomergeError),
    }

    /// The number of entries in the journal.
    pub fn len(doc: &Automerge) -> usize {
        events_list(doc).map(|l| doc.length(&l)).unwrap_or(0)
    }

    /// The device the journal belongs to, as written in it.
    pub fn device(doc: &Automerge) -> Option<String> {
        json_am::read_prop(doc, &ROOT, "device").and_then(|v| v.as_str().map(str::to_owned))
    }

    /// One journal entry: an event, or the reason it cannot be read as one.
    #[derive(Debug, Clone)]
    pub enum Entry {
        Event(Box<Event>),
        Malformed {
            index: usize,
            id: Option<String>,
            reason: String,
        },
    }

    /// Reads entries from `from` on.
    pub fn entries(doc: &Automerge, from: usize) -> Vec<Entry> {
        let Some(list) = events_list(doc) else {
            return Vec::new();
        };
        (from..doc.length(&list))
            .map(|index| {
                let value = json_am::read_prop(doc, &list, index).unwrap_or(Value::Null);
                let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
                match serde_json::from_value::<Event>(value) {
                    Ok(e) => Entry::Event(Box::new(e)),
                    Err(e) => Entry::Malformed {
                        index,
                        id,
                        reason: e.to_string(),
                    },
                }
            })
            .collect()
    }
}

carclub_shared::tagged_enum! {
tag = "outcome",
twin = [#[serde(remote = "Outcome", rename_all = "snake_case")]],
// Read through a `serde_json` map, see `carclub_shared::tagged`.
/// What happened to an event the device uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Validated and folded into the member files.
    Accepted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<MemberId>,
    },
    /// Refused; the device shows the reason, in Chinese where the person reads Chinese.
    Rejected {
        reason: String,
        /// The reason in Chinese (absent in outcomes written before it was added).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_zh: Option<String>,
    },
}
}

/// A block of card numbers checked out to a device: `prefix` followed by eight digits, serials
/// `first` to `first + count - 1` (DOMAIN.md §2 card stock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardBlock {
    pub prefix: String,
    pub first: u64,
    pub count: u64,
}

impl CardBlock {
    /// Whether `card` is one of this block's numbers.
    pub fn contains(&self, card: &str) -> bool {
        card.strip_prefix(&self.prefix)
            .filter(|serial| serial.len() == 8)
            .and_then(|serial| serial.parse::<u64>().ok())
            .is_some_and(|n| n >= self.first && n < self.first.saturating_add(self.count))
    }

    /// The block's card numbers, in order.
    pub fn numbers(&self) -> impl Iterator<Item = CardNo> + '_ {
        (self.first..self.first.saturating_add(self.count))
            .filter_map(|n| CardNo::from_serial(&self.prefix, n).ok())
    }

    /// The key of the block in a status document: its first card number.
    pub fn key(&self) -> String {
        format!("{}{:08}", self.prefix, self.first)
    }
}

/// The device status document: the outcome of each uploaded event, and the card blocks checked
/// out to the device after its registration (keyed by their first number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceStatus {
    #[serde(default)]
    pub events: BTreeMap<String, Outcome>,
    #[serde(default)]
    pub card_blocks: BTreeMap<String, CardBlock>,
    /// The member directories the device's user may read now (document URLs), written when
    /// the user's assignment changes; empty until then (the registration's directories hold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directories: Vec<String>,
    /// The companies the device's user may visit, written with `directories`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<CompanyRef>,
}

/// A company (corporate agreement) a field device may start a visit at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyRef {
    pub id: CompanyId,
    pub name: String,
}

/// An entry of a store's member directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryEntry {
    pub url: String,
    pub name: String,
    pub card: CardNo,
    pub vin: Vin,
    pub plate: Plate,
    pub tier: String,
    pub status: String,
    #[serde(default)]
    pub conflicts: usize,
}

/// The member directory of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Directory {
    #[serde(default)]
    pub members: BTreeMap<String, DirectoryEntry>,
}

/// A vehicle on a member file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VehicleEntry {
    pub vin: Vin,
    pub plate: Plate,
    pub card: CardNo,
}

/// A conflict that involves a member, as shown on the member's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConflictRef {
    pub id: String,
    pub kind: String,
    pub summary: String,
    /// The summary in Chinese (absent in files written before it was kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary_zh: String,
}

/// A member's file as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberFile {
    pub id: MemberId,
    pub store: StoreId,
    pub name: String,
    pub phone: Phone,
    pub tier: String,
    pub status: String,
    pub card: CardNo,
    pub vehicles: Vec<VehicleEntry>,
    pub fee: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    pub channel: String,
    pub enrolled_at: Timestamp,
    pub enrolled_by: UserId,
    pub enrolled_on: DeviceId,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub conflicts: Vec<ConflictRef>,
    /// The company (corporate agreement) the member belongs to: the one they were enrolled at
    /// on site, or as the back office set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyId>,
}

/// What is left of one of a member's benefits this membership year, as the server last projected
/// it: what a field device checks a use on site against. The member file carries these instead of
/// the member's whole projected state (which a device projects itself from the member's record,
/// with the program it already knows), so a file costs a device few bytes and few operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// The benefit's id in the store's program.
    pub benefit: String,
    /// Whether the member may use it today.
    pub available: bool,
    /// Times left this membership year, for counted allowances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
}

/// An invitation to a club event, as the invited member's record shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationEntry {
    pub title: String,
    /// `lecture`, `self_drive`, `party` or `other`.
    pub kind: String,
    pub starts_at: Timestamp,
    pub place: String,
    /// The points attending earns.
    pub points: u64,
    /// The member's answer: true (coming), false (not coming), absent (not answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attending: Option<bool>,
    /// Whether the member's attendance was recorded.
    #[serde(default)]
    pub attended: bool,
    /// Whether every place is taken by others.
    #[serde(default)]
    pub full: bool,
}

/// A member's record: every accepted event about the member (the same events the server projects
/// their state from, in the order they were accepted) and their invitations to club events by
/// event id. Kept for members who have registered a device of their own; the device projects
/// state, ledger and reminders from it with `shared`'s projection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberRecord {
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub invitations: BTreeMap<String, InvitationEntry>,
}

/// Appends `event` to the `events` list of a member record. Returns whether it changed.
pub fn append_event(doc: &mut Automerge, event: &Event) -> bool {
    let Ok(value) = serde_json::to_value(event) else {
        return false;
    };
    let mut tx = doc.transaction();
    let list = match tx.get(ROOT, "events") {
        Ok(Some((automerge::Value::Object(ObjType::List), id))) => Ok(id),
        _ => tx.put_object(ROOT, "events", ObjType::List),
    };
    let done = list.and_then(|list| {
        let len = tx.length(&list);
        json_am::insert(&mut tx, &list, len, &value)
    });
    match done {
        Ok(()) => {
            tx.commit();
            true
        }
        Err(_) => {
            tx.rollback();
            false
        }
    }
}

/// A partner merchant on a club document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerEntry {
    pub name: String,
    /// `hotel`, `restaurant`, `car_wash`, `fuel`, `insurance` or `other`.
    pub kind: String,
    /// What members get, in the merchant's words.
    pub discount: String,
    /// First and last day the discount holds (`YYYY-MM-DD`).
    pub valid_from: String,
    pub valid_until: String,
}

/// What a store offers its members: its name, the program it runs (a preset name: the program
/// itself, catalogue included, is compiled into every device) and its active partner merchants
/// by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Club {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub partners: BTreeMap<String, PartnerEntry>,
}

/// Writes `value` (a JSON object) as the whole content of a server-owned document, with its kind,
/// changing only what differs. Returns whether anything changed.
pub fn write_object(doc: &mut Automerge, kind: DocKind, value: &impl Serialize) -> bool {
    let Ok(Value::Object(mut map)) = serde_json::to_value(value) else {
        return false;
    };
    map.insert("kind".into(), Value::String(kind.as_str().into()));
    let before = doc.get_heads();
    let mut tx = doc.transaction();
    if json_am::reconcile_map(&mut tx, &ROOT, &map).is_err() {
        tx.rollback();
        return false;
    }
    tx.commit();
    doc.get_heads() != before
}

/// Sets one entry `key` of the map `field` at the root of a server-owned document to `value`,
/// writing only what differs (the rest of the map is not read). Returns whether anything changed.
pub fn write_entry(doc: &mut Automerge, field: &str, key: &str, value: &impl Serialize) -> bool {
    write_entries(doc, field, [(key, value)])
}

/// Sets several entries of the map `field` at the root of a server-owned document, in one
/// transaction (one change, however many entries), writing only what differs. An entry whose
/// value is not an object is skipped. Returns whether anything changed.
pub fn write_entries<'a, V: Serialize + 'a>(
    doc: &mut Automerge,
    field: &str,
    entries: impl IntoIterator<Item = (&'a str, &'a V)>,
) -> bool {
    let before = doc.get_heads();
    let mut tx = doc.transaction();
    let map = match tx.get(ROOT, field) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => Ok(id),
        _ => tx.put_object(ROOT, field, ObjType::Map),
    };
    let written = map.and_then(|map| {
        for (key, value) in entries {
            let Ok(Value::Object(target)) = serde_json::to_value(value) else {
                continue;
            };
            let entry = match tx.get(&map, key) {
                Ok(Some((automerge::Value::Object(ObjType::Map), id))) => id,
                _ => tx.put_object(&map, key, ObjType::Map)?,
            };
            json_am::reconcile_map(&mut tx, &entry, &target)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => {
            tx.commit();
        }
        Err(_) => {
            tx.rollback();
            return false;
        }
    }
    doc.get_heads() != before
}

/// Removes entry `key` of the map `field` at the root of a server-owned document. Returns
/// whether anything changed.
pub fn remove_entry(doc: &mut Automerge, field: &str, key: &str) -> bool {
    let map = match doc.get(ROOT, field) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => id,
        _ => return false,
    };
    if !matches!(doc.get(&map, key), Ok(Some(_))) {
        return false;
    }
    let mut tx = doc.transaction();
    if tx.delete(&map, key).is_err() {
        tx.rollback();
        return false;
    }
    tx.commit();
    true
}

/// Sets the root field `field` of a server-owned document to `value` when it differs. Returns
/// whether anything changed.
pub fn write_field(doc: &mut Automerge, field: &str, value: &impl Serialize) -> bool {
    let Ok(want) = serde_json::to_value(value) else {
        return false;
    };
    if json_am::read_prop(doc, &ROOT, field).as_ref() == Some(&want) {
        return false;
    }
    let mut tx = doc.transaction();
    if json_am::put(&mut tx, &ROOT, field.into(), &want).is_err() {
        tx.rollback();
        return false;
    }
    tx.commit();
    true
}

/// Reads a server-owned document as `T`; `None` if it does not have that shape (yet).
pub fn read_object<T: for<'de> Deserialize<'de>>(doc: &Automerge) -> Option<T> {
    serde_json::from_value(json_am::read(doc, &ROOT)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_by_kind_and_are_stable() {
        let d = DeviceId::new();
        assert_ne!(journal_id(d), status_id(d));
        assert_eq!(journal_id(d), journal_id(d));
        let url = journal_id(d).url();
        assert_eq!(url.parse::<DocumentId>().unwrap(), journal_id(d));
    }

    #[test]
    fn directory_round_trips_through_a_document() {
        let mut doc = Automerge::new();
        let mut dir = Directory::default();
        dir.members.insert(
            "m1".into(),
            DirectoryEntry {
                url: "automerge:x".into(),
                name: "张三".into(),
                card: CardNo::parse("C00000001").unwrap(),
                vin: Vin::parse("LSVAU2180N2183294").unwrap(),
                plate: Plate::parse("粤B12345").unwrap(),
                tier: "standard".into(),
                status: "pending".into(),
                conflicts: 0,
            },
        );
        assert!(write_object(&mut doc, DocKind::Directory, &dir));
        assert!(!write_object(&mut doc, DocKind::Directory, &dir));
        assert_eq!(read_object::<Directory>(&doc).unwrap(), dir);
        assert_eq!(kind_of(&doc).as_deref(), Some("directory"));

        // One entry changes without rewriting the others.
        let mut entry = dir.members["m1"].clone();
        assert!(!write_entry(&mut doc, "members", "m1", &entry));
        entry.status = "active".into();
        assert!(write_entry(&mut doc, "members", "m1", &entry));
        assert!(write_entry(&mut doc, "members", "m2", &entry));
        let back = read_object::<Directory>(&doc).unwrap();
        assert_eq!(back.members["m1"].status, "active");
        assert_eq!(back.members.len(), 2);

        assert!(remove_entry(&mut doc, "members", "m2"));
        assert!(!remove_entry(&mut doc, "members", "m2"));
        assert_eq!(read_object::<Directory>(&doc).unwrap().members.len(), 1);
    }

    #[test]
    fn company_directories_differ_by_store_and_company() {
        let (s1, s2) = (StoreId::new(), StoreId::new());
        let (c1, c2) = (CompanyId::new(), CompanyId::new());
        let d = company_directory_id(s1, c1);
        assert_eq!(d, company_directory_id(s1, c1));
        assert_ne!(d, company_directory_id(s1, c2));
        assert_ne!(d, company_directory_id(s2, c1));
        assert_ne!(d, directory_id(s1));
    }

    #[test]
    fn a_status_field_is_written_only_when_it_differs() {
        let mut doc = Automerge::new();
        write_object(&mut doc, DocKind::DeviceStatus, &DeviceStatus::default());
        let dirs = vec!["automerge:a".to_string()];
        assert!(write_field(&mut doc, "directories", &dirs));
        assert!(!write_field(&mut doc, "directories", &dirs));
        assert_eq!(read_object::<DeviceStatus>(&doc).unwrap().directories, dirs);
    }
}
