//! The device side of the automerge-repo sync protocol, without IO: frames in, frames out.
//!
//! A session starts with `join`; once the server answers `peer`, the device offers its journal and
//! sends its change cursor (a `carclub-heads` summary). The server answers with the heads of every
//! document the device may read that changed since that cursor; the device runs an Automerge sync
//! exchange only for those whose heads differ from its own, and for documents it wants but does not
//! hold yet (its status, the store directory, each member file the directory lists). What it holds
//! nothing of it fetches by the page (`carclub-fetch`): the server answers with the documents whole,
//! as stored (`carclub-docs`), and both sides then keep the sync state of a completed exchange for
//! each, so a first sync of ten thousand member files is a few dozen frames. Sync states
//! are kept between sessions, so an exchange sends only what the other side lacks. A device that
//! holds N documents of which k changed pays for k, not N.
//!
//! The session is complete when the server holds every change of the journal and has answered every
//! event, and the device holds what the server has of every document it exchanged.
//!
//! ```
//! # use carclub_client::Device;
//! let mut device = Device::open(Vec::new()).unwrap();
//! assert!(device.sync_begin().is_empty()); // an unregistered device has nothing to sync
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_protocol::DocumentId;
use carclub_protocol::pack;
use carclub_protocol::wire::{MAX_FETCH, Message, PROTOCOL_VERSION, PeerMetadata};

use crate::device::Device;
use crate::error::ClientError;

/// One connection's worth of sync state.
pub(crate) struct SyncSession {
    peer_id: String,
    server: Option<String>,
    states: HashMap<DocumentId, sync::State>,
    unavailable: HashSet<DocumentId>,
    /// Documents asked for by the page (`carclub-fetch`) and not answered yet.
    fetching: HashSet<DocumentId>,
    /// The server's cursor, once the last page of its summary arrived.
    cursor: Option<u64>,
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
            fetching: HashSet::new(),
            cursor: None,
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

    /// The device's own documents and the directories it reads: these always take part.
    fn own(&self) -> Vec<DocumentId> {
        let Some(reg) = &self.reg else {
            return Vec::new();
        };
        let mut ids: Vec<DocumentId> = [&reg.docs.journal, &reg.docs.status]
            .iter()
            .filter_map(|u| u.parse().ok())
            .collect();
        ids.extend(self.directory_ids());
        ids.extend(self.member_docs());
        ids
    }

    /// The documents this device syncs.
    fn wanted(&self) -> Vec<DocumentId> {
        let mut ids = self.own();
        ids.extend(self.directory_members().iter().copied());
        ids
    }

    /// Generates and wraps the next sync message for `id`, if there is one.
    fn offer(&mut self, id: DocumentId) -> Option<Vec<u8>> {
        let session = self.session.as_mut()?;
        let server = session.server.clone()?;
        if session.unavailable.contains(&id) || session.fetching.contains(&id) {
            return None;
        }
        let doc = self.docs.entry(id).or_default();
        let saved = &self.saved_states;
        let state = session.states.entry(id).or_insert_with(|| {
            saved
                .get(&id)
                .and_then(|b| sync::State::decode(b).ok())
                .unwrap_or_default()
        });
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

    /// Asks for documents: those this device holds nothing of and is not exchanging by the page
    /// (`carclub-fetch`, answered with the documents whole), the others with a sync message each.
    fn fetch_or_offer(&mut self, ids: impl IntoIterator<Item = DocumentId>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut fetch = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            let Some(session) = self.session.as_ref() else {
                return out;
            };
            if session.unavailable.contains(&id)
                || session.fetching.contains(&id)
                || !seen.insert(id)
            {
                continue;
            }
            let held = self
                .docs
                .get(&id)
                .is_some_and(|d| !d.get_heads().is_empty());
            if held || session.states.contains_key(&id) {
                out.extend(self.offer(id));
            } else {
                fetch.push(id);
            }
        }
        let Some(session) = self.session.as_mut() else {
            return out;
        };
        let Some(server) = session.server.clone() else {
            return out;
        };
        session.fetching.extend(fetch.iter().copied());
        for page in fetch.chunks(MAX_FETCH) {
            let frame = Message::Fetch {
                sender_id: session.peer_id.clone(),
                target_id: server.clone(),
                documents: page.to_vec(),
            };
            out.push(frame.encode());
        }
        out
    }

    /// What to ask for after documents arrived: a directory newly listed (a reassignment), and
    /// the files of members new in the directories.
    fn follow_directories(
        &mut self,
        members_before: &Arc<Vec<DocumentId>>,
        directories_before: &[DocumentId],
    ) -> Vec<Vec<u8>> {
        let mut ids: Vec<DocumentId> = self
            .directory_ids()
            .into_iter()
            .filter(|id| !directories_before.contains(id))
            .collect();
        let members_after = self.directory_members();
        if !Arc::ptr_eq(&members_after, members_before) {
            let known: HashSet<&DocumentId> = members_before.iter().collect();
            ids.extend(members_after.iter().filter(|id| !known.contains(id)));
        }
        self.fetch_or_offer(ids)
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
                let Some(s) = self.session.as_mut() else {
                    return Ok(out);
                };
                s.server = Some(sender_id.clone());
                let summary = Message::HeadsSummary {
                    sender_id: s.peer_id.clone(),
                    target_id: sender_id,
                    cursor: self.cursor(),
                    entries: Vec::new(),
                    more: false,
                };
                out.push(summary.encode());
                // The device's own documents always take part (a few small exchanges): the journal
                // uploads, the status brings the outcomes, the directories bring new members.
                self.registration()?;
                for id in self.own() {
                    out.extend(self.offer(id));
                }
            }
            Message::HeadsSummary {
                cursor,
                entries,
                more,
                ..
            } => {
                if let Some(s) = self.session.as_mut() {
                    if more {
                        // A page of a long answer: ask for the next one right away.
                        if let Some(server) = s.server.clone() {
                            let next = Message::HeadsSummary {
                                sender_id: s.peer_id.clone(),
                                target_id: server,
                                cursor,
                                entries: Vec::new(),
                                more: false,
                            };
                            out.push(next.encode());
                        }
                    } else {
                        s.cursor = Some(cursor);
                    }
                }
                let mut differ = Vec::new();
                for (id, heads) in entries {
                    let mut theirs: Vec<[u8; 32]> = heads;
                    theirs.sort();
                    let mut ours: Vec<[u8; 32]> = self
                        .docs
                        .get(&id)
                        .map(|d| d.get_heads().iter().map(|h| h.0).collect())
                        .unwrap_or_default();
                    ours.sort();
                    if ours != theirs {
                        differ.push(id);
                    }
                }
                // Documents wanted but never fetched (a first sync, or one cut short).
                let missing: Vec<DocumentId> = self
                    .wanted()
                    .into_iter()
                    .filter(|id| self.docs.get(id).is_none_or(|d| d.get_heads().is_empty()))
                    .collect();
                out.extend(self.fetch_or_offer(differ.into_iter().chain(missing)));
            }
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => {
                let message = sync::Message::decode(&data)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let members_before = self.directory_members();
                let directories_before = self.directory_ids();
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
                out.extend(self.follow_directories(&members_before, &directories_before));
            }
            Message::Documents {
                data,
                unavailable,
                declined,
                ..
            } => {
                let page = pack::unpack(&data).map_err(|e| ClientError::Protocol(e.to_string()))?;
                let members_before = self.directory_members();
                let directories_before = self.directory_ids();
                let Some(session) = self.session.as_mut() else {
                    return Ok(out);
                };
                for id in unavailable {
                    session.fetching.remove(&id);
                    session.unavailable.insert(id);
                }
                for id in &declined {
                    session.fetching.remove(id);
                }
                let mut arrived = Vec::new();
                for d in page {
                    // Only what was asked for and not answered yet.
                    if !session.fetching.remove(&d.id) {
                        continue;
                    }
                    let doc = Automerge::load(&d.bytes)
                        .map_err(|e| ClientError::Protocol(format!("document {}: {e}", d.id)))?;
                    session
                        .states
                        .insert(d.id, pack::synced_state(&d.heads, false));
                    self.docs.insert(d.id, doc);
                    arrived.push(d.id);
                }
                for id in arrived {
                    self.mark_doc(id);
                }
                // Declined: the usual exchange.
                for id in declined {
                    out.extend(self.offer(id));
                }
                out.extend(self.follow_directories(&members_before, &directories_before));
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
        if session.server.is_none() || session.cursor.is_none() {
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
        session.fetching.is_empty()
            && session.states.keys().all(in_step)
            && self.wanted().iter().all(|id| {
                self.docs.get(id).is_some_and(|d| !d.get_heads().is_empty())
                    || session.unavailable.contains(id)
            })
            && self.pending_events() == 0
    }

    /// The last error the server reported in this session.
    pub fn sync_error(&self) -> Option<String> {
        self.session.as_ref().and_then(|s| s.last_error.clone())
    }

    /// Ends the session; records the time when it had completed.
    pub fn sync_end(&mut self, now_ms: i64) {
        let complete = self.sync_complete();
        let Some(session) = self.session.take() else {
            return;
        };
        // Keep what each exchange established, even after an interrupted session: the shared
        // heads are only ever what both sides hold.
        let states: Vec<(DocumentId, Vec<u8>)> = session
            .states
            .iter()
            .map(|(id, s)| (*id, s.encode()))
            .collect();
        let cursor = if complete { session.cursor } else { None };
        if complete {
            self.record_sync(now_ms, cursor, states);
            self.forget_unread();
        } else {
            self.record_states(states);
        }
    }

    /// Forgets the server documents this device no longer reads — a directory its user is no
    /// longer assigned to and the member files only it listed — once every directory it reads is
    /// held, so what it shows and keeps is what it may see.
    fn forget_unread(&mut self) {
        let held = |id: &DocumentId| self.docs.get(id).is_some_and(|d| !d.get_heads().is_empty());
        if !self.directory_ids().iter().all(held) {
            return;
        }
        let keep: HashSet<DocumentId> = self.wanted().into_iter().collect();
        let unread: Vec<DocumentId> = self
            .docs
            .keys()
            .filter(|id| !keep.contains(id))
            .copied()
            .collect();
        for id in unread {
            self.forget(id);
        }
    }
}
