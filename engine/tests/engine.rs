//! The engine through its public API: facts validation, version resolution, pinning, exactness.

use std::path::Path;
use std::sync::OnceLock;

use cordon_engine::{DecideError, Policy};
use serde_json::{Value as Json, json};

fn ear() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))
            .unwrap_or_else(|error| panic!("policies/ear does not load: {error}"))
    })
}

/// The contract's example transaction: 1,000 H100s to India.
fn h100_india(date: &str) -> Json {
    json!({
        "id": "PO-1", "date": date, "activity": "export",
        "item": { "kind": "ic", "model": "NVIDIA H100 SXM", "tpp": 15832, "performance_density": 19.45,
                  "datacenter": true, "dram_bandwidth_gbps": 3350 },
        "quantity": 1000, "destination": "IN",
        "end_user": { "hq": "IN", "parent_hq": "IN", "private_sector": true, "permanent_employee": false },
        "end_use": "datacenter",
        "knowledge": { "training_for_d5_hq": false, "military_or_wmd": false },
        "counters": { "consignee_tpp_this_year": 0, "country_tpp_allocated": 0 },
        "diligence": { "no_purchase_history": false, "evasive_location_or_parent": false,
                       "no_legitimate_need": false, "restricted_party_address": false }
    })
}

fn with(mut facts: Json, pointer: &str, value: Json) -> Json {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = if parent.is_empty() {
        Some(&mut facts)
    } else {
        facts.pointer_mut(parent)
    };
    if let Some(Json::Object(object)) = target {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), value);
        }
    }
    facts
}

fn decide(pin: Option<&str>, facts: &Json) -> Result<cordon_engine::Decision, DecideError> {
    cordon_engine::decide(ear(), pin, facts, false)
}

fn error_text(pin: Option<&str>, facts: &Json) -> String {
    match decide(pin, facts) {
        Ok(decision) => format!("unexpectedly decided: {}", decision.to_json()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn validation_errors_name_the_fact() {
    let base = h100_india("2025-06-01");
    let cases = [
        ("wrong type", with(base.clone(), "/item/tpp", json!("high"))),
        (
            "unknown country",
            with(base.clone(), "/destination", json!("XX")),
        ),
        (
            "unknown enum value",
            with(base.clone(), "/activity", json!("smuggle")),
        ),
        ("unknown field", with(base.clone(), "/item/tpps", json!(1))),
        (
            "not a date",
            with(base.clone(), "/date", json!("2025-02-30")),
        ),
        (
            "whole number expected",
            with(base.clone(), "/quantity", json!(1.5)),
        ),
        (
            "no items (quantity is at least 1)",
            with(base.clone(), "/quantity", json!(0)),
        ),
        (
            "a negative counter (room under the LPP limit)",
            with(
                base.clone(),
                "/counters/consignee_tpp_this_year",
                json!(-1_000_000_000),
            ),
        ),
        (
            "number beyond exact decimals",
            with(
                base.clone(),
                "/item/tpp",
                serde_json::from_str("1e400").unwrap_or_default(),
            ),
        ),
        (
            "missing fact the decision needs",
            with(base.clone(), "/item/tpp", Json::Null),
        ),
        ("null for a required fact", {
            let mut facts = base.clone();
            facts["item"]["datacenter"] = Json::Null;
            facts
        }),
        (
            "several problems at once",
            with(
                with(base.clone(), "/destination", json!("XX")),
                "/item/tpp",
                json!(true),
            ),
        ),
        (
            "not an object",
            with(base.clone(), "/end_user", json!([1, 2])),
        ),
        (
            "no version in force",
            with(base.clone(), "/date", json!("2023-01-01")),
        ),
        ("missing date", with(base.clone(), "/date", Json::Null)),
    ];
    let report: Vec<String> = cases
        .iter()
        .map(|(name, facts)| format!("{name}:\n  {}", error_text(None, facts)))
        .collect();
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn the_version_in_force_on_the_date_decides() {
    let expectations = [
        ("2023-11-17", "2023-11-17"),
        ("2024-04-03", "2023-11-17"),
        ("2024-04-04", "2024-04-04"),
        ("2024-12-01", "2024-04-04"),
        ("2024-12-02", "2024-12-02"),
        ("2025-01-13", "2024-12-02"),
        ("2025-05-12", "2024-12-02"),
        ("2025-05-13", "2025-05-13"),
        ("2026-01-14", "2025-05-13"),
        ("2026-01-15", "2026-01-15"),
        ("2030-01-01", "2026-01-15"),
    ];
    for (date, version) in expectations {
        let decision =
            decide(None, &h100_india(date)).unwrap_or_else(|error| panic!("{date}: {error}"));
        assert_eq!(decision.policy.version, version, "on {date}");
    }
    // 2025-01-13 is never in force on its own: only pinning reaches it.
    let decision = decide(Some("2025-01-13"), &h100_india("2025-06-01"))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(decision.policy.version, "2025-01-13");
    assert_eq!(decision.outcome("license_required"), Some(&json!(true)));
    assert_eq!(
        decision.outcome("license_exceptions"),
        Some(&json!(["LPP"]))
    );
}

#[test]
fn pinning_by_hash_refuses_changed_sources() {
    let version = ear()
        .pinned("2025-01-13")
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(version.hash.starts_with("sha256:") && version.hash.len() == 7 + 64);
    let good = format!("2025-01-13@{}", version.hash);
    assert!(decide(Some(&good), &h100_india("2025-06-01")).is_ok());
    let stale = format!("2025-01-13@sha256:{}", "0".repeat(64));
    let error = error_text(Some(&stale), &h100_india("2025-06-01"));
    assert!(error.contains("the rules changed since the pin"), "{error}");
    let unknown = error_text(Some("2024-01-01"), &h100_india("2025-06-01"));
    assert!(unknown.contains("has no version `2024-01-01`"), "{unknown}");
    // Each version hashes its own sources and those it amends: all six differ.
    let mut hashes: Vec<&str> = ear()
        .versions
        .iter()
        .map(|version| version.hash.as_str())
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 6);
}

#[test]
fn numbers_compare_exactly() {
    // 5.92 is 3A090.a; 5.9199999999999999999 is not, however close (a float would round it up).
    let dense = |density: &str| {
        let facts = with(h100_india("2024-06-01"), "/item/tpp", json!(2000));
        let facts = with(
            facts,
            "/item/performance_density",
            serde_json::from_str(density).unwrap_or_default(),
        );
        let facts = with(facts, "/destination", json!("CN"));
        decide(None, &facts).map(|decision| decision.outcome("classification").cloned())
    };
    assert_eq!(dense("5.92").ok().flatten(), Some(json!(["3A090.a"])));
    assert_eq!(dense("5.9200").ok().flatten(), Some(json!(["3A090.a"])));
    assert_eq!(
        dense("5.9199999999999999999").ok().flatten(),
        Some(json!(["3A090.b"]))
    );
    // 1e26 training operations, written three ways.
    for ops in ["1e26", "100000000000000000000000000", "1E+26"] {
        let facts = json!({
            "date": "2025-06-01", "activity": "export",
            "item": { "kind": "model_weights", "training_ops": serde_json::from_str::<Json>(ops).unwrap_or_default(),
                      "published": false, "derived_from_published": false },
            "quantity": 1, "destination": "IN",
            "end_user": { "hq": "IN", "parent_hq": "IN", "private_sector": true, "permanent_employee": false },
            "end_use": "other",
            "knowledge": { "training_for_d5_hq": false, "military_or_wmd": false },
            "counters": { "consignee_tpp_this_year": 0, "country_tpp_allocated": 0 },
            "diligence": { "no_purchase_history": false, "evasive_location_or_parent": false,
                           "no_legitimate_need": false, "restricted_party_address": false }
        });
        let decision =
            decide(Some("2025-01-13"), &facts).unwrap_or_else(|error| panic!("{ops}: {error}"));
        assert_eq!(
            decision.outcome("classification"),
            Some(&json!(["4E091"])),
            "{ops}"
        );
    }
}

#[test]
fn explanations_name_the_provisions() {
    let facts = with(h100_india("2025-06-01"), "/quantity", json!(1700));
    let decision = cordon_engine::decide(ear(), Some("2025-01-13"), &facts, true)
        .unwrap_or_else(|error| panic!("{error}"));
    let lpp = decision
        .why_not
        .iter()
        .find(|entry| entry.rule == "lpp")
        .expect("LPP is explained");
    assert!(lpp.cite.contains("740.29"), "{}", lpp.cite);
    assert!(
        lpp.because_not.contains("26,914,400") && lpp.because_not.contains("26,900,000"),
        "{}",
        lpp.because_not
    );
    assert!(decision.trace.iter().all(|entry| !entry.cite.is_empty()));
    assert!(
        decision
            .trace
            .iter()
            .any(|entry| entry.rule == "license_a_worldwide")
    );
}

/// A transaction's text is read straight into slots (`decide_text`); the result must be exactly
/// that of reading the parsed JSON value (`decide`): the same decisions, the same errors.
#[test]
fn text_and_parsed_value_decide_alike() {
    let decide_value =
        |pin: Option<&str>, text: &str| -> Result<cordon_engine::Decision, DecideError> {
            let json: Json = serde_json::from_str(text).map_err(|error| DecideError::Facts {
                errors: vec![cordon_engine::facts::FactError {
                    path: String::new(),
                    message: format!("not valid JSON: {error}"),
                }],
            })?;
            if !json.is_object() {
                return Err(DecideError::Facts {
                    errors: vec![cordon_engine::facts::FactError {
                        path: String::new(),
                        message: "a transaction must be a JSON object".to_string(),
                    }],
                });
            }
            cordon_engine::decide(ear(), pin, &json, true)
        };
    let mut texts: Vec<(Option<&str>, String)> = Vec::new();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&scenarios)
        .unwrap_or_else(|error| panic!("{error}"))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let scenarios: Vec<Json> = files
        .iter()
        .map(|path| {
            serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
                .unwrap_or_default()
        })
        .collect();
    assert!(scenarios.len() >= 48);
    for scenario in &scenarios {
        texts.push((scenario["version"].as_str(), scenario["facts"].to_string()));
    }
    let base = h100_india("2025-06-01").to_string();
    let replace = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    for text in [
        replace("15832", "1e400"),
        replace("15832", "-1e400"),
        replace("15832", "0.0000001"),
        replace("15832", "1E+26"),
        replace("15832", "-0"),
        replace("15832", "79228162514264337593543950336"),
        replace("15832", "18446744073709551616"),
        replace("15832", "-5"),
        replace("15832", "\"high\""),
        replace("15832", "[1, 2]"),
        replace("15832", "{\"a\": 1}"),
        replace("15832", "{}"),
        replace("15832", "null"),
        replace("19.45", "5.92"),
        replace("1000", "1.5"),
        replace("1000", "1.0"),
        replace("1000", "1e3"),
        replace("\"IN\"", "\"\\u0049N\""),
        replace("\"IN\"", "\"XX\""),
        replace("\"IN\"", "7"),
        replace("NVIDIA H100 SXM", "NVIDIA \\\"H100\\\""),
        replace("\"export\"", "\"smuggle\""),
        replace("\"export\"", "\"e\\u0078port\""),
        replace("\"2025-06-01\"", "\"2025-02-30\""),
        replace("\"2025-06-01\"", "\"2023-01-01\""),
        replace("\"2025-06-01\"", "\"20250601\""),
        replace("\"2025-06-01\"", "20250601"),
        replace("\"2025-06-01\"", "\"2026-03-01\""),
        replace("\"tpp\"", "\"tpps\""),
        replace("\"tpp\"", "\"t\\u0070p\""),
        replace(
            "{\"hq\"",
            "{\"$serde_json::private::Number\": \"1\", \"hq\"",
        ),
        replace("\"id\":\"PO-1\",", ""),
        replace("\"date\":\"2025-06-01\",", ""),
        replace("\"date\":\"2025-06-01\",", "\"date\": null,"),
        replace(
            "{\"hq\"",
            "{\"extra\": [[[[[[{\"deep\": [1, 2.5, \"x\"]}]]]]]], \"hq\"",
        ),
        replace("\"end_user\":{", "\"end_user\": [1, 2], \"x\":{"),
        replace("\"end_user\":{", "\"end_user\": 1.5, \"x\":{"),
        replace(
            "\"kind\":\"ic\"",
            "\"kind\":\"ic\", \"produced_with\": [\"3A090.a\", \"3B001\"]",
        ),
        replace(
            "\"kind\":\"ic\"",
            "\"kind\":\"ic\", \"produced_with\": [\"3A090.a\", 5]",
        ),
        replace(
            "\"kind\":\"ic\"",
            "\"kind\":\"ic\", \"produced_with\": [\"3A\\u0030\"]",
        ),
        replace(
            "\"kind\":\"ic\"",
            "\"kind\":\"ic\", \"produced_with\": \"3A090\"",
        ),
        format!("{}{}", "[".repeat(200), "]".repeat(200)),
        format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200)),
        "5".to_string(),
        "1.5".to_string(),
        "\"text\"".to_string(),
        "[1, {".to_string(),
        "{\"date\": \"2025-06-01\"".to_string(),
        format!("{base} trailing"),
        "{}".to_string(),
        String::new(),
    ] {
        texts.push((None, text.clone()));
        texts.push((Some("2025-01-13"), text.clone()));
        texts.push((Some("2024-01-01"), text));
    }
    for (pin, text) in &texts {
        for explain in [false, true] {
            let from_text = cordon_engine::decide_text(ear(), *pin, text, explain);
            let from_value = decide_value(*pin, text).map(|mut decision| {
                if !explain {
                    decision.trace.clear();
                    decision.why_not.clear();
                }
                decision
            });
            assert_eq!(from_text, from_value, "{pin:?} {text}");
        }
    }
}

/// JSON keeps only the last of a field given twice; read from text, that is an error instead.
#[test]
fn a_field_given_twice_is_an_error() {
    let text = h100_india("2025-06-01").to_string().replacen(
        "\"destination\":\"IN\"",
        "\"destination\":\"XX\",\"destination\":\"IN\"",
        1,
    );
    let error = cordon_engine::decide_text(ear(), None, &text, false)
        .map(|decision| decision.to_json_line())
        .unwrap_or_else(|error| error.to_string());
    assert_eq!(
        error,
        "destination: unknown country code \"XX\"; destination: given more than once"
    );
}

/// The Rust written from a version names it and the fingerprint of its compiled program, which is
/// the same for the same program and differs between versions; every rule has its block.
#[test]
fn rust_written_from_a_version_is_bound_to_its_program() {
    use cordon_engine::native::{fingerprint, rust_source};
    let policy = ear();
    let version = policy
        .pinned("2025-01-13")
        .unwrap_or_else(|error| panic!("{error}"));
    let other = policy
        .pinned("2025-05-13")
        .unwrap_or_else(|error| panic!("{error}"));
    let mark = fingerprint(&version.program);
    assert!(mark.starts_with("sha256:"), "{mark}");
    assert_eq!(mark, fingerprint(&version.program.clone()));
    assert_ne!(mark, fingerprint(&other.program));
    let source = rust_source(version);
    assert!(source.contains(&format!("pub const FINGERPRINT: &str = \"{mark}\";")));
    assert!(source.contains("pub const VERSION: &str = \"2025-01-13\";"));
    for (index, rule) in version.program.rules.iter().enumerate() {
        assert!(
            source.contains(&format!("// {} (", rule.name))
                && source.contains(&format!("cx.enter({index});")),
            "no block for rule `{}`",
            rule.name
        );
    }
}
