//! Exporting the member list: only with the permission to export (DOMAIN.md §7: no export without
//! authorization), within the caller's scope, contact fields masked for roles that do not see
//! them, and every export recorded in the audit log.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::api::{ApiError, AppState, Caller, mask};
use crate::domain::audit::{self, Entry};
use crate::domain::perm::{self, Op};

/// The route of the export.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/members/export", get(export))
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn field(text: &str) -> String {
    // A leading formula character is neutralised so a spreadsheet never runs it.
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

async fn export(State(st): State<AppState>, Caller(p): Caller) -> Result<Response, ApiError> {
    let scope = perm::check_any(&p, Op::Export)?;
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let core = st.core();
    let mut csv = String::from("id,name,phone,card,tier,status,vin,plate,store,enrolled_at\r\n");
    let mut count = 0usize;
    for m in core
        .members
        .values()
        .filter(|m| perm::within_member(&p, scope, m.store, m.id, m.company))
    {
        let phone = if perm::within_member(&p, contact, m.store, m.id, m.company) {
            m.phone.to_string()
        } else {
            mask(m.phone.as_str())
        };
        let vehicle = m.vehicles.first();
        let row = [
            m.id.to_string(),
            m.name.clone(),
            phone,
            m.card.to_string(),
            m.tier.clone(),
            m.status.clone(),
            vehicle.map(|v| v.vin.to_string()).unwrap_or_default(),
            vehicle.map(|v| v.plate.to_string()).unwrap_or_default(),
            m.store.to_string(),
            m.enrolled_at.to_string(),
        ];
        csv.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
        count += 1;
    }
    let entry = Entry {
        action: "export_members",
        store: p.user.store,
        member: None,
        detail: format!("{count} members"),
    };
    audit::record_now(core.store.as_ref(), &p, entry)?;
    tracing::info!(by = %p.user.username, count, "members exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"members.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("张三"), "张三");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
    }
}
