//! The PostgreSQL store: the same [`Store`] on a database an operator already runs
//! (`carclub-server serve --store postgres://…`).
//!
//! One table of `(key bytea primary key, value bytea)`. A batch is one transaction (the last write
//! of a key wins, deletes and upserts each one statement over arrays); a prefix visit is a range
//! of keys, `prefix ≤ key < prefix + 1`, read in pages of [`PAGE_ROWS`] rows so nothing holds the
//! whole table; `bytea` compares byte by byte, the order sled keeps. Sessions run with
//! `synchronous_commit = on`, so a committed batch is durable and [`Store::flush`] has nothing
//! left to do. Ids come from a sequence. The server creates and migrates the schema at start, in
//! one transaction under an advisory lock, recording each step in `carclub_schema`.
//!
//! **The bridge.** The trait is synchronous and is called from tokio worker threads, with the core
//! lock held. The store owns a small runtime of its own (two threads named `pg-store`) on which
//! the pool and every connection live; each call spawns its future there and blocks the calling
//! thread on a channel until it answers. The caller never enters a runtime (no `block_on` on a
//! runtime thread, so no "cannot start a runtime from within a runtime"), works the same from
//! async threads, blocking threads and plain ones, and a caller blocked on the database is a
//! thread waiting on IO, as it is with sled's disk.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::store::{Batch, Entries, Order, Store, StoreError, StoreSize, Visitor};

/// Rows fetched per round trip of a visit.
pub const PAGE_ROWS: usize = 512;

/// Connections the pool keeps at most.
const POOL_SIZE: usize = 8;

/// How long a call waits for a connection, or to connect, before it fails.
const CONNECT_WITHIN: Duration = Duration::from_secs(5);

/// The advisory lock that serialises migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x6361_7263_6c75_6201;

/// The schema, a step per version, applied in order; never edit a step once released, add one.
const MIGRATIONS: &[&str] = &[
    // 1: every record, and the id generator.
    "CREATE TABLE carclub_kv (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE SEQUENCE carclub_ids AS bigint MINVALUE 1 START 1;",
];

/// The store on a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
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
            config,
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
        };
        let pool = store.pool.clone();
        store.block(migrate(pool))?;
        Ok(store)
    }

    /// Runs `work` on the store's runtime and waits for it on this thread (see the module docs).
    fn block<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the store");
        runtime.spawn(async move {
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

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
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
        let pool = self.pool.clone();
        self.block(async move {
            let mut c = pool.get().await.map_err(|e| pg("connecting", e))?;
            let tx = c
                .transaction()
                .await
                .map_err(|e| pg("starting a batch", e))?;
            if !deleted.is_empty() {
                let stmt = tx
                    .prepare_cached("DELETE FROM carclub_kv WHERE key = ANY($1)")
                    .await
                    .map_err(|e| pg("preparing a delete", e))?;
                tx.execute(&stmt, &[&deleted])
                    .await
                    .map_err(|e| pg("deleting keys", e))?;
            }
            if !put_keys.is_empty() {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO carclub_kv (key, value) \
                         SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    )
                    .await
                    .map_err(|e| pg("preparing a write", e))?;
                tx.execute(&stmt, &[&put_keys, &put_values])
                    .await
                    .map_err(|e| pg("writing keys", e))?;
            }
            tx.commit().await.map_err(|e| pg("committing a batch", e))
        })
    }

    /// Nothing to do: every batch was committed with `synchronous_commit = on`.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
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
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the store");
        runtime.spawn(async move {
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
