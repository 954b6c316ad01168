//! The carclub server: the HTTP API, the automerge-repo sync endpoint and the web app, on an
//! embedded store.
//!
//! Four layers, dependencies pointing one way: `http → domain → storage` and
//! `sync → domain → storage` (`http` also hands changed documents to `sync`'s hub).
//! - [`storage`]: the `Store` trait and its backends (sled, PostgreSQL), backups, group commit, the document store, the
//!   codec and every key layout;
//! - [`domain`]: accounts, permissions, audit, the fold, the ledger and the club's operations,
//!   each with its own error enum, no HTTP;
//! - [`sync`]: sync connections, access per document and the WebSocket endpoint;
//! - [`http`]: the only layer that knows axum's routing, status codes and JSON shapes;
//! - [`notify`]: delivers the notification outbox through the configured sender (log, signed
//!   webhook, Aliyun or Tencent SMS); it uses `domain` and `storage` only.
//!
//! [`app`] puts them together; `main.rs` is the command line.

pub mod app;
pub mod domain;
pub mod http;
pub mod notify;
pub mod storage;
pub mod sync;
