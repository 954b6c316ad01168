//! What a member sees of care in the member app: their own upcoming reminders (service due,
//! warranty, insurance, inspection, licence, renewal), from the same rules the scheduler runs.

use carclub_shared::care::{CareRules, Reminder, upcoming};
use serde::Serialize;
use time::Date;

use super::CareError;
use crate::domain::Core;
use crate::domain::auth::Principal;
use crate::domain::club::now;
use crate::domain::fold::company_of;
use crate::domain::ledger;
use crate::domain::perm::{self, Denied, Op, Target};
use crate::storage::Batch;

/// How far ahead the member app looks, in days.
pub const HORIZON_DAYS: u32 = 90;

/// A member's upcoming reminders.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyReminders {
    /// The day they are computed for (the club's clock).
    #[serde(with = "carclub_shared::types::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// Days ahead looked at.
    pub horizon_days: u32,
    /// Open today or opening within the horizon, by due day.
    pub reminders: Vec<Reminder>,
}

/// The upcoming reminders of the member signed in as `p`.
pub fn own(core: &Core, p: &Principal) -> Result<MyReminders, CareError> {
    let member = p.member.ok_or(Denied::NotYours {
        op: perm::name(Op::ViewMemberFile),
    })?;
    let file = core
        .members
        .get(&member)
        .ok_or(CareError::UnknownMember(member))?;
    perm::check(
        p,
        Op::ViewMemberFile,
        Target::member(file.store, member, company_of(core, member)),
    )?;
    let day = now().date();
    let reminders = match ledger::state(core, &Batch::default(), member, file.store)? {
        Some(state) => upcoming(&state, day, HORIZON_DAYS, &CareRules::default()),
        None => Vec::new(),
    };
    Ok(MyReminders {
        day,
        horizon_days: HORIZON_DAYS,
        reminders,
    })
}
