//! How the errors of `domain::complaints` are answered.

use carclub_shared::complaints::Level;

use super::engine::dating;
use super::{ApiError, Code, Detail};
use crate::domain::complaints::ComplaintError;

impl From<ComplaintError> for ApiError {
    fn from(e: ComplaintError) -> Self {
        use ComplaintError as E;
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            // The text's rules are published (length and pattern): what breaks them is malformed.
            E::BadText { field, source } => ApiError::BadRequest(said(
                Code::InvalidText,
                format!("{field}：{}", source.describe_zh()),
            )),
            // A moment in the future or too far back, an answer dated before the filing, a
            // closing before the answer: well-formed, but refused by rules no schema states.
            E::BadMoment { field, source } => {
                let (code, zh) = dating(&source);
                ApiError::Unprocessable(said(code, format!("{field}：{zh}")))
            }
            E::AnswerBeforeFiling { .. } => ApiError::Unprocessable(said(
                Code::AnswerBeforeFiling,
                "答复时间不能早于投诉登记时间".into(),
            )),
            E::CloseBeforeAnswer { .. } => ApiError::Unprocessable(said(
                Code::CloseBeforeAnswer,
                "结案时间不能早于答复时间".into(),
            )),
            E::UnknownMember(m) => {
                ApiError::NotFound(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            E::NotFound(c) => {
                ApiError::NotFound(said(Code::ComplaintNotFound, format!("投诉 {c} 不存在")))
            }
            E::NotOwner {
                level, owner, role, ..
            } => ApiError::Forbidden(said(
                Code::NotComplaintOwner,
                format!(
                    "{}级别的投诉由{}负责；您的角色（{}）不能答复或结案",
                    level_zh(level),
                    owner.name_zh(),
                    role.name_zh()
                ),
            )),
            E::Closed { complaint } => ApiError::Conflict(said(
                Code::ComplaintClosed,
                format!("投诉 {complaint} 已结案"),
            )),
            E::NotHigher {
                complaint, current, ..
            } => ApiError::Conflict(said(
                Code::NotHigherLevel,
                format!(
                    "投诉 {complaint} 已是{}级别；只能升级到更高级别",
                    level_zh(current)
                ),
            )),
            E::AlreadyAnswered { complaint } => ApiError::Conflict(said(
                Code::AlreadyAnswered,
                format!("投诉 {complaint} 已经答复过"),
            )),
            E::NotAnswered { complaint } => ApiError::Conflict(said(
                Code::NotAnswered,
                format!("投诉 {complaint} 尚未答复；请先答复再结案"),
            )),
            E::Denied(d) => d.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}

/// A complaint's level in Chinese.
fn level_zh(level: Level) -> &'static str {
    match level {
        Level::Grumble => "一般抱怨",
        Level::Complaint => "投诉",
        Level::Claim => "索赔",
        Level::Major => "重大投诉",
        Level::Crisis => "危机事件",
    }
}
