//! Notify: delivers the outbox (`domain::care::outbox`) through the configured sender. The only
//! layer besides `http` and `sync` that does network IO; it uses `domain` and `storage`, and
//! nothing below it knows it exists.
//!
//! One worker task per server ([`spawn`]). It wakes when a message is enqueued or retried (the
//! core's `outbox_wake`), when the next backoff ends, and every [`Config::poll`] in any case.
//! It takes the message due first, marks the attempt in flight **durably**, sends it (blocking
//! IO on tokio's blocking pool), records the outcome **durably**, and only then takes the next. At
//! start-up it first turns attempts that were in flight when the server stopped into `unknown`
//! (the gateway may have sent them), then delivers whatever waits: nothing enqueued is lost, and
//! nothing is sent twice unless the back office retries it.
//!
//! Senders ([`SenderConfig`]): `log` (the default; writes the message to the log and counts it
//! sent), `webhook` (signed JSON POST, [`webhook`]), `aliyun-sms` ([`aliyun`]) and `tencent-sms`
//! ([`tencent`]), each shaped like the vendor's `SendSms`.

pub mod aliyun;
mod http;
pub mod tencent;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use carclub_shared::Timestamp;

use crate::domain::Core;
use crate::domain::care::outbox::{self, Message, MessageId, MessageKind, Outcome, RetryPolicy};
use crate::storage::StoreError;

pub use http::Transport;

/// A secret from the configuration: never shown by `Debug` or in the log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Keeps `value` as a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which sender delivers the outbox, with what it needs.
#[derive(Debug, Clone, Default)]
pub enum SenderConfig {
    /// Writes each message to the log (target `carclub::outbox`) and counts it sent.
    #[default]
    Log,
    /// POSTs each message as JSON to `url`, signed with `secret`.
    Webhook(webhook::WebhookConfig),
    /// Aliyun SMS (`dysmsapi` `SendSms`).
    AliyunSms(aliyun::AliyunConfig),
    /// Tencent Cloud SMS (`sms` `SendSms`, API 3.0).
    TencentSms(tencent::TencentConfig),
}

impl SenderConfig {
    /// The sender's name, as `--sender` takes it.
    pub fn name(&self) -> &'static str {
        match self {
            SenderConfig::Log => "log",
            SenderConfig::Webhook(_) => "webhook",
            SenderConfig::AliyunSms(_) => "aliyun-sms",
            SenderConfig::TencentSms(_) => "tencent-sms",
        }
    }
}

/// How the outbox is delivered.
#[derive(Debug, Clone)]
pub struct Config {
    pub sender: SenderConfig,
    pub retry: RetryPolicy,
    /// How long an attempt waits to connect, and then for the answer.
    pub timeout: Duration,
    /// The longest the worker sleeps without looking at the outbox.
    pub poll: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sender: SenderConfig::Log,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(30),
        }
    }
}

/// Delivers one message: blocking IO, called from tokio's blocking pool.
pub trait Sender: Send + Sync + 'static {
    /// Tries to deliver `msg` (its `attempts` are those before this one).
    fn send(&self, msg: &Message) -> Outcome;
}

/// The `log` sender.
pub struct LogSender;

impl Sender for LogSender {
    fn send(&self, msg: &Message) -> Outcome {
        tracing::info!(
            target: "carclub::outbox",
            message = %msg.id,
            key = %msg.key,
            store = %msg.store,
            phone = %msg.phone,
            kind = msg.kind.as_str(),
            text = %msg.text,
            "message sent to the log"
        );
        Outcome::Delivered("written to the server log (sender: log)".into())
    }
}

/// The sender `config` describes.
pub fn sender(config: &Config) -> Arc<dyn Sender> {
    let transport = Transport::new(config.timeout);
    match &config.sender {
        SenderConfig::Log => Arc::new(LogSender),
        SenderConfig::Webhook(c) => Arc::new(webhook::Webhook::new(c.clone(), transport)),
        SenderConfig::AliyunSms(c) => Arc::new(aliyun::AliyunSms::new(c.clone(), transport)),
        SenderConfig::TencentSms(c) => Arc::new(tencent::TencentSms::new(c.clone(), transport)),
    }
}

/// The SMS template of a message: its own, else the one configured for its kind.
pub(crate) fn template_of<'a>(
    msg: &'a Message,
    by_kind: &'a [(MessageKind, String)],
) -> Option<&'a str> {
    msg.template.as_deref().or_else(|| {
        by_kind
            .iter()
            .find(|(k, _)| *k == msg.kind)
            .map(|(_, t)| t.as_str())
    })
}

/// The template parameters of a message: its own, else its text as the one parameter `text`.
pub(crate) fn params_of(msg: &Message) -> Vec<(String, String)> {
    if msg.params.is_empty() {
        vec![("text".into(), msg.text.clone())]
    } else {
        msg.params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect()
    }
}

/// How the worker reaches the core: under its one lock (`sync::Shared` in the server; `app.rs`
/// implements this), so its reads and writes never interleave with a request's.
pub trait CoreAccess: Send + Sync + 'static {
    /// Runs `f` on the locked core.
    fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R;
}

/// The real clock: delivery times are when the IO happened.
fn wall_clock() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// Starts the delivery worker on the current tokio runtime.
pub fn spawn<A: CoreAccess>(access: Arc<A>, config: Config) -> tokio::task::JoinHandle<()> {
    let sender = sender(&config);
    tracing::info!(sender = config.sender.name(), "outbox delivery started");
    tokio::spawn(async move {
        if let Err(e) = run(access, sender, config).await {
            // What the disk holds may no longer be what the worker believes: stop, as a failed
            // flush of the sync layer does; a restart recovers exactly what was durable.
            tracing::error!(error = ?e, "the outbox could not be written; stopping the server");
            std::process::exit(1);
        }
    })
}

/// The worker's loop; returns only on a storage failure.
pub async fn run<A: CoreAccess>(
    access: Arc<A>,
    sender: Arc<dyn Sender>,
    config: Config,
) -> Result<(), StoreError> {
    let wake = access.with_core(|core| core.outbox_wake.clone());
    let interrupted = access.with_core(|core| outbox::recover(core, wall_clock()))?;
    if interrupted > 0 {
        tracing::warn!(
            count = interrupted,
            "messages were being sent when the server stopped; marked unknown for the back office"
        );
    }
    loop {
        // Registered before looking, so an enqueue between the look and the wait is not missed.
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = access.with_core(|core| outbox::next_due(core))?;
        let now = u64::try_from(wall_clock().millis()).unwrap_or(0);
        let sleep = match next {
            Some((due, id)) if due <= now => {
                deliver(&access, &sender, &config, id).await?;
                continue;
            }
            Some((due, _)) => Duration::from_millis(due - now).min(config.poll),
            None => config.poll,
        };
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// One attempt at message `id`, recorded before and after.
async fn deliver<A: CoreAccess>(
    access: &Arc<A>,
    sender: &Arc<dyn Sender>,
    config: &Config,
    id: MessageId,
) -> Result<(), StoreError> {
    let Some(msg) = access.with_core(|core| outbox::begin_attempt(core, id, wall_clock()))? else {
        return Ok(());
    };
    let s = sender.clone();
    let outcome = match tokio::task::spawn_blocking(move || s.send(&msg)).await {
        Ok(o) => o,
        // The sender panicked: nothing says whether the request left.
        Err(e) => Outcome::Unknown(format!("the sender stopped unexpectedly: {e}")),
    };
    let m = access
        .with_core(|core| outbox::finish_attempt(core, id, wall_clock(), outcome, &config.retry))?;
    if let Some(m) = m {
        let last = m.attempts.last().map(|a| a.detail.as_str()).unwrap_or("");
        tracing::info!(message = %m.id, key = %m.key, state = m.state.as_str(), detail = last, "delivery attempt");
    }
    Ok(())
}
