//! Evaluate many: a compiled program applied to one transaction's facts. Takes the [`Program`]
//! and the [`Facts`]; gives, in a [`Scratch`], which rules applied and the value of each outcome
//! (then read by `decision` and `explain`), or the error that names the fact it lacked.
//!
//! Rules run in the program's order (each after the rules whose outcomes it reads). A rule applies
//! when the transaction's date is inside its window, no rule it names in `unless` applies, and its
//! condition holds. Single-valued outcomes take the value of the applying rule that no other
//! applying rule prevails over; sets collect what applying rules add. Conditions are evaluated
//! without allocating, and nothing here panics: a fact the decision needs and the transaction lacks
//! is an error that names the fact and the rule.
//!
//! [`run`] is made of the public steps of [`Context`] (`begin`, `answer_questions`, `may_apply`,
//! `test`, `apply`, `finish`, and the answers, outcomes and definitions tests read). They are also
//! the runtime of the Rust that [`crate::native`] writes for a version, which is why they are public:
//! the written code takes the same steps in the same order, with the loops unrolled, and some of
//! them in their parts (`may_apply` as `enter`, `date` and `applied`; `answer_questions` as
//! `answer_group` and `keep_answers`; `apply` as `mark_applied`, `add_member` and
//! `conclude_value`).

use jiff::civil::Date;

use cordon_lang::hir::BinaryOp;

use crate::answers::{Answers, read};
use crate::facts::{FactError, Facts, Slot};
use crate::program::{
    ACCEPT, Atom, Code, CompiledConclusion, Ir, Operand, OutcomeField, OutcomeKind, Program, REJECT,
};
use crate::semantics::{self, push_candidate};
use crate::value::{Value, compare, eccn_within, extreme};

/// The state of one evaluation: which rules applied and what they concluded. A caller deciding
/// many transactions with one program may reuse it ([`run`] resets it).
#[derive(Debug, Default)]
pub struct Scratch<'a> {
    /// For each rule: whether it applied.
    pub applied: Vec<bool>,
    /// For single outcomes: the values rules concluded, in order (read through
    /// [`Scratch::candidates`]: `values` is kept from them).
    candidates: Vec<Vec<Candidate<'a>>>,
    /// For set outcomes: a bitmask of members.
    pub sets: Vec<u64>,
    /// For each outcome, its value as the rules so far conclude it: for a single outcome the first
    /// candidate no other overrules (or the default), for a set whether it has a member.
    values: Vec<Value<'a>>,
    variables: Vec<Value<'a>>,
    defines: Vec<Option<Value<'a>>>,
    /// The answers to the program's questions about one fact, for this transaction.
    answers: Answers,
    segment: usize,
    date: Option<Date>,
}

impl<'a> Scratch<'a> {
    /// An outcome's (by index) value after a run: for a single outcome the value that prevails
    /// (or the default), for a set whether it has a member.
    #[inline(always)]
    pub fn value(&self, field: usize) -> Value<'a> {
        self.values.get(field).copied().unwrap_or(Value::Null)
    }

    /// For each outcome (by index): the values rules concluded for it, in order (none for sets).
    pub fn candidates(&self) -> &[Vec<Candidate<'a>>] {
        &self.candidates
    }
}

/// A value a rule concluded for a single outcome (resolved by [`crate::semantics`]).
pub type Candidate<'a> = semantics::Candidate<Value<'a>>;

pub struct Context<'p, 'f, 's, 'a> {
    pub program: &'p Program,
    pub facts: &'f Facts<'a>,
    pub scratch: &'s mut Scratch<'a>,
    /// The rule being evaluated, for error messages.
    rule: u16,
}

impl<'p: 'a, 'f, 's, 'a> Context<'p, 'f, 's, 'a> {
    fn error(&self, path: &str, message: String) -> Box<FactError> {
        Box::new(FactError {
            path: path.to_string(),
            message,
        })
    }

    fn rule_name(&self) -> &str {
        self.program
            .rules
            .get(usize::from(self.rule))
            .map_or("", |rule| rule.name.as_str())
    }

    pub fn eval(&mut self, ir: &'p Ir) -> Result<Value<'a>, Box<FactError>> {
        Ok(match ir {
            Ir::Literal(value) => *value,
            Ir::StringLiteral(index, eccn) => {
                let text = self
                    .program
                    .strings
                    .get(*index as usize)
                    .map_or("", String::as_str);
                if *eccn {
                    Value::Eccn(text)
                } else {
                    Value::Str(text)
                }
            }
            Ir::Fact(slot) => self.fact(*slot)?,
            Ir::Present(slot) => Value::Bool(matches!(
                self.facts.slots.get(usize::from(*slot)),
                Some(Slot::Present(value)) if !matches!(value, Value::Null)
            )),
            Ir::Outcome(field) => self.outcome(*field),
            Ir::Table(table) => {
                let rows = &self.program.tables[usize::from(*table)].rows;
                let date = self.scratch.date.unwrap_or(Date::MIN);
                match rows.iter().rev().find(|(from, _)| *from <= date) {
                    Some((_, value)) => self.eval(value)?,
                    None => Value::Null,
                }
            }
            Ir::Define(index) => self.define(*index)?,
            Ir::Variable(depth) => self
                .scratch
                .variables
                .get(usize::from(*depth))
                .copied()
                .unwrap_or(Value::Null),
            Ir::Not(inner) => Value::Bool(!self.condition(inner)?),
            Ir::And(left, right) => Value::Bool(self.condition(left)? && self.condition(right)?),
            Ir::Or(left, right) => Value::Bool(self.condition(left)? || self.condition(right)?),
            Ir::Negate(inner) => match self.eval(inner)? {
                Value::Number(value) => Value::Number(-value),
                other => other,
            },
            Ir::Compare(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                Value::Bool(compare(*op, left, right))
            }
            Ir::Arithmetic(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                self.arithmetic(*op, left, right)?
            }
            Ir::Max(a, b) | Ir::Min(a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                extreme(matches!(ir, Ir::Max(..)), a, b)
            }
            Ir::Lowercase(inner) => match self.eval(inner)? {
                Value::Str(text) => Value::Lowercase(text),
                other => other,
            },
            Ir::InGroup(value, group) => {
                let value = self.eval(value)?;
                Value::Bool(self.program.in_group(*group, self.scratch.segment, value))
            }
            Ir::InList(value, items) => {
                let value = self.operand(value)?;
                for item in items {
                    if self.operand(item)?.equals(value) {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Ir::InFactList(value, slot) => {
                let value = self.eval(value)?;
                Value::Bool(self.fact_list(*slot)?.iter().any(|item| item.equals(value)))
            }
            Ir::InOutcome(value, field) => {
                let value = self.eval(value)?;
                let field = usize::from(*field);
                match &self.program.outcome[field].kind {
                    OutcomeKind::Set { members, .. } => {
                        let mask = self.scratch.sets.get(field).copied().unwrap_or(0);
                        Value::Bool(members.iter().enumerate().any(|(index, member)| {
                            mask & (1 << index) != 0
                                && self.program.literal_value(member).equals(value)
                        }))
                    }
                    OutcomeKind::Single { .. } => Value::Bool(false),
                }
            }
            Ir::OutcomeHas(field, member) => Value::Bool(self.outcome_has(*field, *member)),
            Ir::WithinList(value, headings) => {
                let Value::Eccn(eccn) = self.eval(value)? else {
                    return Ok(Value::Bool(false));
                };
                for heading in headings {
                    if let Value::Eccn(heading) = self.eval(heading)?
                        && eccn_within(eccn, heading)
                    {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Ir::AnyOf {
                all,
                variable,
                over,
                body,
            } => {
                let depth = usize::from(*variable);
                for item in over {
                    let value = self.operand(item)?;
                    self.bind(depth, value);
                    let holds = self.condition(body)?;
                    if holds != *all {
                        return Ok(Value::Bool(holds));
                    }
                }
                Value::Bool(*all)
            }
            Ir::AnyOfFact {
                all,
                variable,
                slot,
                body,
            } => {
                let depth = usize::from(*variable);
                let items = self.fact_list(*slot)?;
                for value in items.iter().copied() {
                    self.bind(depth, value);
                    let holds = self.condition(body)?;
                    if holds != *all {
                        return Ok(Value::Bool(holds));
                    }
                }
                Value::Bool(*all)
            }
        })
    }

    /// `left op right` of two numbers: `null` unless both are numbers; dividing by zero and
    /// results beyond an exact decimal are errors naming the rule.
    pub fn arithmetic(
        &self,
        op: BinaryOp,
        left: Value<'a>,
        right: Value<'a>,
    ) -> Result<Value<'a>, Box<FactError>> {
        let (Some(a), Some(b)) = (left.as_number(), right.as_number()) else {
            return Ok(Value::Null);
        };
        let result = match op {
            BinaryOp::Add => a.checked_add(b),
            BinaryOp::Subtract => a.checked_sub(b),
            BinaryOp::Multiply => a.checked_mul(b),
            _ => {
                if b.is_zero() {
                    return Err(
                        self.error("", format!("rule `{}` divides by zero", self.rule_name()))
                    );
                }
                a.checked_div(b)
            }
        };
        result.map(Value::Number).ok_or_else(|| {
            self.error(
                "",
                format!(
                    "rule `{}`: {a} {} {b} is beyond what an exact decimal holds",
                    self.rule_name(),
                    op.as_str()
                ),
            )
        })
    }

    /// A fact's value; a fact the transaction lacks is an error naming it and the rule.
    #[inline]
    pub fn fact(&self, slot: u16) -> Result<Value<'a>, Box<FactError>> {
        match self.facts.slots.get(usize::from(slot)) {
            Some(Slot::Present(value)) => Ok(*value),
            _ => Err(self.missing(slot)),
        }
    }

    /// The error for a fact the transaction lacks and the rule being evaluated needs.
    #[cold]
    fn missing(&self, slot: u16) -> Box<FactError> {
        self.error(
            &self.program.slots[usize::from(slot)].path,
            format!(
                "missing: rule `{}` needs this fact to decide",
                self.rule_name()
            ),
        )
    }

    /// An outcome's value as the rules so far conclude it: for a set, whether it has a member.
    #[inline(always)]
    pub fn outcome(&self, field: u16) -> Value<'a> {
        self.scratch.value(usize::from(field))
    }

    /// A definition's value, computed the first time a transaction needs it.
    pub fn define(&mut self, index: u16) -> Result<Value<'a>, Box<FactError>> {
        let index = usize::from(index);
        if let Some(Some(value)) = self.scratch.defines.get(index) {
            return Ok(*value);
        }
        let program = self.program;
        let Some(define) = program.defines.get(index) else {
            return Err(self.error("", format!("the program has no definition {index}")));
        };
        let value = match &define.test {
            Some(code) => Value::Bool(self.test(code)?),
            None => self.eval(&define.value)?,
        };
        if let Some(slot) = self.scratch.defines.get_mut(index) {
            *slot = Some(value);
        }
        Ok(value)
    }

    /// Runs a condition's branch code: each test sends evaluation to the next test it names,
    /// until one ends it.
    #[inline(always)]
    pub fn test(&mut self, code: &'p Code) -> Result<bool, Box<FactError>> {
        let mut at = 0;
        while let Some(test) = code.tests.get(at) {
            // Most tests look an answer up: that case first, apart from the dispatch below.
            let holds = if let Atom::Known(index) = test.atom {
                self.known(index)?
            } else if let Atom::OutcomeHas(field, member) = test.atom {
                self.outcome_has(field, member)
            } else {
                self.atom(&test.atom)?
            };
            match if holds { test.on_true } else { test.on_false } {
                ACCEPT => return Ok(true),
                REJECT => return Ok(false),
                next => at = usize::from(next),
            }
        }
        // Only an empty condition runs off the end: it has nothing that could fail.
        Ok(true)
    }

    /// Answers a test that is not looked up.
    #[inline(always)]
    fn atom(&mut self, atom: &'p Atom) -> Result<bool, Box<FactError>> {
        Ok(match atom {
            Atom::Known(index) => self.known(*index)?,
            Atom::FactCompare(op, slot, literal) => compare(*op, self.fact(*slot)?, *literal),
            Atom::Define(index) => {
                let value = self.define(*index)?;
                self.truth(value)?
            }
            Atom::Outcome(field) => self.outcome_holds(*field)?,
            Atom::Compare(comparison) => {
                let (op, left, right) = comparison.as_ref();
                let left = self.read(left)?;
                let right = self.read(right)?;
                compare(*op, left, right)
            }
            Atom::OutcomeHas(field, member) => self.outcome_has(*field, *member),
            Atom::Tree(ir) => self.condition(ir)?,
        })
    }

    /// Whether an outcome set holds a written member (by index).
    #[inline(always)]
    pub fn outcome_has(&self, field: u16, member: u16) -> bool {
        member < 64
            && self
                .scratch
                .sets
                .get(usize::from(field))
                .is_some_and(|mask| mask & (1 << member) != 0)
    }

    /// The answer to a question of the table.
    #[inline(always)]
    pub fn known(&mut self, index: u16) -> Result<bool, Box<FactError>> {
        let answer = self.scratch.answers.byte(index);
        self.known_answer(answer, index)
    }

    /// A question of the table the up-front pass left unanswered, asked where a condition
    /// reaches it: the fact is missing (an error naming it) or is not a yes/no value.
    #[cold]
    pub fn ask(&mut self, index: u16) -> Result<bool, Box<FactError>> {
        let Some(test) = self
            .program
            .questions
            .table
            .get(usize::from(index))
            .copied()
        else {
            return Err(self.error("", format!("the program has no question {index}")));
        };
        let value = self.fact(test.slot())?;
        match test.answer(self.program, self.scratch.segment, value) {
            Some(holds) => Ok(holds),
            None => self.truth(value),
        }
    }

    #[inline(always)]
    fn read(&mut self, operand: &'p Operand) -> Result<Value<'a>, Box<FactError>> {
        match operand {
            Operand::Literal(value) => Ok(*value),
            Operand::Fact(slot) => self.fact(*slot),
            Operand::Define(index) => self.define(*index),
            Operand::Outcome(field) => Ok(self.outcome(*field)),
            Operand::Tree(ir) => self.eval(ir),
        }
    }

    /// A value taken as a condition.
    #[inline]
    pub fn truth(&self, value: Value<'a>) -> Result<bool, Box<FactError>> {
        match value {
            Value::Bool(value) => Ok(value),
            Value::Null => Ok(false),
            other => Err(self.error(
                "",
                format!("rule `{}`: {other:?} is not a condition", self.rule_name()),
            )),
        }
    }

    fn bind(&mut self, depth: usize, value: Value<'a>) {
        if self.scratch.variables.len() <= depth {
            self.scratch.variables.resize(depth + 1, Value::Null);
        }
        self.scratch.variables[depth] = value;
    }

    fn fact_list(&self, slot: u16) -> Result<&'f [Value<'a>], Box<FactError>> {
        match self.facts.slots.get(usize::from(slot)) {
            Some(Slot::Present(Value::List(index))) => Ok(self
                .facts
                .lists
                .get(usize::from(*index))
                .map_or(&[][..], Vec::as_slice)),
            _ => Err(self.missing(slot)),
        }
    }

    /// A comparison's operand: facts and literals (most operands) without a call to [`eval`].
    ///
    /// [`eval`]: Context::eval
    #[inline(always)]
    fn operand(&mut self, ir: &'p Ir) -> Result<Value<'a>, Box<FactError>> {
        match ir {
            Ir::Literal(value) => Ok(*value),
            Ir::Fact(slot) => match self.facts.slots.get(usize::from(*slot)) {
                Some(Slot::Present(value)) => Ok(*value),
                _ => self.eval(ir),
            },
            Ir::Define(index) => match self.scratch.defines.get(usize::from(*index)) {
                Some(Some(value)) => Ok(*value),
                _ => self.eval(ir),
            },
            Ir::Variable(depth) => Ok(self
                .scratch
                .variables
                .get(usize::from(*depth))
                .copied()
                .unwrap_or(Value::Null)),
            Ir::Outcome(field) => Ok(self.outcome(*field)),
            _ => self.eval(ir),
        }
    }

    pub fn condition(&mut self, ir: &'p Ir) -> Result<bool, Box<FactError>> {
        // The connectives and comparisons that make up most conditions, without a detour through
        // `Value`.
        match ir {
            Ir::And(left, right) => return Ok(self.condition(left)? && self.condition(right)?),
            Ir::Or(left, right) => return Ok(self.condition(left)? || self.condition(right)?),
            Ir::Not(inner) => return Ok(!self.condition(inner)?),
            Ir::Compare(op, left, right) => {
                let left = self.operand(left)?;
                let right = self.operand(right)?;
                return Ok(compare(*op, left, right));
            }
            Ir::InGroup(value, group) => {
                let value = self.operand(value)?;
                return Ok(self.program.in_group(*group, self.scratch.segment, value));
            }
            Ir::OutcomeHas(field, member) => return Ok(self.outcome_has(*field, *member)),
            _ => {}
        }
        let value = self.operand(ir)?;
        self.truth(value)
    }
}

pub use crate::semantics::{conflict, resolve};

/// Whether an outcome (by index) takes the most restrictive of its values.
pub fn most_restrictive(program: &Program, field: usize) -> bool {
    matches!(
        program.outcome.get(field).map(|field| &field.kind),
        Some(OutcomeKind::Single {
            most_restrictive: true,
            ..
        })
    )
}

/// Makes a vector `len` copies of `value`, keeping its allocation.
#[inline(always)]
fn reset<T: Copy>(vec: &mut Vec<T>, len: usize, value: T) {
    vec.clear();
    vec.resize(len, value);
}

/// Runs every rule of the program on the facts. On success the scratch holds which rules applied
/// and what they concluded.
pub fn run<'p: 'a, 'a>(
    program: &'p Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
) -> Result<(), FactError> {
    let mut context = Context::begin(program, facts, scratch);
    context.answer_questions();
    for (index, rule) in program.rules.iter().enumerate() {
        let index = index as u16;
        if !context.may_apply(index) {
            continue;
        }
        let holds = match &rule.when {
            Some(condition) => context.test(condition).map_err(|error| *error)?,
            None => true,
        };
        if holds {
            context.apply(index).map_err(|error| *error)?;
        }
    }
    context.finish()
}

/// The steps of [`run`], for code that runs a program's rules its own way (the Rust that
/// [`crate::native`] writes for a version).
impl<'p: 'a, 'f, 's, 'a> Context<'p, 'f, 's, 'a> {
    /// Starts an evaluation: clears the scratch and reads the transaction's date.
    pub fn begin(
        program: &'p Program,
        facts: &'f Facts<'a>,
        scratch: &'s mut Scratch<'a>,
    ) -> Context<'p, 'f, 's, 'a> {
        let fields = program.outcome.len();
        reset(&mut scratch.applied, program.rules.len(), false);
        scratch.candidates.resize_with(fields, Vec::new);
        for candidates in &mut scratch.candidates {
            candidates.clear();
        }
        reset(&mut scratch.sets, fields, 0);
        scratch.values.clear();
        scratch.values.extend_from_slice(&program.initial);
        reset(&mut scratch.defines, program.defines.len(), None);
        let date = facts.date(program).unwrap_or(Date::MIN);
        scratch.date = Some(date);
        scratch.segment = program
            .segment_starts
            .partition_point(|start| *start <= date);
        Context {
            program,
            facts,
            scratch,
            rule: 0,
        }
    }

    /// Answers one group (by index) of the table's questions about one fact into `answers` (a
    /// byte per question).
    pub fn answer_group(&self, group: usize, answers: &mut [u8]) {
        self.program.questions.answer_group(
            self.program,
            self.scratch.segment,
            self.facts,
            answers,
            group,
        );
    }

    /// Keeps answers found elsewhere (a byte per question) for the tests that look them up.
    pub fn keep_answers(&mut self, answers: &[u8]) {
        self.scratch.answers.keep(answers);
    }

    /// A question's answer from its byte, asked where the byte leaves it unanswered.
    #[inline(always)]
    pub fn known_answer(&mut self, answer: u8, index: u16) -> Result<bool, Box<FactError>> {
        match read(answer) {
            Some(holds) => Ok(holds),
            None => self.ask(index),
        }
    }

    /// The stretch of time between membership changes the transaction's date falls in.
    #[inline(always)]
    pub fn segment(&self) -> usize {
        self.scratch.segment
    }

    /// A fact's value, if the transaction has it.
    #[inline(always)]
    pub fn present(&self, slot: u16) -> Option<Value<'a>> {
        match self.facts.slots.get(usize::from(slot)) {
            Some(Slot::Present(value)) => Some(*value),
            _ => None,
        }
    }

    /// Answers the program's whole question table, for tests that look answers up.
    pub fn answer_questions(&mut self) {
        let scratch = &mut *self.scratch;
        self.program.questions.answer(
            self.program,
            scratch.segment,
            self.facts,
            &mut scratch.answers,
        );
    }

    /// Whether a rule (by index) may apply: the date is inside its window and no rule it names
    /// in `unless` applied. It becomes the rule errors name.
    #[inline(always)]
    pub fn may_apply(&mut self, rule: u16) -> bool {
        self.enter(rule);
        let Some(rule) = self.program.rules.get(usize::from(rule)) else {
            return false;
        };
        let date = self.date();
        let in_window = semantics::in_window(rule.window, |test| {
            Ok::<bool, std::convert::Infallible>(match test {
                semantics::DateTest::Before(day) => date < day,
                semantics::DateTest::After(day) => date > day,
            })
        });
        in_window == Ok(true) && !semantics::beaten(&rule.unless, |other| self.applied(*other))
    }

    /// Makes a rule (by index) the one errors name.
    #[inline(always)]
    pub fn enter(&mut self, rule: u16) {
        self.rule = rule;
    }

    /// The transaction's date (the earliest date when it has none).
    #[inline(always)]
    pub fn date(&self) -> Date {
        self.scratch.date.unwrap_or(Date::MIN)
    }

    /// Whether a rule (by index) applied.
    #[inline(always)]
    pub fn applied(&self, rule: u16) -> bool {
        self.scratch.applied.get(usize::from(rule)) == Some(&true)
    }

    /// Answers a test of a rule's branch code (by rule and test index) that is not looked up.
    pub fn rule_atom(&mut self, rule: u16, test: u16) -> Result<bool, Box<FactError>> {
        let code = self.program.rule_code(rule);
        self.code_atom(code, test, || format!("rule {rule}"))
    }

    /// Answers a test of a definition's branch code (by definition and test index) that is not
    /// looked up.
    pub fn define_atom(&mut self, index: u16, test: u16) -> Result<bool, Box<FactError>> {
        let code = self.program.define_code(index);
        self.code_atom(code, test, || format!("definition {index}"))
    }

    fn code_atom(
        &mut self,
        code: Option<&'p Code>,
        test: u16,
        owner: impl Fn() -> String,
    ) -> Result<bool, Box<FactError>> {
        match code.and_then(|code| code.tests.get(usize::from(test))) {
            Some(test) => self.atom(&test.atom),
            None => Err(self.error("", format!("{} has no test {test}", owner()))),
        }
    }

    /// Whether a rule's condition (by index) holds, by its branch code; a rule without one holds.
    pub fn rule_holds(&mut self, rule: u16) -> Result<bool, Box<FactError>> {
        match self.program.rule_code(rule) {
            Some(code) => self.test(code),
            None => Ok(true),
        }
    }

    /// Whether a yes/no definition (by index) holds, computed once per transaction.
    pub fn define_holds(&mut self, index: u16) -> Result<bool, Box<FactError>> {
        let value = self.define(index)?;
        self.truth(value)
    }

    /// A definition's value, if this transaction computed it already.
    #[inline(always)]
    pub fn known_define(&self, index: u16) -> Option<Value<'a>> {
        self.scratch
            .defines
            .get(usize::from(index))
            .copied()
            .flatten()
    }

    /// Keeps a definition's value for the rest of the transaction.
    #[inline(always)]
    pub fn keep_define(&mut self, index: u16, value: Value<'a>) {
        if let Some(slot) = self.scratch.defines.get_mut(usize::from(index)) {
            *slot = Some(value);
        }
    }

    /// An outcome (by index) taken as a condition.
    #[inline(always)]
    pub fn outcome_holds(&self, field: u16) -> Result<bool, Box<FactError>> {
        self.truth(self.outcome(field))
    }

    /// Records that a rule (by index) applies, and what it concludes.
    #[inline]
    pub fn apply(&mut self, rule: u16) -> Result<(), Box<FactError>> {
        let program = self.program;
        let Some(compiled) = program.rules.get(usize::from(rule)) else {
            return Ok(());
        };
        self.mark_applied(rule);
        for conclusion in &compiled.then {
            self.draw(rule, conclusion)?;
        }
        Ok(())
    }

    /// Records that a rule (by index) applies.
    #[inline(always)]
    pub fn mark_applied(&mut self, rule: u16) {
        if let Some(applied) = self.scratch.applied.get_mut(usize::from(rule)) {
            *applied = true;
        }
    }

    /// Draws one conclusion (by index) of a rule that applies.
    #[inline(always)]
    pub fn conclude(&mut self, rule: u16, conclusion: u16) -> Result<(), Box<FactError>> {
        let program = self.program;
        match program
            .rules
            .get(usize::from(rule))
            .and_then(|rule| rule.then.get(usize::from(conclusion)))
        {
            Some(conclusion) => self.draw(rule, conclusion),
            None => Ok(()),
        }
    }

    #[inline(always)]
    fn draw(
        &mut self,
        rule: u16,
        conclusion: &'p CompiledConclusion,
    ) -> Result<(), Box<FactError>> {
        match self.program.outcome.get(usize::from(conclusion.field)) {
            Some(OutcomeField {
                kind: OutcomeKind::Set { .. },
                ..
            }) => self.add_member(conclusion.field, conclusion.member),
            Some(_) => {
                let value = self.operand(&conclusion.value)?;
                self.conclude_value(rule, conclusion.field, value);
            }
            None => {}
        }
        Ok(())
    }

    /// Adds a member (by index) to an outcome set.
    #[inline(always)]
    pub fn add_member(&mut self, field: u16, member: u16) {
        let field = usize::from(field);
        if let Some(mask) = self.scratch.sets.get_mut(field) {
            *mask |= 1u64.checked_shl(u32::from(member)).unwrap_or(0);
            let has = *mask != 0;
            self.set_value(field, Value::Bool(has));
        }
    }

    /// Records a rule's (by index) value for a single outcome: the candidates it prevails over
    /// with a different value are overruled, and it is if one of them prevails over it.
    #[inline]
    pub fn conclude_value(&mut self, rule: u16, field: u16, value: Value<'a>) {
        let program = self.program;
        let Some(OutcomeField {
            kind:
                OutcomeKind::Single {
                    default,
                    most_restrictive,
                    ..
                },
            ..
        }) = program.outcome.get(usize::from(field))
        else {
            return;
        };
        let prevails = |winner: u16, loser: u16| {
            program
                .rules
                .get(usize::from(winner))
                .is_some_and(|winner| winner.prevails_over.contains(&loser))
        };
        let field = usize::from(field);
        let Some(candidates) = self.scratch.candidates.get_mut(field) else {
            return;
        };
        push_candidate(candidates, rule, value, prevails);
        let value = resolve(candidates, *most_restrictive).map_or(*default, |chosen| chosen.value);
        self.set_value(field, value);
    }

    #[inline(always)]
    fn set_value(&mut self, field: usize, value: Value<'a>) {
        if let Some(slot) = self.scratch.values.get_mut(field) {
            *slot = value;
        }
    }

    /// Ends an evaluation: an error if rules conclude different values for one outcome and
    /// neither prevails.
    pub fn finish(self) -> Result<(), FactError> {
        let program = self.program;
        for (field, candidates) in self.scratch.candidates.iter().enumerate() {
            // One candidate cannot conflict with itself.
            if candidates.len() < 2 {
                continue;
            }
            if let Some((first, second)) = conflict(candidates, most_restrictive(program, field)) {
                return Err(FactError {
                    path: String::new(),
                    message: format!(
                        "rules `{}` and `{}` conclude different values for `{}` and neither prevails",
                        program.rules[usize::from(first)].name,
                        program.rules[usize::from(second)].name,
                        program.outcome[field].name
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Evaluates one expression outside a rule (for explanations).
pub fn evaluate_expression<'p: 'a, 'a>(
    program: &'p Program,
    facts: &Facts<'a>,
    scratch: &mut Scratch<'a>,
    ir: &'p Ir,
) -> Result<Value<'a>, FactError> {
    let mut context = Context {
        program,
        facts,
        scratch,
        rule: 0,
    };
    context.eval(ir).map_err(|error| *error)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The rule and value chosen, and the pair of rules in conflict.
    type Resolution<'a> = (Option<(u16, Value<'a>)>, Option<(u16, u16)>);

    /// The definition of what prevails, asked of every pair at once: a candidate is dropped when a
    /// rule concluding a different value prevails over it; the first one not dropped is chosen,
    /// and the first other one not dropped with a different value conflicts with it.
    fn resolve_at_once<'a>(
        candidates: &[(u16, Value<'a>)],
        prevails: &impl Fn(u16, u16) -> bool,
    ) -> Resolution<'a> {
        let dropped = |(rule, value): &(u16, Value<'_>)| {
            candidates
                .iter()
                .any(|(other, other_value)| !other_value.equals(*value) && prevails(*other, *rule))
        };
        let chosen = candidates.iter().find(|c| !dropped(c)).copied();
        let conflict = chosen.and_then(|(chosen_rule, chosen_value)| {
            candidates
                .iter()
                .find(|c| !c.1.equals(chosen_value) && !dropped(c))
                .map(|(rule, _)| (chosen_rule, *rule))
        });
        (chosen, conflict)
    }

    proptest! {
        /// Overruling candidates as each is concluded chooses, and finds conflicts, as asking every
        /// pair at the end does, whatever the values (texts that compare without regard to case
        /// among them) and whatever prevails over what (cycles included).
        #[test]
        fn overruling_as_concluded_resolves_as_at_once(
            concluded in proptest::collection::vec((0u16..6, 0usize..4), 0..8),
            prevailing in proptest::collection::vec(any::<bool>(), 36),
        ) {
            let values = [Value::Bool(true), Value::Bool(false), Value::Str("Approval"), Value::Lowercase("approval")];
            let prevails = |winner: u16, loser: u16| prevailing[usize::from(winner) * 6 + usize::from(loser)];
            let concluded: Vec<(u16, Value<'_>)> =
                concluded.iter().map(|(rule, value)| (*rule, values[*value])).collect();
            let mut candidates = Vec::new();
            for (rule, value) in &concluded {
                push_candidate(&mut candidates, *rule, *value, prevails);
            }
            let (chosen, conflicting) = resolve_at_once(&concluded, &prevails);
            prop_assert_eq!(
                format!("{:?}", resolve(&candidates, false).map(|c| (c.rule, c.value))),
                format!("{chosen:?}")
            );
            prop_assert_eq!(conflict(&candidates, false), conflicting);
        }

        /// An outcome that takes the most restrictive value takes the greatest of the values no
        /// applying rule overrules (ordered enum values: `approval < case_by_case < denial`), the
        /// first rule to conclude it when several do, and never conflicts.
        #[test]
        fn most_restrictive_takes_the_greatest_standing_value(
            concluded in proptest::collection::vec((0u16..6, 0u16..3), 0..8),
            prevailing in proptest::collection::vec(any::<bool>(), 36),
        ) {
            let prevails = |winner: u16, loser: u16| prevailing[usize::from(winner) * 6 + usize::from(loser)];
            let concluded: Vec<(u16, Value<'_>)> =
                concluded.iter().map(|(rule, tier)| (*rule, Value::Enum(0, *tier))).collect();
            let mut candidates = Vec::new();
            for (rule, value) in &concluded {
                push_candidate(&mut candidates, *rule, *value, prevails);
            }
            let standing: Vec<(u16, Value<'_>)> = concluded
                .iter()
                .filter(|(rule, value)| {
                    !concluded.iter().any(|(other, other_value)| {
                        !other_value.equals(*value) && prevails(*other, *rule)
                    })
                })
                .copied()
                .collect();
            let greatest = standing.iter().map(|(_, value)| match value {
                Value::Enum(_, tier) => *tier,
                _ => 0,
            }).max();
            let expected = greatest.and_then(|greatest| {
                standing.iter().find(|(_, value)| value.equals(Value::Enum(0, greatest))).copied()
            });
            prop_assert_eq!(
                format!("{:?}", resolve(&candidates, true).map(|c| (c.rule, c.value))),
                format!("{expected:?}")
            );
            prop_assert_eq!(conflict(&candidates, true), None);
        }
    }
}
