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
    self, Allowance, ConflictRef, DeviceStatus, DirectoryEntry, DocKind, MemberFile, Outcome,
    VehicleEntry,
};
use carclub_shared::events::{Channel, Enrollment};
use carclub_shared::{
    CompanyId, DeviceId, Event, EventBody, EventId, MemberId, Money, StoreId, Timestamp,
};
use serde::{Deserialize, Serialize};

use carclub_shared::projection::{CardKind, CardStatus, MemberState, Violation};

use super::auth::{DeviceRecord, Principal};
use super::core::{Core, DocMeta};
use super::members::MemberIndex;
use super::perm::{self, Denied, Target};
use super::{contact_changes, ledger, member_device, terms};
use crate::storage::keys::{CONFLICTS, EVENTS, HOLDERS, MEMBERS, VISITS};
use crate::storage::{Batch, StoreError};

/// What kind of invariant offline devices broke together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Points redeemed beyond the balance (e.g. the same points on two offline devices).
    #[serde(rename = "points_overdrawn")]
    PointsOverdrawn,
    /// A counted benefit used beyond its yearly allowance (e.g. on two offline devices).
    #[serde(rename = "benefit_overused")]
    BenefitOverused,
}

impl ConflictKind {
    fn as_str(self) -> &'static str {
        match self {
            ConflictKind::SecondCardOnVehicle => "duplicate_vin",
            ConflictKind::CardIssuedTwice => "duplicate_card",
            ConflictKind::ReceiptCountedTwice => "duplicate_receipt",
            ConflictKind::PointsOverdrawn => "points_overdrawn",
            ConflictKind::BenefitOverused => "benefit_overused",
        }
    }
}

/// A conflict for the back office to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    pub id: String,
    pub kind: ConflictKind,
    pub summary: String,
    /// The summary in Chinese, as the staff read it.
    #[serde(default)]
    pub summary_zh: String,
    pub members: Vec<MemberId>,
    pub events: Vec<EventId>,
    pub created_at: Timestamp,
    pub store: StoreId,
    pub resolved: bool,
    /// What the back office can do about it.
    pub resolution: String,
    /// The resolution in Chinese.
    #[serde(default)]
    pub resolution_zh: String,
}

/// A text in English and in Chinese.
pub(crate) struct Said {
    pub en: String,
    pub zh: String,
}

/// An event as the server keeps it: the event and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvent {
    pub event: Event,
    pub outcome: Outcome,
    pub received_at: Timestamp,
}

fn now() -> Timestamp {
    super::club::now()
}

/// Folds journal entries; returns the documents changed (besides the journal).
pub(crate) fn fold_entries(
    core: &mut Core,
    p: &Principal,
    device: DeviceId,
    entries: Vec<docs::journal::Entry>,
    batch: &mut Batch,
) -> Result<Vec<DocumentId>, StoreError> {
    let mut touched = Vec::new();
    let status_id = docs::status_id(device);
    let mut outcomes = Vec::new();
    let device_record = core.accounts.device(device)?;
    for entry in entries {
        let (key, outcome, raw) = match entry {
            docs::journal::Entry::Malformed { index, id, reason } => {
                let key = id.unwrap_or_else(|| format!("entry-{index}"));
                (
                    key,
                    Outcome::Rejected {
                        reason_zh: Some(format!("记录无法读取：{reason}")),
                        reason: format!("the event could not be read: {reason}"),
                    },
                    None,
                )
            }
            docs::journal::Entry::Event(event) => {
                let key = event.id.to_string();
                if EVENTS.contains(core.store.as_ref(), &key)? {
                    // Seen before (a retried upload or a copied event): it counts once.
                    continue;
                }
                let outcome = match device_record.as_ref() {
                    Some(d) => {
                        match apply(core, p, Some(d), &event, Mode::Synced, batch, &mut touched) {
                            Ok(member) => Outcome::Accepted { member },
                            // The store failing (a full disk) refuses nothing: the upload is not
                            // saved, the device is told why and sends the event again.
                            Err(Refusal::Storage(e)) => return Err(e),
                            Err(refusal) => Outcome::Rejected {
                                reason: refusal.to_string(),
                                reason_zh: Some(refusal.describe_zh()),
                            },
                        }
                    }
                    None => Outcome::Rejected {
                        reason: "the device is not registered".into(),
                        reason_zh: Some("本设备尚未登记".into()),
                    },
                };
                (key, outcome, Some(event))
            }
        };
        tracing::info!(event = %key, ?outcome, "event folded");
        if let Some(event) = raw {
            let stored = StoredEvent {
                event: (*event).clone(),
                outcome: outcome.clone(),
                received_at: now(),
            };
            EVENTS.put(batch, &key, &stored)?;
        }
        outcomes.push((key, outcome));
    }
    if !core.docs.load(core.store.as_ref(), &status_id)? {
        let mut doc = Automerge::new();
        docs::write_object(&mut doc, DocKind::DeviceStatus, &DeviceStatus::default());
        core.docs.insert_new(status_id, doc);
    }
    if let Some(doc) = core.docs.get_mut(&status_id) {
        // One change for the whole batch, however many events it holds.
        let entries = outcomes
            .iter()
            .map(|(key, outcome)| (key.as_str(), outcome));
        if docs::write_entries(doc, "events", entries) {
            core.docs.save(&status_id, batch);
            touched.push(status_id);
        }
    }
    touched.sort();
    touched.dedup();
    Ok(touched)
}

/// Writes a server-owned document (creating it if needed); whether it changed.
fn write(
    core: &mut Core,
    id: DocumentId,
    kind: DocKind,
    value: &impl Serialize,
    batch: &mut Batch,
) -> Result<bool, StoreError> {
    if !core.docs.load(core.store.as_ref(), &id)? {
        core.docs.insert_new(id, Automerge::new());
    }
    let Some(doc) = core.docs.get_mut(&id) else {
        return Ok(false);
    };
    let changed = docs::write_object(doc, kind, value);
    if changed {
        core.docs.save(&id, batch);
    }
    Ok(changed)
}

/// Where an event comes from, which decides what the engine's objections do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From a device's journal: recorded offline, possibly together with others. An event the
    /// engine objects to is kept and its violation shown on the member's file (nothing is
    /// silently dropped), as the projection does.
    Synced,
    /// From the API: the caller sees the current state, so an event the engine objects to is
    /// refused with the reason and nothing changes.
    Online,
}

/// Why an event was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the event names device {named} but was uploaded by device {uploader}")]
    WrongDevice { named: DeviceId, uploader: DeviceId },
    #[error("the event's author is not the person signed in on this device")]
    WrongAuthor,
    #[error("the event is dated {0} which is in the future; check the device clock")]
    FutureDate(Timestamp),
    #[error("member {0} is not on file")]
    UnknownMember(MemberId),
    #[error("the event names no member")]
    NoMember,
    #[error(transparent)]
    Enrollment(#[from] EnrollmentError),
    #[error("enrollments are recorded on a device that holds a card block")]
    EnrollmentNeedsDevice,
    #[error("the program of store {0} is not set up on the server")]
    NoProgram(StoreId),
    #[error("the member file could not be stored")]
    Storage(#[from] StoreError),
    #[error("{}", ledger::describe(.0))]
    Engine(Violation),
    #[error("company {0} has no corporate agreement with this store")]
    UnknownCompany(CompanyId),
    #[error(
        "you are assigned to some companies of your store; start visits only at one of them (name its agreement)"
    )]
    VisitOutsideCompanies,
    #[error(
        "you are assigned to some companies of your store; enroll members only on site during a visit at one of them"
    )]
    EnrollmentOutsideCompanies,
    #[error(transparent)]
    Invitation(Box<super::club_events::ClubEventError>),
}

/// The on-site visit an enrollment was recorded at: the channel's, or the one it names beside
/// another channel (a referral or a car bought here, enrolled during a visit).
fn enrollment_visit(e: &Enrollment) -> Option<carclub_shared::VisitId> {
    match &e.channel {
        Channel::OnSite { visit } => Some(*visit),
        _ => e.visit,
    }
}

/// How a member came to the club, as the member file names it.
fn channel_kind(channel: &Channel) -> &'static str {
    match channel {
        Channel::Purchase => "purchase",
        Channel::Referral { .. } => "referral",
        Channel::Desk => "desk",
        Channel::OnSite { .. } => "on_site",
        Channel::Campaign => "campaign",
    }
}

/// Why an enrollment was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    #[error("member {0} is already enrolled")]
    AlreadyEnrolled(MemberId),
    #[error("tier {tier} is not in program {program} ({known})")]
    UnknownTier {
        tier: String,
        program: String,
        known: String,
    },
    #[error("the {tier} tier cannot be bought; it is earned")]
    EarnedTier { tier: String },
    #[error("fee {paid} does not match the {tier} fee {fee}")]
    WrongFee {
        paid: Money,
        tier: String,
        fee: Money,
    },
    #[error("a receipt number is required when a fee is collected")]
    ReceiptMissing,
    #[error("card {0} is not in a card block checked out to this device")]
    CardNotInBlock(carclub_shared::CardNo),
    #[error("vehicle {vin} is already on the file of {name}")]
    VehicleOnFile {
        vin: carclub_shared::Vin,
        name: String,
    },
    #[error("customer number {0:?} is not 1 to 16 letters, digits and dashes")]
    CustomerNumber(String),
    #[error("card {card} is already held by {name}")]
    CardOnFile {
        card: carclub_shared::CardNo,
        name: String,
    },
}

impl EnrollmentError {
    /// The refusal in Chinese, with the same values as its English.
    pub fn describe_zh(&self) -> String {
        use EnrollmentError as E;
        match self {
            E::AlreadyEnrolled(m) => format!("会员 {m} 已经入会"),
            E::UnknownTier {
                tier,
                program,
                known,
            } => format!("会员方案 {program} 中没有等级 {tier}（可选：{known}）"),
            E::EarnedTier { tier } => format!("{tier} 等级不能购买，只能凭条件升级获得"),
            E::WrongFee { paid, tier, fee } => {
                format!("收取的会费 {paid} 与 {tier} 等级的会费 {fee} 不符")
            }
            E::ReceiptMissing => "收取会费时必须填写收据号".into(),
            E::CardNotInBlock(card) => format!("卡号 {card} 不在本设备领用的会员卡号段内"),
            E::VehicleOnFile { vin, name } => format!("车辆 {vin} 已在 {name} 的档案中"),
            E::CustomerNumber(n) => {
                format!("客户编号 {n:?} 无效：应为 1 到 16 个字母、数字或短横线")
            }
            E::CardOnFile { card, name } => format!("卡号 {card} 已由 {name} 持有"),
        }
    }
}

impl Refusal {
    /// The refusal in Chinese, with the same values as its English: what a device's status
    /// document, an import's report and the API's `message_zh` say.
    pub fn describe_zh(&self) -> String {
        use Refusal as R;
        match self {
            R::Denied(d) => d.describe_zh(),
            R::WrongDevice { named, uploader } => {
                format!("记录写的是设备 {named}，却由设备 {uploader} 上传")
            }
            R::WrongAuthor => "记录的经办人不是本设备上登录的人".into(),
            R::FutureDate(at) => format!("记录的时间 {at} 在将来；请检查设备时钟"),
            R::UnknownMember(m) => format!("会员 {m} 不在档案中"),
            R::NoMember => "记录没有指明会员".into(),
            R::Enrollment(e) => e.describe_zh(),
            R::EnrollmentNeedsDevice => "入会须在领用了会员卡号段的设备上办理".into(),
            R::NoProgram(s) => format!("门店 {s} 尚未设置会员方案"),
            R::Storage(_) => "资料未能保存（存储出错），请稍后重试".into(),
            R::Engine(v) => ledger::describe_zh(v),
            R::UnknownCompany(c) => format!("企业 {c} 与本门店没有大客户协议"),
            R::VisitOutsideCompanies => {
                "您被分配负责本门店的部分企业，只能在这些企业开始上门服务（请指明其大客户协议）"
                    .into()
            }
            R::EnrollmentOutsideCompanies => {
                "您被分配负责本门店的部分企业，只能在这些企业的上门服务现场办理入会".into()
            }
            R::Invitation(e) => e.describe_zh(),
        }
    }
}

/// The company `member` belongs to, if any.
pub(crate) fn company_of(core: &Core, member: MemberId) -> Option<CompanyId> {
    core.members.get(&member).and_then(|m| m.company)
}

/// `p` as of now: the company assignment of field staff is read afresh, so a reassignment
/// applies to the next event even on a connection opened before it.
fn current(core: &Core, p: &Principal) -> Result<Principal, StoreError> {
    let mut fresh = p.clone();
    fresh.assignment = core.accounts.assignment(&p.user)?;
    Ok(fresh)
}

/// Checks that `company` has an agreement with `store`.
fn known_company(core: &Core, store: StoreId, company: CompanyId) -> Result<(), Refusal> {
    match crate::domain::partners::company(core, company)? {
        Some((s, _)) if s == store => Ok(()),
        _ => Err(Refusal::UnknownCompany(company)),
    }
}

/// Checks that `p` may do `op` to `member`, who must be on file; returns the member's store.
fn member_allows(
    core: &Core,
    p: &Principal,
    op: perm::Op,
    member: MemberId,
) -> Result<StoreId, Refusal> {
    let (store, company) = core
        .members
        .get(&member)
        .map(|m| (m.store, m.company))
        .ok_or(Refusal::UnknownMember(member))?;
    perm::check(p, op, Target::member(store, member, company))?;
    Ok(store)
}

/// Validates one event — who, role and store scope from the permission matrix, then the program
/// engine — and folds it when accepted. The one path for events from devices and from the API.
/// Returns the member the event is about.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    core: &mut Core,
    p: &Principal,
    device: Option<&DeviceRecord>,
    event: &Event,
    mode: Mode,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<Option<MemberId>, Refusal> {
    if let Some(device) = device {
        if event.device != device.id {
            return Err(Refusal::WrongDevice {
                named: event.device,
                uploader: device.id,
            });
        }
        if event.author != p.user.id {
            return Err(Refusal::WrongAuthor);
        }
    }
    if event.at > Timestamp::from_millis(now().millis() + 24 * 3600 * 1000) {
        return Err(Refusal::FutureDate(event.at));
    }
    let op = perm::op_of(&event.body);
    let p = &current(core, p)?;
    match &event.body {
        EventBody::VisitStarted(_) | EventBody::VisitEnded(_) => {
            perm::check(p, op, Target::store(p.user.store))?;
            if let EventBody::VisitStarted(v) = &event.body {
                if let Some(company) = v.company {
                    known_company(core, p.user.store, company)?;
                }
                if !p.assignment.admits(v.company) {
                    return Err(Refusal::VisitOutsideCompanies);
                }
            }
            record_visit(core, p, event, batch)?;
            Ok(None)
        }
        EventBody::Enrolled(e) => {
            perm::check(p, op, Target::store(p.user.store))?;
            let device = device.ok_or(Refusal::EnrollmentNeedsDevice)?;
            // The company of the visit the member was enrolled at, if it is one of this store's.
            let company = match enrollment_visit(e) {
                Some(visit) => load_visit(core, batch, &visit.to_string())?.company,
                None => None,
            }
            .filter(|c| known_company(core, p.user.store, *c).is_ok());
            if !p.assignment.admits(company) {
                return Err(Refusal::EnrollmentOutsideCompanies);
            }
            enroll(core, p, device, event, e, company, batch, touched)?;
            Ok(Some(e.member))
        }
        EventBody::CustomerImported(c) => {
            perm::check(p, op, Target::store(c.store))?;
            super::import::fold_customer(core, event, c, batch, touched)?;
            Ok(Some(c.member))
        }
        EventBody::InvitationAnswered {
            member,
            activity,
            attending,
        } => {
            member_allows(core, p, op, *member)?;
            let answer = super::club_events::Answer {
                member: *member,
                activity: *activity,
                attending: *attending,
            };
            super::club_events::fold_answer(core, event, &answer, batch, touched)?;
            Ok(Some(*member))
        }
        EventBody::ComplaintFiled {
            member,
            channel,
            level,
            text,
        } => {
            let store = member_allows(core, p, op, *member)?;
            let filed = super::complaints::Filing {
                store,
                member: *member,
                channel: *channel,
                level: *level,
                text: text.to_string(),
            };
            super::complaints::fold_filed(core, p, event, filed, batch)?;
            Ok(Some(*member))
        }
        body => {
            let member = body.member().ok_or(Refusal::NoMember)?;
            let (store, company) = core
                .members
                .get(&member)
                .map(|m| (m.store, m.company))
                .ok_or(Refusal::UnknownMember(member))?;
            perm::check(p, op, Target::member(store, member, company))?;
            if let EventBody::CompanyChanged {
                company: Some(new), ..
            } = body
            {
                known_company(core, store, *new)?;
            }
            let program = ledger::program_of(core, store).ok_or(Refusal::NoProgram(store))?;
            let events = ledger::member_events(core, batch, member)?;
            let objections = ledger::judge(&program, &events, event);
            if mode == Mode::Online
                && let Some(v) = objections.first()
            {
                return Err(Refusal::Engine(v.clone()));
            }
            // Synced from a device that may have been offline: kept, and what breaks an invariant
            // goes to the back office as a conflict.
            for v in &objections {
                let what = match v {
                    Violation::PointsOverdrawn {
                        requested,
                        available,
                        ..
                    } => (
                        ConflictKind::PointsOverdrawn,
                        Said {
                            en: format!("{requested} points redeemed with {available} held"),
                            zh: format!("兑换 {requested} 积分，当时仅有 {available} 积分"),
                        },
                    ),
                    Violation::BenefitOverused {
                        benefit,
                        allowance,
                        used,
                        ..
                    } => (
                        ConflictKind::BenefitOverused,
                        Said {
                            en: format!(
                                "benefit {benefit} used {used} times of an allowance of {allowance} a year"
                            ),
                            zh: format!("权益 {benefit} 已用 {used} 次，每年限 {allowance} 次"),
                        },
                    ),
                    Violation::ReceiptCountedTwice { receipt, .. } => (
                        ConflictKind::ReceiptCountedTwice,
                        Said {
                            en: format!("receipt {receipt} was uploaded again"),
                            zh: format!("收据 {receipt} 被重复上传"),
                        },
                    ),
                    _ => continue,
                };
                raise(
                    core,
                    what.0,
                    &event.id.to_string(),
                    &what.1,
                    &[member],
                    event,
                    store,
                    batch,
                )?;
            }
            // A contact change the engine let through goes on (or off) the store's list; a
            // confirmed one's new phone number goes on the file.
            let new_phone = if objections.is_empty() {
                let phone = contact_changes::confirmed_phone(core, batch, event)?;
                contact_changes::note(batch, store, event)?;
                phone
            } else {
                None
            };
            ledger::keep(batch, member, event)?;
            member_device::keep_event(core, batch, member, event, touched)?;
            if let Some(phone) = new_phone
                && let Some(file) = core.members.get_mut(&member)
            {
                let before = MemberIndex::keys(file);
                file.phone = phone;
                let after = file.clone();
                core.index.update(before, &after);
            }
            if let EventBody::VehicleAdded { vehicle, card, .. } = body
                && let Some(file) = core.members.get_mut(&member)
            {
                file.vehicles.push(VehicleEntry {
                    vin: vehicle.vin.clone(),
                    plate: vehicle.plate.clone(),
                    card: card.clone().unwrap_or_else(|| file.card.clone()),
                });
            }
            if let Some(file) = core.members.get_mut(&member) {
                file.events.push(event.id.to_string());
            }
            if let EventBody::CompanyChanged { company: new, .. } = body {
                if let Some(file) = core.members.get_mut(&member) {
                    file.company = *new;
                }
                if let Some(old) = company.filter(|old| Some(*old) != *new) {
                    leave_company_directory(core, store, old, member, batch, touched)?;
                }
            }
            if let EventBody::PreInspectionRecorded(inspection) = body
                && inspection.is_lead()
                && let Some(file) = core.members.get(&member).cloned()
            {
                super::care::scheduler::inspection_lead(core, batch, &file, &program, now())?;
            }
            refresh_or_defer(core, member, batch, touched)?;
            Ok(Some(member))
        }
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
    /// The company the visit was at, if it was at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyId>,
}

/// A visit as stored, or as written earlier in `batch` (a visit started in the same upload as
/// its enrollments).
fn load_visit(core: &Core, batch: &Batch, id: &str) -> Result<VisitRecord, StoreError> {
    Ok(VISITS
        .get_through(core.store.as_ref(), batch, id)?
        .unwrap_or_else(|| VisitRecord {
            id: id.to_owned(),
            ..Default::default()
        }))
}

fn record_visit(
    core: &mut Core,
    p: &Principal,
    event: &Event,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let visit_id = match &event.body {
        EventBody::VisitStarted(v) => v.visit,
        EventBody::VisitEnded(v) => v.visit,
        _ => return Ok(()),
    };
    let mut visit = load_visit(core, batch, &visit_id.to_string())?;
    visit.staff = p.user.username.clone();
    visit.device = event.device.to_string();
    match &event.body {
        EventBody::VisitStarted(v) => {
            visit.site = Some(v.site.to_string());
            visit.started_at = Some(event.at);
            visit.company = v.company;
        }
        EventBody::VisitEnded(v) => {
            visit.ended_at = Some(event.at);
            visit.notes = v.notes.as_ref().map(ToString::to_string);
        }
        _ => {}
    }
    VISITS.put(batch, &visit.id, &visit)
}

#[allow(clippy::too_many_arguments)]
fn enroll(
    core: &mut Core,
    p: &Principal,
    device: &DeviceRecord,
    event: &Event,
    e: &Enrollment,
    company: Option<CompanyId>,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), Refusal> {
    if core.members.contains_key(&e.member) {
        return Err(EnrollmentError::AlreadyEnrolled(e.member).into());
    }
    let store_id = p.user.store;
    let store = core
        .accounts
        .store_record(store_id)?
        .ok_or(Refusal::NoProgram(store_id))?;
    let Some(tier) = terms::tier(&store.program, &e.tier) else {
        let known: Vec<String> = terms::tiers(&store.program)
            .into_iter()
            .map(|t| t.id)
            .collect();
        return Err(EnrollmentError::UnknownTier {
            tier: e.tier.to_string(),
            program: store.program.clone(),
            known: known.join(", "),
        }
        .into());
    };
    let gift =
        matches!(e.channel, Channel::Purchase) && e.fee == Money::ZERO && tier.gift_on_purchase;
    match tier.fee_fen {
        _ if gift => {}
        None => {
            return Err(EnrollmentError::EarnedTier { tier: tier.name }.into());
        }
        Some(fee) if fee != e.fee.fen() => {
            return Err(EnrollmentError::WrongFee {
                paid: e.fee,
                tier: tier.name,
                fee: Money::from_fen(fee),
            }
            .into());
        }
        Some(_) => {}
    }
    if e.fee > Money::ZERO && e.receipt.is_none() {
        return Err(EnrollmentError::ReceiptMissing.into());
    }
    if !device
        .card_blocks
        .iter()
        .any(|b| b.contains(e.card.as_str()))
    {
        return Err(EnrollmentError::CardNotInBlock(e.card.clone()).into());
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
        channel: channel_kind(&e.channel).to_owned(),
        enrolled_at: event.at,
        enrolled_by: event.author,
        enrolled_on: event.device,
        events: vec![event.id.to_string()],
        conflicts: Vec::new(),
        company,
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
    )?;
    core.index.insert(&file);
    core.members.insert(e.member, file);
    ledger::keep(batch, e.member, event)?;
    member_device::keep_event(core, batch, e.member, event, touched)?;
    if let Some(visit) = enrollment_visit(e) {
        let mut v = load_visit(core, batch, &visit.to_string())?;
        v.enrolled.push(e.member);
        VISITS.put(batch, &v.id, &v)?;
    }

    let mut involved = vec![e.member];
    let mut check = |core: &mut Core,
                     kind: ConflictKind,
                     index: &'static str,
                     value: String,
                     what: Said|
     -> Result<(), StoreError> {
        let key = (index, value);
        let mut holders: Vec<MemberId> =
            HOLDERS.get(core.store.as_ref(), &key)?.unwrap_or_default();
        holders.push(e.member);
        HOLDERS.put(batch, &key, &holders)?;
        if holders.len() > 1 {
            raise(core, kind, &key.1, &what, &holders, event, store_id, batch)?;
            involved.extend(holders);
        }
        Ok(())
    };
    check(
        core,
        ConflictKind::SecondCardOnVehicle,
        "vin",
        e.vehicle.vin.to_string(),
        Said {
            en: format!("vehicle {}", e.vehicle.vin),
            zh: format!("车辆 {}", e.vehicle.vin),
        },
    )?;
    check(
        core,
        ConflictKind::CardIssuedTwice,
        "card",
        e.card.to_string(),
        Said {
            en: format!("card {}", e.card),
            zh: format!("卡号 {}", e.card),
        },
    )?;
    if let Some(r) = &e.receipt {
        check(
            core,
            ConflictKind::ReceiptCountedTwice,
            "receipt",
            r.to_string(),
            Said {
                en: format!("receipt {r}"),
                zh: format!("收据 {r}"),
            },
        )?;
    }
    involved.sort();
    involved.dedup();
    for m in involved {
        refresh_member(core, m, batch, touched)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn raise(
    core: &mut Core,
    kind: ConflictKind,
    value: &str,
    what: &Said,
    holders: &[MemberId],
    event: &Event,
    store: StoreId,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let id = format!("{}:{value}", kind.as_str());
    let names: Vec<String> = holders
        .iter()
        .filter_map(|m| core.members.get(m))
        .map(|m| format!("{} ({})", m.name, m.card))
        .collect();
    let (n, en_names, zh_names) = (holders.len(), names.join(", "), names.join("、"));
    let (w, wz) = (&what.en, &what.zh);
    let (summary, resolution) = match kind {
        ConflictKind::SecondCardOnVehicle => (
            Said {
                en: format!("{w} was enrolled {n} times: {en_names}"),
                zh: format!("{wz} 被登记入会 {n} 次：{zh_names}"),
            },
            Said {
                en: "one car, one card: keep one enrollment and withdraw the others with a refund of their fee".into(),
                zh: "一车一卡：保留一份入会，其余办理退会并退还会费".into(),
            },
        ),
        ConflictKind::CardIssuedTwice => (
            Said {
                en: format!("{w} was issued to {n} members: {en_names}"),
                zh: format!("{wz} 发给了 {n} 位会员：{zh_names}"),
            },
            Said {
                en: "reissue a new card number to all but one member".into(),
                zh: "除一位会员外，其余会员补发新卡号".into(),
            },
        ),
        ConflictKind::ReceiptCountedTwice => (
            Said {
                en: format!("{w} was counted for {n} enrollments: {en_names}"),
                zh: format!("{wz} 被 {n} 份入会重复计入：{zh_names}"),
            },
            Said {
                en: "check the cash handed to finance against the receipt book and correct the receipt numbers".into(),
                zh: "核对交财务的现金与收据簿，更正收据号".into(),
            },
        ),
        ConflictKind::PointsOverdrawn => (
            Said {
                en: format!("{en_names}: {w}; the redemption was recorded but not deducted"),
                zh: format!("{zh_names}：{wz}；兑换已记录但未扣减积分"),
            },
            Said {
                en: "confirm with the member which redemption stands and reverse the goods or service of the other".into(),
                zh: "与会员确认哪次兑换有效，撤回另一次兑换的礼品或服务".into(),
            },
        ),
        ConflictKind::BenefitOverused => (
            Said {
                en: format!("{en_names}: {w}"),
                zh: format!("{zh_names}：{wz}"),
            },
            Said {
                en: "charge the extra use at the member's discounted price or write it off as goodwill, and note which".into(),
                zh: "超出部分按会员优惠价收费，或作为客情赠送核销，并注明处理方式".into(),
            },
        ),
    };
    let conflict = core
        .conflicts
        .entry(id.clone())
        .or_insert_with(|| Conflict {
            id: id.clone(),
            kind,
            summary: String::new(),
            summary_zh: String::new(),
            members: Vec::new(),
            events: Vec::new(),
            created_at: now(),
            store,
            resolved: false,
            resolution: resolution.en.clone(),
            resolution_zh: resolution.zh.clone(),
        });
    conflict.summary = summary.en;
    conflict.summary_zh = summary.zh;
    conflict.members = holders.to_vec();
    // The records that collide: for enrollments, each holder's own and this one; otherwise the
    // event that went beyond the limit.
    let mut events: Vec<EventId> = match kind {
        ConflictKind::PointsOverdrawn | ConflictKind::BenefitOverused => Vec::new(),
        _ => holders
            .iter()
            .filter_map(|m| core.members.get(m))
            .filter_map(|m| m.events.first().and_then(|e| e.parse().ok()))
            .collect(),
    };
    events.push(event.id);
    events.sort();
    events.dedup();
    if let Some(conflict) = core.conflicts.get_mut(&id) {
        conflict.events = events;
        conflict.resolved = false;
        CONFLICTS.put(batch, &id, &*conflict)?;
    }
    Ok(())
}

/// A member document: the file, and what is left of the member's benefits (not the whole state
/// the program engine projects: a device projects that itself from the member's record).
#[derive(Serialize)]
struct MemberDoc<'a> {
    #[serde(flatten)]
    file: &'a MemberFile,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowances: Vec<Allowance>,
}

/// The allowances of `state`'s benefits, as a member document carries them.
fn allowances(state: &MemberState) -> Vec<Allowance> {
    state
        .benefits
        .iter()
        .map(|b| Allowance {
            benefit: b.benefit.id().to_string(),
            available: b.available,
            remaining: b.remaining,
        })
        .collect()
}

/// Brings the file's summary fields (status, tier, card) in line with the engine's state.
fn sync_file(file: &mut MemberFile, state: &MemberState) {
    if let Ok(serde_json::Value::String(status)) = serde_json::to_value(state.status) {
        file.status = status;
    }
    if let Some(tier) = &state.tier {
        file.tier = tier.to_string();
    }
    if let Some(card) = state
        .cards
        .iter()
        .rev()
        .find(|c| c.kind == CardKind::Regular && c.status == CardStatus::Active)
    {
        file.card = card.number.clone();
    }
}

/// Rewrites a member's file now, or, while refreshes are deferred (an import folding several
/// events of one member), once the caller calls [`refresh_deferred`].
pub(crate) fn refresh_or_defer(
    core: &mut Core,
    member: MemberId,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    match core.deferred.as_mut() {
        Some(deferred) => {
            deferred.insert(member);
            Ok(())
        }
        None => refresh_member(core, member, batch, touched),
    }
}

/// Rewrites the files of the members whose refresh was deferred, and stops deferring.
pub(crate) fn refresh_deferred(
    core: &mut Core,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    for member in core.deferred.take().unwrap_or_default() {
        refresh_member(core, member, batch, touched)?;
    }
    Ok(())
}

/// Rewrites a member's file, its index record and its directory entry from the current state.
pub(crate) fn refresh_member(
    core: &mut Core,
    member: MemberId,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    let conflicts: Vec<ConflictRef> = core
        .conflicts
        .values()
        .filter(|c| !c.resolved && c.members.contains(&member))
        .map(|c| ConflictRef {
            id: c.id.clone(),
            kind: c.kind.as_str().into(),
            summary: c.summary.clone(),
            summary_zh: c.summary_zh.clone(),
        })
        .collect();
    let Some(store) = core.members.get(&member).map(|f| f.store) else {
        return Ok(());
    };
    let state = ledger::state(core, batch, member, store)?;
    let Some(file) = core.members.get_mut(&member) else {
        return Ok(());
    };
    let before = MemberIndex::keys(file);
    file.conflicts = conflicts;
    if let Some(state) = &state {
        sync_file(file, state);
    }
    let file = file.clone();
    core.index.update(before, &file);
    MEMBERS.put(batch, &member, &file)?;
    let doc_id = docs::member_id(member);
    let doc = MemberDoc {
        file: &file,
        allowances: state.as_ref().map(allowances).unwrap_or_default(),
    };
    if write(core, doc_id, DocKind::Member, &doc, batch)? {
        touched.push(doc_id);
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
    let mut dirs = vec![docs::directory_id(file.store)];
    dirs.extend(
        file.company
            .map(|c| docs::company_directory_id(file.store, c)),
    );
    for dir_id in dirs {
        core.ensure_directory(batch, file.store, dir_id)?;
        if core.docs.load(core.store.as_ref(), &dir_id)?
            && let Some(doc) = core.docs.get_mut(&dir_id)
            && docs::write_entry(doc, "members", &member.to_string(), &entry)
        {
            core.docs.save(&dir_id, batch);
            touched.push(dir_id);
        }
    }
    Ok(())
}

/// Takes `member` out of the directory of the company they no longer belong to.
fn leave_company_directory(
    core: &mut Core,
    store: StoreId,
    company: CompanyId,
    member: MemberId,
    batch: &mut Batch,
    touched: &mut Vec<DocumentId>,
) -> Result<(), StoreError> {
    let dir_id = docs::company_directory_id(store, company);
    if core.docs.load(core.store.as_ref(), &dir_id)?
        && let Some(doc) = core.docs.get_mut(&dir_id)
        && docs::remove_entry(doc, "members", &member.to_string())
    {
        core.docs.save(&dir_id, batch);
        touched.push(dir_id);
    }
    Ok(())
}
