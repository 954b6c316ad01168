//! The optimistic view: what the device shows before and after the server has answered.
//!
//! Members come from the server's files where the device holds them, and from the device's own
//! enrollments that the server has not answered yet (shown as pending) or refused (shown with the
//! reason). The same member never appears twice.

use std::collections::BTreeMap;

use automerge::ROOT;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, ConflictRef, Outcome};
use carclub_protocol::json_am;
use carclub_shared::EventBody;
use serde::Serialize;

use crate::device::Device;

/// How far a member record has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Recorded on this device, not yet answered by the server.
    Pending,
    /// Held by the server.
    Synced,
    /// Refused by the server.
    Rejected,
}

/// A member as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub vin: String,
    pub plate: String,
    pub tier: String,
    pub card: String,
    pub status: String,
    pub sync: SyncState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason in Chinese, when the server gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    pub conflicts: Vec<ConflictRef>,
    pub url: String,
}

/// Every member the device knows, sorted by name then id.
pub fn members(device: &Device) -> Vec<MemberView> {
    let mut out: BTreeMap<String, MemberView> = BTreeMap::new();
    for (id, entry) in device.directory().members.clone() {
        // Only the two fields the list needs: a member file also holds the member's whole state.
        let file = entry
            .url
            .parse::<DocumentId>()
            .ok()
            .and_then(|d| device.docs.get(&d));
        let field = |name: &str| file.and_then(|doc| json_am::read_prop(doc, &ROOT, name));
        let phone = field("phone").and_then(|v| v.as_str().map(str::to_owned));
        let conflicts: Vec<ConflictRef> = field("conflicts")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        out.insert(
            id.clone(),
            MemberView {
                id,
                name: entry.name,
                phone,
                vin: entry.vin.to_string(),
                plate: entry.plate.to_string(),
                tier: entry.tier,
                card: entry.card.to_string(),
                status: entry.status,
                sync: SyncState::Synced,
                reason: None,
                reason_zh: None,
                conflicts,
                url: entry.url,
            },
        );
    }
    let status = device.status();
    let outcomes = &status.events;
    for event in device.journal().iter() {
        let EventBody::Enrolled(e) = &event.body else {
            continue;
        };
        let id = e.member.to_string();
        if out.contains_key(&id) {
            continue;
        }
        let (sync, reason, reason_zh) = match outcomes.get(&event.id.to_string()) {
            Some(Outcome::Rejected { reason, reason_zh }) => {
                (SyncState::Rejected, Some(reason.clone()), reason_zh.clone())
            }
            // Accepted but the directory is not synced yet: the server holds it.
            Some(Outcome::Accepted { .. }) => (SyncState::Synced, None, None),
            None => (SyncState::Pending, None, None),
        };
        out.insert(
            id.clone(),
            MemberView {
                id,
                name: e.person.name.to_string(),
                phone: Some(e.person.phone.to_string()),
                vin: e.vehicle.vin.to_string(),
                plate: e.vehicle.plate.to_string(),
                tier: e.tier.to_string(),
                card: e.card.to_string(),
                status: if sync == SyncState::Rejected {
                    "rejected".into()
                } else {
                    "pending".into()
                },
                sync,
                reason,
                reason_zh,
                conflicts: Vec::new(),
                url: docs::member_id(e.member).url(),
            },
        );
    }
    let mut list: Vec<MemberView> = out.into_values().collect();
    carclub_shared::sorting::sort_by(&mut list, |a, b| {
        a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
    });
    list
}

impl Device {
    /// Every member the device knows.
    pub fn members(&self) -> Vec<MemberView> {
        members(self)
    }

    /// Every member the device knows, as JSON.
    pub fn members_json(&self) -> String {
        serde_json::to_string(&members(self)).unwrap_or_else(|_| "[]".into())
    }
}
