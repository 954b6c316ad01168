//! Why a care operation was refused: one enum for tasks, calls, appointments, scripts, campaigns
//! and runs of the rules, whose variants say what happened.

use carclub_shared::care::{AppointmentTooSoon, CallOutcome, CareRole};
use carclub_shared::{MemberId, ParseError, StoreId, Timestamp, UserId, Vin};

use super::appointments::{AppointmentId, AppointmentState};
use super::tasks::{TaskId, TaskState};
use crate::domain::perm;
use crate::storage::StoreError;

/// Why a care operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CareError {
    #[error("{field}: {source}")]
    BadText {
        field: &'static str,
        #[source]
        source: ParseError,
    },
    #[error("member {0} is not on file")]
    UnknownMember(MemberId),
    #[error("store {0} is not on file")]
    UnknownStore(StoreId),
    #[error("care task {0} is not on file")]
    TaskNotFound(TaskId),
    #[error("care task {task} is already {}; it takes no more calls", state.as_str())]
    TaskClosed { task: TaskId, state: TaskState },
    #[error("care task {task} is the {}'s to work, not your role's", by.en())]
    NotYourCalls { task: TaskId, by: CareRole },
    #[error("the outcome {} needs {field}", outcome.as_str())]
    OutcomeNeedsField {
        outcome: CallOutcome,
        field: &'static str,
    },
    #[error("{field} does not go with the outcome {}", outcome.as_str())]
    FieldNotForOutcome {
        outcome: CallOutcome,
        field: &'static str,
    },
    #[error("a lost customer's call that reached them records the cause (\"cause\")")]
    CauseRequired { task: TaskId },
    #[error("\"cause\" is recorded only on lost-customer tasks")]
    CauseNotLost { task: TaskId },
    #[error("the call back must be later than now ({now})")]
    CallBackInPast { at: Timestamp, now: Timestamp },
    #[error(transparent)]
    AppointmentTooSoon(#[from] AppointmentTooSoon),
    #[error("the appointment must be within a year")]
    AppointmentTooFar { at: Timestamp },
    #[error("appointment {0} is not on file")]
    AppointmentNotFound(AppointmentId),
    #[error("appointment {appointment} is already {}", state.as_str())]
    AppointmentNotBooked {
        appointment: AppointmentId,
        state: AppointmentState,
    },
    #[error("vehicle {vin} is not on the member's file")]
    VehicleNotOnFile { member: MemberId, vin: Vin },
    #[error("user {0} is not on file")]
    UnknownUser(UserId),
    #[error("{name} cannot be given care calls of this store: {}", why.en())]
    NotAssignable {
        user: UserId,
        name: String,
        why: Unassignable,
    },
    #[error("\"from\" ({from}) is after \"to\" ({to})")]
    BadRange { from: Timestamp, to: Timestamp },
    #[error("a segment names at most 20 tiers and 5 statuses")]
    SegmentTooLong,
    #[error("tier {0:?} is not in the store's program")]
    UnknownTier(String),
    #[error("status {0:?} is not one of pending, active, grace, lapsed, withdrawn")]
    UnknownStatus(String),
    #[error(transparent)]
    Denied(#[from] perm::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a task cannot go to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unassignable {
    Disabled,
    Member,
    OtherStore,
    NoCalls,
}

impl Unassignable {
    /// The reason in English.
    pub fn en(self) -> &'static str {
        match self {
            Unassignable::Disabled => "the account is disabled",
            Unassignable::Member => "a member is not staff",
            Unassignable::OtherStore => "the account belongs to another store",
            Unassignable::NoCalls => "the role does not work calls of this kind",
        }
    }

    /// The reason in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Unassignable::Disabled => "该账号已停用",
            Unassignable::Member => "会员不是员工",
            Unassignable::OtherStore => "该账号属于其他门店",
            Unassignable::NoCalls => "该角色不负责这类回访电话",
        }
    }
}

/// A text field that broke its rule.
pub(crate) fn bad_text(field: &'static str) -> impl FnOnce(ParseError) -> CareError {
    move |source| CareError::BadText { field, source }
}
