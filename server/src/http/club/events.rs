//! Club events (活动): a segment's invitations, RSVPs, and attendance that earns the program's
//! points through the operation path.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carclub_shared::projection::MemberState;
use carclub_shared::{EventId, MemberId, StoreId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::club_events::{
    self, ClubEventId, ClubEventView, EventKind, NewClubEvent, Segment,
};
use crate::http::AppState;
use crate::http::error::{ApiError, BodyErrors, Conflict, Errors, NotFound};
use crate::http::extract::page_limit;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};

pub(crate) mod satisfaction;

/// The routes of club events.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events, create_event))
        .routes(routes!(get_event))
        .routes(routes!(rsvp))
        .routes(routes!(attend))
        .merge(satisfaction::routes())
}

/// A new club event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEventBody {
    /// One to 100 characters.
    #[schema(value_type = carclub_shared::ShortText)]
    title: String,
    kind: EventKind,
    starts_at: Timestamp,
    /// One to 100 characters.
    #[schema(value_type = carclub_shared::ShortText)]
    place: String,
    /// Places: 1 to 10000.
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(deserialize_with = "carclub_shared::integral")]
    capacity: u32,
    /// Whom to invite; active members of every tier when absent.
    #[serde(default)]
    segment: Segment,
    /// The store, for group-wide roles; the caller's own store by default.
    store: Option<StoreId>,
}

/// Creates a club event and invites the segment's members of the store.
///
/// An attendance earns the points the store's program gives for a club event.
#[utoipa::path(post, path = "/api/club-events", tag = "club events",
    request_body = NewEventBody,
    responses((status = 201, description = "Created, with its invitations", body = ClubEventView),
        Errors, NotFound, BodyErrors))]
async fn create_event(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewEventBody>,
) -> Result<(StatusCode, Json<ClubEventView>), ApiError> {
    let mut core = st.core();
    let e = club_events::create(
        &mut core,
        &p,
        NewClubEvent {
            title: req.title,
            kind: req.kind,
            starts_at: req.starts_at,
            place: req.place,
            capacity: req.capacity,
            segment: req.segment,
            store: req.store,
        },
    )?;
    Ok((StatusCode::CREATED, Json(club_events::view(&core, &p, e))))
}

/// Which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Most events in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page: events created after it.
    #[param(value_type = Option<uuid::Uuid>)]
    after: Option<ClubEventId>,
}

/// A page of club events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    pub events: Vec<ClubEventView>,
    /// Pass as `after` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<ClubEventId>,
}

/// The club events the caller may see.
///
/// Staff see their scope's events with every invitation; a member sees the events they are
/// invited to, with their own answer only. Sorted by id, that is in the order they were created
/// (ids are UUIDv7), paged with `limit` and `after`.
#[utoipa::path(get, path = "/api/club-events", tag = "club events", params(EventsQuery),
    responses((status = 200, description = "A page of club events", body = EventsPage), Errors))]
async fn list_events(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let core = st.core();
    let (list, next) = club_events::list(&core, &p, q.after, limit)?;
    Ok(Json(EventsPage {
        events: list
            .into_iter()
            .map(|e| club_events::view(&core, &p, e))
            .collect(),
        next,
    }))
}

/// One club event, as the caller may see it.
#[utoipa::path(get, path = "/api/club-events/{id}", tag = "club events",
    params(("id" = uuid::Uuid, Path, description = "The club event's id")),
    responses((status = 200, description = "The club event", body = ClubEventView),
        Errors, NotFound))]
async fn get_event(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ClubEventId>,
) -> Result<Json<ClubEventView>, ApiError> {
    let core = st.core();
    let e = club_events::get(&core, &p, id)?;
    Ok(Json(club_events::view(&core, &p, e)))
}

/// An answer to an invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RsvpBody {
    attending: bool,
    /// The member, when staff record the answer; a member's own login answers for themselves.
    member: Option<MemberId>,
}

/// Records an invited member's answer; a yes needs a free place.
#[utoipa::path(post, path = "/api/club-events/{id}/rsvp", tag = "club events",
    params(("id" = uuid::Uuid, Path, description = "The club event's id")),
    request_body = RsvpBody,
    responses((status = 200, description = "Recorded", body = ClubEventView),
        Errors, NotFound, Conflict, BodyErrors))]
async fn rsvp(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ClubEventId>,
    ApiJson(req): ApiJson<RsvpBody>,
) -> Result<Json<ClubEventView>, ApiError> {
    let mut core = st.core();
    let e = club_events::rsvp(&mut core, &p, id, req.member, req.attending)?;
    Ok(Json(club_events::view(&core, &p, e)))
}

/// A member's attendance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendBody {
    member: MemberId,
    /// When the member attended, if keyed in later (not before the event's day, not in the
    /// future).
    at: Option<Timestamp>,
}

/// An attendance recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceRecorded {
    /// The `event_attended` operation that earned the points.
    pub event: EventId,
    pub club_event: ClubEventView,
    /// The member's state after it (null when the store's program is not set up).
    #[schema(required = true)]
    pub state: Option<MemberState>,
}

/// Records that a member of the event's store attended, once, on or after its day.
///
/// The attendance is an `event_attended` operation folded like any other, so the member earns
/// the points of the store's program.
#[utoipa::path(post, path = "/api/club-events/{id}/attendance", tag = "club events",
    params(("id" = uuid::Uuid, Path, description = "The club event's id")),
    request_body = AttendBody,
    responses((status = 200, description = "Recorded", body = AttendanceRecorded),
        Errors, NotFound, Conflict, BodyErrors))]
async fn attend(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<ClubEventId>,
    ApiJson(req): ApiJson<AttendBody>,
) -> Result<Json<AttendanceRecorded>, ApiError> {
    let mut core = st.core();
    let a = club_events::attend(&mut core, &p, id, req.member, req.at)?;
    Ok(Json(AttendanceRecorded {
        event: a.event,
        club_event: club_events::view(&core, &p, a.club_event),
        state: a.state,
    }))
}
