//! The contract's scenarios, one test each: every `tests/scenarios/*.json` is decided by the EAR
//! policy, compared with its expected outcome and version, and the full decision (trace included)
//! is snapshotted beside it. Adding a scenario means adding a file.

use std::path::Path;
use std::sync::OnceLock;

use cordon_engine::Policy;
use libtest_mimic::Failed;

mod common;
use serde_json::Value as Json;

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Policy::load(&root.join("policies/ear"))
            .unwrap_or_else(|error| panic!("policies/ear does not load: {error}"))
    })
}

fn check(path: &Path) -> Result<(), Failed> {
    let scenario: Json = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    // The snapshot is named after the file; a scenario's own name must agree with it.
    if scenario["name"].as_str() != Some(common::stem(path).as_str()) {
        return Err(format!("scenario `name` is not its file name {}", path.display()).into());
    }
    let pin = scenario["version"].as_str();
    let facts = &scenario["facts"];
    let expect = &scenario["expect"];
    let result = cordon_engine::decide(policy(), pin, facts, true);
    let mut snapshot = match &result {
        Ok(decision) => decision.to_json(),
        Err(error) => serde_json::json!({ "error": error }),
    };
    if let Some(hash) = snapshot.pointer_mut("/policy/hash") {
        *hash = Json::String("[hash]".to_string());
    }
    let pretty = serde_json::to_string_pretty(&snapshot)?;
    let snapshots = path.parent().ok_or("no directory")?.join("snapshots");
    common::assert_snapshot(&snapshots, path, scenario["why"].as_str(), &pretty);

    if let Some(expected_error) = expect.get("error") {
        return match result {
            Err(_) => Ok(()),
            Ok(decision) => Err(format!(
                "expected an error ({expected_error}), got {}",
                decision.to_json()
            )
            .into()),
        };
    }
    let decision = result.map_err(|error| format!("could not decide: {error}"))?;
    let mut problems = Vec::new();
    if let Some(version) = scenario["expect_version"].as_str()
        && decision.policy.version != version
    {
        problems.push(format!(
            "version: expected {version}, got {}",
            decision.policy.version
        ));
    }
    for (field, expected) in expect.as_object().ok_or("expect is not an object")? {
        let actual = decision.outcome(field).cloned().unwrap_or(Json::Null);
        if !cordon_engine::json::outcome_matches(expected, &actual) {
            problems.push(format!("{field}: expected {expected}, got {actual}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    common::run(
        common::cases(&directory, |path| {
            path.extension().is_some_and(|ext| ext == "json")
        }),
        check,
    )
}
