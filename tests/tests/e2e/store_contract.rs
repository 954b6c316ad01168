//! The storage contract the server relies on (`carclub_server::storage::Store`), the same checks
//! on each backend: the embedded sled store and PostgreSQL (a real cluster in a temporary
//! directory). Batches are atomic and the last write of a key wins; prefix visits go in key order
//! both ways, across many pages, and stop when told; a reopened store holds everything; ids
//! increase, across reopening, and continue above a floor.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use carclub_server::storage::{Batch, Order, PgStore, SledStore, Store};
use carclub_tests::Postgres;

/// Opens the backend under test (again, on the same data).
type Open<'a> = &'a dyn Fn() -> Arc<dyn Store>;

/// More keys than one page of the PostgreSQL store's visits.
const MANY: u32 = 1_300;

fn key(n: u32) -> Vec<u8> {
    let mut k = b"p/".to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

fn visited(store: &dyn Store, prefix: &[u8], order: Order) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    store
        .visit(prefix, order, &mut |k, _| {
            keys.push(k.to_vec());
            Ok(true)
        })
        .unwrap();
    keys
}

/// `whole_reads`: whether a visit running beside a batch sees it whole or not at all (PostgreSQL:
/// each page is one statement; sled's iterators are not snapshots, so there only a batch applied
/// before the visit is seen whole — the server's writes and the reads that must agree with them
/// happen under its core lock).
fn contract(open: Open<'_>, whole_reads: bool) {
    let first_ids;
    {
        let store = open();
        // Neighbours of the prefix, to be left out of its visits.
        let mut b = Batch::default();
        b.put(b"o\xff".to_vec(), b"before".to_vec());
        b.put(b"p".to_vec(), b"shorter".to_vec());
        b.put(b"p0".to_vec(), b"after".to_vec());
        b.put(vec![0xff, 0xff, 1], b"high".to_vec());
        store.commit(b).unwrap();
        let mut b = Batch::default();
        for n in (0..MANY).rev() {
            b.put(key(n), n.to_le_bytes().to_vec());
        }
        store.commit(b).unwrap();

        // The last write of a key in a batch wins, deletes included.
        let mut b = Batch::default();
        b.put(b"w/1".to_vec(), b"first".to_vec());
        b.put(b"w/1".to_vec(), b"second".to_vec());
        b.put(b"w/2".to_vec(), b"gone".to_vec());
        b.delete(b"w/2".to_vec());
        b.delete(b"w/3".to_vec());
        b.put(b"w/3".to_vec(), b"back".to_vec());
        store.commit(b).unwrap();
        assert_eq!(store.get(b"w/1").unwrap().as_deref(), Some(&b"second"[..]));
        assert_eq!(store.get(b"w/2").unwrap(), None);
        assert_eq!(store.get(b"w/3").unwrap().as_deref(), Some(&b"back"[..]));

        let forward = visited(&*store, b"p/", Order::Forward);
        assert_eq!(forward, (0..MANY).map(key).collect::<Vec<_>>(), "key order");
        let reverse = visited(&*store, b"p/", Order::Reverse);
        assert_eq!(
            reverse,
            (0..MANY).rev().map(key).collect::<Vec<_>>(),
            "reverse order"
        );
        let mut seen = 0;
        store
            .visit(b"p/", Order::Reverse, &mut |_, _| {
                seen += 1;
                Ok(seen < 3)
            })
            .unwrap();
        assert_eq!(seen, 3, "a visit stops when told");
        assert_eq!(
            visited(&*store, &[0xff, 0xff], Order::Forward),
            vec![vec![0xff, 0xff, 1]],
            "a prefix of 0xff bytes has no end key"
        );
        assert_eq!(
            visited(&*store, b"", Order::Forward).len() as u32,
            MANY + 4 + 2,
            "the empty prefix visits everything"
        );

        // Readers see a batch whole or not at all.
        let mut b = Batch::default();
        for i in 0..20u8 {
            b.put(vec![b'a', b'/', i], u32::MAX.to_be_bytes().to_vec());
        }
        store.apply(b).unwrap();
        assert_eq!(
            store.scan(b"a/").unwrap().len(),
            20,
            "a batch applied is seen whole"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut round = 0u32;
                while !stop.load(Ordering::Relaxed) && round < 400 {
                    let mut b = Batch::default();
                    for i in 0..20u8 {
                        b.put(vec![b'a', b'/', i], round.to_be_bytes().to_vec());
                    }
                    store.apply(b).unwrap();
                    round += 1;
                }
            })
        };
        for _ in 0..if whole_reads { 200 } else { 0 } {
            let values: Vec<Vec<u8>> = store
                .scan(b"a/")
                .unwrap()
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            assert!(
                values.windows(2).all(|w| w[0] == w[1]),
                "a reader saw part of a batch: {values:?}"
            );
            if writer.is_finished() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();

        let a = store.next_id().unwrap();
        let b = store.next_id().unwrap();
        assert!(b > a, "ids increase");
        first_ids = b;
        store.flush().unwrap();
        store.check().unwrap();
    }
    let store = open();
    assert_eq!(
        visited(&*store, b"p/", Order::Forward).len() as u32,
        MANY,
        "reopened, the store holds everything"
    );
    assert_eq!(store.get(b"p0").unwrap().as_deref(), Some(&b"after"[..]));
    assert_eq!(store.get(b"w/1").unwrap().as_deref(), Some(&b"second"[..]));
    let after = store.next_id().unwrap();
    assert!(after > first_ids, "ids increase across reopening");
    store.ids_above(after + 1_000_000).unwrap();
    assert!(
        store.next_id().unwrap() > after + 1_000_000,
        "ids continue above a floor"
    );
    store.ids_above(5).unwrap();
    assert!(
        store.next_id().unwrap() > after + 1_000_000,
        "a lower floor moves nothing back"
    );
}

#[test]
fn the_sled_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    contract(
        &|| Arc::new(SledStore::open(&path).unwrap()) as Arc<dyn Store>,
        false,
    );
}

#[test]
fn the_postgres_store_keeps_the_contract() {
    let pg = Postgres::start_new();
    let url = pg.url();
    contract(
        &|| Arc::new(PgStore::open(&url).unwrap()) as Arc<dyn Store>,
        true,
    );
}

#[test]
fn the_postgres_store_reports_an_unreachable_database_as_an_error() {
    let mut pg = Postgres::start_new();
    let store = PgStore::open(&pg.url()).unwrap();
    store.check().unwrap();
    pg.stop();
    let err = store.check().unwrap_err();
    let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    assert!(chain.contains("PostgreSQL"), "{chain}");
    assert!(store.get(b"x").is_err());
    pg.start().unwrap();
    store
        .check()
        .expect("reachable again once the database is back");
}

/// Two handles on one database are two instances: each batch takes the next position of the
/// change log, an instance is told of the other's keys (not its own), the exclusive lock keeps
/// the other out until it is let go, and a fenced store writes nothing.
#[test]
fn the_postgres_store_logs_each_batch_for_the_other_instances() {
    let pg = Postgres::start_new();
    let (one, two) = (
        PgStore::open(&pg.url()).unwrap(),
        PgStore::open(&pg.url()).unwrap(),
    );
    let start = one
        .change_head()
        .unwrap()
        .expect("PostgreSQL keeps a change log");
    let mut b = Batch::default();
    b.put(b"k/1".to_vec(), b"one".to_vec());
    b.delete(b"k/0".to_vec());
    one.commit(b).unwrap();
    let mut b = Batch::default();
    b.put(b"k/2".to_vec(), b"two".to_vec());
    two.commit(b).unwrap();
    assert_eq!(two.change_head().unwrap(), Some(start + 2), "gap-free");

    let seen_by_two = two.changes_since(start, 100).unwrap().unwrap();
    assert_eq!(seen_by_two.last, start + 2);
    assert_eq!(
        seen_by_two.keys,
        Some(vec![b"k/1".to_vec(), b"k/0".to_vec()]),
        "the other's writes and deletes, not its own"
    );
    let seen_by_one = one.changes_since(start, 1).unwrap().unwrap();
    assert_eq!(
        seen_by_one.keys,
        Some(Vec::new()),
        "its own batch is not listed"
    );
    assert!(seen_by_one.more, "one batch per read asked for");
    let rest = one.changes_since(seen_by_one.last, 1).unwrap().unwrap();
    assert_eq!(rest.keys, Some(vec![b"k/2".to_vec()]));
    assert!(!rest.more);

    // While one holds the lock, two waits for it.
    let held = one.exclusive(7).unwrap();
    let taken = AtomicBool::new(false);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let _lock = two.exclusive(7).unwrap();
            taken.store(true, Ordering::SeqCst);
        });
        // Another lock number is free meanwhile, and a batch commits.
        drop(two.exclusive(8).unwrap());
        let mut b = Batch::default();
        b.put(b"k/3".to_vec(), b"three".to_vec());
        one.commit(b).unwrap();
        assert!(!taken.load(Ordering::SeqCst), "two got the lock one holds");
        drop(held);
        waiter.join().unwrap();
    });
    assert!(taken.load(Ordering::SeqCst));

    one.fence(true);
    let mut b = Batch::default();
    b.put(b"k/4".to_vec(), b"four".to_vec());
    assert!(one.commit(b).is_err(), "a fenced store refuses writes");
    assert_eq!(two.get(b"k/4").unwrap(), None);
    one.fence(false);
    let mut b = Batch::default();
    b.put(b"k/4".to_vec(), b"four".to_vec());
    one.commit(b).unwrap();

    // The embedded store has no log and nothing to lock.
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    assert_eq!(sled.change_head().unwrap(), None);
    assert_eq!(sled.changes_since(0, 10).unwrap(), None);
    drop(sled.exclusive(7).unwrap());
}
