//! The appointment register: listed by store and time, booked (at least 3 hours ahead), marked
//! arrived or cancelled.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carclub_shared::{MemberId, StoreId, Timestamp, Vin};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::care::appointments::{
    self, AppointmentFilter, AppointmentId, AppointmentState, AppointmentView, NewAppointment,
};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};

/// The routes of the appointment register.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_appointments, book_appointment))
        .routes(routes!(arrived))
        .routes(routes!(cancel))
}

/// Which appointments, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// Only appointments of this store.
    store: Option<StoreId>,
    /// Only appointments at or after this moment (RFC 3339 or a date).
    from: Option<Timestamp>,
    /// Only appointments before this moment (RFC 3339 or a date).
    to: Option<Timestamp>,
    /// Only appointments in this state.
    state: Option<AppointmentState>,
    /// Only appointments of this member.
    member: Option<MemberId>,
    /// Most appointments in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    #[param(value_type = Option<uuid::Uuid>)]
    cursor: Option<AppointmentId>,
}

/// A page of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentsPage {
    /// Sorted by when the owner comes.
    pub appointments: Vec<AppointmentView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<AppointmentId>,
}

/// The appointment register: who comes when with which vehicle and what for, from which call
/// task, booked by whom; each page sorted by time (pages follow the booking order).
#[utoipa::path(get, path = "/api/care/appointments", tag = "care", params(AppointmentQuery),
    responses((status = 200, description = "A page of the register", body = AppointmentsPage),
        (status = 422, description = "`from` is after `to`", body = crate::http::error::Problem,
            content_type = "application/problem+json"),
        Errors))]
async fn list_appointments(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AppointmentQuery>,
) -> Result<Json<AppointmentsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let filter = AppointmentFilter {
        store: q.store,
        from: q.from,
        to: q.to,
        state: q.state,
        member: q.member,
        after: q.cursor,
    };
    let (appointments, next) = appointments::list(&st.core(), &p, &filter, limit)?;
    Ok(Json(AppointmentsPage { appointments, next }))
}

/// An appointment booked at the desk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointmentBody {
    member: MemberId,
    /// One of the member's vehicles; the first when absent.
    vin: Option<Vin>,
    /// When the owner comes: at least 3 hours from now, at most a year.
    at: Timestamp,
    /// What for: 1 to 100 characters.
    #[schema(value_type = carclub_shared::ShortText)]
    purpose: String,
}

/// Books an appointment in the register (the front desk, service advisors, customer care).
#[utoipa::path(post, path = "/api/care/appointments", tag = "care",
    request_body = NewAppointmentBody,
    responses((status = 201, description = "Booked", body = AppointmentView),
        Errors, NotFound, BodyErrors))]
async fn book_appointment(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(b): ApiJson<NewAppointmentBody>,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    let a = appointments::book(
        &mut st.core(),
        &p,
        NewAppointment {
            member: b.member,
            vin: b.vin,
            at: b.at,
            purpose: b.purpose,
        },
    )?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Marks a booked appointment arrived.
#[utoipa::path(post, path = "/api/care/appointments/{id}/arrived", tag = "care",
    params(("id" = uuid::Uuid, Path, description = "The appointment's id")),
    responses((status = 200, description = "Arrived", body = AppointmentView),
        Errors, NotFound, Conflict))]
async fn arrived(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
) -> Result<Json<AppointmentView>, ApiError> {
    Ok(Json(appointments::mark(
        &mut st.core(),
        &p,
        id,
        AppointmentState::Arrived,
    )?))
}

/// Cancels a booked appointment.
#[utoipa::path(post, path = "/api/care/appointments/{id}/cancel", tag = "care",
    params(("id" = uuid::Uuid, Path, description = "The appointment's id")),
    responses((status = 200, description = "Cancelled", body = AppointmentView),
        Errors, NotFound, Conflict))]
async fn cancel(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
) -> Result<Json<AppointmentView>, ApiError> {
    Ok(Json(appointments::mark(
        &mut st.core(),
        &p,
        id,
        AppointmentState::Cancelled,
    )?))
}
