//! The `aliyun-sms` sender, shaped like Aliyun SMS `SendSms` (dysmsapi, version 2017-05-25, RPC
//! style): `PhoneNumbers`, `SignName`, `TemplateCode` and `TemplateParam` (a JSON object of named
//! parameters), signed as Aliyun documents for RPC APIs (signature version 1.0): the parameters
//! sorted by name, each name and value percent-encoded (RFC 3986), joined into the canonicalized
//! query; the string to sign is `METHOD&%2F&` + that query percent-encoded again; the signature
//! is base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).
//!
//! The request is a form POST to the endpoint. Aliyun answers `{"Code": "OK", …}` on success;
//! throttling and internal errors are tried again, any other code is a dead letter.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::http::{self, Request, Transport, rfc3986};
use super::{Secret, Sender, params_of, template_of};
use crate::domain::care::outbox::{Message, MessageKind, Outcome};

/// The account and signature Aliyun SMS is sent with.
#[derive(Debug, Clone)]
pub struct AliyunConfig {
    /// Default `https://dysmsapi.aliyuncs.com/`.
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// The approved SMS signature (签名), e.g. the store's name.
    pub sign_name: String,
    /// The template code for messages that name none, by kind.
    pub templates: Vec<(MessageKind, String)>,
}

/// Aliyun's default SMS endpoint.
pub const ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";

/// The canonicalized query: parameters sorted by name, names and values percent-encoded.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The string to sign for `method` and the canonicalized query.
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!("{method}&{}&{}", rfc3986("/"), rfc3986(canonical_query))
}

/// base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The Aliyun SMS sender.
pub struct AliyunSms {
    config: AliyunConfig,
    transport: Transport,
}

impl AliyunSms {
    /// A sender with `config`.
    pub fn new(config: AliyunConfig, transport: Transport) -> Self {
        Self { config, transport }
    }

    /// The signed `SendSms` request for `msg` at `timestamp` (`2016-02-23T12:46:24Z`) with
    /// `nonce`; `Err` with the reason when the message cannot be sent this way.
    pub fn request(&self, msg: &Message, timestamp: &str, nonce: &str) -> Result<Request, String> {
        let template = template_of(msg, &self.config.templates).ok_or_else(|| {
            format!(
                "aliyun-sms needs a template code: the message has none and none is configured for {} messages (--sms-template {}=CODE)",
                msg.kind.as_str(),
                msg.kind.as_str()
            )
        })?;
        let params: serde_json::Map<String, serde_json::Value> = params_of(msg)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let template_param = serde_json::to_string(&params)
            .map_err(|e| format!("the template parameters could not be written: {e}"))?;
        let mut query: Vec<(String, String)> = [
            ("AccessKeyId", self.config.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("Timestamp", timestamp),
            ("Version", "2017-05-25"),
            ("PhoneNumbers", msg.phone.as_str()),
            ("SignName", self.config.sign_name.as_str()),
            ("TemplateCode", template),
            ("TemplateParam", template_param.as_str()),
            ("OutId", &msg.id.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let canonical = canonical_query(&query);
        let signature = sign(
            self.config.access_key_secret.expose(),
            &string_to_sign("POST", &canonical),
        );
        query.push(("Signature".into(), signature));
        Ok(Request {
            method: "POST",
            url: self.config.endpoint.clone(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: canonical_query(&query).into_bytes(),
        })
    }
}

/// What Aliyun's answer means.
pub fn outcome(answer: &http::Answer) -> Outcome {
    let detail = format!("HTTP {}: {}", answer.status, http::short(&answer.body));
    let code = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("Code").and_then(|c| c.as_str()).map(str::to_owned));
    match code.as_deref() {
        Some("OK") if (200..300).contains(&answer.status) => Outcome::Delivered(detail),
        Some(c)
            if c.starts_with("Throttling")
                || c == "isv.BUSINESS_LIMIT_CONTROL"
                || c == "ServiceUnavailable"
                || c.starts_with("InternalError") =>
        {
            Outcome::Failed(detail)
        }
        Some(_) => Outcome::Refused(detail),
        // No code: judge by the status (a proxy's 502, a gateway's 500).
        None => match http::by_status(answer) {
            Outcome::Delivered(d) => Outcome::Unknown(format!("{d} (no Code in the answer)")),
            o => o,
        },
    }
}

impl Sender for AliyunSms {
    fn send(&self, msg: &Message) -> Outcome {
        let now = time::OffsetDateTime::now_utc();
        let timestamp = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let nonce = uuid::Uuid::new_v4().to_string();
        let req = match self.request(msg, &timestamp, &nonce) {
            Ok(r) => r,
            Err(why) => return Outcome::Refused(why),
        };
        match self.transport.send(&req) {
            Ok(answer) => outcome(&answer),
            Err(o) => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aliyun's documented example of an RPC signature (ECS `DescribeRegions`, AccessKeyId
    /// `testid`, AccessKeySecret `testsecret`).
    fn documented() -> Vec<(String, String)> {
        [
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn the_documented_example_signs_as_aliyun_says() {
        let canonical = canonical_query(&documented());
        assert_eq!(
            canonical,
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1\
             &SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0\
             &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26"
        );
        let to_sign = string_to_sign("GET", &canonical);
        assert_eq!(
            to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(sign("testsecret", &to_sign), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    fn message() -> Message {
        use crate::domain::care::outbox::{DeliveryState, MessageId, Param};
        Message {
            id: MessageId::parse("0190f1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b").unwrap(),
            key: "campaign:1:m1".into(),
            store: carclub_shared::StoreId::new(),
            member: None,
            phone: carclub_shared::Phone::parse("13800138000").unwrap(),
            kind: MessageKind::Reminder,
            text: "您的爱车该保养了".into(),
            template: None,
            params: vec![
                Param {
                    name: "name".into(),
                    value: "王先生".into(),
                },
                Param {
                    name: "date".into(),
                    value: "2026-12-01".into(),
                },
            ],
            created_at: carclub_shared::Timestamp::from_millis(0),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            next_attempt_at: None,
            sending_since: None,
            sent_at: None,
            retried_after: 0,
        }
    }

    fn sender(templates: Vec<(MessageKind, String)>) -> AliyunSms {
        AliyunSms::new(
            AliyunConfig {
                endpoint: ENDPOINT.into(),
                access_key_id: "testid".into(),
                access_key_secret: Secret::new("testsecret"),
                sign_name: "本店".into(),
                templates,
            },
            Transport::new(std::time::Duration::from_secs(1)),
        )
    }

    #[test]
    fn send_sms_carries_named_parameters_and_verifies() {
        let s = sender(vec![(MessageKind::Reminder, "SMS_0001".into())]);
        let req = s
            .request(&message(), "2026-11-30T12:00:00Z", "nonce-1")
            .unwrap();
        let body = String::from_utf8(req.body).unwrap();
        let form: Vec<(String, String)> = body
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                let d = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .unwrap()
                        .into_owned()
                };
                (d(k), d(v))
            })
            .collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Action"), Some("SendSms"));
        assert_eq!(get("PhoneNumbers"), Some("13800138000"));
        assert_eq!(get("SignName"), Some("本店"));
        assert_eq!(get("TemplateCode"), Some("SMS_0001"));
        let params: serde_json::Value =
            serde_json::from_str(get("TemplateParam").unwrap()).unwrap();
        assert_eq!(
            params,
            serde_json::json!({"name": "王先生", "date": "2026-12-01"})
        );
        // The receiver's check: re-sign what arrived without the signature.
        let unsigned: Vec<(String, String)> = form
            .iter()
            .filter(|(k, _)| k != "Signature")
            .cloned()
            .collect();
        let expected = sign(
            "testsecret",
            &string_to_sign("POST", &canonical_query(&unsigned)),
        );
        assert_eq!(get("Signature"), Some(expected.as_str()));
    }

    #[test]
    fn a_message_without_a_template_is_refused_with_the_reason() {
        let why = sender(Vec::new())
            .request(&message(), "2026-11-30T12:00:00Z", "n")
            .unwrap_err();
        assert!(why.contains("--sms-template reminder=CODE"), "{why}");
    }

    #[test]
    fn answers_map_to_outcomes() {
        let a = |status, body: &str| http::Answer {
            status,
            body: body.into(),
        };
        assert!(matches!(
            outcome(&a(200, r#"{"Code":"OK","BizId":"1"}"#)),
            Outcome::Delivered(_)
        ));
        assert!(matches!(
            outcome(&a(400, r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL"}"#)),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            outcome(&a(200, r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL"}"#)),
            Outcome::Failed(_)
        ));
        assert!(matches!(
            outcome(&a(502, "bad gateway")),
            Outcome::Failed(_)
        ));
    }
}
