//! How events are refused as responses: the fold's checks, enrollments and the program engine's
//! objections (violations), each with its code and its words in English and Chinese.

use carclub_shared::dating::DatingError;
use carclub_shared::projection::{Rejection, Violation};

use super::{ApiError, Code, Detail};
use crate::domain::fold::{EnrollmentError, Refusal};
use crate::domain::ledger;

/// The code of an engine's objection.
pub(super) fn violation_code(v: &Violation) -> Code {
    match v {
        Violation::PointsOverdrawn { .. } => Code::InsufficientPoints,
        Violation::BenefitOverused { .. } => Code::BenefitUsedUp,
        Violation::DuplicateCard { .. } => Code::CardTaken,
        Violation::SecondActiveCard { .. } => Code::VehicleHasCard,
        Violation::ReceiptCountedTwice { .. } => Code::ReceiptUsed,
        Violation::MissingReceipt { .. } => Code::ReceiptMissing,
        Violation::FeeMismatch { .. } => Code::FeeMismatch,
        Violation::Rejected { reason, .. } => rejection_code(*reason),
    }
}

/// The code of an event the rules do not allow in the member's state.
fn rejection_code(r: Rejection) -> Code {
    match r {
        Rejection::OtherMember => Code::OtherMember,
        Rejection::NotAMember => Code::NotAMember,
        Rejection::WrongStatus => Code::WrongStatus,
        Rejection::UnknownTier => Code::UnknownTier,
        Rejection::NotAnEntryTier => Code::NotAnEntryTier,
        Rejection::NotPurchasable => Code::TierNotForSale,
        Rejection::NotAnUpgrade => Code::NotAnUpgrade,
        Rejection::NotEligible => Code::UpgradeNotEligible,
        Rejection::NotGrantable => Code::NotGrantable,
        Rejection::BenefitNotInTier => Code::BenefitNotInTier,
        Rejection::NotCoveredInGrace => Code::NotCoveredInGrace,
        Rejection::OutsideRenewalWindow => Code::RenewalWindowClosed,
        Rejection::NotInCatalogue => Code::NotInCatalogue,
        Rejection::AboveForumMax => Code::AboveForumMax,
        Rejection::UnknownCard => Code::UnknownCard,
        Rejection::UnknownReferral => Code::UnknownReferral,
        Rejection::DuplicateReferral => Code::ReferralCounted,
        Rejection::NoWithdrawalRequest => Code::NoWithdrawalRequest,
        Rejection::NotYetExpired => Code::NotYetExpired,
        Rejection::UnknownVehicle => Code::UnknownVehicle,
        Rejection::DatedInFuture => Code::FutureDate,
        Rejection::MileageDecreased => Code::MileageDecreased,
    }
}

/// The code of a moment refused by the dating rules, and the refusal in Chinese.
pub(super) fn dating(e: &DatingError) -> (Code, String) {
    let code = match e {
        DatingError::InFuture { .. } => Code::FutureDate,
        DatingError::TooFarBack { .. } => Code::TooFarBack,
    };
    (code, e.describe_zh())
}

impl From<EnrollmentError> for Detail {
    fn from(e: EnrollmentError) -> Self {
        let en = e.to_string();
        let (code, zh) = match &e {
            EnrollmentError::AlreadyEnrolled(m) => {
                (Code::AlreadyEnrolled, format!("会员 {m} 已经入会"))
            }
            EnrollmentError::UnknownTier {
                tier,
                program,
                known,
            } => (
                Code::UnknownTier,
                format!("会员方案 {program} 中没有等级 {tier}（可选：{known}）"),
            ),
            EnrollmentError::EarnedTier { tier } => (
                Code::TierNotForSale,
                format!("{tier} 等级不能购买，只能凭条件升级获得"),
            ),
            EnrollmentError::WrongFee { paid, tier, fee } => (
                Code::FeeMismatch,
                format!("收取的会费 {paid} 与 {tier} 等级的会费 {fee} 不符"),
            ),
            EnrollmentError::ReceiptMissing => {
                (Code::ReceiptMissing, "收取会费时必须填写收据号".into())
            }
            EnrollmentError::CardNotInBlock(card) => (
                Code::CardNotInBlock,
                format!("卡号 {card} 不在本设备领用的会员卡号段内"),
            ),
            EnrollmentError::VehicleOnFile { vin, name } => (
                Code::VehicleOnFile,
                format!("车辆 {vin} 已在 {name} 的档案中"),
            ),
            EnrollmentError::CustomerNumber(n) => (
                Code::InvalidValue,
                format!("客户编号 {n:?} 无效：应为 1 到 16 个字母、数字或短横线"),
            ),
            EnrollmentError::CardOnFile { card, name } => {
                (Code::CardOnFile, format!("卡号 {card} 已由 {name} 持有"))
            }
        };
        Detail::new(code, en, zh)
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            Refusal::Denied(d) => d.into(),
            Refusal::UnknownMember(m) => {
                ApiError::NotFound(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            Refusal::Engine(v) => {
                ApiError::Conflict(said(violation_code(&v), ledger::describe_zh(&v)))
            }
            Refusal::WrongDevice { named, uploader } => ApiError::BadRequest(said(
                Code::WrongDevice,
                format!("记录写的是设备 {named}，却由设备 {uploader} 上传"),
            )),
            Refusal::WrongAuthor => ApiError::BadRequest(said(
                Code::WrongAuthor,
                "记录的经办人不是本设备上登录的人".into(),
            )),
            Refusal::FutureDate(at) => ApiError::BadRequest(said(
                Code::FutureDate,
                format!("记录的时间 {at} 在将来；请检查设备时钟"),
            )),
            Refusal::NoMember => {
                ApiError::BadRequest(said(Code::NoMember, "记录没有指明会员".into()))
            }
            Refusal::EnrollmentNeedsDevice => ApiError::BadRequest(said(
                Code::EnrollmentNeedsDevice,
                "入会须在领用了会员卡号段的设备上办理".into(),
            )),
            Refusal::Enrollment(inner) => ApiError::Unprocessable(inner.into()),
            Refusal::UnknownCompany(c) => ApiError::Unprocessable(said(
                Code::UnknownCompany,
                format!("企业 {c} 与本门店没有大客户协议"),
            )),
            Refusal::VisitOutsideCompanies => ApiError::Forbidden(said(
                Code::VisitOutsideCompanies,
                "您被分配负责本门店的部分企业，只能在这些企业开始上门服务（请指明其大客户协议）"
                    .into(),
            )),
            Refusal::EnrollmentOutsideCompanies => ApiError::Forbidden(said(
                Code::EnrollmentOutsideCompanies,
                "您被分配负责本门店的部分企业，只能在这些企业的上门服务现场办理入会".into(),
            )),
            Refusal::Invitation(inner) => (*inner).into(),
            Refusal::Storage(s) => s.into(),
            Refusal::NoProgram(_) => ApiError::internal(e),
        }
    }
}
