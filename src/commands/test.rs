//! `cordon test PATH`: run the tests written in the policy language.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::Policy;
use cordon_engine::testing::{TestResult, run_tests};

use crate::commands::text;

#[derive(clap::Args)]
pub struct Args {
    /// A policy directory, a version directory or a file.
    pub path: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.path).map_err(|error| error.to_string())?;
    let results = run_tests(&policy);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let failed = report(&mut out, &results)
        .and_then(|failed| out.flush().map(|()| failed))
        .map_err(|error| format!("cannot write the test report: {error}"))?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes each test's result and the count; returns how many failed.
fn report(out: &mut impl Write, results: &[TestResult]) -> std::io::Result<usize> {
    let mut failed = 0;
    for test in results {
        let (decision, mismatches) = match &test.result {
            Ok((_, mismatches)) if mismatches.is_empty() => {
                writeln!(out, "ok      {} {}", test.version, test.name)?;
                continue;
            }
            Ok((decision, mismatches)) => (Some(decision), mismatches.as_slice()),
            Err(_) => (None, &[][..]),
        };
        failed += 1;
        writeln!(
            out,
            "FAILED  {} {} ({})",
            test.version, test.name, test.location
        )?;
        if let Err(error) = &test.result {
            writeln!(
                out,
                "    the test could not be decided: {}",
                text::one_line(&error.to_string())
            )?;
        }
        for mismatch in mismatches {
            writeln!(
                out,
                "    {}: expected {}, got {}",
                mismatch.field, mismatch.expected, mismatch.actual
            )?;
        }
        if let Some(decision) = decision {
            writeln!(out, "  trace:")?;
            for line in text::decision(decision, true).lines() {
                writeln!(out, "    {line}")?;
            }
        }
    }
    writeln!(
        out,
        "\n{} test{}: {} passed, {failed} failed",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        results.len() - failed
    )?;
    Ok(failed)
}
