//! Who may read or write each document.
//!
//! A device writes its own journal and reads its status; directories, member files and member
//! records are read within the scope the permission matrix gives (a member reads only their own
//! file and record); a store's club document by its members and whoever may see its partners. Field staff
//! assigned to companies read the directories of those companies and their members' files, never
//! the store's directory; their assignment is read afresh, so a reassignment applies from the next
//! request on the same connection.

use std::cell::OnceCell;

use carclub_protocol::DocumentId;
use carclub_protocol::docs::DocKind;

use crate::domain::Core;
use crate::domain::auth::Principal;
use crate::domain::perm::{self, Op, Scope};

/// What a caller may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None,
    Read,
    Write,
}

/// What `p` may do with document `id`.
pub fn access(core: &Core, p: &Principal, id: &DocumentId) -> Access {
    access_now(core, p, &OnceCell::new(), id)
}

/// [`access`] with `p`'s current assignment read at most once into `current` (only when a
/// document needs it), so many documents can be checked with one read.
pub(super) fn access_now(
    core: &Core,
    p: &Principal,
    current: &OnceCell<Option<Principal>>,
    id: &DocumentId,
) -> Access {
    let Some(meta) = core.meta.get(id) else {
        return Access::None;
    };
    let own_device = p.device.is_some() && p.device == meta.device;
    match meta.kind {
        DocKind::Journal if own_device => return Access::Write,
        DocKind::DeviceStatus if own_device => return Access::Read,
        _ => {}
    }
    let Some(store) = meta.store else {
        return Access::None;
    };
    let current = || current.get_or_init(|| fresh(core, p)).as_ref();
    let directory_readable = || {
        let Some(p) = current() else {
            return false;
        };
        match (
            perm::scope(p.user.role, Op::ListMembers),
            p.assignment.companies(),
        ) {
            (Scope::Store, Some(_)) => {
                store == p.user.store && p.assignment.directories(store).contains(id)
            }
            (list, _) => perm::within(p, list, store, None),
        }
    };
    let file_readable = || {
        let (Some(p), Some(member)) = (current(), meta.member) else {
            return false;
        };
        let company = core.members.get(&member).and_then(|m| m.company);
        let scope = perm::scope(p.user.role, Op::ViewMemberFile);
        perm::within_member(p, scope, store, member, company)
    };
    // What a store offers its members: its members and whoever may see its partners.
    let club_readable = || {
        current().is_some_and(|p| {
            (p.member.is_some() && p.user.store == store)
                || perm::within(p, perm::scope(p.user.role, Op::ViewPartners), store, None)
        })
    };
    match meta.kind {
        DocKind::Directory if directory_readable() => Access::Read,
        DocKind::Member | DocKind::MemberRecord if file_readable() => Access::Read,
        DocKind::Club if club_readable() => Access::Read,
        _ => Access::None,
    }
}

/// `p` with the assignment it has now (read from the store), or `None` if that cannot be read.
fn fresh(core: &Core, p: &Principal) -> Option<Principal> {
    match core.accounts.assignment(&p.user) {
        Ok(assignment) => Some(Principal {
            assignment,
            ..p.clone()
        }),
        Err(e) => {
            tracing::error!(user = %p.user.id, error = %e, "assignment unreadable; access refused");
            None
        }
    }
}
