//! The Cordon policy language: from source text to checked declarations, with diagnostics.
//!
//! The pipeline, in the order data flows through it:
//! 1. [`parse`]: text to [`syntax`] trees, one declaration at a time (never fails);
//! 2. [`db`]: the salsa database: source files are inputs, each phase is a tracked query;
//! 3. [`check`]: versions, modules and imports, names, types, dimensions, citations, priorities,
//!    dates; the checked [`hir`] of a version;
//! 4. [`format`]: the one canonical layout of a file;
//! 5. [`render`]: diagnostics for people, through miette; [`load`]: sources from disk;
//! 6. [`ide`]: what an editor asks: the name at a position, its declaration, its uses.
//!
//! This crate knows nothing of JSON facts, evaluation, the command line or the language server.

pub mod check;
pub mod db;
pub mod diagnostics;
pub mod format;
pub mod hir;
pub mod ide;
pub mod load;
pub mod parse;
pub mod render;
pub mod syntax;
