//! `cordon test PATH`: run the tests written in the policy language.

use std::path::PathBuf;
use std::process::ExitCode;

use cordon_engine::json::{fact_json, outcome_matches};
use cordon_engine::{Policy, decide_with};

#[derive(clap::Args)]
pub struct Args {
    /// A policy directory, a version directory or a file.
    pub path: PathBuf,
}

/// One test's result.
pub struct TestResult {
    pub version: String,
    pub name: String,
    pub location: String,
    /// `None` when the test passed; otherwise what went wrong.
    pub failure: Option<String>,
}

/// Runs every test of every version.
pub fn run_tests(policy: &Policy) -> Vec<TestResult> {
    let mut results = Vec::new();
    for version in &policy.versions {
        for test in &version.hir.tests {
            let facts = fact_json(&test.facts);
            let failure = match decide_with(version, &facts, true) {
                Err(error) => Some(format!("the test could not be decided: {error}")),
                Ok(decision) => {
                    let mismatches: Vec<String> = test
                        .expect
                        .iter()
                        .filter_map(|(field, expected)| {
                            let expected = fact_json(expected);
                            let actual = decision
                                .outcome(field)
                                .cloned()
                                .unwrap_or(serde_json::Value::Null);
                            (!outcome_matches(&expected, &actual))
                                .then(|| format!("    {field}: expected {expected}, got {actual}"))
                        })
                        .collect();
                    (!mismatches.is_empty()).then(|| {
                        format!(
                            "{}\n  trace:\n{}",
                            mismatches.join("\n"),
                            crate::commands::text::decision(&decision, true)
                                .lines()
                                .map(|line| format!("    {line}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        )
                    })
                }
            };
            results.push(TestResult {
                version: version.id.clone(),
                name: test.name.clone(),
                location: format!("{}:{}", test.location.0, test.location.1),
                failure,
            });
        }
    }
    results
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let policy = Policy::load(&args.path).map_err(|error| error.to_string())?;
    let results = run_tests(&policy);
    let mut failed = 0;
    for result in &results {
        match &result.failure {
            None => println!("ok      {} {}", result.version, result.name),
            Some(failure) => {
                failed += 1;
                println!(
                    "FAILED  {} {} ({})\n{failure}",
                    result.version, result.name, result.location
                );
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
