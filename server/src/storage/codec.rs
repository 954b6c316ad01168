//! The one place that turns stored values into bytes and back.
//!
//! Two formats, each chosen per table in [`super::keys`]: `Json` for what people and devices also
//! read in that form (member files, events, club records), `Binary` (bincode) for the server's own
//! records. bincode is marked unmaintained; keeping every use here means swapping it touches one
//! file. An encoding error is returned, never replaced by an empty value.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// How a table's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (`serde_json`).
    Json,
    /// bincode 2 with serde, bounded to 64 MiB a value.
    Binary,
}

/// A value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("value could not be encoded")]
    EncodeBinary(#[source] bincode::error::EncodeError),
    #[error("value could not be decoded")]
    DecodeBinary(#[source] bincode::error::DecodeError),
    #[error("value could not be encoded as JSON")]
    EncodeJson(#[source] serde_json::Error),
    #[error("value could not be decoded from JSON")]
    DecodeJson(#[source] serde_json::Error),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ 64 * 1024 * 1024 }>()
}

/// Encodes `value` in `format`.
pub fn encode_as<T: Serialize + ?Sized>(format: Format, value: &T) -> Result<Vec<u8>, CodecError> {
    match format {
        Format::Json => serde_json::to_vec(value).map_err(CodecError::EncodeJson),
        Format::Binary => {
            bincode::serde::encode_to_vec(value, config()).map_err(CodecError::EncodeBinary)
        }
    }
}

/// Decodes a value written in `format`.
pub fn decode_as<T: DeserializeOwned>(format: Format, bytes: &[u8]) -> Result<T, CodecError> {
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(CodecError::DecodeJson),
        Format::Binary => bincode::serde::decode_from_slice(bytes, config())
            .map(|(v, _)| v)
            .map_err(CodecError::DecodeBinary),
    }
}

/// Encodes a server record (binary).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    encode_as(Format::Binary, value)
}

/// Decodes a server record (binary).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    decode_as(Format::Binary, bytes)
}

/// Encodes `value` as a JSON value (for a record that embeds another one).
pub fn to_json_value<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, CodecError> {
    serde_json::to_value(value).map_err(CodecError::EncodeJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage_in_both_formats() {
        let v = (1u64, "车友汇".to_string(), Some(vec![1u8, 2]));
        for format in [Format::Json, Format::Binary] {
            let back: (u64, String, Option<Vec<u8>>) =
                decode_as(format, &encode_as(format, &v).unwrap()).unwrap();
            assert_eq!(back, v);
            assert!(decode_as::<(u64, String)>(format, &[0xff, 0xff, 0xff]).is_err());
        }
    }

    #[test]
    fn an_unencodable_value_is_an_error_not_an_empty_value() {
        // JSON maps need string keys: a map keyed by tuples cannot be written.
        let mut m = std::collections::BTreeMap::new();
        m.insert((1, 2), 3);
        assert!(matches!(
            encode_as(Format::Json, &m),
            Err(CodecError::EncodeJson(_))
        ));
    }
}
