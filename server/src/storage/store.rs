//! Storage: a small key-value trait with atomic, durable batches, and its sled implementation.
//!
//! Everything the server keeps goes through [`Store`]: a batch is applied atomically, and is durable
//! when [`Store::commit`] returns, or once a later [`Store::flush`] returns. The server acknowledges
//! a device's upload only after a flush that covers it (see `durable.rs` for group commit). A second
//! backend (e.g. a shared SQL database for several instances) needs only these operations.

use std::path::Path;
use std::sync::Arc;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the embedded store failed")]
    Sled(#[from] sled::Error),
    #[error("the PostgreSQL store failed {doing}")]
    Postgres {
        doing: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the database's schema is version {found}, newer than this server's {known}")]
    NewerSchema { found: u32, known: u32 },
    #[error("a value for {key} could not be encoded")]
    Encode {
        key: String,
        #[source]
        source: super::CodecError,
    },
    /// Refused before anything was written: the disk holding the store has less room left than
    /// the store keeps in reserve (see [`DISK_RESERVE`]).
    #[error("the disk holding the store is full ({free} bytes free, {reserve} kept in reserve)")]
    DiskFull { free: u64, reserve: u64 },
    /// The embedded store is closed while it reopens after a failed write.
    #[error("the embedded store is reopening after a failed write")]
    Reopening,
    #[error("stored record {key} is corrupt")]
    Corrupt {
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Whether the disk holding the store is full: refused before writing ([`StoreError::DiskFull`]),
    /// or a write the disk refused (ENOSPC, a quota) anywhere in the cause chain, PostgreSQL's
    /// `disk_full` (53100) included.
    pub fn is_disk_full(&self) -> bool {
        fn full(io: &std::io::Error) -> bool {
            matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        }
        let mut next: Option<&(dyn std::error::Error + 'static)> = match self {
            StoreError::DiskFull { .. } => return true,
            StoreError::Sled(sled::Error::Io(io)) => return full(io),
            StoreError::Postgres { source, .. } => Some(source.as_ref()),
            _ => None,
        };
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && full(io)
            {
                return true;
            }
            if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>()
                && pg.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL)
            {
                return true;
            }
            next = e.source();
        }
        false
    }

    /// A record at `key` that cannot be read, and why.
    pub fn corrupt(key: &[u8], why: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            source: why.into(),
        }
    }
}

/// Keys and values, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// What [`Store::visit`] calls with each key and value; `Ok(false)` stops the visit.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool, StoreError> + 'a;

/// Which way a [`Store::visit`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Forward,
    Reverse,
}

/// A set of writes applied together.
#[derive(Debug, Default)]
pub struct Batch {
    pub(super) ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), Some(value.into())));
    }
    /// Removes `key`.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }
    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// The value this batch last wrote at `key`: `Some(None)` if it removes it, `None` if the
    /// batch does not touch it.
    pub fn pending(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.ops
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref())
    }
    /// The writes of this batch under `prefix`, in the order they were made.
    pub fn pending_under<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.ops
            .iter()
            .filter(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
    }
}

/// How much a store holds, as far as it can tell cheaply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSize {
    /// Keys (an estimate on PostgreSQL; `None` where counting would read everything).
    pub keys: Option<u64>,
    /// Bytes on disk.
    pub bytes: u64,
}

/// What changed in a shared store after a position of its change log, as far as one read goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The position this read reached (the caller's next `after`).
    pub last: u64,
    /// The keys written or removed by other instances' batches up to `last`; `None` when the log
    /// cannot tell (it was pruned past `after`, or a batch was too large to list): anything may
    /// have changed.
    pub keys: Option<Vec<Vec<u8>>>,
    /// Whether more changes follow `last`.
    pub more: bool,
}

/// Held while one instance works on a store others share; released when dropped.
#[must_use = "the lock is released when the guard is dropped"]
pub struct ExclusiveGuard(Option<Box<dyn FnOnce() + Send>>);

impl ExclusiveGuard {
    /// A guard with nothing to release (a store no other instance shares).
    pub fn none() -> Self {
        Self(None)
    }

    /// A guard that calls `release` when dropped.
    pub fn releasing(release: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(release)))
    }
}

impl Drop for ExclusiveGuard {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            release();
        }
    }
}

impl std::fmt::Debug for ExclusiveGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ExclusiveGuard")
            .field(&self.0.is_some())
            .finish()
    }
}

/// Durable key-value storage.
///
/// A store several server instances share (PostgreSQL) also keeps a *change log*: every batch
/// takes the next position of one gap-free sequence inside its own transaction and names the keys
/// it wrote, so positions become visible in order; [`Store::exclusive`] locks the store between
/// instances, and [`Store::changes_since`] tells an instance what the others wrote. The embedded
/// store is never shared: it has no log, and its lock is the caller's own mutex.
pub trait Store: Send + Sync + 'static {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Visits the keys and values whose key starts with `prefix`, one at a time, in key order or
    /// in reverse, until `visit` returns `Ok(false)`. Nothing is collected: startup reads 100,000
    /// member records this way without holding them all at once.
    fn visit(&self, prefix: &[u8], order: Order, visit: &mut Visitor<'_>)
    -> Result<(), StoreError>;
    /// Every key and value whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        let mut out = Vec::new();
        self.visit(prefix, Order::Forward, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(true)
        })?;
        Ok(out)
    }
    /// Applies `batch` atomically: after a crash the store holds a prefix of the applied batches,
    /// and a read that starts after this returns sees all of it. (A visit running beside it may
    /// see part of it on sled, whose iterators are not snapshots; the server's writes and the
    /// reads that must agree with them run under its core lock.) Not yet durable.
    fn apply(&self, batch: Batch) -> Result<(), StoreError>;
    /// Makes every batch applied before this call durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Applies `batch` atomically; durable when this returns.
    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
        }
        self.apply(batch)?;
        self.flush()
    }
    /// A number that grows on every call, unique across restarts.
    fn next_id(&self) -> Result<u64, StoreError>;
    /// Makes every later [`Store::next_id`] greater than `floor` (a restored or migrated store
    /// continues the numbers of the store it came from).
    fn ids_above(&self, floor: u64) -> Result<(), StoreError>;
    /// Visits every key and value in key order as of one moment, while the store keeps serving;
    /// the id floor of that moment (every id in the visited records is at most it). Backups and
    /// migrations read this way.
    fn snapshot(&self, visit: &mut Visitor<'_>) -> Result<u64, StoreError>;
    /// Whether the store can be reached now (readiness).
    fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// How much the store holds.
    fn size(&self) -> Result<StoreSize, StoreError> {
        Ok(StoreSize::default())
    }
    /// Locks `lock` (a number the caller chooses) against every other instance on this store
    /// until the guard drops; it does not exclude other threads of this process, which the caller
    /// orders with its own mutex. A store no other instance shares has nothing to lock.
    fn exclusive(&self, lock: u32) -> Result<ExclusiveGuard, StoreError> {
        let _ = lock;
        Ok(ExclusiveGuard::none())
    }
    /// The newest position of the change log; `None` for a store without one (not shared).
    fn change_head(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
    /// What other instances changed after position `after`, in at most `limit` batches; `None`
    /// for a store without a change log. This instance's own batches are counted but not listed:
    /// what it wrote is in its memory already.
    fn changes_since(&self, after: u64, limit: usize) -> Result<Option<Changes>, StoreError> {
        let _ = (after, limit);
        Ok(None)
    }
    /// While fenced, the store refuses every write: an instance that could not lock the store or
    /// read its change log no longer knows what the others wrote, and must not write over it
    /// until a later lock and read succeed.
    fn fence(&self, fenced: bool) {
        let _ = fenced;
    }
    /// A channel that holds the newest position of the change log as the store learns of it
    /// (woken by the database, polled as a fallback); `None` for a store without one.
    fn change_feed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
    /// Makes the store writable again after a failed write: `Ok(true)` when it had to reopen,
    /// which drops every batch applied but not yet flushed (none of them was acknowledged), so
    /// the caller reloads what it keeps in memory. `Ok(false)` when nothing was lost (a database
    /// rolls a failed transaction back by itself). An error while the disk is still full.
    fn recover(&self) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Whether a write failed in a way only [`Store::recover`] mends.
    fn broken(&self) -> bool {
        false
    }
}

/// The room the embedded store keeps free on its disk: a batch is refused with
/// [`StoreError::DiskFull`] before it is written once less than this (and twice the batch) is
/// left, so the store's log is not cut off in the middle of a write. sled writes its log in
/// segments of 512 KiB and rewrites pages as it goes.
pub const DISK_RESERVE: u64 = 4 * 1024 * 1024;

/// The embedded sled store.
///
/// **A full disk.** A batch is refused before it is written while the disk has less than
/// [`DISK_RESERVE`] free, so the server keeps serving reads and writes again once space is freed.
/// If a write fails all the same (something else filled the disk first, or sled's own background
/// flush found it full), sled keeps that error and answers it to later calls until it is opened
/// again: [`Store::recover`] then closes it and opens it anew on the same directory, which
/// recovers exactly what was flushed.
pub struct SledStore {
    dir: std::path::PathBuf,
    cache_bytes: u64,
    /// The open database; `None` only while it is reopened (or could not be).
    open: std::sync::RwLock<Option<Arc<Opened>>>,
    /// Added to sled's own id generator, which cannot be set: raised by [`Store::ids_above`] and
    /// kept in a tree of its own, outside the records.
    id_offset: std::sync::atomic::AtomicU64,
    /// Held shared by every batch and exclusively by a snapshot, so a snapshot sees no batch in
    /// part (sled's iterators are not snapshots); batches wait while one is taken.
    writes: std::sync::RwLock<()>,
    /// sled failed a write, or a read on its disk: it refuses them until it is opened again.
    broken: std::sync::atomic::AtomicBool,
}

/// An open sled database and its `meta` tree.
struct Opened {
    db: sled::Db,
    meta: sled::Tree,
}

impl Opened {
    /// Opens the database in `dir`. sled's background threads let go of its file lock a moment
    /// after the last handle of a database drops, so opening again right after closing (a reopen
    /// after a failed write, a store opened again in the same process) waits for the lock a
    /// little: up to 5 s, then the lock's error stands (another process holds the store).
    fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let config = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(cache_bytes);
        let mut tries = 0;
        let db = loop {
            match config.open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e))
                    if tries < 100 && e.to_string().contains("could not acquire lock") =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let meta = db.open_tree("carclub-meta")?;
        Ok(Self { db, meta })
    }
}

/// The key of the id offset in the sled store's `meta` tree.
const ID_OFFSET: &[u8] = b"id-offset";

/// The page cache sled keeps in memory unless told otherwise (sled's own default is 1 GiB).
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl SledStore {
    /// Opens (or creates) the store in `dir` with the default page cache.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// Opens (or creates) the store in `dir`, keeping at most about `cache_bytes` of pages in memory.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let opened = Opened::open(dir, cache_bytes)?;
        let id_offset = match opened.meta.get(ID_OFFSET)? {
            Some(v) => u64::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|e| StoreError::corrupt(ID_OFFSET, e))?,
            ),
            None => 0,
        };
        Ok(Self {
            dir: dir.to_owned(),
            cache_bytes,
            open: std::sync::RwLock::new(Some(Arc::new(opened))),
            id_offset: id_offset.into(),
            writes: std::sync::RwLock::new(()),
            broken: false.into(),
        })
    }

    /// Notes a write sled failed (it then refuses every write until reopened).
    fn written<T>(&self, r: sled::Result<T>) -> Result<T, StoreError> {
        r.map_err(|e| {
            self.broken
                .store(true, std::sync::atomic::Ordering::Release);
            StoreError::from(e)
        })
    }

    /// Notes a read sled failed on its disk: once its own background flush found the disk full,
    /// sled answers that error to later calls, until it is opened again.
    fn read<T>(&self, r: sled::Result<T>) -> Result<T, StoreError> {
        r.map_err(|e| {
            if matches!(e, sled::Error::Io(_)) {
                self.broken
                    .store(true, std::sync::atomic::Ordering::Release);
            }
            StoreError::from(e)
        })
    }

    /// The open database (not held locked: a reopen waits for the last user to let go).
    fn opened(&self) -> Result<Arc<Opened>, StoreError> {
        self.open
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Reopening)
    }

    /// Refuses a write of `bytes` unless the store's disk keeps [`DISK_RESERVE`] free after it.
    fn room_for(&self, bytes: u64) -> Result<(), StoreError> {
        let reserve = DISK_RESERVE.saturating_add(bytes.saturating_mul(2));
        match fs2::available_space(&self.dir) {
            Ok(free) if free < reserve => Err(StoreError::DiskFull { free, reserve }),
            // A disk that cannot tell is not refused here; the write itself will say.
            _ => Ok(()),
        }
    }

    /// Closes the database and opens it again on the same directory, once there is room.
    fn reopen(&self) -> Result<(), StoreError> {
        let _no_batch = self.writes.write().unwrap_or_else(|e| e.into_inner());
        self.room_for(0)?;
        let old = self.open.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut old) = old {
            // Reads that took the old database finish with it; sled's files are let go when the
            // last of them drops it.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                match Arc::try_unwrap(old) {
                    Ok(opened) => break drop(opened),
                    Err(still) if std::time::Instant::now() < deadline => {
                        old = still;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(still) => {
                        *self.open.write().unwrap_or_else(|e| e.into_inner()) = Some(still);
                        return Err(StoreError::Reopening);
                    }
                }
            }
        }
        let opened = Opened::open(&self.dir, self.cache_bytes)?;
        *self.open.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(opened));
        tracing::warn!(dir = %self.dir.display(), "the store was reopened after a failed write; what was flushed is kept");
        Ok(())
    }
}

impl Store for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read(self.opened()?.db.get(key))?.map(|v| v.to_vec()))
    }

    fn visit(
        &self,
        prefix: &[u8],
        order: Order,
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        let opened = self.opened()?;
        let iter = opened.db.scan_prefix(prefix);
        let mut step = |r: sled::Result<(sled::IVec, sled::IVec)>| -> Result<bool, StoreError> {
            let (k, v) = self.read(r)?;
            visit(&k, &v)
        };
        match order {
            Order::Forward => {
                for r in iter {
                    if !step(r)? {
                        break;
                    }
                }
            }
            Order::Reverse => {
                for r in iter.rev() {
                    if !step(r)? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
        }
        let bytes: usize = batch
            .ops
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum();
        self.room_for(bytes as u64)?;
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        let _writing = self.writes.read().unwrap_or_else(|e| e.into_inner());
        self.written(self.opened()?.db.apply_batch(b))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.written(self.opened()?.db.flush())?;
        Ok(())
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        let offset = self.id_offset.load(std::sync::atomic::Ordering::Acquire);
        Ok(offset.saturating_add(self.written(self.opened()?.db.generate_id())?))
    }

    fn snapshot(&self, visit: &mut Visitor<'_>) -> Result<u64, StoreError> {
        let _still = self.writes.write().unwrap_or_else(|e| e.into_inner());
        let floor = self.next_id()?;
        self.visit(b"", Order::Forward, visit)?;
        Ok(floor)
    }

    fn ids_above(&self, floor: u64) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        let offset = self.id_offset.load(Ordering::Acquire);
        let raised = offset.max(floor.saturating_add(1));
        if raised != offset {
            let opened = self.opened()?;
            self.written(opened.meta.insert(ID_OFFSET, &raised.to_be_bytes()))?;
            self.written(opened.meta.flush())?;
            self.id_offset.store(raised, Ordering::Release);
        }
        Ok(())
    }

    fn size(&self) -> Result<StoreSize, StoreError> {
        Ok(StoreSize {
            keys: None,
            bytes: self.opened()?.db.size_on_disk()?,
        })
    }

    fn broken(&self) -> bool {
        self.broken.load(std::sync::atomic::Ordering::Acquire)
    }

    fn recover(&self) -> Result<bool, StoreError> {
        // A batch refused before it was written left sled as it was.
        if !self.broken() {
            return Ok(false);
        }
        self.reopen()?;
        self.broken
            .store(false, std::sync::atomic::Ordering::Release);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_visible_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            let mut b = Batch::default();
            b.put(b"a/1".to_vec(), b"one".to_vec());
            b.put(b"a/2".to_vec(), b"two".to_vec());
            b.put(b"b/1".to_vec(), b"x".to_vec());
            s.commit(b).unwrap();
            let mut b = Batch::default();
            b.delete(b"a/2".to_vec());
            s.commit(b).unwrap();
        }
        let s = SledStore::open(dir.path()).unwrap();
        let a = s.scan(b"a/").unwrap();
        assert_eq!(a, vec![(b"a/1".to_vec(), b"one".to_vec())]);
        assert_eq!(s.get(b"b/1").unwrap().as_deref(), Some(&b"x"[..]));
        let first = s.next_id().unwrap();
        assert!(s.next_id().unwrap() > first);
    }
}
