//! The member list with search, and the list of conflicts.

use std::ops::Bound;

use axum::Json;
use axum::extract::State;
use carclub_protocol::docs::{self, ConflictRef};
use carclub_shared::{CardNo, CompanyId, MemberId, StoreId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Code, Detail, Errors};
use super::extract::{ApiQuery, Caller, page_limit};
use crate::domain::fold::Conflict;
use crate::domain::members::{self, MemberQuery};
use crate::domain::ops::mask;
use crate::domain::perm::{self, Op};

/// The routes of the member list and the conflicts list.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(list_conflicts))
}

/// What to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembersParams {
    /// Search text: the start of a name, or the start or end of a phone, card, VIN or plate
    /// number. Empty lists everyone.
    #[serde(default)]
    #[param(max_length = 100)]
    q: String,
    /// Most members in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    after: Option<MemberId>,
    /// Only the members of this company (its corporate agreement's id).
    company: Option<CompanyId>,
}

/// A member as the list shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSummary {
    pub id: MemberId,
    pub name: String,
    /// The phone number, masked for roles that may not see contact details.
    pub phone: String,
    /// The first vehicle's VIN.
    pub vin: Option<String>,
    /// The first vehicle's plate.
    pub plate: Option<String>,
    pub tier: String,
    pub card: CardNo,
    pub status: String,
    pub store: StoreId,
    pub company: Option<CompanyId>,
    pub enrolled_at: Timestamp,
    /// The member file's automerge URL.
    pub url: String,
    /// Unresolved conflicts the member is part of.
    pub conflicts: Vec<ConflictRef>,
}

/// A page of members.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersPage {
    pub members: Vec<MemberSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<MemberId>,
}

/// The members the caller may list, in member id order (the order they were enrolled in), paged
/// by the last id seen; with `q`, those whose name starts with it or whose phone, card, VIN or
/// plate number starts or ends with it (found from an index).
#[utoipa::path(get, path = "/api/members", tag = "members", params(MembersParams),
    responses((status = 200, description = "A page of members", body = MembersPage), Errors))]
async fn list_members(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<MembersParams>,
) -> Result<Json<MembersPage>, ApiError> {
    let query = MemberQuery {
        text: q.q,
        after: q.after,
        limit: page_limit(q.limit)?,
        company: q.company,
    };
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let core = st.core();
    let (page, next) = members::list(&core, &p, &query)?;
    let members = page
        .into_iter()
        .map(|m| MemberSummary {
            id: m.id,
            name: m.name.clone(),
            phone: if perm::within_member(&p, contact, m.store, m.id, m.company) {
                m.phone.to_string()
            } else {
                mask(m.phone.as_str())
            },
            vin: m.vehicles.first().map(|v| v.vin.to_string()),
            plate: m.vehicles.first().map(|v| v.plate.to_string()),
            tier: m.tier.clone(),
            card: m.card.clone(),
            status: m.status.clone(),
            store: m.store,
            company: m.company,
            enrolled_at: m.enrolled_at,
            url: docs::member_id(m.id).url(),
            conflicts: m.conflicts.clone(),
        })
        .collect();
    Ok(Json(MembersPage { members, next }))
}

/// Which conflicts.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConflictsParams {
    /// Most conflicts in the page (default 200).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    #[param(max_length = 200)]
    after: Option<String>,
}

/// A page of conflicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictsPage {
    pub conflicts: Vec<Conflict>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// The conflicts in the caller's scope, resolved or not, in conflict id order (kind, then the
/// VIN, card, receipt or event that collided), paged by the last id seen.
#[utoipa::path(get, path = "/api/conflicts", tag = "conflicts", params(ConflictsParams),
    responses((status = 200, description = "A page of conflicts", body = ConflictsPage), Errors))]
async fn list_conflicts(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ConflictsParams>,
) -> Result<Json<ConflictsPage>, ApiError> {
    let limit = page_limit(q.limit)?;
    if q.after.as_ref().is_some_and(|a| a.chars().count() > 200) {
        return Err(ApiError::BadRequest(Detail::new(
            Code::InvalidCursor,
            "after has at most 200 characters",
            "after 最多 200 个字符",
        )));
    }
    let scope = perm::check_any(&p, Op::ViewConflicts)?;
    let core = st.core();
    let after = q.after.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
    let mut conflicts: Vec<Conflict> = core
        .conflicts
        .range::<String, _>((after, Bound::Unbounded))
        .map(|(_, c)| c)
        .filter(|c| perm::within(&p, scope, c.store, None))
        .take(limit + 1)
        .cloned()
        .collect();
    let next = if conflicts.len() > limit {
        conflicts.truncate(limit);
        conflicts.last().map(|c| c.id.clone())
    } else {
        None
    };
    Ok(Json(ConflictsPage { conflicts, next }))
}
