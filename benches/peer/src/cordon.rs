//! Cordon through `cordon_engine`: the policy loaded and the `2025-01-13` version compiled once;
//! each transaction's facts read once up front (`facts::read`, not timed); a decision is
//! `eval::run` with the trace off (or, compiled to Rust, the version's `Native::run` that
//! `build.rs` wrote), reusing one scratch, and the outcome read from the scratch the way
//! `decision::outcome` reads it, into the common form instead of JSON.

use cordon_engine::eval::{self, Scratch};
use cordon_engine::facts::{self, Facts};
use cordon_engine::program::OutcomeKind;
use cordon_engine::value::Value;
use cordon_engine::{CompiledVersion, Policy};

use crate::native::v2025_01_13;
use crate::outcome::{self, Outcome, Review};
use crate::peer::{Case, Peer};

/// The pinned version the benchmark decides.
pub const VERSION: &str = "2025-01-13";

/// Loads `policies/ear` of the workspace.
pub fn load() -> Result<Policy, String> {
    Policy::load(&crate::workspace_root().join("policies/ear")).map_err(|error| error.to_string())
}

/// Which outcome field of the program carries which part of the common outcome.
#[derive(Clone, Copy)]
enum Field {
    Classification,
    LicenseRequired,
    LicenseExceptions,
    ReviewPolicy,
    RedFlags,
    Notices,
}

pub struct Cordon<'a> {
    version: &'a CompiledVersion,
    /// The version compiled to Rust, when that is what decides.
    native: Option<v2025_01_13::Native<'a>>,
    scratch: Scratch<'a>,
    /// For each outcome field of the program: what it is and, for sets, the common bit of each
    /// member; for the review policy, the review of each enum variant.
    fields: Vec<(Field, Vec<u8>, Vec<Option<Review>>)>,
}

impl<'a> Cordon<'a> {
    pub fn new(policy: &'a Policy) -> Result<Cordon<'a>, String> {
        let version = policy.pinned(VERSION).map_err(|error| error.to_string())?;
        let program = &version.program;
        let name_of = |value: Value<'_>| -> String {
            match value {
                Value::Eccn(text) | Value::Str(text) => text.to_string(),
                Value::Enum(enumeration, index) => program
                    .enums
                    .get(usize::from(enumeration))
                    .and_then(|enumeration| enumeration.variants.get(usize::from(index)))
                    .cloned()
                    .unwrap_or_default(),
                other => format!("{other:?}"),
            }
        };
        let mut fields = Vec::new();
        for definition in &program.outcome {
            let (field, names): (Field, &[&str]) = match definition.name.as_str() {
                "classification" => (Field::Classification, &outcome::ECCNS),
                "license_required" => (Field::LicenseRequired, &[]),
                "license_exceptions" => (Field::LicenseExceptions, &outcome::EXCEPTIONS),
                "review_policy" => (Field::ReviewPolicy, &[]),
                "red_flags" => (Field::RedFlags, &outcome::RED_FLAGS),
                "notices" => (Field::Notices, &outcome::NOTICES),
                other => return Err(format!("unexpected outcome field `{other}`")),
            };
            let mut bits = Vec::new();
            let mut reviews = Vec::new();
            match &definition.kind {
                OutcomeKind::Set { members, .. } => {
                    for member in members {
                        let name = name_of(program.literal_value(member));
                        bits.push(outcome::bit(names, &name).ok_or_else(|| {
                            format!("{}: unexpected member `{name}`", definition.name)
                        })?);
                    }
                }
                OutcomeKind::Single {
                    enum_index: Some(enumeration),
                    ..
                } => {
                    let variants = &program.enums[usize::from(*enumeration)].variants;
                    reviews = variants
                        .iter()
                        .map(|name| Review::from_name(name))
                        .collect();
                }
                OutcomeKind::Single { .. } => {}
            }
            fields.push((field, bits, reviews));
        }
        Ok(Cordon {
            version,
            native: None,
            scratch: Scratch::default(),
            fields,
        })
    }

    /// Cordon deciding with the version compiled to Rust.
    pub fn native(policy: &'a Policy) -> Result<Cordon<'a>, String> {
        let mut cordon = Cordon::new(policy)?;
        cordon.native = Some(v2025_01_13::Native::new(cordon.version)?);
        Ok(cordon)
    }
}

impl<'a> Peer<'a> for Cordon<'a> {
    type Input = Facts<'a>;

    fn name(&self) -> &'static str {
        match self.native {
            Some(_) => "Cordon compiled to Rust",
            None => "Cordon",
        }
    }

    fn prepare(&self, case: &'a Case) -> Result<Facts<'a>, String> {
        facts::read(&self.version.program, &case.json).map_err(|errors| format!("{errors:?}"))
    }

    fn decide(&mut self, input: &Facts<'a>) -> Result<Outcome, String> {
        let program = &self.version.program;
        match &self.native {
            Some(native) => native.run(input, &mut self.scratch),
            None => eval::run(program, input, &mut self.scratch),
        }
        .map_err(|error| error.to_string())?;
        let mut result = Outcome::default();
        for (index, (field, bits, reviews)) in self.fields.iter().enumerate() {
            match field {
                Field::LicenseRequired | Field::ReviewPolicy => {
                    match (field, self.scratch.value(index)) {
                        (Field::LicenseRequired, Value::Bool(required)) => {
                            result.license_required = required
                        }
                        (Field::ReviewPolicy, Value::Null) => result.review_policy = None,
                        (Field::ReviewPolicy, Value::Enum(_, variant)) => {
                            result.review_policy =
                                reviews.get(usize::from(variant)).copied().flatten()
                        }
                        (_, other) => return Err(format!("unexpected outcome value {other:?}")),
                    }
                }
                _ => {
                    let mask = self.scratch.sets[index];
                    let mut common = 0;
                    let mut rest = mask;
                    while rest != 0 {
                        let member = rest.trailing_zeros() as usize;
                        common |= bits.get(member).copied().unwrap_or(0);
                        rest &= rest - 1;
                    }
                    match field {
                        Field::Classification => result.classification = common,
                        Field::LicenseExceptions => result.license_exceptions = common,
                        Field::RedFlags => result.red_flags = common,
                        _ => result.notices = common,
                    }
                }
            }
        }
        Ok(result)
    }
}

/// Cordon's full public path for one transaction: `cordon_engine::decide` from the JSON value,
/// the outcome read back from the decision's JSON. The cross-check holds the fast path to it.
pub fn decide_json(policy: &Policy, json: &serde_json::Value) -> Result<Outcome, String> {
    let decision = cordon_engine::decide(policy, Some(VERSION), json, false)
        .map_err(|error| error.to_string())?;
    Outcome::from_contract_json(&decision.outcome).map_err(|error| error.to_string())
}
