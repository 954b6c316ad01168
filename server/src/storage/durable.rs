//! Group commit: a device's upload is acknowledged only once durable, and many uploads share one
//! flush.
//!
//! The sync handler applies its batch under the core lock (atomic, in memory and in the store's log)
//! and notes the batch's *generation*. Every frame the server then sends carries the generation
//! applied at that moment, and a connection's writer holds a frame back until a flush has covered
//! that generation. Flushes run outside the core lock, so the next uploads are folded while the
//! disk works, and whoever flushes covers every batch applied before it started: ten connections
//! waiting on the disk cost one flush, not ten. Nothing that is not yet durable leaves the server.
//!
//! If a flush fails (a full disk), the frames waiting on it are never sent: their connections get
//! an error and close, and the devices send again later. The failure is noted ([`Durability::failed`]);
//! the next writer under the core lock calls [`Durability::recover`], which makes the store
//! writable again once there is room (reopening it if it must, which drops the batches that were
//! never flushed) and starts a new *epoch*: a connection opened before it closes instead of
//! sending anything, since what it was told may have been dropped. Nothing that is not durable
//! leaves the server, and the server keeps serving.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Batch, Store, StoreError};

/// Applied and flushed generations of one store.
pub struct Durability {
    store: Arc<dyn Store>,
    applied: AtomicU64,
    flushed: AtomicU64,
    flushes: AtomicU64,
    leader: Mutex<()>,
    /// A write or flush failed since the last recovery.
    failed: AtomicBool,
    /// Raised each time the store reopened and dropped batches that were applied, never flushed.
    epoch: AtomicU64,
}

impl Durability {
    /// Starts counting for `store`; everything in it now is durable.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            applied: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            leader: Mutex::new(()),
            failed: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
        }
    }

    /// Applies `batch` (not yet durable); returns its generation.
    pub fn apply(&self, batch: Batch) -> Result<u64, StoreError> {
        self.store
            .apply(batch)
            .inspect_err(|_| self.note_failure())?;
        // Counted after the apply returned, so a flush that reads this generation covers it.
        Ok(self.applied.fetch_add(1, Ordering::AcqRel) + 1)
    }

    /// The generation of the last batch applied.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Whether generation `generation` is durable.
    pub fn is_durable(&self, generation: u64) -> bool {
        self.flushed.load(Ordering::Acquire) >= generation
    }

    /// How many flushes ran.
    #[cfg(test)]
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Blocks until generation `generation` is durable, flushing if nobody else is.
    pub fn wait(&self, generation: u64) -> Result<(), StoreError> {
        if self.is_durable(generation) {
            return Ok(());
        }
        let _leader = self.leader.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_durable(generation) {
            return Ok(());
        }
        let target = self.applied();
        let started = std::time::Instant::now();
        self.store.flush().inspect_err(|_| self.note_failure())?;
        metrics::histogram!("carclub_store_flush_seconds").record(started.elapsed());
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    /// Notes that a write or a flush failed: the next [`Durability::recover`] looks at the store.
    pub fn note_failure(&self) {
        self.failed.store(true, Ordering::Release);
    }

    /// Whether a write or flush through this group commit failed since the last recovery.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The current epoch: a connection that saw another one may have been told of batches the
    /// store dropped since, and must close.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// After a failure, makes the store writable again; `Ok(true)` when it reopened and dropped
    /// what was never flushed (a new epoch begins, and the caller reloads its memory). Called
    /// under the core lock, so no batch is applied meanwhile. An error while the disk is still
    /// full; the failure stays noted.
    pub fn recover(&self) -> Result<bool, StoreError> {
        if !self.failed() && !self.store.broken() {
            return Ok(false);
        }
        let _leader = self.leader.lock().unwrap_or_else(|e| e.into_inner());
        let reopened = self.store.recover()?;
        if reopened {
            // Before the next flush can cover the dropped generations.
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        self.failed.store(false, Ordering::Release);
        Ok(reopened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStore;

    #[test]
    fn one_flush_covers_every_batch_applied_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let d = Durability::new(store.clone());
        let mut gens = Vec::new();
        for i in 0..5u8 {
            let mut b = Batch::default();
            b.put(vec![b'k', i], vec![i]);
            gens.push(d.apply(b).unwrap());
        }
        assert_eq!(gens, vec![1, 2, 3, 4, 5]);
        assert!(!d.is_durable(1));
        d.wait(3).unwrap();
        assert!(d.is_durable(5), "the flush covered later batches too");
        assert_eq!(d.flushes(), 1);
        d.wait(5).unwrap();
        assert_eq!(d.flushes(), 1, "nothing left to flush");
        assert_eq!(store.get(b"k\x04").unwrap(), Some(vec![4]));
    }

    #[test]
    fn concurrent_waiters_share_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let d = Arc::new(Durability::new(store));
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let d = d.clone();
                std::thread::spawn(move || {
                    for i in 0..25u8 {
                        let mut b = Batch::default();
                        b.put(vec![t, i], vec![0; 64]);
                        let g = d.apply(b).unwrap();
                        d.wait(g).unwrap();
                        assert!(d.is_durable(g));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(d.applied(), 200);
        assert!(d.is_durable(200));
        assert!(d.flushes() <= 200);
    }
}
