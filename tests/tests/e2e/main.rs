//! The end-to-end tests, one binary with one module per story. Each test starts the real
//! `carclub-server` on a fresh temporary store and a free port (the harness, `carclub_tests`) and
//! drives it as devices, the back office, a browser or the official JS client would; tests run in
//! parallel threads, so none of them shares a server with another.

mod api_bad_input;
mod bad_input;
mod browser;
mod card_blocks;
mod card_stock;
mod club;
mod company_scope;
mod conflict_resolution;
mod durability;
mod export;
mod interop;
mod member_app;
mod member_year;
mod offline_conflicts;
mod offline_enrollment;
mod partial_sync;
mod revocation;
mod roles;
mod sigkill_loop;
mod simulate;
mod store_isolation;
