//! Partner merchants (友好商户, 003: hotels, restaurants, car washes… giving members a discount)
//! and corporate agreements (大客户协议, 002: a company's one-year agreement with a fleet price, a
//! dedicated service advisor and on-site check days).
//!
//! Both are plain records of a store, kept as JSON under `partner/<id>` and `corporate/<id>` and
//! written with their audit record in one batch. A partner is never deleted, only deactivated, so
//! what members were offered stays on file.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use carclub_shared::{StoreId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;

use super::{load, load_all, now, save, text};
use crate::storage::keys::PARTNERS;
use crate::domain::partners::{Agreement, AgreementId, Contact, Partner, PartnerId, PartnerKind};
use crate::http::api::{ApiError, ApiJson, AppState, Caller};
use crate::domain::audit::Entry;
use crate::domain::auth::{Principal, Role};
use crate::domain::Core;
use crate::domain::perm::{self, Op, Scope, Target};
use crate::storage::Batch;

/// The most on-site check days one agreement lists.
const MAX_CHECK_DAYS: usize = 24;

/// The routes of partners and corporate agreements.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/partners", get(list_partners).post(create_partner))
        .route("/api/partners/{id}/deactivate", post(deactivate_partner))
        .route(
            "/api/corporate-accounts",
            get(list_agreements).post(create_agreement),
        )
        .route("/api/corporate-accounts/{id}", get(get_agreement))
}

/// Whether a record of `store` is within `scope`; a member's login sees their own store's.
fn in_scope(p: &Principal, scope: Scope, store: StoreId) -> bool {
    match scope {
        Scope::Own => store == p.user.store,
        s => perm::within(p, s, store, None),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPartner {
    name: String,
    kind: PartnerKind,
    discount: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    valid_from: Date,
    #[serde(with = "carclub_shared::types::iso_date")]
    valid_until: Date,
    store: Option<StoreId>,
}

async fn create_partner(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewPartner>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = text::<100>("the name", &req.name)?;
    let discount = text::<200>("the discount", &req.discount)?;
    if req.valid_until < req.valid_from {
        return Err(ApiError::BadRequest(
            "valid_until may not be before valid_from".into(),
        ));
    }
    let store = req.store.unwrap_or(p.user.store);
    perm::check(&p, Op::ManagePartners, Target::store(store))?;
    let core = st.core();
    if st.accounts.store_record(store)?.is_none() {
        return Err(ApiError::NotFound(format!("store {store} is not known")));
    }
    let partner = Partner {
        id: PartnerId::new(),
        store,
        name,
        kind: req.kind,
        discount,
        valid_from: req.valid_from,
        valid_until: req.valid_until,
        active: true,
        created_by: p.user.id,
        created_at: now(),
        deactivated_at: None,
    };
    save(
        &core,
        Batch::default(),
        &p,
        String::from_utf8_lossy(&PARTNERS.key(&partner.id.0)).into_owned(),
        &partner,
        Entry {
            action: "partner_created",
            store,
            member: None,
            detail: partner.name.clone(),
        },
    )?;
    Ok((StatusCode::CREATED, Json(json!(partner))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerQuery {
    /// Only partners active and within their dates today.
    current: Option<bool>,
}

async fn list_partners(
    State(st): State<AppState>,
    Caller(p): Caller,
    q: Result<Query<PartnerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let scope = perm::check_any(&p, Op::ViewPartners)?;
    // Members see only what they can use today.
    let current = q.current.unwrap_or(false) || p.user.role == Role::Member;
    let today = now().date();
    let core = st.core();
    let list: Vec<Partner> = load_all::<Partner>(&core, "partner/")?
        .into_iter()
        .filter(|x| in_scope(&p, scope, x.store))
        .filter(|x| !current || x.current(today))
        .collect();
    Ok(Json(json!({ "partners": list })))
}

async fn deactivate_partner(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = PartnerId::parse(&id)?;
    let core = st.core();
    let mut partner: Partner = load(&core, &String::from_utf8_lossy(&PARTNERS.key(&id.0)), &format!("partner {id}"))?;
    perm::check(&p, Op::ManagePartners, Target::store(partner.store))?;
    if !partner.active {
        return Err(ApiError::Conflict(format!(
            "partner {id} is already deactivated"
        )));
    }
    partner.active = false;
    partner.deactivated_at = Some(now());
    save(
        &core,
        Batch::default(),
        &p,
        String::from_utf8_lossy(&PARTNERS.key(&id.0)).into_owned(),
        &partner,
        Entry {
            action: "partner_deactivated",
            store: partner.store,
            member: None,
            detail: partner.name.clone(),
        },
    )?;
    Ok(Json(json!(partner)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgreement {
    company: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    term_start: Date,
    fleet_price_note: String,
    contact: Contact,
    service_advisor: UserId,
    #[serde(default)]
    on_site_check_days: Vec<String>,
    store: Option<StoreId>,
}

/// The last day of a one-year term starting on `start`.
fn one_year_end(start: Date) -> Option<Date> {
    let anniversary = start
        .replace_year(start.year() + 1)
        .or_else(|_| {
            // 29 February: the anniversary is 1 March.
            Date::from_calendar_date(start.year() + 1, time::Month::March, 1)
        })
        .ok()?;
    anniversary.previous_day()
}

fn parse_day(raw: &str) -> Result<Date, ApiError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), &fmt)
        .map_err(|_| ApiError::BadRequest(format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

async fn create_agreement(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewAgreement>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let company = text::<100>("the company", &req.company)?;
    let fleet_price_note = text::<500>("the fleet price note", &req.fleet_price_note)?;
    let contact_name = text::<50>("the contact's name", &req.contact.name)?;
    let term_end = one_year_end(req.term_start)
        .ok_or_else(|| ApiError::BadRequest("the term start is out of range".into()))?;
    if req.on_site_check_days.len() > MAX_CHECK_DAYS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_CHECK_DAYS} on-site check days"
        )));
    }
    let mut days = Vec::new();
    for raw in &req.on_site_check_days {
        let d = parse_day(raw)?;
        if d < req.term_start || d > term_end {
            return Err(ApiError::BadRequest(format!(
                "on-site check day {d} is outside the term {} to {term_end}",
                req.term_start
            )));
        }
        days.push(d);
    }
    days.sort();
    days.dedup();
    let store = req.store.unwrap_or(p.user.store);
    perm::check(&p, Op::ManageCorporate, Target::store(store))?;
    let advisor = st
        .accounts
        .user(req.service_advisor)?
        .filter(|u| u.role == Role::ServiceAdvisor && u.store == store)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "user {} is not a service advisor of the store",
                req.service_advisor
            ))
        })?;
    let mut core = st.core();
    let a = Agreement {
        id: AgreementId::new(),
        store,
        company,
        term_start: req.term_start,
        term_end,
        fleet_price_note,
        contact: Contact {
            name: contact_name,
            phone: req.contact.phone,
        },
        service_advisor: advisor.id,
        on_site_check_days: days.iter().map(ToString::to_string).collect(),
        created_by: p.user.id,
        created_at: now(),
    };
    save(
        &core,
        Batch::default(),
        &p,
        format!("corporate/{}", a.id),
        &a,
        Entry {
            action: "corporate_agreement_created",
            store,
            member: None,
            detail: format!("{} from {} to {}", a.company, a.term_start, a.term_end),
        },
    )?;
    publish_new_company(&st, &mut core, store)?;
    Ok((StatusCode::CREATED, Json(json!(a))))
}

/// Tells the devices of the store's field staff who may visit the new company (those assigned to
/// the whole store) that they may now start visits there.
fn publish_new_company(st: &AppState, core: &mut Core, store: StoreId) -> Result<(), ApiError> {
    let mut batch = Batch::default();
    let mut touched = Vec::new();
    for user in st.accounts.users()? {
        if user.role != Role::FieldStaff || user.store != store || user.disabled {
            continue;
        }
        let assignment = st.accounts.assignment(&user)?;
        if assignment.companies().is_none() {
            touched.extend(crate::http::accounts::publish_reach(
                core,
                &user,
                &assignment,
                &mut batch,
            )?);
        }
    }
    core.commit(batch, touched)?;
    Ok(())
}

async fn list_agreements(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> Result<Json<Value>, ApiError> {
    let scope = perm::check_any(&p, Op::ViewCorporate)?;
    let core = st.core();
    let list: Vec<Agreement> = load_all::<Agreement>(&core, "corporate/")?
        .into_iter()
        .filter(|a| in_scope(&p, scope, a.store))
        .collect();
    Ok(Json(json!({ "agreements": list })))
}

async fn get_agreement(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = AgreementId::parse(&id)?;
    let core = st.core();
    let a: Agreement = load(
        &core,
        &format!("corporate/{id}"),
        &format!("agreement {id}"),
    )?;
    perm::check(&p, Op::ViewCorporate, Target::store(a.store))?;
    Ok(Json(json!(a)))
}
