//! Cordon side by side with Open Policy Agent's Rego (through `regorus`, its interpreter and its
//! RVM bytecode VM) and Cedar (through `cedar-policy`), on the same decision: the `2025-01-13`
//! version of `policies/ear`, with a hand-written Rust function as the floor.
//!
//! Modules in the order a run uses them: [`generate`] makes the transactions, [`peer`] is the one
//! interface the engines share, [`cordon`], [`rego`], [`cedar`] and [`baseline`] are the engines,
//! [`crosscheck`] makes them agree before anything is timed, [`measure`] times them and reads peak
//! memory. Nothing here is a dependency of the product: regorus and cedar-policy are this crate's
//! alone.

pub mod baseline;
pub mod cedar;
pub mod cordon;
pub mod crosscheck;
pub mod generate;
pub mod measure;
pub mod outcome;
/// Every version of `policies/ear` written as Rust by `cordon_engine::native` (see `build.rs`).
pub mod native {
    include!(concat!(env!("OUT_DIR"), "/versions.rs"));
}
pub mod peer;
pub mod rego;

use std::path::PathBuf;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// This crate's directory (its `policies/` are the peers' sources).
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
