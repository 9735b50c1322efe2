//! `cordon`: check, format, test, evaluate and diff export-control policies.
//!
//! This binary only parses arguments and prints; each subcommand lives in `commands/`, and the work
//! is done by the `cordon-lang` and `cordon-engine` crates.
//!
//! Nothing here prints with `print!` or `eprint!` (which panic when the stream is closed or
//! its disk is full): a subcommand writes through `std::io::Write`, and a failed write is its
//! error (exit status 2, with a message).

mod commands;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cordon", version, about = "Export-control rules as code")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy sources and print every diagnostic; exits non-zero on errors.
    Check(commands::check::Args),
    /// Rewrite policy sources in the one canonical layout (`--check` only reports).
    Fmt(commands::fmt::Args),
    /// Decide transactions against a policy version and explain the decisions.
    Eval(commands::eval::Args),
    /// Run the tests written in the policy language.
    Test(commands::test::Args),
    /// Compare two versions: the provisions that changed, and the outcomes that change over a corpus
    /// (`--facts`) or over every transaction (`--exhaustive`).
    Diff(commands::diff::Args),
    /// Write a version as Rust, for a program that decides with it to compile it in.
    Rust(commands::rust::Args),
    /// Serve the language server protocol over stdin and stdout, for editors.
    Lsp(commands::lsp::Args),
    /// Decision records (`eval --records`): verify, show, export, count, replay and prune them.
    Records(commands::records::Args),
    /// Serve decisions over HTTP (`POST /v1/decide`), reloading the policy when it changes.
    Serve(commands::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Test(args) => commands::test::run(&args),
        Command::Diff(args) => commands::diff::run(&args),
        Command::Rust(args) => commands::rust::run(&args),
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Records(args) => commands::records::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            // Nothing more can be done if stderr cannot be written either: the status says it.
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}
