//! Partner merchants (友好商户, 003: hotels, restaurants, car washes… giving members a discount)
//! and corporate agreements (大客户协议, 002: a company's one-year agreement with a fleet price, a
//! dedicated service advisor and on-site check days).
//!
//! Both are plain records of a store, written with their audit record in one batch. A partner is
//! never deleted, only deactivated, so what members were offered stays on file. A company's id is
//! its agreement's.

use carclub_protocol::docs::CompanyRef;
use carclub_shared::{CompanyId, Phone, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use time::Date;

use super::Core;
use super::auth::Assignment;
use crate::storage::StoreError;
use crate::storage::keys::AGREEMENTS;

record_id!(
    /// A partner merchant.
    PartnerId,
    "partner"
);
record_id!(
    /// A corporate agreement.
    AgreementId,
    "corporate agreement"
);

/// What kind of merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    pub store: StoreId,
    pub name: String,
    pub kind: PartnerKind,
    /// What members get, in the merchant's words.
    pub discount: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    pub valid_from: Date,
    #[serde(with = "carclub_shared::types::iso_date")]
    pub valid_until: Date,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub deactivated_at: Option<Timestamp>,
}

impl Partner {
    /// Active and within its dates today.
    pub fn current(&self, today: Date) -> bool {
        self.active && self.valid_from <= today && today <= self.valid_until
    }
}

/// The company's contact person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub phone: Phone,
}

/// A corporate agreement on file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agreement {
    pub id: AgreementId,
    pub store: StoreId,
    pub company: String,
    #[serde(with = "carclub_shared::types::iso_date")]
    pub term_start: Date,
    /// One year after the start, the day before its anniversary.
    #[serde(with = "carclub_shared::types::iso_date")]
    pub term_end: Date,
    pub fleet_price_note: String,
    pub contact: Contact,
    /// The dedicated service advisor (a `service_advisor` of the store).
    pub service_advisor: UserId,
    /// Days of free on-site checks and pre-inspection at the company, within the term.
    pub on_site_check_days: Vec<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// The store and name of the company whose agreement has the id `company` (a company's id is its
/// agreement's), if there is one.
pub fn company(
    core: &Core,
    company: CompanyId,
) -> Result<Option<(StoreId, String)>, StoreError> {
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

