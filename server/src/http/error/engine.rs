//! How events are refused as responses: the fold's checks, enrollments and the program engine's
//! objections (violations), each with its code and its words in English and Chinese.

use carclub_shared::dating::DatingError;
use carclub_shared::projection::{Rejection, Violation};

use super::{ApiError, Code, Detail};
use crate::domain::fold::{EnrollmentError, Refusal};

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
        Rejection::NoContactChangeRequest => Code::NoContactChangeRequest,
        Rejection::EmptyContactChange => Code::EmptyContactChange,
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
        let code = match &e {
            EnrollmentError::AlreadyEnrolled(_) => Code::AlreadyEnrolled,
            EnrollmentError::UnknownTier { .. } => Code::UnknownTier,
            EnrollmentError::EarnedTier { .. } => Code::TierNotForSale,
            EnrollmentError::WrongFee { .. } => Code::FeeMismatch,
            EnrollmentError::ReceiptMissing => Code::ReceiptMissing,
            EnrollmentError::CardNotInBlock(_) => Code::CardNotInBlock,
            EnrollmentError::VehicleOnFile { .. } => Code::VehicleOnFile,
            EnrollmentError::CustomerNumber(_) => Code::InvalidValue,
            EnrollmentError::CardOnFile { .. } => Code::CardOnFile,
        };
        Detail::new(code, e.to_string(), e.describe_zh())
    }
}

impl From<Refusal> for ApiError {
    fn from(e: Refusal) -> Self {
        let said = |code, e: &Refusal| Detail::new(code, e.to_string(), e.describe_zh());
        match e {
            Refusal::Denied(d) => d.into(),
            Refusal::UnknownMember(_) => ApiError::NotFound(said(Code::MemberNotFound, &e)),
            Refusal::Engine(ref v) => ApiError::Conflict(said(violation_code(v), &e)),
            Refusal::WrongDevice { .. } => ApiError::BadRequest(said(Code::WrongDevice, &e)),
            Refusal::WrongAuthor => ApiError::BadRequest(said(Code::WrongAuthor, &e)),
            Refusal::FutureDate(_) => ApiError::BadRequest(said(Code::FutureDate, &e)),
            Refusal::NoMember => ApiError::BadRequest(said(Code::NoMember, &e)),
            Refusal::EnrollmentNeedsDevice => {
                ApiError::BadRequest(said(Code::EnrollmentNeedsDevice, &e))
            }
            Refusal::Enrollment(inner) => ApiError::Unprocessable(inner.into()),
            Refusal::UnknownCompany(_) => ApiError::Unprocessable(said(Code::UnknownCompany, &e)),
            Refusal::VisitOutsideCompanies => {
                ApiError::Forbidden(said(Code::VisitOutsideCompanies, &e))
            }
            Refusal::EnrollmentOutsideCompanies => {
                ApiError::Forbidden(said(Code::EnrollmentOutsideCompanies, &e))
            }
            Refusal::Invitation(inner) => (*inner).into(),
            Refusal::Storage(s) => s.into(),
            Refusal::NoProgram(_) => ApiError::internal(e),
        }
    }
}
