//! A device that writes any event into its journal and syncs it over the real protocol, to test
//! what the server does with events a field app would never record (or records backdated).

use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync::SyncDoc;
use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_protocol::wire::{Message, PeerMetadata};
use carclub_shared::{Event, EventId, Timestamp};
use serde_json::{Value, json};
use tungstenite::Message as Ws;

use crate::Server;

/// A registered device with its own journal.
pub struct JournalDevice {
    pub token: String,
    pub device: String,
    pub user: String,
    pub card_prefix: String,
    pub card_first: u64,
    cards_used: u64,
    journal: DocumentId,
    doc: Automerge,
    seq: u64,
}

impl JournalDevice {
    /// Registers a device for `username`.
    pub fn register(server: &Server, username: &str, password: &str) -> JournalDevice {
        let (status, body) = server.post(
            "/api/devices",
            &json!({"username": username, "password": password, "name": format!("{username}'s phone")}),
            None,
        );
        if status != 200 {
            panic!("registering a device for {username} answered {status}: {body}");
        }
        let device: carclub_shared::DeviceId = body["device_id"].as_str().unwrap().parse().unwrap();
        let mut doc = Automerge::new();
        docs::journal::create(&mut doc, device).unwrap();
        JournalDevice {
            token: body["token"].as_str().unwrap().into(),
            device: device.to_string(),
            user: body["user"]["id"].as_str().unwrap().into(),
            card_prefix: body["card_blocks"][0]["prefix"].as_str().unwrap().into(),
            card_first: body["card_blocks"][0]["first"].as_u64().unwrap(),
            cards_used: 0,
            journal: body["docs"]["journal"].as_str().unwrap().parse().unwrap(),
            doc,
            seq: 0,
        }
    }

    /// The device's journal document.
    pub fn journal_id(&self) -> DocumentId {
        self.journal
    }

    /// The next card number of the device's block.
    pub fn next_card(&mut self) -> String {
        let n = self.card_first + self.cards_used;
        self.cards_used += 1;
        format!("{}{n:08}", self.card_prefix)
    }

    /// Appends an event with `body` (a JSON object with "type"), dated `days_ago` days back.
    pub fn record(&mut self, days_ago: i64, body: Value) -> String {
        self.seq += 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let mut v = json!({
            "id": EventId::new().to_string(),
            "at": Timestamp::from_millis(now - days_ago * 86_400_000),
            "device": self.device,
            "seq": self.seq,
            "author": self.user,
        });
        for (k, val) in body.as_object().expect("event body is an object") {
            v[k] = val.clone();
        }
        let event: Event = serde_json::from_value(v).expect("a valid event");
        docs::journal::append(&mut self.doc, &event).unwrap();
        event.id.to_string()
    }

    /// Appends the last recorded event once more, unchanged (a device that retries an upload, or
    /// restored its journal from a copy): the same event id twice.
    pub fn repeat_last(&mut self) {
        let entries = docs::journal::entries(&self.doc, 0);
        let Some(docs::journal::Entry::Event(last)) = entries.last() else {
            panic!("nothing recorded yet")
        };
        let last = (**last).clone();
        docs::journal::append(&mut self.doc, &last).unwrap();
    }

    /// Enrolls a new member on `tier` for `fee` fen, `days_ago` days back; returns the member id.
    pub fn enroll(&mut self, days_ago: i64, name: &str, n: u32, tier: &str, fee: i64) -> String {
        let member = EventId::new().to_string();
        let card = self.next_card();
        self.record(
            days_ago,
            json!({
                "type": "enrolled", "member": member,
                "person": {"name": name, "phone": format!("139{n:08}")},
                "vehicle": {"vin": format!("LSVAU2180N{n:07}"), "plate": format!("粤B{n:05}")},
                "tier": tier, "channel": {"kind": "desk"}, "fee": fee,
                "receipt": format!("R-{}-{n}", &self.device[..8]), "card": card
            }),
        );
        member
    }

    /// Syncs the journal until the server holds every change (it acknowledges only durable writes).
    pub fn sync(&mut self, server: &Server) {
        let (mut ws, _) =
            tungstenite::connect(format!("ws://{}/sync?token={}", server.addr, self.token))
                .expect("connects");
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let send = |ws: &mut tungstenite::WebSocket<_>, m: Message| {
            ws.send(Ws::Binary(m.encode().into())).unwrap();
        };
        send(
            &mut ws,
            Message::Join {
                sender_id: "journal-device".into(),
                supported_protocol_versions: vec!["1".into()],
                peer_metadata: PeerMetadata::default(),
            },
        );
        let mut state = automerge::sync::State::new();
        let first = self.doc.generate_sync_message(&mut state).unwrap();
        send(
            &mut ws,
            Message::Sync {
                sender_id: "journal-device".into(),
                target_id: "server".into(),
                document_id: self.journal,
                data: first.encode(),
            },
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if Instant::now() > deadline {
                panic!("the journal did not sync in 60 s");
            }
            let Ws::Binary(b) = crate::read_ws(&mut ws).expect("server answers") else {
                continue;
            };
            match Message::decode(&b).unwrap() {
                Message::Sync {
                    document_id, data, ..
                } if document_id == self.journal => {
                    let m = automerge::sync::Message::decode(&data).unwrap();
                    self.doc.receive_sync_message(&mut state, m).unwrap();
                    if let Some(next) = self.doc.generate_sync_message(&mut state) {
                        send(
                            &mut ws,
                            Message::Sync {
                                sender_id: "journal-device".into(),
                                target_id: "server".into(),
                                document_id: self.journal,
                                data: next.encode(),
                            },
                        );
                    }
                    if state.their_heads.as_ref() == Some(&self.doc.get_heads()) {
                        return;
                    }
                }
                Message::Error { message, .. } => panic!("sync error: {message}"),
                _ => {}
            }
        }
    }
}
