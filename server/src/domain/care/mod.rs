//! Customer care (handbook 002, DOMAIN.md §5): the store keeps caring for every owner.
//!
//! [`outbox`]: every SMS or message, written in the same batch as what caused it and delivered
//! by the `notify` layer.

pub mod outbox;
