//! The club program a store runs, as the back office and the store's members read it: tiers with
//! fees, validity and benefits, earning rates, upgrade rules, renewal, withdrawal, cards and the
//! redemption catalogue — the very data the program engine interprets.

use carclub_shared::StoreId;
use carclub_shared::program::Program;
use serde::Serialize;

use super::Core;
use super::auth::Principal;
use super::perm::{self, Denied, Op, Scope, Target};
use super::terms;
use crate::storage::StoreError;

/// Why a store's program could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No store has this id.
    #[error("store {0} does not exist")]
    UnknownStore(StoreId),
    /// The store names a program the server does not know.
    #[error("store {store} runs program {program:?}, which this server does not know")]
    UnknownProgram { store: StoreId, program: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A store's program.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreProgram {
    pub store: StoreId,
    /// The store's name.
    pub store_name: String,
    /// The preset the store runs: `A`, `B` or `C`.
    pub preset: String,
    pub program: Program,
}

/// The program of `store` (the caller's own when `None`), if `p` may read it: staff of the
/// store, group roles for any store, a member for their own store.
pub fn store_program(
    core: &Core,
    p: &Principal,
    store: Option<StoreId>,
) -> Result<StoreProgram, ProgramError> {
    let store = store.unwrap_or(p.user.store);
    if perm::check_any(p, Op::ViewProgram)? == Scope::Own {
        // A member reads the program of the store they belong to.
        if store != p.user.store {
            return Err(Denied::NotYours {
                op: perm::name(Op::ViewProgram),
            }
            .into());
        }
    } else {
        perm::check(p, Op::ViewProgram, Target::store(store))?;
    }
    let record = core
        .accounts
        .store_record(store)?
        .ok_or(ProgramError::UnknownStore(store))?;
    let program = terms::program(&record.program).ok_or_else(|| ProgramError::UnknownProgram {
        store,
        program: record.program.clone(),
    })?;
    Ok(StoreProgram {
        store,
        store_name: record.name,
        preset: record.program,
        program,
    })
}
