//! The facts reader and the evaluator never panic: random bytes, JSON of the wrong shape, and
//! transactions with fields replaced by anything (extreme numbers such as 1e400 or 0.0000001).

use std::path::Path;
use std::sync::OnceLock;

use cordon_engine::Policy;
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

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
