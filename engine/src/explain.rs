//! Explanations: which rules decided, with their citations and the facts they read, and for each
//! outcome that did not happen but might have, the first condition that failed, with its values.
//! Takes an evaluation's [`Scratch`] with its program and facts; gives the decision's trace and
//! `why_not` entries.

use cordon_lang::hir::BinaryOp;

use crate::decision::{TraceEntry, WhyNot};
use crate::eval::{self, Scratch};
use crate::facts::{Facts, Slot};
use crate::program::{OutcomeKind, Program};
use crate::text::grouped;
use crate::value::{Value, country_code};

/// A runtime value as people read it.
pub fn value_text(program: &Program, facts: &Facts<'_>, value: Value<'_>) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(value) => value.to_string(),
        Value::Number(value) => grouped(value),
        Value::Date(value) => value.to_string(),
        Value::Country(code) => country_code(code),
        Value::Enum(enumeration, index) => enum_name(program, enumeration, index),
        Value::Str(text) | Value::Lowercase(text) | Value::Eccn(text) => text.to_string(),
        Value::List(index) => format!(
            "[{}]",
            facts
                .lists
                .get(usize::from(index))
                .map(|items| items
                    .iter()
                    .map(|item| value_text(program, facts, *item))
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ),
    }
}

fn enum_name(program: &Program, enumeration: u16, index: u16) -> String {
    program
        .enums
        .get(usize::from(enumeration))
        .and_then(|enumeration| enumeration.variants.get(usize::from(index)))
        .cloned()
        .unwrap_or_else(|| format!("#{index}"))
}

/// The facts a rule read, as `path: value`.
fn facts_read(
    program: &Program,
    facts: &Facts<'_>,
    rule: usize,
) -> Vec<(String, serde_json::Value)> {
    program.rules[rule]
        .reads
        .iter()
        .map(|slot| {
            let definition = &program.slots[usize::from(*slot)];
            let value = match facts.slots.get(usize::from(*slot)) {
                Some(Slot::Present(value)) => crate::decision::json_of(program, facts, *value),
                _ => serde_json::Value::Null,
            };
            (definition.path.clone(), value)
        })
        .collect()
}

fn citation_text(program: &Program, rule: usize) -> String {
    program.rules[rule]
        .citations
        .iter()
        .map(|citation| citation.text.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn conclusion_text<'a>(
    program: &'a Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
    rule: usize,
) -> Vec<String> {
    let compiled = &program.rules[rule];
    compiled
        .then
        .iter()
        .map(|conclusion| {
            let field = &program.outcome[usize::from(conclusion.field)];
            match &field.kind {
                OutcomeKind::Set { members, .. } => {
                    let member = members
                        .get(usize::from(conclusion.member))
                        .map_or(Value::Null, |member| program.literal_value(member));
                    format!("{} += {}", field.name, value_text(program, facts, member))
                }
                OutcomeKind::Single { .. } => {
                    let value =
                        eval::evaluate_expression(program, facts, scratch, &conclusion.value)
                            .map(|value| value_text(program, facts, value))
                            .unwrap_or_else(|error| error.to_string());
                    format!("{} = {value}", field.name)
                }
            }
        })
        .collect()
}

/// The rules that decided the outcome, in the order they ran.
pub fn trace<'a>(
    program: &'a Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
) -> Vec<TraceEntry> {
    let mut deciding = vec![false; program.rules.len()];
    for (field, definition) in program.outcome.iter().enumerate() {
        match &definition.kind {
            OutcomeKind::Single { .. } => {
                let candidates = &scratch.candidates()[field];
                let most_restrictive = eval::most_restrictive(program, field);
                if let Some(chosen) = eval::resolve(candidates, most_restrictive) {
                    for candidate in candidates {
                        if candidate.value.equals(chosen.value) {
                            deciding[usize::from(candidate.rule)] = true;
                        }
                    }
                }
            }
            OutcomeKind::Set { .. } => {
                for (index, rule) in program.rules.iter().enumerate() {
                    if scratch.applied[index]
                        && rule.then.iter().any(|c| usize::from(c.field) == field)
                    {
                        deciding[index] = true;
                    }
                }
            }
        }
    }
    let mut entries: Vec<TraceEntry> = (0..program.rules.len())
        .filter(|index| deciding[*index])
        .map(|index| {
            let rule = &program.rules[index];
            TraceEntry {
                rule: rule.name.clone(),
                cite: citation_text(program, index),
                confidence: rule.confidence,
                concludes: conclusion_text(program, facts, scratch, index),
                because: rule
                    .conjuncts
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join(" and "),
                facts: facts_read(program, facts, index),
            }
        })
        .collect();
    entries.extend(most_restrictive_readings(program, facts, scratch));
    entries
}

/// For each outcome that took the most restrictive of several different values: the reading that
/// chose it, with its citations, and what it chose among.
fn most_restrictive_readings(
    program: &Program,
    facts: &Facts<'_>,
    scratch: &Scratch<'_>,
) -> Vec<TraceEntry> {
    let mut entries = Vec::new();
    for (field, definition) in program.outcome.iter().enumerate() {
        if !eval::most_restrictive(program, field) {
            continue;
        }
        let standing: Vec<&eval::Candidate<'_>> = scratch.candidates()[field]
            .iter()
            .filter(|candidate| !candidate.overruled)
            .collect();
        let Some(chosen) = eval::resolve(&scratch.candidates()[field], true) else {
            continue;
        };
        if standing
            .iter()
            .all(|candidate| candidate.value.equals(chosen.value))
        {
            continue;
        }
        let among = standing
            .iter()
            .map(|candidate| {
                format!(
                    "{} (`{}`)",
                    value_text(program, facts, candidate.value),
                    program.rules[usize::from(candidate.rule)].name
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let chosen = value_text(program, facts, chosen.value);
        entries.push(TraceEntry {
            rule: format!("{} most restrictive", definition.name),
            cite: definition
                .reading
                .iter()
                .map(|citation| citation.text.clone())
                .collect::<Vec<_>>()
                .join("; "),
            confidence: definition
                .reading
                .iter()
                .map(|citation| citation.confidence)
                .max()
                .unwrap_or(cordon_lang::syntax::Confidence::Confirmed),
            concludes: vec![format!("{} = {chosen}", definition.name)],
            because: format!("several apply: {among}; the most restrictive, {chosen}, decides"),
            facts: Vec::new(),
        });
    }
    entries
}

/// For each rule that did not apply but would have changed the outcome: why not.
pub fn why_not<'a>(
    program: &'a Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
) -> Vec<WhyNot> {
    let mut entries = Vec::new();
    let date = facts.date(program).unwrap_or(jiff::civil::Date::MIN);
    for (index, rule) in program.rules.iter().enumerate() {
        if scratch.applied[index] {
            continue;
        }
        let in_window = rule.window.0.is_none_or(|from| date >= from)
            && rule.window.1.is_none_or(|to| date <= to);
        if !in_window {
            continue;
        }
        let would_change = rule.then.iter().any(|conclusion| {
            let field = usize::from(conclusion.field);
            match &program.outcome[field].kind {
                OutcomeKind::Set { .. } => scratch.sets[field] & (1 << conclusion.member) == 0,
                OutcomeKind::Single { .. } => {
                    let current = scratch.value(field);
                    match eval::evaluate_expression(program, facts, scratch, &conclusion.value) {
                        Ok(value) => !value.equals(current),
                        Err(_) => false,
                    }
                }
            }
        });
        if !would_change {
            continue;
        }
        let because_not = if let Some(defeater) = rule
            .unless
            .iter()
            .find(|other| scratch.applied[usize::from(**other)])
        {
            format!(
                "rule `{}` applies, and this rule does not apply when it does",
                program.rules[usize::from(*defeater)].name
            )
        } else {
            match first_failing(program, facts, scratch, index) {
                // A rule whose first condition (its scope: the kind of item, a license being
                // required) fails was never in play.
                Some((0, _)) | None => continue,
                Some((_, reason)) => reason,
            }
        };
        entries.push(WhyNot {
            rule: rule.name.clone(),
            cite: citation_text(program, index),
            would_conclude: conclusion_text(program, facts, scratch, index),
            because_not,
        });
    }
    entries
}

/// The first part of a rule's condition that fails, with its position and an explanation.
fn first_failing<'a>(
    program: &'a Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
    rule: usize,
) -> Option<(usize, String)> {
    for (position, conjunct) in program.rules[rule].conjuncts.iter().enumerate() {
        match eval::evaluate_expression(program, facts, scratch, &conjunct.ir) {
            Ok(Value::Bool(true)) => continue,
            Ok(_) => {
                return Some((
                    position,
                    describe_failure(program, facts, scratch, conjunct),
                ));
            }
            Err(error) => return Some((position, format!("{}: {error}", conjunct.text))),
        }
    }
    None
}

fn describe_failure<'a>(
    program: &'a Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
    conjunct: &'a crate::program::Conjunct,
) -> String {
    let Some((left_text, left, op, right_text, right)) = &conjunct.sides else {
        return match conjunct.text.strip_prefix("not ") {
            Some(negated) => format!("`{negated}` holds"),
            None => format!("`{}` does not hold", conjunct.text),
        };
    };
    let mut show = |ir| {
        eval::evaluate_expression(program, facts, scratch, ir)
            .map(|value| value_text(program, facts, value))
            .unwrap_or_else(|error| error.to_string())
    };
    let left_value = show(left);
    let right_value = show(right);
    let operands: Vec<String> = conjunct.operands.iter().map(|(_, ir)| show(ir)).collect();
    let left_shown = if conjunct.operands.is_empty() || left_text.parse::<f64>().is_ok() {
        if *left_text == left_value {
            left_value.clone()
        } else {
            format!("{left_text} = {left_value}")
        }
    } else {
        format!(
            "{left_text} = {} = {left_value}",
            arithmetic_with_values(left_text, &conjunct.operands, &operands)
        )
    };
    let right_written = *right_text == right_value;
    let right_shown = if right_written {
        right_value
    } else {
        format!("{right_text} ({right_value})")
    };
    if *op == BinaryOp::NotEqual {
        // `destination != US` failed: "destination is US"; between two computed sides, that they
        // agree.
        return if right_written && conjunct.operands.is_empty() {
            format!("{left_text} is {right_shown}")
        } else {
            format!("{left_shown}, the same as {right_shown}")
        };
    }
    let relation = match op {
        BinaryOp::Less => "is not below",
        BinaryOp::LessOrEqual => "exceeds",
        BinaryOp::Greater => "does not exceed",
        BinaryOp::GreaterOrEqual => "is below",
        BinaryOp::Equal => "is not",
        _ => "does not satisfy",
    };
    format!("{left_shown} {relation} {right_shown}")
}

/// `a + b * c` with each operand replaced by its value.
fn arithmetic_with_values(
    text: &str,
    operands: &[(String, crate::program::Ir)],
    values: &[String],
) -> String {
    let mut result = text.to_string();
    for ((operand, _), value) in operands.iter().zip(values) {
        if operand != value {
            result = result.replacen(operand.as_str(), value, 1);
        }
    }
    result.replace(" * ", " x ")
}
