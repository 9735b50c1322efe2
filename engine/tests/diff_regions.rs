//! The regions view of `cordon diff` checked against the engine itself: every witness decides as
//! its region says under both versions, and 100,000 random transactions per pair of EAR versions
//! are held to the regions' `when` (read as a program reads the JSON, by the evaluator below):
//! each that decides differently satisfies the `when` of a region reporting its change, and each
//! that satisfies a region's `when` decides as the region says. A summary of each EAR comparison
//! is a snapshot.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value as Json, json};

use cordon_engine::diff::regions::{self, Exhaustive, RegionDiff};
use cordon_engine::facts::exact_decimal;
use cordon_engine::{CompiledVersion, Policy, decide_with};

/// Every two consecutive EAR versions.
const EAR_PAIRS: [(&str, &str); 5] = [
    ("2023-11-17", "2024-04-04"),
    ("2024-04-04", "2024-12-02"),
    ("2024-12-02", "2025-01-13"),
    ("2025-01-13", "2025-05-13"),
    ("2025-05-13", "2026-01-15"),
];

fn ear() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| Policy::load(Path::new("../policies/ear")).expect("policies/ear loads"))
}

/// The three EAR comparisons, computed once for all tests.
fn ear_diffs() -> &'static Vec<(
    &'static CompiledVersion,
    &'static CompiledVersion,
    Exhaustive,
)> {
    static DIFFS: OnceLock<Vec<(&CompiledVersion, &CompiledVersion, Exhaustive)>> = OnceLock::new();
    DIFFS.get_or_init(|| {
        EAR_PAIRS
            .iter()
            .map(|(from, to)| {
                let (from, to) = (
                    ear().pinned(from).expect("from"),
                    ear().pinned(to).expect("to"),
                );
                (from, to, regions::exhaustive(from, to))
            })
            .collect()
    })
}

/// What the engine decides for a transaction, as a region reports it; a refusal is an error.
fn decided(version: &CompiledVersion, facts: &Json, region: &RegionDiff) -> Json {
    match decide_with(version, facts, false) {
        Ok(decision) => regions::project(&region.from, &region.to, &decision.outcome),
        Err(error) => json!({ "error": error.to_string() }),
    }
}

/// Whether the engine decides as the region says (an error where it says one).
fn agrees(expected: &Json, decided: &Json) -> bool {
    match expected.get("error") {
        Some(_) => decided.get("error").is_some(),
        None => expected == decided,
    }
}

fn check_witnesses(from: &CompiledVersion, to: &CompiledVersion, diff: &Exhaustive) {
    assert!(diff.exact, "{} -> {}: {:?}", from.id, to.id, diff.caveats);
    for region in &diff.regions {
        assert_ne!(
            region.from, region.to,
            "a region where nothing changes: {:?}",
            region.conditions
        );
        for (version, expected) in [(from, &region.from), (to, &region.to)] {
            let decided = decided(version, &region.witness, region);
            assert!(
                agrees(expected, &decided),
                "{}: {decided} where the region says {expected}, for {}",
                version.id,
                region.witness
            );
        }
        assert!(
            region_holds(diff, region, &region.witness),
            "witness outside its region: {:?}\n{}\n{}",
            region.conditions,
            when_json(region),
            region.witness
        );
    }
}

#[test]
fn ear_witnesses_decide_as_reported() {
    for (from, to, diff) in ear_diffs() {
        assert!(!diff.regions.is_empty());
        check_witnesses(from, to, diff);
    }
}

#[test]
fn purpose_built_witnesses_decide_as_reported() {
    for case in [
        "threshold",
        "country-added",
        "new-exception",
        "removed-rule",
        "most-restrictive",
        "largest-decimal",
        "schema-widened",
    ] {
        let policy = Policy::load(&Path::new("../tests/diff").join(case)).expect("case loads");
        let (from, to) = (&policy.versions[0], &policy.versions[1]);
        let diff = regions::exhaustive(from, to);
        assert!(!diff.regions.is_empty(), "{case}: no region differs");
        check_witnesses(from, to, &diff);
    }
}

#[test]
fn ear_summaries() {
    let mut summary = String::new();
    for (from, to, diff) in ear_diffs() {
        let _ = writeln!(
            summary,
            "{} -> {}: {} regions, exact: {}",
            from.id,
            to.id,
            diff.regions.len(),
            diff.exact
        );
        for (change, regions) in diff.by_change() {
            let count = regions.len();
            let _ = writeln!(summary, "  {count:>4}  {change}");
        }
    }
    insta::assert_snapshot!(summary);
}

/// The first 2024-12-02 -> 2025-01-13 regions (the AI Diffusion rule) in full: what counsel reads.
#[test]
fn ear_first_regions() {
    let (_, _, diff) = &ear_diffs()[2];
    let first: Vec<_> = diff.regions.iter().take(12).collect();
    insta::assert_json_snapshot!(first);
}

/// Transactions around every threshold, date and group the EAR versions name.
fn transaction() -> impl Strategy<Value = Json> {
    let kind = prop::sample::select(vec!["ic", "computer", "hbm", "model_weights"]);
    let tpp = prop::sample::select(vec![
        0, 1599, 1600, 2399, 2400, 4799, 4800, 15832, 21000, 26_900_000,
    ]);
    let density = prop::sample::select(vec!["0.5", "1.6", "3.19", "3.2", "5.91", "5.92", "19.45"]);
    let date = prop::sample::select(vec![
        "2023-11-17",
        "2024-04-03",
        "2024-04-04",
        "2024-12-01",
        "2024-12-02",
        "2025-01-15",
        "2025-01-16",
        "2025-05-13",
        "2025-11-06",
        "2025-11-07",
        "2026-01-15",
        "2027-12-31",
        "2028-01-01",
    ]);
    let country = || {
        prop::sample::select(vec![
            "US", "GB", "IN", "AE", "SA", "CN", "HK", "MO", "RU", "KH", "VN", "IL", "JP", "MY",
            "BR",
        ])
    };
    let activity = prop::sample::select(vec!["export", "reexport", "transfer", "deemed_export"]);
    let end_use = prop::sample::select(vec![
        "datacenter",
        "development_production",
        "ai_training_4e091",
        "other",
    ]);
    let ops = prop::sample::select(vec![
        "0",
        "2.5e25",
        "25000000000000000000000001",
        "99999999999999999999999999",
        "1e26",
        "4e26",
    ]);
    let model = prop::sample::select(vec![
        None,
        Some("NVIDIA H100 SXM"),
        Some("Huawei Ascend 910B"),
        Some("HUAWEI ASCEND 910C"),
    ]);
    let produced = prop::sample::select(vec![
        vec![],
        vec!["3A090.a"],
        vec!["5A992.z"],
        vec!["4A090.a", "5A992.z"],
        vec!["0A999"],
    ]);
    let counter = prop::sample::select(vec![0, 26_000_000, 26_900_000, 789_000_000, 790_000_000]);
    let bools = prop::collection::vec(any::<bool>(), 12);
    let bandwidth = prop::sample::select(vec![None, Some(6499), Some(6500), Some(8000)]);
    let listed = prop::sample::select(vec![
        None,
        Some("denial"),
        Some("case_by_case"),
        Some("approval"),
    ]);
    (
        (kind, tpp, density, date, activity, end_use),
        (country(), country(), country(), ops.clone(), ops.clone(), ops),
        (model, produced, counter.clone(), counter, bools, bandwidth),
        (prop::sample::select(vec![1, 2, 1000]), listed),
    )
        .prop_map(
            |(
                (kind, tpp, density, date, activity, end_use),
                (destination, hq, parent, training, base, additional),
                (model, produced, consignee, allocated, b, bandwidth),
                (quantity, listed),
            )| {
                let number = |text: &str| -> Json { serde_json::from_str(text).expect("a number") };
                let mut item = json!({
                    "kind": kind, "tpp": tpp, "performance_density": number(density), "datacenter": b[0],
                    "memory_bandwidth_density": number(density), "training_ops": number(training),
                    "published": b[1], "derived_from_published": b[2], "base_training_ops": number(base),
                    "additional_training_ops": number(additional), "foreign_produced": b[3],
                    "produced_with": produced,
                });
                if let Some(model) = model {
                    item["model"] = json!(model);
                }
                if let Some(bandwidth) = bandwidth {
                    item["dram_bandwidth_gbps"] = json!(bandwidth);
                }
                json!({
                    "date": date, "activity": activity, "item": item, "quantity": quantity,
                    "destination": destination,
                    "end_user": { "hq": hq, "parent_hq": parent, "private_sector": b[4], "permanent_employee": b[5],
                                  "entity_list": listed },
                    "end_use": end_use,
                    "knowledge": { "training_for_d5_hq": b[6], "military_or_wmd": b[7] },
                    "counters": { "consignee_tpp_this_year": consignee, "country_tpp_allocated": allocated },
                    "diligence": { "no_purchase_history": b[8], "evasive_location_or_parent": b[9],
                                   "no_legitimate_need": b[10], "restricted_party_address": b[11] },
                })
            },
        )
}

/// A region's `when` as the JSON has it.
fn when_json(region: &RegionDiff) -> Json {
    serde_json::to_value(region).expect("a region serialises")["when"].clone()
}

fn region_holds(diff: &Exhaustive, region: &RegionDiff, facts: &Json) -> bool {
    when_holds(&when_json(region), &with_defaults(diff, facts))
}

/// The transaction as the engine reads it: each fact with a default that it leaves out, given.
fn with_defaults(diff: &Exhaustive, facts: &Json) -> Json {
    let mut facts = facts.clone();
    for (path, value) in &diff.defaults {
        let mut at = &mut facts;
        let keys: Vec<&str> = path.split('.').collect();
        for key in &keys[..keys.len() - 1] {
            at = &mut at[*key];
        }
        let last = keys[keys.len() - 1];
        if at.get(last).is_none_or(Json::is_null) {
            at[last] = value.clone();
        }
    }
    facts
}

/// `when`: every clause has a test that holds.
fn when_holds(when: &Json, facts: &Json) -> bool {
    when.as_array().is_some_and(|clauses| {
        clauses.iter().all(|clause| {
            clause
                .as_array()
                .is_some_and(|tests| tests.iter().any(|test| test_holds(test, facts)))
        })
    })
}

/// A fact's value; `null` is a fact left out.
fn fact<'j>(facts: &'j Json, path: &str) -> Option<&'j Json> {
    path.split('.')
        .try_fold(facts, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

fn decimal(value: &Json) -> Option<Decimal> {
    value
        .as_number()
        .and_then(|n| exact_decimal(&n.to_string()))
}

/// A number computed from facts: `{"fact": p}`, a number, `{"+": [a, b]}`, ..., `{"neg": a}`.
fn number(expr: &Json, facts: &Json) -> Option<Decimal> {
    if expr.is_number() {
        return decimal(expr);
    }
    let (op, operands) = expr.as_object()?.iter().next()?;
    if op == "fact" {
        return decimal(fact(facts, operands.as_str()?)?);
    }
    if op == "neg" {
        return Some(-number(operands, facts)?);
    }
    let [a, b] = operands.as_array()?.as_slice() else {
        return None;
    };
    let (a, b) = (number(a, facts)?, number(b, facts)?);
    match op.as_str() {
        "+" => a.checked_add(b),
        "-" => a.checked_sub(b),
        "*" => a.checked_mul(b),
        "/" => a.checked_div(b),
        "max" => Some(a.max(b)),
        "min" => Some(a.min(b)),
        _ => None,
    }
}

fn within(eccn: &str, heading: &str) -> bool {
    eccn == heading
        || eccn
            .strip_prefix(heading)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// One test of a clause, as the README states them.
fn test_holds(test: &Json, facts: &Json) -> bool {
    let op = test["op"].as_str().expect("an op");
    let expected = &test["value"];
    let ignore_case = test["ignore_case"].as_bool().unwrap_or(false);
    let actual: Option<Json> = match (test.get("fact"), test.get("number")) {
        (Some(path), _) => fact(facts, path.as_str().expect("a path")).cloned(),
        (None, Some(expr)) => number(expr, facts)
            .map(|value| serde_json::from_str(&value.normalize().to_string()).expect("a number")),
        (None, None) => panic!("a test names a fact or a number: {test}"),
    };
    match op {
        "present" => return actual.is_some(),
        "absent" => return actual.is_none(),
        _ => {}
    }
    let Some(actual) = actual else {
        return false;
    };
    let order = |a: &Json, b: &Json| -> Option<std::cmp::Ordering> {
        match (decimal(a), decimal(b)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => match (a.as_str(), b.as_str()) {
                (Some(a), Some(b)) if ignore_case => Some(a.to_lowercase().cmp(&b.to_lowercase())),
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => (a == b).then_some(std::cmp::Ordering::Equal),
            },
        }
    };
    let equal = |a: &Json, b: &Json| order(a, b) == Some(std::cmp::Ordering::Equal);
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect()
    };
    let any_within = || {
        strings(&actual)
            .iter()
            .any(|e| strings(expected).iter().any(|h| within(e, h)))
    };
    let all_within = || {
        strings(&actual)
            .iter()
            .all(|e| strings(expected).iter().any(|h| within(e, h)))
    };
    let compared = order(&actual, expected);
    use std::cmp::Ordering::*;
    match op {
        "==" => equal(&actual, expected),
        "!=" => !equal(&actual, expected),
        "<" => compared == Some(Less),
        "<=" => matches!(compared, Some(Less | Equal)),
        ">" => compared == Some(Greater),
        ">=" => matches!(compared, Some(Greater | Equal)),
        "in" => expected
            .as_array()
            .expect("a list")
            .iter()
            .any(|v| equal(&actual, v)),
        "not_in" => !expected
            .as_array()
            .expect("a list")
            .iter()
            .any(|v| equal(&actual, v)),
        "contains" => strings(&actual)
            .iter()
            .any(|e| Some(e.as_str()) == expected.as_str()),
        "not_contains" => !strings(&actual)
            .iter()
            .any(|e| Some(e.as_str()) == expected.as_str()),
        "any_within" => any_within(),
        "not_any_within" => !any_within(),
        "all_within" => all_within(),
        "not_all_within" => !all_within(),
        other => panic!("unknown op {other}"),
    }
}

/// One transaction held to one comparison's regions, both ways: each field it changes in is the
/// change of a region whose `when` it satisfies, and each region whose `when` it satisfies
/// reports a change it makes.
fn check_transaction(
    (from, to, diff): &(&CompiledVersion, &CompiledVersion, Exhaustive),
    whens: &[Json],
    facts: &Json,
) -> Result<(), String> {
    let (Ok(before), Ok(after)) = (
        decide_with(from, facts, false),
        decide_with(to, facts, false),
    ) else {
        return Ok(());
    };
    let facts = &with_defaults(diff, facts);
    for ((field, old), (_, new)) in before.outcome.iter().zip(&after.outcome) {
        let holding: Vec<&RegionDiff> = diff
            .regions
            .iter()
            .zip(whens)
            .filter(|(region, when)| region.from.get(field).is_some() && when_holds(when, facts))
            .map(|(region, _)| region)
            .collect();
        // Each change of the field: its value, or one member of a set added or removed.
        let changes: Vec<(Json, Json)> = match (old, new) {
            (Json::Array(a), Json::Array(b)) => a
                .iter()
                .filter(|m| !b.contains(m))
                .map(|m| (json!([m]), json!([])))
                .chain(
                    b.iter()
                        .filter(|m| !a.contains(m))
                        .map(|m| (json!([]), json!([m]))),
                )
                .collect(),
            _ if old == new => Vec::new(),
            _ => vec![(old.clone(), new.clone())],
        };
        for region in &holding {
            let change = (region.from[field].clone(), region.to[field].clone());
            if !changes.contains(&change) {
                return Err(format!(
                    "{} -> {}: a region whose `when` holds reports {field} {change:?}, the engine decides {changes:?}, for {facts}\nconditions: {:?}",
                    from.id, to.id, region.conditions
                ));
            }
        }
        for change in &changes {
            let reported = holding
                .iter()
                .any(|region| (region.from[field].clone(), region.to[field].clone()) == *change);
            if !reported {
                return Err(format!(
                    "{} -> {}: {field} changes {change:?} but no region's `when` holds {facts}",
                    from.id, to.id
                ));
            }
        }
    }
    Ok(())
}

/// 100,000 random transactions (a fixed seed) against every consecutive pair of EAR versions.
#[test]
fn random_transactions_decide_as_the_regions_say() {
    let mut runner = TestRunner::deterministic();
    let strategy = transaction();
    let transactions: Vec<Json> = (0..100_000)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("a transaction")
                .current()
        })
        .collect();
    for pair in ear_diffs() {
        let whens: Vec<Json> = pair.2.regions.iter().map(when_json).collect();
        let failures: Vec<String> = transactions
            .par_iter()
            .filter_map(|facts| check_transaction(pair, &whens, facts).err())
            .collect();
        assert!(
            failures.is_empty(),
            "{} of 100,000 transactions: {}",
            failures.len(),
            failures
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

/// The values only the newer schema allows are explored (an enum value, quantities under the
/// older least value), and a list that needs three elements is found, not taken for empty.
#[test]
fn both_schemas_and_long_lists_are_explored() {
    let policy = Policy::load(Path::new("../tests/diff/schema-widened")).expect("case loads");
    let (from, to) = (&policy.versions[0], &policy.versions[1]);
    let diff = regions::exhaustive(from, to);
    let refused = |text: &str| {
        diff.regions.iter().any(|region| {
            region.from["error"]
                .as_str()
                .is_some_and(|error| error.contains(text))
                && region.to.get("error").is_none()
        })
    };
    assert!(refused("no value \"module\""), "{:#?}", diff.regions);
    assert!(refused("at least 10"), "{:#?}", diff.regions);
    let three = diff.regions.iter().any(|region| {
        region.from["license_required"] == json!(true)
            && region.to["license_required"] == json!(false)
            && region.witness["item"]["produced_with"]
                .as_array()
                .is_some_and(|list| list.len() == 3)
    });
    assert!(three, "{:#?}", diff.regions);
    check_witnesses(from, to, &diff);
}
