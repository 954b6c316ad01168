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

use crate::types::*;

/// One event with its envelope: who recorded it, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// Field staff arrived at a company or compound.
    VisitStarted(VisitStarted),
    /// Field staff left; notes of what was done and heard.
    VisitEnded(VisitEnded),
    /// A person joined the club with a vehicle and received a card.
    Enrolled(Enrollment),
}

impl EventBody {
    /// The member this event is about, if it is about one.
    pub fn member(&self) -> Option<MemberId> {
        match self {
            EventBody::Enrolled(e) => Some(e.member),
            EventBody::VisitStarted(_) | EventBody::VisitEnded(_) => None,
        }
    }

    /// The event's type as written in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::VisitStarted(_) => "visit_started",
            EventBody::VisitEnded(_) => "visit_ended",
            EventBody::Enrolled(_) => "enrolled",
        }
    }
}

/// The start of an on-site visit (上门服务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitStarted {
    /// The visit this starts.
    pub visit: VisitId,
    /// Where: the company or compound.
    pub site: ShortText,
}

/// The end of an on-site visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitEnded {
    /// The visit this ends.
    pub visit: VisitId,
    /// What was done and what people said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LongText>,
}

/// How a member came to the club (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// The documents staff saw and copied (DOMAIN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub struct Person {
    pub name: PersonName,
    pub phone: Phone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<IdNumber>,
}

/// A vehicle on a member's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    pub vin: Vin,
    pub plate: Plate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ShortText>,
}

/// An enrollment (入会): a person, a vehicle, the tier, the fee collected and the card issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// The new member's id, chosen by the recording device.
    pub member: MemberId,
    pub person: Person,
    pub vehicle: Vehicle,
    pub tier: TierId,
    pub channel: Channel,
    #[serde(default)]
    pub documents_seen: Vec<DocumentKind>,
    /// The fee collected on the spot (zero for a gift card).
    pub fee: Money,
    /// The paper receipt written for the fee; required when a fee was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptNo>,
    /// The card handed over.
    pub card: CardNo,
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bad_fields_are_rejected_by_name() {
        let mut v = enrollment_json();
        v["vehicle"]["vin"] = "TOO-SHORT".into();
        let err = serde_json::from_value::<Event>(v).unwrap_err().to_string();
        assert!(err.contains("VIN"), "{err}");
    }
}
