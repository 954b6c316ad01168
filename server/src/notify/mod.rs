//! Notify: delivers the outbox (`domain::care::outbox`) through the configured sender. The only
//! layer besides `http` and `sync` that does network IO; it uses `domain` and `storage`, and
//! nothing below it knows it exists.
//!
//! One worker task per server ([`spawn`]). It wakes when a message is enqueued or retried (the
//! core's `outbox_wake`), when the next backoff ends, and every [`Config::poll`] in any case.
//! It takes the message due first, marks the attempt in flight **durably**, sends it (blocking
//! IO on tokio's blocking pool), records the outcome **durably**, and only then takes the next.
//! An attempt in flight carries a deadline ([`Config::in_flight_limit`] after its start, by this
//! instance's clock); one still in flight after it was interrupted (its server stopped) and
//! becomes `unknown` (the gateway may have sent it) when a worker — of any instance — passes the
//! deadline. Several instances on one database each run a worker: the core's lock lets one take
//! a message, and an attempt another instance is making is neither taken again nor, before its
//! deadline, declared interrupted. On a store no other instance shares, every attempt found in
//! flight at start-up is `unknown` at once. Nothing enqueued is lost, and nothing is sent twice
//! unless the back office retries it.
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

impl Config {
    /// How long after its start an attempt in flight is taken as interrupted: the longest
    /// exchange with the gateway ([`Transport`] bounds it by twice `timeout`) and ten seconds
    /// more, for recording the outcome under a busy lock and for instances' clocks that differ a
    /// little. An outcome that comes later still is logged, not recorded (the message is
    /// `unknown` by then).
    pub fn in_flight_limit(&self) -> Duration {
        self.timeout.saturating_mul(2) + Duration::from_secs(10)
    }
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
    let interrupted = access.with_core(|core| {
        // Another instance may be sending right now only on a store others share.
        let shared = core.store.change_head()?.is_some();
        outbox::adopt_unindexed(core, !shared)?;
        let at = wall_clock();
        outbox::recover(core, shared.then_some(at), at)
    })?;
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
        let (next, deadline) = access.with_core(|core| {
            let at = wall_clock();
            let n = outbox::recover(core, Some(at), at)?;
            if n > 0 {
                tracing::warn!(
                    count = n,
                    "attempts in flight outlived their deadline (their server stopped); marked unknown for the back office"
                );
            }
            Ok::<_, StoreError>((outbox::next_due(core)?, outbox::next_deadline(core)?))
        })?;
        let now = u64::try_from(wall_clock().millis()).unwrap_or(0);
        let mut sleep = match next {
            Some((due, id)) if due <= now => {
                deliver(&access, &sender, &config, id).await?;
                continue;
            }
            Some((due, _)) => Duration::from_millis(due - now).min(config.poll),
            None => config.poll,
        };
        if let Some(d) = deadline {
            // A millisecond after it, so the next look finds the deadline passed.
            sleep = sleep.min(Duration::from_millis(d.saturating_sub(now) + 1));
        }
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
    let limit = config.in_flight_limit();
    let Some(attempt) =
        access.with_core(|core| outbox::begin_attempt(core, id, wall_clock(), limit))?
    else {
        return Ok(());
    };
    let s = sender.clone();
    let msg = attempt.message.clone();
    let outcome = match tokio::task::spawn_blocking(move || s.send(&msg)).await {
        Ok(o) => o,
        // The sender panicked: nothing says whether the request left.
        Err(e) => Outcome::Unknown(format!("the sender stopped unexpectedly: {e}")),
    };
    let m = access.with_core(|core| {
        outbox::finish_attempt(core, &attempt, wall_clock(), outcome, &config.retry)
    })?;
    if let Some(m) = m {
        let last = m.attempts.last().map(|a| a.detail.as_str()).unwrap_or("");
        tracing::info!(message = %m.id, key = %m.key, state = m.state.as_str(), detail = last, "delivery attempt");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use carclub_shared::{Phone, StoreId};

    use super::*;
    use crate::domain::care::outbox::{DeliveryState, NewMessage};
    use crate::storage::{Batch, SledStore, Store};

    struct Locked(Mutex<Core>);

    impl CoreAccess for Locked {
        fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
            f(&mut self.0.lock().unwrap())
        }
    }

    /// Answers with the scripted outcomes, then delivers; counts its calls.
    struct Scripted(Mutex<(VecDeque<Outcome>, usize)>);

    impl Scripted {
        fn then(&self, o: Outcome) {
            self.0.lock().unwrap().0.push_back(o);
        }
        fn calls(&self) -> usize {
            self.0.lock().unwrap().1
        }
    }

    impl Sender for Scripted {
        fn send(&self, _: &Message) -> Outcome {
            let mut s = self.0.lock().unwrap();
            s.1 += 1;
            s.0.pop_front()
                .unwrap_or_else(|| Outcome::Delivered("200".into()))
        }
    }

    fn enqueue(access: &Locked, key: &str) -> MessageId {
        access.with_core(|core| {
            let mut batch = Batch::default();
            let id = outbox::enqueue(
                &mut batch,
                core,
                NewMessage {
                    key: key.into(),
                    store: StoreId::new(),
                    member: None,
                    phone: Phone::parse("13800138000").unwrap(),
                    kind: MessageKind::Reminder,
                    text: "该保养了".into(),
                    template: None,
                    params: Vec::new(),
                },
            )
            .unwrap()
            .unwrap();
            core.commit(batch, Vec::new()).unwrap();
            id
        })
    }

    async fn until(access: &Locked, id: MessageId, state: DeliveryState) -> Message {
        for _ in 0..500 {
            let m = access.with_core(|core| outbox::message(core, id).unwrap().unwrap());
            if m.state == state {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("message {id} never became {}", state.as_str());
    }

    #[tokio::test]
    async fn the_worker_wakes_on_enqueue_backs_off_and_stops_at_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let access = Arc::new(Locked(Mutex::new(Core::open(store).unwrap())));
        let sender = Arc::new(Scripted(Mutex::new((
            VecDeque::from([
                Outcome::Failed("503".into()),
                Outcome::Failed("no connection".into()),
            ]),
            0,
        ))));
        let config = Config {
            retry: RetryPolicy {
                max_attempts: 5,
                base_ms: 40,
                max_delay_ms: 1000,
            },
            // Only a wake-up or a backoff's end moves the worker: no polling in this test.
            poll: Duration::from_secs(3600),
            ..Config::default()
        };
        let worker = tokio::spawn(run(access.clone(), sender.clone(), config));

        let a = enqueue(&access, "a");
        let m = until(&access, a, DeliveryState::Sent).await;
        let results: Vec<_> = m.attempts.iter().map(|x| x.result).collect();
        use outbox::AttemptResult as R;
        assert_eq!(results, vec![R::Failed, R::Failed, R::Sent]);
        let gap = |i: usize| m.attempts[i + 1].at.millis() - m.attempts[i].at.millis();
        let (first, second) = (gap(0), gap(1));
        assert!(
            first >= 40 && second >= 80,
            "waits of {first} and {second} ms"
        );

        sender.then(Outcome::Refused("400".into()));
        let b = enqueue(&access, "b");
        let m = until(&access, b, DeliveryState::Dead).await;
        assert_eq!(m.attempts.len(), 1);
        sender.then(Outcome::Unknown("no answer".into()));
        let c = enqueue(&access, "c");
        until(&access, c, DeliveryState::Unknown).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(sender.calls(), 5, "dead and unknown are not tried again");
        worker.abort();
    }
}
