//! `cordon test PATH`: run the tests written in the policy language.

use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::Policy;
use cordon_engine::testing::run_tests;

#[derive(clap::Args)]
pub struct Args {
    /// A policy directory, a version directory or a file.
    pub path: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.path).map_err(|error| error.to_string())?;
    let results = run_tests(&policy);
    let mut failed = 0;
    for test in &results {
        let (decision, mismatches) = match &test.result {
            Ok((_, mismatches)) if mismatches.is_empty() => {
                println!("ok      {} {}", test.version, test.name);
                continue;
            }
            Ok((decision, mismatches)) => (Some(decision), mismatches.as_slice()),
            Err(_) => (None, &[][..]),
        };
        failed += 1;
        println!("FAILED  {} {} ({})", test.version, test.name, test.location);
        if let Err(error) = &test.result {
            println!("    the test could not be decided: {error}");
        }
        for mismatch in mismatches {
            println!(
                "    {}: expected {}, got {}",
                mismatch.field, mismatch.expected, mismatch.actual
            );
        }
        if let Some(decision) = decision {
            println!("  trace:");
            for line in crate::commands::text::decision(decision, true).lines() {
                println!("    {line}");
            }
        }
    }
    println!(
        "\n{} test{}: {} passed, {failed} failed",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        results.len() - failed
    );
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
