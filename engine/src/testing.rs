//! Running the tests written in the policy language: each test's facts decided by its version,
//! and the outcomes it lists compared with the decision. Takes a loaded [`Policy`]; gives each
//! test's result.

use serde_json::Value as Json;

use crate::json::{fact_json, outcome_matches};
use crate::{DecideError, Decision, Policy, decide_with};

/// An outcome that differs from what a test expects.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub field: String,
    pub expected: Json,
    pub actual: Json,
}

/// One test's result: the decision (with its explanation) and how it differs from the test, or why
/// it could not be decided.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub version: String,
    pub name: String,
    /// `path:line` of the test.
    pub location: String,
    pub result: Result<(Decision, Vec<Mismatch>), DecideError>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        matches!(&self.result, Ok((_, mismatches)) if mismatches.is_empty())
    }
}

/// Runs every test of every version of a policy.
pub fn run_tests(policy: &Policy) -> Vec<TestResult> {
    let mut results = Vec::new();
    for version in &policy.versions {
        for test in &version.hir.tests {
            let result = decide_with(version, &fact_json(&test.facts), true).map(|decision| {
                let mismatches = test
                    .expect
                    .iter()
                    .filter_map(|(field, expected)| {
                        let expected = fact_json(expected);
                        let actual = decision.outcome(field).cloned().unwrap_or(Json::Null);
                        (!outcome_matches(&expected, &actual)).then(|| Mismatch {
                            field: field.clone(),
                            expected,
                            actual,
                        })
                    })
                    .collect();
                (decision, mismatches)
            });
            results.push(TestResult {
                version: version.id.clone(),
                name: test.name.clone(),
                location: format!("{}:{}", test.location.0, test.location.1),
                result,
            });
        }
    }
    results
}
