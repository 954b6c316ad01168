//! The accounts API: stores, staff, revoking sessions and devices, and members' own logins.
//!
//! Who may do what comes from the permission matrix (`manage_stores`, `manage_staff`,
//! `invite_member`); on top of it nobody creates an account that outranks their own (a club
//! manager cannot create a general manager), and member logins come only from invitation codes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_shared::{DeviceId, MemberId, StoreId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::accounts::INVITATION_TTL_MS;
use crate::http::api::{ApiError, ApiJson, AppState, Caller, blocking};
use crate::domain::audit::{self, Entry};
use crate::domain::auth::{Assignment, Principal, Role, User};
use crate::domain::Core;
use crate::domain::perm::{self, Op, Target};
use crate::storage::{Batch, StoreError};
use carclub_protocol::{DocumentId, docs};

/// The routes of the accounts API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/stores", get(list_stores).post(create_store))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}/revoke-sessions", post(revoke_sessions))
        .route("/api/users/{id}/devices", get(user_devices))
        .route(
            "/api/users/{id}/assignment",
            get(get_assignment).put(set_assignment),
        )
        .route("/api/devices/{id}/revoke", post(revoke_device))
        .route("/api/members/{id}/invitations", post(invite))
        .route("/api/member-signup", post(member_signup))
        .route("/api/permissions", get(permissions))
}

/// `GET /api/permissions`: the permission matrix, for the app to offer only what is allowed.
async fn permissions() -> Json<Value> {
    Json(perm::matrix_json())
}

fn user_json(u: &User) -> Value {
    json!({"id": u.id, "username": u.username, "name": u.name, "role": u.role, "store": u.store})
}

/// A user with their assignment (field staff: the whole store or some companies).
fn staff_json(st: &AppState, u: &User) -> Result<Value, ApiError> {
    let mut v = user_json(u);
    v["assignment"] = json!(st.accounts.assignment(u)?);
    Ok(v)
}

fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{field} must have 1 to {max} characters"
        )));
    }
    Ok(v.to_owned())
}

fn parse_id<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} {raw:?} is not a valid id (a UUID)")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStore {
    name: String,
    program: String,
}

async fn create_store(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewStore>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    perm::check_any(&p, Op::ManageStores)?;
    let name = text("the store name", &req.name, 64)?;
    let program = req.program.trim().to_uppercase();
    if crate::domain::terms::program(&program).is_none() {
        return Err(ApiError::BadRequest(format!(
            "program {:?} is not known; choose preset A, B or C",
            req.program
        )));
    }
    let store = st.accounts.create_store(&name, &program)?;
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "create_store",
            store: store.id,
            member: None,
            detail: format!("{} on program {}", store.name, store.program),
        },
    )?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": store.id, "name": store.name, "program": store.program})),
    ))
}

async fn list_stores(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<Value>, ApiError> {
    perm::check_any(&p, Op::ListMembers)?;
    let stores: Vec<Value> = st
        .accounts
        .stores()?
        .into_iter()
        .map(|s| json!({"id": s.id, "name": s.name, "program": s.program}))
        .collect();
    Ok(Json(json!({ "stores": stores })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    name: String,
    password: String,
    role: Role,
    store: Option<StoreId>,
}

/// How senior a role is, for "nobody creates an account that outranks their own".
fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 3,
        Role::GeneralManager => 2,
        Role::ClubManager => 1,
        _ => 0,
    }
}

async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = req.store.unwrap_or(p.user.store);
    perm::check(&p, Op::ManageStaff, Target::store(store))?;
    if req.role == Role::Member {
        return Err(ApiError::BadRequest(
            "member logins are created from an invitation code (POST /api/member-signup)".into(),
        ));
    }
    if rank(req.role) >= rank(p.user.role) && p.user.role != Role::Admin {
        return Err(ApiError::Forbidden(format!(
            "your role ({}) may not create a {} account",
            p.user.role.as_str(),
            req.role.as_str()
        )));
    }
    let username = text("the username", &req.username, 64)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::BadRequest(
            "the username may use letters, digits, '.', '_' and '-'".into(),
        ));
    }
    let name = text("the name", &req.name, 64)?;
    if st.accounts.store_record(store)?.is_none() {
        return Err(ApiError::NotFound(format!("store {store} does not exist")));
    }
    let accounts = st.accounts.clone();
    let (role, password) = (req.role, req.password);
    let user = blocking(move || {
        accounts
            .create_user(&username, &name, role, store, &password)
            .map_err(ApiError::from)
    })
    .await?;
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "create_user",
            store,
            member: None,
            detail: format!("{} as {}", user.username, user.role.as_str()),
        },
    )?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

async fn list_users(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<Value>, ApiError> {
    let scope = perm::check_any(&p, Op::ManageStaff)?;
    let users: Vec<Value> = st
        .accounts
        .users()?
        .iter()
        .filter(|u| perm::within(&p, scope, u.store, None))
        .map(|u| staff_json(&st, u))
        .collect::<Result<_, _>>()?;
    Ok(Json(json!({ "users": users })))
}

/// The user `raw` names, if `p` manages it (or it is `p`).
fn managed_user(st: &AppState, p: &Principal, raw: &str) -> Result<User, ApiError> {
    let id: UserId = parse_id("user", raw)?;
    let user = st
        .accounts
        .user(id)?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    if user.id != p.user.id {
        perm::check(p, Op::ManageStaff, Target::store(user.store))?;
    }
    Ok(user)
}

/// The field staff account `raw` names, if `p` manages staff of its store.
fn managed_field_staff(st: &AppState, p: &Principal, raw: &str) -> Result<User, ApiError> {
    let id: UserId = parse_id("user", raw)?;
    let user = st
        .accounts
        .user(id)?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} does not exist")))?;
    perm::check(p, Op::ManageStaff, Target::store(user.store))?;
    if user.role != Role::FieldStaff {
        return Err(ApiError::Unprocessable(format!(
            "only field staff are assigned to companies; {} is a {} and sees what the role allows",
            user.username,
            user.role.as_str()
        )));
    }
    Ok(user)
}

/// `GET /api/users/{id}/assignment`: which members a field staff account works with.
async fn get_assignment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = managed_field_staff(&st, &p, &id)?;
    Ok(Json(staff_json(&st, &user)?))
}

/// `PUT /api/users/{id}/assignment`: assigns a field staff account to the whole store or to
/// companies (corporate agreements) of its store. The user's devices learn the directories they
/// now read through their status documents at the next sync; every request and sync message
/// after this one is checked against the new assignment.
async fn set_assignment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    ApiJson(assignment): ApiJson<Assignment>,
) -> Result<Json<Value>, ApiError> {
    let user = managed_field_staff(&st, &p, &id)?;
    let mut guard = st.core();
    let core = &mut *guard;
    let mut names = Vec::new();
    for company in assignment.companies().unwrap_or_default() {
        match crate::domain::partners::company(core, *company)? {
            Some((store, name)) if store == user.store => names.push(name),
            _ => {
                return Err(ApiError::Unprocessable(format!(
                    "company {company} has no corporate agreement with the store of {}",
                    user.username
                )));
            }
        }
    }
    let mut batch = Batch::default();
    st.accounts
        .put_assignment(&mut batch, user.id, &assignment)?;
    let touched = publish_reach(core, &user, &assignment, &mut batch)?;
    let detail = if names.is_empty() {
        format!("{} to the whole store", user.username)
    } else {
        format!("{} to {}", user.username, names.join(", "))
    };
    audit::record(
        core.store.as_ref(),
        &mut batch,
        &p,
        Entry {
            action: "assign_staff",
            store: user.store,
            member: None,
            detail,
        },
    )?;
    core.commit(batch, touched)?;
    drop(guard);
    tracing::info!(user = %user.username, by = %p.user.username, "assignment changed");
    Ok(Json(staff_json(&st, &user)?))
}

/// Writes what `user` reaches under `assignment` (the directories they read, the companies they
/// may visit) into the status documents of their devices, which is how devices learn of it at
/// their next sync. Returns the documents changed.
pub(crate) fn publish_reach(
    core: &mut Core,
    user: &User,
    assignment: &Assignment,
    batch: &mut Batch,
) -> Result<Vec<DocumentId>, StoreError> {
    let directories = assignment.directories(user.store);
    for dir in &directories {
        core.ensure_directory(batch, user.store, *dir)?;
    }
    let urls: Vec<String> = directories.iter().map(|d| d.url()).collect();
    let visitable = crate::domain::partners::visitable(core, user.store, assignment)?;
    let mut touched = Vec::new();
    for device in core.accounts.devices_of(user.id)? {
        let status = docs::status_id(device.id);
        if core.docs.load(core.store.as_ref(), &status)?
            && let Some(doc) = core.docs.get_mut(&status)
        {
            let directories = docs::write_field(doc, "directories", &urls);
            let companies = docs::write_field(doc, "companies", &visitable);
            if directories || companies {
                core.docs.save(&status, batch);
                touched.push(status);
            }
        }
    }
    Ok(touched)
}

async fn revoke_sessions(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = managed_user(&st, &p, &id)?;
    st.accounts.revoke_sessions(user.id)?;
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "revoke_sessions",
            store: user.store,
            member: None,
            detail: user.username.clone(),
        },
    )?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user_devices(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = managed_user(&st, &p, &id)?;
    let devices: Vec<Value> = st
        .accounts
        .devices_of(user.id)?
        .iter()
        .map(|d| json!({"id": d.id, "name": d.name, "registered_ms": d.registered_ms, "revoked": d.revoked}))
        .collect();
    Ok(Json(json!({ "devices": devices })))
}

async fn revoke_device(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: DeviceId = parse_id("device", &id)?;
    let device = st
        .accounts
        .device(id)?
        .ok_or_else(|| ApiError::NotFound(format!("device {id} does not exist")))?;
    let owner = managed_user(&st, &p, &device.user.to_string())?;
    st.accounts.revoke_device(id)?;
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "revoke_device",
            store: owner.store,
            member: None,
            detail: format!("{} of {}", device.name, owner.username),
        },
    )?;
    Ok(StatusCode::NO_CONTENT)
}

async fn invite(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let member: MemberId = parse_id("member", &id)?;
    let (store, company) = st
        .core()
        .members
        .get(&member)
        .map(|m| (m.store, m.company))
        .ok_or_else(|| ApiError::NotFound(format!("member {member} is not on file")))?;
    perm::check(&p, Op::InviteMember, Target::member(store, member, company))?;
    let code = st.accounts.invite(member, store)?;
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "invite_member",
            store,
            member: Some(member),
            detail: "invitation code handed over".into(),
        },
    )?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"code": code, "expires_in": INVITATION_TTL_MS / 1000})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Signup {
    code: String,
    username: String,
    password: String,
}

async fn member_signup(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<Signup>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let code = text("the invitation code", &req.code, 64)?;
    let username = text("the username", &req.username, 64)?;
    let accounts = st.accounts.clone();
    let password = req.password;
    let (user, member) = blocking(move || {
        accounts
            .accept_invitation(&code, &username, &password)
            .map_err(ApiError::from)
    })
    .await?;
    let token = st.accounts.login(&user)?;
    let p = Principal {
        user: user.clone(),
        device: None,
        member: Some(member),
        assignment: Assignment::Store,
    };
    audit::record_now(
        st.accounts.store.as_ref(),
        &p,
        Entry {
            action: "member_signup",
            store: user.store,
            member: Some(member),
            detail: user.username.clone(),
        },
    )?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": token, "user": user_json(&user), "member": member})),
    ))
}
