//! How the errors of `domain::care::outbox` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::care::outbox::{DeliveryState, OutboxError};

impl From<OutboxError> for ApiError {
    fn from(e: OutboxError) -> Self {
        use OutboxError as E;
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            E::NotFound(id) => ApiError::NotFound(said(
                Code::MessageNotFound,
                format!("发件箱中没有消息 {id}"),
            )),
            E::NotRetryable { id, state } => ApiError::Conflict(said(
                Code::MessageNotRetryable,
                format!(
                    "消息 {id} 的状态是“{}”；只有失败、结果未知或已进入死信的消息可以重发",
                    state_zh(state)
                ),
            )),
            E::InFlight { id } => ApiError::Conflict(said(
                Code::MessageInFlight,
                format!("消息 {id} 正在发送；请稍后再看"),
            )),
            E::Denied(d) => d.into(),
            E::Store(s) => ApiError::internal(s),
        }
    }
}

/// A delivery state in Chinese, as the back office shows it.
fn state_zh(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "待发送",
        DeliveryState::Sent => "已发送",
        DeliveryState::Failed => "发送失败（将重试）",
        DeliveryState::Unknown => "结果未知",
        DeliveryState::Dead => "死信",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::care::outbox::MessageId;

    #[test]
    fn every_refusal_has_a_code_and_a_chinese_detail() {
        let id = MessageId::new();
        for (e, code) in [
            (OutboxError::NotFound(id), Code::MessageNotFound),
            (
                OutboxError::NotRetryable {
                    id,
                    state: DeliveryState::Sent,
                },
                Code::MessageNotRetryable,
            ),
            (OutboxError::InFlight { id }, Code::MessageInFlight),
        ] {
            let p = ApiError::from(e).problem();
            assert_eq!(p.code, code);
            assert!(p.detail_zh.contains(&id.to_string()), "{}", p.detail_zh);
            assert!(
                p.detail_zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
        }
    }
}
