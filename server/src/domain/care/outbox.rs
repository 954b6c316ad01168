//! The notification outbox: every SMS or message the club sends, written in the same atomic batch
//! as what caused it, so it is never lost and never enqueued twice.
//!
//! A message is enqueued under an **idempotency key** that names its cause (the campaign and the
//! member, the task and its failed calls…): a key already in the store, or earlier in the same
//! batch, enqueues nothing. The `notify` layer delivers what is waiting, one message at a time,
//! and records each attempt here before taking the next:
//!
//! ```text
//!            enqueue / retry
//!                  │
//!                  ▼            5xx, no connection (attempts left)
//!   ┌──────────► pending ─────────────────────────────► failed ──┐ next attempt due
//!   │               │  ▲                                  │       │
//!   │ retry         │  └──────────────────────────────────┼───────┘
//!   │               │ 2xx            4xx, or no attempts left      timeout after sending,
//!   │               ▼                          │                   or the server stopped
//!   │             sent                         ▼                   during the attempt
//!   └──────────────────────────────────────── dead ◄── retry ──┐          │
//!                                                              └─ unknown ◄┘
//! ```
//!
//! `unknown` is never retried by the worker: the gateway may have sent the SMS, so the back office
//! decides (`POST /api/care/outbox/{id}/retry`). An attempt is marked *in flight* durably before
//! the request leaves, with a **deadline** (its start plus the sending instance's in-flight limit,
//! longer than an exchange with the gateway can last); an attempt still in flight after its
//! deadline was interrupted (its server stopped) and becomes `unknown` too — noticed by whichever
//! instance's worker passes the deadline first, never earlier, so an attempt another live
//! instance is making is left alone. On a store no other instance shares, everything found in
//! flight at start-up was interrupted and becomes `unknown` at once. So a message is delivered at
//! most once unless a person says otherwise.
//!
//! Records: [`OUTBOX`] by id, [`OUTBOX_KEYS`] (key → id), [`OUTBOX_DUE`], the messages waiting
//! for an attempt in the order they are due (a message is there exactly while `pending` or
//! `failed` and not in flight), and [`OUTBOX_SENDING`], the attempts in flight by deadline.
//! Delivery runs on the real clock of the instance that delivers (backoff must pass even when
//! the care rules run on a fixed test clock); deadlines are compared with the clock of the
//! instance that looks, so instances' clocks must agree (NTP) within the margin of the in-flight
//! limit. `created_at` is the club's clock ([`now`]).

use carclub_shared::{MemberId, Phone, StoreId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::club::now;
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::{OUTBOX, OUTBOX_DUE, OUTBOX_KEYS, OUTBOX_SENDING};
use crate::storage::{Batch, Order, StoreError};

record_id!(
    /// A message in the outbox.
    MessageId,
    "message"
);

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A care reminder sent by SMS (service due, insurance, inspection, renewal…).
    Reminder,
    /// The SMS after three unanswered calls in three slots within three days (3×3×3).
    Unreachable,
    /// A holiday, severe-weather or other campaign message to a segment.
    Campaign,
}

impl MessageKind {
    /// The kind as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Reminder => "reminder",
            MessageKind::Unreachable => "unreachable",
            MessageKind::Campaign => "campaign",
        }
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first attempt (or put back by the back office).
    Pending,
    /// Accepted by the gateway.
    Sent,
    /// The last attempt failed for a reason that may pass (5xx, no connection); the next one is
    /// due at `next_attempt_at`.
    Failed,
    /// The gateway may or may not have sent it (a timeout after the request left, or the server
    /// stopped during the attempt): never retried unless the back office says so.
    Unknown,
    /// Refused by the gateway (4xx) or out of attempts: a dead letter the back office may retry.
    Dead,
}

impl DeliveryState {
    /// The state as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Unknown => "unknown",
            DeliveryState::Dead => "dead",
        }
    }

    /// Whether the delivery worker will try the message (it is in the due index).
    pub fn waiting(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Failed)
    }

    /// Whether the back office may put the message back in the queue.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            DeliveryState::Dead | DeliveryState::Unknown | DeliveryState::Failed
        )
    }
}

/// A named template parameter (positional gateways take them in this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Param {
    pub name: String,
    pub value: String,
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    /// The gateway accepted the message.
    Sent,
    /// The gateway refused it (4xx or a refusal in its answer): not retried.
    Refused,
    /// It did not get through (5xx, no connection): retried with backoff.
    Failed,
    /// No answer after the request left (timeout): the outcome is unknown.
    Unknown,
    /// The server stopped while the attempt was in flight: the outcome is unknown.
    Interrupted,
}

/// One attempt at delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    /// When the attempt ended (or, for an interrupted one, when that was noticed).
    pub at: Timestamp,
    pub result: AttemptResult,
    /// What the gateway answered, or what went wrong, in a few words.
    pub detail: String,
}

/// A message in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    #[schema(value_type = uuid::Uuid)]
    pub id: MessageId,
    /// The idempotency key: names the message's cause; a key is enqueued once.
    pub key: String,
    pub store: StoreId,
    pub member: Option<MemberId>,
    pub phone: Phone,
    pub kind: MessageKind,
    /// The text, as sent by the `log` and `webhook` senders.
    pub text: String,
    /// The SMS gateway's template code (Aliyun `TemplateCode`, Tencent `TemplateId`).
    pub template: Option<String>,
    /// The template's parameters, in order.
    pub params: Vec<Param>,
    pub created_at: Timestamp,
    pub state: DeliveryState,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due (`failed`); null when at once (`pending`) or when none is
    /// planned.
    pub next_attempt_at: Option<Timestamp>,
    /// When the attempt under way started: set durably before the request leaves.
    pub sending_since: Option<Timestamp>,
    /// When the gateway accepted it.
    pub sent_at: Option<Timestamp>,
    /// How many attempts were on file when the back office last put it back in the queue: the
    /// retry budget counts failures from there.
    #[serde(default)]
    pub retried_after: u32,
}

impl Message {
    /// The key of the message's entry in the due index, while it waits for an attempt (not while
    /// one is in flight).
    fn due(&self) -> Option<u64> {
        if self.sending_since.is_some() {
            return None;
        }
        match self.state {
            DeliveryState::Pending => Some(0),
            DeliveryState::Failed => Some(
                self.next_attempt_at
                    .map_or(0, |t| u64::try_from(t.millis()).unwrap_or(0)),
            ),
            _ => None,
        }
    }
}

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The idempotency key, naming the cause (e.g. `campaign:<id>:<member>`).
    pub key: String,
    pub store: StoreId,
    pub member: Option<MemberId>,
    pub phone: Phone,
    pub kind: MessageKind,
    pub text: String,
    /// The SMS gateway's template code, if the store's gateway uses templates.
    pub template: Option<String>,
    /// The template's parameters, by name, in order.
    pub params: Vec<(String, String)>,
}

/// Writes `msg` into `batch` (committed by the caller with what caused it) and wakes the
/// delivery worker. Returns `None`, writing nothing, when its key is already enqueued, in the
/// store or earlier in `batch`.
pub fn enqueue(
    batch: &mut Batch,
    core: &Core,
    msg: NewMessage,
) -> Result<Option<MessageId>, StoreError> {
    let known: Option<MessageId> =
        OUTBOX_KEYS.get_through(core.store.as_ref(), batch, msg.key.as_str())?;
    if known.is_some() {
        return Ok(None);
    }
    let m = Message {
        id: MessageId::new(),
        key: msg.key,
        store: msg.store,
        member: msg.member,
        phone: msg.phone,
        kind: msg.kind,
        text: msg.text,
        template: msg.template,
        params: msg
            .params
            .into_iter()
            .map(|(name, value)| Param { name, value })
            .collect(),
        created_at: now(),
        state: DeliveryState::Pending,
        attempts: Vec::new(),
        next_attempt_at: None,
        sending_since: None,
        sent_at: None,
        retried_after: 0,
    };
    OUTBOX_KEYS.put(batch, m.key.as_str(), &m.id)?;
    write(batch, None, &m)?;
    core.outbox_wake.notify_one();
    Ok(Some(m.id))
}

/// Writes `m` and moves its due-index entry from where `before` had it.
fn write(batch: &mut Batch, before: Option<u64>, m: &Message) -> Result<(), StoreError> {
    let after = m.due();
    if before != after {
        if let Some(d) = before {
            OUTBOX_DUE.delete(batch, &(d, m.id.0));
        }
        if let Some(d) = after {
            OUTBOX_DUE.put(batch, &(d, m.id.0), &m.id)?;
        }
    }
    OUTBOX.put(batch, &m.id.0, m)
}

/// The message `id`, if on file.
pub fn message(core: &Core, id: MessageId) -> Result<Option<Message>, StoreError> {
    OUTBOX.get(core.store.as_ref(), &id.0)
}

/// The message enqueued under `key`, if any.
pub fn by_key(core: &Core, key: &str) -> Result<Option<Message>, StoreError> {
    let id: Option<MessageId> = OUTBOX_KEYS.get(core.store.as_ref(), key)?;
    match id {
        Some(id) => message(core, id),
        None => Ok(None),
    }
}

// ---- delivery: what the notify layer's worker calls ----

/// How failed attempts are retried: the delay doubles after each failure, from `base_ms` up to
/// `max_delay_ms`, and after `max_attempts` attempts the message is a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_ms: u64,
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_ms: 2_000,
            max_delay_ms: 10 * 60 * 1000,
        }
    }
}

impl RetryPolicy {
    /// The delay before the attempt after `failures` failed ones (1 → `base_ms`, 2 → twice…).
    pub fn delay_ms(&self, failures: u32) -> u64 {
        let doublings = failures.saturating_sub(1).min(40);
        self.base_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_ms.max(self.base_ms))
    }
}

/// What a sender reports of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (2xx, and the gateway's answer says so).
    Delivered(String),
    /// Refused for good (4xx, or a refusal in the gateway's answer).
    Refused(String),
    /// Did not get through, may pass (5xx, connection refused, name not resolved).
    Failed(String),
    /// The request left and no answer came (timeout): the gateway may have sent it.
    Unknown(String),
}

/// Applies the outcome of an attempt that ended at `at` to `m`: the state machine of the module's
/// drawing.
pub fn apply_outcome(m: &mut Message, at: Timestamp, outcome: Outcome, policy: &RetryPolicy) {
    m.sending_since = None;
    m.next_attempt_at = None;
    let (result, detail) = match outcome {
        Outcome::Delivered(d) => {
            m.state = DeliveryState::Sent;
            m.sent_at = Some(at);
            (AttemptResult::Sent, d)
        }
        Outcome::Refused(d) => {
            m.state = DeliveryState::Dead;
            (AttemptResult::Refused, d)
        }
        Outcome::Unknown(d) => {
            m.state = DeliveryState::Unknown;
            (AttemptResult::Unknown, d)
        }
        Outcome::Failed(d) => {
            // Failures since the message was last put in the queue (by enqueue or a retry).
            let since = (m.retried_after as usize).min(m.attempts.len());
            let failures = 1 + m.attempts[since..]
                .iter()
                .rev()
                .take_while(|a| a.result == AttemptResult::Failed)
                .count() as u32;
            if failures >= policy.max_attempts {
                m.state = DeliveryState::Dead;
            } else {
                m.state = DeliveryState::Failed;
                let delay = i64::try_from(policy.delay_ms(failures)).unwrap_or(i64::MAX);
                m.next_attempt_at = Some(Timestamp::from_millis(at.millis().saturating_add(delay)));
            }
            (AttemptResult::Failed, d)
        }
    };
    m.attempts.push(Attempt { at, result, detail });
}

/// How many messages wait for an attempt (pending or failed), for the operators' metrics.
pub fn backlog(core: &Core) -> Result<u64, StoreError> {
    let mut n = 0;
    OUTBOX_DUE.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |_, _: MessageId| {
            n += 1;
            Ok(true)
        },
    )?;
    Ok(n)
}

/// The message waiting longest for an attempt: when it is due (milliseconds since the epoch, 0
/// for at once) and its id.
pub fn next_due(core: &Core) -> Result<Option<(u64, MessageId)>, StoreError> {
    let mut first = None;
    OUTBOX_DUE.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |k, id: MessageId| {
            // The key is the prefix, eight bytes of due time, '/', the id.
            let n = OUTBOX_DUE.prefix().len();
            let due = k
                .get(n..n + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::corrupt(k, "a due-index key holds a due time"))?;
            first = Some((due, id));
            Ok(false)
        },
    )?;
    Ok(first)
}

/// An attempt in flight: the message as sent, and when any instance will take the attempt as
/// interrupted if its outcome is not recorded by then.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub message: Message,
    pub deadline: Timestamp,
}

fn millis(t: Timestamp) -> u64 {
    u64::try_from(t.millis()).unwrap_or(0)
}

/// Marks the attempt at message `id` starting at `at` as in flight, durably, until `limit` has
/// passed, and returns it; `None` when the message no longer waits (sent, taken by the back
/// office or by another instance meanwhile).
pub fn begin_attempt(
    core: &mut Core,
    id: MessageId,
    at: Timestamp,
    limit: std::time::Duration,
) -> Result<Option<InFlight>, StoreError> {
    let Some(mut m) = readable(core, id)? else {
        set_aside(core, id)?;
        return Ok(None);
    };
    if !m.state.waiting() || m.sending_since.is_some() {
        return Ok(None);
    }
    let before = m.due();
    m.sending_since = Some(at);
    let limit = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
    let deadline = Timestamp::from_millis(at.millis().saturating_add(limit));
    let mut batch = Batch::default();
    write(&mut batch, before, &m)?;
    OUTBOX_SENDING.put(&mut batch, &(millis(deadline), m.id.0), &m.id)?;
    core.commit(batch, Vec::new())?;
    Ok(Some(InFlight {
        message: m,
        deadline,
    }))
}

/// Message `id`, or `None` when it is missing or its record cannot be read (logged): a storage
/// failure is an error, one bad record is not a reason to stop delivering the others.
fn readable(core: &Core, id: MessageId) -> Result<Option<Message>, StoreError> {
    match message(core, id) {
        Ok(m) => Ok(m),
        Err(e @ StoreError::Corrupt { .. }) => {
            tracing::error!(message = %id, error = ?e, "an outbox message cannot be read; set aside");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Takes message `id` out of the due index, so the worker does not spin on a message it cannot
/// read; its record, if any, stays for a person to look at.
fn set_aside(core: &mut Core, id: MessageId) -> Result<(), StoreError> {
    let mut batch = Batch::default();
    OUTBOX_DUE.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |k, v: MessageId| {
            if v == id {
                batch.delete(k.to_vec());
            }
            Ok(true)
        },
    )?;
    core.commit(batch, Vec::new())
}

/// Records, durably, how the attempt `attempt` ended (at `at`). `None` when the message is gone
/// or the attempt is no longer the one in flight: it outlived its deadline and was taken as
/// interrupted (`unknown`, perhaps retried since), which the late outcome does not overwrite.
pub fn finish_attempt(
    core: &mut Core,
    attempt: &InFlight,
    at: Timestamp,
    outcome: Outcome,
    policy: &RetryPolicy,
) -> Result<Option<Message>, StoreError> {
    let id = attempt.message.id;
    let Some(mut m) = message(core, id)? else {
        return Ok(None);
    };
    if m.sending_since != attempt.message.sending_since {
        tracing::warn!(message = %id, outcome = ?outcome, "an attempt ended after its deadline, when it had been taken as interrupted; its outcome is not recorded");
        return Ok(None);
    }
    let mut batch = Batch::default();
    OUTBOX_SENDING.delete(&mut batch, &(millis(attempt.deadline), id.0));
    apply_outcome(&mut m, at, outcome, policy);
    write(&mut batch, None, &m)?;
    core.commit(batch, Vec::new())?;
    Ok(Some(m))
}

/// The earliest deadline of an attempt in flight (milliseconds since the epoch), when the worker
/// must look again.
pub fn next_deadline(core: &Core) -> Result<Option<u64>, StoreError> {
    let mut first = None;
    OUTBOX_SENDING.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |k, _: MessageId| {
            first = Some(deadline_of(k)?);
            Ok(false)
        },
    )?;
    Ok(first)
}

/// The deadline in a key of [`OUTBOX_SENDING`] (the prefix, eight bytes of time, '/', the id).
fn deadline_of(k: &[u8]) -> Result<u64, StoreError> {
    let n = OUTBOX_SENDING.prefix().len();
    k.get(n..n + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::corrupt(k, "an in-flight key holds a deadline"))
}

/// Every attempt whose deadline is at or before `now` (`None`: every attempt in flight) was
/// interrupted: its message becomes `unknown` (the gateway may have sent it), noted at `at`.
/// Attempts with a later deadline — being made by a live instance — are left alone. Returns how
/// many were recovered.
pub fn recover(
    core: &mut Core,
    now: Option<Timestamp>,
    at: Timestamp,
) -> Result<usize, StoreError> {
    let limit = now.map(millis);
    let mut stale: Vec<(Vec<u8>, MessageId)> = Vec::new();
    OUTBOX_SENDING.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |k, id: MessageId| {
            if limit.is_some_and(|l| deadline_of(k).is_ok_and(|d| d > l)) {
                return Ok(false);
            }
            stale.push((k.to_vec(), id));
            Ok(true)
        },
    )?;
    if stale.is_empty() {
        return Ok(0);
    }
    let mut batch = Batch::default();
    let mut n = 0;
    for (k, id) in stale {
        batch.delete(k);
        let Some(mut m) = readable(core, id)? else {
            continue;
        };
        if m.sending_since.is_none() {
            continue;
        }
        m.sending_since = None;
        m.next_attempt_at = None;
        m.state = DeliveryState::Unknown;
        m.attempts.push(Attempt {
            at,
            result: AttemptResult::Interrupted,
            detail: "the server stopped during this attempt; the gateway may have sent it".into(),
        });
        write(&mut batch, None, &m)?;
        n += 1;
    }
    core.commit(batch, Vec::new())?;
    Ok(n)
}

/// At start-up, before [`recover`]: messages in flight that a version before the in-flight index
/// left in the due index are moved to [`OUTBOX_SENDING`], with their start as deadline
/// (`at_once`: nothing shares the store) or an hour after it; unreadable ones are set aside.
pub fn adopt_unindexed(core: &mut Core, at_once: bool) -> Result<(), StoreError> {
    let mut listed: Vec<(Vec<u8>, MessageId)> = Vec::new();
    OUTBOX_DUE.visit(
        core.store.as_ref(),
        Order::Forward,
        &mut |k, id: MessageId| {
            listed.push((k.to_vec(), id));
            Ok(true)
        },
    )?;
    let mut batch = Batch::default();
    let mut unreadable = Vec::new();
    for (k, id) in listed {
        let Some(m) = readable(core, id)? else {
            unreadable.push(id);
            continue;
        };
        let Some(since) = m.sending_since else {
            continue;
        };
        let grace = if at_once { 0 } else { 3_600_000 };
        batch.delete(k);
        OUTBOX_SENDING.put(
            &mut batch,
            &(millis(since).saturating_add(grace), id.0),
            &id,
        )?;
    }
    if !batch.is_empty() {
        core.commit(batch, Vec::new())?;
    }
    for id in unreadable {
        set_aside(core, id)?;
    }
    Ok(())
}

// ---- the back office ----

/// Which messages a listing wants.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub store: Option<StoreId>,
    pub state: Option<DeliveryState>,
    /// Only messages enqueued before this one (the cursor of the previous page).
    pub before: Option<MessageId>,
}

/// Why an outbox operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("message {0} is not in the outbox")]
    NotFound(MessageId),
    #[error("message {id} is {}; only dead, unknown or failed messages are retried", state.as_str())]
    NotRetryable { id: MessageId, state: DeliveryState },
    #[error("message {id} is being sent right now; look again in a moment")]
    InFlight { id: MessageId },
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many messages are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StateCounts {
    pub pending: u32,
    pub sent: u32,
    pub failed: u32,
    pub unknown: u32,
    pub dead: u32,
}

impl StateCounts {
    fn add(&mut self, state: DeliveryState) {
        let n = match state {
            DeliveryState::Pending => &mut self.pending,
            DeliveryState::Sent => &mut self.sent,
            DeliveryState::Failed => &mut self.failed,
            DeliveryState::Unknown => &mut self.unknown,
            DeliveryState::Dead => &mut self.dead,
        };
        *n = n.saturating_add(1);
    }
}

/// A page of the outbox.
#[derive(Debug, Clone)]
pub struct OutboxPage {
    /// Newest first.
    pub messages: Vec<Message>,
    /// The cursor of the next page, when there are more.
    pub next: Option<MessageId>,
    /// The messages `p` may see of the filter's store (all states, all pages) by state.
    pub counts: StateCounts,
}

/// The messages `p` may see that match `filter`, newest first, at most `limit`; the cursor of
/// the next page when there are more; and how many there are in each state.
pub fn list(
    core: &Core,
    p: &Principal,
    filter: &OutboxFilter,
    limit: usize,
) -> Result<OutboxPage, OutboxError> {
    let scope = perm::check_any(p, Op::ViewOutbox)?;
    if let Some(s) = filter.store {
        perm::check(p, Op::ViewOutbox, Target::store(s))?;
    }
    let mut messages: Vec<Message> = Vec::new();
    let mut counts = StateCounts::default();
    let mut more = false;
    let before = filter.before.map(|b| OUTBOX.key(&b.0));
    OUTBOX.visit(core.store.as_ref(), Order::Reverse, &mut |k, m: Message| {
        if !perm::within(p, scope, m.store, None) || filter.store.is_some_and(|s| s != m.store) {
            return Ok(true);
        }
        counts.add(m.state);
        let wanted =
            filter.state.is_none_or(|s| s == m.state) && before.as_deref().is_none_or(|b| k < b);
        if wanted {
            if messages.len() == limit {
                more = true;
            } else {
                messages.push(m);
            }
        }
        Ok(true)
    })?;
    let next = if more {
        messages.last().map(|m| m.id)
    } else {
        None
    };
    Ok(OutboxPage {
        messages,
        next,
        counts,
    })
}

/// Puts a dead, unknown or failed message back in the queue for an attempt at once, audited;
/// its attempts so far stay on file.
pub fn retry(core: &mut Core, p: &Principal, id: MessageId) -> Result<Message, OutboxError> {
    let mut m = message(core, id)?.ok_or(OutboxError::NotFound(id))?;
    perm::check(p, Op::RetryMessages, Target::store(m.store))?;
    if m.sending_since.is_some() {
        return Err(OutboxError::InFlight { id });
    }
    if !m.state.retryable() {
        return Err(OutboxError::NotRetryable { id, state: m.state });
    }
    let was = m.state;
    let before = m.due();
    m.state = DeliveryState::Pending;
    m.next_attempt_at = None;
    m.retried_after = u32::try_from(m.attempts.len()).unwrap_or(u32::MAX);
    let mut batch = Batch::default();
    write(&mut batch, before, &m)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "outbox_retry",
            store: m.store,
            member: m.member,
            detail: format!("message {} ({} → pending)", m.id, was.as_str()),
        },
    )?;
    core.commit(batch, Vec::new())?;
    core.outbox_wake.notify_one();
    tracing::info!(user = %p.user.username, message = %m.id, from = was.as_str(), "message put back in the outbox");
    Ok(m)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::storage::{SledStore, Store};

    fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        (dir, Core::open(store).unwrap())
    }

    fn new(key: &str) -> NewMessage {
        NewMessage {
            key: key.into(),
            store: StoreId::new(),
            member: None,
            phone: Phone::parse("13800138000").unwrap(),
            kind: MessageKind::Campaign,
            text: "【本店】国庆快乐".into(),
            template: Some("SMS_1".into()),
            params: vec![("name".into(), "王先生".into())],
        }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + ms)
    }

    #[test]
    fn a_key_is_enqueued_once_in_the_store_and_in_the_same_batch() {
        let (_d, mut core) = core();
        let mut batch = Batch::default();
        let first = enqueue(&mut batch, &core, new("campaign:1:m1")).unwrap();
        assert!(first.is_some());
        assert_eq!(
            enqueue(&mut batch, &core, new("campaign:1:m1")).unwrap(),
            None,
            "the same key earlier in the batch"
        );
        let other = enqueue(&mut batch, &core, new("campaign:1:m2")).unwrap();
        assert!(other.is_some() && other != first);
        core.commit(batch, Vec::new()).unwrap();
        let mut batch = Batch::default();
        assert_eq!(
            enqueue(&mut batch, &core, new("campaign:1:m1")).unwrap(),
            None,
            "the same key in the store"
        );
        assert!(batch.is_empty(), "nothing written for a known key");
        let m = by_key(&core, "campaign:1:m1").unwrap().unwrap();
        assert_eq!(Some(m.id), first);
        assert_eq!(m.state, DeliveryState::Pending);
        assert_eq!(m.params[0].name, "name");
        // Both wait, in the order they were enqueued.
        assert_eq!(next_due(&core).unwrap(), Some((0, first.unwrap())));
    }

    #[test]
    fn an_uncommitted_batch_enqueues_nothing() {
        let (_d, core) = core();
        let mut batch = Batch::default();
        enqueue(&mut batch, &core, new("k")).unwrap();
        drop(batch);
        assert!(by_key(&core, "k").unwrap().is_none());
        assert_eq!(next_due(&core).unwrap(), None);
    }

    fn message_with(outcomes: &[Outcome], policy: &RetryPolicy) -> Message {
        let n = new("k");
        let mut m = Message {
            id: MessageId::new(),
            key: n.key,
            store: n.store,
            member: None,
            phone: n.phone,
            kind: n.kind,
            text: n.text,
            template: None,
            params: Vec::new(),
            created_at: at(0),
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            next_attempt_at: None,
            sending_since: None,
            sent_at: None,
            retried_after: 0,
        };
        for (i, o) in outcomes.iter().enumerate() {
            apply_outcome(&mut m, at(i as i64 * 1000), o.clone(), policy);
        }
        m
    }

    #[test]
    fn failures_back_off_exponentially_then_the_message_is_dead() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_ms: 100,
            max_delay_ms: 250,
        };
        assert_eq!(
            (1..=4).map(|n| policy.delay_ms(n)).collect::<Vec<_>>(),
            vec![100, 200, 250, 250],
            "doubling, capped"
        );
        let fail = || Outcome::Failed("503".into());
        let m = message_with(&[fail()], &policy);
        assert_eq!(m.state, DeliveryState::Failed);
        assert_eq!(m.next_attempt_at, Some(at(100)));
        let m = message_with(&[fail(), fail()], &policy);
        assert_eq!(m.next_attempt_at, Some(at(1000 + 200)));
        let m = message_with(&[fail(), fail(), fail(), fail()], &policy);
        assert_eq!(m.state, DeliveryState::Dead, "out of attempts");
        assert_eq!(m.next_attempt_at, None);
        assert_eq!(m.attempts.len(), 4);
        assert!(m.attempts.iter().all(|a| a.result == AttemptResult::Failed));
    }

    #[test]
    fn a_retried_dead_letter_gets_its_attempts_again() {
        let policy = RetryPolicy {
            max_attempts: 2,
            base_ms: 10,
            max_delay_ms: 10,
        };
        let fail = || Outcome::Failed("503".into());
        let mut m = message_with(&[fail(), fail()], &policy);
        assert_eq!(m.state, DeliveryState::Dead);
        // What `retry` does.
        m.state = DeliveryState::Pending;
        m.retried_after = 2;
        apply_outcome(&mut m, at(5000), fail(), &policy);
        assert_eq!(
            m.state,
            DeliveryState::Failed,
            "one failure of two since the retry"
        );
        apply_outcome(&mut m, at(6000), fail(), &policy);
        assert_eq!(m.state, DeliveryState::Dead);
    }

    #[test]
    fn a_refusal_is_dead_at_once_and_a_timeout_is_unknown() {
        let policy = RetryPolicy::default();
        let m = message_with(&[Outcome::Refused("400".into())], &policy);
        assert_eq!((m.state, m.due()), (DeliveryState::Dead, None));
        let m = message_with(
            &[
                Outcome::Failed("no connection".into()),
                Outcome::Unknown("no answer in 10 s".into()),
            ],
            &policy,
        );
        assert_eq!((m.state, m.due()), (DeliveryState::Unknown, None));
        assert_eq!(m.attempts[1].result, AttemptResult::Unknown);
        let m = message_with(
            &[
                Outcome::Failed("502".into()),
                Outcome::Delivered("200".into()),
            ],
            &policy,
        );
        assert_eq!(m.state, DeliveryState::Sent);
        assert_eq!(m.sent_at, Some(at(1000)));
    }

    #[test]
    fn an_unreadable_message_is_set_aside_and_the_next_one_is_tried() {
        let (_d, mut core) = core();
        let mut batch = Batch::default();
        let bad = enqueue(&mut batch, &core, new("bad")).unwrap().unwrap();
        let good = enqueue(&mut batch, &core, new("good")).unwrap().unwrap();
        core.commit(batch, Vec::new()).unwrap();
        let mut batch = Batch::default();
        batch.put(OUTBOX.key(&bad.0), b"not json".to_vec());
        core.commit(batch, Vec::new()).unwrap();
        adopt_unindexed(&mut core, true).unwrap();
        assert_eq!(recover(&mut core, None, at(0)).unwrap(), 0);
        assert_eq!(next_due(&core).unwrap(), Some((0, good)));
        assert!(
            begin_attempt(&mut core, good, at(1), LIMIT)
                .unwrap()
                .is_some()
        );
    }

    const LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

    #[test]
    fn the_worker_path_is_durable_and_an_interrupted_attempt_becomes_unknown() {
        let (_d, mut core) = core();
        let policy = RetryPolicy::default();
        let mut batch = Batch::default();
        let a = enqueue(&mut batch, &core, new("a")).unwrap().unwrap();
        let b = enqueue(&mut batch, &core, new("b")).unwrap().unwrap();
        core.commit(batch, Vec::new()).unwrap();

        let first = begin_attempt(&mut core, a, at(0), LIMIT).unwrap().unwrap();
        assert_eq!(first.message.sending_since, Some(at(0)));
        assert_eq!(first.deadline, at(30_000));
        assert_eq!(next_deadline(&core).unwrap(), Some(1_800_000_030_000));
        assert_eq!(
            next_due(&core).unwrap(),
            Some((0, b)),
            "a message in flight is not due"
        );
        assert!(
            begin_attempt(&mut core, a, at(1), LIMIT).unwrap().is_none(),
            "an attempt in flight is not started twice"
        );
        let m = finish_attempt(
            &mut core,
            &first,
            at(5),
            Outcome::Failed("503".into()),
            &policy,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.state, DeliveryState::Failed);
        assert_eq!(next_deadline(&core).unwrap(), None);
        // b is due at once, a later.
        assert_eq!(next_due(&core).unwrap(), Some((0, b)));

        // b's attempt is in flight: left alone before its deadline, unknown after it.
        let second = begin_attempt(&mut core, b, at(6), LIMIT).unwrap().unwrap();
        assert_eq!(recover(&mut core, Some(at(30_005)), at(30_005)).unwrap(), 0);
        assert!(message(&core, b).unwrap().unwrap().sending_since.is_some());
        assert_eq!(recover(&mut core, Some(at(30_006)), at(30_006)).unwrap(), 1);
        let bm = message(&core, b).unwrap().unwrap();
        assert_eq!(bm.state, DeliveryState::Unknown);
        assert_eq!(bm.attempts[0].result, AttemptResult::Interrupted);
        assert_eq!(next_deadline(&core).unwrap(), None);
        let due = next_due(&core).unwrap().unwrap();
        assert_eq!(due.1, a, "only a waits");
        assert_eq!(due.0, 1_800_000_000_000 + 5 + policy.base_ms);
        // Its sender answering after the deadline changes nothing.
        let late = finish_attempt(
            &mut core,
            &second,
            at(40_000),
            Outcome::Delivered("200".into()),
            &policy,
        )
        .unwrap();
        assert!(late.is_none());
        assert_eq!(
            message(&core, b).unwrap().unwrap().state,
            DeliveryState::Unknown
        );
    }

    #[test]
    fn on_a_store_nobody_shares_every_attempt_in_flight_at_start_up_is_interrupted() {
        let (_d, mut core) = core();
        let mut batch = Batch::default();
        let a = enqueue(&mut batch, &core, new("a")).unwrap().unwrap();
        core.commit(batch, Vec::new()).unwrap();
        begin_attempt(&mut core, a, at(0), LIMIT).unwrap().unwrap();
        assert_eq!(recover(&mut core, None, at(1)).unwrap(), 1);
        assert_eq!(
            message(&core, a).unwrap().unwrap().state,
            DeliveryState::Unknown
        );
    }

    #[test]
    fn an_attempt_in_flight_left_by_an_earlier_version_gets_a_deadline() {
        let (_d, mut core) = core();
        let mut batch = Batch::default();
        let a = enqueue(&mut batch, &core, new("a")).unwrap().unwrap();
        core.commit(batch, Vec::new()).unwrap();
        // As an earlier version marked it: in flight, still in the due index.
        let mut m = message(&core, a).unwrap().unwrap();
        m.sending_since = Some(at(0));
        let mut batch = Batch::default();
        OUTBOX.put(&mut batch, &a.0, &m).unwrap();
        core.commit(batch, Vec::new()).unwrap();
        adopt_unindexed(&mut core, false).unwrap();
        assert_eq!(next_due(&core).unwrap(), None);
        assert_eq!(next_deadline(&core).unwrap(), Some(1_800_003_600_000));
        assert_eq!(recover(&mut core, Some(at(1000)), at(1000)).unwrap(), 0);
        assert_eq!(
            recover(&mut core, Some(at(3_600_000)), at(3_600_000)).unwrap(),
            1
        );
    }
}
