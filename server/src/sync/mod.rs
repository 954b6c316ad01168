//! Sync: the open connections, who may read or write each document, and the WebSocket
//! connection loop of the automerge-repo protocol.
//!
//! The server's state ([`Core`]) and the connections ([`Hub`]) sit behind one lock in [`Shared`];
//! whoever holds it ([`Locked`]) works on the core, and when they let go, every document their
//! committed changes touched is sent to the connections syncing it. So the domain never calls
//! into sync, and no change is committed without reaching the devices that hold its documents.

pub mod access;
mod hub;
pub mod ws;

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};

pub use access::Access;
pub use hub::{Hub, Outbound, SyncError};

use crate::domain::Core;
use crate::domain::auth::Accounts;
use crate::storage::StoreError;

/// The core and the connections.
pub struct Node {
    pub core: Core,
    pub hub: Hub,
}

/// The server's state behind its one lock, and the accounts (which need no lock).
pub struct Shared {
    node: Mutex<Node>,
    accounts: Accounts,
}

impl Shared {
    /// Puts `core` behind the lock, with no connection yet.
    pub fn new(core: Core) -> Result<Self, StoreError> {
        let hub = Hub::open(&core)?;
        Ok(Self {
            accounts: core.accounts.clone(),
            node: Mutex::new(Node { core, hub }),
        })
    }

    /// The accounts, read without the lock.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The core, locked. A handler that panicked cannot leave it half-changed in a way the next
    /// one must not see (every change is committed as a batch), so a poisoned lock is taken over.
    pub fn lock(&self) -> Locked<'_> {
        Locked(self.node.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The locked core; on release, what its commits changed goes to the connections.
pub struct Locked<'a>(MutexGuard<'a, Node>);

impl Locked<'_> {
    /// The core and the connections, both borrowed.
    pub fn node(&mut self) -> &mut Node {
        &mut self.0
    }
}

impl Deref for Locked<'_> {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.0.core
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.0.core
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let Node { core, hub } = &mut *self.0;
        for id in core.take_changed() {
            hub.broadcast(core, id, None);
        }
    }
}
