//! Every error the API answers has a code and a detail in Chinese: each `ApiError` variant, and one
//! of each variant of every domain error as it is mapped.

use carclub_shared::complaints::Level;
use carclub_shared::dating::DatingError;
use carclub_shared::projection::{Rejection, Violation};
use carclub_shared::satisfaction::SatisfactionRefused;
use carclub_shared::{
    BenefitId, CardNo, CompanyId, DeviceId, EventId, MemberId, Money, Points, ReceiptNo, Role,
    ShortText, StoreId, Timestamp, UserId, Vin,
};
use time::{Date, Month};

use super::{ApiError, Code, Problem};
use crate::domain::accounts::AccountsError;
use crate::domain::audit::AuditError;
use crate::domain::auth::{AuthError, Companies};
use crate::domain::cards::CardsError;
use crate::domain::cardstock::{CardStockError, LoanId};
use crate::domain::club_events::{ClubEventError, ClubEventId, SatisfactionError};
use crate::domain::complaints::{ComplaintError, ComplaintId};
use crate::domain::conflicts::ConflictsError;
use crate::domain::export::ExportError;
use crate::domain::fold::{EnrollmentError, Refusal};
use crate::domain::members::MemberListError;
use crate::domain::ops::OpsError;
use crate::domain::partners::{AgreementId, PartnerId, PartnersError};
use crate::domain::perm::{self, Denied};
use crate::domain::{BadId, ledger};

fn is_chinese(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The problem `e` is answered with has a snake_case code, an English detail and a Chinese one.
#[track_caller]
fn check(e: ApiError) -> Problem {
    let p = e.problem();
    let code = serde_json::to_value(p.code).expect("a code encodes");
    let code = code.as_str().expect("a code is a string");
    assert!(
        !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "code {code:?} of {e:?}"
    );
    assert!(!p.detail.is_empty(), "no English detail for {e:?}");
    assert!(
        p.detail_zh.chars().any(is_chinese),
        "{code}: {:?} is not Chinese (for {e:?})",
        p.detail_zh
    );
    assert_eq!(p.status, e.status().as_u16());
    p
}

fn date() -> Date {
    Date::from_calendar_date(2026, Month::January, 31).expect("a date")
}

fn at() -> Timestamp {
    Timestamp::from_millis(1_769_850_000_000)
}

fn card() -> CardNo {
    CardNo::parse("A-1001").expect("a card number")
}

fn receipt() -> ReceiptNo {
    ReceiptNo::parse("R-88").expect("a receipt number")
}

fn denied() -> Vec<Denied> {
    vec![
        Denied::Role {
            role: "field_staff",
            op: "decide_enrollment",
        },
        Denied::OtherStore { op: "renew" },
        Denied::NotYours {
            op: "request_withdrawal",
        },
        Denied::OtherCompany {
            op: "view_member_file",
        },
    ]
}

fn parse_error() -> carclub_shared::ParseError {
    ShortText::parse("").expect_err("an empty text")
}

fn dating() -> Vec<DatingError> {
    vec![
        DatingError::InFuture {
            at: at(),
            now: at(),
        },
        DatingError::TooFarBack {
            at: at(),
            earliest: at(),
        },
    ]
}

fn violations() -> Vec<Violation> {
    let event = EventId::new();
    let mut out = vec![
        Violation::PointsOverdrawn {
            event,
            requested: Points::new(500),
            available: Points::new(120),
        },
        Violation::BenefitOverused {
            event,
            benefit: BenefitId::parse("free_wash").expect("a benefit"),
            allowance: 10,
            used: 10,
        },
        Violation::DuplicateCard {
            card: card(),
            events: vec![event],
        },
        Violation::SecondActiveCard {
            vin: Vin::parse("LSVAU2180N2183432").expect("a VIN"),
            cards: vec![card()],
        },
        Violation::ReceiptCountedTwice {
            receipt: receipt(),
            events: vec![event],
        },
        Violation::MissingReceipt { event },
        Violation::FeeMismatch {
            event,
            expected: Money::from_fen(18000),
            paid: Money::from_fen(15000),
        },
    ];
    for reason in [
        Rejection::OtherMember,
        Rejection::NotAMember,
        Rejection::WrongStatus,
        Rejection::UnknownTier,
        Rejection::NotAnEntryTier,
        Rejection::NotPurchasable,
        Rejection::NotAnUpgrade,
        Rejection::NotEligible,
        Rejection::NotGrantable,
        Rejection::BenefitNotInTier,
        Rejection::NotCoveredInGrace,
        Rejection::OutsideRenewalWindow,
        Rejection::NotInCatalogue,
        Rejection::AboveForumMax,
        Rejection::UnknownCard,
        Rejection::UnknownReferral,
        Rejection::DuplicateReferral,
        Rejection::NoWithdrawalRequest,
        Rejection::NotYetExpired,
        Rejection::UnknownVehicle,
        Rejection::DatedInFuture,
        Rejection::MileageDecreased,
    ] {
        out.push(Violation::Rejected {
            event,
            event_type: "renewed".into(),
            reason,
        });
    }
    out
}

fn refusals() -> Vec<Refusal> {
    let mut out: Vec<Refusal> = denied().into_iter().map(Refusal::Denied).collect();
    out.extend([
        Refusal::WrongDevice {
            named: DeviceId::new(),
            uploader: DeviceId::new(),
        },
        Refusal::WrongAuthor,
        Refusal::FutureDate(at()),
        Refusal::UnknownMember(MemberId::new()),
        Refusal::NoMember,
        Refusal::EnrollmentNeedsDevice,
        Refusal::NoProgram(StoreId::new()),
        Refusal::UnknownCompany(CompanyId::new()),
        Refusal::VisitOutsideCompanies,
        Refusal::EnrollmentOutsideCompanies,
    ]);
    out.extend(
        [
            EnrollmentError::AlreadyEnrolled(MemberId::new()),
            EnrollmentError::UnknownTier {
                tier: "platinum".into(),
                program: "A".into(),
                known: "standard, silver, gold".into(),
            },
            EnrollmentError::EarnedTier {
                tier: "gold".into(),
            },
            EnrollmentError::WrongFee {
                paid: Money::from_fen(15000),
                tier: "standard".into(),
                fee: Money::from_fen(18000),
            },
            EnrollmentError::ReceiptMissing,
            EnrollmentError::CardNotInBlock(card()),
            EnrollmentError::VehicleOnFile {
                vin: "LSVAU2180N2183294".parse().expect("a VIN"),
                name: "张三".into(),
            },
            EnrollmentError::CustomerNumber("C_1".into()),
            EnrollmentError::CardOnFile {
                card: card(),
                name: "张三".into(),
            },
        ]
        .map(Refusal::Enrollment),
    );
    out.extend(violations().into_iter().map(Refusal::Engine));
    out
}

#[test]
fn every_api_error_variant_has_a_code_and_a_chinese_detail() {
    use super::Detail;
    let d = || Detail::new(Code::InvalidValue, "bad", "不对");
    for e in [
        ApiError::BadRequest(d()),
        ApiError::Unauthorized(d()),
        ApiError::Forbidden(d()),
        ApiError::NotFound(d()),
        ApiError::Conflict(d()),
        ApiError::Unprocessable(d()),
        ApiError::PayloadTooLarge(d()),
    ] {
        check(e);
    }
    let p = check(ApiError::internal("the disk is on fire"));
    assert_eq!(p.code, Code::Internal);
    assert!(!p.detail.contains("fire"), "the cause stays in the log");
}

#[test]
fn every_domain_error_maps_to_a_code_and_a_chinese_detail() {
    let mut errors: Vec<ApiError> = Vec::new();
    errors.extend(refusals().into_iter().map(ApiError::from));
    errors.extend(denied().into_iter().map(ApiError::from));
    errors.extend(denied().into_iter().map(|d| AuditError::Denied(d).into()));
    errors.extend(denied().into_iter().map(|d| ExportError::Denied(d).into()));
    errors.extend(
        [
            AuthError::BadCredentials,
            AuthError::NoSession,
            AuthError::UsernameTaken("cm".into()),
            AuthError::WeakPassword,
            AuthError::Hash,
            AuthError::BadInvitation,
        ]
        .map(ApiError::from),
    );
    let too_many: Vec<CompanyId> = (0..=crate::domain::auth::MAX_COMPANIES)
        .map(|_| CompanyId::new())
        .collect();
    errors.extend(
        [
            AccountsError::BadText {
                field: "name",
                max: 64,
            },
            AccountsError::BadUsername,
            AccountsError::UnknownProgram("Z".into()),
            AccountsError::MemberByInvitation,
            AccountsError::Outranked {
                creator: Role::ClubManager,
                wanted: Role::GeneralManager,
            },
            AccountsError::UnknownStore(StoreId::new()),
            AccountsError::UnknownUser(UserId::new()),
            AccountsError::UnknownDevice(DeviceId::new()),
            AccountsError::NotOnFile(MemberId::new()),
            AccountsError::NotFieldStaff {
                username: "cm".into(),
                role: Role::ClubManager,
            },
            AccountsError::NotOurCompany {
                company: CompanyId::new(),
                username: "field".into(),
            },
            AccountsError::BadAssignment(
                Companies::try_from(Vec::new()).expect_err("no companies"),
            ),
            AccountsError::BadAssignment(Companies::try_from(too_many).expect_err("too many")),
            AccountsError::ScopeMismatch("the whole store takes no list of companies"),
            AccountsError::ScopeMismatch("name the companies"),
            AccountsError::Auth(AuthError::BadInvitation),
            AccountsError::Auth(AuthError::NoSession),
        ]
        .map(ApiError::from),
    );
    errors.extend(
        [
            CardsError::UnknownDevice(DeviceId::new()),
            CardsError::DeviceRevoked(DeviceId::new()),
            CardsError::BadCount { max: 1000 },
        ]
        .map(ApiError::from),
    );
    errors.extend(
        [
            CardStockError::UnknownHolder(UserId::new()),
            CardStockError::UnknownLoan(LoanId::new()),
            CardStockError::IssuedToMember {
                card: card(),
                member: MemberId::new(),
            },
            CardStockError::AlreadyOut {
                card: card(),
                until: at(),
            },
            CardStockError::AlreadyReturned { card: card() },
            CardStockError::NotSold { card: card() },
            CardStockError::ReceiptMismatch {
                card: card(),
                sold_against: Some(receipt()),
                given: ReceiptNo::parse("R-89").expect("a receipt"),
            },
            CardStockError::ReceiptMismatch {
                card: card(),
                sold_against: None,
                given: receipt(),
            },
            CardStockError::AlreadyWrittenOff { card: card() },
        ]
        .map(ApiError::from),
    );
    let event = ClubEventId::new();
    errors.extend(dating().into_iter().map(|source| {
        ClubEventError::BadMoment {
            field: "starts_at",
            source,
        }
        .into()
    }));
    errors.extend(
        [
            ClubEventError::BadText {
                field: "title",
                source: parse_error(),
            },
            ClubEventError::BadCapacity(0),
            ClubEventError::SegmentTooLong,
            ClubEventError::UnknownTier("platinum".into()),
            ClubEventError::UnknownStatus("sleeping".into()),
            ClubEventError::UnknownStore(StoreId::new()),
            ClubEventError::UnknownMember(MemberId::new()),
            ClubEventError::NotFound(event),
            ClubEventError::NoMember,
            ClubEventError::NotInvited {
                event,
                member: MemberId::new(),
            },
            ClubEventError::Full {
                event,
                capacity: 30,
            },
            ClubEventError::OtherStore {
                event,
                member: MemberId::new(),
            },
            ClubEventError::BeforeStart {
                event,
                starts: date(),
            },
            ClubEventError::AlreadyAttended {
                event,
                member: MemberId::new(),
            },
            ClubEventError::Refused(Refusal::NoMember),
        ]
        .map(ApiError::from),
    );
    errors.extend(
        [
            SatisfactionError::NotFound(event),
            SatisfactionError::UnknownMember(MemberId::new()),
            SatisfactionError::Refused(SatisfactionRefused::ScoreOutOfRange(6)),
            SatisfactionError::Refused(SatisfactionRefused::CommentTooLong),
            SatisfactionError::Refused(SatisfactionRefused::NotAttended),
            SatisfactionError::Refused(SatisfactionRefused::AlreadyScored),
            SatisfactionError::Refused(SatisfactionRefused::BeforeEvent { starts: date() }),
        ]
        .map(ApiError::from),
    );
    let complaint = ComplaintId::new();
    errors.extend(dating().into_iter().map(|source| {
        ComplaintError::BadMoment {
            field: "at",
            source,
        }
        .into()
    }));
    errors.extend(
        [
            ComplaintError::BadText {
                field: "text",
                source: parse_error(),
            },
            ComplaintError::UnknownMember(MemberId::new()),
            ComplaintError::NotFound(complaint),
            ComplaintError::Closed { complaint },
            ComplaintError::NotHigher {
                complaint,
                current: Level::Claim,
                requested: Level::Complaint,
            },
            ComplaintError::NotOwner {
                complaint,
                level: Level::Major,
                owner: Role::GeneralManager,
                role: Role::ClubManager,
            },
            ComplaintError::AlreadyAnswered { complaint },
            ComplaintError::AnswerBeforeFiling { complaint },
            ComplaintError::NotAnswered { complaint },
            ComplaintError::CloseBeforeAnswer { complaint },
        ]
        .map(ApiError::from),
    );
    errors.extend(
        [
            ConflictsError::UnknownConflict("card:A-1001".into()),
            ConflictsError::AlreadyResolved("card:A-1001".into()),
            ConflictsError::BadNote,
            ConflictsError::NotInConflict {
                member: MemberId::new(),
                conflict: "card:A-1001".into(),
            },
        ]
        .map(ApiError::from),
    );
    errors.push(MemberListError::QueryTooLong.into());
    errors.extend(dating().into_iter().map(|d| OpsError::Dating(d).into()));
    errors.extend(
        [
            OpsError::NotOnFile(MemberId::new()),
            OpsError::OtherMember {
                path: MemberId::new(),
                named: MemberId::new(),
            },
            OpsError::FieldDeviceOnly { kind: "enrolled" },
            OpsError::NoProgram(StoreId::new()),
            OpsError::Refused(Refusal::WrongAuthor),
        ]
        .map(ApiError::from),
    );
    errors.extend(
        [
            PartnersError::BadText {
                field: "name",
                source: parse_error(),
            },
            PartnersError::EndsBeforeStart {
                from: date(),
                until: date(),
            },
            PartnersError::TermOutOfRange { start: date() },
            PartnersError::TooManyCheckDays { count: 30 },
            PartnersError::CheckDayOutsideTerm {
                day: date(),
                start: date(),
                end: date(),
            },
            PartnersError::UnknownStore {
                store: StoreId::new(),
            },
            PartnersError::NotAnAdvisor {
                user: UserId::new(),
            },
            PartnersError::UnknownPartner {
                partner: PartnerId::new(),
            },
            PartnersError::AlreadyDeactivated {
                partner: PartnerId::new(),
            },
            PartnersError::UnknownAgreement {
                agreement: AgreementId::new(),
            },
        ]
        .map(ApiError::from),
    );
    errors.push(
        BadId {
            what: "complaint",
            raw: "nope".into(),
        }
        .into(),
    );
    for e in errors {
        check(e);
    }
}

#[test]
fn a_refusal_carries_the_same_values_in_both_languages() {
    let p = ApiError::from(Refusal::Engine(Violation::PointsOverdrawn {
        event: EventId::new(),
        requested: Points::new(500),
        available: Points::new(120),
    }))
    .problem();
    assert_eq!(p.code, Code::InsufficientPoints);
    assert_eq!(p.status, 409);
    assert_eq!(p.detail, "500 points asked for but only 120 held");
    assert!(
        p.detail_zh.contains("500") && p.detail_zh.contains("120") && p.detail_zh.contains("积分")
    );

    let p = ApiError::from(Refusal::Engine(Violation::Rejected {
        event: EventId::new(),
        event_type: "renewed".into(),
        reason: Rejection::OutsideRenewalWindow,
    }))
    .problem();
    assert_eq!(p.code, Code::RenewalWindowClosed);
    assert_eq!(p.detail_zh, "无法续费：只能在到期前的续费期内续费");

    let p = ApiError::from(Refusal::Engine(Violation::FeeMismatch {
        event: EventId::new(),
        expected: Money::from_fen(18000),
        paid: Money::from_fen(15000),
    }))
    .problem();
    assert!(
        p.detail_zh.contains("¥180.00") && p.detail_zh.contains("¥150.00"),
        "{}",
        p.detail_zh
    );
}

#[test]
fn every_engine_objection_has_its_own_chinese() {
    for v in violations() {
        let zh = ledger::describe_zh(&v);
        assert!(zh.chars().any(is_chinese), "{zh}");
        if let Violation::Rejected { event_type, .. } = &v {
            assert!(
                !zh.contains(event_type.as_str()),
                "{zh}: the event type untranslated"
            );
        }
    }
}

#[test]
fn every_operation_of_the_permission_table_has_a_chinese_name() {
    for (_, name, _) in perm::MATRIX {
        let zh = perm::op_zh(name);
        assert!(zh.chars().any(is_chinese), "{name} has no Chinese name");
    }
}

#[test]
fn every_role_and_event_type_has_a_chinese_name() {
    for role in Role::ALL {
        assert!(role.name_zh().chars().any(is_chinese), "{role}");
    }
    for kind in [
        "visit_started",
        "enrolled",
        "order_settled",
        "points_redeemed",
        "renewed",
        "tier_purchased",
        "card_reissued",
        "temporary_card_issued",
        "withdrawal_requested",
    ] {
        let zh = carclub_shared::EventBody::kind_zh(kind);
        assert!(zh.chars().any(is_chinese), "{kind}");
    }
}

#[test]
fn request_errors_read_in_chinese() {
    use super::value_zh;
    let cases = [
        (
            "unknown field `role`, expected `username` or `password`",
            Code::UnknownField,
            "role",
        ),
        ("missing field `password`", Code::MissingField, "password"),
        (
            "invalid type: string \"many\", expected u32",
            Code::InvalidValue,
            "many",
        ),
        (
            "unknown variant `wizard`, expected one of `admin`, `member`",
            Code::InvalidValue,
            "wizard",
        ),
        (
            "phone \"123\" is not valid: expected an 11-digit mobile number",
            Code::InvalidValue,
            "手机号",
        ),
        ("invalid digit found in string", Code::InvalidValue, "整数"),
    ];
    for (message, code, kept) in cases {
        let (got, zh) = value_zh(message);
        assert_eq!(got, code, "{message}");
        assert!(
            zh.chars().any(is_chinese) && zh.contains(kept),
            "{message}: {zh}"
        );
    }
}
