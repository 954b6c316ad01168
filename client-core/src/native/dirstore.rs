//! Local storage in a directory: one file per key, replaced atomically (write, fsync, rename), so a
//! device that loses power keeps either the old or the new value of each key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A directory of key files.
pub struct DirStore {
    dir: PathBuf,
}

fn file_name(key: &str) -> String {
    key.replace('/', "~")
}

impl DirStore {
    /// Opens (creating) the store in `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// Every stored key and value.
    pub fn load_all(&self) -> std::io::Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                continue;
            }
            out.push((name.replace('~', "/"), fs::read(entry.path())?));
        }
        out.sort();
        Ok(out)
    }

    /// Writes every key and value durably; an empty value removes the key.
    pub fn write(&self, entries: Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        for (key, value) in entries {
            let path = self.dir.join(file_name(&key));
            if value.is_empty() {
                match fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => continue,
                }
            }
            let tmp = self.dir.join(format!("{}.tmp", file_name(&key)));
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&value)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
        }
        fs::File::open(&self.dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
