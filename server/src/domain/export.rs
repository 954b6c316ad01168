//! Exporting the member list: only with the permission to export (DOMAIN.md §7: no export without
//! authorization), within the caller's scope, contact fields masked for roles that do not see
//! them, and every export recorded in the audit log.

use super::Core;
use super::audit::{self, Entry};
use super::auth::Principal;
use super::ops::mask;
use super::perm::{self, Op};
use crate::storage::StoreError;

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
