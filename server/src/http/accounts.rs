//! The accounts API: stores, staff, revoking sessions and devices, field staff's assignments,
//! members' own logins and the permission matrix. The rules are in [`crate::domain::accounts`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carclub_shared::{DeviceId, MemberId, Role, StoreId, Text, UserId};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Code, Conflict, Detail, Errors, NotFound};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, blocking, page_limit};
use crate::domain::accounts::{
    self as domain, AssignmentForm, DeviceView, INVITATION_TTL_MS, NewUser, Permissions, StaffView,
    StoreView, UserView,
};

/// Kept while partners still call it here; the function lives in the domain.
pub use crate::domain::accounts::publish_reach;

/// The routes of the accounts API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stores, create_store))
        .routes(routes!(list_users, create_user))
        .routes(routes!(revoke_sessions))
        .routes(routes!(user_devices))
        .routes(routes!(get_assignment, set_assignment))
        .routes(routes!(revoke_device))
        .routes(routes!(invite))
        .routes(routes!(member_signup))
        .routes(routes!(permissions))
}

/// The permission matrix, for the app to offer only what is allowed.
#[utoipa::path(get, path = "/api/permissions", tag = "accounts", security(()),
    responses((status = 200, description = "Each operation's scope for each role",
        body = Permissions)))]
async fn permissions() -> Json<Permissions> {
    Json(domain::permissions())
}

/// A store to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// 1 to 64 characters, not blank, no control characters but tab and newline (surrounding
    /// white space dropped).
    #[schema(schema_with = text64)]
    name: String,
    /// The preset program: `A`, `B` or `C` (either case).
    #[schema(pattern = "^[ABCabc]$")]
    program: String,
}

/// The schema of a 64-character text field: a [`Text`] of at most 64 characters, the rule the
/// domain checks (`accounts::text`).
fn text64() -> RefOr<Schema> {
    <Text<64> as PartialSchema>::schema()
}

/// Creates a store of the group running a preset program.
#[utoipa::path(post, path = "/api/stores", tag = "accounts", request_body = NewStore,
    responses((status = 201, description = "Created", body = StoreView), Errors, BodyErrors))]
async fn create_store(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewStore>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    let store = domain::create_store(&st.accounts, &p, &req.name, &req.program)?;
    Ok((StatusCode::CREATED, Json(store)))
}

/// Which page of stores.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StoresQuery {
    /// Most stores in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: stores created after this one.
    after: Option<StoreId>,
}

/// A page of stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoresPage {
    pub stores: Vec<StoreView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<StoreId>,
}

/// The stores of the group, in id order (creation order), paged by id.
#[utoipa::path(get, path = "/api/stores", tag = "accounts", params(StoresQuery),
    responses((status = 200, description = "A page of stores", body = StoresPage), Errors))]
async fn list_stores(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<StoresQuery>,
) -> Result<Json<StoresPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let (stores, more) = domain::list_stores(&st.accounts, &p, q.after, limit)?;
    let next = if more {
        stores.last().map(|s| s.id)
    } else {
        None
    };
    Ok(Json(StoresPage { stores, next }))
}

/// A staff account to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// 1 to 64 letters, digits, `.`, `_` and `-`.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._-]+$")]
    username: String,
    /// 1 to 64 characters, not blank, no control characters but tab and newline.
    #[schema(schema_with = text64)]
    name: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    /// A role below the caller's own (any staff role for the administrator: 403 otherwise); never
    /// `member` (422: member logins come from invitation codes).
    role: Role,
    /// The store of the account; the caller's when absent.
    store: Option<StoreId>,
}

impl std::fmt::Debug for NewUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRequest")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Creates a staff account in a store the caller manages staff of.
///
/// Nobody creates an account as senior as their own (a club manager cannot create a general
/// manager); member logins come only from invitation codes.
#[utoipa::path(post, path = "/api/users", tag = "accounts", request_body = NewUserRequest,
    responses((status = 201, description = "Created", body = UserView), Errors, NotFound,
        (status = 409, description = "The username is taken",
            content_type = "application/problem+json", body = super::error::Problem),
        BodyErrors))]
async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let accounts = st.accounts.clone();
    let new = NewUser {
        username: req.username,
        name: req.name,
        password: req.password,
        role: req.role,
        store: req.store,
    };
    let user =
        blocking(move || domain::create_user(&accounts, &p, new).map_err(ApiError::from)).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Which page of users.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Most users in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: users whose username sorts after this one.
    #[param(max_length = 64)]
    after: Option<String>,
}

/// A page of staff accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersPage {
    pub users: Vec<StaffView>,
    /// Pass as `after` for the next page (a username); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The accounts the caller manages, with their assignments, sorted by username and paged by
/// username.
#[utoipa::path(get, path = "/api/users", tag = "accounts", params(UsersQuery),
    responses((status = 200, description = "A page of users", body = UsersPage), Errors))]
async fn list_users(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Result<Json<UsersPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    if q.after.as_ref().is_some_and(|a| a.chars().count() > 64) {
        return Err(ApiError::BadRequest(Detail::new(
            Code::InvalidCursor,
            "after has at most 64 characters",
            "after 最多 64 个字符",
        )));
    }
    let (users, more) = domain::list_users(&st.accounts, &p, q.after.as_deref(), limit)?;
    let next = if more {
        users.last().map(|u| u.user.username.clone())
    } else {
        None
    };
    Ok(Json(UsersPage { users, next }))
}

/// Ends every login session of a user the caller manages (or their own): each token issued
/// before now is refused from now on. Device tokens are revoked per device.
#[utoipa::path(post, path = "/api/users/{id}/revoke-sessions", tag = "accounts",
    params(("id" = UserId, Path, description = "The user's id")),
    responses((status = 204, description = "Revoked"), Errors, NotFound))]
async fn revoke_sessions(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<UserId>,
) -> Result<StatusCode, ApiError> {
    domain::revoke_sessions(&st.accounts, &p, id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which page of devices.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DevicesQuery {
    /// Most devices in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page: devices registered after this one.
    after: Option<DeviceId>,
}

/// A page of devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicesPage {
    pub devices: Vec<DeviceView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<DeviceId>,
}

/// The devices registered to a user the caller manages (or to themselves), in id order
/// (registration order), paged by id.
#[utoipa::path(get, path = "/api/users/{id}/devices", tag = "accounts",
    params(("id" = UserId, Path, description = "The user's id"), DevicesQuery),
    responses((status = 200, description = "A page of devices", body = DevicesPage), Errors,
        NotFound))]
async fn user_devices(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<UserId>,
    ApiQuery(q): ApiQuery<DevicesQuery>,
) -> Result<Json<DevicesPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    let (devices, more) = domain::devices(&st.accounts, &p, id, q.after, limit)?;
    let next = if more {
        devices.last().map(|d| d.id)
    } else {
        None
    };
    Ok(Json(DevicesPage { devices, next }))
}

/// Which members a field staff account works with: the whole store or some companies.
#[utoipa::path(get, path = "/api/users/{id}/assignment", tag = "accounts",
    params(("id" = UserId, Path, description = "The field staff account's id")),
    responses((status = 200, description = "The account and its assignment", body = StaffView),
        Errors, NotFound,
        (status = 422, description = "The account is not field staff",
            content_type = "application/problem+json", body = super::error::Problem)))]
async fn get_assignment(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<StaffView>, ApiError> {
    Ok(Json(domain::assignment_of(&st.accounts, &p, id)?))
}

/// Assigns a field staff account to the whole store or to companies (corporate agreements) of
/// its store.
///
/// The user's devices learn the directories they now read through their status documents at the
/// next sync; every request and sync message after this one is checked against the new
/// assignment.
#[utoipa::path(put, path = "/api/users/{id}/assignment", tag = "accounts",
    params(("id" = UserId, Path, description = "The field staff account's id")),
    request_body = AssignmentForm,
    responses((status = 200, description = "The account and its new assignment",
        body = StaffView), Errors, NotFound, BodyErrors))]
async fn set_assignment(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(form): ApiJson<AssignmentForm>,
) -> Result<Json<StaffView>, ApiError> {
    let assignment = form.assignment()?;
    Ok(Json(domain::assign(&mut st.core(), &p, id, &assignment)?))
}

/// Revokes a device of a user the caller manages (or their own): its token stops working at once
/// (a lost phone stops syncing).
#[utoipa::path(post, path = "/api/devices/{id}/revoke", tag = "accounts",
    params(("id" = DeviceId, Path, description = "The device's id")),
    responses((status = 204, description = "Revoked"), Errors, NotFound))]
async fn revoke_device(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<DeviceId>,
) -> Result<StatusCode, ApiError> {
    domain::revoke_device(&st.accounts, &p, id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation code to hand to a member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MemberInvitation)]
pub struct Invitation {
    /// 12 characters; works once.
    pub code: String,
    /// Seconds until the code stops working.
    pub expires_in: i64,
}

/// A single-use code for a member to open their login in the member app.
#[utoipa::path(post, path = "/api/members/{id}/invitations", tag = "accounts",
    params(("id" = MemberId, Path, description = "The member's id (UUIDv7)")),
    responses((status = 201, description = "The code", body = Invitation), Errors, NotFound))]
async fn invite(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(member): ApiPath<MemberId>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    let code = domain::invite(&st.core(), &p, member)?;
    Ok((
        StatusCode::CREATED,
        Json(Invitation {
            code,
            expires_in: INVITATION_TTL_MS / 1000,
        }),
    ))
}

/// A member's login to open.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    /// The invitation code the store handed over; one that is unknown, used or expired is
    /// refused with 422.
    #[schema(schema_with = text64)]
    code: String,
    /// 1 to 64 characters, not blank, no control characters but tab and newline.
    #[schema(schema_with = text64)]
    username: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    password: String,
}

/// A member's login, opened and signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedUp {
    /// The bearer token of the new session.
    pub token: String,
    pub user: UserView,
    /// The member file the login belongs to.
    pub member: MemberId,
}

/// Opens a member's own login from an invitation code and signs them in. Needs no session.
///
/// A code that is unknown, used or expired is refused with 422; a username that is taken with
/// 409.
#[utoipa::path(post, path = "/api/member-signup", tag = "accounts", security(()),
    request_body = Signup,
    responses((status = 201, description = "Signed up and signed in", body = SignedUp),
        (status = 400, description = "A field is malformed",
            content_type = "application/problem+json", body = super::error::Problem),
        Conflict, BodyErrors))]
async fn member_signup(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<Signup>,
) -> Result<(StatusCode, Json<SignedUp>), ApiError> {
    let accounts = st.accounts.clone();
    let done = blocking(move || {
        domain::member_signup(&accounts, &req.code, &req.username, &req.password)
            .map_err(ApiError::from)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            token: done.token,
            user: (&done.user).into(),
            member: done.member,
        }),
    ))
}
