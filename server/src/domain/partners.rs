//! Partner merchants (友好商户, 003: hotels, restaurants, car washes… giving members a discount)
//! and corporate agreements (大客户协议, 002: a company's one-year agreement with a fleet price, a
//! dedicated service advisor and on-site check days).
//!
//! Both are plain records of a store, written with their audit record in one batch. A partner is
//! never deleted, only deactivated, so what members were offered stays on file. A company's id is
//! its agreement's.

use carclub_protocol::docs::CompanyRef;
use carclub_shared::types::ParseError;
use carclub_shared::{CompanyId, Phone, StoreId, Text, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::Core;
use super::audit::{self, Entry};
use super::auth::{Assignment, Principal, Role};
use super::perm::{self, Op, Scope, Target};
use super::{accounts, member_device};
use crate::storage::keys::{AGREEMENTS, PARTNERS};
use crate::storage::{Batch, StoreError};

/// The most on-site check days one agreement lists.
pub const MAX_CHECK_DAYS: usize = 24;

record_id!(
    /// A partner merchant.
    #[derive(ToSchema)]
    PartnerId,
    "partner"
);
record_id!(
    /// A corporate agreement (its id is also the company's).
    #[derive(ToSchema)]
    AgreementId,
    "corporate agreement"
);

/// What kind of merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    Hotel,
    Restaurant,
    CarWash,
    Fuel,
    Insurance,
    Other,
}

/// A partner merchant on file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Partner {
    pub id: PartnerId,
    pub store: StoreId,
    pub name: String,
    pub kind: PartnerKind,
    /// What members get, in the merchant's words.
    pub discount: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub valid_from: Date,
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub valid_until: Date,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    /// When it was deactivated; null while active.
    #[schema(required = true)]
    pub deactivated_at: Option<Timestamp>,
}

impl Partner {
    /// Active and within its dates today.
    pub fn current(&self, today: Date) -> bool {
        self.active && self.valid_from <= today && today <= self.valid_until
    }
}

/// The company's contact person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(value_type = carclub_shared::PersonName)]
    pub name: String,
    pub phone: Phone,
}

/// A day of the calendar, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Date)]
pub struct Day(#[serde(with = "carclub_shared::types::iso_date")] pub Date);

/// A corporate agreement on file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Agreement {
    pub id: AgreementId,
    pub store: StoreId,
    pub company: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub term_start: Date,
    /// One year after the start, the day before its anniversary.
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub term_end: Date,
    pub fleet_price_note: String,
    pub contact: Contact,
    /// The dedicated service advisor (a `service_advisor` of the store).
    pub service_advisor: UserId,
    /// Days of free on-site checks and pre-inspection at the company, within the term.
    pub on_site_check_days: Vec<Day>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// The store and name of the company whose agreement has the id `company` (a company's id is its
/// agreement's), if there is one.
pub fn company(core: &Core, company: CompanyId) -> Result<Option<(StoreId, String)>, StoreError> {
    let a: Option<Agreement> = AGREEMENTS.get(core.store.as_ref(), &company)?;
    Ok(a.map(|a| (a.store, a.company)))
}

/// The companies a holder of `assignment` in `store` may start visits at: the assigned ones, or
/// every company under agreement with the store.
pub fn visitable(
    core: &Core,
    store: StoreId,
    assignment: &Assignment,
) -> Result<Vec<CompanyRef>, StoreError> {
    let mut out = Vec::new();
    for a in AGREEMENTS.all::<Agreement>(core.store.as_ref())? {
        let id = CompanyId(a.id.0);
        if a.store == store && assignment.companies().is_none_or(|list| list.contains(&id)) {
            out.push(CompanyRef {
                id,
                name: a.company,
            });
        }
    }
    Ok(out)
}

/// Why an operation on partners or corporate agreements was refused.
#[derive(Debug, thiserror::Error)]
pub enum PartnersError {
    /// A text field is empty, too long or holds control characters.
    #[error("{field}: {source}")]
    BadText {
        field: &'static str,
        source: ParseError,
    },
    /// A partner's offer would end before it starts.
    #[error("valid_until may not be before valid_from")]
    EndsBeforeStart { from: Date, until: Date },
    /// A term starting so late its end cannot be written.
    #[error("the term start is out of range")]
    TermOutOfRange { start: Date },
    /// More on-site check days than an agreement may list.
    #[error("at most {MAX_CHECK_DAYS} on-site check days")]
    TooManyCheckDays { count: usize },
    /// An on-site check day outside the agreement's term.
    #[error("on-site check day {day} is outside the term {start} to {end}")]
    CheckDayOutsideTerm { day: Date, start: Date, end: Date },
    /// The store named is not one of the group's.
    #[error("store {store} is not known")]
    UnknownStore { store: StoreId },
    /// The dedicated advisor named is not a service advisor of the agreement's store.
    #[error("user {user} is not a service advisor of the store")]
    NotAnAdvisor { user: UserId },
    /// No partner has this id.
    #[error("partner {partner} is not on file")]
    UnknownPartner { partner: PartnerId },
    /// The partner is deactivated already.
    #[error("partner {partner} is already deactivated")]
    AlreadyDeactivated { partner: PartnerId },
    /// No agreement has this id.
    #[error("agreement {agreement} is not on file")]
    UnknownAgreement { agreement: AgreementId },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a text field of up to `N` characters; the text trimmed.
fn text<const N: usize>(field: &'static str, raw: &str) -> Result<String, PartnersError> {
    Text::<N>::parse(raw)
        .map(|t| t.as_str().to_owned())
        .map_err(|source| PartnersError::BadText { field, source })
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// Whether a record of `store` is within `scope`; a member's login sees their own store's.
fn in_scope(p: &Principal, scope: Scope, store: StoreId) -> bool {
    match scope {
        Scope::Own => store == p.user.store,
        s => perm::within(p, s, store, None),
    }
}

/// A partner merchant to put on file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    #[schema(value_type = carclub_shared::ShortText)]
    pub name: String,
    pub kind: PartnerKind,
    /// What members get, in the merchant's words.
    #[schema(value_type = carclub_shared::Text<200>)]
    pub discount: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub valid_from: Date,
    /// Not before `valid_from`.
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub valid_until: Date,
    /// The store whose members get the discount; the caller's when absent.
    #[serde(default)]
    pub store: Option<StoreId>,
}

/// Puts a partner merchant on file (active), with its audit record.
pub fn create_partner(
    core: &mut Core,
    p: &Principal,
    new: NewPartner,
) -> Result<Partner, PartnersError> {
    let name = text::<100>("the name", &new.name)?;
    let discount = text::<200>("the discount", &new.discount)?;
    if new.valid_until < new.valid_from {
        return Err(PartnersError::EndsBeforeStart {
            from: new.valid_from,
            until: new.valid_until,
        });
    }
    let store = new.store.unwrap_or(p.user.store);
    perm::check(p, Op::ManagePartners, Target::store(store))?;
    if core.accounts.store_record(store)?.is_none() {
        return Err(PartnersError::UnknownStore { store });
    }
    let partner = Partner {
        id: PartnerId::new(),
        store,
        name,
        kind: new.kind,
        discount,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        active: true,
        created_by: p.user.id,
        created_at: now(),
        deactivated_at: None,
    };
    save_partner(core, p, &partner, "partner_created")?;
    Ok(partner)
}

/// Writes `partner` with an audit record of `action`, in one batch.
fn save_partner(
    core: &mut Core,
    p: &Principal,
    partner: &Partner,
    action: &str,
) -> Result<(), PartnersError> {
    let mut batch = Batch::default();
    PARTNERS.put(&mut batch, &partner.id.0, partner)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action,
            store: partner.store,
            member: None,
            detail: partner.name.clone(),
        },
    )?;
    let mut touched = Vec::new();
    if let Err(err) =
        member_device::write_club(core, &mut batch, partner.store, Some(partner), &mut touched)
    {
        for t in &touched {
            core.docs.evict(t);
        }
        return Err(err.into());
    }
    core.commit(batch, touched)?;
    Ok(())
}

/// Which partners a listing wants.
#[derive(Debug, Default, Clone, Copy)]
pub struct PartnerFilter {
    /// Only partners active and within their dates today (always so for a member).
    pub current: bool,
    /// Only partners put on file after this one (the cursor of the previous page).
    pub after: Option<PartnerId>,
}

/// The partners `p` may see that match `filter`, oldest first (by id), at most `limit`; and the
/// cursor of the next page when there are more.
pub fn partners(
    core: &Core,
    p: &Principal,
    filter: PartnerFilter,
    limit: usize,
) -> Result<(Vec<Partner>, Option<PartnerId>), PartnersError> {
    let scope = perm::check_any(p, Op::ViewPartners)?;
    // Members see only what they can use today.
    let current = filter.current || p.user.role == Role::Member;
    let today = now().date();
    let after = filter.after.map(|a| a.0);
    let mut list: Vec<Partner> = PARTNERS.page(
        core.store.as_ref(),
        after.as_ref(),
        limit.saturating_add(1),
        &mut |x: &Partner| in_scope(p, scope, x.store) && (!current || x.current(today)),
    )?;
    let next = next_page(&mut list, limit, |x| x.id);
    Ok((list, next))
}

/// Cuts `list` (one more than a page when there are more) to `limit`; the cursor of the next page.
fn next_page<T, I>(list: &mut Vec<T>, limit: usize, id: impl Fn(&T) -> I) -> Option<I> {
    if list.len() > limit {
        list.truncate(limit);
        list.last().map(id)
    } else {
        None
    }
}

/// Deactivates a partner (it stays on file), with its audit record.
pub fn deactivate_partner(
    core: &mut Core,
    p: &Principal,
    id: PartnerId,
) -> Result<Partner, PartnersError> {
    let mut partner: Partner = PARTNERS
        .get(core.store.as_ref(), &id.0)?
        .ok_or(PartnersError::UnknownPartner { partner: id })?;
    perm::check(p, Op::ManagePartners, Target::store(partner.store))?;
    if !partner.active {
        return Err(PartnersError::AlreadyDeactivated { partner: id });
    }
    partner.active = false;
    partner.deactivated_at = Some(now());
    save_partner(core, p, &partner, "partner_deactivated")?;
    Ok(partner)
}

/// A corporate agreement to sign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    #[schema(value_type = carclub_shared::ShortText)]
    pub company: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub term_start: Date,
    #[schema(value_type = carclub_shared::Text<500>)]
    pub fleet_price_note: String,
    pub contact: Contact,
    /// A service advisor of the agreement's store.
    pub service_advisor: UserId,
    /// Days of on-site checks, within the term (one year from `term_start`).
    #[serde(default)]
    #[schema(max_items = 24)]
    pub on_site_check_days: Vec<Day>,
    /// The store signing; the caller's when absent.
    #[serde(default)]
    pub store: Option<StoreId>,
}

/// The last day of a one-year term starting on `start`.
pub fn one_year_end(start: Date) -> Option<Date> {
    let anniversary = start
        .replace_year(start.year() + 1)
        .or_else(|_| {
            // 29 February: the anniversary is 1 March.
            Date::from_calendar_date(start.year() + 1, time::Month::March, 1)
        })
        .ok()?;
    anniversary.previous_day()
}

/// Signs a corporate agreement: a one-year term, check days within it (sorted, once each), a
/// service advisor of the store; written with its audit record. Then the devices of the store's
/// field staff who may visit every company of the store learn they may start visits there.
pub fn create_agreement(
    core: &mut Core,
    p: &Principal,
    new: NewAgreement,
) -> Result<Agreement, PartnersError> {
    let company = text::<100>("the company", &new.company)?;
    let fleet_price_note = text::<500>("the fleet price note", &new.fleet_price_note)?;
    let contact_name = text::<50>("the contact's name", &new.contact.name)?;
    let start = new.term_start;
    let end = one_year_end(start).ok_or(PartnersError::TermOutOfRange { start })?;
    if new.on_site_check_days.len() > MAX_CHECK_DAYS {
        return Err(PartnersError::TooManyCheckDays {
            count: new.on_site_check_days.len(),
        });
    }
    let mut days = new.on_site_check_days;
    if let Some(Day(day)) = days.iter().find(|Day(d)| *d < start || *d > end) {
        return Err(PartnersError::CheckDayOutsideTerm {
            day: *day,
            start,
            end,
        });
    }
    days.sort();
    days.dedup();
    let store = new.store.unwrap_or(p.user.store);
    perm::check(p, Op::ManageCorporate, Target::store(store))?;
    let advisor = core
        .accounts
        .user(new.service_advisor)?
        .filter(|u| u.role == Role::ServiceAdvisor && u.store == store)
        .ok_or(PartnersError::NotAnAdvisor {
            user: new.service_advisor,
        })?;
    let a = Agreement {
        id: AgreementId::new(),
        store,
        company,
        term_start: start,
        term_end: end,
        fleet_price_note,
        contact: Contact {
            name: contact_name,
            phone: new.contact.phone,
        },
        service_advisor: advisor.id,
        on_site_check_days: days,
        created_by: p.user.id,
        created_at: now(),
    };
    let mut batch = Batch::default();
    AGREEMENTS.put(&mut batch, &CompanyId(a.id.0), &a)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "corporate_agreement_created",
            store,
            member: None,
            detail: format!("{} from {} to {}", a.company, a.term_start, a.term_end),
        },
    )?;
    core.commit(batch, Vec::new())?;
    publish_new_company(core, store)?;
    Ok(a)
}

/// Tells the devices of the store's field staff who may visit a new company (those assigned to
/// the whole store) that they may now start visits there: their status documents list it.
fn publish_new_company(core: &mut Core, store: StoreId) -> Result<(), StoreError> {
    let mut batch = Batch::default();
    let mut touched = Vec::new();
    for user in core.accounts.users()? {
        if user.role != Role::FieldStaff || user.store != store || user.disabled {
            continue;
        }
        let assignment = core.accounts.assignment(&user)?;
        if assignment.companies().is_none() {
            touched.extend(accounts::publish_reach(
                core,
                &user,
                &assignment,
                &mut batch,
            )?);
        }
    }
    core.commit(batch, touched)
}

/// The agreements `p` may see, oldest first (by id), at most `limit`, after the agreement
/// `after`; and the cursor of the next page when there are more.
pub fn agreements(
    core: &Core,
    p: &Principal,
    after: Option<AgreementId>,
    limit: usize,
) -> Result<(Vec<Agreement>, Option<AgreementId>), PartnersError> {
    let scope = perm::check_any(p, Op::ViewCorporate)?;
    let after = after.map(|a| CompanyId(a.0));
    let mut list: Vec<Agreement> = AGREEMENTS.page(
        core.store.as_ref(),
        after.as_ref(),
        limit.saturating_add(1),
        &mut |a: &Agreement| in_scope(p, scope, a.store),
    )?;
    let next = next_page(&mut list, limit, |a| a.id);
    Ok((list, next))
}

/// The agreement `id`, if `p` may see it.
pub fn agreement(core: &Core, p: &Principal, id: AgreementId) -> Result<Agreement, PartnersError> {
    let a: Agreement = AGREEMENTS
        .get(core.store.as_ref(), &CompanyId(id.0))?
        .ok_or(PartnersError::UnknownAgreement { agreement: id })?;
    perm::check(p, Op::ViewCorporate, Target::store(a.store))?;
    Ok(a)
}
