//! Where a store is: `sled:DIR` (the embedded default) or `postgres://…`, as the command line
//! names it for `serve --store`, `backup`, `restore` and `migrate`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use super::{PgStore, SledStore, Store, StoreError};

/// A store's location.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded sled store in a directory.
    Sled(PathBuf),
    /// A PostgreSQL database (its connection URL, which may hold a password).
    Postgres(String),
}

/// A location the command line could not read.
#[derive(Debug, thiserror::Error)]
#[error("a store is `sled:DIR` or `postgres://…`, not {0:?}")]
pub struct BadLocation(String);

impl FromStr for Location {
    type Err = BadLocation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_owned()))
        } else if let Some(dir) = s.strip_prefix("sled:").filter(|d| !d.is_empty()) {
            Ok(Location::Sled(PathBuf::from(dir)))
        } else {
            Err(BadLocation(s.to_owned()))
        }
    }
}

impl Location {
    /// Opens the store (creating it when empty), with `cache_bytes` of page cache for sled.
    pub fn open(&self, cache_bytes: u64) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sled(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Sled(e.into()))?;
                Arc::new(SledStore::open_with_cache(dir, cache_bytes)?)
            }
            Location::Postgres(url) => Arc::new(PgStore::open(url)?),
        })
    }
}

/// Shows the location without a password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sled(dir) => write!(f, "sled:{}", dir.display()),
            Location::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                match rest.split_once('@') {
                    Some((user, host)) if user.contains(':') => {
                        let user = user.split(':').next().unwrap_or_default();
                        write!(f, "{scheme}://{user}:***@{host}")
                    }
                    _ => f.write_str(url),
                }
            }
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_and_show_without_passwords() {
        let pg: Location = "postgres://carclub:s3cret@db.example/club".parse().unwrap();
        assert_eq!(pg.to_string(), "postgres://carclub:***@db.example/club");
        assert_eq!(format!("{pg:?}"), "postgres://carclub:***@db.example/club");
        let sled: Location = "sled:/var/lib/carclub".parse().unwrap();
        assert_eq!(sled, Location::Sled("/var/lib/carclub".into()));
        assert!("mysql://x".parse::<Location>().is_err());
        assert!("sled:".parse::<Location>().is_err());
    }
}
