//! Sync: the open connections, who may read or write each document, and the WebSocket
//! connection loop of the automerge-repo protocol.
//!
//! The server's state ([`Core`]) and the connections ([`Hub`]) sit behind one lock in [`Shared`];
//! whoever holds it ([`Locked`]) works on the core, and when they let go, every document their
//! committed changes touched is sent to the connections syncing it. So the domain never calls
//! into sync, and no change is committed without reaching the devices that hold its documents.
//!
//! On a store several instances share, taking the lock also locks the store against the other
//! instances and catches the core up with what they committed (`Core::catch_up`); the documents
//! they changed are sent on when the lock is let go, like this instance's own. A background task
//! ([`follow_changes`]) takes the lock whenever the store's change feed moves past this
//! instance, so its devices hear of other instances' changes without doing anything themselves.

pub mod access;
mod hub;
pub mod ws;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use access::Access;
pub use hub::{Hub, Outbound, SyncError};

use crate::domain::Core;
use crate::domain::auth::Accounts;
use crate::domain::core::locks;
use crate::storage::{ExclusiveGuard, Store, StoreError};

/// The core and the connections.
pub struct Node {
    pub core: Core,
    pub hub: Hub,
}

/// The server's state behind its one lock, and the accounts (which need no lock).
pub struct Shared {
    node: Mutex<Node>,
    accounts: Accounts,
    store: Arc<dyn Store>,
    /// The core's change-log position as of the last lock, read without the lock.
    applied_change: AtomicU64,
}

impl Shared {
    /// Puts `core` behind the lock, with no connection yet.
    pub fn new(core: Core) -> Result<Self, StoreError> {
        let hub = Hub::open(&core)?;
        Ok(Self {
            accounts: core.accounts.clone(),
            store: core.store.clone(),
            applied_change: AtomicU64::new(core.applied_change()),
            node: Mutex::new(Node { core, hub }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How far the core had read the store's change log when last locked.
    pub fn applied_change(&self) -> u64 {
        self.applied_change.load(Ordering::Acquire)
    }

    /// The accounts, read without the lock.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The core, locked. A handler that panicked cannot leave it half-changed in a way the next
    /// one must not see (every change is committed as a batch), so a poisoned lock is taken over.
    ///
    /// On a shared store the store is locked against other instances too and the core caught up.
    /// If that fails (the database cannot be reached), the store refuses writes until a later
    /// lock succeeds, and the core reloads everything then: what it holds may be behind.
    pub fn lock(&self) -> Locked<'_> {
        let mut node = self.node.lock().unwrap_or_else(|e| e.into_inner());
        let exclusive = self
            .store
            .exclusive(locks::CORE)
            .and_then(|guard| node.core.catch_up().map(|()| guard));
        let exclusive = match exclusive {
            Ok(guard) => {
                self.store.fence(false);
                self.applied_change
                    .store(node.core.applied_change(), Ordering::Release);
                guard
            }
            Err(e) => {
                tracing::error!(error = %e, "the store could not be locked or caught up; writes wait for the next lock");
                self.store.fence(true);
                node.core.mark_stale();
                ExclusiveGuard::none()
            }
        };
        Locked {
            _exclusive: exclusive,
            node,
        }
    }
}

/// Keeps an instance on a shared store up to date: whenever the store's change feed moves past
/// what the core has read (another instance committed), takes the lock, which catches up and
/// sends the changed documents on; records how far behind the instance was as the gauge
/// `carclub_change_lag`. Returns at once on a store no other instance shares.
pub fn follow_changes(shared: Arc<Shared>) {
    let Some(mut feed) = shared.store.change_feed() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let head = *feed.borrow_and_update();
            let behind = head.saturating_sub(shared.applied_change());
            metrics::gauge!("carclub_change_lag").set(behind as f64);
            if behind > 0 {
                let s = shared.clone();
                let caught = tokio::task::spawn_blocking(move || drop(s.lock())).await;
                if let Err(e) = caught {
                    tracing::error!(error = %e, "catching up with the store stopped");
                }
                metrics::gauge!("carclub_change_position").set(shared.applied_change() as f64);
            }
            tokio::select! {
                moved = feed.changed() => if moved.is_err() { return },
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    });
}

/// The locked core; on release, what its commits changed goes to the connections.
pub struct Locked<'a> {
    // Released before the mutex: the store's lock is let go first.
    _exclusive: ExclusiveGuard,
    node: MutexGuard<'a, Node>,
}

impl Locked<'_> {
    /// The core and the connections, both borrowed.
    pub fn node(&mut self) -> &mut Node {
        &mut self.node
    }
}

impl Deref for Locked<'_> {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.node.core
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.node.core
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let Node { core, hub } = &mut *self.node;
        let mut changed = core.take_changed();
        if core.take_reloaded() {
            changed = hub.synced();
        }
        for id in changed {
            // A document another instance changed was dropped from memory: load it again if a
            // connection here syncs it, so it hears of the change.
            if !core.docs.is_loaded(&id) && hub.syncs(&id) {
                let store = core.store.clone();
                if let Err(e) = core.docs.load(store.as_ref(), &id) {
                    tracing::error!(error = %e, document = %id, "a changed document could not be loaded");
                    continue;
                }
            }
            hub.broadcast(core, id, None);
        }
    }
}
