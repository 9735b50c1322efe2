//! `most restrictive` through the public API: a small policy (`tests/diff/most-restrictive`, also
//! the diff tests' case) whose review tiers are each their own rule. The most restrictive standing
//! value decides; `notwithstanding` drops a value before that; the trace names the reading.

use std::path::Path;
use std::sync::OnceLock;

use cordon_engine::Policy;
use serde_json::{Value as Json, json};

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/diff/most-restrictive");
        Policy::load(&path).unwrap_or_else(|error| panic!("the policy does not load: {error}"))
    })
}

fn transaction(activity: &str, destination: &str, listed: bool) -> Json {
    json!({ "date": "2027-03-02", "activity": activity, "item": { "tpp": 15832 },
            "destination": destination, "listed": listed })
}

/// The review policy `version` gives, and the trace's entry for the reading when there is one.
fn review(version: &str, facts: &Json) -> (Json, Option<Json>) {
    let decision = cordon_engine::decide(policy(), Some(version), facts, true)
        .unwrap_or_else(|error| panic!("{facts} is not decided: {error}"))
        .to_json();
    let reading = decision["trace"].as_array().and_then(|trace| {
        trace
            .iter()
            .find(|entry| entry["rule"] == "review_policy most restrictive")
            .cloned()
    });
    (decision["outcome"]["review_policy"].clone(), reading)
}

#[test]
fn the_most_restrictive_standing_value_decides() {
    let cases = [
        // Only the baseline approval: one value, nothing to choose.
        ("2027-01-01", transaction("export", "MO", false), "approval"),
        // Approval and denial for China: denial.
        ("2027-01-01", transaction("export", "CN", false), "denial"),
        // Macau: approval and case by case: case by case.
        (
            "2027-03-01",
            transaction("export", "MO", false),
            "case_by_case",
        ),
        // The carve-out drops the destination's denial: approval and case by case remain.
        (
            "2027-03-01",
            transaction("export", "CN", false),
            "case_by_case",
        ),
        // Not an export: the carve-out does not apply, the denial stands.
        ("2027-03-01", transaction("reexport", "CN", false), "denial"),
        // Listed: the entry's denial is not dropped by the carve-out.
        ("2027-03-01", transaction("export", "CN", true), "denial"),
        ("2027-03-01", transaction("export", "DE", true), "denial"),
    ];
    for (version, facts, expected) in cases {
        let (actual, _) = review(version, &facts);
        assert_eq!(actual, json!(expected), "{version}: {facts}");
    }
}

#[test]
fn the_trace_names_the_reading_when_it_chose() {
    let (_, reading) = review("2027-03-01", &transaction("export", "CN", true));
    let reading = reading.expect("the trace has no entry for the reading");
    assert_eq!(
        reading["cite"],
        "15 CFR 742.6(b)(10) (the most restrictive review decides)"
    );
    assert_eq!(reading["confidence"], "unconfirmed");
    assert_eq!(reading["concludes"], json!(["review_policy = denial"]));
    let because = reading["because"].as_str().unwrap_or_default();
    assert!(
        because.contains("case_by_case (`review_carve_out`)")
            && because.contains("denial (`review_listed`)")
            && !because.contains("review_denial`"),
        "{because}"
    );
    // One value only: nothing was chosen, and the trace says nothing of the reading.
    let (_, reading) = review("2027-01-01", &transaction("export", "MO", false));
    assert_eq!(reading, None);
}
