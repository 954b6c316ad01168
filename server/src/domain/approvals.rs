//! Enrollments awaiting the back office's approval (001: membership takes effect within 3 working
//! days of the application), oldest first, each with how long it has waited and when it is due
//! (`carclub_shared::workdays`).
//!
//! Who sees the list is who may decide: the permission matrix's scope of the operation that
//! `enrollment_approved` records (`decide_enrollment`). The pending members are found from the
//! member records the server keeps in memory (their status is on them), so a request reads no
//! member document; only each pending member's enrollment event is read, for the documents seen.

use std::collections::HashMap;

use carclub_protocol::docs::MemberFile;
use carclub_shared::events::{Channel, DocumentKind, Enrollment, Vehicle};
use carclub_shared::workdays::approval_deadline;
use carclub_shared::{
    CardNo, CompanyId, DeviceId, Event, EventBody, EventId, MemberId, Money, StoreId, Timestamp,
    UserId,
};
use serde::Serialize;
use time::Date;

use super::Core;
use super::auth::Principal;
use super::history::name_of;
use super::ledger;
use super::ops::mask;
use super::partners;
use super::perm::{self, Denied, Op, Target};
use crate::storage::keys::MEMBER_EVENTS;
use crate::storage::{Batch, StoreError};

/// The status of a member whose enrollment awaits approval, as member records write it.
const PENDING: &str = "pending";

/// The operation whose permission shows the list: the one an `enrollment_approved` records.
pub const OP: Op = Op::DecideEnrollment;

/// Why the list of pending enrollments was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No store has this id.
    #[error("store {0} does not exist")]
    UnknownStore(StoreId),
    /// The cursor names no member.
    #[error("member {0} is not on file")]
    UnknownCursor(MemberId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ApprovalsQuery {
    /// One store (group roles); the caller's scope when absent.
    pub store: Option<StoreId>,
    /// The last member of the previous page.
    pub after: Option<MemberId>,
    /// Most enrollments in the page.
    pub limit: usize,
}

/// An enrollment awaiting approval.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingEnrollment {
    pub member: MemberId,
    pub store: StoreId,
    pub name: String,
    /// The phone number, its middle masked (`138****8000`) for roles that do not see contacts.
    pub phone: String,
    pub card: CardNo,
    pub tier: String,
    /// The tier's name in the store's program.
    #[schema(required = true)]
    pub tier_name: Option<String>,
    pub vehicle: Vehicle,
    /// The fee collected on the spot.
    pub fee: Money,
    /// The receipt written for the fee.
    #[schema(required = true)]
    pub receipt: Option<String>,
    /// The documents staff saw and copied.
    pub documents_seen: Vec<DocumentKind>,
    pub channel: Channel,
    pub enrolled_at: Timestamp,
    /// Who enrolled the member.
    pub enrolled_by: UserId,
    #[schema(required = true)]
    pub enrolled_by_name: Option<String>,
    /// The device the enrollment was recorded on.
    pub device: DeviceId,
    #[schema(required = true)]
    pub device_name: Option<String>,
    /// The company (corporate agreement) the member belongs to.
    #[schema(required = true)]
    pub company: Option<CompanyId>,
    #[schema(required = true)]
    pub company_name: Option<String>,
    /// Working days (Monday to Friday) waited since the day of enrollment.
    pub working_days: u32,
    /// The last day to decide: 3 working days after the day of enrollment (001).
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    /// Today is after the due day.
    pub overdue: bool,
    /// Due today or on the next working day.
    pub due_soon: bool,
}

/// A page of pending enrollments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Approvals {
    /// The day the ages and deadlines are counted on (the stores' time zone).
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub today: Date,
    /// Oldest first.
    pub pending: Vec<PendingEnrollment>,
    /// Pass as `after` for the next page; null on the last page.
    #[schema(required = true)]
    pub next: Option<MemberId>,
}

/// The enrollments awaiting approval in `p`'s scope (or in `q.store`), oldest first, paged.
pub fn pending(
    core: &Core,
    p: &Principal,
    q: &ApprovalsQuery,
) -> Result<Approvals, ApprovalsError> {
    let scope = perm::check_any(p, OP)?;
    if let Some(store) = q.store {
        perm::check(p, OP, Target::store(store))?;
        if core.accounts.store_record(store)?.is_none() {
            return Err(ApprovalsError::UnknownStore(store));
        }
    }
    let position = |m: &MemberFile| (m.enrolled_at, m.id);
    let after = match q.after {
        None => None,
        Some(id) => Some(
            core.members
                .get(&id)
                .map(position)
                .ok_or(ApprovalsError::UnknownCursor(id))?,
        ),
    };
    let mut found: Vec<&MemberFile> = core
        .members
        .values()
        .filter(|m| {
            m.status == PENDING
                && q.store.is_none_or(|s| s == m.store)
                && perm::within_member(p, scope, m.store, m.id, m.company)
                && after.is_none_or(|a| position(m) > a)
        })
        .collect();
    found.sort_by_key(|m| position(m));
    let next = (found.len() > q.limit)
        .then(|| found.get(q.limit.saturating_sub(1)).map(|m| m.id))
        .flatten();
    found.truncate(q.limit);

    let today = ledger::today();
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let mut users = HashMap::new();
    let mut devices: HashMap<DeviceId, Option<String>> = HashMap::new();
    let mut programs = HashMap::new();
    let mut pending = Vec::with_capacity(found.len());
    for m in found {
        let Some((event, enrollment)) = enrollment_of(core, m)? else {
            continue;
        };
        let deadline = approval_deadline(m.enrolled_at.date(), today);
        let device_name = match devices.get(&event.device) {
            Some(n) => n.clone(),
            None => {
                let n = core.accounts.device(event.device)?.map(|d| d.name);
                devices.insert(event.device, n.clone());
                n
            }
        };
        let program = programs
            .entry(m.store)
            .or_insert_with(|| ledger::program_of(core, m.store));
        let tier_name = program
            .as_ref()
            .and_then(|p| p.tier(&enrollment.tier))
            .map(|t| t.name.clone());
        let company_name = match m.company {
            Some(c) => partners::company(core, c)?.map(|(_, name)| name),
            None => None,
        };
        pending.push(PendingEnrollment {
            member: m.id,
            store: m.store,
            name: m.name.clone(),
            phone: if perm::within_member(p, contact, m.store, m.id, m.company) {
                m.phone.to_string()
            } else {
                mask(m.phone.as_str())
            },
            card: m.card.clone(),
            tier: m.tier.clone(),
            tier_name,
            vehicle: enrollment.vehicle.clone(),
            fee: m.fee,
            receipt: m.receipt.clone(),
            documents_seen: enrollment.documents_seen.clone(),
            channel: enrollment.channel.clone(),
            enrolled_at: m.enrolled_at,
            enrolled_by: m.enrolled_by,
            enrolled_by_name: name_of(core, &mut users, m.enrolled_by)?,
            device: m.enrolled_on,
            device_name,
            company: m.company,
            company_name,
            working_days: deadline.working_days,
            due: deadline.due,
            overdue: deadline.overdue,
            due_soon: deadline.due_soon,
        });
    }
    Ok(Approvals {
        today,
        pending,
        next,
    })
}

/// The enrollment event of a member: the first event on their file (one read), or else the
/// enrollment among their events.
fn enrollment_of(core: &Core, m: &MemberFile) -> Result<Option<(Event, Enrollment)>, StoreError> {
    let first: Option<Event> = match m.events.first().and_then(|id| id.parse::<EventId>().ok()) {
        Some(id) => MEMBER_EVENTS.get(core.store.as_ref(), &(m.id, id))?,
        None => None,
    };
    let events = match first {
        Some(e) if matches!(e.body, EventBody::Enrolled(_)) => vec![e],
        _ => ledger::member_events(core, &Batch::default(), m.id)?,
    };
    Ok(events.into_iter().find_map(|e| match &e.body {
        EventBody::Enrolled(en) => {
            let en = en.clone();
            Some((e, en))
        }
        _ => None,
    }))
}

#[cfg(test)]
mod tests {
    use carclub_shared::{EventBody, MemberId};

    use super::OP;
    use crate::domain::perm::op_of;

    #[test]
    fn the_list_is_shown_to_whoever_may_approve() {
        let member = MemberId::new();
        assert_eq!(op_of(&EventBody::EnrollmentApproved { member }), OP);
    }
}
