//! What travels between a carclub device and the server.
//!
//! - [`docid`]: automerge-repo document ids (`automerge:<bs58check>` URLs);
//! - [`wire`]: the automerge-repo WebSocket protocol messages, CBOR encoded;
//! - [`docs`]: the layouts of the Automerge documents both sides read and write.

pub mod docid;
pub mod docs;
pub mod json_am;
pub mod wire;

pub use docid::DocumentId;
