//! How the errors of `domain::club_events` are answered.

use super::engine::dating;
use super::{ApiError, Code, Detail};
use crate::domain::club_events::{ClubEventError, MAX_CAPACITY, STATUSES, SatisfactionError};

impl From<ClubEventError> for ApiError {
    fn from(e: ClubEventError) -> Self {
        use ClubEventError as E;
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            // Published in the description (lengths, patterns, bounds, enums): malformed.
            E::BadText { field, source } => ApiError::BadRequest(said(
                Code::InvalidText,
                format!("{field}：{}", source.describe_zh()),
            )),
            E::BadCapacity(_) => ApiError::BadRequest(said(
                Code::InvalidCapacity,
                format!("名额须为 1 到 {MAX_CAPACITY} 人"),
            )),
            E::SegmentTooLong => ApiError::BadRequest(said(
                Code::SegmentTooLong,
                "邀请对象的筛选条件太多（等级或状态列得过多）".into(),
            )),
            E::UnknownStatus(status) => ApiError::BadRequest(said(
                Code::UnknownStatus,
                format!("状态 {status:?} 不是 {} 之一", STATUSES.join("、")),
            )),
            // Well-formed, but refused by rules no schema states: a moment in the future or too
            // far back, a tier the store's program does not have, staff answering for nobody.
            // The member of an attendance is named in the body, not the path: the event the path
            // names exists, so a member not on file is 422 rather than 404.
            E::BadMoment { field, source } => {
                let (code, zh) = dating(&source);
                ApiError::Unprocessable(said(code, format!("{field}：{zh}")))
            }
            E::UnknownTier(tier) => ApiError::Unprocessable(said(
                Code::UnknownTier,
                format!("等级 {tier:?} 不是本门店会员方案中的等级"),
            )),
            E::NoMember => ApiError::Unprocessable(said(Code::NoMember, "请指明回复的会员".into())),
            E::UnknownMember(m) => {
                ApiError::Unprocessable(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            E::UnknownStore(s) => {
                ApiError::NotFound(said(Code::StoreNotFound, format!("门店 {s} 不存在")))
            }
            E::NotFound(id) => ApiError::NotFound(said(
                Code::ClubEventNotFound,
                format!("俱乐部活动 {id} 不存在"),
            )),
            E::NotInvited { member, .. } => ApiError::Forbidden(said(
                Code::NotInvited,
                format!("会员 {member} 不在本次活动的邀请名单中"),
            )),
            E::Full { capacity, .. } => ApiError::Conflict(said(
                Code::EventFull,
                format!("活动名额已满（共 {capacity} 个名额）"),
            )),
            E::OtherStore { member, .. } => ApiError::Conflict(said(
                Code::MemberOfOtherStore,
                format!("会员 {member} 属于其他门店，不是本活动的门店"),
            )),
            E::BeforeStart { starts, .. } => ApiError::Conflict(said(
                Code::EventNotStarted,
                format!("活动 {starts} 开始，开始前不能登记签到"),
            )),
            E::AlreadyAttended { member, .. } => ApiError::Conflict(said(
                Code::AlreadyAttended,
                format!("会员 {member} 已经签到过本次活动"),
            )),
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
