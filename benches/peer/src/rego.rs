//! Rego through `regorus`: `policies/ear.rego`, entry point `data.ear.outcome`, evaluated by the
//! interpreter (`Engine::eval_rule`) or compiled once to an RVM program run by one reused
//! `RegoVM` (the fastest mode regorus offers; no instruction or time limits, as in regorus's own
//! "hot" benchmark). Each transaction's input is parsed into a `regorus::Value` up front from the
//! contract JSON text; regorus keeps integers exact (10^26 is a big integer) but multiplies
//! fractions in f64, which the policy avoids.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Value};

use crate::outcome::{self, Outcome, Review};
use crate::peer::{Case, Peer};

pub const ENTRY_POINT: &str = "data.ear.outcome";

/// The Rego source of the decision.
pub fn source() -> Result<String, String> {
    let path = crate::crate_root().join("policies/ear.rego");
    std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))
}

fn engine() -> Result<Engine, String> {
    let mut engine = Engine::new();
    engine
        .add_policy("ear.rego".to_string(), source()?)
        .map_err(|error| error.to_string())?;
    Ok(engine)
}

/// The contract JSON as regorus's input value.
pub fn input(case: &Case) -> Result<Value, String> {
    Value::from_json_str(&case.json.to_string()).map_err(|error| error.to_string())
}

/// The regorus interpreter, policy added once.
pub struct Interpreter {
    engine: Engine,
}

impl Interpreter {
    pub fn new() -> Result<Interpreter, String> {
        Ok(Interpreter { engine: engine()? })
    }
}

impl<'a> Peer<'a> for Interpreter {
    type Input = Value;

    fn name(&self) -> &'static str {
        "regorus interpreter"
    }

    fn prepare(&self, case: &'a Case) -> Result<Value, String> {
        input(case)
    }

    fn decide(&mut self, input: &Value) -> Result<Outcome, String> {
        self.engine.set_input(input.clone());
        let value = self
            .engine
            .eval_rule(ENTRY_POINT.to_string())
            .map_err(|error| error.to_string())?;
        read(&value)
    }
}

/// The regorus RVM: the policy compiled to a bytecode program once, one VM reused.
pub struct Rvm {
    vm: RegoVM,
}

impl Rvm {
    pub fn new() -> Result<Rvm, String> {
        let mut engine = engine()?;
        let compiled = engine
            .compile_with_entrypoint(&ENTRY_POINT.into())
            .map_err(|error| error.to_string())?;
        let program: Arc<Program> = Compiler::compile_from_policy(&compiled, &[ENTRY_POINT])
            .map_err(|error| error.to_string())?;
        let mut vm = RegoVM::new();
        vm.load_program(program);
        vm.set_max_instructions(usize::MAX);
        vm.set_execution_timer_config(None);
        Ok(Rvm { vm })
    }
}

impl<'a> Peer<'a> for Rvm {
    type Input = Value;

    fn name(&self) -> &'static str {
        "regorus RVM"
    }

    fn prepare(&self, case: &'a Case) -> Result<Value, String> {
        input(case)
    }

    fn decide(&mut self, input: &Value) -> Result<Outcome, String> {
        self.vm.set_input(input.clone());
        let value = self.vm.execute().map_err(|error| error.to_string())?;
        read(&value)
    }
}

/// Reads `data.ear.outcome` into the common outcome.
pub fn read(value: &Value) -> Result<Outcome, String> {
    let object = value
        .as_object()
        .map_err(|_| format!("expected the outcome object, found {value}"))?;
    let field = |name: &str| -> Result<&Value, String> {
        object
            .get(&Value::from(name))
            .ok_or_else(|| format!("outcome without `{name}`: {value}"))
    };
    let set = |name: &str, names: &[&str]| -> Result<u8, String> {
        let members: Vec<&Value> = match field(name)? {
            Value::Set(set) => set.iter().collect(),
            Value::Array(array) => array.iter().collect(),
            other => return Err(format!("{name}: expected a set, found {other}")),
        };
        members.into_iter().try_fold(0, |mask, member| {
            let text = member.as_string().map_err(|error| error.to_string())?;
            outcome::bit(names, text)
                .map(|bit| mask | bit)
                .ok_or_else(|| format!("{name}: unknown member `{text}`"))
        })
    };
    Ok(Outcome {
        classification: set("classification", &outcome::ECCNS)?,
        license_required: *field("license_required")?
            .as_bool()
            .map_err(|error| error.to_string())?,
        license_exceptions: set("license_exceptions", &outcome::EXCEPTIONS)?,
        review_policy: match field("review_policy")? {
            Value::Null => None,
            Value::String(text) => {
                Some(Review::from_name(text).ok_or_else(|| format!("review_policy: `{text}`"))?)
            }
            other => return Err(format!("review_policy: expected a string, found {other}")),
        },
        red_flags: set("red_flags", &outcome::RED_FLAGS)?,
        notices: set("notices", &outcome::NOTICES)?,
    })
}
