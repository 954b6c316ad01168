//! How the errors of `domain::cardstock` are answered.

use super::{ApiError, Code, Detail};
use crate::domain::cardstock::CardStockError;

impl From<CardStockError> for ApiError {
    fn from(e: CardStockError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            CardStockError::UnknownHolder(u) => {
                ApiError::NotFound(said(Code::UserNotFound, format!("没有人员 {u}")))
            }
            CardStockError::UnknownLoan(l) => {
                ApiError::NotFound(said(Code::CardLoanNotFound, format!("没有借卡记录 {l}")))
            }
            CardStockError::IssuedToMember { card, member } => ApiError::Conflict(said(
                Code::CardIssuedToMember,
                format!("会员卡 {card} 已发给会员 {member}，不是库存卡"),
            )),
            CardStockError::AlreadyOut { card, until } => ApiError::Conflict(said(
                Code::CardAlreadyOut,
                format!("会员卡 {card} 已被借出，{until} 前归还"),
            )),
            CardStockError::AlreadyReturned { card } => ApiError::Conflict(said(
                Code::CardAlreadyReturned,
                format!("会员卡 {card} 已经归还"),
            )),
            CardStockError::NotSold { card } => ApiError::Conflict(said(
                Code::CardNotSold,
                format!("会员卡 {card} 尚未售出：没有会员持有"),
            )),
            CardStockError::ReceiptMismatch {
                card,
                sold_against,
                given,
            } => {
                let zh = match sold_against {
                    Some(r) => format!("会员卡 {card} 售出时的收据号是 {r}，不是 {given}"),
                    None => format!("会员卡 {card} 售出时没有收据号，不是 {given}"),
                };
                ApiError::Conflict(said(Code::ReceiptMismatch, zh))
            }
            CardStockError::AlreadyWrittenOff { card } => ApiError::Conflict(said(
                Code::CardWrittenOff,
                format!("会员卡 {card} 已经核销"),
            )),
            CardStockError::Denied(d) => d.into(),
            CardStockError::Store(s) => ApiError::internal(s),
        }
    }
}
