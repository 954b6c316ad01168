//! Lost customers (流失客户, 002): owners not seen for 90–360 days, counted and listed in the six
//! classes of the handbook — local, non-local, and local / non-local each in or out of warranty —
//! with the cause each gave on the call. The list is the store's lost-customer call tasks whose
//! window holds the day: the scheduler makes one per vehicle and lapse, classed on the day it was
//! made.

use std::collections::HashMap;

use carclub_shared::care::{CareRules, LostClass, Region, Reminder, ReminderKind, reminders};
use carclub_shared::{MemberId, StoreId};
use serde::Serialize;

use super::CareError;
use super::tasks::{Task, TaskId};
use crate::domain::Core;
use crate::domain::auth::Principal;
use crate::domain::club::now;
use crate::domain::fold::company_of;
use crate::domain::ledger;
use crate::domain::perm::{self, Op, Target};
use crate::storage::keys::CARE_TASKS;
use crate::storage::{Batch, Order};

/// The counts of the six classes of 002.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct LostCounts {
    /// 本地客户.
    pub local: u32,
    /// 外地客户.
    pub non_local: u32,
    /// 本地在保客户.
    pub local_in_warranty: u32,
    /// 本地出保客户.
    pub local_out_of_warranty: u32,
    /// 外地在保客户.
    pub non_local_in_warranty: u32,
    /// 外地出保客户.
    pub non_local_out_of_warranty: u32,
}

impl LostCounts {
    fn add(&mut self, class: LostClass) {
        match (class.region, class.in_warranty) {
            (Region::Local, true) => {
                self.local += 1;
                self.local_in_warranty += 1;
            }
            (Region::Local, false) => {
                self.local += 1;
                self.local_out_of_warranty += 1;
            }
            (Region::NonLocal, true) => {
                self.non_local += 1;
                self.non_local_in_warranty += 1;
            }
            (Region::NonLocal, false) => {
                self.non_local += 1;
                self.non_local_out_of_warranty += 1;
            }
        }
    }
}

/// One lost customer's vehicle.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LostRow {
    pub task: Task,
    pub class: LostClass,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
}

/// A store's lost customers on the club's day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LostList {
    pub store: StoreId,
    pub counts: LostCounts,
    /// With a cause recorded.
    pub with_cause: u32,
    /// The rows, by due day (at most `limit`, after the cursor).
    pub rows: Vec<LostRow>,
    /// Pass as `cursor` for the next page of rows; null on the last page.
    pub next: Option<TaskId>,
}

/// The lost customers of `store` (the caller's when absent) `p` may see, at most `limit` rows;
/// the counts cover them all.
pub fn list(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
    limit: usize,
    after: Option<&TaskId>,
) -> Result<LostList, CareError> {
    let store = store.unwrap_or(p.user.store);
    perm::check(p, Op::ViewCare, Target::store(store))?;
    let scope = perm::scope(p.user.role, Op::ViewCare);
    let today = now().date();
    let mut out = LostList {
        store,
        counts: LostCounts::default(),
        with_cause: 0,
        rows: Vec::new(),
        next: None,
    };
    let mut more = false;
    // Each member's lost-customer reminders today: a task whose reminder is gone (the owner came
    // back, a new visit moved the window) is no longer a lost customer.
    let mut current: HashMap<MemberId, Vec<Reminder>> = HashMap::new();
    let rules = CareRules::default();
    CARE_TASKS.visit(core.store.as_ref(), Order::Forward, &mut |_, t: Task| {
        let Some(class) = t.lost_class else {
            return Ok(true);
        };
        if t.kind != ReminderKind::Lost
            || t.store != store
            || !(t.due <= today && today <= t.until)
            || !perm::within_member(p, scope, t.store, t.member, company_of(core, t.member))
        {
            return Ok(true);
        }
        let due = match current.entry(t.member) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let due = match ledger::state(core, &Batch::default(), t.member, t.store)? {
                    Some(state) => reminders(&state, today, &rules)
                        .into_iter()
                        .filter(|r| r.kind == ReminderKind::Lost)
                        .collect(),
                    None => Vec::new(),
                };
                e.insert(due)
            }
        };
        if !due.iter().any(|r| r.vin == t.vin && r.due == t.due) {
            return Ok(true);
        }
        out.counts.add(class);
        if t.cause.is_some() {
            out.with_cause += 1;
        }
        if after.is_some_and(|a| t.id <= *a) {
            return Ok(true);
        }
        if out.rows.len() >= limit {
            more = true;
        } else {
            let file = core.members.get(&t.member);
            let plate = file.and_then(|f| {
                t.vin
                    .as_ref()
                    .and_then(|vin| f.vehicles.iter().find(|v| &v.vin == vin))
                    .map(|v| v.plate.to_string())
            });
            out.rows.push(LostRow {
                class,
                name: file.map(|f| f.name.clone()).unwrap_or_default(),
                plate,
                task: t,
            });
        }
        Ok(true)
    })?;
    if more {
        out.next = out.rows.last().map(|r| r.task.id.clone());
    }
    Ok(out)
}
