//! automerge-repo document ids.
//!
//! A document id is 16 random bytes (a UUID v4 in practice). On the wire and in URLs it is written
//! as *bs58check*: base58 of the bytes followed by the first four bytes of
//! `sha256(sha256(bytes))`, the encoding `@automerge/automerge-repo` uses (`binaryToDocumentId`).
//! A document URL is `automerge:<id>`, optionally followed by `#<head>|<head>…` to pin a view of
//! the document at some heads; the heads do not change which document is meant.
//!
//! ```
//! use carclub_protocol::DocumentId;
//!
//! let id: DocumentId = "automerge:2USyxLk7YSNpxwebUb2auDbFmZQM".parse().unwrap();
//! assert_eq!(id.to_string(), "2USyxLk7YSNpxwebUb2auDbFmZQM");
//! assert_eq!(id.url(), "automerge:2USyxLk7YSNpxwebUb2auDbFmZQM");
//! assert!("2USyxLk7YSNpxwebUb2auDbFmZQm".parse::<DocumentId>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// The scheme prefix of an automerge document URL.
pub const URL_PREFIX: &str = "automerge:";

/// Longest text accepted as a document id or URL, far above the 27 or 28 characters of a real id.
const MAX_TEXT_LEN: usize = 1024;

/// The id of one Automerge document, as automerge-repo names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// Why a text is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocIdError {
    /// The text is empty.
    #[error("document id is empty")]
    Empty,
    /// The text is longer than any document id or URL.
    #[error("document id is too long ({len} characters)")]
    TooLong {
        /// Length of the rejected text in bytes.
        len: usize,
    },
    /// The text is not base58.
    #[error("document id is not base58")]
    NotBase58,
    /// The last four bytes are not the checksum of the others.
    #[error("document id checksum does not match")]
    BadChecksum,
    /// The decoded id is not 16 bytes long.
    #[error("document id has {len} bytes, expected 16")]
    WrongLength {
        /// Number of bytes after removing the checksum.
        len: usize,
    },
    /// An `automerge:` URL with more than one `#` section.
    #[error("document url has more than one heads section")]
    BadUrl,
}

impl DocumentId {
    /// Wraps 16 raw bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A fresh random id (UUID v4 bytes, as `Repo.create` makes them).
    pub fn random() -> Self {
        Self::from(uuid::Uuid::new_v4())
    }

    /// The `automerge:<id>` URL of this document.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{self}")
    }

    /// Decodes a bare bs58check id (no `automerge:` prefix).
    pub fn from_bs58check(text: &str) -> Result<Self, DocIdError> {
        if text.is_empty() {
            return Err(DocIdError::Empty);
        }
        if text.len() > MAX_TEXT_LEN {
            return Err(DocIdError::TooLong { len: text.len() });
        }
        let raw = bs58::decode(text)
            .into_vec()
            .map_err(|_| DocIdError::NotBase58)?;
        if raw.len() < 4 {
            return Err(DocIdError::BadChecksum);
        }
        let (payload, sum) = raw.split_at(raw.len() - 4);
        if checksum(payload) != sum {
            return Err(DocIdError::BadChecksum);
        }
        let bytes: [u8; 16] = payload
            .try_into()
            .map_err(|_| DocIdError::WrongLength { len: payload.len() })?;
        Ok(Self(bytes))
    }
}

/// The first four bytes of `sha256(sha256(payload))`.
fn checksum(payload: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(payload));
    [twice[0], twice[1], twice[2], twice[3]]
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 20];
        buf[..16].copy_from_slice(&self.0);
        buf[16..].copy_from_slice(&checksum(&self.0));
        f.write_str(&bs58::encode(buf).into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = DocIdError;

    /// Accepts a bare id or an `automerge:<id>[#heads]` URL; the heads section is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() > MAX_TEXT_LEN {
            return Err(DocIdError::TooLong { len: text.len() });
        }
        match text.strip_prefix(URL_PREFIX) {
            Some(rest) => {
                let mut sections = rest.split('#');
                let id = sections.next().unwrap_or_default();
                let _heads = sections.next();
                if sections.next().is_some() {
                    return Err(DocIdError::BadUrl);
                }
                Self::from_bs58check(id)
            }
            None => Self::from_bs58check(text),
        }
    }
}

impl From<uuid::Uuid> for DocumentId {
    fn from(id: uuid::Uuid) -> Self {
        Self(id.into_bytes())
    }
}

impl From<[u8; 16]> for DocumentId {
    fn from(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DocumentId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an automerge document id or url")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DocumentId, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// Pairs printed by `@automerge/automerge-repo` 2.5.6 (`tests/js/wire-fixtures.mjs`).
    const FROM_JS: &[(&str, &str)] = &[
        (
            "69bf5ddd351d47b2aa6bc5cad3a15ccc",
            "2USyxLk7YSNpxwebUb2auDbFmZQM",
        ),
        (
            "62c9e97b776e4d77a351373b68d32dde",
            "2NprG4Byv3UWSHhiRGBamyxRJysu",
        ),
        (
            "086949340f424ec7bab115207ab718e6",
            "7oCqvCoNCZi1mxbGVow3FMGs4J1",
        ),
    ];

    #[test]
    fn matches_ids_made_by_the_js_library() {
        for (bytes, text) in FROM_JS {
            let id = DocumentId::from_bytes(hex(bytes));
            assert_eq!(id.to_string(), *text);
            assert_eq!(text.parse::<DocumentId>().unwrap(), id);
            assert_eq!(id.url().parse::<DocumentId>().unwrap(), id);
        }
    }

    #[test]
    fn url_heads_section_is_ignored_but_only_one_allowed() {
        let id: DocumentId = "automerge:2USyxLk7YSNpxwebUb2auDbFmZQM#abc|def"
            .parse()
            .unwrap();
        assert_eq!(id.to_string(), "2USyxLk7YSNpxwebUb2auDbFmZQM");
        assert_eq!(
            "automerge:2USyxLk7YSNpxwebUb2auDbFmZQM#a#b".parse::<DocumentId>(),
            Err(DocIdError::BadUrl)
        );
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        assert_eq!("".parse::<DocumentId>(), Err(DocIdError::Empty));
        assert_eq!("automerge:".parse::<DocumentId>(), Err(DocIdError::Empty));
        assert_eq!("0OIl".parse::<DocumentId>(), Err(DocIdError::NotBase58));
        // Last character changed: the checksum no longer matches.
        assert_eq!(
            "2USyxLk7YSNpxwebUb2auDbFmZQm".parse::<DocumentId>(),
            Err(DocIdError::BadChecksum)
        );
        assert_eq!("2g".parse::<DocumentId>(), Err(DocIdError::BadChecksum));
        // A valid bs58check string of 8 bytes.
        let mut short = vec![1u8; 8];
        short.extend_from_slice(&checksum(&short));
        let short = bs58::encode(short).into_string();
        assert_eq!(
            short.parse::<DocumentId>(),
            Err(DocIdError::WrongLength { len: 8 })
        );
        let long = "1".repeat(MAX_TEXT_LEN + 1);
        assert!(matches!(
            long.parse::<DocumentId>(),
            Err(DocIdError::TooLong { .. })
        ));
    }

    #[test]
    fn serde_uses_the_string_form() {
        let id = DocumentId::from_bytes(hex(FROM_JS[0].0));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", FROM_JS[0].1));
        assert_eq!(serde_json::from_str::<DocumentId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<DocumentId>("\"nope\"").is_err());
    }

    #[test]
    fn random_ids_are_uuid_v4() {
        let id = DocumentId::random();
        let uuid = uuid::Uuid::from_bytes(*id.as_bytes());
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(id, DocumentId::random());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(bytes in any::<[u8; 16]>()) {
            let id = DocumentId::from_bytes(bytes);
            prop_assert_eq!(id.to_string().parse::<DocumentId>(), Ok(id));
            prop_assert_eq!(id.url().parse::<DocumentId>(), Ok(id));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,64}") {
            let _ = text.parse::<DocumentId>();
        }
    }
}
