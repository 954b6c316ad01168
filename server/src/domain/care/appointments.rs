//! The appointment register (预约登记表, 002): who comes when with which vehicle and what for,
//! from which call task, booked by whom; booked, then arrived or cancelled. Reception and the
//! service advisors work from it; care books from a call, and the front desk can book too.
//! An appointment is made at least 3 hours ahead (002, [`appointment_ok`]) and at most a year.

use std::collections::HashMap;

use carclub_shared::care::appointment_ok;
use carclub_shared::{MemberId, StoreId, Timestamp, UserId, Vin};
use serde::{Deserialize, Serialize};

use super::CareError;
use super::error::bad_text;
use super::tasks::TaskId;
use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::club::{now, text};
use crate::domain::fold::company_of;
use crate::domain::history::name_of;
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::CARE_APPOINTMENTS;
use crate::storage::{Batch, StoreError};

record_id!(
    /// An appointment in the register.
    AppointmentId,
    "appointment"
);

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentState {
    Booked,
    Arrived,
    Cancelled,
}

impl AppointmentState {
    /// The state as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentState::Booked => "booked",
            AppointmentState::Arrived => "arrived",
            AppointmentState::Cancelled => "cancelled",
        }
    }

    /// The state in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            AppointmentState::Booked => "已预约",
            AppointmentState::Arrived => "已到店",
            AppointmentState::Cancelled => "已取消",
        }
    }
}

/// An appointment.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appointment {
    #[schema(value_type = uuid::Uuid)]
    pub id: AppointmentId,
    pub store: StoreId,
    pub member: MemberId,
    /// The vehicle coming in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vin: Option<Vin>,
    /// When the owner comes.
    pub at: Timestamp,
    /// What for (first service, regular service, inspection…).
    pub purpose: String,
    /// The call task it was made on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskId>,
    pub booked_by: UserId,
    pub booked_at: Timestamp,
    pub state: AppointmentState,
    /// When it was marked arrived or cancelled, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<UserId>,
}

/// An appointment with the member's name and plate, as the register lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppointmentView {
    #[serde(flatten)]
    pub appointment: Appointment,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    /// The name of the person who booked it (a colleague's name needs no staff-listing right).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booked_by_name: Option<String>,
}

/// The longest ahead an appointment may be booked, in days.
pub const HORIZON_DAYS: i64 = 366;

/// Refuses an appointment further ahead than [`HORIZON_DAYS`].
pub(crate) fn check_horizon(now: Timestamp, at: Timestamp) -> Result<(), CareError> {
    if at.millis() > now.millis().saturating_add(HORIZON_DAYS * 86_400_000) {
        return Err(CareError::AppointmentTooFar { at });
    }
    Ok(())
}

/// Writes `a` into `batch`.
pub(crate) fn put(batch: &mut Batch, a: &Appointment) -> Result<(), StoreError> {
    CARE_APPOINTMENTS.put(batch, &a.id.0, a)
}

fn view(
    core: &Core,
    names: &mut HashMap<UserId, Option<String>>,
    a: Appointment,
) -> Result<AppointmentView, StoreError> {
    let file = core.members.get(&a.member);
    let plate = file.and_then(|f| {
        a.vin
            .as_ref()
            .and_then(|vin| f.vehicles.iter().find(|v| &v.vin == vin))
            .or_else(|| f.vehicles.first())
            .map(|v| v.plate.to_string())
    });
    Ok(AppointmentView {
        name: file.map(|f| f.name.clone()).unwrap_or_default(),
        plate,
        booked_by_name: name_of(core, names, a.booked_by)?,
        appointment: a,
    })
}

/// A new appointment booked at the desk.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub member: MemberId,
    /// The member's first vehicle when absent.
    pub vin: Option<Vin>,
    pub at: Timestamp,
    pub purpose: String,
}

/// Books an appointment for a member of `p`'s scope at least 3 hours ahead.
pub fn book(
    core: &mut Core,
    p: &Principal,
    req: NewAppointment,
) -> Result<AppointmentView, CareError> {
    let purpose = text::<100>(&req.purpose).map_err(bad_text("\"purpose\""))?;
    let file = core
        .members
        .get(&req.member)
        .ok_or(CareError::UnknownMember(req.member))?;
    let store = file.store;
    perm::check(
        p,
        Op::BookAppointment,
        Target::member(store, req.member, company_of(core, req.member)),
    )?;
    let vin = match req.vin {
        Some(vin) if file.vehicles.iter().any(|v| v.vin == vin) => Some(vin),
        Some(vin) => {
            return Err(CareError::VehicleNotOnFile {
                member: req.member,
                vin,
            });
        }
        None => file.vehicles.first().map(|v| v.vin.clone()),
    };
    let now = now();
    appointment_ok(now, req.at)?;
    check_horizon(now, req.at)?;
    let a = Appointment {
        id: AppointmentId::new(),
        store,
        member: req.member,
        vin,
        at: req.at,
        purpose,
        task: None,
        booked_by: p.user.id,
        booked_at: now,
        state: AppointmentState::Booked,
        changed_at: None,
        changed_by: None,
    };
    let mut batch = Batch::default();
    put(&mut batch, &a)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "appointment_booked",
            store,
            member: Some(a.member),
            detail: format!("appointment {} at {}", a.id, a.at),
        },
    )?;
    core.commit(batch, Vec::new())?;
    Ok(view(core, &mut HashMap::new(), a)?)
}

/// Which appointments.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub store: Option<StoreId>,
    /// Only those at or after this moment.
    pub from: Option<Timestamp>,
    /// Only those before this moment.
    pub to: Option<Timestamp>,
    pub state: Option<AppointmentState>,
    pub member: Option<MemberId>,
    /// Only those booked after this one (the cursor of the previous page).
    pub after: Option<AppointmentId>,
}

/// The appointments `p` may see that match `filter`, sorted by when the owner comes, at most
/// `limit` (in the order they were booked, paged by `after`); and the next page's cursor.
pub fn list(
    core: &Core,
    p: &Principal,
    filter: &AppointmentFilter,
    limit: usize,
) -> Result<(Vec<AppointmentView>, Option<AppointmentId>), CareError> {
    let scope = perm::check_any(p, Op::ViewAppointments)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(CareError::BadRange { from, to });
    }
    let after = filter.after.map(|a| a.0);
    let mut list: Vec<Appointment> = CARE_APPOINTMENTS.page(
        core.store.as_ref(),
        after.as_ref(),
        limit.saturating_add(1),
        &mut |a: &Appointment| {
            perm::within_member(p, scope, a.store, a.member, company_of(core, a.member))
                && filter.store.is_none_or(|s| s == a.store)
                && filter.from.is_none_or(|f| a.at >= f)
                && filter.to.is_none_or(|t| a.at < t)
                && filter.state.is_none_or(|s| s == a.state)
                && filter.member.is_none_or(|m| m == a.member)
        },
    )?;
    let next = if list.len() > limit {
        list.truncate(limit);
        list.last().map(|a| a.id)
    } else {
        None
    };
    let mut names = HashMap::new();
    let mut views = list
        .into_iter()
        .map(|a| view(core, &mut names, a))
        .collect::<Result<Vec<_>, _>>()?;
    views.sort_by_key(|v| (v.appointment.at, v.appointment.id));
    Ok((views, next))
}

/// Marks appointment `id` arrived or cancelled; only a booked one changes.
pub fn mark(
    core: &mut Core,
    p: &Principal,
    id: AppointmentId,
    to: AppointmentState,
) -> Result<AppointmentView, CareError> {
    let mut a: Appointment = CARE_APPOINTMENTS
        .get(core.store.as_ref(), &id.0)?
        .ok_or(CareError::AppointmentNotFound(id))?;
    perm::check(
        p,
        Op::BookAppointment,
        Target::member(a.store, a.member, company_of(core, a.member)),
    )?;
    if a.state != AppointmentState::Booked {
        return Err(CareError::AppointmentNotBooked {
            appointment: id,
            state: a.state,
        });
    }
    a.state = to;
    a.changed_at = Some(now());
    a.changed_by = Some(p.user.id);
    let mut batch = Batch::default();
    put(&mut batch, &a)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: match to {
                AppointmentState::Arrived => "appointment_arrived",
                _ => "appointment_cancelled",
            },
            store: a.store,
            member: Some(a.member),
            detail: format!("appointment {}", a.id),
        },
    )?;
    core.commit(batch, Vec::new())?;
    Ok(view(core, &mut HashMap::new(), a)?)
}
