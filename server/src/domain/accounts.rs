//! Managing accounts: stores of the group, staff, revoking sessions and devices, field staff's
//! company assignments and members' own logins through invitation codes a store hands over.
//!
//! Who may do what comes from the permission matrix (`manage_stores`, `manage_staff`,
//! `invite_member`); on top of it nobody creates an account as senior as their own
//! ([`carclub_shared::Role::check_create`]: a club manager cannot create a general manager), and
//! member logins come only from invitation codes.
//!
//! Revoking a user's sessions records the moment; every login session issued before it is refused
//! from then on (device tokens are revoked per device). An invitation code is 12 random characters;
//! only its SHA-256 is stored, it works once and expires after [`INVITATION_TTL_MS`].

use std::collections::BTreeMap;

use carclub_protocol::{DocumentId, docs};
use carclub_shared::roles::CreateRefused;
use carclub_shared::{CompanyId, DeviceId, MemberId, StoreId, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::{
    Accounts, Assignment, AuthError, DeviceRecord, Principal, Role, StoreRecord, User, new_token,
    now_ms,
};
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::{
    ASSIGNMENTS, DEVICES, INVITATIONS, MEMBER_LOGINS, REVOKED, STORES, USERS,
};
use crate::storage::{Batch, StoreError};

/// How long an invitation code works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// An invitation to the member app, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Invitation {
    member: MemberId,
    store: StoreId,
    expires_ms: i64,
}

/// The key part of an invitation: the SHA-256 of its code, so the store never holds a code.
fn invitation_hash(code: &str) -> [u8; 32] {
    Sha256::digest(code.trim().as_bytes()).into()
}

impl Accounts {
    /// Since when `user`'s login sessions are revoked, if ever.
    pub fn sessions_revoked_at(&self, user: UserId) -> Result<Option<i64>, StoreError> {
        REVOKED.get(self.store.as_ref(), &user)
    }

    /// Ends every login session `user` holds now.
    pub fn revoke_sessions(&self, user: UserId) -> Result<(), StoreError> {
        let mut b = Batch::default();
        REVOKED.put(&mut b, &user, &now_ms())?;
        self.store.commit(b)
    }

    /// The member file a member's login belongs to.
    pub fn member_of(&self, user: UserId) -> Result<Option<MemberId>, StoreError> {
        MEMBER_LOGINS.get(self.store.as_ref(), &user)
    }

    /// Which members `user` works with: for field staff, the stored assignment (the whole store
    /// unless assigned to companies); everyone else, their scope in the permission matrix.
    pub fn assignment(&self, user: &User) -> Result<Assignment, StoreError> {
        if user.role != Role::FieldStaff {
            return Ok(Assignment::Store);
        }
        Ok(ASSIGNMENTS
            .get(self.store.as_ref(), &user.id)?
            .unwrap_or(Assignment::Store))
    }

    /// Writes `user`'s assignment into `batch`.
    pub fn put_assignment(
        &self,
        batch: &mut Batch,
        user: UserId,
        assignment: &Assignment,
    ) -> Result<(), StoreError> {
        ASSIGNMENTS.put(batch, &user, assignment)
    }

    /// Every user of the group.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        USERS.all(self.store.as_ref())
    }

    /// Every device registered to `user`.
    pub fn devices_of(&self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        let all: Vec<DeviceRecord> = DEVICES.all(self.store.as_ref())?;
        Ok(all.into_iter().filter(|d| d.user == user).collect())
    }

    /// Creates a store running `program`.
    pub fn create_store(&self, name: &str, program: &str) -> Result<StoreRecord, StoreError> {
        let store = StoreRecord {
            id: StoreId::new(),
            name: name.to_owned(),
            program: program.to_owned(),
        };
        let mut b = Batch::default();
        self.put_store(&mut b, &store)?;
        self.store.commit(b)?;
        Ok(store)
    }

    /// Revokes a device: its token stops working at once (a lost phone stops syncing).
    pub fn revoke_device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        let Some(mut device) = self.device(id)? else {
            return Ok(None);
        };
        device.revoked = true;
        let mut b = Batch::default();
        DEVICES.put(&mut b, &id, &device)?;
        self.store.commit(b)?;
        Ok(Some(device))
    }

    /// A new single-use invitation code for `member` of `store`.
    pub fn invite(&self, member: MemberId, store: StoreId) -> Result<String, StoreError> {
        let code: String = new_token().chars().take(12).collect();
        let inv = Invitation {
            member,
            store,
            expires_ms: now_ms() + INVITATION_TTL_MS,
        };
        let mut b = Batch::default();
        INVITATIONS.put(&mut b, &invitation_hash(&code), &inv)?;
        self.store.commit(b)?;
        Ok(code)
    }

    /// The invitation with `code`, if it is on file and has not expired.
    fn invitation(&self, code: &str) -> Result<Invitation, AuthError> {
        INVITATIONS
            .get(self.store.as_ref(), &invitation_hash(code))?
            .filter(|i: &Invitation| i.expires_ms >= now_ms())
            .ok_or(AuthError::BadInvitation)
    }

    /// Creates a member's login from an invitation code, in one batch: the user, the link to the
    /// member file, and the code used up. The code and the username are checked again under the
    /// accounts' lock, so a code is redeemed once and a username taken once, across instances.
    pub fn accept_invitation(
        &self,
        code: &str,
        username: &str,
        password: &str,
    ) -> Result<(User, MemberId), AuthError> {
        let inv = self.invitation(code)?;
        let user = self.new_user(username, username, Role::Member, inv.store, password)?;
        self.creating(|| {
            let inv = self.invitation(code)?;
            let mut b = Batch::default();
            self.put_new_user(&mut b, &user)?;
            MEMBER_LOGINS.put(&mut b, &user.id, &inv.member)?;
            INVITATIONS.delete(&mut b, &invitation_hash(code));
            self.store.commit(b)?;
            Ok((user, inv.member))
        })
    }
}

// ---- the operations of the accounts API ----

/// Why an accounts operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// A text field is blank, too long or has control characters.
    #[error("{field} must have 1 to {max} characters, not all blank, without control characters")]
    BadText { field: &'static str, max: usize },
    /// A username with characters other than letters, digits, `.`, `_` and `-`.
    #[error("the username may use letters, digits, '.', '_' and '-'")]
    BadUsername,
    /// A store asked to run a program the server does not know.
    #[error("program {0:?} is not known; choose preset A, B or C")]
    UnknownProgram(String),
    /// Member logins come from invitation codes only.
    #[error("member logins are created from an invitation code (POST /api/member-signup)")]
    MemberByInvitation,
    /// The caller's role may not create an account of that role.
    #[error("your role ({creator}) may not create a {wanted} account")]
    Outranked { creator: Role, wanted: Role },
    #[error("store {0} does not exist")]
    UnknownStore(StoreId),
    #[error("user {0} does not exist")]
    UnknownUser(UserId),
    #[error("device {0} does not exist")]
    UnknownDevice(DeviceId),
    #[error("member {0} is not on file")]
    NotOnFile(MemberId),
    /// Only field staff are assigned to companies.
    #[error(
        "only field staff are assigned to companies; {username} is a {role} and sees what the role allows"
    )]
    NotFieldStaff { username: String, role: Role },
    /// An assignment names a company without an agreement with the user's store.
    #[error("company {company} has no corporate agreement with the store of {username}")]
    NotOurCompany {
        company: CompanyId,
        username: String,
    },
    /// An assignment with no companies or too many.
    #[error("{0}")]
    BadAssignment(String),
    /// A scope and a list of companies that do not go together: companies with the whole store,
    /// or the companies scope without its list.
    #[error("{0}")]
    ScopeMismatch(&'static str),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CreateRefused> for AccountsError {
    fn from(e: CreateRefused) -> Self {
        match e {
            CreateRefused::MemberByInvitation => AccountsError::MemberByInvitation,
            CreateRefused::NotSenior { creator, wanted } => {
                AccountsError::Outranked { creator, wanted }
            }
        }
    }
}

/// An account as the API shows it (never its password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub store: StoreId,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            name: u.name.clone(),
            role: u.role,
            store: u.store,
        }
    }
}

/// The JSON form of an assignment, as the API reads and writes it (documentation of
/// [`Assignment`]'s serde form).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentForm {
    /// `store`: the whole store (no companies); `companies`: only the members of the companies
    /// listed.
    pub scope: AssignmentScopeName,
    /// With `companies`: 1 to 100 companies (corporate agreements) of the user's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 100)]
    pub companies: Option<Vec<CompanyId>>,
}

impl AssignmentForm {
    /// The assignment this form asks for.
    pub fn assignment(self) -> Result<Assignment, AccountsError> {
        match (self.scope, self.companies) {
            (AssignmentScopeName::Store, None) => Ok(Assignment::Store),
            (AssignmentScopeName::Store, Some(_)) => Err(AccountsError::ScopeMismatch(
                "the whole store takes no list of companies",
            )),
            (AssignmentScopeName::Companies, None) => {
                Err(AccountsError::ScopeMismatch("name the companies"))
            }
            (AssignmentScopeName::Companies, Some(list)) => Ok(Assignment::Companies {
                companies: list.try_into().map_err(AccountsError::BadAssignment)?,
            }),
        }
    }
}

/// Which members an assignment covers.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentScopeName {
    Store,
    Companies,
}

/// A staff account with the members it works with (field staff: the whole store or some
/// companies; everyone else the whole store, within their role's scope).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffView {
    #[serde(flatten)]
    pub user: UserView,
    #[schema(value_type = AssignmentForm)]
    pub assignment: Assignment,
}

/// A store (branch) of the group and the program it runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreView {
    pub id: StoreId,
    pub name: String,
    /// The preset program: `A`, `B` or `C`.
    pub program: String,
}

impl From<StoreRecord> for StoreView {
    fn from(s: StoreRecord) -> Self {
        Self {
            id: s.id,
            name: s.name,
            program: s.program,
        }
    }
}

/// A registered device as its owner's managers see it (not its card blocks).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: DeviceId,
    pub name: String,
    /// When it was registered, in milliseconds since the Unix epoch.
    pub registered_ms: i64,
    pub revoked: bool,
    /// When it last connected to sync or hung up, in milliseconds since the Unix epoch; null if
    /// it never synced.
    pub last_sync_ms: Option<i64>,
}

impl From<&DeviceRecord> for DeviceView {
    fn from(d: &DeviceRecord) -> Self {
        Self {
            id: d.id,
            name: d.name.clone(),
            registered_ms: d.registered_ms,
            revoked: d.revoked,
            last_sync_ms: None,
        }
    }
}

/// The permission matrix: for each operation, each role's scope (`group`, `store`, `own` or
/// `none`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Permissions {
    pub operations: BTreeMap<String, BTreeMap<String, String>>,
}

/// The permission matrix, for the app to offer only what is allowed.
pub fn permissions() -> Permissions {
    let operations = perm::MATRIX
        .iter()
        .map(|(_, name, row)| {
            let roles = perm::ROLES
                .iter()
                .zip(row)
                .map(|(r, s)| (r.as_str().to_owned(), s.label().to_owned()))
                .collect();
            ((*name).to_owned(), roles)
        })
        .collect();
    Permissions { operations }
}

/// `value` trimmed, if it is a [`carclub_shared::Text`] of at most `MAX` characters (counted
/// before trimming, as the description's `maxLength` counts them).
fn text<const MAX: usize>(field: &'static str, value: &str) -> Result<String, AccountsError> {
    crate::domain::club::text::<MAX>(value).map_err(|_| AccountsError::BadText { field, max: MAX })
}

/// One page of a listing: at most `limit` records, and whether more follow.
fn split_page<T>(mut list: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let more = list.len() > limit;
    list.truncate(limit);
    (list, more)
}

/// Creates a store running the preset `program` (`A`, `B` or `C`); audited.
pub fn create_store(
    accounts: &Accounts,
    p: &Principal,
    name: &str,
    program: &str,
) -> Result<StoreView, AccountsError> {
    perm::check_any(p, Op::ManageStores)?;
    let name = text::<64>("the store name", name)?;
    let preset = program.trim().to_uppercase();
    if crate::domain::terms::program(&preset).is_none() {
        return Err(AccountsError::UnknownProgram(program.to_owned()));
    }
    let store = accounts.create_store(&name, &preset)?;
    audit::record_now(
        accounts.store.as_ref(),
        p,
        Entry {
            action: "create_store",
            store: store.id,
            member: None,
            detail: format!("{} on program {}", store.name, store.program),
        },
    )?;
    Ok(store.into())
}

/// The stores of the group in id order (creation order), at most `limit` after `after`; and
/// whether more follow.
pub fn list_stores(
    accounts: &Accounts,
    p: &Principal,
    after: Option<StoreId>,
    limit: usize,
) -> Result<(Vec<StoreView>, bool), AccountsError> {
    perm::check_any(p, Op::ListMembers)?;
    let list: Vec<StoreRecord> = STORES.page(
        accounts.store.as_ref(),
        after.as_ref(),
        limit + 1,
        &mut |_| true,
    )?;
    let (list, more) = split_page(list, limit);
    Ok((list.into_iter().map(StoreView::from).collect(), more))
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    /// The caller's store when absent.
    pub store: Option<StoreId>,
}

/// Creates a staff account in a store `p` manages staff of, of a role below `p`'s own; audited.
/// Hashes the password: call it off the async threads.
pub fn create_user(
    accounts: &Accounts,
    p: &Principal,
    req: NewUser,
) -> Result<UserView, AccountsError> {
    let store = req.store.unwrap_or(p.user.store);
    perm::check(p, Op::ManageStaff, Target::store(store))?;
    p.user.role.check_create(req.role)?;
    let username = text::<64>("the username", &req.username)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(AccountsError::BadUsername);
    }
    let name = text::<64>("the name", &req.name)?;
    if accounts.store_record(store)?.is_none() {
        return Err(AccountsError::UnknownStore(store));
    }
    let user = accounts.create_user(&username, &name, req.role, store, &req.password)?;
    audit::record_now(
        accounts.store.as_ref(),
        p,
        Entry {
            action: "create_user",
            store,
            member: None,
            detail: format!("{} as {}", user.username, user.role.as_str()),
        },
    )?;
    Ok(UserView::from(&user))
}

/// `user` with their assignment.
pub fn staff_view(accounts: &Accounts, user: &User) -> Result<StaffView, AccountsError> {
    Ok(StaffView {
        user: user.into(),
        assignment: accounts.assignment(user)?,
    })
}

/// The accounts `p` manages, by username, at most `limit` after the username `after`; and
/// whether more follow.
pub fn list_users(
    accounts: &Accounts,
    p: &Principal,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<StaffView>, bool), AccountsError> {
    let scope = perm::check_any(p, Op::ManageStaff)?;
    let list: Vec<User> = USERS.page(
        accounts.store.as_ref(),
        after,
        limit + 1,
        &mut |u: &User| perm::within(p, scope, u.store, None),
    )?;
    let (list, more) = split_page(list, limit);
    let list = list
        .iter()
        .map(|u| staff_view(accounts, u))
        .collect::<Result<_, _>>()?;
    Ok((list, more))
}

/// The user `id`, if `p` manages it (or it is `p`).
pub fn managed_user(accounts: &Accounts, p: &Principal, id: UserId) -> Result<User, AccountsError> {
    let user = accounts.user(id)?.ok_or(AccountsError::UnknownUser(id))?;
    if user.id != p.user.id {
        perm::check(p, Op::ManageStaff, Target::store(user.store))?;
    }
    Ok(user)
}

/// The field staff account `id`, if `p` manages staff of its store.
pub fn managed_field_staff(
    accounts: &Accounts,
    p: &Principal,
    id: UserId,
) -> Result<User, AccountsError> {
    let user = accounts.user(id)?.ok_or(AccountsError::UnknownUser(id))?;
    perm::check(p, Op::ManageStaff, Target::store(user.store))?;
    if user.role != Role::FieldStaff {
        return Err(AccountsError::NotFieldStaff {
            username: user.username,
            role: user.role,
        });
    }
    Ok(user)
}

/// Which members the field staff account `id` works with.
pub fn assignment_of(
    accounts: &Accounts,
    p: &Principal,
    id: UserId,
) -> Result<StaffView, AccountsError> {
    let user = managed_field_staff(accounts, p, id)?;
    staff_view(accounts, &user)
}

/// Assigns the field staff account `id` to the whole store or to companies (corporate
/// agreements) of its store; audited. The user's devices learn the directories they now read
/// through their status documents at the next sync; every request and sync message after this
/// one is checked against the new assignment.
pub fn assign(
    core: &mut Core,
    p: &Principal,
    id: UserId,
    assignment: &Assignment,
) -> Result<StaffView, AccountsError> {
    let user = managed_field_staff(&core.accounts, p, id)?;
    let mut names = Vec::new();
    for company in assignment.companies().unwrap_or_default() {
        match crate::domain::partners::company(core, *company)? {
            Some((store, name)) if store == user.store => names.push(name),
            _ => {
                return Err(AccountsError::NotOurCompany {
                    company: *company,
                    username: user.username,
                });
            }
        }
    }
    let mut batch = Batch::default();
    core.accounts
        .put_assignment(&mut batch, user.id, assignment)?;
    let touched = publish_reach(core, &user, assignment, &mut batch)?;
    let detail = if names.is_empty() {
        format!("{} to the whole store", user.username)
    } else {
        format!("{} to {}", user.username, names.join(", "))
    };
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "assign_staff",
            store: user.store,
            member: None,
            detail,
        },
    )?;
    core.commit(batch, touched)?;
    tracing::info!(user = %user.username, by = %p.user.username, "assignment changed");
    Ok(StaffView {
        user: (&user).into(),
        assignment: assignment.clone(),
    })
}

/// Writes what `user` reaches under `assignment` (the directories they read, the companies they
/// may visit) into the status documents of their devices, which is how devices learn of it at
/// their next sync. Returns the documents changed.
pub fn publish_reach(
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

/// Ends every login session of the user `id` (someone `p` manages, or `p`); audited.
pub fn revoke_sessions(
    accounts: &Accounts,
    p: &Principal,
    id: UserId,
) -> Result<(), AccountsError> {
    let user = managed_user(accounts, p, id)?;
    accounts.revoke_sessions(user.id)?;
    audit::record_now(
        accounts.store.as_ref(),
        p,
        Entry {
            action: "revoke_sessions",
            store: user.store,
            member: None,
            detail: user.username.clone(),
        },
    )?;
    Ok(())
}

/// The devices of the user `id` (someone `p` manages, or `p`) in id order (registration order),
/// at most `limit` after `after`; and whether more follow.
pub fn devices(
    accounts: &Accounts,
    p: &Principal,
    id: UserId,
    after: Option<DeviceId>,
    limit: usize,
) -> Result<(Vec<DeviceView>, bool), AccountsError> {
    let user = managed_user(accounts, p, id)?;
    let list: Vec<DeviceRecord> = DEVICES.page(
        accounts.store.as_ref(),
        after.as_ref(),
        limit + 1,
        &mut |d: &DeviceRecord| d.user == user.id,
    )?;
    let (list, more) = split_page(list, limit);
    let mut views = Vec::with_capacity(list.len());
    for d in &list {
        let mut view = DeviceView::from(d);
        view.last_sync_ms = super::device_sync::last(accounts, d.id)?;
        views.push(view);
    }
    Ok((views, more))
}

/// Revokes the device `id` of someone `p` manages (or of `p`): its token stops working at once;
/// audited.
pub fn revoke_device(
    accounts: &Accounts,
    p: &Principal,
    id: DeviceId,
) -> Result<(), AccountsError> {
    let device = accounts
        .device(id)?
        .ok_or(AccountsError::UnknownDevice(id))?;
    let owner = managed_user(accounts, p, device.user)?;
    accounts.revoke_device(id)?;
    audit::record_now(
        accounts.store.as_ref(),
        p,
        Entry {
            action: "revoke_device",
            store: owner.store,
            member: None,
            detail: format!("{} of {}", device.name, owner.username),
        },
    )?;
    Ok(())
}

/// A new invitation code for `member` to open their login in the member app; audited.
pub fn invite(core: &Core, p: &Principal, member: MemberId) -> Result<String, AccountsError> {
    let (store, company) = core
        .members
        .get(&member)
        .map(|m| (m.store, m.company))
        .ok_or(AccountsError::NotOnFile(member))?;
    perm::check(p, Op::InviteMember, Target::member(store, member, company))?;
    let code = core.accounts.invite(member, store)?;
    audit::record_now(
        core.store.as_ref(),
        p,
        Entry {
            action: "invite_member",
            store,
            member: Some(member),
            detail: "invitation code handed over".into(),
        },
    )?;
    Ok(code)
}

/// A member's login opened from an invitation code, signed in.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub token: String,
    pub user: User,
    pub member: MemberId,
}

/// Opens a member's login from an invitation code and signs them in; audited. Hashes the
/// password: call it off the async threads.
pub fn member_signup(
    accounts: &Accounts,
    code: &str,
    username: &str,
    password: &str,
) -> Result<SignedUp, AccountsError> {
    let code = text::<64>("the invitation code", code)?;
    let username = text::<64>("the username", username)?;
    let (user, member) = accounts.accept_invitation(&code, &username, password)?;
    let token = accounts.login(&user)?;
    let p = Principal {
        user: user.clone(),
        device: None,
        member: Some(member),
        assignment: Assignment::Store,
    };
    audit::record_now(
        accounts.store.as_ref(),
        &p,
        Entry {
            action: "member_signup",
            store: user.store,
            member: Some(member),
            detail: user.username.clone(),
        },
    )?;
    Ok(SignedUp {
        token,
        user,
        member,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::storage::SledStore;

    #[test]
    fn revocation_invitations_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::new(Arc::new(SledStore::open(dir.path()).unwrap()));
        let store = accounts.create_store("东店", "B").unwrap();
        let user = accounts
            .create_user("wang", "王", Role::ClubManager, store.id, "long enough pw")
            .unwrap();
        let token = accounts.login(&user).unwrap();
        assert!(accounts.authenticate(&token).is_ok());
        accounts.revoke_sessions(user.id).unwrap();
        assert!(matches!(
            accounts.authenticate(&token),
            Err(AuthError::NoSession)
        ));

        let (device, dtoken) = accounts.register_device(&user, "phone").unwrap();
        assert_eq!(accounts.devices_of(user.id).unwrap().len(), 1);
        accounts.revoke_device(device.id).unwrap();
        assert!(accounts.authenticate(&dtoken).is_err());

        let member = MemberId::new();
        let code = accounts.invite(member, store.id).unwrap();
        let (m, linked) = accounts
            .accept_invitation(&code, "zhang", "member password")
            .unwrap();
        assert_eq!(linked, member);
        assert_eq!(m.role, Role::Member);
        assert!(matches!(
            accounts.accept_invitation(&code, "zhang2", "member password"),
            Err(AuthError::BadInvitation)
        ));
        let t = accounts.login(&m).unwrap();
        assert_eq!(accounts.authenticate(&t).unwrap().member, Some(member));
    }
}
