//! Exporting the member list, service visits and care call outcomes: only with the permission to
//! export (DOMAIN.md §7: no export without authorization), within the caller's scope, contact
//! fields masked for roles that do not see them, and every export recorded in the audit log.
//! Service visits and care outcomes are written for Excel: UTF-8 with a byte-order mark (so Excel
//! reads the Chinese), CRLF line ends, RFC 4180 quoting.

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::ops::mask;
use super::perm::{self, Op};
use crate::storage::keys::CARE_TASKS;
use crate::storage::{Batch, Order, StoreError};

/// The header line of the export: the columns of each row.
pub const HEADER: &str = "id,name,phone,card,tier,status,vin,plate,store,enrolled_at";

/// Why an export was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The member list as CSV (RFC 4180, CRLF line ends, a header line), and how many members it
/// holds.
#[derive(Debug, Clone)]
pub struct MemberCsv {
    pub csv: String,
    pub count: usize,
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
pub(crate) fn field(text: &str) -> String {
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

/// The members `p` may export, in id order (enrollment order), one row each with the first
/// vehicle; phones masked where `p` may not see contacts. The export is audited.
pub fn members_csv(core: &Core, p: &Principal) -> Result<MemberCsv, ExportError> {
    let scope = perm::check_any(p, Op::Export)?;
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let mut csv = format!("{HEADER}\r\n");
    let mut count = 0usize;
    for m in core
        .members
        .values()
        .filter(|m| perm::within_member(p, scope, m.store, m.id, m.company))
    {
        let phone = if perm::within_member(p, contact, m.store, m.id, m.company) {
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
    audit::record_now(core.store.as_ref(), p, entry)?;
    tracing::info!(by = %p.user.username, count, "members exported");
    Ok(MemberCsv { csv, count })
}

/// The byte-order mark that tells Excel a CSV file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// The header line of the service visits export.
pub const VISITS_HEADER: &str = "member,name,phone,store,vin,plate,date,km,kind,amount_yuan,advisor,elsewhere_store,elsewhere_cost_yuan,event";

/// The header line of the care outcomes export.
pub const CARE_HEADER: &str = "task,member,name,phone,store,kind,vin,due,state,outcome,calls,last_call_at,feedback,cause,failure,closed_at";

fn row(csv: &mut String, cells: &[String]) {
    csv.push_str(&cells.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    csv.push_str("\r\n");
}

/// A value as its JSON text without quotes (the API's snake_case name of an enum).
fn name_of(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn yuan(m: carclub_shared::Money) -> String {
    format!("{}.{:02}", m.fen().div_euclid(100), m.fen().rem_euclid(100))
}

/// Every service visit of the members `p` may export (the lifelong service file, order
/// settlements included), one row each, members in id order and visits by day; BOM and CRLF for
/// Excel. Audited as `export_service_visits`.
pub fn visits_csv(core: &Core, p: &Principal) -> Result<MemberCsv, ExportError> {
    let scope = perm::check_any(p, Op::ExportCare)?;
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let staff: std::collections::HashMap<_, _> = core
        .accounts
        .users()?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut csv = format!("{BOM}{VISITS_HEADER}\r\n");
    let mut count = 0usize;
    let empty = Batch::default();
    for m in core
        .members
        .values()
        .filter(|m| perm::within_member(p, scope, m.store, m.id, m.company))
    {
        let Some(state) = super::ledger::state(core, &empty, m.id, m.store)? else {
            continue;
        };
        let phone = if perm::within_member(p, contact, m.store, m.id, m.company) {
            m.phone.to_string()
        } else {
            mask(m.phone.as_str())
        };
        for v in &state.care.vehicles {
            for visit in &v.visits {
                row(
                    &mut csv,
                    &[
                        m.id.to_string(),
                        m.name.clone(),
                        phone.clone(),
                        m.store.to_string(),
                        v.vin.to_string(),
                        v.plate
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        visit.on.to_string(),
                        visit.km.map(|k| k.to_string()).unwrap_or_default(),
                        name_of(&visit.kind),
                        yuan(visit.amount),
                        visit
                            .advisor
                            .and_then(|a| staff.get(&a).cloned())
                            .unwrap_or_default(),
                        visit
                            .elsewhere
                            .as_ref()
                            .map(|e| e.store.to_string())
                            .unwrap_or_default(),
                        visit
                            .elsewhere
                            .as_ref()
                            .map(|e| yuan(e.cost))
                            .unwrap_or_default(),
                        visit.id.to_string(),
                    ],
                );
                count += 1;
            }
        }
    }
    let entry = Entry {
        action: "export_service_visits",
        store: p.user.store,
        member: None,
        detail: format!("{count} service visits"),
    };
    audit::record_now(core.store.as_ref(), p, entry)?;
    tracing::info!(by = %p.user.username, count, "service visits exported");
    Ok(MemberCsv { csv, count })
}

/// Every care call task of the stores `p` may export with its outcome — state, the outcome that
/// ended it, the calls made, the last feedback, a lost customer's cause, why it failed — in the
/// order tasks are kept (by due day); BOM and CRLF for Excel. Audited as `export_care_calls`.
pub fn care_csv(core: &Core, p: &Principal) -> Result<MemberCsv, ExportError> {
    let scope = perm::check_any(p, Op::ExportCare)?;
    let contact = perm::scope(p.user.role, Op::SeeContact);
    let mut csv = format!("{BOM}{CARE_HEADER}\r\n");
    let mut count = 0usize;
    let mut rows: Vec<Vec<String>> = Vec::new();
    CARE_TASKS.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |_, t: super::care::tasks::Task| {
            let company = core.members.get(&t.member).and_then(|m| m.company);
            if !perm::within_member(p, scope, t.store, t.member, company) {
                return Ok(true);
            }
            let (name, phone) = core.members.get(&t.member).map_or_else(
                || (String::new(), String::new()),
                |m| {
                    let phone = if perm::within_member(p, contact, m.store, m.id, m.company) {
                        m.phone.to_string()
                    } else {
                        mask(m.phone.as_str())
                    };
                    (m.name.clone(), phone)
                },
            );
            let last = t.calls.last();
            rows.push(vec![
                t.id.as_str().to_owned(),
                t.member.to_string(),
                name,
                phone,
                t.store.to_string(),
                name_of(&t.kind),
                t.vin.as_ref().map(ToString::to_string).unwrap_or_default(),
                t.due.to_string(),
                t.state.as_str().to_owned(),
                t.outcome.as_ref().map(name_of).unwrap_or_default(),
                t.calls.len().to_string(),
                last.map(|c| c.at.to_string()).unwrap_or_default(),
                t.calls
                    .iter()
                    .rev()
                    .find_map(|c| c.feedback.clone())
                    .unwrap_or_default(),
                t.cause.clone().unwrap_or_default(),
                t.failure
                    .as_ref()
                    .map(|f| f.reason_zh.clone())
                    .unwrap_or_default(),
                t.closed_at.map(|c| c.to_string()).unwrap_or_default(),
            ]);
            Ok(true)
        },
    )?;
    for cells in &rows {
        row(&mut csv, cells);
        count += 1;
    }
    let entry = Entry {
        action: "export_care_calls",
        store: p.user.store,
        member: None,
        detail: format!("{count} care call tasks"),
    };
    audit::record_now(core.store.as_ref(), p, entry)?;
    tracing::info!(by = %p.user.username, count, "care outcomes exported");
    Ok(MemberCsv { csv, count })
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
