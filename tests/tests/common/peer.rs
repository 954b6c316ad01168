//! A raw automerge-repo protocol peer for tests that speak the wire protocol themselves.

use std::time::{Duration, Instant};

use carclub_protocol::DocumentId;
use carclub_protocol::wire::{Message, PeerMetadata};
use tungstenite::Message as Ws;

use super::Server;

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
        assert!(matches!(peer.recv(), Message::Peer { .. }));
        peer
    }
    /// Sends one message.
    pub fn send(&mut self, m: &Message) {
        self.ws.send(Ws::Binary(m.encode().into())).unwrap();
    }
    /// The next message from the server.
    pub fn recv(&mut self) -> Message {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "no answer from the server");
            if let Ws::Binary(b) = self.ws.read().expect("server answers") {
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
}
