//! The codes of problems: one per thing that can go wrong, so a client chooses its own words and
//! handling without reading the English.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A stable machine code naming what went wrong, in snake_case: what a client switches on to
/// choose its handling or its own words (`unauthorized` → sign in again, `insufficient_points` →
/// show the balance). A code keeps its meaning; new ones may be added. The same problem raised by
/// different routes has the same code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "insufficient_points")]
pub enum Code {
    // Something failed inside the server.
    Internal,
    /// The server's disk is full: nothing was saved (507).
    DiskFull,

    // The shape of the request: route, method, path, query, body.
    NotFound,
    MethodNotAllowed,
    WebAppNotBuilt,
    NotAWebsocket,
    MalformedBody,
    ExpectedJson,
    BodyTooLarge,
    InvalidValue,
    UnknownField,
    MissingField,
    InvalidPath,
    InvalidQuery,
    InvalidId,
    InvalidTime,
    LimitOutOfRange,
    InvalidCursor,
    FilterTooLong,
    QueryTooLong,
    CredentialsRequired,
    InvalidDeviceName,

    // Who is asking: sessions, accounts, permissions.
    Unauthorized,
    BadCredentials,
    UsernameTaken,
    WeakPassword,
    InvalidInvitation,
    Forbidden,
    ForbiddenOtherStore,
    ForbiddenNotYours,
    ForbiddenOtherCompany,
    InvalidText,
    InvalidUsername,
    UnknownProgram,
    MemberByInvitation,
    Outranked,
    StoreNotFound,
    UserNotFound,
    DeviceNotFound,
    MemberNotFound,
    NotFieldStaff,
    UnknownCompany,
    InvalidAssignment,
    ScopeMismatch,

    // Events and the program engine.
    WrongDevice,
    WrongAuthor,
    FutureDate,
    TooFarBack,
    NoMember,
    OtherMember,
    FieldDeviceOnly,
    EnrollmentNeedsDevice,
    VisitOutsideCompanies,
    EnrollmentOutsideCompanies,
    AlreadyEnrolled,
    UnknownTier,
    TierNotForSale,
    FeeMismatch,
    ReceiptMissing,
    CardNotInBlock,
    VehicleOnFile,
    CardOnFile,
    ImportFileUnreadable,
    InsufficientPoints,
    BenefitUsedUp,
    CardTaken,
    VehicleHasCard,
    ReceiptUsed,
    NotAMember,
    WrongStatus,
    NotAnEntryTier,
    NotAnUpgrade,
    UpgradeNotEligible,
    NotGrantable,
    BenefitNotInTier,
    NotCoveredInGrace,
    RenewalWindowClosed,
    NotInCatalogue,
    AboveForumMax,
    UnknownCard,
    UnknownReferral,
    ReferralCounted,
    NoWithdrawalRequest,
    NoContactChangeRequest,
    EmptyContactChange,
    NotYetExpired,
    UnknownVehicle,
    MileageDecreased,

    // Card blocks and card stock.
    DeviceRevoked,
    InvalidCount,
    CardLoanNotFound,
    CardIssuedToMember,
    CardAlreadyOut,
    CardAlreadyReturned,
    CardNotSold,
    ReceiptMismatch,
    CardWrittenOff,

    // Sync conflicts.
    ConflictNotFound,
    AlreadyDecided,
    InvalidNote,
    NotInConflict,

    // Club events.
    InvalidCapacity,
    SegmentTooLong,
    UnknownStatus,
    ClubEventNotFound,
    NotInvited,
    EventFull,
    MemberOfOtherStore,
    EventNotStarted,
    AlreadyAttended,
    ScoreOutOfRange,
    CommentTooLong,
    NotAttended,
    AlreadyScored,
    ScoreBeforeEvent,

    // Complaints.
    ComplaintNotFound,
    ComplaintClosed,
    NotHigherLevel,
    NotComplaintOwner,
    AlreadyAnswered,
    AnswerBeforeFiling,
    NotAnswered,
    CloseBeforeAnswer,

    // Partner merchants and corporate agreements.
    EndsBeforeStart,
    TermOutOfRange,
    TooManyCheckDays,
    CheckDayOutsideTerm,
    NotAnAdvisor,
    PartnerNotFound,
    AlreadyDeactivated,
    AgreementNotFound,

    // Customer care: tasks, calls, appointments, scripts, campaigns.
    CareTaskNotFound,
    CareTaskClosed,
    NotYourCalls,
    OutcomeNeedsField,
    FieldNotForOutcome,
    CauseRequired,
    CauseNotLost,
    CallBackInPast,
    AppointmentTooSoon,
    AppointmentTooFar,
    AppointmentNotFound,
    AppointmentNotBooked,
    VehicleNotOnFile,
    NotAssignable,
    InvalidRange,

    // The notification outbox.
    MessageNotFound,
    MessageNotRetryable,
    MessageInFlight,

    // Monthly figures.
    MonthNotOver,
    RangeTooLong,
    KpiNotComputed,
}
