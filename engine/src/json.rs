//! Facts written in the policy language (examples and tests) as the contract's JSON. Takes a
//! test's or example's checked facts; gives the JSON a transaction arrives as, and compares a
//! decision's outcome with the outcomes a test expects.

use serde_json::{Map, Value as Json};

use cordon_lang::hir::{FactValue, Literal};

pub fn fact_json(value: &FactValue) -> Json {
    match value {
        FactValue::Record(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), fact_json(value)))
                .collect::<Map<_, _>>(),
        ),
        FactValue::List(items) => Json::Array(items.iter().map(fact_json).collect()),
        FactValue::Word(word) => Json::String(word.clone()),
        FactValue::Literal(literal) => literal_json(literal),
    }
}

pub fn literal_json(literal: &Literal) -> Json {
    match literal {
        Literal::Bool(value) => Json::Bool(*value),
        Literal::Number(value) => serde_json::from_str(&value.normalize().to_string())
            .unwrap_or_else(|_| Json::String(value.to_string())),
        Literal::Date(value) => Json::String(value.to_string()),
        Literal::Country(text) | Literal::String(text) | Literal::Eccn(text) => {
            Json::String(text.clone())
        }
        Literal::Enum(_, variant) => Json::String(variant.clone()),
        Literal::Set(items) | Literal::List(items) => {
            Json::Array(items.iter().map(literal_json).collect())
        }
        Literal::Null => Json::Null,
    }
}

/// Whether an actual outcome value matches an expected one (sets compare without regard to order,
/// numbers exactly).
pub fn outcome_matches(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Array(expected), Json::Array(actual)) => {
            let mut expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
            let mut actual: Vec<String> = actual.iter().map(ToString::to_string).collect();
            expected.sort();
            actual.sort();
            expected == actual
        }
        (Json::Number(expected), Json::Number(actual)) => {
            crate::facts::exact_decimal(expected.as_str())
                == crate::facts::exact_decimal(actual.as_str())
        }
        _ => expected == actual,
    }
}
