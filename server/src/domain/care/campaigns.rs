//! Care campaigns (002: 节日祝福、特殊天气提醒等每月不得低于3次): a holiday, severe-weather or other
//! message to a segment of a store's members. Each member of the segment who agreed to SMS
//! (`sms_consent` in the service file) gets one message in the outbox, keyed by the campaign and
//! the member, written in the same batch as the campaign. The board counts the month's
//! campaigns against the handbook's three.

use carclub_shared::complaints::Month;
use carclub_shared::{MemberId, StoreId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::CareError;
use super::error::bad_text;
use super::outbox::{self, MessageKind, NewMessage};
use crate::domain::Core;
use crate::domain::audit::{self, Entry};
use crate::domain::auth::Principal;
use crate::domain::club::{now, text};
use crate::domain::club_events::{STATUSES, Segment};
use crate::domain::ledger;
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::CARE_CAMPAIGNS;
use crate::storage::{Batch, Order};

record_id!(
    /// A care campaign.
    CampaignId,
    "campaign"
);

/// Campaigns a month the handbook asks for (002: 每月不得低于3次).
pub const MONTHLY_TARGET: u32 = 3;

/// What a campaign is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// A holiday greeting (节日祝福).
    Holiday,
    /// A severe-weather or geological warning (特殊天气提醒).
    Weather,
    /// Anything else (a promotion, an owners' event).
    Other,
}

impl CampaignKind {
    /// The kind as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Holiday => "holiday",
            CampaignKind::Weather => "weather",
            CampaignKind::Other => "other",
        }
    }
}

/// A campaign sent.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Campaign {
    #[schema(value_type = uuid::Uuid)]
    pub id: CampaignId,
    pub store: StoreId,
    pub kind: CampaignKind,
    pub title: String,
    /// The message as sent.
    pub text: String,
    pub segment: Segment,
    /// Members of the segment who got the message.
    pub recipients: u32,
    /// Members of the segment left out because they have not agreed to SMS.
    pub without_consent: u32,
    pub created_at: Timestamp,
    pub created_by: UserId,
}

/// A new campaign.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// The caller's store when absent.
    pub store: Option<StoreId>,
    pub kind: CampaignKind,
    pub title: String,
    pub text: String,
    pub segment: Segment,
}

/// A store's campaigns and the month's count against the target.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignBoard {
    pub store: StoreId,
    /// The month counted (`YYYY-MM`, the club's clock).
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// Campaigns sent this month.
    pub this_month: u32,
    /// The handbook's monthly minimum (3).
    pub target: u32,
    /// The campaigns, newest first (at most `limit`, after the cursor).
    pub campaigns: Vec<Campaign>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub next: Option<CampaignId>,
}

/// Sends a campaign: the record and one message per consenting member of the segment, in one
/// batch with the audit record.
pub fn send(core: &mut Core, p: &Principal, req: NewCampaign) -> Result<Campaign, CareError> {
    let title = text::<100>(&req.title).map_err(bad_text("\"title\""))?;
    let body = text::<500>(&req.text).map_err(bad_text("\"text\""))?;
    let store = req.store.unwrap_or(p.user.store);
    perm::check(p, Op::ManageCare, Target::store(store))?;
    let record = core
        .accounts
        .store_record(store)?
        .ok_or(CareError::UnknownStore(store))?;
    let program = ledger::program_of(core, store).ok_or(CareError::UnknownStore(store))?;
    let mut segment = req.segment;
    if segment.tiers.len() > 20 || segment.statuses.len() > STATUSES.len() {
        return Err(CareError::SegmentTooLong);
    }
    if let Some(t) = segment
        .tiers
        .iter()
        .find(|t| !program.tiers.iter().any(|x| x.id.as_str() == t.as_str()))
    {
        return Err(CareError::UnknownTier(t.clone()));
    }
    if let Some(s) = segment
        .statuses
        .iter()
        .find(|s| !STATUSES.contains(&s.as_str()))
    {
        return Err(CareError::UnknownStatus(s.clone()));
    }
    if segment.statuses.is_empty() {
        segment.statuses.push("active".into());
    }
    let members: Vec<(MemberId, String, carclub_shared::Phone)> = core
        .members
        .values()
        .filter(|m| m.store == store)
        .filter(|m| segment.tiers.is_empty() || segment.tiers.contains(&m.tier))
        .filter(|m| segment.statuses.contains(&m.status))
        .map(|m| (m.id, m.name.clone(), m.phone.clone()))
        .collect();
    let id = CampaignId::new();
    let mut batch = Batch::default();
    let (mut recipients, mut without_consent) = (0u32, 0u32);
    let sign = if record.name.is_empty() {
        "车友会".to_owned()
    } else {
        record.name.clone()
    };
    for (member, name, phone) in members {
        let consent =
            ledger::state(core, &batch, member, store)?.is_some_and(|s| s.care.person.sms_consent);
        if !consent {
            without_consent += 1;
            continue;
        }
        let sent = outbox::enqueue(
            &mut batch,
            core,
            NewMessage {
                key: format!("campaign:{id}:{member}"),
                store,
                member: Some(member),
                phone,
                kind: MessageKind::Campaign,
                text: format!("【{sign}】尊敬的{name}：{body}"),
                template: Some(format!("care_campaign_{}", req.kind.as_str())),
                params: vec![
                    ("name".to_owned(), name),
                    ("title".to_owned(), title.clone()),
                    ("text".to_owned(), body.clone()),
                ],
            },
        )?;
        if sent.is_some() {
            recipients += 1;
        }
    }
    let c = Campaign {
        id,
        store,
        kind: req.kind,
        title,
        text: body,
        segment,
        recipients,
        without_consent,
        created_at: now(),
        created_by: p.user.id,
    };
    CARE_CAMPAIGNS.put(&mut batch, &c.id.0, &c)?;
    audit::record(
        core.store.as_ref(),
        &mut batch,
        p,
        Entry {
            action: "care_campaign_sent",
            store,
            member: None,
            detail: format!(
                "{} ({}): {} messages, {} without consent",
                c.title,
                c.kind.as_str(),
                recipients,
                without_consent
            ),
        },
    )?;
    core.commit(batch, Vec::new())?;
    tracing::info!(user = %p.user.username, campaign = %c.id, recipients, "care campaign sent");
    Ok(c)
}

/// The campaigns of `store` (the caller's when absent), newest first, at most `limit`, with this
/// month's count against [`MONTHLY_TARGET`].
pub fn board(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
    limit: usize,
    after: Option<CampaignId>,
) -> Result<CampaignBoard, CareError> {
    let store = store.unwrap_or(p.user.store);
    perm::check(p, Op::ViewCare, Target::store(store))?;
    let now = now();
    let month = Month::of(now);
    let (start, end) = (month.start(), month.next().start());
    let mut campaigns = Vec::new();
    let mut this_month = 0u32;
    let mut more = false;
    CARE_CAMPAIGNS.visit(
        core.store.as_ref(),
        Order::Reverse,
        &mut |_, c: Campaign| {
            if c.store == store {
                if c.created_at >= start && c.created_at < end {
                    this_month += 1;
                }
                if after.is_some_and(|a| c.id.0 >= a.0) {
                    // Newer than the cursor: on an earlier page.
                } else if campaigns.len() < limit {
                    campaigns.push(c);
                } else {
                    more = true;
                }
            }
            Ok(true)
        },
    )?;
    Ok(CampaignBoard {
        store,
        month,
        this_month,
        target: MONTHLY_TARGET,
        next: if more {
            campaigns.last().map(|c: &Campaign| c.id)
        } else {
            None
        },
        campaigns,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use carclub_shared::Role;

    use super::*;
    use crate::domain::auth::{Assignment, User};
    use crate::storage::{SledStore, Store};

    #[test]
    fn the_board_pages_newest_first_with_a_cursor_and_counts_the_whole_month() {
        let dir = tempfile::tempdir().unwrap();
        let s: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let mut core = Core::open(s).unwrap();
        let store = StoreId::new();
        let manager = Principal {
            user: User {
                id: UserId::new(),
                username: "cm".into(),
                name: "经理".into(),
                role: Role::ClubManager,
                store,
                password_hash: String::new(),
                disabled: false,
            },
            device: None,
            member: None,
            assignment: Assignment::Store,
        };
        let mut ids = Vec::new();
        let mut batch = Batch::default();
        for (i, s) in [store, store, StoreId::new(), store, store, store]
            .into_iter()
            .enumerate()
        {
            let c = Campaign {
                id: CampaignId::new(),
                store: s,
                kind: CampaignKind::Holiday,
                title: format!("第{i}次"),
                text: "节日快乐".into(),
                segment: Segment::default(),
                recipients: 0,
                without_consent: 0,
                created_at: now(),
                created_by: manager.user.id,
            };
            CARE_CAMPAIGNS.put(&mut batch, &c.id.0, &c).unwrap();
            if s == store {
                ids.push(c.id);
            }
        }
        core.commit(batch, Vec::new()).unwrap();
        ids.reverse();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = board(&core, &manager, None, 2, after).unwrap();
            assert_eq!(page.this_month, 5);
            assert!(page.campaigns.len() <= 2);
            seen.extend(page.campaigns.iter().map(|c| c.id));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, ids, "every campaign of the store once, newest first");
    }
}
