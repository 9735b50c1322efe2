//! The regions view of `cordon diff` checked against the engine itself: every witness decides as
//! its region says under both versions, and random transactions that decide differently always
//! fall in a reported region with their change. A summary of each EAR comparison is a snapshot.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value as Json, json};

use cordon_engine::diff::regions::{self, Exhaustive, Membership, RegionDiff};
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

/// What the engine decides for a transaction, as a region reports it.
fn decided(version: &CompiledVersion, facts: &Json, region: &RegionDiff) -> Json {
    let decision = decide_with(version, facts, false).expect("a witness is a valid transaction");
    regions::project(&region.from, &region.to, &decision.outcome)
}

fn check_witnesses(from: &CompiledVersion, to: &CompiledVersion, diff: &Exhaustive) {
    assert!(diff.exact, "{} -> {}: {:?}", from.id, to.id, diff.caveats);
    let membership = Membership::new(from, to);
    for region in &diff.regions {
        assert_ne!(
            region.from, region.to,
            "a region where nothing changes: {:?}",
            region.conditions
        );
        assert_eq!(
            decided(from, &region.witness, region),
            region.from,
            "{:?}",
            region.witness
        );
        assert_eq!(
            decided(to, &region.witness, region),
            region.to,
            "{:?}",
            region.witness
        );
        assert!(
            membership.contains(region, &region.witness),
            "witness outside its region: {:?}",
            region.conditions
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every field a random transaction changes in is the change of a reported region that
    /// holds the transaction (regions of one change may overlap); every region that holds it
    /// reports what the engine decides.
    #[test]
    fn differing_transactions_fall_in_a_reported_region(facts in transaction()) {
        for (from, to, diff) in ear_diffs() {
            let membership = Membership::new(from, to);
            let (Ok(before), Ok(after)) = (decide_with(from, &facts, false), decide_with(to, &facts, false)) else {
                continue;
            };
            for ((field, old), (_, new)) in before.outcome.iter().zip(&after.outcome) {
                let holding: Vec<_> = diff
                    .regions
                    .iter()
                    .filter(|region| region.from.get(field).is_some() && membership.contains(region, &facts))
                    .collect();
                // Each change of the field: its value, or one member of a set added or removed.
                let changes: Vec<(Json, Json)> = match (old, new) {
                    (Json::Array(a), Json::Array(b)) => a
                        .iter()
                        .filter(|m| !b.contains(m))
                        .map(|m| (json!([m]), json!([])))
                        .chain(b.iter().filter(|m| !a.contains(m)).map(|m| (json!([]), json!([m]))))
                        .collect(),
                    _ if old == new => Vec::new(),
                    _ => vec![(old.clone(), new.clone())],
                };
                for region in &holding {
                    let change = (region.from[field].clone(), region.to[field].clone());
                    prop_assert!(changes.contains(&change), "{} -> {}: a region reports {field} {:?} for {facts}", from.id, to.id, change);
                }
                for change in &changes {
                    let reported = holding.iter().any(|region| (region.from[field].clone(), region.to[field].clone()) == *change);
                    prop_assert!(reported, "{} -> {}: {field} changes {:?} but no region holds {facts}", from.id, to.id, change);
                }
            }
        }
    }
}
