//! The device side of the automerge-repo sync protocol, without IO: frames in, frames out.
//!
//! A session starts with `join`; once the server answers `peer`, the device offers every document
//! it wants (its journal, its status, the store directory and each member file the directory
//! lists), one Automerge sync exchange per document, all over one connection. The session is
//! complete when the server holds every change of the journal, has answered every event, and the
//! device holds what the server has of every other document.
//!
//! ```
//! # use carclub_client::Device;
//! let mut device = Device::open(Vec::new()).unwrap();
//! assert!(device.sync_begin().is_empty()); // an unregistered device has nothing to sync
//! ```

use std::collections::{HashMap, HashSet};

use automerge::sync::{self, SyncDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::wire::{Message, PROTOCOL_VERSION, PeerMetadata};

use crate::device::Device;
use crate::error::ClientError;

/// One connection's worth of sync state.
pub(crate) struct SyncSession {
    peer_id: String,
    server: Option<String>,
    states: HashMap<DocumentId, sync::State>,
    unavailable: HashSet<DocumentId>,
    pub(crate) last_error: Option<String>,
}

impl Device {
    /// Opens a sync session; returns the frames to send once the connection is open.
    pub fn sync_begin(&mut self) -> Vec<Vec<u8>> {
        let Some(reg) = &self.reg else {
            return Vec::new();
        };
        let peer_id = format!("device-{}-{}", reg.device_id, uuid::Uuid::new_v4().simple());
        let join = Message::Join {
            sender_id: peer_id.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
            },
        };
        self.session = Some(SyncSession {
            peer_id,
            server: None,
            states: HashMap::new(),
            unavailable: HashSet::new(),
            last_error: None,
        });
        vec![join.encode()]
    }

    /// The WebSocket URL of the sync endpoint for a server at `base_http_url`.
    pub fn sync_url(&self, base_http_url: &str) -> String {
        let base = base_http_url.trim_end_matches('/');
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.to_owned()
        };
        let token = self
            .reg
            .as_ref()
            .map(|r| r.token.as_str())
            .unwrap_or_default();
        format!("{ws}/sync?token={token}")
    }

    /// The documents this device syncs.
    fn wanted(&self) -> Vec<DocumentId> {
        let Some(reg) = &self.reg else {
            return Vec::new();
        };
        let mut ids: Vec<DocumentId> = [&reg.docs.journal, &reg.docs.status, &reg.docs.directory]
            .iter()
            .filter_map(|u| u.parse().ok())
            .collect();
        ids.extend(
            self.directory()
                .members
                .values()
                .filter_map(|e| e.url.parse::<DocumentId>().ok()),
        );
        ids
    }

    /// Generates and wraps the next sync message for `id`, if there is one.
    fn offer(&mut self, id: DocumentId) -> Option<Vec<u8>> {
        let session = self.session.as_mut()?;
        let server = session.server.clone()?;
        if session.unavailable.contains(&id) {
            return None;
        }
        let doc = self.docs.entry(id).or_default();
        let state = session.states.entry(id).or_default();
        let msg = doc.generate_sync_message(state)?;
        let data = msg.encode();
        let frame = if doc.get_heads().is_empty() {
            Message::Request {
                sender_id: session.peer_id.clone(),
                target_id: server,
                document_id: id,
                data,
            }
        } else {
            Message::Sync {
                sender_id: session.peer_id.clone(),
                target_id: server,
                document_id: id,
                data,
            }
        };
        Some(frame.encode())
    }

    /// Takes one frame from the server; returns the frames to send back.
    pub fn sync_receive(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, ClientError> {
        if self.session.is_none() {
            return Err(ClientError::NoSession);
        }
        let msg = Message::decode(frame).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let mut out = Vec::new();
        match msg {
            Message::Peer { sender_id, .. } => {
                if let Some(s) = self.session.as_mut() {
                    s.server = Some(sender_id);
                }
                for id in self.wanted() {
                    out.extend(self.offer(id));
                }
            }
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => {
                let message = sync::Message::decode(&data)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let directory_before = self.directory();
                let Some(session) = self.session.as_mut() else {
                    return Ok(out);
                };
                let doc = self.docs.entry(document_id).or_default();
                let state = session.states.entry(document_id).or_default();
                let before = doc.get_heads();
                doc.receive_sync_message(state, message)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                if doc.get_heads() != before {
                    self.mark_doc(document_id);
                }
                out.extend(self.offer(document_id));
                // New members in the directory: fetch their files too.
                let directory_after = self.directory();
                if directory_after != directory_before {
                    let new: Vec<DocumentId> = directory_after
                        .members
                        .values()
                        .filter(|e| !directory_before.members.values().any(|b| b.url == e.url))
                        .filter_map(|e| e.url.parse().ok())
                        .collect();
                    for id in new {
                        out.extend(self.offer(id));
                    }
                }
            }
            Message::DocUnavailable { document_id, .. } => {
                if let Some(s) = self.session.as_mut() {
                    s.unavailable.insert(document_id);
                }
            }
            Message::Error { message, .. } => {
                if let Some(s) = self.session.as_mut() {
                    s.last_error = Some(message);
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Whether the session has exchanged everything: the server holds the journal and has answered
    /// every event, and this device holds what the server has of every other document.
    pub fn sync_complete(&self) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        if session.server.is_none() {
            return false;
        }
        let in_step = |id: &DocumentId| {
            if session.unavailable.contains(id) {
                return true;
            }
            let (Some(doc), Some(state)) = (self.docs.get(id), session.states.get(id)) else {
                return false;
            };
            let mut ours = doc.get_heads();
            let Some(mut theirs) = state.their_heads.clone() else {
                return false;
            };
            ours.sort();
            theirs.sort();
            ours == theirs
        };
        self.wanted().iter().all(in_step) && self.pending_events() == 0
    }

    /// The last error the server reported in this session.
    pub fn sync_error(&self) -> Option<String> {
        self.session.as_ref().and_then(|s| s.last_error.clone())
    }

    /// Ends the session; records the time when it had completed.
    pub fn sync_end(&mut self, now_ms: i64) {
        if self.sync_complete() {
            self.set_last_sync(now_ms);
        }
        self.session = None;
    }
}
