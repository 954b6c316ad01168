//! What travels between a carclub device and the server.
//!
//! - [`docid`]: automerge-repo document ids (`automerge:<bs58check>` URLs);
//! - [`wire`]: the automerge-repo WebSocket protocol messages, CBOR encoded;
//! - [`docs`]: the layouts of the Automerge documents both sides read and write;
//! - [`pack`]: whole documents by the page, for a device that holds nothing of them.

pub mod docid;
pub mod docs;
pub mod json_am;
pub mod pack;
pub mod wire;

pub use docid::DocumentId;
