//! The lifelong service file (终身维修档案) edited from the back office, each edit an event folded
//! like every other operation (`domain::ops::record`: the permission matrix — `edit_service_file`
//! — then the program engine, audited): the person's care facts, a vehicle's facts, a mileage
//! reading, a service visit. The member file (`GET /api/members/{id}`) shows the result in
//! `state.care`. And the member's own upcoming reminders for the member app.

use axum::Json;
use axum::extract::State;
use carclub_shared::care::{Elsewhere, MileageReading, PersonFacts, VehicleFacts, VisitKind};
use carclub_shared::projection::{Rejection, Violation};
use carclub_shared::{EventBody, MemberId, Money, UserId, Vin};
use serde::Deserialize;
use time::Date;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::care::member::{self, MyReminders};
use crate::domain::fold::Refusal;
use crate::domain::ledger;
use crate::domain::ops::{self, Operation, OpsError, Recorded};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Code, Detail, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, Caller};
use crate::storage::Batch;

/// The routes of the service file.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_person_facts))
        .routes(routes!(set_vehicle_facts))
        .routes(routes!(record_mileage))
        .routes(routes!(record_service_visit))
        .routes(routes!(my_reminders))
}

/// Records `body` on `member` as the caller, now.
fn record(
    st: &AppState,
    p: &crate::domain::auth::Principal,
    member: MemberId,
    body: EventBody,
) -> Result<Recorded, ApiError> {
    let reading = match &body {
        EventBody::MileageRecorded { vin, on, km, .. } => Some((vin.clone(), *on, *km)),
        EventBody::ServiceVisitRecorded {
            vin,
            on,
            km: Some(km),
            ..
        } => Some((vin.clone(), *on, *km)),
        _ => None,
    };
    let mut core = st.core();
    match ops::record(&mut core, p, member, Operation { body, at: None }) {
        Ok(r) => Ok(r),
        Err(OpsError::Refused(Refusal::Engine(Violation::Rejected {
            reason: Rejection::MileageDecreased,
            ..
        }))) if reading.is_some() => {
            // The caller may edit the file (the refusal comes after the permission check): say
            // which reading the new one does not fit, with the values.
            let (vin, on, km) = reading.unwrap_or_else(|| unreachable!());
            let other = core.members.get(&member).and_then(|f| {
                let state = ledger::state(&core, &Batch::default(), member, f.store).ok()??;
                let v = state.care.vehicles.into_iter().find(|v| v.vin == vin)?;
                v.readings.into_iter().find(|r| !fits(r, on, km))
            });
            Err(ApiError::Conflict(mileage_misfit(on, km, other)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether `km` read on `on` fits the earlier reading `r`: not below an earlier one, not above a
/// later one (a reading of the same day may be either).
fn fits(r: &MileageReading, on: Date, km: u32) -> bool {
    (r.on >= on || r.km <= km) && (r.on <= on || r.km >= km)
}

/// Thousands separated by commas.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The refusal of `km` read on `on` that does not fit `other`, in both languages.
fn mileage_misfit(on: Date, km: u32, other: Option<MileageReading>) -> Detail {
    let new = thousands(km);
    match other {
        Some(r) => {
            let old = thousands(r.km);
            let (en, zh) = if r.on > on || (r.on == on && r.km < km) {
                (
                    format!(
                        "{new} km on {on} does not fit the vehicle's other readings: it is above {old} km on {}",
                        r.on
                    ),
                    format!(
                        "{on} 的里程 {new} 公里与这辆车的其他读数不符：高于 {} 的 {old} 公里",
                        r.on
                    ),
                )
            } else {
                (
                    format!(
                        "{new} km on {on} does not fit the vehicle's other readings: it is below {old} km on {}",
                        r.on
                    ),
                    format!(
                        "{on} 的里程 {new} 公里与这辆车的其他读数不符：低于 {} 的 {old} 公里",
                        r.on
                    ),
                )
            };
            Detail::new(Code::MileageDecreased, en, zh)
        }
        None => Detail::new(
            Code::MileageDecreased,
            format!("{new} km on {on} does not fit the vehicle's other readings"),
            format!("{on} 的里程 {new} 公里与这辆车的其他读数不符"),
        ),
    }
}

/// Sets the person's care facts (birthday, home region, preferred call slots, SMS consent),
/// replacing what was on file.
#[utoipa::path(put, path = "/api/members/{id}/person-facts", tag = "care",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    request_body = PersonFacts,
    responses((status = 200, description = "Recorded: the event and the member's state", body = Recorded),
        Errors, NotFound, BodyErrors))]
async fn set_person_facts(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
    ApiJson(facts): ApiJson<PersonFacts>,
) -> Result<Json<Recorded>, ApiError> {
    let body = EventBody::PersonFactsSet { member, facts };
    Ok(Json(record(&st, &p, member, body)?))
}

/// Sets one vehicle's care facts (model, delivery, warranty end, insurance expiry and insurer,
/// annual inspection, licence), replacing what was on file.
#[utoipa::path(put, path = "/api/members/{id}/vehicles/{vin}/facts", tag = "care",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)"),
        ("vin" = Vin, Path, description = "The vehicle's VIN, one of the member's")),
    request_body = VehicleFacts,
    responses((status = 200, description = "Recorded: the event and the member's state", body = Recorded),
        Errors, NotFound, BodyErrors))]
async fn set_vehicle_facts(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath((member, vin)): ApiPath<(MemberId, Vin)>,
    ApiJson(facts): ApiJson<VehicleFacts>,
) -> Result<Json<Recorded>, ApiError> {
    let body = EventBody::VehicleFactsSet { member, vin, facts };
    Ok(Json(record(&st, &p, member, body)?))
}

/// An odometer reading.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MileageBody {
    /// The vehicle, one of the member's.
    vin: Vin,
    /// The day it was read (YYYY-MM-DD, not in the future).
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    on: Date,
    /// Kilometres on the odometer.
    #[serde(deserialize_with = "carclub_shared::types::integral")]
    #[schema(minimum = 0, maximum = 2_000_000)]
    km: u32,
}

/// Records a mileage reading of one of the member's vehicles (regular service is predicted from
/// the readings).
#[utoipa::path(post, path = "/api/members/{id}/mileage", tag = "care",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    request_body = MileageBody,
    responses((status = 200, description = "Recorded: the event and the member's state", body = Recorded),
        Errors, NotFound, BodyErrors))]
async fn record_mileage(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
    ApiJson(b): ApiJson<MileageBody>,
) -> Result<Json<Recorded>, ApiError> {
    let body = EventBody::MileageRecorded {
        member,
        vin: b.vin,
        on: b.on,
        km: b.km,
    };
    Ok(Json(record(&st, &p, member, body)?))
}

/// A service visit, here or at another store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceVisitBody {
    /// The vehicle, one of the member's.
    vin: Vin,
    /// The day of the visit (YYYY-MM-DD, not in the future).
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    on: Date,
    /// The odometer at the visit; also a mileage reading.
    #[serde(default, deserialize_with = "carclub_shared::types::integral_opt")]
    km: Option<u32>,
    kind: VisitKind,
    /// What it cost here, in fen (zero when done elsewhere: the cost is in `elsewhere`).
    amount: Money,
    /// The service advisor who handled it.
    advisor: Option<UserId>,
    /// The other store's name, place and cost, when done elsewhere (002).
    elsewhere: Option<Elsewhere>,
}

/// Records a service visit (first service, regular service, repair, accident, insurance claim),
/// at this store or elsewhere. Settled orders at the till become visits by themselves.
#[utoipa::path(post, path = "/api/members/{id}/service-visits", tag = "care",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    request_body = ServiceVisitBody,
    responses((status = 200, description = "Recorded: the event (the visit's id) and the member's state", body = Recorded),
        Errors, NotFound, BodyErrors))]
async fn record_service_visit(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
    ApiJson(b): ApiJson<ServiceVisitBody>,
) -> Result<Json<Recorded>, ApiError> {
    let body = EventBody::ServiceVisitRecorded {
        member,
        vin: b.vin,
        on: b.on,
        km: b.km,
        kind: b.kind,
        amount: b.amount,
        advisor: b.advisor,
        elsewhere: b.elsewhere,
    };
    Ok(Json(record(&st, &p, member, body)?))
}

/// The signed-in member's upcoming reminders: service due, warranty, insurance, inspection,
/// licence and renewal, open today or within the next 90 days.
#[utoipa::path(get, path = "/api/me/reminders", tag = "care",
    responses((status = 200, description = "The member's upcoming reminders", body = MyReminders),
        Errors, NotFound))]
async fn my_reminders(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<MyReminders>, ApiError> {
    Ok(Json(member::own(&st.core(), &p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u8, d: u8) -> Date {
        Date::from_calendar_date(2026, time::Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn a_misfit_reading_is_refused_with_the_reading_it_does_not_fit() {
        let later = MileageReading {
            on: day(11, 30),
            km: 12_345,
        };
        assert!(!fits(&later, day(10, 1), 20_000));
        let d = mileage_misfit(day(10, 1), 20_000, Some(later));
        assert_eq!(
            d.en,
            "20,000 km on 2026-10-01 does not fit the vehicle's other readings: it is above 12,345 km on 2026-11-30"
        );
        assert!(d.zh.contains("高于 2026-11-30 的 12,345 公里"), "{}", d.zh);
        let earlier = MileageReading {
            on: day(1, 5),
            km: 30_000,
        };
        assert!(!fits(&earlier, day(3, 1), 1_000));
        let d = mileage_misfit(day(3, 1), 1_000, Some(earlier));
        assert!(d.en.contains("below 30,000 km on 2026-01-05"), "{}", d.en);
        assert!(d.zh.contains("低于 2026-01-05 的 30,000 公里"), "{}", d.zh);
        assert!(fits(&earlier, day(3, 1), 30_000));
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
