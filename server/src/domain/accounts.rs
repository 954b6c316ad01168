//! Managing accounts: stores of the group, staff, revoking sessions and devices, and members'
//! own logins through invitation codes a store hands over.
//!
//! Revoking a user's sessions records the moment; every login session issued before it is refused
//! from then on (device tokens are revoked per device). An invitation code is 12 random characters;
//! only its SHA-256 is stored, it works once and expires after [`INVITATION_TTL_MS`].

use carclub_shared::{DeviceId, MemberId, StoreId, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::auth::{
    Accounts, Assignment, AuthError, DeviceRecord, Role, StoreRecord, User, new_token, now_ms,
};
use crate::storage::keys::{ASSIGNMENTS, DEVICES, INVITATIONS, MEMBER_LOGINS, REVOKED, USERS};
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

    /// Creates a member's login from an invitation code, in one batch: the user, the link to the
    /// member file, and the code used up.
    pub fn accept_invitation(
        &self,
        code: &str,
        username: &str,
        password: &str,
    ) -> Result<(User, MemberId), AuthError> {
        let inv: Invitation = INVITATIONS
            .get(self.store.as_ref(), &invitation_hash(code))?
            .filter(|i: &Invitation| i.expires_ms >= now_ms())
            .ok_or(AuthError::BadInvitation)?;
        let (user, mut b) = self.new_user(username, username, Role::Member, inv.store, password)?;
        MEMBER_LOGINS.put(&mut b, &user.id, &inv.member)?;
        INVITATIONS.delete(&mut b, &invitation_hash(code));
        self.store.commit(b)?;
        Ok((user, inv.member))
    }
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
