//! The Cordon engine: compile a checked policy version once, evaluate many transactions against
//! it, explain each decision, and compare versions.
//!
//! ```
//! use cordon_engine::{Policy, decide};
//!
//! // Load, check and compile every version of the policy once.
//! let policy = Policy::load(std::path::Path::new("../policies/ear"))?;
//! // One transaction, as the contract's JSON: 1,000 H100s to India on 2025-06-01.
//! let facts: serde_json::Value = serde_json::from_str(include_str!("../../examples/h100-to-india.json"))?;
//!
//! // The version in force on the transaction's date decides...
//! let decision = decide(&policy, None, &facts, true)?;
//! assert_eq!(decision.policy.version, "2025-05-13");
//! assert_eq!(decision.outcome("license_required"), Some(&serde_json::json!(false)));
//!
//! // ...unless a version is pinned: the AI Diffusion rule as written requires a license.
//! let pinned = decide(&policy, Some("2025-01-13"), &facts, true)?;
//! assert_eq!(pinned.outcome("license_required"), Some(&serde_json::json!(true)));
//! for entry in &pinned.trace {
//!     println!("{} ({}): {}", entry.rule, entry.cite, entry.concludes.join(", "));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pipeline: [`policy`] loads and checks sources (through `cordon-lang`) and picks a version;
//! [`compile`] turns it into a flat program; [`facts`] reads a transaction against its schema;
//! [`eval`] runs the rules; [`explain`] and [`decision`] say what was decided and why.
//! Evaluation never runs salsa; values borrow from the transaction and the program, so a rule's
//! condition is evaluated without allocating.

pub mod compile;
pub mod decision;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod json;
pub mod policy;
pub mod testing;
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

/// Decides one transaction. Without `pin`, the version in force on the transaction's date
/// decides; with it, that version (`id` or `id@sha256:...`).
pub fn decide(
    policy: &Policy,
    pin: Option<&str>,
    json: &serde_json::Value,
    explain: bool,
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
                        errors: vec![FactError {
                            path: "date".to_string(),
                            message:
                                "missing: the transaction's date decides which version applies"
                                    .to_string(),
                        }],
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
    decide_with(version, json, explain)
}

/// Decides one transaction given as JSON text (a line of a `.jsonl` batch).
pub fn decide_text(
    policy: &Policy,
    pin: Option<&str>,
    text: &str,
    explain: bool,
) -> Result<Decision, DecideError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|error| DecideError::Facts {
            errors: vec![FactError {
                path: String::new(),
                message: format!("not valid JSON: {error}"),
            }],
        })?;
    if !json.is_object() {
        return Err(DecideError::Facts {
            errors: vec![FactError {
                path: String::new(),
                message: "a transaction must be a JSON object".to_string(),
            }],
        });
    }
    decide(policy, pin, &json, explain)
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
    explain: bool,
) -> Result<Decision, DecideError> {
    let program = &version.program;
    let facts = facts::read(program, json).map_err(|errors| DecideError::Facts { errors })?;
    let mut scratch = eval::Scratch::default();
    eval::run(program, &facts, &mut scratch).map_err(|error| DecideError::Evaluation {
        path: error.path,
        message: error.message,
    })?;
    let outcome = decision::outcome(program, &facts, &scratch);
    let (trace, why_not) = if explain {
        (
            explain::trace(program, &facts, &mut scratch),
            explain::why_not(program, &facts, &mut scratch),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Decision {
        id: decision::transaction_id(program, &facts),
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
