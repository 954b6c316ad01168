//! Satisfaction with a club event (活动满意度, DOMAIN.md §6: the satisfaction survey): after the
//! event, staff who manage club events record each attendee's score of 1 to 5 with an optional
//! comment; the event shows how many scored and the average.
//!
//! The rule (attendees only, once each, on or after the event's day) is
//! `carclub_shared::satisfaction::check`. The score is kept on the club event and written with its
//! audit record in one batch while the core is locked, so two requests cannot both record a
//! first score for the same attendee.

use carclub_shared::satisfaction::{self, Asked, SatisfactionRefused};
use carclub_shared::{MemberId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

use super::{ClubEvent, ClubEventId};
use crate::domain::Core;
use crate::domain::audit::Entry;
use crate::domain::auth::Principal;
use crate::domain::club::{now, save};
use crate::domain::fold::company_of;
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::CLUB_EVENTS;
use crate::storage::{Batch, StoreError};

/// An attendee's satisfaction score, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Satisfaction {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    pub score: u8,
    /// What the member said, if anything.
    pub comment: Option<String>,
    pub at: Timestamp,
    pub by: UserId,
}

/// Why a satisfaction score was refused.
#[derive(Debug, thiserror::Error)]
pub enum SatisfactionError {
    #[error("club event {0} is not on file")]
    NotFound(ClubEventId),
    #[error("member {0} is not on file")]
    UnknownMember(MemberId),
    #[error(transparent)]
    Refused(#[from] SatisfactionRefused),
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records `member`'s satisfaction with `id`: a `score` of 1 to 5 and an optional comment of at
/// most 200 characters, for an attendee, once, on or after the event's day.
pub fn record(
    core: &mut Core,
    p: &Principal,
    id: ClubEventId,
    member: MemberId,
    score: u8,
    comment: Option<&str>,
) -> Result<ClubEvent, SatisfactionError> {
    let mut e: ClubEvent = CLUB_EVENTS
        .get(core.store.as_ref(), &id.0)?
        .ok_or(SatisfactionError::NotFound(id))?;
    if !core.members.contains_key(&member) {
        return Err(SatisfactionError::UnknownMember(member));
    }
    perm::check(
        p,
        Op::ManageClubEvents,
        Target::member(e.store, member, company_of(core, member)),
    )?;
    let at = now();
    satisfaction::check(Asked {
        score,
        comment,
        attended: e.attended.contains_key(&member),
        scored: e.satisfaction.contains_key(&member),
        event_day: e.starts_at.date(),
        today: at.date(),
    })?;
    e.satisfaction.insert(
        member,
        Satisfaction {
            score,
            comment: satisfaction::comment(comment),
            at,
            by: p.user.id,
        },
    );
    save(
        core,
        Batch::default(),
        p,
        (&CLUB_EVENTS, &e.id.0),
        &e,
        Entry {
            action: "club_event_satisfaction",
            store: e.store,
            member: Some(member),
            detail: format!("{}: {score}/5", e.title),
        },
        Vec::new(),
    )?;
    Ok(e)
}
