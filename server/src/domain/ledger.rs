//! Each member's accepted events, and the member's state computed from them by the program engine.
//!
//! Accepted events about a member are kept under `MEMBER_EVENTS` (member, event id); the member's state is
//! `carclub_shared::projection::project(program, events, today)`, the same function devices run. A
//! batch being built is read through ([`member_events`]), so several events folded in one upload see
//! each other.

use carclub_shared::program::Program;
use carclub_shared::projection::{MemberState, Violation, project};
use carclub_shared::{Event, EventId, MemberId, StoreId};

use crate::domain::Core;
use crate::domain::terms;
use crate::storage::keys::MEMBER_EVENTS;
use crate::storage::{Batch, StoreError};

/// Every accepted event about `member`, including those in `batch`.
pub fn member_events(
    core: &Core,
    batch: &Batch,
    member: MemberId,
) -> Result<Vec<Event>, StoreError> {
    MEMBER_EVENTS.all_through(
        core.store.as_ref(),
        batch,
        &MEMBER_EVENTS.sub_prefix(&member),
    )
}

/// Adds an accepted event to its member's list.
pub fn keep(batch: &mut Batch, member: MemberId, event: &Event) -> Result<(), StoreError> {
    MEMBER_EVENTS.put(batch, &(member, event.id), event)
}

/// The program `store` runs, if the store and its program are known.
pub fn program_of(core: &Core, store: StoreId) -> Option<Program> {
    core.accounts
        .store_record(store)
        .ok()
        .flatten()
        .and_then(|s| terms::program(&s.program))
}

/// Today in the stores' business time zone (by the server's clock, [`super::club::now`]).
pub fn today() -> time::Date {
    super::club::now().date()
}

/// The state of `member` of `store` today, from the events kept (and those in `batch`).
pub fn state(
    core: &Core,
    batch: &Batch,
    member: MemberId,
    store: StoreId,
) -> Result<Option<MemberState>, StoreError> {
    let Some(program) = program_of(core, store) else {
        return Ok(None);
    };
    Ok(Some(project(
        &program,
        &member_events(core, batch, member)?,
        today(),
    )))
}

/// The violations the engine raises because of `new`: those naming it that were not there before.
pub fn judge(program: &Program, events: &[Event], new: &Event) -> Vec<Violation> {
    let day = new.at.date().max(today());
    let before = project(program, events, day).violations;
    let mut with = events.to_vec();
    with.push(new.clone());
    project(program, &with, day)
        .violations
        .into_iter()
        .filter(|v| !before.contains(v) && names(v, new.id))
        .collect()
}

fn names(v: &Violation, id: EventId) -> bool {
    match v {
        Violation::PointsOverdrawn { event, .. }
        | Violation::BenefitOverused { event, .. }
        | Violation::MissingReceipt { event }
        | Violation::FeeMismatch { event, .. }
        | Violation::Rejected { event, .. } => *event == id,
        Violation::DuplicateCard { events, .. } | Violation::ReceiptCountedTwice { events, .. } => {
            events.contains(&id)
        }
        Violation::SecondActiveCard { .. } => true,
    }
}

/// A violation in words a person can act on.
pub fn describe(v: &Violation) -> String {
    match v {
        Violation::PointsOverdrawn {
            requested,
            available,
            ..
        } => format!("{requested} points asked for but only {available} held"),
        Violation::BenefitOverused {
            benefit,
            allowance,
            used,
            ..
        } => format!("benefit {benefit} allows {allowance} a year and {used} are already used"),
        Violation::DuplicateCard { card, .. } => format!("card {card} was already issued"),
        Violation::SecondActiveCard { vin, .. } => {
            format!("vehicle {vin} would have a second active card (one car, one card)")
        }
        Violation::ReceiptCountedTwice { receipt, .. } => {
            format!("receipt {receipt} was already counted")
        }
        Violation::MissingReceipt { .. } => "a fee was collected without a receipt number".into(),
        Violation::FeeMismatch { expected, paid, .. } => {
            format!("the fee is {expected} but {paid} was entered")
        }
        Violation::Rejected {
            event_type, reason, ..
        } => format!("{event_type} is not possible: {reason}"),
    }
}

/// A violation in Chinese, with the same values as [`describe`].
pub fn describe_zh(v: &Violation) -> String {
    match v {
        Violation::PointsOverdrawn {
            requested,
            available,
            ..
        } => format!("要兑换 {requested} 积分，但会员只有 {available} 积分"),
        Violation::BenefitOverused {
            benefit,
            allowance,
            used,
            ..
        } => format!("权益 {benefit} 每年可用 {allowance} 次，已经用了 {used} 次"),
        Violation::DuplicateCard { card, .. } => format!("卡号 {card} 已经发放过"),
        Violation::SecondActiveCard { vin, .. } => {
            format!("车辆 {vin} 将有第二张有效会员卡（一车一卡）")
        }
        Violation::ReceiptCountedTwice { receipt, .. } => {
            format!("收据/结算单号 {receipt} 已经使用过")
        }
        Violation::MissingReceipt { .. } => "收取了费用，但没有填写收据号".into(),
        Violation::FeeMismatch { expected, paid, .. } => {
            format!("应收费用为 {expected}，录入的却是 {paid}")
        }
        Violation::Rejected {
            event_type, reason, ..
        } => format!(
            "无法{}：{}",
            carclub_shared::EventBody::kind_zh(event_type),
            reason.describe_zh()
        ),
    }
}
