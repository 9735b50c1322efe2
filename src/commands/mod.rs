//! One module per subcommand. Each `run` returns the exit code, or one line of error for a bad
//! invocation.

pub mod check;
pub mod diff;
pub mod eval;
pub mod fmt;
pub mod lsp;
pub mod records;
pub mod rust;
pub mod serve;
pub mod test;
pub mod text;
