//! How the errors of `domain::club_events` are answered.

use super::engine::dating;
use super::{ApiError, Code, Detail};
use crate::domain::club_events::{ClubEventError, SatisfactionError};

impl From<ClubEventError> for ApiError {
    fn from(e: ClubEventError) -> Self {
        use ClubEventError as E;
        let said = |code, e: &ClubEventError| Detail::new(code, e.to_string(), e.describe_zh());
        match e {
            // Published in the description (lengths, patterns, bounds, enums): malformed.
            E::BadText { .. } => ApiError::BadRequest(said(Code::InvalidText, &e)),
            E::BadCapacity(_) => ApiError::BadRequest(said(Code::InvalidCapacity, &e)),
            E::SegmentTooLong => ApiError::BadRequest(said(Code::SegmentTooLong, &e)),
            E::UnknownStatus(_) => ApiError::BadRequest(said(Code::UnknownStatus, &e)),
            // Well-formed, but refused by rules no schema states: a moment in the future or too
            // far back, a tier the store's program does not have, staff answering for nobody.
            // The member of an attendance is named in the body, not the path: the event the path
            // names exists, so a member not on file is 422 rather than 404.
            E::BadMoment { ref source, .. } => {
                let (code, _) = dating(source);
                ApiError::Unprocessable(said(code, &e))
            }
            E::UnknownTier(_) => ApiError::Unprocessable(said(Code::UnknownTier, &e)),
            E::NoMember => ApiError::Unprocessable(said(Code::NoMember, &e)),
            E::UnknownMember(_) => ApiError::Unprocessable(said(Code::MemberNotFound, &e)),
            E::UnknownStore(_) => ApiError::NotFound(said(Code::StoreNotFound, &e)),
            E::NotFound(_) => ApiError::NotFound(said(Code::ClubEventNotFound, &e)),
            E::NotInvited { .. } => ApiError::Forbidden(said(Code::NotInvited, &e)),
            E::Full { .. } => ApiError::Conflict(said(Code::EventFull, &e)),
            E::OtherStore { .. } => ApiError::Conflict(said(Code::MemberOfOtherStore, &e)),
            E::BeforeStart { .. } => ApiError::Conflict(said(Code::EventNotStarted, &e)),
            E::AlreadyAttended { .. } => ApiError::Conflict(said(Code::AlreadyAttended, &e)),
            E::Denied(d) => d.into(),
            E::Refused(r) => r.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}

impl From<SatisfactionError> for ApiError {
    fn from(e: SatisfactionError) -> Self {
        use carclub_shared::satisfaction::{MAX_COMMENT_CHARS, SatisfactionRefused as R};
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            SatisfactionError::NotFound(id) => ApiError::NotFound(said(
                Code::ClubEventNotFound,
                format!("俱乐部活动 {id} 不存在"),
            )),
            // Named in the body, not the path: the event exists.
            SatisfactionError::UnknownMember(m) => {
                ApiError::Unprocessable(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            // Published bounds (1 to 5, 200 characters): malformed.
            SatisfactionError::Refused(R::ScoreOutOfRange(_)) => ApiError::BadRequest(said(
                Code::ScoreOutOfRange,
                "满意度评分须为 1 到 5 分".into(),
            )),
            SatisfactionError::Refused(R::CommentTooLong) => ApiError::BadRequest(said(
                Code::CommentTooLong,
                format!("意见最多 {MAX_COMMENT_CHARS} 个字"),
            )),
            SatisfactionError::Refused(R::NotAttended) => ApiError::Conflict(said(
                Code::NotAttended,
                "该会员没有签到本次活动，只能为到场会员登记满意度".into(),
            )),
            SatisfactionError::Refused(R::AlreadyScored) => ApiError::Conflict(said(
                Code::AlreadyScored,
                "该会员的满意度评分已登记，不能重复登记".into(),
            )),
            SatisfactionError::Refused(R::BeforeEvent { starts }) => ApiError::Conflict(said(
                Code::ScoreBeforeEvent,
                format!("活动 {starts} 举行，当天或之后才能登记满意度"),
            )),
            SatisfactionError::Denied(d) => d.into(),
            SatisfactionError::Store(s) => ApiError::internal(s),
        }
    }
}
