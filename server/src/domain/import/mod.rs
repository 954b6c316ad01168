//! Bringing a store's customer base in from its dealer management system (DMS): CSV files of
//! customers, vehicles and service visits (`docs/import.md`).
//!
//! Every row becomes domain events — `customer_imported` (a member at the tier and card the DMS
//! records, or a prospect), `person_facts_set`, `vehicle_added`, `vehicle_facts_set`,
//! `service_visit_recorded` — that pass the one fold (`fold::apply`, online: the permission
//! matrix, then the program engine), exactly as the API's operations do, and reach devices
//! through the member documents the fold writes.
//!
//! **Idempotent and resumable.** Each event's id is derived from what the row is: the store and
//! DMS customer number for a customer (also the member's id), the member and VIN for a vehicle,
//! the content for facts (so changed facts are a new event: an update), the store, VIN, day, kind
//! and amount for a visit. An event already kept is not folded again, so a second run changes
//! nothing, and a run stopped anywhere (even killed) finishes when run again.
//!
//! **Dry run.** [`check`] reads and validates everything and judges each event against the store
//! as it is, with the same engine and permission matrix, and writes nothing. [`Run`] does the
//! real thing in chunks of about [`CHUNK_ROWS`] rows, one batch each (with its audit record), so
//! the caller can let go of the core's lock between chunks and syncs keep flowing.

mod customer;
pub mod job;
pub mod read;

use std::collections::{HashMap, HashSet};

use carclub_protocol::DocumentId;
use carclub_protocol::docs::Outcome;
use carclub_shared::care::{Elsewhere, PersonFacts};
use carclub_shared::events::{CustomerImport, ImportedMembership, Person, Vehicle};
use carclub_shared::{
    Event, EventBody, EventId, MemberId, ShortText, StoreId, Timestamp, UserId, Vin,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub(crate) use customer::fold_customer;
pub use customer::prospect_number;
pub use read::{Encoding, FileKind, ReadError, Refusal, Source};

use self::read::{Bad, Rows};
use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::fold::{self, Mode, StoredEvent};
use super::ledger;
use super::perm::{self, Op, Target};
use crate::storage::keys::EVENTS;
use crate::storage::{Batch, StoreError};

/// About how many rows one committed batch holds.
pub const CHUNK_ROWS: usize = 500;

/// Why an import could not start.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error("no file was given: name a customers, vehicles or visits file")]
    NoFiles,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What became of the rows of one file.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Counts {
    /// Rows that bring something new: a customer, a vehicle, a visit.
    pub added: u64,
    /// Rows of customers or vehicles already on file whose facts changed.
    pub updated: u64,
    /// Rows already on file as they are.
    pub unchanged: u64,
    /// Rows refused, each listed with its reason.
    pub refused: u64,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Whether nothing was written.
    pub dry_run: bool,
    pub customers: Counts,
    pub vehicles: Counts,
    pub visits: Counts,
    /// Every refused row, by file and line.
    pub refused: Vec<Refusal>,
}

impl Report {
    /// Rows in all three files.
    pub fn rows(&self) -> u64 {
        [self.customers, self.vehicles, self.visits]
            .iter()
            .map(|c| c.added + c.updated + c.unchanged + c.refused)
            .sum()
    }
}

/// What a planned event brings to its row when it is folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Updated,
    Added,
}

/// A row's fate so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fate {
    Unchanged,
    Updated,
    Added,
    Refused,
}

type RowRef = (FileKind, u64);

/// One event the import will fold, with the row it comes from.
#[derive(Debug, Clone)]
struct Planned {
    id: EventId,
    body: EventBody,
    row: RowRef,
    /// Another row the event brings in (the customer's first vehicle).
    also: Option<RowRef>,
    effect: Effect,
    /// The event of the group it needs folded first (the customer, the vehicle).
    needs: Option<usize>,
}

/// The events of one member, in the order they are folded.
#[derive(Debug, Clone)]
struct Group {
    member: MemberId,
    store: StoreId,
    events: Vec<Planned>,
    /// Rows of the group with no event of their own to fold.
    rows: Vec<RowRef>,
}

/// Everything read and decided before anything is folded.
#[derive(Debug)]
pub struct Plan {
    groups: Vec<Group>,
    /// Rows refused while reading and planning.
    refused: Vec<Refusal>,
    files: HashMap<FileKind, String>,
    /// Rows in all files (refused ones included).
    pub total_rows: u64,
}

/// A derived id: SHA-256 of the parts, as a UUID of version 8 (custom).
fn derived(parts: &[&str]) -> uuid::Uuid {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b)
}

/// The member id of DMS customer `key` of `store`.
pub fn member_id(store: StoreId, key: &str) -> MemberId {
    MemberId(derived(&["dms-customer", &store.to_string(), key]))
}

fn event_id(parts: &[&str]) -> EventId {
    EventId(derived(parts))
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The stores `p` may import into, by name and by id.
fn stores(core: &Core) -> Result<read::Stores, StoreError> {
    let mut out = HashMap::new();
    for s in core.accounts.stores()? {
        out.insert(s.name.clone(), s.id);
        out.insert(s.id.to_string(), s.id);
    }
    Ok(out)
}

/// Reads the sources and decides the events of every row, against the store as it is now.
pub fn plan(
    core: &Core,
    p: &Principal,
    sources: &[Source],
    encoding: Encoding,
) -> Result<Plan, ImportError> {
    if sources.is_empty() {
        return Err(ImportError::NoFiles);
    }
    perm::check_any(p, Op::ImportCustomers)?;
    let stores = stores(core)?;
    let mut rows = read::read(sources, encoding, &stores, p.user.store)?;
    let total_rows = rows.totals.values().sum();
    let groups = Planner::new(core, p).plan(&mut rows)?;
    let mut refused = std::mem::take(&mut rows.refused);
    refused.sort_by_key(|r| (r.kind, r.line));
    Ok(Plan {
        groups,
        refused,
        files: rows.files,
        total_rows,
    })
}

/// Builds the groups of events from the rows.
struct Planner<'a> {
    core: &'a Core,
    p: &'a Principal,
    /// Which member holds each VIN on file.
    vin_owner: HashMap<Vin, MemberId>,
    groups: Vec<Group>,
    by_member: HashMap<MemberId, usize>,
}

impl<'a> Planner<'a> {
    fn new(core: &'a Core, p: &'a Principal) -> Self {
        let vin_owner = core
            .members
            .values()
            .flat_map(|m| m.vehicles.iter().map(|v| (v.vin.clone(), m.id)))
            .collect();
        Self {
            core,
            p,
            vin_owner,
            groups: Vec::new(),
            by_member: HashMap::new(),
        }
    }

    fn group(&mut self, member: MemberId, store: StoreId) -> usize {
        *self.by_member.entry(member).or_insert_with(|| {
            self.groups.push(Group {
                member,
                store,
                events: Vec::new(),
                rows: Vec::new(),
            });
            self.groups.len() - 1
        })
    }

    fn push(&mut self, g: usize, planned: Planned) -> usize {
        self.groups[g].events.push(planned);
        self.groups[g].events.len() - 1
    }

    fn plan(mut self, rows: &mut Rows) -> Result<Vec<Group>, StoreError> {
        let customers = std::mem::take(&mut rows.customers);
        let vehicles = std::mem::take(&mut rows.vehicles);
        let visits = std::mem::take(&mut rows.visits);

        // Customers, by their DMS number.
        let mut by_key: HashMap<String, (usize, &read::CustomerRow)> = HashMap::new();
        let mut cards: HashMap<String, u64> = HashMap::new();
        for c in &customers {
            let key = c.key.to_ascii_uppercase();
            if let Some((_, first)) = by_key.get(&key) {
                rows.refuse(
                    FileKind::Customers,
                    c.line,
                    Bad::new(
                        format!("customer {key} is already on line {}", first.line),
                        format!("客户 {key} 已在第 {} 行", first.line),
                    ),
                );
                continue;
            }
            if let Err(d) = perm::check(self.p, Op::ImportCustomers, Target::store(c.store)) {
                rows.refuse(
                    FileKind::Customers,
                    c.line,
                    Bad::new(d.to_string(), d.describe_zh()),
                );
                continue;
            }
            if let Some(card) = &c.card
                && let Some(line) = cards.insert(card.to_string(), c.line)
            {
                rows.refuse(
                    FileKind::Customers,
                    c.line,
                    Bad::new(
                        format!("card {card} is already given on line {line}"),
                        format!("卡号 {card} 已在第 {line} 行使用"),
                    ),
                );
                continue;
            }
            let member = member_id(c.store, &key);
            let g = self.group(member, c.store);
            by_key.insert(key, (g, c));
        }

        // Vehicles, each under its customer.
        let mut vin_at: HashMap<Vin, (usize, Option<usize>, u64)> = HashMap::new();
        let mut first_vehicle: HashMap<usize, usize> = HashMap::new();
        for v in &vehicles {
            let key = v.customer.to_ascii_uppercase();
            let refuse = |rows: &mut Rows, en: String, zh: String| {
                rows.refuse(FileKind::Vehicles, v.line, Bad::new(en, zh));
            };
            if let Some((_, _, line)) = vin_at.get(&v.vin) {
                refuse(
                    rows,
                    format!("vehicle {} is already on line {line}", v.vin),
                    format!("车辆 {} 已在第 {line} 行", v.vin),
                );
                continue;
            }
            let (g, on_file) = match by_key.get(&key) {
                Some((g, _)) => (*g, self.core.members.contains_key(&self.groups[*g].member)),
                None => match self.on_file(&key) {
                    Some((member, store)) => (self.group(member, store), true),
                    None => {
                        refuse(
                            rows,
                            format!("customer {key} is neither in the customers file nor on file"),
                            format!("客户 {key} 既不在客户文件中，也不在档案中"),
                        );
                        continue;
                    }
                },
            };
            let member = self.groups[g].member;
            let ms = member.to_string();
            let vin = v.vin.to_string();
            let owner = self.vin_owner.get(&v.vin).copied();
            let mut needs = None;
            match owner {
                Some(o) if o != member => {
                    let name = self
                        .core
                        .members
                        .get(&o)
                        .map_or_else(|| o.to_string(), |m| m.name.clone());
                    refuse(
                        rows,
                        format!("vehicle {vin} is already on the file of {name}"),
                        format!("车辆 {vin} 已在 {name} 的档案中"),
                    );
                    continue;
                }
                Some(_) => {}
                None if !on_file && !first_vehicle.contains_key(&g) => {
                    // The customer's first vehicle comes with the customer.
                    let at = vehicles.iter().position(|x| x.line == v.line).unwrap_or(0);
                    first_vehicle.insert(g, at);
                }
                None => {
                    needs = Some(self.push(
                        g,
                        Planned {
                            id: event_id(&["dms-vehicle", &ms, &vin]),
                            body: EventBody::VehicleAdded {
                                member,
                                vehicle: Vehicle {
                                    vin: v.vin.clone(),
                                    plate: v.plate.clone(),
                                    model: v.facts.model.clone(),
                                },
                                card: None,
                            },
                            row: (FileKind::Vehicles, v.line),
                            also: None,
                            effect: Effect::Added,
                            needs: None,
                        },
                    ));
                }
            }
            vin_at.insert(v.vin.clone(), (g, needs, v.line));
            if owner.is_some() || needs.is_some() {
                self.groups[g].rows.push((FileKind::Vehicles, v.line));
            }
        }

        // Customers: the import event (with the first vehicle) first in each new group.
        for (g, c) in by_key.values() {
            let member = self.groups[*g].member;
            let ms = member.to_string();
            let key = c.key.to_ascii_uppercase();
            let mut head = Vec::new();
            if self.core.members.contains_key(&member) {
                self.groups[*g].rows.push((FileKind::Customers, c.line));
            } else {
                let Some(v) = first_vehicle.get(g).map(|i| &vehicles[*i]) else {
                    rows.refuse(
                        FileKind::Customers,
                        c.line,
                        Bad::new(
                            format!("customer {key} has no vehicle in the vehicles file"),
                            format!("客户 {key} 在车辆文件中没有车辆"),
                        ),
                    );
                    continue;
                };
                let Ok(customer) = ShortText::parse(&key) else {
                    continue;
                };
                let tier = c.tier.clone().or_else(|| self.entry_tier(c.store));
                let membership = match (c.member, c.card.clone(), tier) {
                    (true, Some(card), Some(tier)) => Some(ImportedMembership {
                        tier,
                        card,
                        joined: c.joined.unwrap_or_else(ledger::today),
                        valid_until: c.valid_until,
                    }),
                    (true, _, _) => {
                        rows.refuse(
                            FileKind::Customers,
                            c.line,
                            Bad::new(
                                "the store runs no club program to join",
                                "门店尚未设置会员方案，无法入会",
                            ),
                        );
                        continue;
                    }
                    (false, _, _) => None,
                };
                head.push(Planned {
                    id: event_id(&["dms-customer-imported", &c.store.to_string(), &key]),
                    body: EventBody::CustomerImported(CustomerImport {
                        member,
                        store: c.store,
                        customer,
                        person: Person {
                            name: c.name.clone(),
                            phone: c.phone.clone(),
                            id_number: None,
                        },
                        vehicle: Vehicle {
                            vin: v.vin.clone(),
                            plate: v.plate.clone(),
                            model: v.facts.model.clone(),
                        },
                        membership,
                    }),
                    row: (FileKind::Customers, c.line),
                    also: Some((FileKind::Vehicles, v.line)),
                    effect: Effect::Added,
                    needs: None,
                });
            }
            if c.birthday.is_some() || c.sms.is_some() {
                let facts = PersonFacts {
                    birthday: c.birthday,
                    sms_consent: c.sms.unwrap_or(false),
                    ..PersonFacts::default()
                };
                head.push(Planned {
                    id: event_id(&["dms-person", &ms, &json(&facts)]),
                    body: EventBody::PersonFactsSet { member, facts },
                    row: (FileKind::Customers, c.line),
                    also: None,
                    effect: Effect::Updated,
                    needs: None,
                });
            }
            // The customer's events go first; indexes of the vehicles' events shift.
            let n = head.len();
            let group = &mut self.groups[*g];
            for e in &mut group.events {
                e.needs = e.needs.map(|i| i + n);
            }
            let has_head_customer = matches!(
                head.first().map(|e| &e.body),
                Some(EventBody::CustomerImported(_))
            );
            let mut events = head;
            events.append(&mut group.events);
            if has_head_customer {
                for e in events.iter_mut().skip(1) {
                    e.needs.get_or_insert(0);
                }
            }
            group.events = events;
            for e in vin_at.values_mut().filter(|e| e.0 == *g) {
                e.1 = e.1.map(|i| i + n);
            }
        }

        // Vehicle facts, after the vehicle is on the file.
        for v in &vehicles {
            let Some(&(g, needs, line)) = vin_at.get(&v.vin) else {
                continue;
            };
            if line != v.line || v.facts == Default::default() {
                continue;
            }
            let member = self.groups[g].member;
            let needs = needs.or_else(|| self.customer_event(g));
            let i = self.push(
                g,
                Planned {
                    id: event_id(&[
                        "dms-vehicle-facts",
                        &member.to_string(),
                        v.vin.as_str(),
                        &json(&v.facts),
                    ]),
                    body: EventBody::VehicleFactsSet {
                        member,
                        vin: v.vin.clone(),
                        facts: v.facts.clone(),
                    },
                    row: (FileKind::Vehicles, v.line),
                    also: None,
                    effect: Effect::Updated,
                    needs,
                },
            );
            let _ = i;
        }

        // Visits, by vehicle, in date order.
        let mut visits = visits;
        visits.sort_by(|a, b| (&a.vin, a.on, a.line).cmp(&(&b.vin, b.on, b.line)));
        let mut seen: HashMap<EventId, u64> = HashMap::new();
        let advisors = self.advisors()?;
        for v in &visits {
            let (g, needs) = match vin_at.get(&v.vin) {
                Some(&(g, needs, _)) => (g, needs.or_else(|| self.customer_event(g))),
                None => match self.vin_owner.get(&v.vin).copied() {
                    Some(member) => match self.core.members.get(&member) {
                        Some(m)
                            if perm::check(self.p, Op::ImportCustomers, Target::store(m.store))
                                .is_ok() =>
                        {
                            (self.group(member, m.store), None)
                        }
                        _ => {
                            rows.refuse(
                                FileKind::Visits,
                                v.line,
                                Bad::new(
                                    format!("vehicle {} belongs to another store", v.vin),
                                    format!("车辆 {} 属于其他门店", v.vin),
                                ),
                            );
                            continue;
                        }
                    },
                    None => {
                        rows.refuse(
                            FileKind::Visits,
                            v.line,
                            Bad::new(
                                format!(
                                    "vehicle {} is neither in the vehicles file nor on file",
                                    v.vin
                                ),
                                format!("车辆 {} 既不在车辆文件中，也不在档案中", v.vin),
                            ),
                        );
                        continue;
                    }
                },
            };
            let store = self.groups[g].store;
            let id = event_id(&[
                "dms-visit",
                &store.to_string(),
                v.vin.as_str(),
                &v.on.to_string(),
                &json(&v.kind),
                &v.amount.fen().to_string(),
            ]);
            if let Some(line) = seen.insert(id, v.line) {
                rows.refuse(
                    FileKind::Visits,
                    v.line,
                    Bad::new(
                        format!("the same visit (vehicle, day, kind and amount) is on line {line}"),
                        format!("同一次进厂（车辆、日期、类型、金额相同）已在第 {line} 行"),
                    ),
                );
                continue;
            }
            let member = self.groups[g].member;
            let (amount, elsewhere) = match &v.elsewhere {
                Some((store, place)) => (
                    carclub_shared::Money::ZERO,
                    Some(Elsewhere {
                        store: store.clone(),
                        place: place.clone(),
                        cost: v.amount,
                    }),
                ),
                None => (v.amount, None),
            };
            let advisor = v
                .advisor
                .as_ref()
                .and_then(|a| advisors.get(&(store, a.clone())).copied());
            self.push(
                g,
                Planned {
                    id,
                    body: EventBody::ServiceVisitRecorded {
                        member,
                        vin: v.vin.clone(),
                        on: v.on,
                        km: v.km,
                        kind: v.kind,
                        amount,
                        advisor,
                        elsewhere,
                    },
                    row: (FileKind::Visits, v.line),
                    also: None,
                    effect: Effect::Added,
                    needs,
                },
            );
        }
        Ok(self.groups)
    }

    /// The index of the group's `customer_imported`, if it has one.
    fn customer_event(&self, g: usize) -> Option<usize> {
        self.groups[g]
            .events
            .iter()
            .position(|e| matches!(e.body, EventBody::CustomerImported(_)))
    }

    /// A customer imported before, found by its DMS number in any store `p` imports into.
    fn on_file(&self, key: &str) -> Option<(MemberId, StoreId)> {
        let stores = self.core.accounts.stores().ok()?;
        stores.iter().find_map(|s| {
            let m = member_id(s.id, key);
            (self.core.members.contains_key(&m)
                && perm::check(self.p, Op::ImportCustomers, Target::store(s.id)).is_ok())
            .then_some((m, s.id))
        })
    }

    /// The lowest tier members may join at in `store`'s program.
    fn entry_tier(&self, store: StoreId) -> Option<carclub_shared::TierId> {
        ledger::program_of(self.core, store)
            .and_then(|p| p.tiers.iter().find(|t| t.entry).map(|t| t.id.clone()))
    }

    /// Staff of each store by username and by name, for the advisor column.
    fn advisors(&self) -> Result<HashMap<(StoreId, String), UserId>, StoreError> {
        let mut out = HashMap::new();
        for u in self.core.accounts.users()? {
            out.insert((u.store, u.name.clone()), u.id);
            out.insert((u.store, u.username.clone()), u.id);
        }
        Ok(out)
    }
}

/// The report of a plan's rows, before any event is judged.
fn report_of(plan: &Plan, dry_run: bool) -> (Report, HashMap<RowRef, Fate>) {
    let mut fates: HashMap<RowRef, Fate> = HashMap::new();
    for g in &plan.groups {
        for r in &g.rows {
            fates.entry(*r).or_insert(Fate::Unchanged);
        }
        for e in &g.events {
            fates.entry(e.row).or_insert(Fate::Unchanged);
            if let Some(also) = e.also {
                fates.entry(also).or_insert(Fate::Unchanged);
            }
        }
    }
    let report = Report {
        dry_run,
        refused: plan.refused.clone(),
        ..Report::default()
    };
    (report, fates)
}

fn tally(report: &mut Report, fates: &HashMap<RowRef, Fate>) {
    let mut c = [Counts::default(); 3];
    let slot = |k: FileKind| match k {
        FileKind::Customers => 0,
        FileKind::Vehicles => 1,
        FileKind::Visits => 2,
    };
    let mut refused_rows: HashSet<RowRef> = HashSet::new();
    for r in &report.refused {
        if refused_rows.insert((r.kind, r.line)) {
            c[slot(r.kind)].refused += 1;
        }
    }
    for (row, fate) in fates {
        if refused_rows.contains(row) {
            continue;
        }
        let n = &mut c[slot(row.0)];
        match fate {
            Fate::Unchanged => n.unchanged += 1,
            Fate::Updated => n.updated += 1,
            Fate::Added => n.added += 1,
            Fate::Refused => {}
        }
    }
    report.customers = c[0];
    report.vehicles = c[1];
    report.visits = c[2];
    report.refused.sort_by_key(|r| (r.kind, r.line));
}

/// Records the outcome of one planned event on its row.
fn settle(
    report: &mut Report,
    fates: &mut HashMap<RowRef, Fate>,
    files: &HashMap<FileKind, String>,
    planned: &Planned,
    outcome: Result<Option<Effect>, Bad>,
) {
    if let Some(also) = planned.also {
        let follows = match &outcome {
            Ok(effect) => Ok(*effect),
            Err(_) => Err(needs_refused(files, planned.row)),
        };
        record(report, fates, files, also, follows);
    }
    record(report, fates, files, planned.row, outcome);
}

fn record(
    report: &mut Report,
    fates: &mut HashMap<RowRef, Fate>,
    files: &HashMap<FileKind, String>,
    row: RowRef,
    outcome: Result<Option<Effect>, Bad>,
) {
    let fate = fates.entry(row).or_insert(Fate::Unchanged);
    match outcome {
        Ok(None) => {}
        Ok(Some(Effect::Added)) => *fate = (*fate).max(Fate::Added),
        Ok(Some(Effect::Updated)) => *fate = (*fate).max(Fate::Updated),
        Err(why) => {
            if *fate != Fate::Refused {
                *fate = Fate::Refused;
                report.refused.push(Refusal {
                    file: files.get(&row.0).cloned().unwrap_or_default(),
                    kind: row.0,
                    line: row.1,
                    reason: why.en,
                    reason_zh: why.zh,
                });
            }
        }
    }
}

/// The reason an event is not folded because the one it needs was refused.
fn needs_refused(files: &HashMap<FileKind, String>, row: RowRef) -> Bad {
    let file = files.get(&row.0).cloned().unwrap_or_default();
    Bad::new(
        format!("it needs line {} of {file}, which was refused", row.1),
        format!("依赖的 {file} 第 {} 行被拒绝", row.1),
    )
}

/// The event of a planned row, recorded by `p` at `at` with sequence `seq`.
fn event(p: &Principal, at: Timestamp, seq: u64, planned: &Planned) -> Event {
    Event {
        id: planned.id,
        at,
        device: p.device.unwrap_or(carclub_shared::DeviceId(p.user.id.0)),
        seq,
        author: p.user.id,
        body: planned.body.clone(),
    }
}

/// The dry run: every row read, validated and judged against the store as it is, with the
/// permission matrix and the program engine; nothing is written.
pub fn check(core: &Core, p: &Principal, plan: &Plan) -> Result<Report, StoreError> {
    let (mut report, mut fates) = report_of(plan, true);
    let now = super::club::now();
    let empty = Batch::default();
    for g in &plan.groups {
        let program = ledger::program_of(core, g.store);
        let mut events = if core.members.contains_key(&g.member) {
            ledger::member_events(core, &empty, g.member)?
        } else {
            Vec::new()
        };
        let mut refused = vec![false; g.events.len()];
        for (i, planned) in g.events.iter().enumerate() {
            let outcome = if let Some(n) = planned.needs.filter(|n| refused[*n]) {
                Err(needs_refused(&plan.files, g.events[n].row))
            } else if EVENTS.contains(core.store.as_ref(), &planned.id.to_string())? {
                Ok(None)
            } else {
                let ev = event(p, now, i as u64, planned);
                judge_one(core, p, g, program.as_ref(), &events, &ev).map(|()| {
                    events.push(ev);
                    Some(planned.effect)
                })
            };
            refused[i] = outcome.is_err();
            settle(&mut report, &mut fates, &plan.files, planned, outcome);
        }
    }
    tally(&mut report, &fates);
    Ok(report)
}

/// What the fold would say to `ev` (for the dry run).
fn judge_one(
    core: &Core,
    p: &Principal,
    g: &Group,
    program: Option<&carclub_shared::program::Program>,
    events: &[Event],
    ev: &Event,
) -> Result<(), Bad> {
    let target = match &ev.body {
        EventBody::CustomerImported(_) => Target::store(g.store),
        _ => Target::member(g.store, g.member, fold::company_of(core, g.member)),
    };
    perm::check(p, perm::op_of(&ev.body), target)
        .map_err(|d| Bad::new(d.to_string(), d.describe_zh()))?;
    if let EventBody::CustomerImported(c) = &ev.body {
        return customer::objection(core, &Batch::default(), ev, c)
            .map_err(|r| Bad::new(r.to_string(), r.describe_zh()));
    }
    let Some(program) = program else {
        let r = fold::Refusal::NoProgram(g.store);
        return Err(Bad::new(r.to_string(), r.describe_zh()));
    };
    match ledger::judge(program, events, ev).first() {
        Some(v) => Err(Bad::new(ledger::describe(v), ledger::describe_zh(v))),
        None => Ok(()),
    }
}

/// The real run, a chunk at a time; the same plan run again (or after a crash) folds only what
/// is not kept yet.
pub struct Run {
    plan: Plan,
    next: usize,
    report: Report,
    fates: HashMap<RowRef, Fate>,
    /// Rows of the groups done so far.
    pub done_rows: u64,
}

/// The rows one chunk added or updated, as a job keeps them with the chunk.
type Settled = Vec<(RowRef, Fate)>;

impl Run {
    /// A run of `plan`, nothing folded yet.
    pub fn new(plan: Plan) -> Self {
        Self::resumed(plan, Vec::new())
    }

    /// A run of `plan` (made again from the same files) taking over from one that was cut short:
    /// `before` are the rows its committed chunks added or updated. Its events are kept, so the
    /// run folds them no more; its report says what the first run did to them.
    fn resumed(plan: Plan, before: Settled) -> Self {
        let (report, mut fates) = report_of(&plan, false);
        for (row, fate) in before {
            let now = fates.entry(row).or_insert(Fate::Unchanged);
            *now = (*now).max(fate);
        }
        let done_rows = plan.refused.len() as u64;
        Self {
            plan,
            next: 0,
            report,
            fates,
            done_rows,
        }
    }

    /// Rows in all the files.
    pub fn total_rows(&self) -> u64 {
        self.plan.total_rows
    }

    /// Whether every group is folded.
    pub fn finished(&self) -> bool {
        self.next >= self.plan.groups.len()
    }

    /// Folds the next chunk of about [`CHUNK_ROWS`] rows as one batch with its audit record, and
    /// commits it. Returns the documents it touched (already noted for the sync layer).
    pub fn step(&mut self, core: &mut Core, p: &Principal) -> Result<(), StoreError> {
        self.step_keeping(core, p, |_, _, _| Ok(()))
    }

    /// [`Run::step`], with `keep` writing into the chunk's batch what a job keeps of it (its
    /// progress, the rows it added or updated), so that what is kept is what is committed.
    fn step_keeping(
        &mut self,
        core: &mut Core,
        p: &Principal,
        keep: impl FnOnce(&mut Batch, &Run, Settled) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let result = self.fold_chunk(core, p, keep);
        // Never left deferring for the folds that come after, whatever happened.
        core.deferred = None;
        result
    }

    fn fold_chunk(
        &mut self,
        core: &mut Core,
        p: &Principal,
        keep: impl FnOnce(&mut Batch, &Run, Settled) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut settled: Settled = Vec::new();
        let now = super::club::now();
        let mut batch = Batch::default();
        let mut touched: Vec<DocumentId> = Vec::new();
        let mut rows = 0usize;
        let mut folded = 0u64;
        let mut stores: HashSet<StoreId> = HashSet::new();
        while rows < CHUNK_ROWS && self.next < self.plan.groups.len() {
            let g = &self.plan.groups[self.next];
            stores.insert(g.store);
            // The member's file is rewritten once, after all of the group's events.
            core.deferred = Some(Default::default());
            let mut refused = vec![false; g.events.len()];
            for (i, planned) in g.events.iter().enumerate() {
                let outcome = if let Some(n) = planned.needs.filter(|n| refused[*n]) {
                    Err(needs_refused(&self.plan.files, g.events[n].row))
                } else if EVENTS.contains(core.store.as_ref(), &planned.id.to_string())? {
                    Ok(None)
                } else {
                    let ev = event(p, now, core.store.next_id()?, planned);
                    match fold::apply(core, p, None, &ev, Mode::Online, &mut batch, &mut touched) {
                        Ok(member) => {
                            let stored = StoredEvent {
                                event: ev.clone(),
                                outcome: Outcome::Accepted { member },
                                received_at: now,
                            };
                            EVENTS.put(&mut batch, &ev.id.to_string(), &stored)?;
                            folded += 1;
                            Ok(Some(planned.effect))
                        }
                        Err(fold::Refusal::Storage(e)) => return Err(e),
                        Err(r) => Err(Bad::new(r.to_string(), r.describe_zh())),
                    }
                };
                refused[i] = outcome.is_err();
                settle(
                    &mut self.report,
                    &mut self.fates,
                    &self.plan.files,
                    planned,
                    outcome,
                );
            }
            fold::refresh_deferred(core, &mut batch, &mut touched)?;
            let mut group_rows: HashSet<RowRef> = g.rows.iter().copied().collect();
            group_rows.extend(g.events.iter().map(|e| e.row));
            group_rows.extend(g.events.iter().filter_map(|e| e.also));
            rows += group_rows.len();
            self.done_rows += group_rows.len() as u64;
            self.next += 1;
            settled.extend(group_rows.into_iter().filter_map(|row| {
                let fate = self.fates.get(&row).copied()?;
                matches!(fate, Fate::Added | Fate::Updated).then_some((row, fate))
            }));
        }
        for store in stores {
            audit::record(
                core.store.as_ref(),
                &mut batch,
                p,
                Entry {
                    action: "import_customers",
                    store,
                    member: None,
                    detail: format!("{folded} events from {rows} rows"),
                },
            )?;
        }
        keep(&mut batch, self, settled)?;
        core.commit(batch, touched)?;
        Ok(())
    }

    /// The report so far (complete once [`Run::finished`]).
    pub fn report(&self) -> Report {
        let mut report = self.report.clone();
        tally(&mut report, &self.fates);
        report
    }
}
