//! The device: its registration, its journal of events, the server documents it holds, and what
//! must be written to local storage.
//!
//! Nothing here does IO. The caller loads the stored key/values, calls [`Device::open`], calls the
//! recording and sync methods, and writes back what [`Device::take_dirty`] returns: a directory
//! natively, IndexedDB in the browser.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use automerge::Automerge;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, CompanyRef, DeviceStatus, Directory, Outcome};
use carclub_shared::events::{
    Channel, DocumentKind, Enrollment, Person, Vehicle, VisitEnded, VisitStarted,
};
use carclub_shared::{
    CardNo, CompanyId, DeviceId, Event, EventBody, EventId, LongText, MemberId, Money, Phone,
    Plate, ReceiptNo, ShortText, Text, TierId, Timestamp, UserId, Vin, VisitId,
};
use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::sync::SyncSession;

/// A tier the device may enroll into, with its fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierInfo {
    pub id: String,
    pub name: String,
    pub fee_fen: Option<i64>,
}

pub use carclub_protocol::docs::CardBlock;

/// The signed-in person, as the server described them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: String,
}

/// The store the device works for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    pub id: String,
    pub name: String,
    pub program: String,
}

/// The documents the server set up for this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocUrls {
    pub journal: String,
    pub status: String,
    /// The store's member directory.
    pub directory: String,
    /// The member directories the user reads: the store's, or (field staff assigned to
    /// companies) one per company. Absent from older servers' responses: then the store's.
    #[serde(default)]
    pub directories: Vec<String>,
    /// A member's own phone: their member file, record and store's club document.
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default)]
    pub record: Option<String>,
    #[serde(default)]
    pub club: Option<String>,
}

/// What registration gave the device (the server's response to `POST /api/devices`).
#[derive(Clone, Serialize, Deserialize)]
pub struct Registration {
    pub device_id: DeviceId,
    pub token: String,
    pub user: UserInfo,
    pub store: StoreInfo,
    pub docs: DocUrls,
    pub card_blocks: Vec<CardBlock>,
    pub tiers: Vec<TierInfo>,
    /// The companies the user may start visits at, as of registration.
    #[serde(default)]
    pub companies: Vec<CompanyRef>,
    /// The server's base URL (native devices; the browser uses its own origin).
    #[serde(default)]
    pub server: Option<String>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("device_id", &self.device_id)
            .field("user", &self.user.username)
            .field("store", &self.store.name)
            .finish_non_exhaustive()
    }
}

/// The visit in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentVisit {
    pub id: VisitId,
    pub site: String,
    pub started_at: Timestamp,
}

/// Small state kept beside the documents.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LocalState {
    seq: u64,
    /// The server's change cursor when this device last completed a sync.
    #[serde(default)]
    pub(crate) cursor: u64,
    visit: Option<CurrentVisit>,
    last_sync_ms: Option<i64>,
}

/// What a person types to enroll a member.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollInput {
    pub name: String,
    pub phone: String,
    pub vin: String,
    pub plate: String,
    pub tier: String,
    pub fee_fen: i64,
    #[serde(default)]
    pub receipt: Option<String>,
    #[serde(default)]
    pub card: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub documents_seen: Vec<DocumentKind>,
    /// How the member came: `on_site` (the default during a visit), `desk` (the default
    /// otherwise), `referral` (with `referrer`) or `purchase` (a car bought here: the card may
    /// be a gift, the purchase invoice must have been seen).
    #[serde(default)]
    pub channel: Option<String>,
    /// The referring member's id, a member of this device's directory.
    #[serde(default)]
    pub referrer: Option<String>,
}

const KEY_REGISTRATION: &str = "registration";
const KEY_STATE: &str = "state";
const DOC_PREFIX: &str = "doc/";
const SYNC_PREFIX: &str = "sync/";

/// The device.
pub struct Device {
    pub(crate) reg: Option<Registration>,
    state: LocalState,
    pub(crate) docs: HashMap<DocumentId, Automerge>,
    dirty: BTreeSet<String>,
    pub(crate) session: Option<SyncSession>,
    /// Sync states kept between sessions (what the server is known to hold), by document.
    pub(crate) saved_states: HashMap<DocumentId, Vec<u8>>,
    directory_cache: ReadCache<(Arc<Directory>, Arc<Vec<DocumentId>>)>,
    journal_cache: RefCell<JournalCache>,
    status_cache: ReadCache<Arc<DeviceStatus>>,
}

/// The journal's events as read so far. The journal is a list only this device appends to, so a
/// change to it is read from where the last read ended.
#[derive(Default)]
struct JournalCache {
    heads: Vec<automerge::ChangeHash>,
    /// Entries read, malformed ones included.
    read: usize,
    events: Arc<Vec<Event>>,
}

/// A value read from documents, kept until their heads change: a device holding thousands of
/// members or events consults them on every frame and every recorded event, and reading a whole
/// document each time made work grow with the square of its size.
struct ReadCache<T> {
    cell: RefCell<Option<(HeadsKey, T)>>,
}

/// Documents and their heads when a cached value was read.
type HeadsKey = Vec<(DocumentId, Vec<automerge::ChangeHash>)>;

impl<T: Clone> ReadCache<T> {
    fn new() -> Self {
        Self {
            cell: RefCell::new(None),
        }
    }

    /// The value read from `docs` as they are now: cached if their heads did not move, else
    /// `read` again.
    fn get(
        &self,
        all: &HashMap<DocumentId, Automerge>,
        docs: &[DocumentId],
        read: impl FnOnce(Vec<&Automerge>) -> T,
    ) -> T {
        let key: HeadsKey = docs
            .iter()
            .map(|id| (*id, all.get(id).map(|d| d.get_heads()).unwrap_or_default()))
            .collect();
        if let Some((cached, value)) = self.cell.borrow().as_ref()
            && *cached == key
        {
            return value.clone();
        }
        let value = read(docs.iter().filter_map(|id| all.get(id)).collect());
        *self.cell.borrow_mut() = Some((key, value.clone()));
        value
    }
}

fn field<T>(
    name: &'static str,
    r: Result<T, carclub_shared::ParseError>,
) -> Result<T, ClientError> {
    r.map_err(|e| ClientError::Invalid {
        field: name,
        reason: e.to_string(),
    })
}

/// Reads a stored JSON entry (through a value, see [`read_json`]).
fn stored_json<T: serde::de::DeserializeOwned>(key: &str, value: &[u8]) -> Result<T, ClientError> {
    std::str::from_utf8(value)
        .map_err(|e| e.to_string())
        .and_then(|text| read_json(text).map_err(|e| e.to_string()))
        .map_err(|e| ClientError::Corrupt(format!("{key}: {e}")))
}

/// Reads JSON text as `T` through a `serde_json::Value`, as the device reads its documents: the
/// wasm then holds each type's reader once, for values, and a text reader only for `Value`.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_str::<serde_json::Value>(text).and_then(serde_json::from_value)
}

impl Device {
    /// Opens the device from its stored key/values; no entries gives an unregistered device.
    pub fn open(entries: Vec<(String, Vec<u8>)>) -> Result<Device, ClientError> {
        let mut device = Device {
            reg: None,
            state: LocalState::default(),
            docs: HashMap::new(),
            dirty: BTreeSet::new(),
            session: None,
            saved_states: HashMap::new(),
            directory_cache: ReadCache::new(),
            journal_cache: RefCell::new(JournalCache::default()),
            status_cache: ReadCache::new(),
        };
        for (key, value) in entries {
            if key == KEY_REGISTRATION {
                device.reg = Some(stored_json(&key, &value)?);
            } else if key == KEY_STATE {
                device.state = stored_json(&key, &value)?;
            } else if let Some(id) = key.strip_prefix(SYNC_PREFIX) {
                let id: DocumentId = id
                    .parse()
                    .map_err(|e| ClientError::Corrupt(format!("{key}: {e}")))?;
                device.saved_states.insert(id, value);
            } else if let Some(id) = key.strip_prefix(DOC_PREFIX) {
                let id: DocumentId = id
                    .parse()
                    .map_err(|e| ClientError::Corrupt(format!("{key}: {e}")))?;
                let doc = Automerge::load(&value)
                    .map_err(|e| ClientError::Corrupt(format!("{key}: {e}")))?;
                device.docs.insert(id, doc);
            }
        }
        Ok(device)
    }

    /// Whether the device has been registered with a server.
    pub fn is_registered(&self) -> bool {
        self.reg.is_some()
    }

    /// What registration gave the device, once registered.
    pub fn registered(&self) -> Option<&Registration> {
        self.reg.as_ref()
    }

    pub(crate) fn registration(&self) -> Result<&Registration, ClientError> {
        self.reg.as_ref().ok_or(ClientError::NotRegistered)
    }

    /// Takes the server's registration response; starts the device's journal.
    pub fn apply_registration(&mut self, response_json: &str) -> Result<(), ClientError> {
        if self.reg.is_some() {
            return Err(ClientError::AlreadyRegistered);
        }
        let reg: Registration = read_json(response_json).map_err(|e| ClientError::Invalid {
            field: "registration",
            reason: e.to_string(),
        })?;
        let journal_id = docs::journal_id(reg.device_id);
        if reg.docs.journal.parse::<DocumentId>().ok() != Some(journal_id) {
            return Err(ClientError::Invalid {
                field: "registration",
                reason: "the journal id does not match the device".into(),
            });
        }
        let mut journal = Automerge::new();
        docs::journal::create(&mut journal, reg.device_id)
            .map_err(|e| ClientError::Corrupt(e.to_string()))?;
        self.docs.insert(journal_id, journal);
        self.mark_doc(journal_id);
        self.reg = Some(reg);
        self.dirty.insert(KEY_REGISTRATION.into());
        Ok(())
    }

    /// Remembers the server's base URL (native devices).
    pub fn set_server(&mut self, url: &str) -> Result<(), ClientError> {
        let reg = self.reg.as_mut().ok_or(ClientError::NotRegistered)?;
        reg.server = Some(url.trim_end_matches('/').to_owned());
        self.dirty.insert(KEY_REGISTRATION.into());
        Ok(())
    }

    /// The server's base URL, if the device knows it.
    pub fn registration_server(&self) -> Option<String> {
        self.reg.as_ref().and_then(|r| r.server.clone())
    }

    /// The signed-in person, the store and the device, as JSON.
    pub fn whoami_json(&self) -> String {
        match &self.reg {
            Some(r) => serde_json::json!({
                "user": {"name": r.user.name, "username": r.user.username, "role": r.user.role},
                "store": {"name": r.store.name, "program": r.store.program},
                "device": r.device_id,
            })
            .to_string(),
            None => "null".into(),
        }
    }

    /// The tiers that can be bought, with their fees, as JSON.
    pub fn tiers_json(&self) -> String {
        let tiers: Vec<&TierInfo> = self
            .reg
            .iter()
            .flat_map(|r| r.tiers.iter())
            .filter(|t| t.fee_fen.is_some())
            .collect();
        serde_json::to_string(&tiers).unwrap_or_else(|_| "[]".into())
    }

    pub(crate) fn mark_doc(&mut self, id: DocumentId) {
        self.dirty.insert(format!("{DOC_PREFIX}{id}"));
    }

    fn mark_state(&mut self) {
        self.dirty.insert(KEY_STATE.into());
    }

    /// What must be written to local storage since the last call. An empty value means the key
    /// is to be removed (a document the device no longer reads); no stored value is ever empty.
    pub fn take_dirty(&mut self) -> Vec<(String, Vec<u8>)> {
        let keys = std::mem::take(&mut self.dirty);
        keys.into_iter()
            .filter_map(|key| {
                let value = if key == KEY_REGISTRATION {
                    serde_json::to_vec(self.reg.as_ref()?).ok()?
                } else if key == KEY_STATE {
                    serde_json::to_vec(&self.state).ok()?
                } else if let Some(id) = key.strip_prefix(SYNC_PREFIX) {
                    let id: DocumentId = id.parse().ok()?;
                    self.saved_states.get(&id).cloned().unwrap_or_default()
                } else {
                    let id: DocumentId = key.strip_prefix(DOC_PREFIX)?.parse().ok()?;
                    self.docs.get(&id).map(Automerge::save).unwrap_or_default()
                };
                Some((key, value))
            })
            .collect()
    }

    /// Forgets a server document: its content and sync state go, here and (through
    /// [`Device::take_dirty`]) in local storage.
    pub(crate) fn forget(&mut self, id: DocumentId) {
        self.docs.remove(&id);
        self.saved_states.remove(&id);
        self.dirty.insert(format!("{DOC_PREFIX}{id}"));
        self.dirty.insert(format!("{SYNC_PREFIX}{id}"));
    }

    pub(crate) fn journal_id(&self) -> Result<DocumentId, ClientError> {
        Ok(docs::journal_id(self.registration()?.device_id))
    }

    /// Every event in the device's journal.
    pub fn journal_events(&self) -> Vec<Event> {
        self.journal().to_vec()
    }

    /// Every event in the device's journal; what was appended since the last call is all that
    /// is read.
    pub(crate) fn journal(&self) -> Arc<Vec<Event>> {
        let Some(doc) = self.journal_id().ok().and_then(|id| self.docs.get(&id)) else {
            return Arc::default();
        };
        let heads = doc.get_heads();
        let mut cache = self.journal_cache.borrow_mut();
        if cache.heads != heads {
            let new = docs::journal::entries(doc, cache.read);
            cache.read += new.len();
            let events = Arc::make_mut(&mut cache.events);
            events.extend(new.into_iter().filter_map(|e| match e {
                docs::journal::Entry::Event(e) => Some(*e),
                docs::journal::Entry::Malformed { .. } => None,
            }));
            cache.heads = heads;
        }
        cache.events.clone()
    }

    pub(crate) fn record(&mut self, body: EventBody, now_ms: i64) -> Result<Event, ClientError> {
        let reg = self.registration()?;
        let event = Event {
            id: EventId::new(),
            at: Timestamp::from_millis(now_ms),
            device: reg.device_id,
            seq: self.state.seq + 1,
            author: reg.user.id,
            body,
        };
        let id = self.journal_id()?;
        let doc = self
            .docs
            .get_mut(&id)
            .ok_or(ClientError::Corrupt("the journal is missing".into()))?;
        docs::journal::append(doc, &event).map_err(|e| ClientError::Corrupt(e.to_string()))?;
        self.state.seq += 1;
        self.mark_doc(id);
        self.mark_state();
        Ok(event)
    }

    /// Starts an on-site visit at `site`; returns the visit id.
    pub fn start_visit(&mut self, site: &str, now_ms: i64) -> Result<String, ClientError> {
        self.start_visit_at(site, None, now_ms)
    }

    /// Starts an on-site visit at `site`, at `company` (a corporate agreement's id) when it is
    /// one: members enrolled during the visit belong to the company. Returns the visit id.
    pub fn start_visit_at(
        &mut self,
        site: &str,
        company: Option<CompanyId>,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        if let Some(v) = &self.state.visit {
            return Err(ClientError::VisitOpen {
                site: v.site.clone(),
            });
        }
        let site: ShortText = field("site", ShortText::parse(site))?;
        let visit = VisitId::new();
        let event = self.record(
            EventBody::VisitStarted(VisitStarted {
                visit,
                site: site.clone(),
                company,
            }),
            now_ms,
        )?;
        self.state.visit = Some(CurrentVisit {
            id: visit,
            site: site.to_string(),
            started_at: event.at,
        });
        self.mark_state();
        Ok(visit.to_string())
    }

    /// The visit in progress as JSON, or `null`.
    pub fn current_visit_json(&self) -> String {
        serde_json::to_string(&self.state.visit).unwrap_or_else(|_| "null".into())
    }

    /// The visit in progress.
    pub fn current_visit(&self) -> Option<&CurrentVisit> {
        self.state.visit.as_ref()
    }

    /// Ends the visit in progress, with notes of what was done and heard.
    pub fn end_visit(&mut self, notes: &str, now_ms: i64) -> Result<(), ClientError> {
        let visit = self.state.visit.clone().ok_or(ClientError::NoVisit)?;
        let notes: Option<LongText> = if notes.trim().is_empty() {
            None
        } else {
            Some(field("notes", Text::parse(notes))?)
        };
        self.record(
            EventBody::VisitEnded(VisitEnded {
                visit: visit.id,
                notes,
            }),
            now_ms,
        )?;
        self.state.visit = None;
        self.mark_state();
        Ok(())
    }

    /// Card numbers already issued by this device.
    fn issued_cards(&self) -> BTreeSet<String> {
        self.journal()
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Enrolled(en) => Some(en.card.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The next unused card number of the device's blocks.
    pub fn next_card(&self) -> Option<String> {
        let issued = self.issued_cards();
        self.card_blocks().iter().find_map(|b| {
            b.numbers()
                .map(|c| c.to_string())
                .find(|c| !issued.contains(c))
        })
    }

    /// Every block of card numbers checked out to this device: at registration, and later by the
    /// back office (they arrive in the status document).
    pub fn card_blocks(&self) -> Vec<CardBlock> {
        let mut blocks: Vec<CardBlock> = self
            .reg
            .iter()
            .flat_map(|r| r.card_blocks.iter().cloned())
            .collect();
        blocks.extend(self.status().card_blocks.values().cloned());
        carclub_shared::sorting::sort_by_key(&mut blocks, CardBlock::key);
        blocks.dedup();
        blocks
    }

    /// How many card numbers of this device's blocks are still unused.
    pub fn cards_left(&self) -> usize {
        let issued = self.issued_cards();
        self.card_blocks()
            .iter()
            .flat_map(|b| b.numbers())
            .filter(|c| !issued.contains(c.as_str()))
            .count()
    }

    fn card_in_blocks(&self, card: &str) -> bool {
        self.card_blocks().iter().any(|b| b.contains(card))
    }

    /// Enrolls a member: validates the input as the server will, records the event, and returns
    /// the member as the device now shows it (JSON).
    pub fn enroll(&mut self, input_json: &str, now_ms: i64) -> Result<String, ClientError> {
        let input: EnrollInput = read_json(input_json).map_err(|e| ClientError::Invalid {
            field: "enrollment",
            reason: e.to_string(),
        })?;
        let member = self.enroll_input(input, now_ms)?;
        let view = crate::view::members(self)
            .into_iter()
            .find(|m| m.id == member.to_string());
        Ok(serde_json::to_string(&view).unwrap_or_else(|_| "null".into()))
    }

    /// Enrolls a member from typed input; returns the new member's id.
    pub fn enroll_input(
        &mut self,
        input: EnrollInput,
        now_ms: i64,
    ) -> Result<MemberId, ClientError> {
        let reg = self.registration()?;
        let tier = field("tier", TierId::parse(&input.tier))?;
        let info = reg
            .tiers
            .iter()
            .find(|t| t.id == tier.as_str())
            .ok_or_else(|| ClientError::Invalid {
                field: "tier",
                reason: format!(
                    "{tier} is not a tier of program {} ({})",
                    reg.store.program,
                    reg.tiers
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        let fee = Money::from_fen(input.fee_fen);
        // A card given with a car bought here: no fee (the server checks the tier is a gift).
        let gift =
            input.channel.as_deref().map(str::trim) == Some("purchase") && input.fee_fen == 0;
        match info.fee_fen {
            _ if gift => {}
            None => {
                return Err(ClientError::Invalid {
                    field: "tier",
                    reason: format!("the {} tier cannot be bought", info.name),
                });
            }
            Some(f) if f != input.fee_fen => {
                return Err(ClientError::Invalid {
                    field: "fee",
                    reason: format!(
                        "the {} fee is {}, not {}",
                        info.name,
                        Money::from_fen(f),
                        fee
                    ),
                });
            }
            Some(_) => {}
        }
        let receipt = match input
            .receipt
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => Some(field("receipt", ReceiptNo::parse(r))?),
            None if input.fee_fen > 0 => {
                return Err(ClientError::Invalid {
                    field: "receipt",
                    reason: "write a receipt for the fee collected".into(),
                });
            }
            None => None,
        };
        let card = match input
            .card
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(c) => field("card", CardNo::parse(c))?,
            None => field(
                "card",
                CardNo::parse(&self.next_card().ok_or(ClientError::NoCards)?),
            )?,
        };
        if !self.card_in_blocks(card.as_str()) {
            return Err(ClientError::Invalid {
                field: "card",
                reason: format!("{card} is not in this device's card block"),
            });
        }
        if self.issued_cards().contains(card.as_str()) {
            return Err(ClientError::Invalid {
                field: "card",
                reason: format!("{card} was already issued on this device"),
            });
        }
        let id_number = match input
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(field("id_number", carclub_shared::IdNumber::parse(s))?),
            None => None,
        };
        let model = match input
            .model
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(field("model", ShortText::parse(s))?),
            None => None,
        };
        let visit = self.state.visit.as_ref().map(|v| v.id);
        let channel = match input.channel.as_deref().map(str::trim).unwrap_or("") {
            "" => match visit {
                Some(visit) => Channel::OnSite { visit },
                None => Channel::Desk,
            },
            "on_site" => Channel::OnSite {
                visit: visit.ok_or(ClientError::NoVisit)?,
            },
            "desk" => Channel::Desk,
            "purchase" => {
                if !input
                    .documents_seen
                    .contains(&DocumentKind::PurchaseInvoice)
                {
                    return Err(ClientError::Invalid {
                        field: "documents",
                        reason: "a car bought here is enrolled on its purchase invoice: tick it once seen".into(),
                    });
                }
                Channel::Purchase
            }
            "referral" => {
                let referrer = input
                    .referrer
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| ClientError::Invalid {
                        field: "referrer",
                        reason: "choose the member who referred them".into(),
                    })?;
                if !self.directory().members.contains_key(referrer) {
                    return Err(ClientError::Invalid {
                        field: "referrer",
                        reason: format!("{referrer} is not a member this device knows"),
                    });
                }
                Channel::Referral {
                    referrer: referrer
                        .parse::<MemberId>()
                        .map_err(|e| ClientError::Invalid {
                            field: "referrer",
                            reason: e.to_string(),
                        })?,
                }
            }
            other => {
                return Err(ClientError::Invalid {
                    field: "channel",
                    reason: format!(
                        "{other:?} is not a channel (on_site, desk, referral, purchase)"
                    ),
                });
            }
        };
        let mut documents_seen = input.documents_seen;
        carclub_shared::sorting::sort(&mut documents_seen);
        documents_seen.dedup();
        let enrollment = Enrollment {
            member: MemberId::new(),
            person: Person {
                name: field("name", Text::parse(&input.name))?,
                phone: field("phone", Phone::parse(&input.phone))?,
                id_number,
            },
            vehicle: Vehicle {
                vin: field("vin", Vin::parse(&input.vin))?,
                plate: field("plate", Plate::parse(&input.plate))?,
                model,
            },
            tier,
            visit: visit.filter(|_| !matches!(channel, Channel::OnSite { .. })),
            channel,
            documents_seen,
            fee,
            receipt,
            card,
        };
        let member = enrollment.member;
        let referral = match &enrollment.channel {
            Channel::Referral { referrer } => Some((
                *referrer,
                enrollment.person.phone.clone(),
                enrollment.person.name.clone(),
            )),
            _ => None,
        };
        self.record(EventBody::Enrolled(enrollment), now_ms)?;
        // The referral, noted on the prospect's first visit, counts for the referrer: recorded
        // and, as the prospect joined, converted (DOMAIN.md §6).
        if let Some((referrer, prospect, name)) = referral {
            self.record(
                EventBody::ReferralRecorded {
                    member: referrer,
                    prospect: prospect.clone(),
                    name: Some(name),
                },
                now_ms,
            )?;
            self.record(
                EventBody::ReferralConverted {
                    member: referrer,
                    prospect,
                },
                now_ms,
            )?;
        }
        Ok(member)
    }

    /// The server's status document: the outcome of each uploaded event.
    pub(crate) fn status(&self) -> Arc<DeviceStatus> {
        let ids: Vec<DocumentId> = self
            .reg
            .as_ref()
            .and_then(|r| r.docs.status.parse::<DocumentId>().ok())
            .into_iter()
            .collect();
        self.status_cache.get(&self.docs, &ids, |docs| {
            Arc::new(
                docs.first()
                    .and_then(|d| docs::read_object(d))
                    .unwrap_or_default(),
            )
        })
    }

    /// The companies the user may start visits at: as the server last listed them in the status
    /// document (they follow the user's assignment), else as of registration.
    pub fn companies(&self) -> Vec<CompanyRef> {
        let Some(reg) = &self.reg else {
            return Vec::new();
        };
        let status = self.status();
        if status.directories.is_empty() {
            reg.companies.clone()
        } else {
            status.companies.clone()
        }
    }

    /// [`Device::companies`] as JSON: `[{"id", "name"}…]`.
    pub fn companies_json(&self) -> String {
        serde_json::to_string(&self.companies()).unwrap_or_else(|_| "[]".into())
    }

    /// The member directories this device reads: those the server last listed in the status
    /// document (they follow the user's assignment), else those of the registration.
    pub(crate) fn directory_ids(&self) -> Vec<DocumentId> {
        let Some(reg) = &self.reg else {
            return Vec::new();
        };
        if reg.docs.member.is_some() {
            // A member's own phone reads no directory.
            return Vec::new();
        }
        let status = self.status();
        let urls = if !status.directories.is_empty() {
            &status.directories
        } else if !reg.docs.directories.is_empty() {
            &reg.docs.directories
        } else {
            std::slice::from_ref(&reg.docs.directory)
        };
        urls.iter().filter_map(|u| u.parse().ok()).collect()
    }

    /// The members of the directories this device reads, as last synced, read once per change of
    /// a directory document (a device holding thousands of members consults it on every sync
    /// frame).
    pub(crate) fn directory(&self) -> Arc<Directory> {
        self.directory_view().0
    }

    /// The member files the directory lists.
    pub(crate) fn directory_members(&self) -> Arc<Vec<DocumentId>> {
        self.directory_view().1
    }

    fn directory_view(&self) -> (Arc<Directory>, Arc<Vec<DocumentId>>) {
        let ids = self.directory_ids();
        self.directory_cache.get(&self.docs, &ids, |docs| {
            let mut directory = Directory::default();
            for doc in docs {
                if let Some(d) = docs::read_object::<Directory>(doc) {
                    directory.members.extend(d.members);
                }
            }
            let members: Vec<DocumentId> = directory
                .members
                .values()
                .filter_map(|e| e.url.parse().ok())
                .collect();
            (Arc::new(directory), Arc::new(members))
        })
    }

    /// Events not yet answered by the server.
    pub fn pending_events(&self) -> usize {
        let status = self.status();
        self.journal()
            .iter()
            .filter(|e| !status.events.contains_key(&e.id.to_string()))
            .count()
    }

    /// Outcomes of this device's events, by event id.
    pub fn outcomes(&self) -> BTreeMap<String, Outcome> {
        self.status().events.clone()
    }

    /// The number of pending events and the time of the last completed sync, as JSON.
    pub fn sync_status_json(&self) -> String {
        serde_json::json!({
            "pending_events": self.pending_events(),
            "last_sync_ms": self.state.last_sync_ms,
            "syncing": self.session.is_some(),
        })
        .to_string()
    }

    /// Records a completed sync: its time, the server's cursor, and the sync state of each document.
    pub(crate) fn record_sync(
        &mut self,
        now_ms: i64,
        cursor: Option<u64>,
        states: Vec<(DocumentId, Vec<u8>)>,
    ) {
        self.state.last_sync_ms = Some(now_ms);
        if let Some(c) = cursor {
            self.state.cursor = c;
        }
        self.mark_state();
        self.record_states(states);
    }

    /// Keeps sync states after an interrupted session.
    pub(crate) fn record_states(&mut self, states: Vec<(DocumentId, Vec<u8>)>) {
        for (id, state) in states {
            self.dirty.insert(format!("{SYNC_PREFIX}{id}"));
            self.saved_states.insert(id, state);
        }
    }

    /// When the device last completed a sync (ms since the epoch).
    pub fn last_sync_ms(&self) -> Option<i64> {
        self.state.last_sync_ms
    }

    /// The server's change cursor as of the last completed sync.
    pub(crate) fn cursor(&self) -> u64 {
        self.state.cursor
    }
}
