//! The command line of the notification outbox: which sender delivers it, with what secrets
//! (flags, or environment variables so secrets stay out of the process list), and how failed
//! attempts are retried. `docs/notifications.md` describes them.

use std::time::Duration;

use anyhow::bail;
use carclub_server::domain::care::outbox::{MessageKind, RetryPolicy};
use carclub_server::notify::aliyun::{self, AliyunConfig};
use carclub_server::notify::tencent::{self, TencentConfig};
use carclub_server::notify::webhook::WebhookConfig;
use carclub_server::notify::{Config, Secret, SenderConfig};
use clap::{Args, ValueEnum};

/// The senders `--sender` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SenderName {
    /// Write each message to the server log and count it sent (no configuration).
    Log,
    /// POST each message as JSON, signed with HMAC-SHA256, to --webhook-url.
    Webhook,
    /// Aliyun SMS SendSms.
    AliyunSms,
    /// Tencent Cloud SMS SendSms.
    TencentSms,
}

/// How the notification outbox is delivered.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Who delivers the outbox's messages.
    #[arg(long, value_enum, default_value = "log", env = "CARCLUB_SENDER")]
    sender: SenderName,
    /// Webhook: the URL each message is POSTed to.
    #[arg(long, env = "CARCLUB_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// Webhook: the shared secret of the X-Carclub-Signature HMAC (better from the environment).
    #[arg(long, env = "CARCLUB_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// SMS: the template code (Aliyun) or id (Tencent) for messages of a kind that name none,
    /// as KIND=CODE (kinds: reminder, unreachable, campaign); repeat for each kind.
    #[arg(long = "sms-template", value_name = "KIND=CODE", value_parser = template)]
    sms_templates: Vec<(MessageKind, String)>,
    /// SMS: the approved signature (签名) the messages are signed with.
    #[arg(long, env = "CARCLUB_SMS_SIGN_NAME")]
    sms_sign_name: Option<String>,
    /// Aliyun: the AccessKey id.
    #[arg(long, env = "CARCLUB_ALIYUN_ACCESS_KEY_ID")]
    aliyun_access_key_id: Option<String>,
    /// Aliyun: the AccessKey secret (better from the environment).
    #[arg(long, env = "CARCLUB_ALIYUN_ACCESS_KEY_SECRET", hide_env_values = true)]
    aliyun_access_key_secret: Option<String>,
    /// Aliyun: the SMS endpoint.
    #[arg(long, default_value = aliyun::ENDPOINT, env = "CARCLUB_ALIYUN_ENDPOINT")]
    aliyun_endpoint: String,
    /// Tencent: the SecretId.
    #[arg(long, env = "CARCLUB_TENCENT_SECRET_ID")]
    tencent_secret_id: Option<String>,
    /// Tencent: the SecretKey (better from the environment).
    #[arg(long, env = "CARCLUB_TENCENT_SECRET_KEY", hide_env_values = true)]
    tencent_secret_key: Option<String>,
    /// Tencent: the SMS application id (SmsSdkAppId).
    #[arg(long, env = "CARCLUB_TENCENT_SDK_APP_ID")]
    tencent_sdk_app_id: Option<String>,
    /// Tencent: the region.
    #[arg(long, default_value = "ap-guangzhou", env = "CARCLUB_TENCENT_REGION")]
    tencent_region: String,
    /// Tencent: the SMS endpoint.
    #[arg(long, default_value = tencent::ENDPOINT, env = "CARCLUB_TENCENT_ENDPOINT")]
    tencent_endpoint: String,
    /// Attempts at a message before it is a dead letter (5xx, no connection).
    #[arg(long, default_value_t = RetryPolicy::default().max_attempts)]
    notify_max_attempts: u32,
    /// The wait after the first failed attempt, in milliseconds; it doubles after each failure.
    #[arg(long, default_value_t = RetryPolicy::default().base_ms)]
    notify_retry_base_ms: u64,
    /// The longest wait between two attempts, in milliseconds.
    #[arg(long, default_value_t = RetryPolicy::default().max_delay_ms)]
    notify_retry_max_ms: u64,
    /// How long an attempt waits to connect, and then for the gateway's answer, in seconds; a
    /// request sent and not answered in time leaves the message `unknown`.
    #[arg(long, default_value_t = 10)]
    notify_timeout_secs: u64,
}

/// Reads `KIND=CODE`.
fn template(raw: &str) -> Result<(MessageKind, String), String> {
    let (kind, code) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?}: expected KIND=CODE, e.g. reminder=SMS_123456"))?;
    let kind = match kind.trim() {
        "reminder" => MessageKind::Reminder,
        "unreachable" => MessageKind::Unreachable,
        "campaign" => MessageKind::Campaign,
        k => {
            return Err(format!(
                "{k:?} is not a message kind (reminder, unreachable, campaign)"
            ));
        }
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(format!("{raw:?}: the template code is empty"));
    }
    Ok((kind, code.to_owned()))
}

/// `value`, or an error naming the flag it needs.
fn needed(value: Option<String>, flag: &str, sender: &str) -> anyhow::Result<String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => bail!("--sender {sender} needs {flag}"),
    }
}

impl NotifyArgs {
    /// The configuration these flags describe, or what is missing.
    pub fn config(self) -> anyhow::Result<Config> {
        if self.notify_max_attempts == 0 {
            bail!("--notify-max-attempts must be at least 1");
        }
        if self.notify_timeout_secs == 0 {
            bail!("--notify-timeout-secs must be at least 1");
        }
        let sender = match self.sender {
            SenderName::Log => SenderConfig::Log,
            SenderName::Webhook => {
                let url = needed(self.webhook_url, "--webhook-url", "webhook")?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("--webhook-url {url:?} is not an http:// or https:// URL");
                }
                let secret = needed(
                    self.webhook_secret,
                    "--webhook-secret (or CARCLUB_WEBHOOK_SECRET)",
                    "webhook",
                )?;
                SenderConfig::Webhook(WebhookConfig {
                    url,
                    secret: Secret::new(secret),
                })
            }
            SenderName::AliyunSms => SenderConfig::AliyunSms(AliyunConfig {
                endpoint: self.aliyun_endpoint,
                access_key_id: needed(
                    self.aliyun_access_key_id,
                    "--aliyun-access-key-id",
                    "aliyun-sms",
                )?,
                access_key_secret: Secret::new(needed(
                    self.aliyun_access_key_secret,
                    "--aliyun-access-key-secret (or CARCLUB_ALIYUN_ACCESS_KEY_SECRET)",
                    "aliyun-sms",
                )?),
                sign_name: needed(self.sms_sign_name, "--sms-sign-name", "aliyun-sms")?,
                templates: self.sms_templates,
            }),
            SenderName::TencentSms => SenderConfig::TencentSms(TencentConfig {
                endpoint: self.tencent_endpoint,
                secret_id: needed(self.tencent_secret_id, "--tencent-secret-id", "tencent-sms")?,
                secret_key: Secret::new(needed(
                    self.tencent_secret_key,
                    "--tencent-secret-key (or CARCLUB_TENCENT_SECRET_KEY)",
                    "tencent-sms",
                )?),
                sdk_app_id: needed(
                    self.tencent_sdk_app_id,
                    "--tencent-sdk-app-id",
                    "tencent-sms",
                )?,
                sign_name: needed(self.sms_sign_name, "--sms-sign-name", "tencent-sms")?,
                region: self.tencent_region,
                templates: self.sms_templates,
            }),
        };
        Ok(Config {
            sender,
            retry: RetryPolicy {
                max_attempts: self.notify_max_attempts,
                base_ms: self.notify_retry_base_ms.max(1),
                max_delay_ms: self.notify_retry_max_ms,
            },
            timeout: Duration::from_secs(self.notify_timeout_secs),
            ..Config::default()
        })
    }
}
