//! The automerge-repo WebSocket protocol: the messages, and their CBOR encoding.
//!
//! Every WebSocket binary frame carries one CBOR map with a `type` text field, exactly as
//! `@automerge/automerge-repo-network-websocket` and Rust `samod` send them. This lets any standard
//! Automerge client sync with the carclub server, and lets carclub devices talk to a standard sync
//! server.
//!
//! The flow on one connection:
//!
//! 1. **Handshake.** The connecting peer (the device) sends [`Message::Join`] with its peer id and
//!    the protocol versions it supports (`["1"]`). The server answers [`Message::Peer`] with its own
//!    peer id, `targetId` set to the device's peer id and `selectedProtocolVersion` `"1"`, or an
//!    [`Message::Error`] and closes the connection. Nothing else may come before the handshake.
//! 2. **Sync, per document.** Each message after that names a `documentId` and carries one Automerge
//!    sync message (`automerge::sync::Message::encode`) as a CBOR *byte string* in `data`. A peer
//!    asking for a document it does not have yet sends [`Message::Request`]; every other sync
//!    message is [`Message::Sync`]. Both sides answer each message they receive with their next sync
//!    message until neither has anything to say.
//! 3. **Unavailable.** A peer that does not have a requested document (or will not share it)
//!    answers [`Message::DocUnavailable`]; the JS client then reports the document as unavailable.
//!
//! [`Message::Ephemeral`], [`Message::RemoteSubscriptionChange`] and
//! [`Message::RemoteHeadsChanged`] are decoded so they can be relayed or ignored. Any other `type`
//! decodes to [`Message::Unknown`] and must be ignored, never treated as an error; carclub's own
//! [`Message::HeadsSummary`] (`"carclub-heads"`) relies on standard clients doing the same.
//!
//! Decoding faces the network: frames above [`MAX_FRAME_BYTES`], oversized text fields and
//! malformed CBOR give a [`WireError`] saying what was wrong, and no input makes it panic.
//!
//! ```
//! use automerge::{sync::{self, SyncDoc}, transaction::Transactable, AutoCommit, ROOT};
//! use carclub_protocol::wire::{Message, PeerMetadata, PROTOCOL_VERSION};
//! use carclub_protocol::DocumentId;
//!
//! // The server holds a document; the device knows only its id.
//! let mut server_doc = AutoCommit::new();
//! server_doc.put(ROOT, "points", 42_i64).unwrap();
//! let doc_id = DocumentId::random();
//!
//! // Handshake.
//! let join = Message::Join {
//!     sender_id: "device-1".into(),
//!     supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
//!     peer_metadata: PeerMetadata { storage_id: None, is_ephemeral: true },
//! };
//! let Message::Join { sender_id: device, .. } = Message::decode(&join.encode()).unwrap() else {
//!     panic!("expected join")
//! };
//! let peer = Message::Peer {
//!     sender_id: "server".into(),
//!     selected_protocol_version: PROTOCOL_VERSION.into(),
//!     target_id: device.clone(),
//!     peer_metadata: PeerMetadata::default(),
//! };
//! assert!(matches!(Message::decode(&peer.encode()), Ok(Message::Peer { .. })));
//!
//! // The device requests the document with its first (empty) sync message.
//! let mut device_doc = AutoCommit::new();
//! let (mut device_state, mut server_state) = (sync::State::new(), sync::State::new());
//! let first = device_doc.sync().generate_sync_message(&mut device_state).unwrap();
//! let request = Message::Request {
//!     sender_id: device.clone(),
//!     target_id: "server".into(),
//!     document_id: doc_id,
//!     data: first.encode(),
//! };
//!
//! // The server answers with sync messages until the device has the document.
//! let mut frame = request.encode();
//! loop {
//!     let (Message::Request { data, .. } | Message::Sync { data, .. }) =
//!         Message::decode(&frame).unwrap()
//!     else {
//!         panic!("expected a sync message")
//!     };
//!     let msg = sync::Message::decode(&data).unwrap();
//!     server_doc.sync().receive_sync_message(&mut server_state, msg).unwrap();
//!     let Some(reply) = server_doc.sync().generate_sync_message(&mut server_state) else { break };
//!     let reply = Message::Sync {
//!         sender_id: "server".into(),
//!         target_id: device.clone(),
//!         document_id: doc_id,
//!         data: reply.encode(),
//!     };
//!     let Ok(Message::Sync { data, .. }) = Message::decode(&reply.encode()) else { panic!() };
//!     let msg = sync::Message::decode(&data).unwrap();
//!     device_doc.sync().receive_sync_message(&mut device_state, msg).unwrap();
//!     let Some(next) = device_doc.sync().generate_sync_message(&mut device_state) else { break };
//!     frame = Message::Sync {
//!         sender_id: device.clone(),
//!         target_id: "server".into(),
//!         document_id: doc_id,
//!         data: next.encode(),
//!     }
//!     .encode();
//! }
//! assert_eq!(device_doc.get_heads(), server_doc.get_heads());
//! ```

use std::collections::BTreeMap;

use ciborium::value::Value;

use crate::docid::{DocIdError, DocumentId};

/// The only protocol version there is, sent in `join` and `peer`.
pub const PROTOCOL_VERSION: &str = "1";

/// Largest frame [`Message::decode`] accepts.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Longest peer id, storage id, session id, protocol version or type name accepted.
pub const MAX_ID_LEN: usize = 256;

/// Longest `error` message text accepted.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// Most items accepted in a list of ids or heads.
pub const MAX_LIST_LEN: usize = 4096;

/// Most documents accepted in one [`Message::HeadsSummary`].
pub const MAX_SUMMARY_ENTRIES: usize = 200_000;

/// The `type` of carclub's [`Message::HeadsSummary`] extension.
pub const HEADS_SUMMARY_TYPE: &str = "carclub-heads";

/// The `type` of carclub's [`Message::Fetch`] extension.
pub const FETCH_TYPE: &str = "carclub-fetch";

/// The `type` of carclub's [`Message::Documents`] extension.
pub const DOCUMENTS_TYPE: &str = "carclub-docs";

/// Most documents one [`Message::Fetch`] names.
pub const MAX_FETCH: usize = 1000;

/// CBOR tag cbor-x puts on a `Uint8Array` unless told not to (RFC 8746, uint8 typed array).
const TAG_UINT8_ARRAY: u64 = 64;

/// One document in a [`Message::HeadsSummary`]: its id and its heads (32-byte change hashes).
pub type SummaryEntry = (DocumentId, Vec<[u8; 32]>);

/// What a peer says about itself in `join` and `peer` (`peerMetadata`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    /// `storageId`: the id of the peer's persistent storage, if it has one.
    pub storage_id: Option<String>,
    /// `isEphemeral`: true when the peer will not come back with the same storage.
    pub is_ephemeral: bool,
}

/// Heads of a document as held by one storage id, in `remote-heads-changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHeads {
    /// The heads, each a bs58check-encoded change hash.
    pub heads: Vec<String>,
    /// Milliseconds since the Unix epoch on the peer that first sent them.
    pub timestamp: u64,
}

/// One message of the automerge-repo WebSocket protocol, or carclub's extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `join`: the connecting peer introduces itself; always the first message.
    Join {
        /// `senderId`.
        sender_id: String,
        /// `supportedProtocolVersions`, normally `["1"]`; decoded as empty when absent, which
        /// the JS server adapter treats as `"1"`.
        supported_protocol_versions: Vec<String>,
        /// `peerMetadata`.
        peer_metadata: PeerMetadata,
    },
    /// `peer`: the answer to `join`.
    Peer {
        /// `senderId`: the answering peer.
        sender_id: String,
        /// `selectedProtocolVersion`, always [`PROTOCOL_VERSION`].
        selected_protocol_version: String,
        /// `targetId`: the peer that sent `join`.
        target_id: String,
        /// `peerMetadata`.
        peer_metadata: PeerMetadata,
    },
    /// `leave`: the sender is about to disconnect.
    Leave {
        /// `senderId`.
        sender_id: String,
    },
    /// `error`: the sender will close the connection; `message` says why.
    Error {
        /// `senderId`, sent by the JS server adapter but optional in the protocol.
        sender_id: Option<String>,
        /// `targetId`, sent by the JS server adapter but optional in the protocol.
        target_id: Option<String>,
        /// `message`: what went wrong.
        message: String,
    },
    /// `request`: the first sync message from a peer that does not have the document.
    Request {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `documentId`.
        document_id: DocumentId,
        /// `data`: an encoded Automerge sync message.
        data: Vec<u8>,
    },
    /// `sync`: any other sync message about one document.
    Sync {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `documentId`.
        document_id: DocumentId,
        /// `data`: an encoded Automerge sync message.
        data: Vec<u8>,
    },
    /// `doc-unavailable`: the sender does not have (or will not share) the document.
    DocUnavailable {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `documentId`.
        document_id: DocumentId,
    },
    /// `ephemeral`: application data about a document that is never stored (presence, cursors).
    Ephemeral {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `count`: sequence number within the session.
        count: u64,
        /// `sessionId`: identifies the sender's stream of ephemeral messages.
        session_id: String,
        /// `documentId`.
        document_id: DocumentId,
        /// `data`: the payload (CBOR in practice), kept opaque.
        data: Vec<u8>,
    },
    /// `remote-subscription-change`: change the storage ids whose heads the sender wants to hear of.
    RemoteSubscriptionChange {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `add`: storage ids to add (absent on the wire when empty).
        add: Vec<String>,
        /// `remove`: storage ids to remove (absent on the wire when empty).
        remove: Vec<String>,
    },
    /// `remote-heads-changed`: the heads of a document at other storage ids changed.
    RemoteHeadsChanged {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `documentId`.
        document_id: DocumentId,
        /// `newHeads`: storage id to its heads.
        new_heads: BTreeMap<String, RemoteHeads>,
    },
    /// `carclub-heads` (carclub extension): heads of many documents at once, as of a change
    /// cursor, so a reconnecting device syncs only the documents that changed. A device sends its
    /// cursor (the server's cursor when it last completed a sync, 0 at first); the server answers
    /// with its current cursor and the heads of every document the device may read that changed
    /// after the device's cursor. Standard clients ignore it.
    HeadsSummary {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `cursor`: a position in the server's sequence of document changes.
        cursor: u64,
        /// `entries`: `[[documentId, [head, …]], …]`, each head a 32-byte change hash.
        entries: Vec<SummaryEntry>,
        /// `more` (absent means false): the server's answer is paged and this page ends at
        /// `cursor`; the device asks again from there for the next page.
        more: bool,
    },
    /// `carclub-fetch` (carclub extension): a device asks for documents it holds nothing of, at
    /// most [`MAX_FETCH`] at once, instead of one `request` each. The server answers with one or
    /// more [`Message::Documents`] that together name every document asked for once.
    Fetch {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `documents`: the 16-byte ids, one after another, in one byte string.
        documents: Vec<DocumentId>,
    },
    /// `carclub-docs` (carclub extension): documents a device fetched, whole, as the server
    /// stores them (`data`: [`crate::pack`]), and those it may not read or that do not exist
    /// (`unavailable`), or that it is to sync the usual way (`declined`: its own, or one whose
    /// latest changes are not stored yet). Both sides then hold each packed document at the
    /// heads it carries, as after a completed sync exchange, and go on syncing it as usual.
    Documents {
        /// `senderId`.
        sender_id: String,
        /// `targetId`.
        target_id: String,
        /// `data`: the packed documents.
        data: Vec<u8>,
        /// `unavailable`: 16-byte ids in one byte string.
        unavailable: Vec<DocumentId>,
        /// `declined`: 16-byte ids in one byte string.
        declined: Vec<DocumentId>,
    },
    /// Any other `type`: to be ignored (only the type name is kept).
    Unknown {
        /// The `type` field.
        type_name: String,
    },
}

/// Why a frame is not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    #[error("frame of {len} bytes is larger than the {max} allowed")]
    TooLarge {
        /// Size of the frame.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The frame is not well-formed CBOR.
    #[error("frame is not valid cbor: {reason}")]
    InvalidCbor {
        /// What the CBOR decoder reported.
        reason: String,
    },
    /// Bytes follow the message in the frame.
    #[error("{count} bytes follow the message in the frame")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The frame is CBOR but not a map.
    #[error("message is not a cbor map")]
    NotAMap,
    /// A field the message type requires is absent.
    #[error("missing field `{field}`")]
    MissingField {
        /// The field name.
        field: &'static str,
    },
    /// A field has the wrong CBOR type or an impossible value.
    #[error("field `{field}` has the wrong type")]
    WrongType {
        /// The field name.
        field: &'static str,
    },
    /// A text field is longer than allowed.
    #[error("field `{field}` is {len} bytes long, more than the {max} allowed")]
    FieldTooLong {
        /// The field name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A list field has more items than allowed.
    #[error("field `{field}` has {len} items, more than the {max} allowed")]
    TooManyItems {
        /// The field name.
        field: &'static str,
        /// Its number of items.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A document id field is not a valid automerge-repo document id.
    #[error("field `{field}` is not a valid document id")]
    BadDocumentId {
        /// The field name.
        field: &'static str,
        /// Why the id was rejected.
        #[source]
        source: DocIdError,
    },
}

impl Message {
    /// The wire `type` of this message.
    pub fn type_name(&self) -> &str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Leave { .. } => "leave",
            Message::Error { .. } => "error",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Message::RemoteHeadsChanged { .. } => "remote-heads-changed",
            Message::HeadsSummary { .. } => HEADS_SUMMARY_TYPE,
            Message::Fetch { .. } => FETCH_TYPE,
            Message::Documents { .. } => DOCUMENTS_TYPE,
            Message::Unknown { type_name } => type_name,
        }
    }

    /// The `senderId`, when the message has one.
    pub fn sender_id(&self) -> Option<&str> {
        match self {
            Message::Join { sender_id, .. }
            | Message::Peer { sender_id, .. }
            | Message::Leave { sender_id }
            | Message::Request { sender_id, .. }
            | Message::Sync { sender_id, .. }
            | Message::DocUnavailable { sender_id, .. }
            | Message::Ephemeral { sender_id, .. }
            | Message::RemoteSubscriptionChange { sender_id, .. }
            | Message::RemoteHeadsChanged { sender_id, .. }
            | Message::HeadsSummary { sender_id, .. }
            | Message::Fetch { sender_id, .. }
            | Message::Documents { sender_id, .. } => Some(sender_id),
            Message::Error { sender_id, .. } => sender_id.as_deref(),
            Message::Unknown { .. } => None,
        }
    }

    /// The `documentId`, when the message is about one document.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Ephemeral { document_id, .. }
            | Message::RemoteHeadsChanged { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }

    /// Encodes the message as one CBOR map, the payload of one WebSocket binary frame.
    ///
    /// [`Message::Unknown`] encodes as a map holding only its `type`.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::default();
        match self {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                peer_metadata,
            } => {
                e.map(4);
                e.entry_text("type", "join");
                e.entry_text("senderId", sender_id);
                e.text("peerMetadata");
                e.peer_metadata(peer_metadata);
                e.text("supportedProtocolVersions");
                e.text_list(supported_protocol_versions);
            }
            Message::Peer {
                sender_id,
                selected_protocol_version,
                target_id,
                peer_metadata,
            } => {
                e.map(5);
                e.entry_text("type", "peer");
                e.entry_text("senderId", sender_id);
                e.text("peerMetadata");
                e.peer_metadata(peer_metadata);
                e.entry_text("selectedProtocolVersion", selected_protocol_version);
                e.entry_text("targetId", target_id);
            }
            Message::Leave { sender_id } => {
                e.map(2);
                e.entry_text("type", "leave");
                e.entry_text("senderId", sender_id);
            }
            Message::Error {
                sender_id,
                target_id,
                message,
            } => {
                e.map(2 + u64::from(sender_id.is_some()) + u64::from(target_id.is_some()));
                e.entry_text("type", "error");
                if let Some(sender_id) = sender_id {
                    e.entry_text("senderId", sender_id);
                }
                e.entry_text("message", message);
                if let Some(target_id) = target_id {
                    e.entry_text("targetId", target_id);
                }
            }
            Message::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | Message::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                e.map(5);
                e.entry_text("type", self.type_name());
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.entry_text("documentId", &document_id.to_string());
                e.text("data");
                e.bytes(data);
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                e.map(4);
                e.entry_text("type", "doc-unavailable");
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.entry_text("documentId", &document_id.to_string());
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                e.map(7);
                e.entry_text("type", "ephemeral");
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.text("count");
                e.js_number(*count);
                e.entry_text("sessionId", session_id);
                e.entry_text("documentId", &document_id.to_string());
                e.text("data");
                e.bytes(data);
            }
            Message::RemoteSubscriptionChange {
                sender_id,
                target_id,
                add,
                remove,
            } => {
                e.map(3 + u64::from(!add.is_empty()) + u64::from(!remove.is_empty()));
                e.entry_text("type", "remote-subscription-change");
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                if !add.is_empty() {
                    e.text("add");
                    e.text_list(add);
                }
                if !remove.is_empty() {
                    e.text("remove");
                    e.text_list(remove);
                }
            }
            Message::RemoteHeadsChanged {
                sender_id,
                target_id,
                document_id,
                new_heads,
            } => {
                e.map(5);
                e.entry_text("type", "remote-heads-changed");
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.entry_text("documentId", &document_id.to_string());
                e.text("newHeads");
                e.map(len_u64(new_heads.len()));
                for (storage_id, heads) in new_heads {
                    e.text(storage_id);
                    e.map(2);
                    e.text("heads");
                    e.text_list(&heads.heads);
                    e.text("timestamp");
                    e.js_number(heads.timestamp);
                }
            }
            Message::HeadsSummary {
                sender_id,
                target_id,
                cursor,
                entries,
                more,
            } => {
                e.map(if *more { 6 } else { 5 });
                e.entry_text("type", HEADS_SUMMARY_TYPE);
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.text("cursor");
                e.js_number(*cursor);
                e.text("entries");
                e.array(len_u64(entries.len()));
                for (document_id, heads) in entries {
                    e.array(2);
                    e.text(&document_id.to_string());
                    e.array(len_u64(heads.len()));
                    for head in heads {
                        e.bytes(head);
                    }
                }
                if *more {
                    e.text("more");
                    e.bool(true);
                }
            }
            Message::Fetch {
                sender_id,
                target_id,
                documents,
            } => {
                e.map(4);
                e.entry_text("type", FETCH_TYPE);
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.text("documents");
                e.bytes(&id_bytes(documents));
            }
            Message::Documents {
                sender_id,
                target_id,
                data,
                unavailable,
                declined,
            } => {
                e.map(6);
                e.entry_text("type", DOCUMENTS_TYPE);
                e.entry_text("senderId", sender_id);
                e.entry_text("targetId", target_id);
                e.text("data");
                e.bytes(data);
                e.text("unavailable");
                e.bytes(&id_bytes(unavailable));
                e.text("declined");
                e.bytes(&id_bytes(declined));
            }
            Message::Unknown { type_name } => {
                e.map(1);
                e.entry_text("type", type_name);
            }
        }
        e.out
    }

    /// Decodes one frame. Unknown `type`s give [`Message::Unknown`]; anything malformed gives a
    /// [`WireError`].
    pub fn decode(frame: &[u8]) -> Result<Message, WireError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge {
                len: frame.len(),
                max: MAX_FRAME_BYTES,
            });
        }
        let mut rest = frame;
        let value: Value =
            ciborium::de::from_reader(&mut rest).map_err(|e| WireError::InvalidCbor {
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(WireError::TrailingBytes { count: rest.len() });
        }
        let Value::Map(entries) = value else {
            return Err(WireError::NotAMap);
        };
        let f = Fields(&entries);
        let type_name = f.text("type", MAX_ID_LEN)?;
        let message = match type_name.as_str() {
            "join" => Message::Join {
                sender_id: f.id("senderId")?,
                supported_protocol_versions: f
                    .opt_id_list("supportedProtocolVersions")?
                    .unwrap_or_default(),
                peer_metadata: f.peer_metadata()?,
            },
            "peer" => Message::Peer {
                sender_id: f.id("senderId")?,
                selected_protocol_version: f.id("selectedProtocolVersion")?,
                target_id: f.id("targetId")?,
                peer_metadata: f.peer_metadata()?,
            },
            "leave" => Message::Leave {
                sender_id: f.id("senderId")?,
            },
            "error" => Message::Error {
                sender_id: f.opt_text("senderId", MAX_ID_LEN)?,
                target_id: f.opt_text("targetId", MAX_ID_LEN)?,
                message: f.text("message", MAX_TEXT_LEN)?,
            },
            "request" => Message::Request {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                document_id: f.document_id("documentId")?,
                data: f.bytes("data")?,
            },
            "sync" => Message::Sync {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                document_id: f.document_id("documentId")?,
                data: f.bytes("data")?,
            },
            "doc-unavailable" => Message::DocUnavailable {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                document_id: f.document_id("documentId")?,
            },
            "ephemeral" => Message::Ephemeral {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                count: f.uint("count")?,
                session_id: f.id("sessionId")?,
                document_id: f.document_id("documentId")?,
                data: f.bytes("data")?,
            },
            "remote-subscription-change" => Message::RemoteSubscriptionChange {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                add: f.opt_id_list("add")?.unwrap_or_default(),
                remove: f.opt_id_list("remove")?.unwrap_or_default(),
            },
            "remote-heads-changed" => Message::RemoteHeadsChanged {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                document_id: f.document_id("documentId")?,
                new_heads: f.new_heads()?,
            },
            HEADS_SUMMARY_TYPE => Message::HeadsSummary {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                cursor: f.uint("cursor")?,
                entries: f.summary_entries()?,
                more: f.opt_bool("more")?.unwrap_or(false),
            },
            FETCH_TYPE => Message::Fetch {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                documents: f.id_bytes("documents", MAX_FETCH)?,
            },
            DOCUMENTS_TYPE => Message::Documents {
                sender_id: f.id("senderId")?,
                target_id: f.id("targetId")?,
                data: f.bytes("data")?,
                unavailable: f.id_bytes("unavailable", MAX_FETCH)?,
                declined: f.id_bytes("declined", MAX_FETCH)?,
            },
            _ => Message::Unknown { type_name },
        };
        Ok(message)
    }
}

/// Document ids as one byte string: their 16 bytes each, one after another.
fn id_bytes(ids: &[DocumentId]) -> Vec<u8> {
    ids.iter().flat_map(|id| *id.as_bytes()).collect()
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A minimal CBOR writer: definite lengths, shortest headers. Writing to a `Vec` cannot fail.
#[derive(Default)]
struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    fn head(&mut self, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => self.out.push(major | n as u8),
            24..=0xff => self.out.extend_from_slice(&[major | 24, n as u8]),
            0x100..=0xffff => {
                self.out.push(major | 25);
                self.out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(major | 26);
                self.out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                self.out.push(major | 27);
                self.out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
    fn uint(&mut self, n: u64) {
        self.head(0, n);
    }
    /// A JS number: cbor-x turns a CBOR uint64 into a `BigInt`, so integers above `u32::MAX`
    /// are written as float64 the way cbor-x writes them (exact up to 2^53).
    fn js_number(&mut self, n: u64) {
        const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
        if n <= u64::from(u32::MAX) || n > MAX_SAFE_INTEGER {
            self.uint(n);
        } else {
            self.out.push(0xfb);
            self.out.extend_from_slice(&(n as f64).to_be_bytes());
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.head(2, len_u64(b.len()));
        self.out.extend_from_slice(b);
    }
    fn text(&mut self, s: &str) {
        self.head(3, len_u64(s.len()));
        self.out.extend_from_slice(s.as_bytes());
    }
    fn array(&mut self, len: u64) {
        self.head(4, len);
    }
    fn map(&mut self, len: u64) {
        self.head(5, len);
    }
    fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xf5 } else { 0xf4 });
    }
    fn entry_text(&mut self, key: &str, value: &str) {
        self.text(key);
        self.text(value);
    }
    fn text_list(&mut self, items: &[String]) {
        self.array(len_u64(items.len()));
        for item in items {
            self.text(item);
        }
    }
    fn peer_metadata(&mut self, m: &PeerMetadata) {
        self.map(1 + u64::from(m.storage_id.is_some()));
        if let Some(storage_id) = &m.storage_id {
            self.entry_text("storageId", storage_id);
        }
        self.text("isEphemeral");
        self.bool(m.is_ephemeral);
    }
}

/// The fields of a decoded CBOR map, looked up by text key. `null` and `undefined` (which cbor-x
/// writes for a JS `undefined` property) count as absent.
struct Fields<'a>(&'a [(Value, Value)]);

impl<'a> Fields<'a> {
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.0.iter().find_map(|(k, v)| match (k, v) {
            (_, Value::Null) => None,
            (Value::Text(k), v) if k == field => Some(v),
            _ => None,
        })
    }

    fn require(&self, field: &'static str) -> Result<&'a Value, WireError> {
        self.get(field).ok_or(WireError::MissingField { field })
    }

    fn text(&self, field: &'static str, max: usize) -> Result<String, WireError> {
        text_value(self.require(field)?, field, max)
    }

    fn opt_text(&self, field: &'static str, max: usize) -> Result<Option<String>, WireError> {
        self.get(field)
            .map(|v| text_value(v, field, max))
            .transpose()
    }

    fn opt_bool(&self, field: &'static str) -> Result<Option<bool>, WireError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(WireError::WrongType { field }),
        }
    }

    fn id(&self, field: &'static str) -> Result<String, WireError> {
        self.text(field, MAX_ID_LEN)
    }

    fn opt_id_list(&self, field: &'static str) -> Result<Option<Vec<String>>, WireError> {
        self.get(field)
            .map(|v| {
                list(v, field, MAX_LIST_LEN)?
                    .iter()
                    .map(|item| text_value(item, field, MAX_ID_LEN))
                    .collect()
            })
            .transpose()
    }

    fn bytes(&self, field: &'static str) -> Result<Vec<u8>, WireError> {
        byte_value(self.require(field)?, field).map(<[u8]>::to_vec)
    }

    fn uint(&self, field: &'static str) -> Result<u64, WireError> {
        uint_value(self.require(field)?, field)
    }

    /// Document ids packed 16 bytes each in one byte string, at most `max` of them.
    fn id_bytes(&self, field: &'static str, max: usize) -> Result<Vec<DocumentId>, WireError> {
        let bytes = byte_value(self.require(field)?, field)?;
        if !bytes.len().is_multiple_of(16) {
            return Err(WireError::WrongType { field });
        }
        let len = bytes.len() / 16;
        if len > max {
            return Err(WireError::TooManyItems { field, len, max });
        }
        Ok(bytes
            .chunks_exact(16)
            .map(|c| {
                let mut id = [0u8; 16];
                id.copy_from_slice(c);
                DocumentId::from_bytes(id)
            })
            .collect())
    }

    fn document_id(&self, field: &'static str) -> Result<DocumentId, WireError> {
        document_id_value(self.require(field)?, field)
    }

    fn peer_metadata(&self) -> Result<PeerMetadata, WireError> {
        const FIELD: &str = "peerMetadata";
        // The README's CDDL calls it `metadata`; every implementation sends `peerMetadata`.
        let Some(value) = self.get(FIELD).or_else(|| self.get("metadata")) else {
            return Ok(PeerMetadata::default());
        };
        let Value::Map(entries) = value else {
            return Err(WireError::WrongType { field: FIELD });
        };
        let inner = Fields(entries);
        Ok(PeerMetadata {
            storage_id: inner.opt_text("storageId", MAX_ID_LEN)?,
            is_ephemeral: inner.opt_bool("isEphemeral")?.unwrap_or(false),
        })
    }

    fn new_heads(&self) -> Result<BTreeMap<String, RemoteHeads>, WireError> {
        const FIELD: &str = "newHeads";
        let Value::Map(entries) = self.require(FIELD)? else {
            return Err(WireError::WrongType { field: FIELD });
        };
        if entries.len() > MAX_LIST_LEN {
            return Err(WireError::TooManyItems {
                field: FIELD,
                len: entries.len(),
                max: MAX_LIST_LEN,
            });
        }
        let mut out = BTreeMap::new();
        for (storage_id, info) in entries {
            let storage_id = text_value(storage_id, FIELD, MAX_ID_LEN)?;
            let Value::Map(info) = info else {
                return Err(WireError::WrongType { field: FIELD });
            };
            let info = Fields(info);
            let heads = list(info.require("heads")?, "heads", MAX_LIST_LEN)?
                .iter()
                .map(|h| text_value(h, "heads", MAX_ID_LEN))
                .collect::<Result<_, _>>()?;
            let timestamp = info.uint("timestamp")?;
            out.insert(storage_id, RemoteHeads { heads, timestamp });
        }
        Ok(out)
    }

    fn summary_entries(&self) -> Result<Vec<SummaryEntry>, WireError> {
        const FIELD: &str = "entries";
        list(self.require(FIELD)?, FIELD, MAX_SUMMARY_ENTRIES)?
            .iter()
            .map(|entry| {
                let [id, heads] = list(entry, FIELD, 2)? else {
                    return Err(WireError::WrongType { field: FIELD });
                };
                let id = document_id_value(id, FIELD)?;
                let heads = list(heads, FIELD, MAX_LIST_LEN)?
                    .iter()
                    .map(|h| {
                        byte_value(h, FIELD)?
                            .try_into()
                            .map_err(|_| WireError::WrongType { field: FIELD })
                    })
                    .collect::<Result<_, _>>()?;
                Ok((id, heads))
            })
            .collect()
    }
}

fn text_value(value: &Value, field: &'static str, max: usize) -> Result<String, WireError> {
    let Value::Text(text) = value else {
        return Err(WireError::WrongType { field });
    };
    if text.len() > max {
        return Err(WireError::FieldTooLong {
            field,
            len: text.len(),
            max,
        });
    }
    Ok(text.clone())
}

/// A byte string, plain or wrapped in the uint8-typed-array tag cbor-x may add.
fn byte_value<'v>(value: &'v Value, field: &'static str) -> Result<&'v [u8], WireError> {
    match value {
        Value::Bytes(bytes) => Ok(bytes),
        Value::Tag(TAG_UINT8_ARRAY, inner) => match inner.as_ref() {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(WireError::WrongType { field }),
        },
        _ => Err(WireError::WrongType { field }),
    }
}

/// A non-negative integer; cbor-x writes JS numbers above 2^32 (timestamps) as floats.
fn uint_value(value: &Value, field: &'static str) -> Result<u64, WireError> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Integer(i) => u64::try_from(*i).map_err(|_| WireError::WrongType { field }),
        Value::Float(f) if f.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(f) => {
            Ok(*f as u64)
        }
        _ => Err(WireError::WrongType { field }),
    }
}

fn list<'v>(value: &'v Value, field: &'static str, max: usize) -> Result<&'v [Value], WireError> {
    let Value::Array(items) = value else {
        return Err(WireError::WrongType { field });
    };
    if items.len() > max {
        return Err(WireError::TooManyItems {
            field,
            len: items.len(),
            max,
        });
    }
    Ok(items)
}

/// A document id: bs58check text as everyone sends it, or its 16 raw bytes.
fn document_id_value(value: &Value, field: &'static str) -> Result<DocumentId, WireError> {
    match value {
        Value::Text(text) => DocumentId::from_bs58check(text)
            .map_err(|source| WireError::BadDocumentId { field, source }),
        Value::Bytes(bytes) => <[u8; 16]>::try_from(bytes.as_slice())
            .map(DocumentId::from_bytes)
            .map_err(|_| WireError::BadDocumentId {
                field,
                source: DocIdError::WrongLength { len: bytes.len() },
            }),
        _ => Err(WireError::WrongType { field }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc() -> DocumentId {
        "2USyxLk7YSNpxwebUb2auDbFmZQM".parse().unwrap()
    }

    /// Encodes a CBOR value with ciborium, to build frames our encoder would never write.
    fn cbor(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(value, &mut out).unwrap();
        out
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
    }

    fn sync_fields() -> Vec<(&'static str, Value)> {
        vec![
            ("type", text("sync")),
            ("senderId", text("a")),
            ("targetId", text("b")),
            ("documentId", text(&doc().to_string())),
            ("data", Value::Bytes(vec![1, 2, 3])),
        ]
    }

    #[test]
    fn data_is_a_cbor_byte_string() {
        let frame = Message::Sync {
            sender_id: "a".into(),
            target_id: "b".into(),
            document_id: doc(),
            data: vec![0x42, 0x00],
        }
        .encode();
        let Value::Map(entries) = ciborium::de::from_reader::<Value, _>(&frame[..]).unwrap() else {
            panic!("not a map")
        };
        let data = entries.iter().find(|(k, _)| *k == text("data")).unwrap();
        assert_eq!(data.1, Value::Bytes(vec![0x42, 0x00]));
    }

    #[test]
    fn accepts_tagged_uint8_array_data() {
        let mut fields = sync_fields();
        fields[4].1 = Value::Tag(TAG_UINT8_ARRAY, Box::new(Value::Bytes(vec![9, 8])));
        let Message::Sync { data, .. } = Message::decode(&cbor(&map(fields))).unwrap() else {
            panic!("not sync")
        };
        assert_eq!(data, vec![9, 8]);
    }

    #[test]
    fn unknown_types_decode_to_unknown() {
        let frame = cbor(&map(vec![
            ("type", text("future-thing")),
            ("whatever", Value::Array(vec![Value::Bool(true)])),
        ]));
        assert_eq!(
            Message::decode(&frame),
            Ok(Message::Unknown {
                type_name: "future-thing".into()
            })
        );
    }

    #[test]
    fn undefined_and_null_fields_count_as_absent() {
        // cbor-x writes `storageId: undefined` as the simple value 23 (0xf7).
        let frame = [
            &[0xa4][..],
            &cbor(&text("type")),
            &cbor(&text("join")),
            &cbor(&text("senderId")),
            &cbor(&text("p")),
            &cbor(&text("peerMetadata")),
            &[0xa2],
            &cbor(&text("storageId")),
            &[0xf7],
            &cbor(&text("isEphemeral")),
            &[0xf5],
            &cbor(&text("supportedProtocolVersions")),
            &cbor(&Value::Array(vec![text("1")])),
        ]
        .concat();
        assert_eq!(
            Message::decode(&frame),
            Ok(Message::Join {
                sender_id: "p".into(),
                supported_protocol_versions: vec!["1".into()],
                peer_metadata: PeerMetadata {
                    storage_id: None,
                    is_ephemeral: true
                },
            })
        );
    }

    #[test]
    fn errors_say_what_was_wrong() {
        let cases: Vec<(Vec<u8>, WireError)> = vec![
            (cbor(&Value::Array(vec![])), WireError::NotAMap),
            (
                cbor(&map(vec![("senderId", text("a"))])),
                WireError::MissingField { field: "type" },
            ),
            (
                cbor(&map(sync_fields()[..4].to_vec())),
                WireError::MissingField { field: "data" },
            ),
            (
                cbor(&map({
                    let mut f = sync_fields();
                    f[4].1 = text("not bytes");
                    f
                })),
                WireError::WrongType { field: "data" },
            ),
            (
                cbor(&map({
                    let mut f = sync_fields();
                    f[1].1 = text(&"x".repeat(MAX_ID_LEN + 1));
                    f
                })),
                WireError::FieldTooLong {
                    field: "senderId",
                    len: MAX_ID_LEN + 1,
                    max: MAX_ID_LEN,
                },
            ),
            (
                cbor(&map({
                    let mut f = sync_fields();
                    f[3].1 = text("2USyxLk7YSNpxwebUb2auDbFmZQm");
                    f
                })),
                WireError::BadDocumentId {
                    field: "documentId",
                    source: DocIdError::BadChecksum,
                },
            ),
            (
                [cbor(&map(sync_fields())), vec![0]].concat(),
                WireError::TrailingBytes { count: 1 },
            ),
            (
                vec![0; MAX_FRAME_BYTES + 1],
                WireError::TooLarge {
                    len: MAX_FRAME_BYTES + 1,
                    max: MAX_FRAME_BYTES,
                },
            ),
        ];
        for (frame, expected) in cases {
            assert_eq!(Message::decode(&frame), Err(expected));
        }
        assert!(matches!(
            Message::decode(&[0xff]),
            Err(WireError::InvalidCbor { .. })
        ));
    }

    #[test]
    fn huge_claimed_lengths_are_rejected_without_allocating() {
        let frames: &[&[u8]] = &[
            // Map claiming 2^64-1 entries.
            &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            // Byte string claiming 2^64-1 bytes.
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            // Text claiming 2^32-1 bytes inside a map.
            &[0xa1, 0x7a, 0xff, 0xff, 0xff, 0xff],
            // Array claiming 2^64-1 items.
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ];
        for frame in frames {
            assert!(Message::decode(frame).is_err());
        }
        // Deep nesting.
        let deep = [vec![0x81; 100_000], vec![0x00]].concat();
        assert!(Message::decode(&deep).is_err());
    }

    #[test]
    fn large_numbers_are_written_as_js_writes_them() {
        let mut e = Encoder::default();
        e.js_number(7);
        e.js_number(1_700_000_000_000);
        e.js_number(u64::MAX);
        let mut expected = vec![0x07, 0xfb];
        expected.extend_from_slice(&1.7e12_f64.to_be_bytes());
        expected.extend_from_slice(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(e.out, expected);
    }

    #[test]
    fn timestamps_written_as_floats_are_accepted() {
        assert_eq!(
            uint_value(&Value::Float(1.7e12), "t"),
            Ok(1_700_000_000_000)
        );
        assert!(uint_value(&Value::Float(1.5), "t").is_err());
        assert!(uint_value(&Value::Float(-1.0), "t").is_err());
        assert!(uint_value(&Value::Float(f64::NAN), "t").is_err());
        assert!(uint_value(&Value::Integer((-1).into()), "t").is_err());
    }

    #[test]
    fn heads_summary_layout() {
        let frame = Message::HeadsSummary {
            sender_id: "s".into(),
            target_id: "t".into(),
            cursor: 42,
            entries: vec![(doc(), vec![[7; 32]])],
            more: false,
        }
        .encode();
        let value: Value = ciborium::de::from_reader(&frame[..]).unwrap();
        assert_eq!(
            value,
            map(vec![
                ("type", text(HEADS_SUMMARY_TYPE)),
                ("senderId", text("s")),
                ("targetId", text("t")),
                ("cursor", Value::Integer(42.into())),
                (
                    "entries",
                    Value::Array(vec![Value::Array(vec![
                        text(&doc().to_string()),
                        Value::Array(vec![Value::Bytes(vec![7; 32])]),
                    ])])
                ),
            ])
        );
        let mut bad = frame.clone();
        // Shorten the head to 31 bytes: 0x58 0x20 -> 0x58 0x1f and drop one byte.
        let at = bad.len() - 34;
        assert_eq!(&bad[at..at + 2], &[0x58, 0x20]);
        bad[at + 1] = 0x1f;
        bad.pop();
        assert_eq!(
            Message::decode(&bad),
            Err(WireError::WrongType { field: "entries" })
        );
    }

    fn id() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9-]{0,24}"
    }

    fn doc_id() -> impl Strategy<Value = DocumentId> {
        any::<[u8; 16]>().prop_map(DocumentId::from_bytes)
    }

    fn metadata() -> impl Strategy<Value = PeerMetadata> {
        (proptest::option::of(id()), any::<bool>()).prop_map(|(storage_id, is_ephemeral)| {
            PeerMetadata {
                storage_id,
                is_ephemeral,
            }
        })
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..64)
    }

    fn message() -> impl Strategy<Value = Message> {
        let ids = || proptest::collection::vec(id(), 0..4);
        prop_oneof![
            (id(), ids(), metadata()).prop_map(|(sender_id, v, peer_metadata)| Message::Join {
                sender_id,
                supported_protocol_versions: v,
                peer_metadata
            }),
            (id(), id(), id(), metadata()).prop_map(|(s, v, t, m)| Message::Peer {
                sender_id: s,
                selected_protocol_version: v,
                target_id: t,
                peer_metadata: m
            }),
            id().prop_map(|sender_id| Message::Leave { sender_id }),
            (
                proptest::option::of(id()),
                proptest::option::of(id()),
                "\\PC{0,40}"
            )
                .prop_map(|(sender_id, target_id, message)| Message::Error {
                    sender_id,
                    target_id,
                    message
                }),
            (id(), id(), doc_id(), bytes()).prop_map(|(s, t, d, data)| Message::Request {
                sender_id: s,
                target_id: t,
                document_id: d,
                data
            }),
            (id(), id(), doc_id(), bytes()).prop_map(|(s, t, d, data)| Message::Sync {
                sender_id: s,
                target_id: t,
                document_id: d,
                data
            }),
            (id(), id(), doc_id()).prop_map(|(s, t, d)| Message::DocUnavailable {
                sender_id: s,
                target_id: t,
                document_id: d
            }),
            (id(), id(), any::<u64>(), id(), doc_id(), bytes()).prop_map(
                |(s, t, count, session_id, d, data)| Message::Ephemeral {
                    sender_id: s,
                    target_id: t,
                    count,
                    session_id,
                    document_id: d,
                    data
                }
            ),
            (id(), id(), ids(), ids()).prop_map(|(s, t, add, remove)| {
                Message::RemoteSubscriptionChange {
                    sender_id: s,
                    target_id: t,
                    add,
                    remove,
                }
            }),
            (
                id(),
                id(),
                doc_id(),
                proptest::collection::btree_map(
                    id(),
                    (ids(), any::<u64>())
                        .prop_map(|(heads, timestamp)| RemoteHeads { heads, timestamp }),
                    0..3
                )
            )
                .prop_map(|(s, t, d, new_heads)| Message::RemoteHeadsChanged {
                    sender_id: s,
                    target_id: t,
                    document_id: d,
                    new_heads
                }),
            (
                id(),
                id(),
                proptest::collection::vec(
                    (doc_id(), proptest::collection::vec(any::<[u8; 32]>(), 0..3)),
                    0..4
                ),
                any::<bool>()
            )
                .prop_map(|(s, t, entries, more)| Message::HeadsSummary {
                    sender_id: s,
                    target_id: t,
                    cursor: entries.len() as u64 * 1_000_003,
                    entries,
                    more
                }),
            (id(), id(), proptest::collection::vec(doc_id(), 0..4)).prop_map(
                |(s, t, documents)| Message::Fetch {
                    sender_id: s,
                    target_id: t,
                    documents
                }
            ),
            (
                id(),
                id(),
                proptest::collection::vec(any::<u8>(), 0..40),
                proptest::collection::vec(doc_id(), 0..3),
                proptest::collection::vec(doc_id(), 0..3)
            )
                .prop_map(|(s, t, data, unavailable, declined)| Message::Documents {
                    sender_id: s,
                    target_id: t,
                    data,
                    unavailable,
                    declined
                }),
            "x-[a-z]{1,10}".prop_map(|type_name| Message::Unknown { type_name }),
        ]
    }

    #[test]
    fn a_fetch_names_at_most_its_limit_of_whole_ids() {
        let fetch = |documents: Vec<DocumentId>| Message::Fetch {
            sender_id: "d".into(),
            target_id: "s".into(),
            documents,
        };
        let most = fetch((0..MAX_FETCH).map(|_| DocumentId::random()).collect());
        assert_eq!(Message::decode(&most.encode()), Ok(most));
        let over = fetch((0..=MAX_FETCH).map(|_| DocumentId::random()).collect());
        assert_eq!(
            Message::decode(&over.encode()),
            Err(WireError::TooManyItems {
                field: "documents",
                len: MAX_FETCH + 1,
                max: MAX_FETCH
            })
        );
        // 17 bytes are not whole ids.
        let mut e = Encoder::default();
        e.map(4);
        e.entry_text("type", FETCH_TYPE);
        e.entry_text("senderId", "d");
        e.entry_text("targetId", "s");
        e.text("documents");
        e.bytes(&[0u8; 17]);
        assert_eq!(
            Message::decode(&e.out),
            Err(WireError::WrongType { field: "documents" })
        );
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(message in message()) {
            let frame = message.encode();
            prop_assert_eq!(Message::decode(&frame), Ok(message));
        }

        #[test]
        fn decode_never_panics(frame in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Message::decode(&frame);
        }

        #[test]
        fn decode_never_panics_on_mangled_messages(
            message in message(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut frame = message.encode();
            for (at, byte) in flips {
                let i = at.index(frame.len());
                frame[i] = byte;
            }
            let _ = Message::decode(&frame);
            let _ = Message::decode(&frame[..cut.index(frame.len() + 1)]);
        }
    }
}

/// Most probes a Bloom filter in a sync message may ask for; Automerge writes 7.
pub const MAX_BLOOM_PROBES: u64 = 64;

/// The most bytes the compressed change chunks of one sync message may inflate to (all of them
/// together): Automerge inflates a compressed chunk whole before reading it, and DEFLATE expands
/// up to about a thousandfold, so a 16 MiB frame could otherwise ask for gigabytes.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// The bytes every Automerge chunk starts with.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Why the data of a sync frame is not an Automerge sync message the server can answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncDataError {
    /// Automerge could not read it.
    #[error("not an automerge sync message: {0}")]
    Malformed(String),
    /// A Bloom filter of what the peer has that answering would divide by zero (entries but no
    /// bits) or that asks for more probes than [`MAX_BLOOM_PROBES`] (memory for each of them).
    #[error("a bloom filter of {entries} entries with {bytes} bytes of bits and {probes} probes")]
    BadBloom {
        /// The entries the filter says it holds.
        entries: u64,
        /// Its bits, in bytes.
        bytes: usize,
        /// The probes per lookup it asks for.
        probes: u64,
    },
    /// A bundle chunk among the changes: no Automerge peer sends one in a sync message (they
    /// send changes, or the whole document), and Automerge 0.12 expands a bundle's run-length
    /// columns in full while reading it, so a few hundred bytes can ask for gigabytes.
    #[error("a bundle chunk among the changes of a sync message")]
    Bundle,
    /// Compressed change chunks that inflate beyond [`MAX_INFLATED_BYTES`].
    #[error("compressed changes inflating beyond {MAX_INFLATED_BYTES} bytes")]
    Inflated,
}

/// Checks the chunks of `bytes` (Automerge's storage format: magic, checksum, type, LEB128
/// length, body, one after another) before Automerge loads them: no bundle chunk, and compressed
/// chunks inflating to at most what `budget` has left. What is cut short or not a chunk at all is
/// left to Automerge, which refuses it.
pub fn check_chunks(bytes: &[u8], budget: &mut u64) -> Result<(), SyncDataError> {
    use std::io::Read as _;
    let mut rest = bytes;
    while rest.len() > 9 && rest[..4] == CHUNK_MAGIC {
        let kind = rest[8];
        let mut after = &rest[9..];
        let Ok(len) = leb128::read::unsigned(&mut after) else {
            return Ok(());
        };
        let Some(body) = usize::try_from(len).ok().and_then(|n| after.get(..n)) else {
            return Ok(());
        };
        match kind {
            3 => return Err(SyncDataError::Bundle),
            2 => {
                let mut inflated = flate2::read::DeflateDecoder::new(body).take(*budget + 1);
                let n = std::io::copy(&mut inflated, &mut std::io::sink()).unwrap_or(0);
                if n > *budget {
                    return Err(SyncDataError::Inflated);
                }
                *budget -= n;
            }
            _ => {}
        }
        rest = &after[body.len()..];
    }
    Ok(())
}

/// Decodes the data of a sync frame (a `sync` or `request` message) into an Automerge sync
/// message, refusing what Automerge reads but cannot answer safely: a Bloom filter with entries
/// and no bits (answering divides by its size) or with an absurd number of probes (answering
/// allocates one slot per probe), a bundle chunk or compressed changes inflating beyond
/// [`MAX_INFLATED_BYTES`] among its changes ([`check_chunks`]). Every peer's data goes through this before Automerge sees it.
pub fn decode_sync(data: &[u8]) -> Result<automerge::sync::Message, SyncDataError> {
    let message = automerge::sync::Message::decode(data)
        .map_err(|e| SyncDataError::Malformed(e.to_string()))?;
    let mut budget = MAX_INFLATED_BYTES;
    for chunk in message.changes.iter() {
        check_chunks(chunk, &mut budget)?;
    }
    for have in &message.have {
        // The filter's own encoding: nothing when empty, else entries, bits per entry and
        // probes as LEB128, then the bits.
        let bytes = have.bloom.to_bytes();
        if bytes.is_empty() {
            continue;
        }
        let mut rest = bytes.as_slice();
        let mut read = || leb128::read::unsigned(&mut rest).unwrap_or(u64::MAX);
        let (entries, _bits_per_entry, probes) = (read(), read(), read());
        if rest.is_empty() || probes > MAX_BLOOM_PROBES {
            return Err(SyncDataError::BadBloom {
                entries,
                bytes: rest.len(),
                probes,
            });
        }
    }
    Ok(message)
}
