//! The automerge-repo WebSocket protocol messages (interim codec; replaced by the full one).

use ciborium::Value;

use crate::DocumentId;

/// The protocol version spoken.
pub const PROTOCOL_VERSION: &str = "1";
/// The largest frame accepted.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Peer metadata sent with join and peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Join {
        sender_id: String,
        supported_protocol_versions: Vec<String>,
        peer_metadata: Option<PeerMetadata>,
    },
    Peer {
        sender_id: String,
        selected_protocol_version: String,
        target_id: String,
        peer_metadata: Option<PeerMetadata>,
    },
    Leave {
        sender_id: String,
    },
    Error {
        sender_id: String,
        target_id: String,
        message: String,
    },
    Request {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    Sync {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
    },
    Unknown {
        type_name: String,
    },
}

/// Why a frame is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("frame is too large")]
    TooLarge,
    #[error("frame is not CBOR")]
    NotCbor,
    #[error("message is not a map")]
    NotAMap,
    #[error("field {field} is missing")]
    MissingField { field: &'static str },
    #[error("field {field} has the wrong type")]
    WrongType { field: &'static str },
    #[error("bad document id")]
    BadDocumentId,
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn meta(m: &PeerMetadata) -> Value {
    let mut e = vec![(text("isEphemeral"), Value::Bool(m.is_ephemeral))];
    if let Some(s) = &m.storage_id {
        e.push((text("storageId"), text(s)));
    }
    Value::Map(e)
}

impl Message {
    /// Encodes as one CBOR frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut e: Vec<(Value, Value)> = Vec::new();
        let mut f = |k: &str, v: Value| e.push((text(k), v));
        match self {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                peer_metadata,
            } => {
                f("type", text("join"));
                f("senderId", text(sender_id));
                f(
                    "supportedProtocolVersions",
                    Value::Array(
                        supported_protocol_versions
                            .iter()
                            .map(|v| text(v))
                            .collect(),
                    ),
                );
                if let Some(m) = peer_metadata {
                    f("peerMetadata", meta(m));
                }
            }
            Message::Peer {
                sender_id,
                selected_protocol_version,
                target_id,
                peer_metadata,
            } => {
                f("type", text("peer"));
                f("senderId", text(sender_id));
                f("selectedProtocolVersion", text(selected_protocol_version));
                f("targetId", text(target_id));
                if let Some(m) = peer_metadata {
                    f("peerMetadata", meta(m));
                }
            }
            Message::Leave { sender_id } => {
                f("type", text("leave"));
                f("senderId", text(sender_id));
            }
            Message::Error {
                sender_id,
                target_id,
                message,
            } => {
                f("type", text("error"));
                f("senderId", text(sender_id));
                f("targetId", text(target_id));
                f("message", text(message));
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
                let t = if matches!(self, Message::Request { .. }) {
                    "request"
                } else {
                    "sync"
                };
                f("type", text(t));
                f("senderId", text(sender_id));
                f("targetId", text(target_id));
                f("documentId", text(&document_id.to_string()));
                f("data", Value::Bytes(data.clone()));
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                f("type", text("doc-unavailable"));
                f("senderId", text(sender_id));
                f("targetId", text(target_id));
                f("documentId", text(&document_id.to_string()));
            }
            Message::Unknown { type_name } => f("type", text(type_name)),
        }
        let mut out = Vec::new();
        let _ = ciborium::into_writer(&Value::Map(e), &mut out);
        out
    }

    /// Decodes one CBOR frame.
    pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge);
        }
        let v: Value = ciborium::from_reader(bytes).map_err(|_| WireError::NotCbor)?;
        let Value::Map(entries) = v else {
            return Err(WireError::NotAMap);
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v)
        };
        let s = |k: &'static str| -> Result<String, WireError> {
            match get(k) {
                Some(Value::Text(t)) => Ok(t.clone()),
                Some(_) => Err(WireError::WrongType { field: k }),
                None => Err(WireError::MissingField { field: k }),
            }
        };
        let doc = || -> Result<DocumentId, WireError> {
            s("documentId")?
                .parse()
                .map_err(|_| WireError::BadDocumentId)
        };
        let data = || -> Result<Vec<u8>, WireError> {
            match get("data") {
                Some(Value::Bytes(b)) => Ok(b.clone()),
                Some(Value::Tag(_, inner)) => match inner.as_ref() {
                    Value::Bytes(b) => Ok(b.clone()),
                    _ => Err(WireError::WrongType { field: "data" }),
                },
                Some(_) => Err(WireError::WrongType { field: "data" }),
                None => Err(WireError::MissingField { field: "data" }),
            }
        };
        let type_name = s("type")?;
        Ok(match type_name.as_str() {
            "join" => Message::Join {
                sender_id: s("senderId")?,
                supported_protocol_versions: match get("supportedProtocolVersions") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(|v| v.as_text().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                },
                peer_metadata: None,
            },
            "peer" => Message::Peer {
                sender_id: s("senderId")?,
                selected_protocol_version: s("selectedProtocolVersion")?,
                target_id: s("targetId").unwrap_or_default(),
                peer_metadata: None,
            },
            "leave" => Message::Leave {
                sender_id: s("senderId")?,
            },
            "error" => Message::Error {
                sender_id: s("senderId").unwrap_or_default(),
                target_id: s("targetId").unwrap_or_default(),
                message: s("message")?,
            },
            "request" => Message::Request {
                sender_id: s("senderId")?,
                target_id: s("targetId")?,
                document_id: doc()?,
                data: data()?,
            },
            "sync" => Message::Sync {
                sender_id: s("senderId")?,
                target_id: s("targetId")?,
                document_id: doc()?,
                data: data()?,
            },
            "doc-unavailable" => Message::DocUnavailable {
                sender_id: s("senderId")?,
                target_id: s("targetId")?,
                document_id: doc()?,
            },
            _ => Message::Unknown { type_name },
        })
    }
}
