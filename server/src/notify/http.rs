//! One HTTP exchange with a gateway, and what its failure means for the message: a request that
//! never left may be tried again, one that left without an answer may have been acted on.

use std::time::Duration;

use crate::domain::care::outbox::Outcome;

/// A request, built (and signed) by a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The gateway's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends requests with bounded waits.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
}

/// The most of an answer kept in an attempt's detail.
const DETAIL_CHARS: usize = 300;

/// `text` cut to a few hundred characters for an attempt's detail.
pub fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= DETAIL_CHARS {
        t.to_owned()
    } else {
        let mut s: String = t.chars().take(DETAIL_CHARS).collect();
        s.push('…');
        s
    }
}

impl Transport {
    /// A transport that waits at most `timeout` to connect, to send and for the answer, and at
    /// most twice that for the whole exchange ([`super::Config::in_flight_limit`] counts on it).
    pub fn new(timeout: Duration) -> Self {
        let t = Some(timeout);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout.saturating_mul(2)))
            .timeout_resolve(t)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_send_body(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            .build()
            .into();
        Self { agent }
    }

    /// Sends `req`; an error is already the attempt's outcome (`Failed` when the request cannot
    /// have reached the gateway, `Unknown` when it may have).
    pub fn send(&self, req: &Request) -> Result<Answer, Outcome> {
        let result = match req.method {
            "GET" => {
                let mut b = self.agent.get(&req.url);
                for (k, v) in &req.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.call()
            }
            _ => {
                let mut b = self.agent.post(&req.url);
                for (k, v) in &req.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.send(&req.body[..])
            }
        };
        let mut resp = result.map_err(|e| classify(&e))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map_err(|e| match classify(&e) {
                // The gateway answered with a status: a broken body does not undo it.
                Outcome::Failed(d) | Outcome::Unknown(d) if (200..300).contains(&status) => {
                    Outcome::Unknown(format!("HTTP {status}, then the answer broke off: {d}"))
                }
                o => o,
            })?;
        Ok(Answer { status, body })
    }
}

/// What a failed exchange means for the message.
fn classify(e: &ureq::Error) -> Outcome {
    use std::io::ErrorKind;
    use ureq::Timeout as T;
    let detail = short(&e.to_string());
    match e {
        // Nothing reached the gateway, or not a whole request: safe to try again.
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => Outcome::Failed(detail),
        ureq::Error::Timeout(T::Resolve | T::Connect | T::SendRequest | T::SendBody) => {
            Outcome::Failed(format!("{detail} (before the request was sent)"))
        }
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::NotConnected
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
            ) =>
        {
            Outcome::Failed(detail)
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            Outcome::Failed(detail)
        }
        // The request left (or may have): the gateway may have acted on it.
        ureq::Error::Timeout(_) => {
            Outcome::Unknown(format!("{detail} (after the request was sent)"))
        }
        ureq::Error::Io(_) | ureq::Error::Protocol(_) | ureq::Error::BodyStalled => {
            Outcome::Unknown(detail)
        }
        // A URL or configuration the gateway can never accept.
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            Outcome::Refused(detail)
        }
        _ => Outcome::Failed(detail),
    }
}

/// The outcome of an answer by its status alone: 2xx delivered, 408 and 429 (may pass) and 5xx
/// failed, any other 4xx refused.
pub fn by_status(a: &Answer) -> Outcome {
    let detail = format!("HTTP {}: {}", a.status, short(&a.body));
    match a.status {
        200..=299 => Outcome::Delivered(detail),
        408 | 429 => Outcome::Failed(detail),
        400..=499 => Outcome::Refused(detail),
        _ => Outcome::Failed(detail),
    }
}

/// Percent-encoding as Aliyun's and Tencent's signatures want it (RFC 3986: everything but
/// `A-Z a-z 0-9 - _ . ~`, upper-case hex).
pub fn rfc3986(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_encodes_what_the_gateways_expect() {
        assert_eq!(rfc3986("a b*c~d"), "a%20b%2Ac~d");
        assert_eq!(rfc3986("2016-02-23T12:46:24Z"), "2016-02-23T12%3A46%3A24Z");
        assert_eq!(rfc3986("/"), "%2F");
        assert_eq!(rfc3986("阿"), "%E9%98%BF");
    }

    #[test]
    fn statuses_map_to_outcomes() {
        let a = |status| Answer {
            status,
            body: "x".into(),
        };
        assert!(matches!(by_status(&a(204)), Outcome::Delivered(_)));
        assert!(matches!(by_status(&a(400)), Outcome::Refused(_)));
        assert!(matches!(by_status(&a(429)), Outcome::Failed(_)));
        assert!(matches!(by_status(&a(503)), Outcome::Failed(_)));
    }

    #[test]
    fn a_refused_connection_is_failed_and_a_silent_gateway_unknown() {
        // A port nobody listens on.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let t = Transport::new(Duration::from_millis(500));
        let req = |port: u16| Request {
            method: "POST",
            url: format!("http://127.0.0.1:{port}/hook"),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{}".to_vec(),
        };
        assert!(matches!(t.send(&req(port)), Err(Outcome::Failed(_))));

        // A gateway that reads the request and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let hold = std::thread::spawn(move || {
            let (mut s, _) = silent.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            std::thread::sleep(Duration::from_millis(1500));
        });
        match t.send(&req(port)) {
            Err(Outcome::Unknown(d)) => assert!(d.contains("after"), "{d}"),
            other => panic!("expected unknown, got {other:?}"),
        }
        hold.join().unwrap();
    }
}
