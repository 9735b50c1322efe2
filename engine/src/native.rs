//! Compile to Rust: one version's rules written out as a Rust function, for programs that decide
//! with a pinned version and want it at the speed of code written by hand. Takes a
//! [`CompiledVersion`]; gives Rust source, whose runtime is [`runtime`] (the interpreter's steps).
//!
//! The function does what [`crate::eval::run`] does, with the interpreter's loops unrolled:
//! - the question table answered fact by fact into an array on the stack, read with constant
//!   indexes: the answers for each yes/no, enum and country value (for every stretch of time, for
//!   questions about groups) and the comparisons of numbers with their thresholds written out;
//! - each rule's window and `unless` check with its own dates and rules;
//! - its branch code as forward jumps out of labeled blocks;
//! - comparisons of computed values (sums, products, max and min of facts, definitions and
//!   outcomes) written out, and each definition as a function of its own (yes/no ones as branch
//!   code, values such as total TPP as expressions);
//! - set members and single values drawn directly.
//!
//! The rest (values a shortcut does not cover, other expressions, conflicts, the caches) goes
//! through the interpreter's own steps ([`crate::eval::Context`]), so the two decide alike by
//! construction; `benches/peer/tests/native.rs` decides every EAR version both ways to hold them to
//! it.
//!
//! The code is bound to the compiled program it was written from: `Native::new` refuses any other
//! (a fingerprint of the program: the same sources compiled by another release of the engine can
//! number their questions differently).
//!
//! ```text
//! // build.rs
//! let policy = cordon_engine::Policy::load(Path::new("policies/ear"))?;
//! let version = policy.pinned("2025-01-13")?;
//! std::fs::write(out_dir.join("ear_2025_01_13.rs"), cordon_engine::native::rust_source(version))?;
//! // src/lib.rs
//! mod ear_2025_01_13 { include!(concat!(env!("OUT_DIR"), "/ear_2025_01_13.rs")); }
//! let native = ear_2025_01_13::Native::new(policy.pinned("2025-01-13")?)?;
//! native.run(&facts, &mut scratch)?; // then read the scratch as after `eval::run`
//! ```

use std::fmt::Write;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::policy::{CompiledVersion, digest_name};
use crate::program::{
    ACCEPT, Atom, Code, CompiledConclusion, How, Ir, Operand, OutcomeKind, Packed, Program, REJECT,
    Target, unanswered_above,
};
use crate::value::Value;

/// What generated code uses, in one place.
pub mod runtime {
    pub use cordon_lang::hir::BinaryOp;
    pub use jiff::civil::Date;
    pub use rust_decimal::Decimal;

    pub use super::fingerprint;
    pub use crate::answers::write_group;
    pub use crate::eval::{Context, Scratch};
    pub use crate::facts::{FactError, Facts};
    pub use crate::policy::CompiledVersion;
    pub use crate::program::{Program, UNANSWERED, accepts, at_scale};
    pub use crate::value::{Value, compare, extreme};
}

/// Branch code longer than this is run by the interpreter: its blocks would nest too deep.
const LONGEST_CODE: usize = 256;

/// `sha256:<hex>` of a compiled program, everything evaluation reads included.
pub fn fingerprint(program: &Program) -> String {
    digest_name(&Sha256::digest(format!("{program:?}").as_bytes()))
}

/// The Rust source of a module deciding `version`: a `Native` type made from the compiled version
/// (`Native::new`) whose `run` fills a [`crate::eval::Scratch`] as `eval::run` does.
pub fn rust_source(version: &CompiledVersion) -> String {
    let program = &version.program;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Written by cordon-engine from version `{}` of policy `{}` ({}).\n\
         // Do not edit: write it again with `cordon_engine::native::rust_source`.\n\n\
         #[allow(unused_imports)]\n\
         use cordon_engine::native::runtime::*;\n\n\
         /// The version this code decides.\n\
         pub const VERSION: &str = {:?};\n\
         /// The compiled program it was written from.\n\
         pub const FINGERPRINT: &str = {:?};",
        version.id,
        version.policy,
        version.hash,
        version.id,
        fingerprint(program),
    );
    out.push_str(
        "\n/// The version's rules as Rust, bound to the compiled version they were written from.\n\
         pub struct Native<'p> {\n    program: &'p Program,\n}\n\n\
         impl<'p> Native<'p> {\n\
         \x20   /// Refuses a compiled version other than the one this code was written from.\n\
         \x20   pub fn new(version: &'p CompiledVersion) -> Result<Native<'p>, String> {\n\
         \x20       if version.id != VERSION || fingerprint(&version.program) != FINGERPRINT {\n\
         \x20           return Err(format!(\n\
         \x20               \"this code was written from version `{VERSION}` as compiled then \
         ({FINGERPRINT}); write it again from version `{}`\",\n\
         \x20               version.id\n\
         \x20           ));\n\
         \x20       }\n\
         \x20       Ok(Native { program: &version.program })\n\
         \x20   }\n\n\
         \x20   /// Decides as `cordon_engine::eval::run` does with the version's program.\n\
         \x20   pub fn run<'a>(&self, facts: &Facts<'a>, scratch: &mut Scratch<'a>) -> Result<(), FactError>\n\
         \x20   where\n\
         \x20       'p: 'a,\n\
         \x20   {\n\
         \x20       let mut cx = Context::begin(self.program, facts, scratch);\n\
         \x20       match rules(&mut cx) {\n\
         \x20           Ok(()) => cx.finish(),\n\
         \x20           Err(error) => Err(*error),\n\
         \x20       }\n\
         \x20   }\n\
         }\n\n\
         /// The rules in the program's order, each after the rules whose outcomes it reads.\n\
         #[allow(unused_labels, unused_variables, clippy::all)]\n\
         fn rules<'p: 'a, 'a>(cx: &mut Context<'p, '_, '_, 'a>) -> Result<(), Box<FactError>> {\n\
         \x20   let answers = &answer_questions(cx);\n",
    );
    for (index, rule) in program.rules.iter().enumerate() {
        let citations: Vec<String> = rule
            .citations
            .iter()
            .map(|citation| citation.text.clone())
            .collect();
        let _ = writeln!(
            out,
            "    // {} ({})\n    cx.enter({index});",
            rule.name,
            citations.join("; ")
        );
        // `Context::may_apply` with the rule's own dates and rules.
        let mut may_apply = Vec::new();
        if let Some(from) = rule.window.0 {
            may_apply.push(format!("cx.date() >= {}", date(from)));
        }
        if let Some(to) = rule.window.1 {
            may_apply.push(format!("cx.date() <= {}", date(to)));
        }
        may_apply.extend(
            rule.unless
                .iter()
                .map(|other| format!("!cx.applied({other})")),
        );
        match may_apply.is_empty() {
            true => out.push_str("    {\n"),
            false => {
                let _ = writeln!(out, "    if {} {{", may_apply.join(" && "));
            }
        }
        match &rule.when {
            Some(code) => emit_code(&mut out, program, code, Owner::Rule(index as u16)),
            None => out.push_str("        let holds = true;\n"),
        }
        let _ = writeln!(
            out,
            "        if holds {{\n            cx.mark_applied({index});"
        );
        for (number, conclusion) in rule.then.iter().enumerate() {
            let _ = writeln!(
                out,
                "            {};",
                conclude(program, index, number, conclusion)
            );
        }
        out.push_str("        }\n    }\n");
    }
    out.push_str("    Ok(())\n}\n");
    write_questions(&mut out, program);
    for (index, define) in program.defines.iter().enumerate() {
        let index = index as u16;
        let (function, returns, known) = match &define.test {
            Some(_) => (format!("define_{index}"), "bool", "cx.truth(value)"),
            None => (format!("value_{index}"), "Value<'a>", "Ok(value)"),
        };
        let _ = writeln!(
            out,
            "\n/// The definition `{}`, computed once per transaction.\n\
             #[allow(dead_code, unused_labels, unused_variables, clippy::all)]\n\
             fn {function}<'p: 'a, 'a>(\n\
             \x20   cx: &mut Context<'p, '_, '_, 'a>,\n\
             \x20   answers: &[u8; ANSWERS],\n\
             ) -> Result<{returns}, Box<FactError>> {{\n\
             \x20   if let Some(value) = cx.known_define({index}) {{\n\
             \x20       return {known};\n\
             \x20   }}",
            define.name
        );
        match &define.test {
            Some(code) => {
                emit_code(&mut out, program, code, Owner::Define(index));
                out.push_str("    let value = Value::Bool(holds);\n");
            }
            None => {
                // A value not written here is the interpreter's.
                let value = expression(program, &define.value)
                    .unwrap_or_else(|| format!("cx.define({index})?"));
                let _ = writeln!(out, "    let value = {value};");
            }
        }
        let _ = writeln!(
            out,
            "    cx.keep_define({index}, value);\n    Ok({})\n}}",
            if define.test.is_some() {
                "holds"
            } else {
                "value"
            }
        );
    }
    out
}

/// Writes `answer_questions`, answering the question table as `Context::answer_questions` does:
/// the answers for each yes/no or enum value and the comparisons of a number with its thresholds
/// written into the function, a country's through tables of classes and answers written as
/// statics; what else a fact holds (and facts of other kinds) through `Context::answer_group`.
fn write_questions(out: &mut String, program: &Program) {
    let _ = writeln!(
        out,
        "\n/// A transaction's answers: a byte per question of the table, and room to write a whole\n\
         /// group at the last.\n\
         const ANSWERS: usize = {};\n\n\
         /// Answers the question table for this transaction (and keeps the answers for the tests\n\
         /// the interpreter runs).\n\
         #[allow(clippy::all)]\n\
         fn answer_questions<'p: 'a, 'a>(cx: &mut Context<'p, '_, '_, 'a>) -> [u8; ANSWERS] {{\n\
         \x20   let mut answers = [UNANSWERED; ANSWERS];",
        program.questions.answer_bytes()
    );
    // Tables too long to write into the function.
    let mut statics = String::new();
    for (index, group) in program.questions.groups().enumerate() {
        let (slot, first) = (group.slot, group.first);
        let path = program
            .slots
            .get(usize::from(slot))
            .map_or("", |slot| slot.path.as_str());
        let _ = match group.count {
            1 => writeln!(out, "    // {path}: question {first}"),
            count => writeln!(
                out,
                "    // {path}: questions {first} to {}",
                first + count - 1
            ),
        };
        let mut arms = Vec::new();
        match group.how {
            // Looked up by value rather than matched: the value is data, and a jump on it would
            // be mispredicted as often as it changes.
            How::Bool(answers) => arms.push(format!(
                "Some(Value::Bool(value)) => write_group(&mut answers, {first}, {}[usize::from(value)]),",
                packed_list(&answers)
            )),
            How::Enum(enumeration, answers) => arms.push(format!(
                "Some(Value::Enum({enumeration}, variant)) if usize::from(variant) < {} => \
                 write_group(&mut answers, {first}, {}[usize::from(variant)]),",
                answers.len(),
                packed_list(&answers)
            )),
            How::Numbers(scale, thresholds) => {
                let answers: Vec<String> = thresholds
                    .iter()
                    .enumerate()
                    .map(|(byte, (threshold, orderings))| {
                        format!("accepts({orderings:#05b}, number, {threshold}) << {}", 8 * byte)
                    })
                    .collect();
                arms.push(format!(
                    "Some(Value::Number(number)) if let Some(number) = at_scale(number, {scale}) => \
                     write_group(&mut answers, {first}, {} | {:#x}),",
                    answers.join(" | "),
                    unanswered_above(thresholds.len())
                ));
            }
            How::Country(classes, stride, answers) => {
                let list = |items: Vec<String>| items.join(", ");
                let _ = writeln!(
                    statics,
                    "\n/// The class of each country code for questions {first} on.\n\
                     static CLASSES_{first}: [u8; {}] = [{}];\n\
                     /// The answers to questions {first} on for each stretch of time and class.\n\
                     static ANSWERS_{first}: [u64; {}] = [{}];",
                    classes.len(),
                    list(classes.iter().map(u8::to_string).collect()),
                    answers.len(),
                    list(answers.iter().map(|packed| format!("{packed:#x}")).collect()),
                );
                arms.push(format!(
                    "Some(Value::Country(code)) if let Some(class) = CLASSES_{first}.get(usize::from(code)) \
                     && let Some(packed) = ANSWERS_{first}.get(cx.segment() * {stride} + usize::from(*class)) => \
                     write_group(&mut answers, {first}, *packed),"
                ));
            }
            How::Interpreted => {}
        }
        match arms.is_empty() {
            true => {
                let _ = writeln!(out, "    cx.answer_group({index}, &mut answers);");
            }
            false => {
                let _ = writeln!(out, "    match cx.present({slot}) {{");
                for arm in arms {
                    let _ = writeln!(out, "        {arm}");
                }
                // An absent fact leaves its questions unanswered, as they start (every group
                // writes its bytes past its own questions unanswered).
                out.push_str("        None => {}\n");
                let _ = writeln!(
                    out,
                    "        _ => cx.answer_group({index}, &mut answers),\n    }}"
                );
            }
        }
    }
    out.push_str("    cx.keep_answers(&answers);\n    answers\n}\n");
    out.push_str(&statics);
}

/// Packed answers as a Rust array expression.
fn packed_list(answers: &[Packed]) -> String {
    let answers: Vec<String> = answers
        .iter()
        .map(|packed| format!("{packed:#x}u64"))
        .collect();
    format!("[{}]", answers.join(", "))
}

/// The Rust reading a definition's value (by index), as `Context::define` reads it: through the
/// function written for it (every definition has one).
fn define(program: &Program, index: u16) -> String {
    match program.defines.get(usize::from(index)) {
        Some(define) if define.test.is_some() => {
            format!("Value::Bool(define_{index}(cx, answers)?)")
        }
        Some(_) => format!("value_{index}(cx, answers)?"),
        None => format!("cx.define({index})?"),
    }
}

/// Whose branch code is being written: a rule's (in `rules`) or a definition's (in its own
/// function).
#[derive(Clone, Copy)]
enum Owner {
    Rule(u16),
    Define(u16),
}

/// Writes `let holds = ...;` deciding a branch code: test `i` follows the blocks labeled up to
/// `'t{i}`, so jumping forward to it is breaking out of that block.
fn emit_code(out: &mut String, program: &Program, code: &Code, owner: Owner) {
    let indent = match owner {
        Owner::Rule(_) => "        ",
        Owner::Define(_) => "    ",
    };
    // Every jump goes to a later test of this code (or ends it).
    let forward = code.tests.iter().enumerate().all(|(index, test)| {
        [test.on_true, test.on_false].iter().all(|target| {
            matches!(*target, ACCEPT | REJECT)
                || (index + 1..code.tests.len()).contains(&usize::from(*target))
        })
    });
    if code.tests.is_empty() || code.tests.len() > LONGEST_CODE || !forward {
        let interpreted = match owner {
            Owner::Rule(rule) => format!("cx.rule_holds({rule})?"),
            Owner::Define(index) => format!("cx.define_holds({index})?"),
        };
        let _ = writeln!(out, "{indent}let holds = {interpreted};");
        return;
    }
    let _ = writeln!(out, "{indent}let holds = 'c: {{");
    for index in (1..code.tests.len()).rev() {
        let _ = writeln!(out, "{indent}    't{index}: {{");
    }
    for (index, test) in code.tests.iter().enumerate() {
        if index > 0 {
            let _ = writeln!(out, "{indent}    }}");
        }
        let _ = writeln!(
            out,
            "{indent}    if {} {{ {} }} else {{ {} }}",
            atom(program, &test.atom, owner, index as u16),
            jump(test.on_true),
            jump(test.on_false)
        );
    }
    let _ = writeln!(out, "{indent}}};");
}

fn jump(target: Target) -> String {
    match target {
        ACCEPT => "break 'c true".to_string(),
        REJECT => "break 'c false".to_string(),
        next => format!("break 't{next}"),
    }
}

/// The Rust deciding one test.
fn atom(program: &Program, atom: &Atom, owner: Owner, test: u16) -> String {
    match atom {
        Atom::Known(index) => format!("cx.known_answer(answers[{index}], {index})?"),
        Atom::OutcomeHas(field, member) => format!("cx.outcome_has({field}, {member})"),
        Atom::Outcome(field) => format!("cx.outcome_holds({field})?"),
        // As `Context::atom`: the definition's value taken as a condition.
        Atom::Define(index) => match program.define_code(*index) {
            Some(_) => format!("define_{index}(cx, answers)?"),
            None => format!("cx.truth({})?", define(program, *index)),
        },
        Atom::FactCompare(op, slot, literal) if let Some(literal) = value(*literal) => {
            let fact = format!("cx.fact({slot})?");
            format!("compare(BinaryOp::{op:?}, {fact}, {literal})")
        }
        Atom::Compare(comparison)
            if let (op, left, right) = comparison.as_ref()
                && let (Some(left), Some(right)) =
                    (operand(program, left), operand(program, right)) =>
        {
            format!(
                "{{ let left = {left}; let right = {right}; compare(BinaryOp::{op:?}, left, right) }}"
            )
        }
        _ => match owner {
            Owner::Rule(rule) => format!("cx.rule_atom({rule}, {test})?"),
            Owner::Define(index) => format!("cx.define_atom({index}, {test})?"),
        },
    }
}

/// The Rust reading an operand of a comparison, as the interpreter reads it (`Context::read`);
/// `None` where it is an expression written here only through the interpreter.
fn operand(program: &Program, operand: &Operand) -> Option<String> {
    match operand {
        Operand::Literal(literal) => value(*literal),
        Operand::Fact(slot) => Some(format!("cx.fact({slot})?")),
        Operand::Define(index) => Some(define(program, *index)),
        Operand::Outcome(field) => Some(format!("cx.outcome({field})")),
        Operand::Tree(ir) => expression(program, ir),
    }
}

/// The Rust of an expression evaluated as `Context::eval` evaluates it, for the few kinds that
/// comparisons, conclusions and definitions of computed values are made of (literals, facts,
/// definitions, outcomes, arithmetic, max and min); `None` for the rest.
fn expression(program: &Program, ir: &Ir) -> Option<String> {
    Some(match ir {
        Ir::Literal(literal) => value(*literal)?,
        Ir::Fact(slot) => format!("cx.fact({slot})?"),
        Ir::Define(index) => define(program, *index),
        Ir::Outcome(field) => format!("cx.outcome({field})"),
        Ir::OutcomeHas(field, member) => format!("Value::Bool(cx.outcome_has({field}, {member}))"),
        Ir::Arithmetic(op, left, right) => {
            let (left, right) = (expression(program, left)?, expression(program, right)?);
            let result = format!("cx.arithmetic(BinaryOp::{op:?}, left, right)?");
            format!("{{ let left = {left}; let right = {right}; {result} }}")
        }
        Ir::Max(left, right) | Ir::Min(left, right) => {
            let (left, right) = (expression(program, left)?, expression(program, right)?);
            let max = matches!(ir, Ir::Max(..));
            format!("{{ let left = {left}; let right = {right}; extreme({max}, left, right) }}")
        }
        _ => return None,
    })
}

/// The Rust drawing a conclusion (by index) of a rule that applies, as `Context::conclude` draws
/// it.
fn conclude(
    program: &Program,
    rule: usize,
    number: usize,
    conclusion: &CompiledConclusion,
) -> String {
    let field = conclusion.field;
    match program
        .outcome
        .get(usize::from(field))
        .map(|outcome| &outcome.kind)
    {
        Some(OutcomeKind::Set { .. }) => format!("cx.add_member({field}, {})", conclusion.member),
        Some(OutcomeKind::Single { .. })
            if let Some(value) = expression(program, &conclusion.value) =>
        {
            format!("cx.conclude_value({rule}, {field}, {value})")
        }
        _ => format!("cx.conclude({rule}, {number})?"),
    }
}

/// A date as a Rust constant expression.
fn date(date: Date) -> String {
    format!(
        "Date::constant({}, {}, {})",
        date.year(),
        date.month(),
        date.day()
    )
}

/// A value as a Rust constant expression, for the kinds written in conditions.
fn value(value: Value<'_>) -> Option<String> {
    Some(match value {
        Value::Null => "Value::Null".to_string(),
        Value::Bool(value) => format!("Value::Bool({value})"),
        Value::Number(number) => format!("Value::Number({})", decimal(number)),
        Value::Enum(enumeration, variant) => format!("Value::Enum({enumeration}, {variant})"),
        Value::Country(code) => format!("Value::Country({code})"),
        _ => return None,
    })
}

/// A decimal as a Rust constant expression, exactly.
fn decimal(number: Decimal) -> String {
    let mantissa = number.mantissa().unsigned_abs();
    format!(
        "Decimal::from_parts({}, {}, {}, {}, {})",
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
        number.is_sign_negative(),
        number.scale()
    )
}
