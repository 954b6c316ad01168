//! Whole stores moved as bytes: a backup file written from a [`Store::snapshot`], restored into an
//! empty store, and a store copied into another (`carclub-server backup`, `restore`, `migrate`).
//!
//! The same for both backends, since it sees only keys and values. A backup file is a header
//! line, `carclub-backup 1`, then each record as `1, key length (u32, big-endian), key, value
//! length (u32), value` in key order, then `0`, the id floor (u64), the record count (u64) and the
//! SHA-256 of every record's bytes (from its key length on). That checksum is also what
//! [`digest`] prints for a store, so a restored or migrated store is checked against its source by
//! comparing two lines. A restore reads the whole file and checks it before it writes anything.

use std::fmt;
use std::io::{self, BufReader, BufWriter, Read, Write};

use sha2::{Digest as _, Sha256};

use super::{Batch, Order, Store, StoreError};

const HEADER: &[u8] = b"carclub-backup 1\n";

/// Records written per batch by a restore or a migration.
const BATCH_RECORDS: usize = 1_000;
/// Bytes written per batch at most (beyond one record).
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What a backup, restore or migration could not do.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading or writing the backup file failed")]
    Io(#[from] io::Error),
    #[error(
        "the target store is not empty (found key {0:?}); restore and migrate write only into an empty store"
    )]
    NotEmpty(String),
    #[error("this is not a carclub backup file, or it is cut short: {0}")]
    BadFile(&'static str),
    #[error("the backup's checksum is {expected} but its records hash to {found}")]
    Corrupt { expected: Summary, found: Summary },
    #[error("the copy differs from its source: source {source_sum}, copy {copy}")]
    Differs { source_sum: Summary, copy: Summary },
}

/// A store's records at one moment: how many, their bytes and their checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Records.
    pub keys: u64,
    /// Bytes of keys and values.
    pub bytes: u64,
    /// SHA-256 over each record's key length, key, value length and value, in key order.
    pub sha256: [u8; 32],
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} keys, {} bytes, sha256 ", self.keys, self.bytes)?;
        for b in self.sha256 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A running [`Summary`].
#[derive(Default)]
struct Hasher {
    keys: u64,
    bytes: u64,
    sha: Sha256,
}

impl Hasher {
    /// Adds a record; its bytes as the file holds them (after the tag).
    fn add(&mut self, key: &[u8], value: &[u8]) -> Result<Vec<u8>, TransferError> {
        let len = |b: &[u8]| {
            u32::try_from(b.len())
                .map(u32::to_be_bytes)
                .map_err(|_| TransferError::BadFile("a record longer than 4 GiB"))
        };
        let mut record = Vec::with_capacity(8 + key.len() + value.len());
        record.extend_from_slice(&len(key)?);
        record.extend_from_slice(key);
        record.extend_from_slice(&len(value)?);
        record.extend_from_slice(value);
        self.sha.update(&record);
        self.keys += 1;
        self.bytes += (key.len() + value.len()) as u64;
        Ok(record)
    }

    fn finish(self) -> Summary {
        Summary {
            keys: self.keys,
            bytes: self.bytes,
            sha256: self.sha.finalize().into(),
        }
    }
}

/// Writes a backup of `store` at one moment into `out`; its summary. `progress` is told the
/// records written so far, now and then.
pub fn backup(
    store: &dyn Store,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, TransferError> {
    let mut out = BufWriter::new(out);
    out.write_all(HEADER)?;
    let mut hasher = Hasher::default();
    let mut failed = None;
    let floor = store.snapshot(&mut |k, v| {
        let written = hasher
            .add(k, v)
            .and_then(|record| Ok(out.write_all(&[1]).and_then(|()| out.write_all(&record))?));
        if let Err(e) = written {
            failed = Some(e);
            return Ok(false);
        }
        if hasher.keys.is_multiple_of(4096) {
            progress(hasher.keys);
        }
        Ok(true)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let summary = hasher.finish();
    out.write_all(&[0])?;
    out.write_all(&floor.to_be_bytes())?;
    out.write_all(&summary.keys.to_be_bytes())?;
    out.write_all(&summary.sha256)?;
    out.flush()?;
    progress(summary.keys);
    Ok(summary)
}

/// Reads a backup file, calling `record` with each record; the id floor and the summary, checked
/// against the file's own.
fn read(
    input: impl Read,
    record: &mut dyn FnMut(Vec<u8>, Vec<u8>) -> Result<(), TransferError>,
) -> Result<(u64, Summary), TransferError> {
    let mut input = BufReader::new(input);
    let mut header = [0u8; HEADER.len()];
    input
        .read_exact(&mut header)
        .map_err(|_| TransferError::BadFile("no header"))?;
    if header != HEADER {
        return Err(TransferError::BadFile("unknown header"));
    }
    let mut hasher = Hasher::default();
    let cut = |_| TransferError::BadFile("the file ends inside a record");
    let read_part = |input: &mut BufReader<_>| -> Result<Vec<u8>, TransferError> {
        let mut len = [0u8; 4];
        input.read_exact(&mut len).map_err(cut)?;
        let mut part = vec![0u8; u32::from_be_bytes(len) as usize];
        input.read_exact(&mut part).map_err(cut)?;
        Ok(part)
    };
    loop {
        let mut tag = [0u8; 1];
        input.read_exact(&mut tag).map_err(cut)?;
        match tag[0] {
            1 => {
                let key = read_part(&mut input)?;
                let value = read_part(&mut input)?;
                hasher.add(&key, &value)?;
                record(key, value)?;
            }
            0 => break,
            _ => return Err(TransferError::BadFile("an unknown record tag")),
        }
    }
    let mut trailer = [0u8; 8 + 8 + 32];
    input.read_exact(&mut trailer).map_err(cut)?;
    let floor = u64::from_be_bytes(trailer[..8].try_into().expect("8 bytes"));
    let expected = Summary {
        keys: u64::from_be_bytes(trailer[8..16].try_into().expect("8 bytes")),
        bytes: 0,
        sha256: trailer[16..].try_into().expect("32 bytes"),
    };
    let found = hasher.finish();
    if (expected.keys, expected.sha256) != (found.keys, found.sha256) {
        return Err(TransferError::Corrupt {
            expected: Summary {
                bytes: found.bytes,
                ..expected
            },
            found,
        });
    }
    Ok((floor, found))
}

/// Checks a backup file without writing anything; its summary.
pub fn verify(input: impl Read) -> Result<Summary, TransferError> {
    Ok(read(input, &mut |_, _| Ok(()))?.1)
}

/// Fails unless `store` holds nothing.
fn ensure_empty(store: &dyn Store) -> Result<(), TransferError> {
    let mut first = None;
    store.visit(b"", Order::Forward, &mut |k, _| {
        first = Some(String::from_utf8_lossy(k).into_owned());
        Ok(false)
    })?;
    match first {
        Some(key) => Err(TransferError::NotEmpty(key)),
        None => Ok(()),
    }
}

/// Writes records into a store in batches.
struct Loader<'a> {
    store: &'a dyn Store,
    batch: Batch,
    records: usize,
    bytes: usize,
    written: u64,
}

impl<'a> Loader<'a> {
    fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            batch: Batch::default(),
            records: 0,
            bytes: 0,
            written: 0,
        }
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        self.bytes += key.len() + value.len();
        self.records += 1;
        self.batch.put(key, value);
        if self.records >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.write()?;
        }
        Ok(())
    }

    fn write(&mut self) -> Result<(), StoreError> {
        self.written += self.records as u64;
        self.store.apply(std::mem::take(&mut self.batch))?;
        (self.records, self.bytes) = (0, 0);
        Ok(())
    }

    /// Writes what is left, makes it durable and continues the ids above `floor`.
    fn finish(mut self, floor: u64) -> Result<(), StoreError> {
        self.write()?;
        self.store.flush()?;
        self.store.ids_above(floor)
    }
}

/// Restores the backup `path` into the empty `store`: the file is checked whole first, then
/// written; the summary of the store afterwards (equal to the file's).
pub fn restore(
    store: &dyn Store,
    path: &std::path::Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, TransferError> {
    ensure_empty(store)?;
    let expected = verify(std::fs::File::open(path)?)?;
    let mut loader = Loader::new(store);
    let (floor, _) = read(std::fs::File::open(path)?, &mut |k, v| {
        loader.put(k, v)?;
        if loader.written.is_multiple_of(4096) {
            progress(loader.written);
        }
        Ok(())
    })?;
    loader.finish(floor)?;
    let found = digest(store)?;
    if found != expected {
        return Err(TransferError::Differs {
            source_sum: expected,
            copy: found,
        });
    }
    progress(found.keys);
    Ok(found)
}

/// Copies everything `from` holds at one moment into the empty `to`, then checks the copy; the
/// summary of both.
pub fn migrate(
    from: &dyn Store,
    to: &dyn Store,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, TransferError> {
    ensure_empty(to)?;
    let mut hasher = Hasher::default();
    let mut loader = Loader::new(to);
    let mut failed = None;
    let floor = from.snapshot(&mut |k, v| {
        let copied = hasher
            .add(k, v)
            .and_then(|_| Ok(loader.put(k.to_vec(), v.to_vec())?));
        if let Err(e) = copied {
            failed = Some(e);
            return Ok(false);
        }
        if hasher.keys.is_multiple_of(4096) {
            progress(hasher.keys);
        }
        Ok(true)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    loader.finish(floor)?;
    let source = hasher.finish();
    let copy = digest(to)?;
    if copy != source {
        return Err(TransferError::Differs {
            source_sum: source,
            copy,
        });
    }
    progress(copy.keys);
    Ok(copy)
}

/// The summary of everything `store` holds at one moment.
pub fn digest(store: &dyn Store) -> Result<Summary, TransferError> {
    let mut hasher = Hasher::default();
    let mut failed = None;
    store.snapshot(&mut |k, v| match hasher.add(k, v) {
        Ok(_) => Ok(true),
        Err(e) => {
            failed = Some(e);
            Ok(false)
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(hasher.finish()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SledStore;

    fn filled(dir: &std::path::Path) -> SledStore {
        let s = SledStore::open(dir).unwrap();
        let mut b = Batch::default();
        for i in 0..5000u32 {
            b.put(
                format!("k/{i:05}").into_bytes(),
                vec![i as u8; (i % 40) as usize],
            );
        }
        s.commit(b).unwrap();
        for _ in 0..10 {
            s.next_id().unwrap();
        }
        s
    }

    #[test]
    fn a_backup_restores_to_an_equal_store_and_refuses_a_full_one() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = filled(a.path());
        let before = source.next_id().unwrap();
        let file = a.path().join("backup");
        let written = backup(&source, std::fs::File::create(&file).unwrap(), &mut |_| {}).unwrap();
        assert_eq!(written, digest(&source).unwrap());
        assert_eq!(
            verify(std::fs::File::open(&file).unwrap()).unwrap(),
            written
        );
        let target = SledStore::open(b.path()).unwrap();
        assert_eq!(restore(&target, &file, &mut |_| {}).unwrap(), written);
        assert!(target.next_id().unwrap() > before, "ids continue");
        assert!(matches!(
            restore(&target, &file, &mut |_| {}),
            Err(TransferError::NotEmpty(_))
        ));
    }

    #[test]
    fn a_damaged_backup_is_refused_before_anything_is_written() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = filled(a.path());
        let file = a.path().join("backup");
        backup(&source, std::fs::File::create(&file).unwrap(), &mut |_| {}).unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&file, &bytes).unwrap();
        let target = SledStore::open(b.path()).unwrap();
        assert!(restore(&target, &file, &mut |_| {}).is_err());
        assert!(target.scan(b"").unwrap().is_empty(), "nothing written");
        std::fs::write(&file, &bytes[..middle]).unwrap();
        assert!(matches!(
            verify(std::fs::File::open(&file).unwrap()),
            Err(TransferError::BadFile(_))
        ));
    }
}
