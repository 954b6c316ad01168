//! automerge-repo document ids: sixteen bytes written as bs58check.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// An automerge-repo document id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// Why text is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocIdError {
    #[error("document id is not base58")]
    NotBase58,
    #[error("document id checksum does not match")]
    BadChecksum,
    #[error("document id must be 16 bytes, got {0}")]
    WrongLength(usize),
}

impl DocumentId {
    /// The id from its bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
    /// The `automerge:` URL of the document.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

fn checksum(bytes: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(bytes));
    [twice[0], twice[1], twice[2], twice[3]]
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = self.0.to_vec();
        buf.extend_from_slice(&checksum(&self.0));
        f.write_str(&bs58::encode(buf).into_string())
    }
}

impl FromStr for DocumentId {
    type Err = DocIdError;
    fn from_str(s: &str) -> Result<Self, DocIdError> {
        let s = s.trim();
        let s = s.strip_prefix("automerge:").unwrap_or(s);
        let s = s.split('#').next().unwrap_or(s);
        let raw = bs58::decode(s)
            .into_vec()
            .map_err(|_| DocIdError::NotBase58)?;
        if raw.len() != 20 {
            return Err(DocIdError::WrongLength(raw.len().saturating_sub(4)));
        }
        let (bytes, sum) = raw.split_at(16);
        if checksum(bytes) != sum {
            return Err(DocIdError::BadChecksum);
        }
        let mut out = [0; 16];
        out.copy_from_slice(bytes);
        Ok(Self(out))
    }
}
