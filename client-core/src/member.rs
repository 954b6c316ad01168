//! A member's own phone: what it shows of the membership, projected on the device.
//!
//! The server keeps, for a member who registered a phone, their **record** (every accepted event
//! about them and their invitations) and their store's **club** document (program and partner
//! merchants); the member file carries the state the server projected. The phone runs the same
//! projection as the server (`carclub_shared::projection`) over the record's events plus its own
//! events the server has not answered yet, so what the member does shows at once; the server's
//! state is shown beside it, and an event the server refused shows with the reason.

use std::collections::{BTreeMap, BTreeSet};

use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, Club, InvitationEntry, MemberFile, MemberRecord, Outcome};
use carclub_shared::care::{CallSlot, CareRules, Reminder, upcoming};
use carclub_shared::complaints::{Channel, Level};
use carclub_shared::events::WithdrawalReason;
use carclub_shared::program::{Program, Redemption, Tier};
use carclub_shared::projection::{LedgerEntry, MemberState, ledger, optimistic, project};
use carclub_shared::{ActivityId, Event, EventBody, LongText, ParseError, Timestamp};
use serde::Serialize;

use crate::device::Device;
use crate::error::ClientError;

/// How far ahead reminders are shown, in days (as the server's `GET /api/me/reminders`).
pub const HORIZON_DAYS: u32 = 90;

/// Everything the member's phone shows, as of one moment.
#[derive(Debug, Clone, Serialize)]
pub struct MemberCard {
    /// The member's file as the server last wrote it.
    pub file: MemberFile,
    /// The day everything is projected for (the club's business day).
    pub day: String,
    /// The state projected on the phone from the server's events and its own pending ones.
    pub state: MemberState,
    /// The state the store has confirmed: projected from the record's events alone, as last
    /// synced (absent before the record brought any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_state: Option<MemberState>,
    /// The tier's name as printed on the card.
    pub tier_name: Option<String>,
    /// The ledger, newest first: each event with the points it moved and the balance after it.
    pub ledger: Vec<LedgerLine>,
    /// Reminders open today or within [`HORIZON_DAYS`].
    pub reminders: Vec<Reminder>,
    /// Invitations to club events not yet over, earliest first.
    pub invitations: Vec<Invitation>,
    /// The store's partner merchants whose discount holds today.
    pub partners: Vec<docs::PartnerEntry>,
    /// What points can be redeemed for in the store's program.
    pub catalogue: Vec<Redemption>,
    /// The program's tiers, lowest first, with their benefits.
    pub tiers: Vec<Tier>,
    /// The store's name.
    pub store: String,
    /// When the phone last completed a sync (ms since the epoch).
    pub last_sync_ms: Option<i64>,
    /// What the member did on this phone, newest first, with the server's answer.
    pub requests: Vec<Request>,
}

/// Something the member did on the phone (reported the card lost, asked to withdraw…), and
/// where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: String,
    /// The event's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    pub at: Timestamp,
    /// `pending` until the server answers, then `accepted` or `refused`. A request the store
    /// decides afterwards (a contact change, a withdrawal) is `awaiting` once the server accepted
    /// it, then `confirmed` or `declined`.
    pub state: &'static str,
    /// Why the server refused it, or why the store declined it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The server's refusal in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    /// What the member wrote, for a complaint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The new phone number asked for, for a contact change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The times to call asked for, for a contact change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_slots: Option<Vec<CallSlot>>,
    /// The SMS consent asked for, for a contact change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<bool>,
}

/// One line of the ledger, and whether the server has accepted it yet.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    #[serde(flatten)]
    pub entry: LedgerEntry,
    /// Recorded on this phone, not yet answered by the server.
    pub pending: bool,
}

/// An invitation to a club event, by event id.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: String,
    /// The server's view: the answer it holds, attendance, whether it is full.
    #[serde(flatten)]
    pub entry: InvitationEntry,
    /// The answer given on this phone that the server has not answered yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    /// Why the server refused the latest answer given on this phone (the server's answer stands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The refusal in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused_zh: Option<String>,
}

/// What became of the answers given on this phone to one invitation.
#[derive(Debug, Clone, Default)]
struct Answer {
    /// The latest answer the server has not answered yet.
    pending: Option<bool>,
    /// Why the server refused the latest answered one, in English and in Chinese.
    refused: Option<String>,
    refused_zh: Option<String>,
}

impl Device {
    fn doc_url(
        &self,
        pick: impl Fn(&crate::device::DocUrls) -> Option<&String>,
    ) -> Option<DocumentId> {
        self.reg
            .as_ref()
            .and_then(|r| pick(&r.docs))
            .and_then(|u| u.parse().ok())
    }

    /// The member's own documents (file, record, club) when this is a member's phone.
    pub(crate) fn member_docs(&self) -> Vec<DocumentId> {
        [
            self.doc_url(|d| d.member.as_ref()),
            self.doc_url(|d| d.record.as_ref()),
            self.doc_url(|d| d.club.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Whether this device is a member's own phone.
    pub fn is_member_device(&self) -> bool {
        self.reg.as_ref().is_some_and(|r| r.docs.member.is_some())
    }

    /// This device's own events the server has not answered yet.
    pub(crate) fn unanswered(&self) -> Vec<Event> {
        let status = self.status();
        self.journal()
            .iter()
            .filter(|e| !status.events.contains_key(&e.id.to_string()))
            .cloned()
            .collect()
    }

    /// The member this phone belongs to, as their file says.
    fn own_member_file(&self) -> Result<MemberFile, ClientError> {
        self.doc_url(|d| d.member.as_ref())
            .and_then(|id| self.docs.get(&id))
            .and_then(docs::read_object::<MemberFile>)
            .ok_or(ClientError::NotSynced)
    }

    /// Records `body` in this device's journal as the signed-in person; the server validates it
    /// like any device's events (a member may write only about themselves, and only what the
    /// permission matrix lets a member do) and answers in the status document. Returns the event.
    pub fn record_event(&mut self, body: EventBody, now_ms: i64) -> Result<Event, ClientError> {
        self.record(body, now_ms)
    }

    /// The member reports their card lost (the server blocks it as soon as the report reaches
    /// it). Returns the event's id.
    pub fn report_card_lost(&mut self, now_ms: i64) -> Result<String, ClientError> {
        let file = self.own_member_file()?;
        let body = EventBody::CardLost {
            member: file.id,
            card: file.card,
        };
        Ok(self.record(body, now_ms)?.id.to_string())
    }

    /// The member asks to withdraw (`first_service_disappointing` or `other`). Returns the event's
    /// id.
    pub fn request_withdrawal(&mut self, reason: &str, now_ms: i64) -> Result<String, ClientError> {
        let file = self.own_member_file()?;
        let reason: WithdrawalReason =
            serde_json::from_value(serde_json::Value::String(reason.to_owned())).map_err(|e| {
                ClientError::Invalid {
                    field: "reason",
                    reason: e.to_string(),
                }
            })?;
        let body = EventBody::WithdrawalRequested {
            member: file.id,
            reason,
        };
        Ok(self.record(body, now_ms)?.id.to_string())
    }

    /// The member answers the invitation to club event `activity` (its id): coming or not. The
    /// server records it when it arrives, unless the member is not invited or a yes finds no free
    /// place. Returns the event's id.
    pub fn answer_invitation(
        &mut self,
        activity: &str,
        attending: bool,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        let file = self.own_member_file()?;
        let activity: ActivityId =
            activity
                .parse()
                .map_err(|e: ParseError| ClientError::Invalid {
                    field: "activity",
                    reason: e.to_string(),
                })?;
        let body = EventBody::InvitationAnswered {
            member: file.id,
            activity,
            attending,
        };
        Ok(self.record(body, now_ms)?.id.to_string())
    }

    /// The member files a complaint about their membership (`channel`: how they would tell the
    /// store — `phone`, `counter`, `letter`…), at the complaint level; the server files it in the
    /// complaints register when it arrives. Returns the event's id.
    pub fn file_complaint(
        &mut self,
        channel: &str,
        text: &str,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        let file = self.own_member_file()?;
        let channel: Channel =
            serde_json::from_value(serde_json::Value::String(channel.to_owned())).map_err(|e| {
                ClientError::Invalid {
                    field: "channel",
                    reason: e.to_string(),
                }
            })?;
        let text = LongText::parse(text.trim()).map_err(|e| ClientError::Invalid {
            field: "text",
            reason: e.to_string(),
        })?;
        let body = EventBody::ComplaintFiled {
            member: file.id,
            channel,
            level: Level::Complaint,
            text,
        };
        Ok(self.record(body, now_ms)?.id.to_string())
    }

    /// The member asks the store to change their contact details: a new phone number, the
    /// times to call (`morning`, `midday`, `afternoon`, `evening`), SMS consent — whichever are
    /// given, at least one. Nothing changes until the store confirms. Returns the event's id.
    pub fn request_contact_change(
        &mut self,
        phone: Option<&str>,
        call_slots: Option<&[String]>,
        sms_consent: Option<bool>,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        let file = self.own_member_file()?;
        let phone = phone
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<carclub_shared::Phone>()
                    .map_err(|e: ParseError| ClientError::Invalid {
                        field: "phone",
                        reason: e.to_string(),
                    })
            })
            .transpose()?
            .filter(|p| *p != file.phone);
        let call_slots = call_slots
            .map(|slots| {
                slots
                    .iter()
                    .map(|s| {
                        serde_json::from_value::<CallSlot>(serde_json::Value::String(s.clone()))
                            .map_err(|e| ClientError::Invalid {
                                field: "call_slots",
                                reason: e.to_string(),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        if phone.is_none() && call_slots.is_none() && sms_consent.is_none() {
            return Err(ClientError::Invalid {
                field: "phone",
                reason: "name a new phone number, times to call or SMS consent".into(),
            });
        }
        let body = EventBody::ContactChangeRequested {
            member: file.id,
            phone,
            call_slots,
            sms_consent,
        };
        Ok(self.record(body, now_ms)?.id.to_string())
    }

    /// What the member did on this phone, newest first, with the server's answer and, for what
    /// the store decides afterwards, the store's (from the member's record).
    pub fn requests(&self) -> Vec<Request> {
        let record: MemberRecord = self
            .doc_url(|d| d.record.as_ref())
            .and_then(|id| self.docs.get(&id))
            .and_then(docs::read_object)
            .unwrap_or_default();
        self.requests_with(&record.events)
    }

    fn requests_with(&self, record: &[Event]) -> Vec<Request> {
        let status = self.status();
        // The store's answer to each request it decides: contact changes by request, a
        // withdrawal by the first decision after it.
        let mut decided: BTreeMap<String, (bool, Option<String>)> = BTreeMap::new();
        let mut withdrawals: Vec<(Timestamp, bool)> = Vec::new();
        for e in record {
            match &e.body {
                EventBody::ContactChangeDecided {
                    request,
                    confirmed,
                    reason,
                    ..
                } => {
                    decided.insert(
                        request.to_string(),
                        (*confirmed, reason.as_ref().map(ToString::to_string)),
                    );
                }
                EventBody::WithdrawalDecided { accepted, .. } => {
                    withdrawals.push((e.at, *accepted));
                }
                _ => {}
            }
        }
        carclub_shared::sorting::sort_by_key(&mut withdrawals, |(at, _)| *at);
        let mut out: Vec<Request> = self
            .journal()
            .iter()
            .map(|e| {
                let id = e.id.to_string();
                let answer = match &e.body {
                    EventBody::ContactChangeRequested { .. } => Some(decided.get(&id).cloned()),
                    EventBody::WithdrawalRequested { .. } => Some(
                        withdrawals
                            .iter()
                            .find(|(at, _)| *at >= e.at)
                            .map(|(_, accepted)| (*accepted, None)),
                    ),
                    _ => None,
                };
                let (state, reason, reason_zh) = match status.events.get(&id) {
                    None => ("pending", None, None),
                    Some(Outcome::Rejected { reason, reason_zh }) => {
                        ("refused", Some(reason.clone()), reason_zh.clone())
                    }
                    Some(Outcome::Accepted { .. }) => match answer {
                        None => ("accepted", None, None),
                        Some(None) => ("awaiting", None, None),
                        Some(Some((true, _))) => ("confirmed", None, None),
                        Some(Some((false, why))) => ("declined", why, None),
                    },
                };
                let (phone, call_slots, sms_consent) = match &e.body {
                    EventBody::ContactChangeRequested {
                        phone,
                        call_slots,
                        sms_consent,
                        ..
                    } => (
                        phone.as_ref().map(ToString::to_string),
                        call_slots.clone(),
                        *sms_consent,
                    ),
                    _ => (None, None, None),
                };
                Request {
                    id,
                    kind: e.body.kind().to_owned(),
                    at: e.at,
                    state,
                    reason,
                    reason_zh,
                    text: match &e.body {
                        EventBody::ComplaintFiled { text, .. } => Some(text.to_string()),
                        _ => None,
                    },
                    phone,
                    call_slots,
                    sms_consent,
                }
            })
            .collect();
        out.reverse();
        out
    }

    /// The answers to invitations given on this phone, by club event id: the latest one the
    /// server has not answered yet, and the reason the server refused the latest answered one
    /// when it did.
    fn answers(&self) -> BTreeMap<String, Answer> {
        let status = self.status();
        let mut out: BTreeMap<String, Answer> = BTreeMap::new();
        let mut given = self.journal().to_vec();
        carclub_shared::sorting::sort_by_key(&mut given, |e| e.order_key());
        for e in &given {
            let EventBody::InvitationAnswered {
                activity,
                attending,
                ..
            } = &e.body
            else {
                continue;
            };
            let slot = out.entry(activity.to_string()).or_default();
            match status.events.get(&e.id.to_string()) {
                None => slot.pending = Some(*attending),
                Some(Outcome::Accepted { .. }) => {
                    slot.refused = None;
                    slot.refused_zh = None;
                }
                Some(Outcome::Rejected { reason, reason_zh }) => {
                    slot.refused = Some(reason.clone());
                    slot.refused_zh = reason_zh.clone();
                }
            }
        }
        out
    }

    /// What the member's phone shows at `now_ms`; `None` before the first sync brought the
    /// member's file, or on a staff device.
    pub fn member_card(&self, now_ms: i64) -> Option<MemberCard> {
        let reg = self.reg.as_ref()?;
        let file_doc = self.docs.get(&self.doc_url(|d| d.member.as_ref())?)?;
        let file: MemberFile = docs::read_object(file_doc)?;
        let record: MemberRecord = self
            .doc_url(|d| d.record.as_ref())
            .and_then(|id| self.docs.get(&id))
            .and_then(docs::read_object)
            .unwrap_or_default();
        let club: Club = self
            .doc_url(|d| d.club.as_ref())
            .and_then(|id| self.docs.get(&id))
            .and_then(docs::read_object)
            .unwrap_or_default();
        let program_name = if club.program.is_empty() {
            reg.store.program.clone()
        } else {
            club.program.clone()
        };
        let program = Program::preset(&program_name)?;
        let now = Timestamp::from_millis(now_ms);
        let day = now.date();

        // What the store has confirmed: the record's events alone, without this phone's own.
        let server_state =
            (!record.events.is_empty()).then(|| project(&program, &record.events, day));
        let record_events = record.events.clone();
        let unanswered = self.unanswered();
        let pending_ids: BTreeSet<_> = unanswered.iter().map(|e| e.id).collect();
        let events = optimistic(&record.events, &unanswered);
        let state = project(&program, &events, day);
        let mut lines: Vec<LedgerLine> = ledger(&program, &events, day)
            .into_iter()
            .map(|entry| LedgerLine {
                pending: entry.event.is_some_and(|id| pending_ids.contains(&id)),
                entry,
            })
            .collect();
        lines.reverse();
        let reminders = upcoming(&state, day, HORIZON_DAYS, &CareRules::default());
        let today = day.to_string();
        let start_of_day = Timestamp::start_of(day);
        let answers = self.answers();
        let mut invitations: Vec<Invitation> = record
            .invitations
            .into_iter()
            .filter(|(_, i)| i.starts_at >= start_of_day)
            .map(|(id, entry)| {
                let answer = answers.get(&id).cloned().unwrap_or_default();
                Invitation {
                    id,
                    entry,
                    pending: answer.pending,
                    refused: answer.refused,
                    refused_zh: answer.refused_zh,
                }
            })
            .collect();
        carclub_shared::sorting::sort_by_key(&mut invitations, |i| i.entry.starts_at);
        let partners = club
            .partners
            .into_values()
            .filter(|p| p.valid_from <= today && today <= p.valid_until)
            .collect();
        let tier_name = state
            .tier
            .as_ref()
            .and_then(|t| program.tiers.iter().find(|x| &x.id == t))
            .map(|t| t.name.clone());
        Some(MemberCard {
            file,
            day: today,
            tier_name,
            state,
            server_state,
            ledger: lines,
            reminders,
            invitations,
            partners,
            catalogue: program.redemption.clone(),
            tiers: program.tiers.clone(),
            store: if club.name.is_empty() {
                reg.store.name.clone()
            } else {
                club.name
            },
            last_sync_ms: self.last_sync_ms(),
            requests: self.requests_with(&record_events),
        })
    }

    /// [`Device::member_card`] as JSON (`null` when there is nothing to show yet).
    pub fn member_card_json(&self, now_ms: i64) -> String {
        serde_json::to_string(&self.member_card(now_ms)).unwrap_or_else(|_| "null".into())
    }
}
