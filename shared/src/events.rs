//! Domain events: the facts devices and the back office record.
//!
//! A device appends events to its own journal; the server validates each one and folds the accepted
//! ones into member files. Events are immutable and identified by their id, so applying one twice
//! changes nothing. They are ordered in one deterministic total order — time, then device, then the
//! device's sequence number — so every replica holding the same events computes the same state.
//!
//! The JSON form (`{"id", "at", "device", "seq", "author", "type": "enrolled", ...}`) is the one
//! written into journals and stored by the server.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::care::{CallSlot, Elsewhere, PersonFacts, VehicleFacts, VisitKind};
use crate::types::*;

mod lifecycle;

pub use lifecycle::{Category, Order, OrderLine, WithdrawalReason};

/// A JSON object's field read as `T`; `missing` when absent.
fn take_field<T: serde::de::DeserializeOwned>(
    map: &mut serde_json::Map<String, serde_json::Value>,
    name: &'static str,
) -> Result<T, serde_json::Error> {
    match map.remove(name) {
        Some(value) => T::deserialize(value),
        None => Err(serde::de::Error::missing_field(name)),
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::deserialize(d)?;
        let read = |map: &mut serde_json::Map<String, serde_json::Value>| {
            Ok::<_, serde_json::Error>(Event {
                id: take_field(map, "id")?,
                at: take_field(map, "at")?,
                device: take_field(map, "device")?,
                seq: take_field(map, "seq")?,
                author: take_field(map, "author")?,
                body: EventBody::from_tagged_map(std::mem::take(map))?,
            })
        };
        read(&mut map).map_err(serde::de::Error::custom)
    }
}

// Read by its own `Deserialize` (below): the same JSON as serde's flattened form, read through
// one `serde_json` map (see `crate::tagged`), which keeps the device's wasm small.
/// One event with its envelope: who recorded it, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Unique id; the same id is the same event.
    pub id: EventId,
    /// When it happened, by the recording device's clock.
    pub at: Timestamp,
    /// The device that recorded it.
    pub device: DeviceId,
    /// The device's own counter, for a stable order of events with the same time.
    pub seq: u64,
    /// The person logged in on the device.
    pub author: UserId,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// The deterministic total order of events: time, then device, then sequence, then id.
    pub fn order_key(&self) -> (Timestamp, DeviceId, u64, EventId) {
        (self.at, self.device, self.seq, self.id)
    }

    /// The member this event is about, if it is about one.
    pub fn member(&self) -> Option<MemberId> {
        self.body.member()
    }
}

crate::tagged_enum! {
tag = "type",
twin = [#[serde(remote = "EventBody", rename_all = "snake_case")]],
/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// Field staff arrived at a company or compound.
    VisitStarted(VisitStarted),
    /// Field staff left; notes of what was done and heard.
    VisitEnded(VisitEnded),
    /// A person joined the club with a vehicle and received a card.
    Enrolled(Enrollment),
    /// The back office approved an enrollment: the membership takes effect (001: within 3 working days).
    EnrollmentApproved { member: MemberId },
    /// The back office turned an enrollment down; any fee is due back.
    EnrollmentRejected {
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ShortText>,
    },
    /// An order was settled at the till.
    OrderSettled { member: MemberId, order: Order },
    /// The member attended a club event.
    EventAttended {
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activity: Option<ShortText>,
    },
    /// The club rewarded a useful forum contribution with points, at its discretion (001).
    ForumRewarded {
        member: MemberId,
        points: Points,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<ShortText>,
    },
    /// The member referred a prospect, noted on the prospect's first visit (002).
    ReferralRecorded {
        member: MemberId,
        prospect: Phone,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<PersonName>,
    },
    /// A referred prospect bought a car or joined.
    ReferralConverted { member: MemberId, prospect: Phone },
    /// A vehicle was added to the member's file, with its own card (一车一卡).
    VehicleAdded {
        member: MemberId,
        vehicle: Vehicle,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card: Option<CardNo>,
    },
    /// A benefit was used, registered with its value (004).
    BenefitUsed {
        member: MemberId,
        benefit: BenefitId,
        #[serde(default = "one", deserialize_with = "integral")]
        count: u32,
        /// The value of the service given, after discounts.
        value: Money,
    },
    /// Points were redeemed against the catalogue.
    PointsRedeemed {
        member: MemberId,
        points: Points,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<ShortText>,
    },
    /// The membership was renewed for another term.
    Renewed {
        member: MemberId,
        fee: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<ReceiptNo>,
    },
    /// The member bought a higher tier for its fee (A: Silver for 280 yuan).
    TierPurchased {
        member: MemberId,
        tier: TierId,
        fee: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<ReceiptNo>,
    },
    /// The back office approved an upgrade the member applied for.
    UpgradeApproved { member: MemberId, tier: TierId },
    /// A manager granted a tier or points by hand (special contribution, confirmed VIP applicant).
    ManualGrant {
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<TierId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        points: Option<Points>,
        reason: ShortText,
    },
    /// A card was reported lost; it stops working at once.
    CardLost { member: MemberId, card: CardNo },
    /// A temporary card was handed over while the lost one is reissued.
    TemporaryCardIssued { member: MemberId, card: CardNo },
    /// A replacement card was issued for a lost one, for the reissue fee.
    CardReissued {
        member: MemberId,
        card: CardNo,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<CardNo>,
        fee: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<ReceiptNo>,
    },
    /// The member asked to withdraw.
    WithdrawalRequested {
        member: MemberId,
        reason: WithdrawalReason,
    },
    /// The club decided on a withdrawal request; when accepted the refund is due.
    WithdrawalDecided { member: MemberId, accepted: bool },
    /// The membership expired unrenewed (recorded by the server; the projection also sees it from dates).
    Expired { member: MemberId },
    /// The back office set (or, with no company, cleared) the company a member belongs to.
    CompanyChanged {
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        company: Option<CompanyId>,
    },
    /// The person's care facts (birthday, region, call slots, SMS consent), replacing the old.
    PersonFactsSet {
        member: MemberId,
        facts: PersonFacts,
    },
    /// One vehicle's care facts (model, delivery, warranty, insurance, inspection, licence),
    /// replacing the old.
    VehicleFactsSet {
        member: MemberId,
        vin: Vin,
        facts: VehicleFacts,
    },
    /// An odometer reading of one vehicle.
    MileageRecorded {
        member: MemberId,
        vin: Vin,
        /// The day it was read.
        #[serde(with = "crate::types::iso_date")]
        on: Date,
        #[serde(deserialize_with = "integral")]
        km: u32,
    },
    /// An on-site pre-inspection of one vehicle at a company (DOMAIN.md §6): the checklist, and
    /// the service recommended. A fault or a recommendation becomes a care lead for the store.
    PreInspectionRecorded(crate::care::PreInspection),
    /// A service visit of one vehicle, here or at another store; the event's id is the visit's.
    ServiceVisitRecorded {
        member: MemberId,
        vin: Vin,
        /// The day of the visit.
        #[serde(with = "crate::types::iso_date")]
        on: Date,
        /// The odometer at the visit; also a mileage reading.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "integral_opt"
        )]
        km: Option<u32>,
        kind: VisitKind,
        /// What it cost at this store (zero when done elsewhere: the cost is in `elsewhere`).
        amount: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        advisor: Option<UserId>,
        /// The other store's name, place and cost, for a visit done elsewhere (002).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elsewhere: Option<Elsewhere>,
    },
    /// A customer of the store brought in from its dealer management system (DMS) with their
    /// first vehicle: a club member with the tier and card the DMS records, or a prospect whose
    /// vehicles the store cares for although they have not joined (DOMAIN.md §1, §5).
    CustomerImported(CustomerImport),
    /// The member answered an invitation to a club event: coming or not (the latest answer
    /// stands; a yes needs a free place).
    InvitationAnswered {
        member: MemberId,
        /// The club event (活动) invited to.
        activity: ActivityId,
        attending: bool,
    },
    /// A complaint about the member's own membership, written on their phone (offline too); the
    /// server files it in the complaints register once, under the event's id.
    ComplaintFiled {
        member: MemberId,
        channel: crate::complaints::Channel,
        level: crate::complaints::Level,
        text: LongText,
    },
    /// The member asked the store to change their contact details — a new phone number, the
    /// times to call, SMS consent (at least one) — on their phone, offline too, or at the
    /// counter. Nothing changes until the store confirms.
    ContactChangeRequested {
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<Phone>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_slots: Option<Vec<CallSlot>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sms_consent: Option<bool>,
    },
    /// The store confirmed or declined a contact change request (named by its event id);
    /// confirmed, the new details apply to the member's file.
    ContactChangeDecided {
        member: MemberId,
        request: EventId,
        confirmed: bool,
        /// Why it was declined, as the member reads it on their phone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ShortText>,
    },
}
}

fn one() -> u32 {
    1
}

impl EventBody {
    /// The member this event is about, if it is about one.
    pub fn member(&self) -> Option<MemberId> {
        use EventBody::*;
        match self {
            VisitStarted(_) | VisitEnded(_) => None,
            Enrolled(e) => Some(e.member),
            CustomerImported(c) => Some(c.member),
            PreInspectionRecorded(p) => Some(p.member),
            EnrollmentApproved { member }
            | EnrollmentRejected { member, .. }
            | OrderSettled { member, .. }
            | EventAttended { member, .. }
            | ForumRewarded { member, .. }
            | ReferralRecorded { member, .. }
            | ReferralConverted { member, .. }
            | VehicleAdded { member, .. }
            | BenefitUsed { member, .. }
            | PointsRedeemed { member, .. }
            | Renewed { member, .. }
            | TierPurchased { member, .. }
            | UpgradeApproved { member, .. }
            | ManualGrant { member, .. }
            | CardLost { member, .. }
            | TemporaryCardIssued { member, .. }
            | CardReissued { member, .. }
            | WithdrawalRequested { member, .. }
            | WithdrawalDecided { member, .. }
            | CompanyChanged { member, .. }
            | PersonFactsSet { member, .. }
            | VehicleFactsSet { member, .. }
            | MileageRecorded { member, .. }
            | ServiceVisitRecorded { member, .. }
            | InvitationAnswered { member, .. }
            | ComplaintFiled { member, .. }
            | ContactChangeRequested { member, .. }
            | ContactChangeDecided { member, .. }
            | Expired { member } => Some(*member),
        }
    }

    /// The event's type as written in JSON.
    pub fn kind(&self) -> &'static str {
        use EventBody::*;
        match self {
            VisitStarted(_) => "visit_started",
            VisitEnded(_) => "visit_ended",
            PreInspectionRecorded(_) => "pre_inspection_recorded",
            Enrolled(_) => "enrolled",
            EnrollmentApproved { .. } => "enrollment_approved",
            EnrollmentRejected { .. } => "enrollment_rejected",
            OrderSettled { .. } => "order_settled",
            EventAttended { .. } => "event_attended",
            ForumRewarded { .. } => "forum_rewarded",
            ReferralRecorded { .. } => "referral_recorded",
            ReferralConverted { .. } => "referral_converted",
            VehicleAdded { .. } => "vehicle_added",
            BenefitUsed { .. } => "benefit_used",
            PointsRedeemed { .. } => "points_redeemed",
            Renewed { .. } => "renewed",
            TierPurchased { .. } => "tier_purchased",
            UpgradeApproved { .. } => "upgrade_approved",
            ManualGrant { .. } => "manual_grant",
            CardLost { .. } => "card_lost",
            TemporaryCardIssued { .. } => "temporary_card_issued",
            CardReissued { .. } => "card_reissued",
            WithdrawalRequested { .. } => "withdrawal_requested",
            WithdrawalDecided { .. } => "withdrawal_decided",
            Expired { .. } => "expired",
            CompanyChanged { .. } => "company_changed",
            PersonFactsSet { .. } => "person_facts_set",
            VehicleFactsSet { .. } => "vehicle_facts_set",
            MileageRecorded { .. } => "mileage_recorded",
            ServiceVisitRecorded { .. } => "service_visit_recorded",
            CustomerImported(_) => "customer_imported",
            InvitationAnswered { .. } => "invitation_answered",
            ComplaintFiled { .. } => "complaint_filed",
            ContactChangeRequested { .. } => "contact_change_requested",
            ContactChangeDecided { .. } => "contact_change_decided",
        }
    }

    /// The name in Chinese of the event type `kind` (as [`EventBody::kind`] writes it); `kind`
    /// itself when it is none.
    pub fn kind_zh(kind: &str) -> &str {
        match kind {
            "visit_started" => "开始上门服务",
            "visit_ended" => "结束上门服务",
            "pre_inspection_recorded" => "上门预检",
            "enrolled" => "入会",
            "enrollment_approved" => "批准入会",
            "enrollment_rejected" => "驳回入会",
            "order_settled" => "结算订单",
            "event_attended" => "参加活动",
            "forum_rewarded" => "奖励论坛积分",
            "referral_recorded" => "登记推荐",
            "referral_converted" => "确认推荐成交",
            "vehicle_added" => "添加车辆",
            "benefit_used" => "使用权益",
            "points_redeemed" => "兑换积分",
            "renewed" => "续费",
            "tier_purchased" => "购买等级",
            "upgrade_approved" => "批准升级",
            "manual_grant" => "人工授予",
            "card_lost" => "挂失",
            "temporary_card_issued" => "发放临时卡",
            "card_reissued" => "补卡",
            "withdrawal_requested" => "申请退会",
            "withdrawal_decided" => "审批退会",
            "expired" => "记录会籍到期",
            "company_changed" => "变更所属企业",
            "person_facts_set" => "更新车主关怀资料",
            "vehicle_facts_set" => "更新车辆档案",
            "mileage_recorded" => "登记里程",
            "service_visit_recorded" => "登记维修保养记录",
            "customer_imported" => "导入客户",
            "invitation_answered" => "回复活动邀请",
            "complaint_filed" => "提交投诉",
            "contact_change_requested" => "申请变更联系方式",
            "contact_change_decided" => "处理联系方式变更",
            other => other,
        }
    }

    /// The fee receipt or settlement slip this event counts, if any.
    pub fn receipt(&self) -> Option<&ReceiptNo> {
        use EventBody::*;
        match self {
            Enrolled(e) => e.receipt.as_ref(),
            OrderSettled { order, .. } => order.receipt.as_ref(),
            Renewed { receipt, .. }
            | TierPurchased { receipt, .. }
            | CardReissued { receipt, .. } => receipt.as_ref(),
            _ => None,
        }
    }

    /// The card number this event issues, if any.
    pub fn card_issued(&self) -> Option<&CardNo> {
        use EventBody::*;
        match self {
            Enrolled(e) => Some(&e.card),
            VehicleAdded { card, .. } => card.as_ref(),
            CustomerImported(c) => c.membership.as_ref().map(|m| &m.card),
            TemporaryCardIssued { card, .. } | CardReissued { card, .. } => Some(card),
            _ => None,
        }
    }
}

/// The start of an on-site visit (上门服务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitStarted {
    /// The visit this starts.
    pub visit: VisitId,
    /// Where: the company or compound.
    pub site: ShortText,
    /// The company (corporate agreement) the visit is at, if it is at one: members enrolled
    /// during the visit belong to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyId>,
}

/// The end of an on-site visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitEnded {
    /// The visit this ends.
    pub visit: VisitId,
    /// What was done and what people said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

crate::tagged_enum! {
tag = "kind",
twin = [#[serde(remote = "Channel", rename_all = "snake_case")]],
/// How a member came to the club (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = EnrollmentChannel))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// Bought a car at the store: auto-enrolled, card as a gift.
    Purchase,
    /// Referred by a member.
    Referral { referrer: MemberId },
    /// Applied at the club desk.
    Desk,
    /// Enrolled on site by field staff during a visit.
    OnSite { visit: VisitId },
    /// Joined in a promotional campaign.
    Campaign,
}
}

/// The documents staff saw and copied (DOMAIN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdCard,
    DriverLicence,
    VehicleLicence,
    InsurancePolicy,
    PurchaseInvoice,
    ApplicationForm,
}

/// The person joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub name: PersonName,
    pub phone: Phone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<IdNumber>,
}

/// A vehicle on a member's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vehicle {
    pub vin: Vin,
    pub plate: Plate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ShortText>,
}

/// An enrollment (入会): a person, a vehicle, the tier, the fee collected and the card issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrollment {
    /// The new member's id, chosen by the recording device.
    pub member: MemberId,
    pub person: Person,
    pub vehicle: Vehicle,
    pub tier: TierId,
    pub channel: Channel,
    #[serde(default)]
    pub documents_seen: Vec<DocumentKind>,
    /// The on-site visit it was recorded at when the channel does not say so (a referral or a
    /// car bought here, enrolled during a visit): the member belongs to the visit's company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<VisitId>,
    /// The fee collected on the spot (zero for a gift card).
    pub fee: Money,
    /// The paper receipt written for the fee; required when a fee was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptNo>,
    /// The card handed over.
    pub card: CardNo,
}

/// A customer brought in from the dealer management system (`customer_imported`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerImport {
    /// The member file's id, derived from the store and the customer's DMS number.
    pub member: MemberId,
    /// The store the customer belongs to.
    pub store: StoreId,
    /// The customer's number in the DMS.
    pub customer: ShortText,
    pub person: Person,
    /// The customer's first vehicle; further ones come as `vehicle_added`.
    pub vehicle: Vehicle,
    /// The club membership the DMS records; none for a prospect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<ImportedMembership>,
}

/// A membership as the dealer management system records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedMembership {
    pub tier: TierId,
    pub card: CardNo,
    /// The day the membership began.
    #[serde(with = "crate::types::iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::openapi::CalendarDay))]
    pub joined: Date,
    /// The last day of the current term; the tier's validity from `joined` when absent.
    #[serde(default, with = "crate::types::iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::openapi::CalendarDay>))]
    pub valid_until: Option<Date>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_written_as_floats_read_inside_tagged_bodies() {
        // Serde reads a tagged enum through a buffer: the numbers must still take `1.0`.
        let body: EventBody = serde_json::from_value(serde_json::json!({
            "type": "benefit_used", "member": "01900000-0000-7000-8000-000000000004",
            "benefit": "free_wash", "value": 1500.0, "count": 2.0
        }))
        .expect("integral floats are integers");
        let EventBody::BenefitUsed { count, value, .. } = body else {
            panic!("a benefit use")
        };
        assert_eq!((count, value), (2, Money::from_fen(1500)));
        let fraction = serde_json::from_value::<EventBody>(serde_json::json!({
            "type": "benefit_used", "member": "01900000-0000-7000-8000-000000000004",
            "benefit": "free_wash", "value": 1500, "count": 1.5
        }));
        assert!(fraction.is_err(), "a fraction of a use is refused");
    }

    fn enrollment_json() -> serde_json::Value {
        serde_json::json!({
            "id": "01900000-0000-7000-8000-000000000001",
            "at": "2026-03-01T10:00:00+08:00",
            "device": "01900000-0000-7000-8000-000000000002",
            "seq": 3,
            "author": "01900000-0000-7000-8000-000000000003",
            "type": "enrolled",
            "member": "01900000-0000-7000-8000-000000000004",
            "person": {"name": "张三", "phone": "13800138000"},
            "vehicle": {"vin": "LSVAU2180N2183294", "plate": "粤B12345"},
            "tier": "standard",
            "channel": {"kind": "on_site", "visit": "01900000-0000-7000-8000-000000000005"},
            "fee": 18000,
            "receipt": "R-001",
            "card": "C00000001"
        })
    }

    #[test]
    fn event_json_round_trips() {
        let e: Event = serde_json::from_value(enrollment_json()).unwrap();
        assert_eq!(e.body.kind(), "enrolled");
        assert_eq!(
            e.member().unwrap().to_string(),
            "01900000-0000-7000-8000-000000000004"
        );
        let back: Event = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn events_read_from_text_and_values_alike_and_say_what_is_wrong() {
        let json = enrollment_json();
        let from_value: Event = serde_json::from_value(json.clone()).unwrap();
        let from_text: Event = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(from_value, from_text);

        // Fields no variant knows are ignored, as serde's flattened form did.
        let mut extra = json.clone();
        extra["unknown"] = "x".into();
        assert_eq!(serde_json::from_value::<Event>(extra).unwrap(), from_value);

        let error = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut bad = json.clone();
            edit(&mut bad);
            serde_json::from_value::<Event>(bad)
                .unwrap_err()
                .to_string()
        };
        let no_type = error(&|v| {
            v.as_object_mut().unwrap().remove("type");
        });
        assert!(no_type.contains("missing field `type`"), "{no_type}");
        let no_seq = error(&|v| {
            v.as_object_mut().unwrap().remove("seq");
        });
        assert!(no_seq.contains("missing field `seq`"), "{no_seq}");
        let unknown = error(&|v| v["type"] = "teleported".into());
        assert!(
            unknown.contains("unknown variant `teleported`"),
            "{unknown}"
        );
        let no_member = error(&|v| {
            v.as_object_mut().unwrap().remove("member");
        });
        assert!(no_member.contains("missing field `member`"), "{no_member}");
        let not_a_map = serde_json::from_str::<Event>("[1, 2]").unwrap_err();
        assert!(
            not_a_map.to_string().contains("invalid type"),
            "{not_a_map}"
        );
    }

    #[test]
    fn visits_without_a_company_still_decode_and_stay_unchanged() {
        let old = serde_json::json!({
            "id": "01900000-0000-7000-8000-000000000001",
            "at": "2026-03-01T10:00:00+08:00",
            "device": "01900000-0000-7000-8000-000000000002",
            "seq": 1,
            "author": "01900000-0000-7000-8000-000000000003",
            "type": "visit_started",
            "visit": "01900000-0000-7000-8000-000000000005",
            "site": "华南物流园"
        });
        let e: Event = serde_json::from_value(old.clone()).unwrap();
        let EventBody::VisitStarted(v) = &e.body else {
            panic!("not a visit: {e:?}");
        };
        assert_eq!(v.company, None);
        assert_eq!(serde_json::to_value(&e).unwrap(), old);
        let mut at_company = old;
        at_company["company"] = "01900000-0000-7000-8000-0000000000c0".into();
        let e: Event = serde_json::from_value(at_company.clone()).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap(), at_company);
    }

    #[test]
    fn bad_fields_are_rejected_by_name() {
        let mut v = enrollment_json();
        v["vehicle"]["vin"] = "TOO-SHORT".into();
        let err = serde_json::from_value::<Event>(v).unwrap_err().to_string();
        assert!(err.contains("VIN"), "{err}");
    }
}
