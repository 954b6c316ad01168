//! A raw automerge-repo protocol peer for tests that speak the wire protocol themselves.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::SyncDoc;

use carclub_protocol::DocumentId;
use carclub_protocol::wire::{Message, PeerMetadata};
use tungstenite::Message as Ws;

use crate::Server;

/// A raw protocol peer: a test speaks the wire protocol itself.
pub struct Peer {
    pub ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
}

impl Peer {
    /// Connects with `token` and completes the join handshake.
    pub fn connect(server: &Server, token: &str) -> Peer {
        let (ws, _) = tungstenite::connect(format!("ws://{}/sync?token={token}", server.addr))
            .expect("connects");
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        }
        let mut peer = Peer { ws };
        peer.send(&Message::Join {
            sender_id: "test-peer".into(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: PeerMetadata::default(),
        });
        match peer.recv() {
            Message::Peer { .. } => peer,
            other => panic!("the server answered the join with {other:?}"),
        }
    }
    /// Sends one message.
    pub fn send(&mut self, m: &Message) {
        self.ws.send(Ws::Binary(m.encode().into())).unwrap();
    }
    /// The next message from the server.
    pub fn recv(&mut self) -> Message {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if Instant::now() > deadline {
                panic!("no answer from the server in 10 s");
            }
            if let Ws::Binary(b) = crate::read_ws(&mut self.ws).expect("server answers") {
                return Message::decode(&b).expect("server frames decode");
            }
        }
    }
    /// Sends a sync message for `doc`.
    pub fn sync(&mut self, doc: DocumentId, data: Vec<u8>) {
        self.send(&Message::Sync {
            sender_id: "test-peer".into(),
            target_id: "server".into(),
            document_id: doc,
            data,
        });
    }
    /// Asks for `doc` as a peer that does not hold it; the server's first answer about it.
    pub fn request(&mut self, doc: DocumentId) -> Message {
        let mut state = automerge::sync::State::new();
        let data = Automerge::new()
            .generate_sync_message(&mut state)
            .expect("a first sync message")
            .encode();
        self.send(&Message::Request {
            sender_id: "test-peer".into(),
            target_id: "server".into(),
            document_id: doc,
            data,
        });
        loop {
            match self.recv() {
                m @ (Message::Sync { .. } | Message::DocUnavailable { .. })
                    if doc_of(&m) == Some(doc) =>
                {
                    return m;
                }
                Message::Error { message, .. } => panic!("server error: {message}"),
                _ => {}
            }
        }
    }
    /// Sends a change cursor; the documents the server's summary lists, following its pages.
    pub fn summary(&mut self, cursor: u64) -> BTreeSet<DocumentId> {
        self.pages(cursor).into_iter().flatten().collect()
    }
    /// Sends a change cursor and asks for every further page; the documents of each page.
    pub fn pages(&mut self, mut cursor: u64) -> Vec<Vec<DocumentId>> {
        let mut pages = Vec::new();
        loop {
            self.send(&Message::HeadsSummary {
                sender_id: "test-peer".into(),
                target_id: "server".into(),
                cursor,
                entries: Vec::new(),
                more: false,
            });
            let (next, entries, more) = loop {
                if let Message::HeadsSummary {
                    cursor,
                    entries,
                    more,
                    ..
                } = self.recv()
                {
                    break (cursor, entries, more);
                }
            };
            pages.push(entries.into_iter().map(|(id, _)| id).collect());
            if !more {
                return pages;
            }
            if next <= cursor {
                panic!("a page did not move the cursor on ({cursor} → {next})");
            }
            cursor = next;
        }
    }
}

/// The document a sync, request or unavailable message is about.
pub fn doc_of(m: &Message) -> Option<DocumentId> {
    match m {
        Message::Sync { document_id, .. }
        | Message::Request { document_id, .. }
        | Message::DocUnavailable { document_id, .. } => Some(*document_id),
        _ => None,
    }
}
