//! People, stores, sessions and devices: who is calling, and what they may reach.
//!
//! Passwords are hashed with argon2. A bearer token is 32 random bytes; only its SHA-256 is stored,
//! so a copy of the store does not hand out sessions. Login sessions expire; device tokens last
//! until the device is revoked (a lost phone stops syncing).

use std::fmt;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use carclub_shared::{CompanyId, DeviceId, MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::keys::{DEVICES, SERVER_META, STORES, TOKENS, USER_IDS, USERS};
use crate::storage::{Batch, Store, StoreError};

/// How long a back-office login lasts.
pub const LOGIN_TTL_MS: i64 = 12 * 3600 * 1000;
/// How many card numbers a newly registered device carries.
pub const CARD_BLOCK_SIZE: u64 = 200;

pub use carclub_shared::Role;

/// A person who logs in.
#[derive(Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub store: StoreId,
    pub password_hash: String,
    pub disabled: bool,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// A store (branch) of the dealer group and the program it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreRecord {
    pub id: StoreId,
    pub name: String,
    pub program: String,
}

pub use carclub_protocol::docs::CardBlock;

/// A registered device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub user: UserId,
    pub name: String,
    pub registered_ms: i64,
    pub revoked: bool,
    pub card_blocks: Vec<CardBlock>,
}

/// What a bearer token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user: UserId,
    pub device: Option<DeviceId>,
    pub expires_ms: Option<i64>,
}

/// Which members of their store a field staff member works with (DESIGN.md "Partial sync").
/// As JSON: `{"scope": "store"}` or `{"scope": "companies", "companies": [id…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AssignmentJson", into = "AssignmentJson")]
pub enum Assignment {
    /// The whole store (the default).
    #[default]
    Store,
    /// Only the members of these companies of the store.
    Companies { companies: Companies },
}

/// The JSON form of an [`Assignment`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentJson {
    scope: AssignmentScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    companies: Option<Vec<CompanyId>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AssignmentScope {
    Store,
    Companies,
}

impl TryFrom<AssignmentJson> for Assignment {
    type Error = String;
    fn try_from(j: AssignmentJson) -> Result<Self, String> {
        match (j.scope, j.companies) {
            (AssignmentScope::Store, None) => Ok(Assignment::Store),
            (AssignmentScope::Store, Some(_)) => {
                Err("the whole store takes no list of companies".into())
            }
            (AssignmentScope::Companies, None) => Err("name the companies".into()),
            (AssignmentScope::Companies, Some(list)) => Ok(Assignment::Companies {
                companies: list.try_into()?,
            }),
        }
    }
}

impl From<Assignment> for AssignmentJson {
    fn from(a: Assignment) -> Self {
        match a {
            Assignment::Store => AssignmentJson {
                scope: AssignmentScope::Store,
                companies: None,
            },
            Assignment::Companies { companies } => AssignmentJson {
                scope: AssignmentScope::Companies,
                companies: Some(companies.into()),
            },
        }
    }
}

/// A non-empty, sorted list of companies without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companies(Vec<CompanyId>);

/// The most companies one account may be assigned to.
pub const MAX_COMPANIES: usize = 100;

impl TryFrom<Vec<CompanyId>> for Companies {
    type Error = String;
    fn try_from(mut list: Vec<CompanyId>) -> Result<Self, String> {
        // The list as sent counts against the limit, repeats too: what the description promises.
        match list.len() {
            0 => Err("assign at least one company, or the whole store".into()),
            n if n > MAX_COMPANIES => Err(format!("assign at most {MAX_COMPANIES} companies")),
            _ => {
                list.sort();
                list.dedup();
                Ok(Self(list))
            }
        }
    }
}

impl From<Companies> for Vec<CompanyId> {
    fn from(c: Companies) -> Self {
        c.0
    }
}

impl Companies {
    /// The companies, sorted.
    pub fn as_slice(&self) -> &[CompanyId] {
        &self.0
    }
}

impl Assignment {
    /// Whether a member belonging to `company` (or to none) is within the assignment.
    pub fn admits(&self, company: Option<CompanyId>) -> bool {
        match self {
            Assignment::Store => true,
            Assignment::Companies { companies } => {
                company.is_some_and(|c| companies.0.contains(&c))
            }
        }
    }

    /// The member directories a holder of this assignment in `store` reads: the store's, or one
    /// per assigned company.
    pub fn directories(&self, store: StoreId) -> Vec<carclub_protocol::DocumentId> {
        use carclub_protocol::docs;
        match self.companies() {
            None => vec![docs::directory_id(store)],
            Some(list) => list
                .iter()
                .map(|c| docs::company_directory_id(store, *c))
                .collect(),
        }
    }

    /// The assigned companies; `None` for the whole store.
    pub fn companies(&self) -> Option<&[CompanyId]> {
        match self {
            Assignment::Store => None,
            Assignment::Companies { companies } => Some(companies.as_slice()),
        }
    }
}

/// The authenticated caller of a request or a sync connection.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub device: Option<DeviceId>,
    /// The member file a member's login belongs to.
    pub member: Option<MemberId>,
    /// Which members of the store the caller works with (field staff may be limited to companies).
    pub assignment: Assignment,
}

impl Principal {
    /// The server's own work in a store (a scheduler, a monthly computation), named in the audit
    /// log by `username` and `name`; nobody logs in as it.
    pub fn system(store: StoreId, username: &str, name: &str) -> Self {
        Self {
            user: User {
                id: UserId(uuid::Uuid::nil()),
                username: username.into(),
                name: name.into(),
                role: carclub_shared::Role::Admin,
                store,
                password_hash: String::new(),
                disabled: false,
            },
            device: None,
            member: None,
            assignment: Assignment::Store,
        }
    }
}

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the session is missing, expired or revoked; sign in again")]
    NoSession,
    #[error("username {0:?} is taken")]
    UsernameTaken(String),
    #[error("password must have 8 to 128 characters")]
    WeakPassword,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed")]
    Hash,
    #[error("the invitation code is unknown, used or expired; ask the store for a new one")]
    BadInvitation,
}

/// A new bearer token: 32 random bytes in base58.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bs58::encode(bytes).into_string()
}

/// The key part of a session: the SHA-256 of its token, so the store never holds a token.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AuthError::Hash)
}

pub(crate) fn now_ms() -> i64 {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc()).millis()
}

/// Accounts, sessions and devices over the store.
#[derive(Clone)]
pub struct Accounts {
    pub(crate) store: Arc<dyn Store>,
    /// Held while a card block number is taken, so two devices never get the same block (with the
    /// store's `CARD_BLOCKS` lock, across instances too).
    card_blocks: Arc<Mutex<()>>,
    /// Held while an account is created (a username checked free and taken, an invitation
    /// checked unused and redeemed), with the store's `ACCOUNTS` lock across instances.
    creating: Arc<Mutex<()>>,
}

/// Where the next card block's number is kept (`SERVER_META`).
const NEXT_CARD_BLOCK: &str = "next-card-block";

impl Accounts {
    /// Accounts kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            card_blocks: Arc::new(Mutex::new(())),
            creating: Arc::new(Mutex::new(())),
        }
    }

    /// Runs `f` — which checks what must be unique and commits — alone among this process's
    /// threads and, on a store other instances share, among theirs (the database's `ACCOUNTS`
    /// lock): two requests never both find a username free or an invitation unused.
    pub(crate) fn creating<R>(
        &self,
        f: impl FnOnce() -> Result<R, AuthError>,
    ) -> Result<R, AuthError> {
        let _here = self
            .creating
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _across = self.store.exclusive(super::core::locks::ACCOUNTS)?;
        f()
    }

    /// Takes the next card block number for good (written before it is handed out) and returns
    /// the first card number of that block. Blocks are numbered 0, 1, 2… so card numbers stay
    /// within the eight digits a card carries for 500,000 blocks; a store written before the
    /// counter existed continues after the highest block any device holds.
    fn take_card_block(&self) -> Result<u64, StoreError> {
        let _taking = self
            .card_blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // And against other instances on the same store.
        let _across = self.store.exclusive(super::core::locks::CARD_BLOCKS)?;
        let next = match SERVER_META.get_bytes(self.store.as_ref(), NEXT_CARD_BLOCK)? {
            Some(bytes) => {
                let raw: [u8; 8] = bytes.as_slice().try_into().map_err(|_| {
                    StoreError::corrupt(
                        NEXT_CARD_BLOCK.as_bytes(),
                        format!("holds {} bytes, not 8", bytes.len()),
                    )
                })?;
                u64::from_be_bytes(raw)
            }
            None => {
                let devices: Vec<DeviceRecord> = DEVICES.all(self.store.as_ref())?;
                devices
                    .iter()
                    .flat_map(|d| &d.card_blocks)
                    .map(|b| (b.first + b.count.max(1) - 1) / CARD_BLOCK_SIZE + 1)
                    .max()
                    .unwrap_or(0)
            }
        };
        let mut b = Batch::default();
        SERVER_META.put_bytes(&mut b, NEXT_CARD_BLOCK, (next + 1).to_be_bytes().to_vec());
        self.store.commit(b)?;
        Ok(next * CARD_BLOCK_SIZE + 1)
    }

    /// The user with `username`.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        USERS.get(self.store.as_ref(), username)
    }

    /// The user with `id`.
    pub fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        match USER_IDS.get_bytes(self.store.as_ref(), &id)? {
            Some(name) => self.user_by_name(&String::from_utf8_lossy(&name)),
            None => Ok(None),
        }
    }

    /// Every store of the group.
    pub fn stores(&self) -> Result<Vec<StoreRecord>, StoreError> {
        STORES.all(self.store.as_ref())
    }

    /// The store with `id`.
    pub fn store_record(&self, id: StoreId) -> Result<Option<StoreRecord>, StoreError> {
        STORES.get(self.store.as_ref(), &id)
    }

    /// Writes a store record into `batch`.
    pub fn put_store(&self, batch: &mut Batch, store: &StoreRecord) -> Result<(), StoreError> {
        STORES.put(batch, &store.id, store)
    }

    /// Creates a user; fails if the username is taken (across instances too).
    pub fn create_user(
        &self,
        username: &str,
        name: &str,
        role: Role,
        store: StoreId,
        password: &str,
    ) -> Result<User, AuthError> {
        let user = self.new_user(username, name, role, store, password)?;
        self.creating(|| {
            let mut b = Batch::default();
            self.put_new_user(&mut b, &user)?;
            self.store.commit(b)?;
            Ok(user)
        })
    }

    /// Writes `user` into `batch`; fails if the username is taken. Call it inside
    /// [`Accounts::creating`], committing `batch` there.
    pub(crate) fn put_new_user(&self, b: &mut Batch, user: &User) -> Result<(), AuthError> {
        if self.user_by_name(&user.username)?.is_some() {
            return Err(AuthError::UsernameTaken(user.username.clone()));
        }
        USERS.put(b, user.username.as_str(), user)?;
        USER_IDS.put_bytes(b, &user.id, user.username.as_bytes().to_vec());
        Ok(())
    }

    /// A new user with its password hashed (the slow part, done before any lock is taken); its
    /// username is checked when it is written ([`Accounts::put_new_user`]).
    pub(crate) fn new_user(
        &self,
        username: &str,
        name: &str,
        role: Role,
        store: StoreId,
        password: &str,
    ) -> Result<User, AuthError> {
        if !(8..=128).contains(&password.chars().count()) {
            return Err(AuthError::WeakPassword);
        }
        if self.user_by_name(username)?.is_some() {
            return Err(AuthError::UsernameTaken(username.to_owned()));
        }
        let user = User {
            id: UserId::new(),
            username: username.to_owned(),
            name: name.to_owned(),
            role,
            store,
            password_hash: hash_password(password)?,
            disabled: false,
        };
        Ok(user)
    }

    /// Checks a username and password.
    pub fn check_password(&self, username: &str, password: &str) -> Result<User, AuthError> {
        let user = self.user_by_name(username)?.filter(|u| !u.disabled);
        // Verify against a fixed hash when the user is unknown, so timing does not reveal usernames.
        const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2p0YK6e0ly8yr7F6FojOCFvI0x7uJ5vj2V2l0eo2xU0";
        let hash = user.as_ref().map_or(DECOY, |u| u.password_hash.as_str());
        let ok = PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        match user {
            Some(u) if ok => Ok(u),
            _ => Err(AuthError::BadCredentials),
        }
    }

    /// Opens a back-office session for `user`; returns the bearer token.
    pub fn login(&self, user: &User) -> Result<String, AuthError> {
        let token = new_token();
        let session = Session {
            user: user.id,
            device: None,
            expires_ms: Some(now_ms() + LOGIN_TTL_MS),
        };
        let mut b = Batch::default();
        TOKENS.put(&mut b, &token_hash(&token), &session)?;
        self.store.commit(b)?;
        Ok(token)
    }

    /// Ends the session of `token`.
    pub fn logout(&self, token: &str) -> Result<(), AuthError> {
        let mut b = Batch::default();
        TOKENS.delete(&mut b, &token_hash(token));
        self.store.commit(b)?;
        Ok(())
    }

    /// Registers a device for `user` with a fresh card block (staff; a member's own phone issues
    /// no cards); returns the record and its token.
    pub fn register_device(
        &self,
        user: &User,
        name: &str,
    ) -> Result<(DeviceRecord, String), AuthError> {
        let card_blocks = if user.role == Role::Member {
            Vec::new()
        } else {
            vec![CardBlock {
                prefix: "C".into(),
                first: self.take_card_block()?,
                count: CARD_BLOCK_SIZE,
            }]
        };
        let device = DeviceRecord {
            id: DeviceId::new(),
            user: user.id,
            name: name.to_owned(),
            registered_ms: now_ms(),
            revoked: false,
            card_blocks,
        };
        let token = new_token();
        let session = Session {
            user: user.id,
            device: Some(device.id),
            expires_ms: None,
        };
        let mut b = Batch::default();
        DEVICES.put(&mut b, &device.id, &device)?;
        TOKENS.put(&mut b, &token_hash(&token), &session)?;
        self.store.commit(b)?;
        Ok((device, token))
    }

    /// Checks out a further block of `count` card numbers to `device` (at most
    /// [`CARD_BLOCK_SIZE`]); returns the block and the updated record to write with `batch`.
    pub fn new_card_block(
        &self,
        device: &DeviceRecord,
        count: u64,
        batch: &mut Batch,
    ) -> Result<(CardBlock, DeviceRecord), StoreError> {
        let first = self.take_card_block()?;
        let block = CardBlock {
            prefix: "C".into(),
            first,
            count: count.clamp(1, CARD_BLOCK_SIZE),
        };
        let mut record = device.clone();
        record.card_blocks.push(block.clone());
        DEVICES.put(batch, &record.id, &record)?;
        Ok((block, record))
    }

    /// The device with `id`.
    pub fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        DEVICES.get(self.store.as_ref(), &id)
    }

    /// Who holds `token`, if it is valid now.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() || token.len() > 128 {
            return Err(AuthError::NoSession);
        }
        let session: Session = TOKENS
            .get(self.store.as_ref(), &token_hash(token))?
            .ok_or(AuthError::NoSession)?;
        if session.expires_ms.is_some_and(|e| e < now_ms()) {
            return Err(AuthError::NoSession);
        }
        if let Some(d) = session.device {
            let device = self.device(d)?.ok_or(AuthError::NoSession)?;
            if device.revoked {
                return Err(AuthError::NoSession);
            }
        }
        if let (Some(expires), Some(revoked)) =
            (session.expires_ms, self.sessions_revoked_at(session.user)?)
            && expires - LOGIN_TTL_MS <= revoked
        {
            return Err(AuthError::NoSession);
        }
        let user = self
            .user(session.user)?
            .filter(|u| !u.disabled)
            .ok_or(AuthError::NoSession)?;
        let member = self.member_of(user.id)?;
        let assignment = self.assignment(&user)?;
        Ok(Principal {
            user,
            device: session.device,
            member,
            assignment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStore;

    #[test]
    fn login_register_and_authenticate() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::new(Arc::new(SledStore::open(dir.path()).unwrap()));
        let store = StoreId::new();
        let user = accounts
            .create_user("li", "李", Role::FieldStaff, store, "correct horse")
            .unwrap();
        assert!(matches!(
            accounts.create_user("li", "x", Role::FieldStaff, store, "another one"),
            Err(AuthError::UsernameTaken(_))
        ));
        assert!(matches!(
            accounts.check_password("li", "wrong password"),
            Err(AuthError::BadCredentials)
        ));
        assert!(matches!(
            accounts.check_password("nobody", "correct horse"),
            Err(AuthError::BadCredentials)
        ));
        let user2 = accounts.check_password("li", "correct horse").unwrap();
        assert_eq!(user2.id, user.id);
        let token = accounts.login(&user).unwrap();
        assert_eq!(accounts.authenticate(&token).unwrap().user.id, user.id);
        accounts.logout(&token).unwrap();
        assert!(accounts.authenticate(&token).is_err());
        let (device, dtoken) = accounts.register_device(&user, "phone").unwrap();
        let p = accounts.authenticate(&dtoken).unwrap();
        assert_eq!(p.device, Some(device.id));
        assert!(device.card_blocks[0].contains(&format!("C{:08}", device.card_blocks[0].first)));
        assert!(!device.card_blocks[0].contains("C99999999999"));
        assert!(format!("{user:?}").find("argon2").is_none());
    }

    #[test]
    fn company_lists_are_never_empty_and_admit_only_their_companies() {
        let (a, b) = (CompanyId::new(), CompanyId::new());
        assert!(Companies::try_from(Vec::new()).is_err());
        let list = Companies::try_from(vec![b, a, b]).unwrap();
        assert_eq!(list.as_slice().len(), 2);
        let scoped = Assignment::Companies { companies: list };
        assert!(scoped.admits(Some(a)));
        assert!(!scoped.admits(Some(CompanyId::new())));
        assert!(!scoped.admits(None));
        assert!(Assignment::Store.admits(None));
        let json = serde_json::json!({"scope": "companies", "companies": []});
        assert!(serde_json::from_value::<Assignment>(json).is_err());
        let json = serde_json::json!({"scope": "store", "companies": [a]});
        assert!(
            serde_json::from_value::<Assignment>(json).is_err(),
            "companies with the whole store is a mistake, not ignored"
        );
        let json = serde_json::json!({"scope": "companies", "companies": [a, a]});
        let back: Assignment = serde_json::from_value(json).unwrap();
        assert_eq!(back.companies(), Some(&[a][..]));
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::json!({"scope": "companies", "companies": [a]})
        );
    }
}
