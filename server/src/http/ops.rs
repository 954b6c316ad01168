//! Club operations at the counter through the API, and the member file: `GET /api/me`,
//! `GET /api/members/{id}`, `GET /api/members/{id}/history`,
//! `POST /api/members/{id}/operations` and `POST /api/members/{id}/quote`. The rules are in
//! [`crate::domain::ops`] and [`crate::domain::history`].

use axum::Json;
use axum::extract::State;
use carclub_shared::events::Order;
use carclub_shared::projection::Quote;
use carclub_shared::{DeviceId, EventBody, MemberId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{OneOfBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{self, ApiError, BodyErrors, Code, Conflict, Detail, Errors, NotFound};
use super::extract::{ApiJson, ApiPath, Caller};
use crate::domain::accounts::UserView;
use crate::domain::history::{self, MemberHistory};
use crate::domain::ops::{self, MemberFileView, Operation, Recorded};

/// Kept while club events still call it here; the function lives in the domain.
pub use crate::domain::ops::fold_online;

/// The routes of club operations and the member file.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(member_file))
        .routes(routes!(member_history))
        .routes(routes!(operate))
        .routes(routes!(quote))
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    /// The device the token belongs to; null for a login session.
    #[schema(required = true)]
    pub device: Option<DeviceId>,
    /// For a member's login, their own file (the view is audited); null for staff.
    #[schema(required = true)]
    pub member: Option<MemberFileView>,
}

/// Who is signed in, and for a member their own file.
#[utoipa::path(get, path = "/api/me", tag = "members",
    responses((status = 200, description = "The caller", body = Me), Errors, NotFound))]
async fn me(State(st): State<AppState>, Caller(p): Caller) -> Result<Json<Me>, ApiError> {
    let member = ops::own_file(&st.core(), &p)?;
    Ok(Json(Me {
        user: (&p.user).into(),
        device: p.device,
        member,
    }))
}

/// A member's full file and state.
///
/// The phone is masked for roles that do not see contacts; every view is recorded in the audit
/// log.
#[utoipa::path(get, path = "/api/members/{id}", tag = "members",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    responses((status = 200, description = "The member's file", body = MemberFileView), Errors,
        NotFound))]
async fn member_file(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
) -> Result<Json<MemberFileView>, ApiError> {
    Ok(Json(ops::file_view(&st.core(), &p, member)?))
}

/// A member's history: every event of the member in the order the program engine applies them,
/// each with when, who recorded it, its receipt, the points it moved and the balance after it, the
/// money involved and a short description; and the movements the engine makes by itself (points
/// cleared when a membership lapses, an automatic upgrade).
///
/// Visible to whoever may open the member's file; every view is recorded in the audit log. At most
/// the latest 2,000 entries (`omitted` counts any earlier ones).
#[utoipa::path(get, path = "/api/members/{id}/history", tag = "members",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    responses((status = 200, description = "The member's history", body = MemberHistory), Errors,
        NotFound))]
async fn member_history(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
) -> Result<Json<MemberHistory>, ApiError> {
    Ok(Json(history::history(&st.core(), &p, member)?))
}

/// When an operation happened, the field every accepted body may carry.
#[derive(ToSchema)]
#[allow(dead_code)]
struct OperationAt {
    /// When it happened (RFC 3339); now when absent. Never in the future, at most three years
    /// back; more than a day back only with the backdate permission.
    at: Option<Timestamp>,
}

/// The request body of `POST /api/members/{id}/operations`: one of the event bodies the route
/// takes — every [`EventBody`] but those recorded only on field devices
/// ([`ops::FIELD_DEVICE_ONLY`]) — with `member` optional and `at`. The handler reads it with
/// [`operation_of`]; this type only describes it.
pub struct OperationRequest;

impl PartialSchema for OperationRequest {
    fn schema() -> RefOr<Schema> {
        let RefOr::T(Schema::OneOf(bodies)) = <EventBody as PartialSchema>::schema() else {
            unreachable!("an internally tagged enum's schema is a oneOf")
        };
        let at = match <OperationAt as PartialSchema>::schema() {
            RefOr::T(Schema::Object(mut o)) => o.properties.shift_remove("at"),
            _ => None,
        }
        .expect("the schema of OperationAt has the property at");
        let mut items = Vec::new();
        for body in bodies.items {
            let RefOr::T(Schema::Object(mut o)) = body else {
                // The bodies of other shapes (a struct's reference under allOf) are the field
                // devices' own: enrollments and visits.
                continue;
            };
            let kind = o
                .properties
                .get("type")
                .and_then(|t| match t {
                    RefOr::T(Schema::Object(t)) => t.enum_values.as_ref()?.first()?.as_str(),
                    _ => None,
                })
                .map(str::to_owned);
            if kind.is_none_or(|k| ops::FIELD_DEVICE_ONLY.contains(&k.as_str())) {
                continue;
            }
            o.required.retain(|r| r != "member");
            o.properties.insert("at".into(), at.clone());
            items.push(RefOr::T(Schema::Object(o)));
        }
        items
            .into_iter()
            .fold(OneOfBuilder::new(), OneOfBuilder::item)
            .description(Some(
                "An operation on a member: one event body (its `type` and fields; `member` may be \
                 left out and is then the member of the path), and `at` when a paper record is \
                 keyed in later. Enrollments and visits are recorded on field devices, not here.",
            ))
            .into()
    }
}

impl ToSchema for OperationRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <EventBody as ToSchema>::schemas(schemas);
        <OperationAt as ToSchema>::schemas(schemas);
    }
}

/// The event body of an operation: the JSON object with the member from the path.
pub(crate) fn operation_of(mut v: Value, member: MemberId) -> Result<Operation, ApiError> {
    let Value::Object(map) = &mut v else {
        return Err(ApiError::BadRequest(Detail::new(
            Code::MalformedBody,
            "the operation must be a JSON object with a \"type\"",
            "操作须为带 \"type\" 字段的 JSON 对象",
        )));
    };
    let at = match map.remove("at") {
        None | Some(Value::Null) => None,
        Some(raw) => Some(serde_json::from_value::<Timestamp>(raw).map_err(|e| {
            ApiError::BadRequest(Detail::new(
                Code::InvalidTime,
                format!("\"at\" must be an RFC 3339 time: {e}"),
                "\"at\" 须为 RFC 3339 时间（如 2026-01-31T09:00:00+08:00）",
            ))
        })?),
    };
    if !map.contains_key("member") {
        map.insert("member".into(), Value::String(member.to_string()));
    }
    let body: EventBody = serde_json::from_value(v).map_err(|e| {
        let (code, said) = error::value_zh(&e.to_string());
        ApiError::BadRequest(Detail::new(
            code,
            format!("the operation is not valid: {e}"),
            format!("操作无效：{said}"),
        ))
    })?;
    Ok(Operation { body, at })
}

/// Records a back-office operation on a member: approval, rejection, a settled order, a benefit
/// used, points redeemed, a renewal, an upgrade…
///
/// The operation is an event, validated by the permission matrix and the program engine exactly
/// as events arriving from devices; the engine's objection refuses it (409) and changes nothing.
/// Enrollments and visits are recorded on field devices, not here.
#[utoipa::path(post, path = "/api/members/{id}/operations", tag = "members",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    request_body = OperationRequest,
    responses((status = 200, description = "Recorded: the event and the member's state after it",
        body = Recorded), Errors, NotFound, Conflict, BodyErrors))]
async fn operate(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
    ApiJson(raw): ApiJson<Value>,
) -> Result<Json<Recorded>, ApiError> {
    let op = operation_of(raw, member)?;
    Ok(Json(ops::record(&mut st.core(), &p, member, op)?))
}

/// An order to quote.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    order: Order,
}

/// The discount and points an order would bring, before it is settled; changes nothing.
#[utoipa::path(post, path = "/api/members/{id}/quote", tag = "members",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    request_body = QuoteRequest,
    responses((status = 200, description = "The quote", body = Quote), Errors, NotFound,
        BodyErrors))]
async fn quote(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(ops::quote(&st.core(), &p, member, &req.order)?))
}
