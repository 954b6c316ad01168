//! The PostgreSQL store: the same [`Store`] on a database an operator already runs
//! (`carclub-server serve --store postgres://…`).
//!
//! One table of `(key bytea primary key, value bytea)`. A batch is one statement, so one
//! transaction and one round trip (the last write of a key wins; its deletes, upserts and change
//! log entry are data-modifying parts of one `WITH`); a prefix visit is a range of keys,
//! `prefix ≤ key < prefix + 1`, read in pages of [`PAGE_ROWS`] rows so nothing holds the whole
//! table; `bytea` compares byte by byte, the order sled keeps. Ids come from a sequence. The
//! server creates and migrates the schema at start, in one transaction under an advisory lock,
//! recording each step in `carclub_schema`.
//!
//! **Group commit.** Sessions run with `synchronous_commit = on`, and [`Store::commit`] waits for
//! its batch to reach the disk. [`Store::apply`] — the sync layer's path, under the core lock —
//! commits its statement with `synchronous_commit` turned off for that transaction alone: visible
//! at once, not yet durable, and the core lock is let go without waiting for the disk.
//! [`Store::flush`] is then one small synchronous commit (this instance's row of
//! `carclub_flushes`), which returns only when the write-ahead log is on disk up to its own commit
//! record, so every batch committed before it, by any session, is durable too: the frames that
//! wait for a flush (`durable.rs`) are covered by one fsync for many batches, as on sled. A crash
//! of the database loses at most batches nobody was told of.
//!
//! **The bridge.** The trait is synchronous and is called from tokio worker threads, with the core
//! lock held. The store owns a small runtime of its own (two threads named `pg-store`) on which
//! the pool and every connection live; each call spawns its future there and blocks the calling
//! thread on a channel until it answers. The caller never enters a runtime (no `block_on` on a
//! runtime thread, so no "cannot start a runtime from within a runtime"), works the same from
//! async threads, blocking threads and plain ones, and a caller blocked on the database is a
//! thread waiting on IO, as it is with sled's disk.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{AsyncMessage, NoTls};

use super::store::{
    Batch, Changes, Entries, ExclusiveGuard, Order, Store, StoreError, StoreSize, Visitor,
};

/// Rows fetched per round trip of a visit.
pub const PAGE_ROWS: usize = 512;

/// Connections the pool keeps at most.
const POOL_SIZE: usize = 8;

/// How long a call waits for a connection, or to connect, before it fails.
const CONNECT_WITHIN: Duration = Duration::from_secs(5);

/// The advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x6361_7263_6c75_6201;

/// The first key of the advisory locks [`Store::exclusive`] takes (the second is the caller's).
const EXCLUSIVE_CLASS: i32 = 0x6363_6c62;

/// The channel a committed batch notifies with its change-log position.
const CHANNEL: &str = "carclub_changes";

/// A batch that writes more keys than this is logged as "anything may have changed".
const MOST_LOGGED_KEYS: usize = 4_096;

/// How often the change feed asks for the newest position when no notification came.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// Change-log rows older than this are pruned; an instance further behind reloads everything.
const KEEP_CHANGES: &str = "1 hour";

/// The schema, a step per version, applied in order; never edit a step once released, add one.
const MIGRATIONS: &[&str] = &[
    // 1: every record, and the id generator.
    "CREATE TABLE carclub_kv (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE SEQUENCE carclub_ids AS bigint MINVALUE 1 START 1;",
    // 2: the change log of several instances: one row per batch at a gap-free position taken
    // from the head row inside the batch's transaction (its row lock orders the commits, so
    // positions become visible in order, which a serial column does not promise).
    "CREATE TABLE carclub_change_head (one boolean PRIMARY KEY DEFAULT true CHECK (one),
                                       seq bigint NOT NULL);
     INSERT INTO carclub_change_head (seq) VALUES (0);
     CREATE TABLE carclub_changes (seq bigint PRIMARY KEY, keys bytea[],
                                   at timestamptz NOT NULL DEFAULT now());",
    // 3: group commit: a flush is a synchronous commit of the instance's own row here, which
    // makes every batch committed before it durable.
    "CREATE TABLE carclub_flushes (instance uuid PRIMARY KEY, flushes bigint NOT NULL,
                                   at timestamptz NOT NULL DEFAULT now());",
];

/// One batch as one statement (`$1` keys deleted, `$2`/`$3` keys and values written, `$4` the
/// keys the change log names, `$5` the transaction's `synchronous_commit`). Deleted and written
/// keys never overlap (the last write wins before this), so no row is touched twice. The head
/// row's lock orders the commits; the notification leaves when the transaction commits, never
/// before.
const BATCH_SQL: &str = "WITH d AS (DELETE FROM carclub_kv WHERE key = ANY($1::bytea[])), \
     u AS (INSERT INTO carclub_kv (key, value) \
           SELECT * FROM unnest($2::bytea[], $3::bytea[]) \
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value), \
     h AS (UPDATE carclub_change_head SET seq = seq + 1 RETURNING seq), \
     c AS (INSERT INTO carclub_changes (seq, keys) SELECT seq, $4 FROM h RETURNING seq) \
     SELECT c.seq, set_config('synchronous_commit', $5, true) \
     FROM c, LATERAL pg_notify('carclub_changes', c.seq::text)";

/// A flush: this instance's row, committed synchronously.
const FLUSH_SQL: &str = "INSERT INTO carclub_flushes (instance, flushes) VALUES ($1::text::uuid, 1) \
     ON CONFLICT (instance) DO UPDATE SET flushes = carclub_flushes.flushes + 1, at = now()";

/// The store on a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    /// Where the change feed connects on its own (a LISTEN needs a connection of its own).
    config: tokio_postgres::Config,
    /// Change-log positions of this instance's own batches not yet passed by
    /// [`Store::changes_since`].
    own: Mutex<BTreeSet<u64>>,
    /// Whether writes are refused ([`Store::fence`]).
    fenced: AtomicBool,
    /// The newest change-log position, kept by the change feed once asked for.
    feed: OnceLock<tokio::sync::watch::Receiver<u64>>,
    /// This instance's row in `carclub_flushes`.
    instance: uuid::Uuid,
}

/// A PostgreSQL failure while `doing` something.
fn pg(doing: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Postgres {
        doing,
        source: Box::new(e),
    }
}

/// The first key after every key that starts with `prefix`; `None` when there is none.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host/db`, a unix socket as
    /// `postgres://user@%2Frun%2Fpostgresql/db` or `?host=/run/postgresql`) and creates or
    /// migrates the schema.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| pg("reading the database address", e))?;
        config.connect_timeout(CONNECT_WITHIN);
        config.options("-c synchronous_commit=on");
        config.application_name("carclub-server");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pg-store")
            .enable_all()
            .build()
            .map_err(|e| pg("starting the store's runtime", e))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_WITHIN))
            .create_timeout(Some(CONNECT_WITHIN))
            .recycle_timeout(Some(CONNECT_WITHIN))
            .build()
            .map_err(|e| pg("setting up the connection pool", e))?;
        let store = Self {
            pool,
            runtime: Some(runtime),
            config,
            own: Mutex::new(BTreeSet::new()),
            fenced: AtomicBool::new(false),
            feed: OnceLock::new(),
            instance: uuid::Uuid::new_v4(),
        };
        let pool = store.pool.clone();
        store.block(migrate(pool))?;
        Ok(store)
    }

    /// Commits `batch` as one statement, waiting for the disk when `durable`.
    fn write(&self, batch: Batch, durable: bool) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
        }
        if self.fenced.load(Ordering::Acquire) {
            return Err(pg(
                "writing: this instance could not lock the database or read its change log",
                std::io::Error::other("fenced until the next lock succeeds"),
            ));
        }
        // The last write of each key wins, as in sled's batches.
        let last: BTreeMap<Vec<u8>, Option<Vec<u8>>> = batch.ops.into_iter().collect();
        let (mut put_keys, mut put_values, mut deleted) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in last {
            match v {
                Some(v) => {
                    put_keys.push(k);
                    put_values.push(v);
                }
                None => deleted.push(k),
            }
        }
        let logged: Option<Vec<Vec<u8>>> = (put_keys.len() + deleted.len() <= MOST_LOGGED_KEYS)
            .then(|| put_keys.iter().chain(&deleted).cloned().collect());
        let pool = self.pool.clone();
        let sync = if durable { "on" } else { "off" };
        let seq = self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let stmt = c
                .prepare_cached(BATCH_SQL)
                .await
                .map_err(|e| pg("preparing a batch", e))?;
            let row = c
                .query_one(&stmt, &[&deleted, &put_keys, &put_values, &logged, &sync])
                .await
                .map_err(|e| pg("committing a batch", e))?;
            let seq: i64 = row.try_get(0).map_err(|e| pg("committing a batch", e))?;
            Ok(seq as u64)
        })?;
        self.own
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(seq);
        Ok(())
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the store")
    }

    /// Runs `work` on the store's runtime and waits for it on this thread (see the module docs).
    fn block<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv()
            .map_err(|e| pg("waiting for the store's runtime", e))?
    }

    /// One page of a visit: keys from `lo` (inclusive, or exclusive when `after`) below `hi`.
    fn page(
        &self,
        lo: Vec<u8>,
        lo_exclusive: bool,
        hi: Option<Vec<u8>>,
        order: Order,
    ) -> Result<Entries, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let sql = format!(
                "SELECT key, value FROM carclub_kv WHERE key {} $1{} ORDER BY key{} LIMIT {PAGE_ROWS}",
                if lo_exclusive { ">" } else { ">=" },
                if hi.is_some() { " AND key < $2" } else { "" },
                if order == Order::Reverse { " DESC" } else { "" },
            );
            let stmt = c
                .prepare_cached(&sql)
                .await
                .map_err(|e| pg("preparing a visit", e))?;
            let rows = match &hi {
                Some(hi) => c.query(&stmt, &[&lo, hi]).await,
                None => c.query(&stmt, &[&lo]).await,
            }
            .map_err(|e| pg("visiting keys", e))?;
            rows.into_iter()
                .map(|r| {
                    let k: Vec<u8> = r.try_get(0).map_err(|e| pg("reading a key", e))?;
                    let v: Vec<u8> = r.try_get(1).map_err(|e| pg("reading a value", e))?;
                    Ok((k, v))
                })
                .collect()
        })
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime waits for its threads, which may not happen on an async thread.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Creates or upgrades the schema, one transaction under an advisory lock, so instances that
/// start together migrate once.
async fn migrate(pool: Pool) -> Result<(), StoreError> {
    let mut c = pool.get().await.map_err(|e| pg("connecting", e))?;
    let tx = c
        .transaction()
        .await
        .map_err(|e| pg("starting the migration", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| pg("locking the schema", e))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS carclub_schema (version integer PRIMARY KEY)")
        .await
        .map_err(|e| pg("creating the schema table", e))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM carclub_schema", &[])
        .await
        .map_err(|e| pg("reading the schema version", e))?;
    let version: i32 = row
        .try_get(0)
        .map_err(|e| pg("reading the schema version", e))?;
    let known = MIGRATIONS.len() as i32;
    if version > known {
        return Err(StoreError::NewerSchema {
            found: version as u32,
            known: known as u32,
        });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| pg("migrating the schema", e))?;
        tx.execute(
            "INSERT INTO carclub_schema (version) VALUES ($1)",
            &[&(step as i32 + 1)],
        )
        .await
        .map_err(|e| pg("recording the schema version", e))?;
    }
    tx.commit()
        .await
        .map_err(|e| pg("committing the migration", e))
}

impl Store for PgStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let pool = self.pool.clone();
        let key = key.to_vec();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let stmt = c
                .prepare_cached("SELECT value FROM carclub_kv WHERE key = $1")
                .await
                .map_err(|e| pg("preparing a read", e))?;
            let row = c
                .query_opt(&stmt, &[&key])
                .await
                .map_err(|e| pg("reading a key", e))?;
            row.map(|r| r.try_get(0).map_err(|e| pg("reading a value", e)))
                .transpose()
        })
    }

    fn visit(
        &self,
        prefix: &[u8],
        order: Order,
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        let end = prefix_end(prefix);
        // Forward pages move the lower bound past the last key seen; reverse pages move the
        // upper bound below it.
        let (mut lo, mut lo_exclusive, mut hi) = (prefix.to_vec(), false, end);
        loop {
            let page = self.page(lo.clone(), lo_exclusive, hi.clone(), order)?;
            let full = page.len() == PAGE_ROWS;
            let mut last = None;
            for (k, v) in page {
                if !visit(&k, &v)? {
                    return Ok(());
                }
                last = Some(k);
            }
            match (full, last) {
                (true, Some(k)) => match order {
                    Order::Forward => {
                        lo = k;
                        lo_exclusive = true;
                    }
                    Order::Reverse => hi = Some(k),
                },
                _ => return Ok(()),
            }
        }
    }

    /// Commits `batch` without waiting for the disk: visible at once, durable at the next
    /// [`Store::flush`] (see the module docs).
    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        self.write(batch, false)
    }

    /// Commits `batch` and waits for the disk: durable when this returns (and so is every batch
    /// applied before it).
    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.write(batch, true)
    }

    /// One synchronous commit of this instance's row: returns once the write-ahead log is on
    /// disk up to it, so every batch applied before this call is durable.
    fn flush(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let instance = self.instance;
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let stmt = c
                .prepare_cached(FLUSH_SQL)
                .await
                .map_err(|e| pg("preparing a flush", e))?;
            c.execute(&stmt, &[&instance.to_string()])
                .await
                .map_err(|e| pg("flushing", e))?;
            Ok(())
        })
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let stmt = c
                .prepare_cached("SELECT nextval('carclub_ids')")
                .await
                .map_err(|e| pg("preparing the id generator", e))?;
            let row = c
                .query_one(&stmt, &[])
                .await
                .map_err(|e| pg("taking an id", e))?;
            let id: i64 = row.try_get(0).map_err(|e| pg("taking an id", e))?;
            Ok(id as u64)
        })
    }

    fn snapshot(&self, visit: &mut Visitor<'_>) -> Result<u64, StoreError> {
        // One repeatable-read transaction on one connection, held by a task on the store's
        // runtime, reads the table through a cursor a page at a time, each page asked for by
        // this thread: the visit is one moment of the table and never all of it in memory.
        let (ask, mut asked) = tokio::sync::mpsc::unbounded_channel::<()>();
        let (give, pages) = mpsc::channel::<Result<Entries, StoreError>>();
        let pool = self.pool.clone();
        self.runtime().spawn(async move {
            let read = async {
                let mut c = pool.get().await.map_err(|e| pg("connecting", e))?;
                let tx = c
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await
                    .map_err(|e| pg("starting a snapshot", e))?;
                tx.batch_execute(
                    "DECLARE carclub_snapshot NO SCROLL CURSOR FOR \
                     SELECT key, value FROM carclub_kv ORDER BY key",
                )
                .await
                .map_err(|e| pg("opening a snapshot", e))?;
                let fetch = format!("FETCH {PAGE_ROWS} FROM carclub_snapshot");
                while asked.recv().await.is_some() {
                    let rows = tx
                        .query(&fetch, &[])
                        .await
                        .map_err(|e| pg("reading a snapshot", e))?;
                    let page = rows
                        .into_iter()
                        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                        .collect::<Result<Entries, tokio_postgres::Error>>()
                        .map_err(|e| pg("reading a snapshot", e));
                    if give.send(page).is_err() {
                        break;
                    }
                }
                Ok::<(), StoreError>(())
            };
            if let Err(e) = read.await {
                let _ = give.send(Err(e));
            }
        });
        let mut floor = None;
        loop {
            ask.send(())
                .map_err(|e| pg("asking for a snapshot page", e))?;
            let page = pages
                .recv()
                .map_err(|e| pg("waiting for a snapshot page", e))??;
            // The transaction's snapshot exists once its first page is read; every id taken
            // after that is above every id its records hold.
            if floor.is_none() {
                floor = Some(self.next_id()?);
            }
            let full = page.len() == PAGE_ROWS;
            for (k, v) in page {
                if !visit(&k, &v)? {
                    return Ok(floor.unwrap_or_default());
                }
            }
            if !full {
                return Ok(floor.unwrap_or_default());
            }
        }
    }

    fn ids_above(&self, floor: u64) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let floor = i64::try_from(floor).unwrap_or(i64::MAX).max(1);
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            c.execute(
                "SELECT setval('carclub_ids', greatest($1, (SELECT last_value FROM carclub_ids)))",
                &[&floor],
            )
            .await
            .map_err(|e| pg("moving the id generator", e))?;
            Ok(())
        })
    }

    fn check(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            c.simple_query("SELECT 1")
                .await
                .map_err(|e| pg("reaching the database", e))?;
            Ok(())
        })
    }

    fn size(&self) -> Result<StoreSize, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            // The planner's estimate of the rows and the table's size on disk: no scan.
            let row = c
                .query_one(
                    "SELECT greatest(reltuples, 0)::bigint, pg_total_relation_size(oid) \
                     FROM pg_class WHERE relname = 'carclub_kv'",
                    &[],
                )
                .await
                .map_err(|e| pg("reading the store's size", e))?;
            let keys: i64 = row.try_get(0).map_err(|e| pg("reading the size", e))?;
            let bytes: i64 = row.try_get(1).map_err(|e| pg("reading the size", e))?;
            Ok(StoreSize {
                keys: Some(keys.max(0) as u64),
                bytes: bytes.max(0) as u64,
            })
        })
    }

    /// A session advisory lock on a connection the guard keeps; released on the store's runtime
    /// when the guard drops (the next taker waits in the database until it is). A connection
    /// that cannot release is closed, which releases it too; so does an instance that dies.
    fn exclusive(&self, lock: u32) -> Result<ExclusiveGuard, StoreError> {
        let pool = self.pool.clone();
        let key = lock as i32;
        let conn: Object = self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            c.execute("SELECT pg_advisory_lock($1, $2)", &[&EXCLUSIVE_CLASS, &key])
                .await
                .map_err(|e| pg("locking the store", e))?;
            Ok(c)
        })?;
        let runtime = self.runtime().handle().clone();
        Ok(ExclusiveGuard::releasing(move || {
            runtime.spawn(async move {
                let released = conn
                    .execute("SELECT pg_advisory_unlock($1, $2)", &[&EXCLUSIVE_CLASS, &key])
                    .await;
                if let Err(e) = released {
                    tracing::warn!(error = %e, "an advisory lock could not be released; closing its connection");
                    drop(Object::take(conn));
                }
            });
        }))
    }

    fn change_head(&self) -> Result<Option<u64>, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            head(&c).await.map(Some)
        })
    }

    fn changes_since(&self, after: u64, limit: usize) -> Result<Option<Changes>, StoreError> {
        let pool = self.pool.clone();
        let from = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = limit.max(1) as i64;
        let (newest, rows) = self.block(async move {
            let c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let newest = head(&c).await?;
            if newest <= after {
                return Ok((newest, Vec::new()));
            }
            let stmt = c
                .prepare_cached(
                    "SELECT seq, keys FROM carclub_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .await
                .map_err(|e| pg("preparing a change-log read", e))?;
            let rows = c
                .query(&stmt, &[&from, &limit])
                .await
                .map_err(|e| pg("reading the change log", e))?
                .into_iter()
                .map(|r| {
                    let seq: i64 = r.try_get(0)?;
                    let keys: Option<Vec<Vec<u8>>> = r.try_get(1)?;
                    Ok((seq as u64, keys))
                })
                .collect::<Result<Vec<_>, tokio_postgres::Error>>()
                .map_err(|e| pg("reading the change log", e))?;
            Ok((newest, rows))
        })?;
        let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        if newest < after {
            // The log restarted below this instance (a store restored under it): start over.
            own.clear();
            return Ok(Some(Changes {
                last: newest,
                keys: None,
                more: false,
            }));
        }
        let last = match rows.last() {
            Some((seq, _)) => *seq,
            None => newest,
        };
        let more = last < newest;
        // Positions are gap-free: a first row past `after + 1` (or none while the head is ahead)
        // means the rows between were pruned.
        let pruned = rows
            .first()
            .map_or(newest > after, |(seq, _)| *seq != after + 1);
        let mut keys = (!pruned).then(Vec::new);
        for (seq, logged) in rows {
            if own.remove(&seq) {
                continue;
            }
            match (logged, keys.as_mut()) {
                (Some(logged), Some(keys)) => keys.extend(logged),
                _ => keys = None,
            }
        }
        own.retain(|seq| *seq > last);
        Ok(Some(Changes { last, keys, more }))
    }

    fn fence(&self, fenced: bool) {
        self.fenced.store(fenced, Ordering::Release);
    }

    fn change_feed(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        let feed = self.feed.get_or_init(|| {
            let (tx, rx) = tokio::sync::watch::channel(0);
            self.runtime().spawn(feed(self.config.clone(), tx));
            rx
        });
        Some(feed.clone())
    }
}

/// The newest change-log position.
async fn head(c: &tokio_postgres::Client) -> Result<u64, StoreError> {
    let row = c
        .query_one("SELECT seq FROM carclub_change_head", &[])
        .await
        .map_err(|e| pg("reading the change log's head", e))?;
    let seq: i64 = row
        .try_get(0)
        .map_err(|e| pg("reading the change log's head", e))?;
    Ok(seq.max(0) as u64)
}

/// Keeps `tx` at the newest change-log position: LISTENs on a connection of its own (woken by
/// every commit's notification), asks every [`POLL_EVERY`] in case one was missed and at once
/// after every (re)connection, and prunes old log rows now and then.
async fn feed(config: tokio_postgres::Config, tx: tokio::sync::watch::Sender<u64>) {
    let publish = |seq: u64| {
        tx.send_if_modified(|at| {
            let newer = seq > *at;
            if newer {
                *at = seq;
            }
            newer
        });
    };
    loop {
        let (client, mut conn) = match config.connect(NoTls).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "the change feed cannot reach the database; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let (wake, mut woken) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let driver = tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if let Ok(seq) = n.payload().parse::<u64>() {
                            let _ = wake.send(seq);
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        let listened = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
        let mut poll = tokio::time::interval(POLL_EVERY);
        let mut prune = tokio::time::interval(Duration::from_secs(60));
        if listened.is_ok() {
            loop {
                tokio::select! {
                    seq = woken.recv() => match seq {
                        Some(seq) => publish(seq),
                        None => break,
                    },
                    _ = poll.tick() => match head(&client).await {
                        Ok(seq) => publish(seq),
                        Err(_) => break,
                    },
                    _ = prune.tick() => {
                        let pruned = client
                            .execute(
                                &format!("DELETE FROM carclub_changes WHERE at < now() - interval '{KEEP_CHANGES}'"),
                                &[],
                            )
                            .await;
                        if pruned.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        driver.abort();
        tracing::warn!("the change feed lost its connection; reconnecting");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn the_end_of_a_prefix_is_the_first_key_after_it() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }
}
