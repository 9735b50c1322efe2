//! The decision, as the contract's JSON: `policy`, `outcome`, `trace` (and `why_not`). Takes an
//! evaluation's [`Scratch`] with its program and facts; gives the [`Decision`] the contract
//! writes (the trace's entries are built by `explain`).

use serde::Serialize;
use serde_json::Value as Json;

use cordon_lang::hir::Confidence;

use crate::eval::Scratch;
use crate::facts::{Facts, Slot};
use crate::program::{OutcomeKind, Program, SlotType};
use crate::value::{Value, country_code};

/// Which policy version decided, and the hash of its sources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub name: String,
    pub version: String,
    pub hash: String,
}

/// A rule that decided the outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEntry {
    pub rule: String,
    pub cite: String,
    #[serde(
        serialize_with = "confidence_text",
        skip_serializing_if = "is_confirmed"
    )]
    pub confidence: Confidence,
    pub concludes: Vec<String>,
    pub because: String,
    #[serde(serialize_with = "fact_map")]
    pub facts: Vec<(String, Json)>,
}

/// A rule that did not apply and would have changed the outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhyNot {
    pub rule: String,
    pub cite: String,
    pub would_conclude: Vec<String>,
    pub because_not: String,
}

fn is_confirmed(confidence: &Confidence) -> bool {
    *confidence == Confidence::Confirmed
}

fn confidence_text<S: serde::Serializer>(
    confidence: &Confidence,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(confidence.as_str())
}

fn fact_map<S: serde::Serializer>(
    facts: &[(String, Json)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(facts.iter().map(|(name, value)| (name, value)))
}

/// A decision: the outcome and, when asked for, the explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub date: String,
    pub policy: PolicyRef,
    /// Outcome fields in the order the policy declares them.
    #[serde(serialize_with = "fact_map")]
    pub outcome: Vec<(String, Json)>,
    pub trace: Vec<TraceEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why_not: Vec<WhyNot>,
}

impl Decision {
    pub fn outcome(&self, field: &str) -> Option<&Json> {
        self.outcome
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value)
    }

    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// The decision as one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Appends the decision as one line of JSON, with its newline.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        let start = out.len();
        match serde_json::to_writer(&mut *out, self) {
            Ok(()) => out.push(b'\n'),
            Err(_) => out.truncate(start),
        }
    }
}

/// A runtime value as JSON (enum values by name, countries by code, numbers exactly).
pub fn json_of(program: &Program, facts: &Facts<'_>, value: Value<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(value) => Json::Bool(value),
        Value::Number(value) => serde_json::from_str(&value.normalize().to_string())
            .unwrap_or_else(|_| Json::String(value.to_string())),
        Value::Date(value) => Json::String(value.to_string()),
        Value::Country(code) => Json::String(country_code(code)),
        Value::Enum(enumeration, index) => Json::String(
            program
                .enums
                .get(usize::from(enumeration))
                .and_then(|enumeration| enumeration.variants.get(usize::from(index)))
                .cloned()
                .unwrap_or_default(),
        ),
        Value::Str(text) | Value::Lowercase(text) | Value::Eccn(text) => {
            Json::String(text.to_string())
        }
        Value::List(index) => Json::Array(
            facts
                .lists
                .get(usize::from(index))
                .map(|items| {
                    items
                        .iter()
                        .map(|item| json_of(program, facts, *item))
                        .collect()
                })
                .unwrap_or_default(),
        ),
    }
}

/// The outcome after a run: single values resolved by priority, sets sorted.
pub fn outcome(program: &Program, facts: &Facts<'_>, scratch: &Scratch<'_>) -> Vec<(String, Json)> {
    program
        .outcome
        .iter()
        .enumerate()
        .map(|(field, definition)| {
            let value = match &definition.kind {
                OutcomeKind::Single { .. } => json_of(program, facts, scratch.value(field)),
                OutcomeKind::Set { members, .. } => {
                    let mask = scratch.sets[field];
                    let mut items: Vec<String> = members
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| mask & (1 << index) != 0)
                        .map(|(_, member)| {
                            match json_of(program, facts, program.literal_value(member)) {
                                Json::String(text) => text,
                                other => other.to_string(),
                            }
                        })
                        .collect();
                    items.sort();
                    Json::Array(items.into_iter().map(Json::String).collect())
                }
            };
            (definition.name.clone(), value)
        })
        .collect()
}

/// The transaction's `id`, echoed back when it has one.
pub fn transaction_id(program: &Program, facts: &Facts<'_>) -> Option<String> {
    let slot = program.id_slot?;
    match (
        facts.slots.get(usize::from(slot)),
        &program.slots[usize::from(slot)].ty,
    ) {
        (Some(Slot::Present(Value::Str(text))), SlotType::String) => Some(text.to_string()),
        _ => None,
    }
}
