//! Storage: the [`Store`] trait with its backends (sled, embedded, and PostgreSQL), group commit, the document store, the codec
//! and every key layout.
//!
//! Nothing above this layer writes a key prefix or encodes a stored value: the tables in [`keys`]
//! do both, and report a record that cannot be read with its key.

pub mod backup;
pub mod codec;
pub mod docstore;
pub mod durable;
pub mod keys;
pub mod location;
pub mod postgres;
mod store;

pub use codec::{CodecError, Format};
pub use docstore::DocStore;
pub use durable::Durability;
pub use keys::{KeyPart, Table};
pub use location::Location;
pub use postgres::PgStore;
pub use store::{
    Batch, Changes, DEFAULT_CACHE_BYTES, Entries, ExclusiveGuard, Order, SledStore, Store,
    StoreError, StoreSize, Visitor,
};
