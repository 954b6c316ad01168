//! Local storage in a directory: a log of batches. Each [`DirStore::write`] is one file
//! (`log-<n>`: its entries, written to a temporary file, fsynced, renamed, then the directory
//! fsynced), so a device that loses power keeps either all of a write or none of it, and a write
//! of ten thousand documents costs two fsyncs, not twenty thousand. Reading applies the logs in
//! order, the last value of a key winning (an empty value removes it).
//!
//! Once the logs since the last full copy outweigh it (and there are at least
//! [`COMPACT_AFTER_LOGS`] of them), or there are [`MAX_LOGS`], the live entries are written as
//! one *base* log and everything before it is removed; a base makes reading ignore every file
//! before it, so a compaction cut short by a crash loses nothing. Files of one key each, as
//! earlier versions wrote them, are read as the oldest values and go at the next compaction.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Logs since the last base before a compaction is considered.
pub const COMPACT_AFTER_LOGS: u64 = 16;
/// Logs since the last base that always trigger a compaction.
pub const MAX_LOGS: u64 = 256;

const MAGIC: &[u8; 7] = b"CCLOG1\n";
const BATCH: u8 = 0;
const BASE: u8 = 1;
const LOG_PREFIX: &str = "log-";

/// What the store knows of its files, for numbering and compaction.
#[derive(Debug, Default)]
struct Logs {
    /// The number of the next log.
    next: u64,
    /// Logs written since the last base (or since the store began, without one).
    since_base: u64,
    /// Their bytes.
    bytes_since_base: u64,
    /// The bytes of the last base.
    base_bytes: u64,
}

/// A directory of logs.
pub struct DirStore {
    dir: PathBuf,
    logs: Mutex<Logs>,
}

/// The files of the directory: single-key files of earlier versions, and logs by number with
/// their sizes.
struct Files {
    single: Vec<(String, PathBuf)>,
    logs: Vec<(u64, PathBuf, u64)>,
}

fn corrupt(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Keys and values, in the order written.
type Entries = Vec<(String, Vec<u8>)>;

/// Reads one log: whether it is a base, and its entries in order.
fn read_log(path: &Path) -> io::Result<(bool, Entries)> {
    let bytes = fs::read(path)?;
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| corrupt(path, "not a log"))?;
    let (&kind, mut rest) = rest
        .split_first()
        .ok_or_else(|| corrupt(path, "cut short"))?;
    let mut take = |n: usize| -> io::Result<&[u8]> {
        if rest.len() < n {
            return Err(corrupt(path, "cut short"));
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().unwrap_or_default());
    let mut entries = Vec::new();
    for _ in 0..count {
        let key_len = u32::from_le_bytes(take(4)?.try_into().unwrap_or_default()) as usize;
        let key = String::from_utf8(take(key_len)?.to_vec())
            .map_err(|_| corrupt(path, "a key is not UTF-8"))?;
        let value_len = u64::from_le_bytes(take(8)?.try_into().unwrap_or_default());
        let value_len = usize::try_from(value_len).map_err(|_| corrupt(path, "too long"))?;
        entries.push((key, take(value_len)?.to_vec()));
    }
    if !rest.is_empty() {
        return Err(corrupt(path, "bytes after the last entry"));
    }
    Ok((kind == BASE, entries))
}

fn encode_log(kind: u8, entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let size: usize = entries.iter().map(|(k, v)| 12 + k.len() + v.len()).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 9 + size);
    out.extend_from_slice(MAGIC);
    out.push(kind);
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (key, value) in entries {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value);
    }
    out
}

impl DirStore {
    /// Opens (creating) the store in `dir`.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let store = Self {
            dir: dir.to_owned(),
            logs: Mutex::new(Logs::default()),
        };
        let files = store.files()?;
        let mut logs = Logs {
            next: files.logs.last().map_or(1, |(n, _, _)| n + 1),
            ..Logs::default()
        };
        // Sizes only: whether a log is a base is read from its first bytes.
        for (_, path, size) in &files.logs {
            if is_base(path)? {
                logs = Logs {
                    next: logs.next,
                    base_bytes: *size,
                    ..Logs::default()
                };
            } else {
                logs.since_base += 1;
                logs.bytes_since_base += size;
            }
        }
        *store.lock() = logs;
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Logs> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn files(&self) -> io::Result<Files> {
        let mut files = Files {
            single: Vec::new(),
            logs: Vec::new(),
        };
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                continue;
            }
            match name
                .strip_prefix(LOG_PREFIX)
                .and_then(|n| n.parse::<u64>().ok())
            {
                Some(n) => files.logs.push((n, entry.path(), entry.metadata()?.len())),
                None => files.single.push((name.replace('~', "/"), entry.path())),
            }
        }
        files.logs.sort();
        Ok(files)
    }

    /// Every stored key and value, in key order.
    pub fn load_all(&self) -> io::Result<Entries> {
        let files = self.files()?;
        let mut live = BTreeMap::new();
        let mut logs = Vec::new();
        for (_, path, _) in &files.logs {
            let (base, entries) = read_log(path)?;
            if base {
                logs.clear();
            }
            logs.push((base, entries));
        }
        if !logs.first().is_some_and(|(base, _)| *base) {
            for (key, path) in files.single {
                live.insert(key, fs::read(path)?);
            }
        }
        for (_, entries) in logs {
            for (key, value) in entries {
                if value.is_empty() {
                    live.remove(&key);
                } else {
                    live.insert(key, value);
                }
            }
        }
        Ok(live.into_iter().collect())
    }

    /// Writes every key and value durably, all or nothing; an empty value removes the key.
    pub fn write(&self, entries: Entries) -> io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut logs = self.lock();
        let bytes = self.append(&mut logs, BATCH, &entries)?;
        logs.since_base += 1;
        logs.bytes_since_base += bytes;
        let outweighs =
            logs.since_base >= COMPACT_AFTER_LOGS && logs.bytes_since_base >= logs.base_bytes;
        if outweighs || logs.since_base >= MAX_LOGS {
            self.compact(&mut logs)?;
        }
        Ok(())
    }

    /// Writes one log durably; its size.
    fn append(&self, logs: &mut Logs, kind: u8, entries: &[(String, Vec<u8>)]) -> io::Result<u64> {
        let n = logs.next;
        let bytes = encode_log(kind, entries);
        let path = self.dir.join(format!("{LOG_PREFIX}{n:016}"));
        let tmp = self.dir.join(format!("{LOG_PREFIX}{n:016}.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &path)?;
        fs::File::open(&self.dir)?.sync_all()?;
        logs.next = n + 1;
        Ok(bytes.len() as u64)
    }

    /// Writes the live entries as one base log and removes every file before it.
    fn compact(&self, logs: &mut Logs) -> io::Result<()> {
        let before = self.files()?;
        let live = self.load_all()?;
        let base = logs.next;
        logs.base_bytes = self.append(logs, BASE, &live)?;
        logs.since_base = 0;
        logs.bytes_since_base = 0;
        for (n, path, _) in before.logs {
            if n < base {
                fs::remove_file(path)?;
            }
        }
        for (_, path) in before.single {
            fs::remove_file(path)?;
        }
        fs::File::open(&self.dir)?.sync_all()
    }
}

/// Whether the log at `path` is a base (its kind byte, after the magic).
fn is_base(path: &Path) -> io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; MAGIC.len() + 1];
    let mut f = fs::File::open(path)?;
    f.read_exact(&mut head)
        .map_err(|_| corrupt(path, "cut short"))?;
    Ok(head[MAGIC.len()] == BASE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = DirStore::open(dir.path()).unwrap();
        s.write(vec![
            ("doc/abc".into(), b"1".to_vec()),
            ("state".into(), b"2".to_vec()),
        ])
        .unwrap();
        s.write(vec![("state".into(), b"3".to_vec())]).unwrap();
        assert_eq!(
            s.load_all().unwrap(),
            vec![
                ("doc/abc".into(), b"1".to_vec()),
                ("state".into(), b"3".to_vec())
            ]
        );
        s.write(vec![
            ("doc/abc".into(), Vec::new()),
            ("doc/never".into(), Vec::new()),
        ])
        .unwrap();
        assert_eq!(s.load_all().unwrap(), vec![("state".into(), b"3".to_vec())]);
        // One file per write, whatever it holds.
        assert_eq!(names(dir.path()).len(), 3);
        // Opened again, it numbers on after what is there.
        let again = DirStore::open(dir.path()).unwrap();
        again.write(vec![("k".into(), b"v".to_vec())]).unwrap();
        assert_eq!(again.load_all().unwrap().len(), 2);
    }

    #[test]
    fn compaction_keeps_exactly_the_live_entries_and_reads_old_single_key_files() {
        let dir = tempfile::tempdir().unwrap();
        // A store an earlier version wrote: one file per key.
        fs::write(dir.path().join("doc~old"), b"legacy").unwrap();
        fs::write(dir.path().join("registration"), b"reg").unwrap();
        let s = DirStore::open(dir.path()).unwrap();
        s.write(vec![("registration".into(), Vec::new())]).unwrap();
        assert_eq!(
            s.load_all().unwrap(),
            vec![("doc/old".into(), b"legacy".to_vec())]
        );
        for i in 0..COMPACT_AFTER_LOGS {
            s.write(vec![(format!("doc/{i}"), vec![b'x'; 100])])
                .unwrap();
            s.write(vec![(format!("doc/{i}"), Vec::new())]).unwrap();
        }
        let live = s.load_all().unwrap();
        assert_eq!(live, vec![("doc/old".into(), b"legacy".to_vec())]);
        let files = names(dir.path());
        assert!(
            files.len() < 2 * COMPACT_AFTER_LOGS as usize,
            "compacted: {files:?}"
        );
        assert!(!files.contains(&"registration".to_string()), "{files:?}");
        assert_eq!(
            DirStore::open(dir.path()).unwrap().load_all().unwrap(),
            live
        );
    }

    #[test]
    fn a_compaction_cut_short_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = DirStore::open(dir.path()).unwrap();
        s.write(vec![
            ("a".into(), b"1".to_vec()),
            ("b".into(), b"2".to_vec()),
        ])
        .unwrap();
        s.write(vec![("a".into(), Vec::new())]).unwrap();
        // A base written, then the crash before the older logs went.
        let live = s.load_all().unwrap();
        let mut logs = s.lock();
        s.append(&mut logs, BASE, &live).unwrap();
        drop(logs);
        assert_eq!(s.load_all().unwrap(), vec![("b".into(), b"2".to_vec())]);
        // A log that was being written when the power went is not read.
        fs::write(dir.path().join("log-0000000000000099.tmp"), b"CCLOG1\n\x00").unwrap();
        assert_eq!(
            DirStore::open(dir.path()).unwrap().load_all().unwrap(),
            vec![("b".into(), b"2".to_vec())]
        );
    }

    #[test]
    fn a_damaged_log_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let s = DirStore::open(dir.path()).unwrap();
        s.write(vec![("a".into(), b"1".to_vec())]).unwrap();
        let log = dir.path().join(&names(dir.path())[0]);
        let bytes = fs::read(&log).unwrap();
        fs::write(&log, &bytes[..bytes.len() - 1]).unwrap();
        assert!(s.load_all().is_err());
    }
}
