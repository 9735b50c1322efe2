//! The Cordon engine: compile a checked policy version once, evaluate many transactions against
//! it, explain each decision, and compare versions.
//!
//! ```
//! use cordon_engine::{Detail, Policy, decide};
//!
//! // Load, check and compile every version of the policy once.
//! let policy = Policy::load(std::path::Path::new("../policies/ear"))?;
//! // One transaction, as the contract's JSON: 1,000 H100s to India on 2025-06-01.
//! let facts: serde_json::Value = serde_json::from_str(include_str!("../../examples/h100-to-india.json"))?;
//!
//! // The version in force on the transaction's date decides (the outcome only)...
//! let decision = decide(&policy, None, &facts, Detail::Outcome)?;
//! assert_eq!(decision.policy.version, "2025-05-13");
//! assert_eq!(decision.outcome("license_required"), Some(&serde_json::json!(false)));
//!
//! // ...unless a version is pinned: the AI Diffusion rule as written requires a license. The
//! // trace says which provisions decided it (`Detail::Explain` adds why other outcomes did not
//! // happen).
//! let pinned = decide(&policy, Some("2025-01-13"), &facts, Detail::Trace)?;
//! assert_eq!(pinned.outcome("license_required"), Some(&serde_json::json!(true)));
//! assert!(decision.trace.is_empty() && !pinned.trace.is_empty() && pinned.why_not.is_empty());
//! for entry in &pinned.trace {
//!     println!("{} ({}): {}", entry.rule, entry.cite, entry.concludes.join(", "));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A batch decides JSON text rather than values: [`decide_text_in`] reads each line straight into
//! the facts' slots (no JSON value is built) and reuses a [`Workspace`] per thread:
//!
//! ```
//! # let policy = cordon_engine::Policy::load(std::path::Path::new("../policies/ear"))?;
//! use cordon_engine::{Workspace, decide_text_in};
//!
//! let lines = [include_str!("../../examples/h100-to-india.json").replace('\n', " ")];
//! let mut workspace = Workspace::default();
//! let mut out = Vec::new();
//! for line in &lines {
//!     decide_text_in(&policy, None, line, false, &mut workspace)?.write_json_line(&mut out);
//! }
//! assert!(out.starts_with(b"{\"id\":\"PO-2025-0042\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pipeline, each module taking only what the ones before it give: [`value`] the values and their
//! comparisons; [`program`] the compiled program's data; [`compile`] builds it from a checked
//! version (lowering expressions, then conditions to branch code, then laying out the questions
//! about one fact); [`policy`] loads and checks sources (through `cordon-lang`), compiles each
//! version and picks the one that decides; [`facts`] reads a transaction against the program's
//! schema; [`answers`] answers the program's questions for it; [`eval`] runs the rules, resolving
//! each outcome as [`semantics`] states (the one statement the written Rust of [`native`] and the
//! symbolic run of [`diff`] share); [`decision`] and [`explain`] say what was decided and why; the
//! functions here put those steps together, and [`batch`], [`testing`] and [`diff`] call them.
//! Evaluation never runs salsa; values borrow from the transaction and the program, so a rule's
//! condition is evaluated without allocating.

pub mod answers;
pub mod batch;
pub mod compile;
pub mod decision;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod json;
pub mod native;
pub mod policy;
pub mod program;
pub mod semantics;
pub mod testing;
pub mod text;
pub mod value;

pub use decision::Decision;
pub use policy::{CompiledVersion, Policy, PolicyError};

use facts::FactError;

/// Why a transaction could not be decided.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecideError {
    /// Facts that do not fit the schema: each with its path.
    Facts { errors: Vec<FactError> },
    /// No version decides (unknown version, bad pin, no version in force on the date).
    Version { message: String },
    /// The decision needed something the transaction lacks, or the rules disagree.
    Evaluation { path: String, message: String },
}

impl std::fmt::Display for DecideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecideError::Facts { errors } => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("; "))
            }
            DecideError::Version { message } => f.write_str(message),
            DecideError::Evaluation { path, message } if path.is_empty() => f.write_str(message),
            DecideError::Evaluation { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for DecideError {}

/// How much of the explanation a decision carries. `true` is [`Detail::Explain`] and `false`
/// [`Detail::Outcome`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The outcome only.
    Outcome,
    /// The outcome and the trace: the rules that decided it, with their citations and the facts
    /// they read.
    Trace,
    /// The trace and, for each outcome that might have happened and did not, why not.
    Explain,
}

impl From<bool> for Detail {
    fn from(explain: bool) -> Detail {
        if explain {
            Detail::Explain
        } else {
            Detail::Outcome
        }
    }
}

/// Decides one transaction. Without `pin`, the version in force on the transaction's date
/// decides; with it, that version (`id` or `id@sha256:...`).
pub fn decide(
    policy: &Policy,
    pin: Option<&str>,
    json: &serde_json::Value,
    detail: impl Into<Detail>,
) -> Result<Decision, DecideError> {
    let version = match pin {
        Some(pin) => policy.pinned(pin).map_err(|error| DecideError::Version {
            message: error.to_string(),
        })?,
        None => {
            let first = policy
                .versions
                .first()
                .ok_or_else(|| DecideError::Version {
                    message: format!("policy `{}` has no versions", policy.name),
                })?;
            // The date picks the version; any other problem is reported by that version's schema.
            let Some(date) = read_date(json) else {
                return Err(match facts::read(&first.program, json) {
                    Err(errors) => DecideError::Facts { errors },
                    Ok(_) => DecideError::Facts {
                        errors: vec![missing_date()],
                    },
                });
            };
            policy
                .in_force_on(date)
                .map_err(|error| DecideError::Version {
                    message: error.to_string(),
                })?
        }
    };
    decide_with(version, json, detail)
}

/// Decides one transaction given as JSON text (a line of a `.jsonl` batch).
pub fn decide_text(
    policy: &Policy,
    pin: Option<&str>,
    text: &str,
    detail: impl Into<Detail>,
) -> Result<Decision, DecideError> {
    decide_text_in(policy, pin, text, detail, &mut Workspace::default())
}

/// The buffers of one decision (the facts' slots and the evaluator's state), kept from one
/// transaction to the next so that a batch does not allocate them again for every line. A
/// workspace borrows from the transactions it reads: keep one per thread for texts that outlive
/// it (rayon's `map_init`, over the lines of a chunk).
#[derive(Debug, Default)]
pub struct Workspace<'a> {
    facts: facts::Facts<'a>,
    errors: Vec<FactError>,
    scratch: eval::Scratch<'a>,
}

/// [`decide_text`] with a [`Workspace`]: the text is read straight into the facts' slots (no
/// JSON value is built), with the same checks and messages as [`decide`].
pub fn decide_text_in<'a>(
    policy: &'a Policy,
    pin: Option<&str>,
    text: &'a str,
    detail: impl Into<Detail>,
    workspace: &mut Workspace<'a>,
) -> Result<Decision, DecideError> {
    let detail = detail.into();
    let pinned = pin.map(|pin| policy.pinned(pin));
    // The version whose schema reads the text: the pinned one, else the first (the date, read
    // with it, picks the version).
    let reader = match &pinned {
        Some(Ok(version)) => *version,
        _ => match policy.versions.first() {
            Some(first) => first,
            None => return decide_json_text(policy, pin, text, detail),
        },
    };
    let Workspace {
        facts,
        errors,
        scratch,
    } = workspace;
    match read_text(&reader.program, text, facts, errors) {
        Ok(()) => {}
        Err(TextRead::Error(error)) => return Err(error),
        Err(TextRead::Escaped) => return decide_json_text(policy, pin, text, detail),
    }
    let version = match pinned {
        Some(pinned) => pinned.map_err(|error| DecideError::Version {
            message: error.to_string(),
        })?,
        None => {
            let Some(date) = facts.date(&reader.program) else {
                // Without a date, the first version's schema reports the problems.
                if errors.is_empty() {
                    facts::complete(&reader.program, facts, errors);
                }
                if errors.is_empty() {
                    errors.push(missing_date());
                }
                return Err(DecideError::Facts {
                    errors: std::mem::take(errors),
                });
            };
            let version = policy
                .in_force_on(date)
                .map_err(|error| DecideError::Version {
                    message: error.to_string(),
                })?;
            if !version.reads_like_first {
                match read_text(&version.program, text, facts, errors) {
                    Ok(()) => {}
                    Err(TextRead::Error(error)) => return Err(error),
                    Err(TextRead::Escaped) => return decide_json_text(policy, pin, text, detail),
                }
            }
            version
        }
    };
    facts::complete(&version.program, facts, errors);
    if !errors.is_empty() {
        return Err(DecideError::Facts {
            errors: std::mem::take(errors),
        });
    }
    decide_facts(version, facts, scratch, detail)
}

enum TextRead {
    Error(DecideError),
    /// See [`facts::TextError::Escaped`].
    Escaped,
}

fn read_text<'a>(
    program: &program::Program,
    text: &'a str,
    facts: &mut facts::Facts<'a>,
    errors: &mut Vec<FactError>,
) -> Result<(), TextRead> {
    errors.clear();
    facts::read_text(program, text, facts, errors).map_err(|error| match error {
        facts::TextError::Syntax(error) => TextRead::Error(not_json(&error)),
        facts::TextError::NotAnObject => TextRead::Error(not_an_object()),
        facts::TextError::Escaped => TextRead::Escaped,
    })
}

/// A problem with a transaction as a whole (no fact path).
fn whole(message: String) -> DecideError {
    DecideError::Facts {
        errors: vec![FactError {
            path: String::new(),
            message,
        }],
    }
}

fn not_json(error: &serde_json::Error) -> DecideError {
    whole(format!("not valid JSON: {error}"))
}

fn not_an_object() -> DecideError {
    whole("a transaction must be a JSON object".to_string())
}

fn missing_date() -> FactError {
    FactError {
        path: "date".to_string(),
        message: "missing: the transaction's date decides which version applies".to_string(),
    }
}

/// Decides a transaction's text through a parsed JSON value (for texts whose strings have escapes,
/// which slots cannot borrow from the text).
fn decide_json_text(
    policy: &Policy,
    pin: Option<&str>,
    text: &str,
    detail: Detail,
) -> Result<Decision, DecideError> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|error| not_json(&error))?;
    if !json.is_object() {
        return Err(not_an_object());
    }
    decide(policy, pin, &json, detail)
}

/// The transaction's date, if it is a well-formed `YYYY-MM-DD`.
fn read_date(json: &serde_json::Value) -> Option<jiff::civil::Date> {
    let text = json.get("date")?.as_str()?;
    let shape = text.len() == 10
        && text.as_bytes().get(4) == Some(&b'-')
        && text.as_bytes().get(7) == Some(&b'-');
    if shape { text.parse().ok() } else { None }
}

/// Decides one transaction with one version.
pub fn decide_with(
    version: &CompiledVersion,
    json: &serde_json::Value,
    detail: impl Into<Detail>,
) -> Result<Decision, DecideError> {
    let facts =
        facts::read(&version.program, json).map_err(|errors| DecideError::Facts { errors })?;
    decide_facts(
        version,
        &facts,
        &mut eval::Scratch::default(),
        detail.into(),
    )
}

/// Evaluates facts already read and completed, and builds the decision.
fn decide_facts<'a>(
    version: &'a CompiledVersion,
    facts: &facts::Facts<'a>,
    scratch: &mut eval::Scratch<'a>,
    detail: Detail,
) -> Result<Decision, DecideError> {
    let program = &version.program;
    eval::run(program, facts, scratch).map_err(|error| DecideError::Evaluation {
        path: error.path,
        message: error.message,
    })?;
    let outcome = decision::outcome(program, facts, scratch);
    let trace = match detail {
        Detail::Outcome => Vec::new(),
        Detail::Trace | Detail::Explain => explain::trace(program, facts, scratch),
    };
    let why_not = match detail {
        Detail::Explain => explain::why_not(program, facts, scratch),
        Detail::Outcome | Detail::Trace => Vec::new(),
    };
    Ok(Decision {
        id: decision::transaction_id(program, facts),
        date: facts
            .date(program)
            .map(|date| date.to_string())
            .unwrap_or_default(),
        policy: decision::PolicyRef {
            name: version.policy.clone(),
            version: version.id.clone(),
            hash: version.hash.clone(),
        },
        outcome,
        trace,
        why_not,
    })
}
