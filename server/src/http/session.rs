//! Signing in and registering devices: the two routes that take a password instead of a token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use carclub_protocol::docs::{self, CardBlock, CompanyRef};
use carclub_shared::{DeviceId, Role, StoreId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Code, Detail, Errors};
use super::extract::{ApiJson, authenticate, bearer};
use crate::domain::auth::{LOGIN_TTL_MS, User};
use crate::domain::terms::{self, TierTerms};

/// The routes of sessions and devices.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(register_device))
}

/// A username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Who signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub store: StoreId,
}

/// A new login session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// The bearer token for every other call.
    pub token: String,
    /// Seconds until the session ends.
    pub expires_in: i64,
    pub user: SignedIn,
}

fn check_credentials_shape(username: &str, password: &str) -> Result<(), ApiError> {
    let (u, p) = (username.chars().count(), password.chars().count());
    if !(1..=64).contains(&u) || !(1..=128).contains(&p) {
        return Err(ApiError::BadRequest(Detail::new(
            Code::CredentialsRequired,
            "username (1 to 64 characters) and password (1 to 128) are required",
            "请填写用户名（1 到 64 个字符）和密码（1 到 128 个字符）",
        )));
    }
    Ok(())
}

async fn check_password(
    st: &AppState,
    username: String,
    password: String,
) -> Result<User, ApiError> {
    check_credentials_shape(&username, &password)?;
    let accounts = st.accounts.clone();
    tokio::task::spawn_blocking(move || accounts.check_password(&username, &password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Signs a person in: a bearer token for the back office or the member app, valid for 12 hours.
#[utoipa::path(post, path = "/api/login", tag = "session", security(()),
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = Session), Errors, BodyErrors))]
async fn login(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<Session>, ApiError> {
    let user = check_password(&st, req.username, req.password).await?;
    let token = st.accounts.login(&user)?;
    tracing::info!(user = %user.username, "signed in");
    Ok(Json(Session {
        token,
        expires_in: LOGIN_TTL_MS / 1000,
        user: SignedIn {
            id: user.id,
            username: user.username,
            name: user.name,
            role: user.role,
            store: user.store,
        },
    }))
}

/// Ends the session of the token sent.
#[utoipa::path(post, path = "/api/logout", tag = "session",
    responses((status = 204, description = "Signed out"), Errors))]
async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or_else(|| {
        ApiError::Unauthorized(Detail::new(
            Code::Unauthorized,
            "no session to end",
            "没有可退出的登录会话",
        ))
    })?;
    authenticate(&st, Some(token.clone())).await?;
    st.accounts.logout(&token)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A field device asking to be registered by the person who will use it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
    /// What the device is called (e.g. "王芳的手机").
    #[schema(min_length = 1, max_length = 64)]
    name: String,
}

/// The person a device is registered to.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceUser {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
}

/// The store a device works for.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceStore {
    pub id: StoreId,
    pub name: String,
    /// The club program the store runs (a preset name).
    pub program: String,
}

/// The documents a device syncs, as automerge URLs.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceDocs {
    /// The device's own journal (it writes only this).
    pub journal: String,
    /// The outcomes of its events (read-only).
    pub status: String,
    /// The store's member directory (read-only).
    pub directory: String,
    /// The directories the device reads: the store's, or its companies' (none for a member's
    /// own phone).
    pub directories: Vec<String>,
    /// A member's own phone: their member file (file and state, read-only); null for staff.
    #[schema(required = true)]
    pub member: Option<String>,
    /// A member's own phone: their record — accepted events and invitations — that the phone
    /// projects offline (read-only); null for staff.
    #[schema(required = true)]
    pub record: Option<String>,
    /// A member's own phone: their store's club document — program and partner merchants
    /// (read-only); null for staff.
    #[schema(required = true)]
    pub club: Option<String>,
}

/// A registered device.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceRegistration {
    pub device_id: DeviceId,
    /// The device's bearer token (it does not expire; the back office can revoke the device).
    pub token: String,
    pub user: DeviceUser,
    pub store: DeviceStore,
    pub docs: DeviceDocs,
    /// The companies the device's person may start visits at.
    pub companies: Vec<CompanyRef>,
    /// Card numbers the device may issue offline.
    pub card_blocks: Vec<CardBlock>,
    /// The joining terms of the store's program.
    pub tiers: Vec<TierTerms>,
}

/// Registers a device with the password of its person: a device token and the documents it
/// syncs. A field device gets a block of card numbers to issue offline; a member's own phone gets
/// no cards and no directory, but their member file, their record and their store's club
/// document.
#[utoipa::path(post, path = "/api/devices", tag = "session", security(()),
    request_body = DeviceRequest,
    responses((status = 200, description = "The device is registered", body = DeviceRegistration),
        Errors, BodyErrors))]
async fn register_device(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<Json<DeviceRegistration>, ApiError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::BadRequest(Detail::new(
            Code::InvalidDeviceName,
            "the device name must have 1 to 64 characters",
            "设备名称须为 1 到 64 个字符",
        )));
    }
    let user = check_password(&st, req.username, req.password).await?;
    let store = st.accounts.store_record(user.store)?.ok_or_else(|| {
        ApiError::internal(format!(
            "store {} of user {} is missing",
            user.store, user.username
        ))
    })?;
    let member = match user.role {
        Role::Member => Some(st.accounts.member_of(user.id)?.ok_or_else(|| {
            ApiError::internal(format!("member login {} has no member", user.username))
        })?),
        _ => None,
    };
    let (device, token) = st.accounts.register_device(&user, &name)?;
    let assignment = st.accounts.assignment(&user)?;
    let (companies, member_docs) = {
        let mut core = st.core();
        core.setup_device(&device, store.id)?;
        match member {
            Some(m) => (
                Vec::new(),
                Some(crate::domain::member_device::setup(&mut core, m, store.id)?),
            ),
            None => (
                crate::domain::partners::visitable(&core, store.id, &assignment)?,
                None,
            ),
        }
    };
    let directories: Vec<String> = match member {
        Some(_) => Vec::new(),
        None => assignment
            .directories(store.id)
            .iter()
            .map(|d| d.url())
            .collect(),
    };
    tracing::info!(user = %user.username, device = %device.id, "device registered");
    Ok(Json(DeviceRegistration {
        device_id: device.id,
        token,
        user: DeviceUser {
            id: user.id,
            username: user.username,
            name: user.name,
            role: user.role,
        },
        docs: DeviceDocs {
            journal: docs::journal_id(device.id).url(),
            status: docs::status_id(device.id).url(),
            directory: docs::directory_id(store.id).url(),
            directories,
            member: member_docs.map(|d| d.file.url()),
            record: member_docs.map(|d| d.record.url()),
            club: member_docs.map(|d| d.club.url()),
        },
        tiers: terms::tiers(&store.program),
        store: DeviceStore {
            id: store.id,
            name: store.name,
            program: store.program,
        },
        companies,
        card_blocks: device.card_blocks,
    }))
}
