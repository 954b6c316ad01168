//! The `tencent-sms` sender, shaped like Tencent Cloud SMS `SendSms` (API 3.0, version
//! 2021-01-11): a JSON POST with `PhoneNumberSet` (E.164), `SmsSdkAppId`, `SignName`,
//! `TemplateId` and `TemplateParamSet` (positional: the message's parameters in order), signed
//! with TC3-HMAC-SHA256 as Tencent documents it:
//!
//! 1. canonical request = method, `/`, the query (empty for POST), the canonical headers
//!    (`content-type` and `host`, lower-case, sorted), the signed header names, and the hex
//!    SHA-256 of the payload, one per line;
//! 2. string to sign = `TC3-HMAC-SHA256`, the timestamp, `<UTC date>/<service>/tc3_request`,
//!    the hex SHA-256 of the canonical request;
//! 3. key = HMAC-SHA256 chain `"TC3" + SecretKey` → date → service → `tc3_request`, signature =
//!    hex HMAC-SHA256(key, string to sign);
//! 4. `Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=…, Signature=…`.
//!
//! Tencent answers HTTP 200 with `Response.SendStatusSet[0].Code == "Ok"` on success, or
//! `Response.Error`; internal errors and rate limits are tried again, anything else is a dead
//! letter.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::http::{self, Request, Transport};
use super::{Secret, Sender, params_of, template_of};
use crate::domain::care::outbox::{Message, MessageKind, Outcome};

/// The account and signature Tencent SMS is sent with.
#[derive(Debug, Clone)]
pub struct TencentConfig {
    /// Default `https://sms.tencentcloudapi.com/`.
    pub endpoint: String,
    pub secret_id: String,
    pub secret_key: Secret,
    /// The SMS application (`SmsSdkAppId`, e.g. `1400006666`).
    pub sdk_app_id: String,
    /// The approved SMS signature (签名).
    pub sign_name: String,
    /// Default `ap-guangzhou`.
    pub region: String,
    /// The template id for messages that name none, by kind.
    pub templates: Vec<(MessageKind, String)>,
}

/// Tencent's default SMS endpoint.
pub const ENDPOINT: &str = "https://sms.tencentcloudapi.com/";
const SERVICE: &str = "sms";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac256(key: &[u8], msg: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Step 1: the canonical request of a POST with `payload` to `host`.
pub fn canonical_request(content_type: &str, host: &str, payload: &[u8]) -> String {
    format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        content_type.trim().to_lowercase(),
        host.trim().to_lowercase(),
        sha256_hex(payload)
    )
}

/// Step 2: the string to sign.
pub fn string_to_sign(timestamp: i64, date: &str, service: &str, canonical: &str) -> String {
    format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// Step 3: the signature.
pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let k_date = hmac256(format!("TC3{secret_key}").as_bytes(), date);
    let k_service = hmac256(&k_date, service);
    let k_signing = hmac256(&k_service, "tc3_request");
    hex::encode(hmac256(&k_signing, string_to_sign))
}

/// The UTC date of a unix timestamp, `YYYY-MM-DD`.
fn utc_date(timestamp: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(timestamp)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The host (and port) of an endpoint URL.
fn host_of(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// A mainland number in E.164 (`+86…`), as `PhoneNumberSet` wants it.
fn e164(phone: &str) -> String {
    if phone.starts_with('+') {
        phone.to_owned()
    } else {
        format!("+86{phone}")
    }
}

/// The Tencent SMS sender.
pub struct TencentSms {
    config: TencentConfig,
    transport: Transport,
}

impl TencentSms {
    /// A sender with `config`.
    pub fn new(config: TencentConfig, transport: Transport) -> Self {
        Self { config, transport }
    }

    /// The signed `SendSms` request for `msg` at `timestamp` (unix seconds); `Err` with the
    /// reason when the message cannot be sent this way.
    pub fn request(&self, msg: &Message, timestamp: i64) -> Result<Request, String> {
        let template = template_of(msg, &self.config.templates).ok_or_else(|| {
            format!(
                "tencent-sms needs a template id: the message has none and none is configured for {} messages (--sms-template {}=ID)",
                msg.kind.as_str(),
                msg.kind.as_str()
            )
        })?;
        let params: Vec<String> = params_of(msg).into_iter().map(|(_, v)| v).collect();
        let payload = serde_json::to_vec(&serde_json::json!({
            "PhoneNumberSet": [e164(msg.phone.as_str())],
            "SmsSdkAppId": self.config.sdk_app_id,
            "SignName": self.config.sign_name,
            "TemplateId": template,
            "TemplateParamSet": params,
            "SessionContext": msg.key,
        }))
        .map_err(|e| format!("the request could not be written as JSON: {e}"))?;
        let host = host_of(&self.config.endpoint).to_owned();
        let date = utc_date(timestamp);
        let canonical = canonical_request(CONTENT_TYPE, &host, &payload);
        let to_sign = string_to_sign(timestamp, &date, SERVICE, &canonical);
        let sig = signature(self.config.secret_key.expose(), &date, SERVICE, &to_sign);
        let authorization = format!(
            "TC3-HMAC-SHA256 Credential={}/{date}/{SERVICE}/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
            self.config.secret_id
        );
        Ok(Request {
            method: "POST",
            url: self.config.endpoint.clone(),
            headers: vec![
                ("Authorization".into(), authorization),
                ("Content-Type".into(), CONTENT_TYPE.into()),
                ("Host".into(), host),
                ("X-TC-Action".into(), "SendSms".into()),
                ("X-TC-Timestamp".into(), timestamp.to_string()),
                ("X-TC-Version".into(), VERSION.into()),
                ("X-TC-Region".into(), self.config.region.clone()),
            ],
            body: payload,
        })
    }
}

/// What Tencent's answer means.
pub fn outcome(answer: &http::Answer) -> Outcome {
    let detail = format!("HTTP {}: {}", answer.status, http::short(&answer.body));
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&answer.body) else {
        return match http::by_status(answer) {
            Outcome::Delivered(d) => Outcome::Unknown(format!("{d} (not Tencent's answer)")),
            o => o,
        };
    };
    let r = &v["Response"];
    if let Some(code) = r["Error"]["Code"].as_str() {
        return if code.starts_with("InternalError") || code.starts_with("RequestLimitExceeded") {
            Outcome::Failed(detail)
        } else {
            Outcome::Refused(detail)
        };
    }
    match r["SendStatusSet"][0]["Code"].as_str() {
        Some("Ok") => Outcome::Delivered(detail),
        Some(_) => Outcome::Refused(detail),
        None => match http::by_status(answer) {
            Outcome::Delivered(d) => Outcome::Unknown(format!("{d} (no send status)")),
            o => o,
        },
    }
}

impl Sender for TencentSms {
    fn send(&self, msg: &Message) -> Outcome {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let req = match self.request(msg, now) {
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

    // Tencent's documented example of TC3-HMAC-SHA256 (CVM `DescribeInstances`, timestamp
    // 1551113065, SecretKey `Gu5t9xGARNpq86cd98joQYCN3EXAMPLE`), step by step.
    const PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    #[test]
    fn the_documented_example_signs_as_tencent_says() {
        assert_eq!(
            sha256_hex(PAYLOAD.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let canonical = canonical_request(
            "application/json; charset=utf-8",
            "cvm.tencentcloudapi.com",
            PAYLOAD.as_bytes(),
        );
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            utc_date(1551113065),
            "2019-02-25",
            "the UTC date, not UTC+8's"
        );
        let to_sign = string_to_sign(1551113065, "2019-02-25", "cvm", &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signature(
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "2019-02-25",
                "cvm",
                &to_sign
            ),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    fn message() -> Message {
        use crate::domain::care::outbox::{DeliveryState, MessageId, Param};
        Message {
            id: MessageId::new(),
            key: "task:1:sms".into(),
            store: carclub_shared::StoreId::new(),
            member: None,
            phone: carclub_shared::Phone::parse("13800138000").unwrap(),
            kind: MessageKind::Unreachable,
            text: "我们多次致电未能联系到您".into(),
            template: Some("1234567".into()),
            params: vec![
                Param {
                    name: "name".into(),
                    value: "王先生".into(),
                },
                Param {
                    name: "store".into(),
                    value: "本店".into(),
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

    #[test]
    fn send_sms_carries_positional_parameters_and_verifies() {
        let s = TencentSms::new(
            TencentConfig {
                endpoint: ENDPOINT.into(),
                secret_id: "AKIDEXAMPLE".into(),
                secret_key: Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
                sdk_app_id: "1400006666".into(),
                sign_name: "本店".into(),
                region: "ap-guangzhou".into(),
                templates: Vec::new(),
            },
            Transport::new(std::time::Duration::from_secs(1)),
        );
        let req = s.request(&message(), 1551113065).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["PhoneNumberSet"][0], "+8613800138000");
        assert_eq!(body["SmsSdkAppId"], "1400006666");
        assert_eq!(body["TemplateId"], "1234567");
        assert_eq!(
            body["TemplateParamSet"],
            serde_json::json!(["王先生", "本店"])
        );
        let header = |k: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("Host"), "sms.tencentcloudapi.com");
        assert_eq!(header("X-TC-Action"), "SendSms");
        // The receiver's check, from what arrived.
        let canonical = canonical_request(&header("Content-Type"), &header("Host"), &req.body);
        let to_sign = string_to_sign(1551113065, "2019-02-25", "sms", &canonical);
        let sig = signature(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "2019-02-25",
            "sms",
            &to_sign,
        );
        assert_eq!(
            header("Authorization"),
            format!(
                "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature={sig}"
            )
        );
    }

    #[test]
    fn answers_map_to_outcomes() {
        let a = |body: &str| http::Answer {
            status: 200,
            body: body.into(),
        };
        assert!(matches!(
            outcome(&a(
                r#"{"Response":{"SendStatusSet":[{"Code":"Ok"}],"RequestId":"x"}}"#
            )),
            Outcome::Delivered(_)
        ));
        assert!(matches!(
            outcome(&a(
                r#"{"Response":{"SendStatusSet":[{"Code":"InvalidParameterValue.IncorrectPhoneNumber"}]}}"#
            )),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            outcome(&a(
                r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure"}}}"#
            )),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            outcome(&a(
                r#"{"Response":{"Error":{"Code":"InternalError.Timeout"}}}"#
            )),
            Outcome::Failed(_)
        ));
    }
}
