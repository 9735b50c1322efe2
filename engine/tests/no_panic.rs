//! The fuzz target of facts: the facts reader and the evaluator never panic. Random bytes, JSON
//! of the wrong shape, transactions with fields replaced by anything (extreme numbers such as
//! 1e400 or 0.0000001), and batch lines mutated as text (numbers at and past the largest decimal,
//! negative, with more digits than any decimal holds or exponents past any scale; bytes that are
//! not UTF-8; nesting thousands deep) go through both readers (the JSON value and the text read
//! straight into the slots), which must agree on whether the transaction can be decided, and
//! through the batch's line reader. The issue's cases are seeds, checked first.
//!
//! The default case counts keep `cargo test` quick; `PROPTEST_CASES` sets more (`.ci/run` runs a
//! longer hunt).

use std::path::Path;
use std::sync::OnceLock;

use cordon_engine::batch;
use cordon_engine::{Detail, Policy, Workspace};
use proptest::prelude::*;
use serde_json::Value as Json;

fn ear() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))
            .unwrap_or_else(|error| panic!("policies/ear does not load: {error}"))
    })
}

fn base() -> Json {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/h100-to-india.json"),
    )
    .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Every path to a value in a JSON tree.
fn paths(value: &Json, prefix: String, out: &mut Vec<String>) {
    if let Json::Object(object) = value {
        for (key, child) in object {
            let path = format!("{prefix}/{key}");
            out.push(path.clone());
            paths(child, path, out);
        }
    }
}

fn any_json() -> impl Strategy<Value = Json> {
    let numbers = prop_oneof![
        Just("1e400"),
        Just("-1e400"),
        Just("0.0000001"),
        Just("1e-40"),
        Just("79228162514264337593543950336"),
        Just("4800"),
        Just("5.92"),
        Just("1e26"),
        Just("-0"),
        Just("26900000"),
        Just("1.5"),
    ]
    .prop_map(|text| serde_json::from_str::<Json>(text).unwrap_or_default());
    let leaf = prop_oneof![
        numbers,
        any::<bool>().prop_map(Json::Bool),
        Just(Json::Null),
        "[A-Za-z0-9 .:-]{0,12}".prop_map(Json::String),
        prop_oneof![
            Just("CN"),
            Just("HK"),
            Just("XX"),
            Just("2025-13-40"),
            Just("2027-12-31"),
            Just("3A090.a"),
            Just("ic"),
            Just("model_weights")
        ]
        .prop_map(|text| Json::String(text.to_string())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

/// Cases per property: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(default),
    )
}

/// Numbers as JSON text that no `f64` or decimal holds as it is, or that sit at the edges.
const NUMBER_TEXTS: &[&str] = &[
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "-79228162514264337593543950335",
    "-79228162514264337593543950336",
    "7922816251426433759354395033.5",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "1e28",
    "1e29",
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345678901234567890123456789012345678901234567890",
    "-1",
    "-0",
    "-0.0",
    "-26900000",
    "1.0e0",
    "0e999999999999999999",
    "9e-9999999999999999999",
];

/// The base transaction on one line, as a batch holds it.
fn base_line() -> String {
    base().to_string()
}

/// One change to a batch line's text.
#[derive(Clone, Debug)]
enum LineMutation {
    /// The `n`th number's text replaced.
    Number(usize, &'static str),
    /// A byte that is not UTF-8 put at a position.
    NotUtf8(usize, u8),
    /// The `n`th value wrapped in this many arrays.
    Nest(usize, usize),
    /// A byte deleted.
    Delete(usize),
}

fn line_mutation() -> impl Strategy<Value = LineMutation> {
    prop_oneof![
        4 => (any::<usize>(), proptest::sample::select(NUMBER_TEXTS))
            .prop_map(|(at, text)| LineMutation::Number(at, text)),
        2 => (any::<usize>(), 0x80u8..=0xff).prop_map(|(at, byte)| LineMutation::NotUtf8(at, byte)),
        1 => (any::<usize>(), prop_oneof![1usize..5, Just(200), Just(10_000)])
            .prop_map(|(at, depth)| LineMutation::Nest(at, depth)),
        1 => any::<usize>().prop_map(LineMutation::Delete),
    ]
}

/// Where each number of a JSON text starts and ends (outside strings).
fn number_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut in_string = false;
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
        if in_string {
            if byte == b'\\' {
                at += 1;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if byte == b'-' || byte.is_ascii_digit() {
            let start = at;
            while at < text.len() && (text[at].is_ascii_digit() || b"+-.eE".contains(&text[at])) {
                at += 1;
            }
            spans.push((start, at));
            continue;
        }
        at += 1;
    }
    spans
}

fn mutate_line(line: &mut Vec<u8>, mutation: &LineMutation) {
    match mutation {
        LineMutation::Number(index, text) => {
            let spans = number_spans(line);
            if let Some(&(start, end)) = spans.get(index % spans.len().max(1)) {
                line.splice(start..end, text.bytes());
            }
        }
        LineMutation::NotUtf8(at, byte) => {
            let at = at % (line.len() + 1);
            line.insert(at, *byte);
        }
        LineMutation::Nest(index, depth) => {
            let spans = number_spans(line);
            if let Some(&(start, end)) = spans.get(index % spans.len().max(1)) {
                line.splice(end..end, std::iter::repeat_n(b']', *depth));
                line.splice(start..start, std::iter::repeat_n(b'[', *depth));
            }
        }
        LineMutation::Delete(at) => {
            if !line.is_empty() {
                let at = at % line.len();
                line.remove(at);
            }
        }
    }
}

/// A batch line through everything that reads one: the batch's line reader, the text reader
/// and (when it is JSON) the value reader, under each pin. They must agree on whether it can be
/// decided, and a line that is not UTF-8 is an error saying so.
fn check_line(line: &[u8]) -> Result<(), TestCaseError> {
    let mut workspace = Workspace::default();
    for pin in [
        None,
        Some("2023-11-17"),
        Some("2025-01-13"),
        Some("2026-01-15"),
    ] {
        let by_line = batch::decide_line(ear(), pin, line, Detail::Explain, &mut workspace);
        match std::str::from_utf8(line) {
            Err(_) => {
                let error = by_line
                    .err()
                    .map(|error| format!("{error:?}"))
                    .unwrap_or_default();
                prop_assert!(error.contains("not valid UTF-8"), "{error}");
            }
            Ok(text) => {
                if let Ok(json) = serde_json::from_str::<Json>(text) {
                    let by_value = cordon_engine::decide(ear(), pin, &json, Detail::Explain);
                    prop_assert_eq!(
                        by_line.is_ok(),
                        by_value.is_ok(),
                        "{:?}: the text reader says {:?}, the value reader {:?}",
                        pin,
                        by_line.as_ref().err(),
                        by_value.as_ref().err()
                    );
                }
            }
        }
    }
    Ok(())
}

/// The issue's cases, each read both ways: numbers at and past the largest decimal, negative
/// counters, nesting 10,000 deep, a byte that is not UTF-8.
#[test]
fn the_issues_facts_are_decided_or_refused_without_a_panic() {
    let line = base_line();
    for text in NUMBER_TEXTS {
        for index in 0..number_spans(line.as_bytes()).len() {
            let mut mutated = line.clone().into_bytes();
            mutate_line(&mut mutated, &LineMutation::Number(index, text));
            if let Err(error) = check_line(&mutated) {
                panic!("{}: {error}", String::from_utf8_lossy(&mutated));
            }
        }
    }
    for depth in [1, 127, 128, 129, 10_000] {
        let mut mutated = line.clone().into_bytes();
        mutate_line(&mut mutated, &LineMutation::Nest(0, depth));
        let decided = cordon_engine::decide_text(
            ear(),
            None,
            std::str::from_utf8(&mutated).unwrap_or_default(),
            Detail::Explain,
        );
        assert!(decided.is_err(), "a number nested {depth} deep was decided");
    }
    let mut not_utf8 = line.clone().into_bytes();
    mutate_line(&mut not_utf8, &LineMutation::NotUtf8(10, 0xff));
    if let Err(error) = check_line(&not_utf8) {
        panic!("{error}");
    }
    // Negative counters are refused by the schema, naming the fact, whichever reader reads them.
    for counter in ["consignee_tpp_this_year", "country_tpp_allocated"] {
        let mut facts = base();
        facts["counters"][counter] = serde_json::from_str("-1").unwrap_or_default();
        let by_value = cordon_engine::decide(ear(), None, &facts, Detail::Explain);
        let by_text = cordon_engine::decide_text(ear(), None, &facts.to_string(), Detail::Explain);
        for decided in [by_value, by_text] {
            let error = decided
                .err()
                .map(|error| format!("{error:?}"))
                .unwrap_or_default();
            assert!(
                error.contains(&format!("counters.{counter}")),
                "{counter}: {error}"
            );
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn mutated_batch_lines_are_read_alike_and_never_panic(
        mutations in prop::collection::vec(line_mutation(), 1..5),
    ) {
        let mut line = base_line().into_bytes();
        for mutation in &mutations {
            mutate_line(&mut line, mutation);
        }
        check_line(&line)?;
    }
}

proptest! {
    #![proptest_config(cases(400))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(json) = serde_json::from_slice::<Json>(&bytes) {
            let _ = cordon_engine::decide(ear(), None, &json, true);
        }
    }

    #[test]
    fn random_json_never_panics(json in any_json()) {
        let _ = cordon_engine::decide(ear(), None, &json, true);
        let _ = cordon_engine::decide(ear(), Some("2025-01-13"), &json, true);
    }

    #[test]
    fn mutated_transactions_never_panic(
        choices in prop::collection::vec((any::<prop::sample::Index>(), any_json()), 1..4),
        pin in prop_oneof![Just(None), Just(Some("2023-11-17")), Just(Some("2025-01-13")), Just(Some("2026-01-15"))],
    ) {
        let mut facts = base();
        let mut all = Vec::new();
        paths(&facts, String::new(), &mut all);
        for (index, value) in choices {
            let path = index.get(&all).clone();
            if let Some(slot) = facts.pointer_mut(&path) {
                *slot = value;
            }
        }
        let _ = cordon_engine::decide(ear(), pin, &facts, true);
    }
}
