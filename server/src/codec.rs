//! The one place that encodes server records with bincode.
//!
//! bincode is marked unmaintained; keeping every use here means swapping it touches one file.
//! Domain events are not encoded here: they are stored in their JSON form, the same one devices write.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A record could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("record could not be encoded: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    #[error("record could not be decoded: {0}")]
    Decode(#[from] bincode::error::DecodeError),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ 64 * 1024 * 1024 }>()
}

/// Encodes a record.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(bincode::serde::encode_to_vec(value, config())?)
}

/// Decodes a record.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, _) = bincode::serde::decode_from_slice(bytes, config())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let v = (1u64, "车友汇".to_string(), Some(vec![1u8, 2]));
        let back: (u64, String, Option<Vec<u8>>) = decode(&encode(&v).unwrap()).unwrap();
        assert_eq!(back, v);
        assert!(decode::<(u64, String)>(&[0xff, 0xff, 0xff]).is_err());
    }
}
