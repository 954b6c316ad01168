//! The HTTP API: JSON in, JSON out, errors as `application/problem+json`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_protocol::docs;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::auth::Accounts;

use crate::domain::perm::{self, Op};
use crate::sync::{Locked, Shared};

pub use super::error::{ApiError, problem};
pub use super::extract::{ApiJson, Caller, authenticate, bearer, blocking};
use crate::domain::terms;

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub shared: Arc<Shared>,
    pub accounts: Accounts,
}

impl AppState {
    /// The state of a server over `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            accounts: shared.accounts().clone(),
            shared,
        }
    }

    /// The core, locked; what its commits change reaches the devices when the lock is let go.
    pub fn core(&self) -> Locked<'_> {
        self.shared.lock()
    }
}

/// A phone or ID number with its middle hidden, for roles that do not need it (DOMAIN.md §7).
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// The routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/devices", post(register_device))
        .route("/api/members", get(members))
        .route("/api/conflicts", get(conflicts))
        .merge(crate::http::accounts::routes())
        .merge(crate::http::ops::routes())
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn check_credentials_shape(username: &str, password: &str) -> Result<(), ApiError> {
    if username.is_empty() || username.len() > 64 || password.is_empty() || password.len() > 128 {
        return Err(ApiError::BadRequest(
            "username (1 to 64 characters) and password (1 to 128) are required".into(),
        ));
    }
    Ok(())
}

async fn check_password(
    st: &AppState,
    username: String,
    password: String,
) -> Result<crate::domain::auth::User, ApiError> {
    check_credentials_shape(&username, &password)?;
    let accounts = st.accounts.clone();
    Ok(
        tokio::task::spawn_blocking(move || accounts.check_password(&username, &password))
            .await
            .map_err(|e| ApiError::internal(e))??,
    )
}

async fn login(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let user = check_password(&st, req.username, req.password).await?;
    let token = st.accounts.login(&user)?;
    tracing::info!(user = %user.username, "signed in");
    Ok(Json(json!({
        "token": token,
        "expires_in": crate::domain::auth::LOGIN_TTL_MS / 1000,
        "user": {"id": user.id, "username": user.username, "name": user.name, "role": user.role, "store": user.store},
    })))
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let token =
        bearer(&headers).ok_or_else(|| ApiError::Unauthorized("no session to end".into()))?;
    authenticate(&st, Some(token.clone())).await?;
    st.accounts.logout(&token)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceRequest {
    username: String,
    password: String,
    name: String,
}

async fn register_device(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<Json<Value>, ApiError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::BadRequest(
            "the device name must have 1 to 64 characters".into(),
        ));
    }
    let user = check_password(&st, req.username, req.password).await?;
    let store = st.accounts.store_record(user.store)?.ok_or_else(|| {
        ApiError::internal(format!(
            "store {} of user {} is missing",
            user.store, user.username
        ))
    })?;
    let (device, token) = st.accounts.register_device(&user, &name)?;
    let assignment = st.accounts.assignment(&user)?;
    let companies = {
        let mut core = st.core();
        core.setup_device(&device, store.id)?;
        crate::domain::partners::visitable(&core, store.id, &assignment)?
    };
    let directories: Vec<String> = assignment
        .directories(store.id)
        .iter()
        .map(|d| d.url())
        .collect();
    tracing::info!(user = %user.username, device = %device.id, "device registered");
    Ok(Json(json!({
        "device_id": device.id,
        "token": token,
        "user": {"id": user.id, "username": user.username, "name": user.name, "role": user.role},
        "store": {"id": store.id, "name": store.name, "program": store.program},
        "docs": {
            "journal": docs::journal_id(device.id).url(),
            "status": docs::status_id(device.id).url(),
            "directory": docs::directory_id(store.id).url(),
            "directories": directories,
        },
        "companies": companies,
        "card_blocks": device.card_blocks,
        "tiers": terms::tiers(&store.program),
    })))
}

#[derive(Deserialize)]
struct MemberQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    limit: Option<usize>,
}

async fn members(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<MemberQuery>,
) -> Result<Json<Value>, ApiError> {
    let p = authenticate(&st, bearer(&headers)).await?;
    let scope = perm::check_any(&p, Op::ListMembers)?;
    let contact = perm::scope(p.user.role, Op::SeeContact);
    if query.q.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "the search text may have at most 100 characters".into(),
        ));
    }
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    let q = query.q.trim().to_uppercase();
    let core = st.core();
    let list: Vec<Value> = core
        .members
        .values()
        .filter(|m| perm::within_member(&p, scope, m.store, m.id, m.company))
        .filter(|m| {
            q.is_empty()
                || m.name.to_uppercase().contains(&q)
                || m.phone.as_str().contains(&q)
                || m.card.as_str().contains(&q)
                || m.vehicles
                    .iter()
                    .any(|v| v.vin.as_str().contains(&q) || v.plate.as_str().contains(&q))
        })
        .take(limit)
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.name,
                "phone": if perm::within_member(&p, contact, m.store, m.id, m.company) {
                    m.phone.to_string()
                } else {
                    mask(m.phone.as_str())
                },
                "vin": m.vehicles.first().map(|v| v.vin.to_string()),
                "plate": m.vehicles.first().map(|v| v.plate.to_string()),
                "tier": m.tier,
                "card": m.card,
                "status": m.status,
                "store": m.store,
                "company": m.company,
                "enrolled_at": m.enrolled_at,
                "url": docs::member_id(m.id).url(),
                "conflicts": m.conflicts,
            })
        })
        .collect();
    Ok(Json(json!({ "members": list })))
}

async fn conflicts(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let p = authenticate(&st, bearer(&headers)).await?;
    let scope = perm::check_any(&p, Op::ViewConflicts)?;
    let core = st.core();
    let list: Vec<Value> = core
        .conflicts
        .values()
        .filter(|c| perm::within(&p, scope, c.store, None))
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    Ok(Json(json!({ "conflicts": list })))
}
