//! The `webhook` sender: each message POSTed as JSON to one URL, signed with a shared secret.
//!
//! Headers: `Content-Type: application/json`, `Idempotency-Key: <the message's key>` (a receiver
//! that sees a key twice — after a retry the back office asked for — drops the second),
//! `X-Carclub-Timestamp: <unix seconds>` (also in the body, so it is signed) and
//! `X-Carclub-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`. A 2xx answer
//! is delivery; 408, 429 and 5xx are tried again with backoff; any other 4xx is a dead letter.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::http::{self, Request, Transport};
use super::{Secret, Sender};
use crate::domain::care::outbox::{Message, Outcome, Param};

/// Where and how webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: Secret,
}

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Carclub-Signature";
/// The header carrying the time of sending.
pub const TIMESTAMP_HEADER: &str = "X-Carclub-Timestamp";
/// The header carrying the message's idempotency key.
pub const KEY_HEADER: &str = "Idempotency-Key";

/// The body of a webhook.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub id: String,
    pub key: &'a str,
    pub store: String,
    pub member: Option<String>,
    pub phone: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub template: Option<&'a str>,
    pub params: &'a [Param],
    pub created_at: String,
    /// Which attempt this is (1 for the first).
    pub attempt: usize,
    /// When it was sent (unix seconds), as in the `X-Carclub-Timestamp` header.
    pub timestamp: i64,
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The webhook sender.
pub struct Webhook {
    config: WebhookConfig,
    transport: Transport,
}

impl Webhook {
    /// A sender posting to `config.url`.
    pub fn new(config: WebhookConfig, transport: Transport) -> Self {
        Self { config, transport }
    }

    /// The signed request for `msg`, sent at `timestamp` (unix seconds).
    pub fn request(&self, msg: &Message, timestamp: i64) -> Result<Request, serde_json::Error> {
        let payload = Payload {
            id: msg.id.to_string(),
            key: &msg.key,
            store: msg.store.to_string(),
            member: msg.member.map(|m| m.to_string()),
            phone: msg.phone.as_str(),
            kind: msg.kind.as_str(),
            text: &msg.text,
            template: msg.template.as_deref(),
            params: &msg.params,
            created_at: msg.created_at.to_string(),
            attempt: msg.attempts.len() + 1,
            timestamp,
        };
        let body = serde_json::to_vec(&payload)?;
        Ok(Request {
            method: "POST",
            url: self.config.url.clone(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (KEY_HEADER.into(), msg.key.clone()),
                (TIMESTAMP_HEADER.into(), timestamp.to_string()),
                (
                    SIGNATURE_HEADER.into(),
                    signature(self.config.secret.expose(), &body),
                ),
            ],
            body,
        })
    }
}

impl Sender for Webhook {
    fn send(&self, msg: &Message) -> Outcome {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let req = match self.request(msg, now) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Refused(format!("the message could not be written as JSON: {e}"));
            }
        };
        match self.transport.send(&req) {
            Ok(answer) => http::by_status(&answer),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
