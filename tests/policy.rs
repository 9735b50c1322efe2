//! `policies/ear` as a whole: it checks clean (no errors, no warnings) and every test written in
//! the policy language passes, in every version.

use std::path::Path;

use cordon_engine::Policy;

fn ear() -> Policy {
    Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/ear"))
        .unwrap_or_else(|error| panic!("policies/ear does not load: {error}"))
}

#[test]
fn ear_checks_without_diagnostics() {
    let loaded =
        cordon_lang::load::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/ear"))
            .unwrap_or_else(|error| panic!("{error}"));
    let diagnostics = cordon_lang::db::check_workspace(&loaded.db, loaded.workspace);
    let rendered: Vec<String> = diagnostics
        .iter()
        .map(|located| {
            format!(
                "{}: {} {}",
                located.path, located.diagnostic.code, located.diagnostic.message
            )
        })
        .collect();
    assert!(
        rendered.is_empty(),
        "policies/ear has diagnostics:\n{}",
        rendered.join("\n")
    );
}

#[test]
fn ear_has_the_six_contract_versions() {
    let ids: Vec<String> = ear()
        .versions
        .iter()
        .map(|version| version.id.clone())
        .collect();
    assert_eq!(
        ids,
        [
            "2023-11-17",
            "2024-04-04",
            "2024-12-02",
            "2025-01-13",
            "2025-05-13",
            "2026-01-15"
        ]
    );
}

#[test]
fn every_in_language_test_passes() {
    let policy = ear();
    for version in &policy.versions {
        assert!(
            !version.hir.tests.is_empty(),
            "version {} has no tests",
            version.id
        );
    }
    let results = cordon_engine::testing::run_tests(&policy);
    assert!(
        results.len() > 100,
        "only {} in-language tests",
        results.len()
    );
    let failures: Vec<String> = results
        .iter()
        .filter(|test| !test.passed())
        .map(|test| match &test.result {
            Err(error) => format!("{} {}: {error}", test.version, test.name),
            Ok((_, mismatches)) => format!("{} {}: {mismatches:?}", test.version, test.name),
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
