//! The end-to-end tests, one binary with one module per story. Each test starts the real
//! `carclub-server` on a fresh temporary store and a free port (the harness, `carclub_tests`) and
//! drives it as devices, the back office, a browser or the official JS client would; tests run in
//! parallel threads, so none of them shares a server with another.
//!
//! A test checks one rule, and is named for it. Where several rules read one world that is slow to
//! make (devices that worked offline and synced), one test makes it once and checks each rule in
//! turn with [`rule`], so a failure still names the rule it broke.

mod api_bad_input;
mod api_docs;
mod backup;
mod bad_input;
mod browser;
mod card_blocks;
mod card_stock;
mod care_outbox;
mod care_year;
mod club;
mod company_scope;
mod conflict_resolution;
mod durability;
mod export;
mod field_visit;
mod fresh_sync;
mod import;
mod interop;
mod kpi;
mod member_app;
mod member_offline;
mod member_pages;
mod member_year;
mod metrics;
mod office_admin;
mod office_api;
mod office_care;
mod office_care_day;
mod office_club;
mod office_counter;
mod office_dashboard;
mod office_members;
mod offline_conflicts;
mod offline_enrollment;
mod partial_sync;
mod revocation;
mod roles;
mod simulate;
mod store_contract;
mod store_isolation;
mod two_instances;
mod web_app;

/// Checks one rule of a story against a world the test made for several rules; a failure names the
/// rule (after the assertion's own message).
#[track_caller]
fn rule(name: &str, check: impl FnOnce()) {
    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("");
        panic!("broken rule: {name}\n{why}");
    }
}
