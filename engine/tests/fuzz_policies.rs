//! The fuzz target of policy sources past the front end (whose own target is
//! `lang/tests/no_panic.rs`): generated policies of two versions (facts of every kind, rules
//! whose conditions compare with numbers at and next to the largest and smallest decimals and at
//! the finest scale, with arithmetic, negation, groups and country sets, chained with `and` and
//! `or`) are formatted, loaded (parsed, checked, compiled), decided on transactions with the
//! same extreme numbers, and compared over every transaction (`diff --exhaustive`). None of it
//! may panic: a clean policy decides or refuses each transaction, and the exhaustive comparison
//! either decides exactly or says where it cannot (a caveat). The issue's cases (a chain of
//! 10,000 `not`s, an `or` of 978 terms, `group G = G`) are seeds, loaded first.
//!
//! 48 cases a run by default; `PROPTEST_CASES` sets more (`.ci/run` runs a longer hunt).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value as Json;

use cordon_engine::diff::regions;
use cordon_engine::{Detail, Policy, decide_with};

/// Decimal literals at the edges of what a decimal holds (as a policy writes them).
const THRESHOLDS: &[&str] = &[
    "0",
    "1",
    "4800",
    "5.92",
    "-1",
    "0.0000000000000000000000000001",
    "-0.0000000000000000000000000001",
    "79_228_162_514_264_337_593_543_950_335",
    "79_228_162_514_264_337_593_543_950_334",
    "-79_228_162_514_264_337_593_543_950_335",
    "7_922_816_251_426_433_759_354_395_033.5",
    "39_614_081_257_132_168_796_771_975_168",
];

/// Integer literals at the edges.
const COUNTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1000",
    "79_228_162_514_264_337_593_543_950_335",
    "79_228_162_514_264_337_593_543_950_334",
    "-79_228_162_514_264_337_593_543_950_335",
];

/// Numbers a transaction holds, as JSON text.
const FACT_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "5.92",
    "4800",
    "0.0000000000000000000000000001",
    "79228162514264337593543950335",
    "79228162514264337593543950334",
    "-79228162514264337593543950335",
    "7922816251426433759354395033.5",
    "39614081257132168796771975168",
];

const COMPARISONS: &[&str] = &["<", "<=", ">", ">=", "==", "!="];

const COUNTRIES: &[&str] = &["CN", "RU", "IN", "US", "MO"];

/// One condition of a rule, as policy text.
fn condition() -> impl Strategy<Value = String> {
    let comparison = proptest::sample::select(COMPARISONS);
    let leaf = prop_oneof![
        (comparison.clone(), proptest::sample::select(THRESHOLDS))
            .prop_map(|(op, value)| format!("amount {op} {value}")),
        (comparison.clone(), proptest::sample::select(COUNTS))
            .prop_map(|(op, value)| format!("count {op} {value}")),
        (
            comparison.clone(),
            proptest::sample::select(THRESHOLDS),
            proptest::sample::select(&["+", "-", "*"][..]),
            proptest::sample::select(&["2", "1", "0.5", "count", "amount"][..]),
        )
            .prop_map(|(op, value, arith, other)| format!("amount {arith} {other} {op} {value}")),
        (comparison, proptest::sample::select(COUNTS))
            .prop_map(|(op, value)| format!("count * 2 {op} {value}")),
        proptest::sample::select(COUNTRIES).prop_map(|code| format!("destination == {code}")),
        Just("destination in watched".to_string()),
        Just("destination in { CN MO }".to_string()),
        Just("flag".to_string()),
        Just("present(limit) and amount > limit".to_string()),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5)
                .prop_map(|terms| format!("({})", terms.join(" and "))),
            prop::collection::vec(inner.clone(), 2..5)
                .prop_map(|terms| format!("({})", terms.join(" or "))),
            inner.prop_map(|term| format!("not ({term})")),
        ]
    })
}

/// A version's rules: each a condition and the outcome it concludes.
fn rules() -> impl Strategy<Value = Vec<(String, bool)>> {
    prop::collection::vec((condition(), any::<bool>()), 1..4)
}

const SCHEMA: &str = "facts {
  date: date
  amount: decimal
  count: int
  limit: decimal?
  destination: country
  flag: bool
}

outcome {
  license_required: bool = false
  review: bool = false
}

group watched \"Watched countries\" = { CN RU }
  cite \"15 CFR 740, Supp. 1\"
";

fn rule_text(index: usize, condition: &str, review: bool, replace: bool) -> String {
    let field = if review { "review" } else { "license_required" };
    format!(
        "\n{}rule rule_{index}\n  cite \"15 CFR 742.6(a)(6)(iii)\"\n  when {condition}\n  then {field} = true\n",
        if replace { "replace " } else { "" }
    )
}

/// A fresh directory for one case.
fn scratch(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cordon-fuzz-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("the directory");
    }
    std::fs::write(path, text).expect("the source");
}

/// A policy of two versions: `v1` with `from` rules, `v2` amending it with `to` rules (a rule of
/// both is replaced, one only in `v2` added, one only in `v1` removed).
fn two_versions(dir: &Path, from: &[(String, bool)], to: &[(String, bool)]) {
    write(
        &dir.join("2027-01-01/version.cordon"),
        "version \"2027-01-01\"\n  policy \"fuzz\"\n  title \"generated\"\n  source \"the fuzz target\"\n  in_force from 2027-01-01 through 2027-02-28\n",
    );
    let mut base = SCHEMA.to_string();
    for (index, (condition, review)) in from.iter().enumerate() {
        base.push_str(&rule_text(index, condition, *review, false));
    }
    write(&dir.join("2027-01-01/p.cordon"), &base);
    write(
        &dir.join("2027-03-01/version.cordon"),
        "version \"2027-03-01\"\n  policy \"fuzz\"\n  title \"generated amendment\"\n  source \"the fuzz target\"\n  amends \"2027-01-01\"\n  in_force from 2027-03-01\n",
    );
    let mut amendment = String::new();
    for (index, (condition, review)) in to.iter().enumerate() {
        amendment.push_str(&rule_text(index, condition, *review, index < from.len()));
    }
    for index in to.len()..from.len() {
        amendment.push_str(&format!(
            "\nremove rule rule_{index}\n  cite \"15 CFR 742.6(a)(6)(iii)\"\n"
        ));
    }
    if amendment.is_empty() {
        amendment.push_str("// No change.\n");
    }
    write(&dir.join("2027-03-01/p.cordon"), &amendment);
}

/// A transaction of the generated schema.
fn transaction() -> impl Strategy<Value = Json> {
    (
        proptest::sample::select(&["2027-01-15", "2027-03-15"][..]),
        proptest::sample::select(FACT_NUMBERS),
        proptest::sample::select(FACT_NUMBERS),
        proptest::option::of(proptest::sample::select(FACT_NUMBERS)),
        proptest::sample::select(COUNTRIES),
        any::<bool>(),
    )
        .prop_map(|(date, amount, count, limit, destination, flag)| {
            let limit = limit
                .map(|limit| format!(", \"limit\": {limit}"))
                .unwrap_or_default();
            serde_json::from_str(&format!(
                "{{\"date\": \"{date}\", \"amount\": {amount}, \"count\": {count}{limit}, \
                 \"destination\": \"{destination}\", \"flag\": {flag}}}"
            ))
            .unwrap_or_default()
        })
}

/// Runs `work` on a thread with the command line's 8 MiB stack (a test thread has 2 MiB), and
/// fails with its panic's message if it panics.
fn on_a_cli_stack<T: Send>(what: &str, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn_scoped(scope, work)
            .expect("a thread");
        match handle.join() {
            Ok(value) => value,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                    .unwrap_or_default();
                panic!("{what} panicked: {message}")
            }
        }
    })
}

/// Everything done with one generated policy. A policy that does not check clean is refused
/// with diagnostics (never a panic); one that does is decided and compared.
fn check_policy(dir: &Path, transactions: &[Json]) -> Result<(), TestCaseError> {
    // The formatter keeps what each source says, and formats it once and for all.
    for entry in ["2027-01-01/p.cordon", "2027-03-01/p.cordon"] {
        let text = std::fs::read_to_string(dir.join(entry)).unwrap_or_default();
        let formatted = cordon_lang::format::format_file(&text);
        prop_assert_eq!(
            cordon_lang::format::format_file(&formatted),
            formatted.clone(),
            "formatting `{}` twice",
            entry
        );
    }
    let policy = match Policy::load(dir) {
        Ok(policy) => policy,
        Err(error) => {
            // A refusal names its problems.
            prop_assert!(!error.to_string().is_empty());
            return Ok(());
        }
    };
    let from = policy.pinned("2027-01-01").expect("the first version");
    let to = policy.pinned("2027-03-01").expect("the second version");
    for facts in transactions {
        for version in [from, to] {
            let _ = decide_with(version, facts, Detail::Explain);
        }
        let _ = cordon_engine::decide(&policy, None, facts, Detail::Explain);
    }
    let exhaustive = regions::exhaustive(from, to);
    // Each region's witness is a transaction the engine takes as it is, under both versions.
    // Each region's witness is a transaction the engine decides under one version at least, or
    // the comparison says it is not exact and why (a caveat naming the witness): where an
    // overflow makes both versions refuse a transaction, the analysis cannot decide exactly.
    for region in &exhaustive.regions {
        let decided =
            [from, to].map(|version| decide_with(version, &region.witness, Detail::Outcome));
        if decided.iter().all(Result::is_err) {
            prop_assert!(
                !exhaustive.exact
                    && exhaustive
                        .caveats
                        .iter()
                        .any(|caveat| caveat.contains("witness")),
                "a witness neither version decides, in a comparison said to be exact: {} ({:?})",
                region.witness,
                decided
                    .iter()
                    .map(|decided| decided.as_ref().err())
                    .collect::<Vec<_>>()
            );
        }
    }
    prop_assert!(
        exhaustive.exact || !exhaustive.caveats.is_empty(),
        "inexact without a caveat"
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// The issue's sources: each is refused with a diagnostic, or loads, and never overflows the
/// stack or panics.
#[test]
fn the_issues_policies_load_or_are_refused_without_a_panic() {
    let nots = format!("{}flag", "not ".repeat(10_000));
    let ors = (0..978)
        .map(|index| format!("count == {index}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let cases: Vec<(&str, String, bool)> = vec![
        ("nots", rule_text(0, &nots, false, false), false),
        ("ors", rule_text(0, &ors, false, false), true),
        (
            "group-cycle",
            "\ngroup G \"G\" = G\n  cite \"15 CFR 740, Supp. 1\"\n".to_string(),
            false,
        ),
        (
            "largest",
            rule_text(
                0,
                "amount > 79_228_162_514_264_337_593_543_950_335 or count >= 79_228_162_514_264_337_593_543_950_335 or amount + 1 > 79_228_162_514_264_337_593_543_950_335",
                false,
                false,
            ),
            true,
        ),
    ];
    for (name, rule, loads) in cases {
        let dir = scratch(name);
        two_versions(&dir, &[], &[]);
        let base = std::fs::read_to_string(dir.join("2027-01-01/p.cordon")).unwrap_or_default();
        write(&dir.join("2027-01-01/p.cordon"), &format!("{base}{rule}"));
        let loaded = on_a_cli_stack(name, || {
            let _ = cordon_lang::format::format_file(&rule);
            Policy::load(&dir).map(|policy| {
                let from = policy.pinned("2027-01-01").expect("the first version");
                let to = policy.pinned("2027-03-01").expect("the second version");
                let facts: Json = serde_json::from_str(
                    r#"{"date": "2027-01-15", "amount": 79228162514264337593543950335, "count": 977, "destination": "CN", "flag": true}"#,
                )
                .unwrap_or_default();
                let decided = decide_with(from, &facts, Detail::Explain);
                // The exhaustive comparison of the long chains is left out: it takes minutes
                // (each of the 978 terms splits the regions), not a bounded test's time.
                if name == "largest" {
                    let _ = regions::exhaustive(from, to);
                }
                decided.is_ok()
            })
        });
        match loaded {
            Ok(_) => assert!(loads, "{name}: loaded, but the issue says it is refused"),
            Err(error) => {
                assert!(!loads, "{name}: refused: {error}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Found by this target: where `count * 2` overflows under both versions, a region the analysis
/// reports as changed has a witness neither version decides. It cannot say exactly there, so it
/// says so (`exact: false`, a caveat naming the witness) rather than claim a change or panic.
#[test]
fn an_overflow_under_both_versions_is_a_caveat() {
    let dir = scratch("overflow-both");
    two_versions(
        &dir,
        &[("count * 2 < 0 or amount < 0".to_string(), true)],
        &[(
            "count != 79_228_162_514_264_337_593_543_950_335 or count * 2 < 0".to_string(),
            false,
        )],
    );
    let policy = Policy::load(&dir).unwrap_or_else(|error| panic!("{error}"));
    let from = policy.pinned("2027-01-01").expect("the first version");
    let to = policy.pinned("2027-03-01").expect("the second version");
    let exhaustive = on_a_cli_stack("the comparison", || regions::exhaustive(from, to));
    assert!(!exhaustive.exact, "{:?}", exhaustive.caveats);
    assert!(
        exhaustive
            .caveats
            .iter()
            .any(|caveat| caveat.contains("witness")
                && caveat.contains("beyond what an exact decimal holds")),
        "{:?}",
        exhaustive.caveats
    );
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_policies_decide_and_diff_without_a_panic(
        from in rules(),
        to in rules(),
        transactions in prop::collection::vec(transaction(), 1..8),
    ) {
        let dir = scratch("generated");
        two_versions(&dir, &from, &to);
        let result = on_a_cli_stack("a generated policy", || check_policy(&dir, &transactions));
        result?;
    }
}
