//! A webhook receiver on a local port, for the notification outbox's `webhook` sender
//! (docs/notifications.md): it checks each request's `X-Carclub-Signature` (HMAC-SHA256 of the
//! body under the shared secret, computed here with its own code, not the server's), records the
//! idempotency key and answers as scripted (200 unless told otherwise; 401 for a bad signature),
//! at once or after holding the request a while (a gateway slow to answer).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The shared secret the tests' servers sign webhooks with (give it as
/// `CARCLUB_WEBHOOK_SECRET`).
pub const SECRET: &str = "a shared secret only the receiver knows";

/// HMAC-SHA256 (RFC 2104), written out here so the receiver does not share the server's code.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub key: String,
    /// The signature header matched the body under the secret.
    pub valid: bool,
    /// What the receiver answered.
    pub status: u16,
    pub body: Value,
    pub timestamp_header: String,
}

#[derive(Default)]
struct Script {
    /// Statuses to answer, in order; 200 once they are used up (401 for a bad signature).
    answers: VecDeque<u16>,
    /// How long to hold the next requests before answering, in order; at once once used up.
    holds: VecDeque<Duration>,
    seen: Vec<Seen>,
}

/// A webhook receiver on a local port.
pub struct Receiver {
    script: Arc<Mutex<Script>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The options that make a server deliver its outbox to a receiver on `port` (with
/// [`SECRET`] in its environment as `CARCLUB_WEBHOOK_SECRET`).
pub fn sender_options(port: u16) -> Vec<String> {
    vec![
        "--sender".into(),
        "webhook".into(),
        "--webhook-url".into(),
        format!("http://127.0.0.1:{port}/hook"),
    ]
}

/// A port nobody listens on (for now).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

impl Receiver {
    /// Listens on `port`.
    pub fn listen(port: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the receiver's port");
        listener.set_nonblocking(true).expect("non-blocking accept");
        let script = Arc::new(Mutex::new(Script::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (script.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => handle(conn, &s, &st),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver {
            script,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers the next request with `status`.
    pub fn answer_next(&self, status: u16) {
        self.script.lock().unwrap().answers.push_back(status);
    }

    /// Holds the next request `hold` before answering it (it is in [`Receiver::seen`] at once);
    /// the receiver answers nobody else meanwhile.
    pub fn hold_next(&self, hold: Duration) {
        self.script.lock().unwrap().holds.push_back(hold);
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    /// The requests with `key` the receiver accepted (2xx).
    pub fn accepted(&self, key: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.key == key && (200..300).contains(&s.status))
            .count()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one HTTP/1.1 request, checks it and answers.
fn handle(conn: TcpStream, script: &Mutex<Script>, stop: &AtomicBool) {
    conn.set_nonblocking(false).expect("blocking reads");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    let mut reader = BufReader::new(conn);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    let header = |name: &str| {
        headers
            .iter()
            .filter_map(|h| h.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let len: usize = header("content-length").parse().unwrap_or(0);
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let expected = format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &body)));
    let valid = header("x-carclub-signature") == expected;
    let (status, hold) = {
        let mut s = script.lock().unwrap();
        let status = if valid {
            s.answers.pop_front().unwrap_or(200)
        } else {
            401
        };
        let hold = s.holds.pop_front().unwrap_or_default();
        s.seen.push(Seen {
            key: header("idempotency-key"),
            valid,
            status,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            timestamp_header: header("x-carclub-timestamp"),
        });
        (status, hold)
    };
    let until = std::time::Instant::now() + hold;
    while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut conn = reader.into_inner();
    let _ = write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
    let _ = conn.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
