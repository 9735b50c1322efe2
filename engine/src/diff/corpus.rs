//! The corpus view: every transaction of a corpus decided under both versions (pinned, so each
//! transaction's date still drives the dated provisions inside each version), the transactions
//! whose outcome differs grouped by the exact set of field changes, with the rules that decided in
//! one version and not the other.
//!
//! It only calls [`crate::decide_text`] and compares the decisions; it never evaluates anything
//! itself.

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value as Json;

use crate::decision::TraceEntry;
use crate::json::outcome_matches;
use crate::{DecideError, Decision, Detail, Policy, decide_text};

/// The outcomes of a corpus compared between two versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorpusDiff {
    /// Transactions read (blank lines are not transactions).
    pub transactions: usize,
    /// Transactions whose outcome differs, or that are decided in one version and not the other.
    pub changed: usize,
    /// The changed transactions by kind of change, the most common first.
    pub groups: Vec<ChangeGroup>,
    /// Lines that cannot be decided in either version.
    pub errors: Vec<LineError>,
}

/// One field of the outcome that differs, or the transaction's validity.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldChange {
    /// `license_required: false -> true`; `decision: valid -> error: ...` when one version cannot
    /// decide the transaction.
    Value { field: String, from: Json, to: Json },
    /// A set: the members added and removed (`license_exceptions: -LPP +ACA`).
    Set {
        field: String,
        added: Vec<Json>,
        removed: Vec<Json>,
    },
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plain = |value: &Json| match value {
            Json::String(text) => text.clone(),
            other => other.to_string(),
        };
        match self {
            FieldChange::Value { field, from, to } => {
                write!(f, "{field}: {} -> {}", plain(from), plain(to))
            }
            FieldChange::Set {
                field,
                added,
                removed,
            } => {
                let members: Vec<String> = removed
                    .iter()
                    .map(|member| format!("-{}", plain(member)))
                    .chain(added.iter().map(|member| format!("+{}", plain(member))))
                    .collect();
                write!(f, "{field}: {}", members.join(" "))
            }
        }
    }
}

/// A transaction: its line in the corpus (1-based), or the number its caller gave it (see
/// [`compare_numbered`]), and its `id` when it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransactionRef {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl std::fmt::Display for TransactionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id} (line {})", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// A rule that decided in one version, with its citation there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub rule: String,
    pub cite: String,
}

/// Transactions that changed in exactly the same way.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangeGroup {
    pub changes: Vec<FieldChange>,
    pub count: usize,
    pub transactions: Vec<TransactionRef>,
    /// Rules that decided some of these transactions in the older version and not in the newer.
    pub fired_only_in_from: Vec<RuleRef>,
    /// Rules that decided some of these transactions in the newer version and not in the older.
    pub fired_only_in_to: Vec<RuleRef>,
}

/// A line that neither version can decide (not JSON, or facts that fit neither schema).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub error: String,
}

/// What one line of the corpus came to.
enum Compared {
    Blank,
    Same,
    Changed {
        transaction: TransactionRef,
        changes: Vec<FieldChange>,
        only_in_from: Vec<RuleRef>,
        only_in_to: Vec<RuleRef>,
    },
    Error(LineError),
}

/// Decides every line under `from` and `to` (version ids or `id@sha256:...` pins, already known
/// to exist) on all cores, and groups the transactions that changed.
pub fn compare(policy: &Policy, from: &str, to: &str, lines: &[String]) -> CorpusDiff {
    let compared: Vec<Compared> = lines
        .par_iter()
        .enumerate()
        .map(|(index, line)| compare_line(policy, from, to, index + 1, line))
        .collect();
    group(compared)
}

/// [`compare`] for transactions numbered by the caller rather than by their place (decision
/// records, by sequence number): each number is what [`TransactionRef::line`] and
/// [`LineError::line`] then hold.
pub fn compare_numbered(
    policy: &Policy,
    from: &str,
    to: &str,
    transactions: &[(usize, String)],
) -> CorpusDiff {
    let compared: Vec<Compared> = transactions
        .par_iter()
        .map(|(number, text)| compare_line(policy, from, to, *number, text))
        .collect();
    group(compared)
}

/// Groups compared transactions by their exact set of changes.
fn group(compared: Vec<Compared>) -> CorpusDiff {
    let mut diff = CorpusDiff {
        transactions: 0,
        changed: 0,
        groups: Vec::new(),
        errors: Vec::new(),
    };
    let mut groups: IndexMap<Vec<String>, ChangeGroup> = IndexMap::new();
    for result in compared {
        match result {
            Compared::Blank => continue,
            Compared::Same => {}
            Compared::Error(error) => diff.errors.push(error),
            Compared::Changed {
                transaction,
                changes,
                only_in_from,
                only_in_to,
            } => {
                diff.changed += 1;
                let key = changes.iter().map(ToString::to_string).collect();
                let group = groups.entry(key).or_insert_with(|| ChangeGroup {
                    changes,
                    count: 0,
                    transactions: Vec::new(),
                    fired_only_in_from: Vec::new(),
                    fired_only_in_to: Vec::new(),
                });
                group.count += 1;
                group.transactions.push(transaction);
                add_rules(&mut group.fired_only_in_from, only_in_from);
                add_rules(&mut group.fired_only_in_to, only_in_to);
            }
        }
        diff.transactions += 1;
    }
    diff.groups = groups.into_values().collect();
    // Most transactions first; ties keep the order of their first transaction.
    diff.groups
        .sort_by_key(|group| std::cmp::Reverse(group.count));
    diff
}

fn add_rules(rules: &mut Vec<RuleRef>, more: Vec<RuleRef>) {
    for rule in more {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
}

fn compare_line(policy: &Policy, from: &str, to: &str, line: usize, text: &str) -> Compared {
    if text.trim().is_empty() {
        return Compared::Blank;
    }
    let decide = |pin| decide_text(policy, Some(pin), text, Detail::Trace);
    let (before, after) = (decide(from), decide(to));
    if let (Err(before), Err(after)) = (&before, &after) {
        return Compared::Error(LineError {
            line,
            error: if before == after {
                before.to_string()
            } else {
                format!("under `{from}`: {before}; under `{to}`: {after}")
            },
        });
    }
    let changes = transaction_changes(&before, &after).unwrap_or_default();
    if changes.is_empty() {
        return Compared::Same;
    }
    let id = match (&before, &after) {
        (_, Ok(decision)) | (Ok(decision), _) => decision.id.clone(),
        (Err(_), Err(_)) => None,
    };
    let (before_trace, after_trace) = (trace_of(&before), trace_of(&after));
    Compared::Changed {
        transaction: TransactionRef { line, id },
        changes,
        only_in_from: fired_only(before_trace, after_trace),
        only_in_to: fired_only(after_trace, before_trace),
    }
}

/// The rules that decided a transaction (none when it could not be decided).
fn trace_of(decided: &Result<Decision, DecideError>) -> &[TraceEntry] {
    match decided {
        Ok(decision) => &decision.trace,
        Err(_) => &[],
    }
}

/// What changed for one transaction between its decisions under two versions: the outcome
/// fields that differ (none when it decides alike), or `decision: valid -> error: ...` when only
/// one version decides it. `None` when neither version decides it.
pub fn transaction_changes(
    before: &Result<Decision, DecideError>,
    after: &Result<Decision, DecideError>,
) -> Option<Vec<FieldChange>> {
    match (before, after) {
        (Ok(before), Ok(after)) => Some(outcome_changes(&before.outcome, &after.outcome)),
        (Ok(_), Err(error)) => Some(vec![validity(Json::from("valid"), error_value(error))]),
        (Err(error), Ok(_)) => Some(vec![validity(error_value(error), Json::from("valid"))]),
        (Err(_), Err(_)) => None,
    }
}

fn validity(from: Json, to: Json) -> FieldChange {
    FieldChange::Value {
        field: "decision".to_string(),
        from,
        to,
    }
}

fn error_value(error: &DecideError) -> Json {
    Json::String(format!("error: {error}"))
}

/// The rules in `trace` that are not in `other`.
fn fired_only(trace: &[TraceEntry], other: &[TraceEntry]) -> Vec<RuleRef> {
    trace
        .iter()
        .filter(|entry| !other.iter().any(|seen| seen.rule == entry.rule))
        .map(|entry| RuleRef {
            rule: entry.rule.clone(),
            cite: entry.cite.clone(),
        })
        .collect()
}

/// The outcome fields that differ, in the order the versions declare them.
pub fn outcome_changes(before: &[(String, Json)], after: &[(String, Json)]) -> Vec<FieldChange> {
    let mut fields: Vec<&str> = before.iter().map(|(name, _)| name.as_str()).collect();
    for (name, _) in after {
        if !fields.contains(&name.as_str()) {
            fields.push(name);
        }
    }
    let value = |outcome: &'_ [(String, Json)], field: &str| {
        outcome
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.clone())
            .unwrap_or(Json::Null)
    };
    fields
        .into_iter()
        .filter_map(|field| {
            let old = value(before, field);
            let new = value(after, field);
            if outcome_matches(&old, &new) {
                return None;
            }
            Some(match (members(&old), members(&new)) {
                (Some(old), Some(new)) => FieldChange::Set {
                    field: field.to_string(),
                    added: new.iter().filter(|m| !old.contains(m)).cloned().collect(),
                    removed: old.iter().filter(|m| !new.contains(m)).cloned().collect(),
                },
                _ => FieldChange::Value {
                    field: field.to_string(),
                    from: old.clone(),
                    to: new.clone(),
                },
            })
        })
        .collect()
}

/// The members of a set outcome (absent counts as empty); `None` for a single value.
fn members(value: &Json) -> Option<&[Json]> {
    match value {
        Json::Array(items) => Some(items),
        Json::Null => Some(&[]),
        _ => None,
    }
}
