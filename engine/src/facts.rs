//! Reading a transaction: JSON facts checked against the version's schema, into numbered slots.
//!
//! Numbers are read from the JSON text itself (serde_json's arbitrary precision), never through
//! `f64`: `5.92`, `1e26` and `26900000` arrive exactly. Every problem names the fact's path; an
//! absent field is not an error here (only reading it during evaluation is), except that nothing is
//! ever given a value the transaction did not give, other than the schema's declared defaults.

use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::Value as Json;

use cordon_lang::hir::{FieldMode, Literal};

use crate::compile::{Program, SchemaNode, SlotType};
use crate::value::{Value, country_index};

/// A problem with a transaction: a fact that does not fit the schema, a fact the decision needs
/// and lacks, or (with an empty path) a problem of the whole transaction or of the rules.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FactError {
    /// The fact's path: `item.tpp`, `destination`, or `` for the whole transaction.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A slot's content: a value, or absent.
#[derive(Clone, Copy, Debug)]
pub enum Slot<'a> {
    Absent,
    Present(Value<'a>),
}

/// A transaction read against a schema.
#[derive(Debug)]
pub struct Facts<'a> {
    pub slots: Vec<Slot<'a>>,
    /// Lists held by the transaction (`item.produced_with`), referred to by `Value::List`.
    pub lists: Vec<Vec<Value<'a>>>,
}

impl<'a> Facts<'a> {
    pub fn date(&self, program: &Program) -> Option<Date> {
        match self.slots.get(usize::from(program.date_slot)) {
            Some(Slot::Present(Value::Date(date))) => Some(*date),
            _ => None,
        }
    }
}

/// Reads and checks a transaction. All problems are returned, each with its path.
pub fn read<'a>(program: &Program, json: &'a Json) -> Result<Facts<'a>, Vec<FactError>> {
    let mut facts = Facts {
        slots: vec![Slot::Absent; program.slots.len()],
        lists: Vec::new(),
    };
    let mut errors = Vec::new();
    read_record(program, &program.schema, json, "", &mut facts, &mut errors);
    // Defaults, then aliases (which depend on the date).
    for (index, slot) in program.slots.iter().enumerate() {
        if let (Slot::Absent, FieldMode::Default(literal)) = (&facts.slots[index], &slot.mode) {
            facts.slots[index] = Slot::Present(default_value(literal, &slot.ty));
        }
    }
    if errors.is_empty() && facts.date(program).is_none() {
        let date_path = &program.slots[usize::from(program.date_slot)].path;
        errors.push(FactError {
            path: date_path.clone(),
            message: "missing: the transaction's date decides which provisions apply".to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(date) = facts.date(program) {
        for (index, slot) in program.slots.iter().enumerate() {
            if matches!(slot.ty, SlotType::Country)
                && let Slot::Present(Value::Country(code)) = facts.slots[index]
            {
                facts.slots[index] =
                    Slot::Present(Value::Country(resolve_alias(program, code, date)));
            }
        }
    }
    Ok(facts)
}

/// The code a country counts as on a date (`HK` counts as `CN`).
pub fn resolve_alias(program: &Program, code: u16, date: Date) -> u16 {
    program
        .aliases
        .iter()
        .find(|(alias, _, from, to)| {
            *alias == code && from.is_none_or(|from| date >= from) && to.is_none_or(|to| date <= to)
        })
        .map_or(code, |(_, target, _, _)| *target)
}

fn default_value(literal: &Literal, ty: &SlotType) -> Value<'static> {
    match (literal, ty) {
        (Literal::Bool(value), _) => Value::Bool(*value),
        (Literal::Number(value), _) => Value::Number(*value),
        (Literal::Date(value), _) => Value::Date(*value),
        // An empty list default: `List(u16::MAX)` reads as empty.
        (Literal::List(items) | Literal::Set(items), SlotType::EccnList) if items.is_empty() => {
            Value::List(u16::MAX)
        }
        _ => Value::Null,
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn describe(json: &Json) -> String {
    match json {
        Json::Null => "null".to_string(),
        Json::Bool(value) => value.to_string(),
        Json::Number(number) => number.to_string(),
        Json::String(text) => format!("{text:?}"),
        Json::Array(_) => "a list".to_string(),
        Json::Object(_) => "an object".to_string(),
    }
}

fn read_record<'a>(
    program: &Program,
    node: &SchemaNode,
    json: &'a Json,
    prefix: &str,
    facts: &mut Facts<'a>,
    errors: &mut Vec<FactError>,
) {
    let SchemaNode::Record(fields) = node else {
        return;
    };
    let Json::Object(object) = json else {
        errors.push(FactError {
            path: prefix.to_string(),
            message: format!("expected an object, found {}", describe(json)),
        });
        return;
    };
    for (key, value) in object {
        let path = join(prefix, key);
        match fields.iter().find(|(name, _)| name == key) {
            Some((_, SchemaNode::Leaf(slot))) => {
                read_leaf(program, *slot, value, &path, facts, errors)
            }
            Some((_, nested @ SchemaNode::Record(_))) => {
                read_record(program, nested, value, &path, facts, errors)
            }
            None => {
                let suggestion = cordon_lang::diagnostics::did_you_mean(
                    key,
                    fields.iter().map(|(name, _)| name.as_str()),
                );
                errors.push(FactError {
                    path,
                    message: match suggestion {
                        Some(suggestion) => format!("unknown field (did you mean `{suggestion}`?)"),
                        None => format!(
                            "unknown field; the fields here are {}",
                            fields
                                .iter()
                                .map(|(name, _)| format!("`{name}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                });
            }
        }
    }
}

fn read_leaf<'a>(
    program: &Program,
    slot: u16,
    json: &'a Json,
    path: &str,
    facts: &mut Facts<'a>,
    errors: &mut Vec<FactError>,
) {
    let definition = &program.slots[usize::from(slot)];
    if json.is_null() {
        // `null` is how JSON says "not given"; only optional facts may be null.
        if matches!(definition.mode, FieldMode::Optional) {
            return;
        }
        errors.push(FactError {
            path: path.to_string(),
            message: "must not be null (leave it out if it does not apply)".to_string(),
        });
        return;
    }
    match read_value(program, &definition.ty, json, facts) {
        Ok(value) => facts.slots[usize::from(slot)] = Slot::Present(value),
        Err(message) => errors.push(FactError {
            path: path.to_string(),
            message,
        }),
    }
}

fn read_value<'a>(
    program: &Program,
    ty: &SlotType,
    json: &'a Json,
    facts: &mut Facts<'a>,
) -> Result<Value<'a>, String> {
    let expected = |what: &str| format!("expected {what}, found {}", describe(json));
    match ty {
        SlotType::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| expected("true or false")),
        SlotType::Number { integer } => {
            let Json::Number(number) = json else {
                return Err(expected(if *integer {
                    "a whole number"
                } else {
                    "a number"
                }));
            };
            let value = exact_decimal(number.as_str()).ok_or_else(|| {
                format!(
                    "{number} cannot be held exactly (at most 28 significant digits, below 7.9e28)"
                )
            })?;
            if *integer && !value.fract().is_zero() {
                return Err(format!("expected a whole number, found {number}"));
            }
            Ok(Value::Number(value))
        }
        SlotType::Date => {
            let text = json
                .as_str()
                .ok_or_else(|| expected("a date (\"YYYY-MM-DD\")"))?;
            let valid_shape =
                text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
            match Date::from_str(text) {
                Ok(date) if valid_shape => Ok(Value::Date(date)),
                _ => Err(format!("{text:?} is not a date (\"YYYY-MM-DD\")")),
            }
        }
        SlotType::Country => {
            let text = json
                .as_str()
                .ok_or_else(|| expected("a country code (\"CN\")"))?;
            match country_index(text) {
                Some(index) if cordon_lang::check::is_country_code(text) => {
                    Ok(Value::Country(index))
                }
                _ => Err(format!("unknown country code {text:?}")),
            }
        }
        SlotType::String => json
            .as_str()
            .map(Value::Str)
            .ok_or_else(|| expected("a text")),
        SlotType::Eccn => json
            .as_str()
            .map(Value::Eccn)
            .ok_or_else(|| expected("an ECCN")),
        SlotType::Enum(enumeration) => {
            let text = json.as_str().ok_or_else(|| expected("a text"))?;
            let variants = &program.enums[usize::from(*enumeration)].variants;
            match variants.iter().position(|variant| variant == text) {
                Some(index) => Ok(Value::Enum(*enumeration, index as u16)),
                None => Err(format!(
                    "unknown value {text:?}; expected one of {}",
                    variants
                        .iter()
                        .map(|v| format!("{v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        SlotType::EccnList => {
            let Json::Array(items) = json else {
                return Err(expected("a list of ECCNs"));
            };
            let mut values = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(text) if looks_like_eccn(text) => values.push(Value::Eccn(text)),
                    _ => {
                        return Err(format!(
                            "[{index}]: expected an ECCN such as \"3A090.a\", found {}",
                            describe(item)
                        ));
                    }
                }
            }
            let index =
                u16::try_from(facts.lists.len()).map_err(|_| "too many lists".to_string())?;
            facts.lists.push(values);
            Ok(Value::List(index))
        }
    }
}

/// An ECCN: a digit, a capital letter, three digits, then `.paragraph`s.
pub fn looks_like_eccn(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 5
        && bytes[0].is_ascii_digit()
        && bytes[1].is_ascii_uppercase()
        && bytes[2..5].iter().all(u8::is_ascii_digit)
        && text[5..]
            .split('.')
            .skip(1)
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
        && (bytes.len() == 5 || bytes[5] == b'.')
}

/// A JSON number's text as an exact decimal (`1e26`, `2E+26`, `5.92`, `0.0000001`).
pub fn exact_decimal(text: &str) -> Option<Decimal> {
    cordon_lang::parse::parse_decimal(text)
}
