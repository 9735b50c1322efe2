//! Conditions as branch code: a rule's `when` (and each yes/no definition) lowered from the
//! expression tree to a flat list of tests, each with where to go when it holds and when it does
//! not.
//!
//! `a and b` becomes "test `a`: if it holds go to `b`, else reject"; `or` and `not` only change
//! where the tests jump. Evaluation is then one loop over tests (see `eval::Context::test`) instead
//! of a recursive walk through the connectives. Short-circuit
//! order is the tree's: the tests run in the order the tree would have evaluated them, so a fact a
//! skipped test would have needed is not asked for.
//!
//! The questions about one fact and written values only (`item.kind == ic`, `item.tpp >= 4800`,
//! `destination in D5`) are the same wherever a condition asks them, so lowering collects them
//! into one table ([`FactTest`]), and a test only looks its answer up. `super::questions` then lays
//! the table out by fact, and evaluation answers it once per transaction, up front
//! (`crate::answers`).
//!
//! Takes a condition's [`Ir`] and the program's definitions; gives its [`Code`], and the questions
//! it asks added to the program's table.

use cordon_lang::hir::BinaryOp;

use crate::program::{
    ACCEPT, Atom, Code, CompiledDefine, FactTest, Ir, Operand, REJECT, Target, Test,
};
use crate::value::Value;

/// A definition is written into the code that uses it, instead of being computed once and looked
/// up, when it is at most this many cheap tests: a lookup (a call, a check of the cache) costs
/// about as much as a dozen answers looked up in the table (measured on `policies/ear`).
const INLINE_TESTS: usize = 12;

/// Lowers a condition. The result decides exactly as `condition(ir)` on the tree would, asking
/// for the same facts in the same order. `defines` are the program's definitions, for writing
/// small ones in place; questions about one fact go into `table`, each once. `None` when the
/// condition or the table outgrows the 16-bit indexes of tests and questions.
pub fn lower(ir: &Ir, defines: &[CompiledDefine], table: &mut Vec<FactTest>) -> Option<Code> {
    let mut backwards = Vec::new();
    let entry = Lowering {
        defines,
        table: &mut *table,
    }
    .emit(ir, ACCEPT, REJECT, &mut backwards);
    if backwards.len() >= usize::from(REJECT) || table.len() > usize::from(u16::MAX) {
        return None;
    }
    // Tests were pushed last-run-first; turn the list around so it runs forwards.
    let last = backwards.len().saturating_sub(1);
    let flip = |target: Target| match target {
        ACCEPT | REJECT => target,
        index => (last - usize::from(index)) as Target,
    };
    let tests: Vec<Test> = backwards
        .into_iter()
        .rev()
        .map(|test: Test| Test {
            on_true: flip(test.on_true),
            on_false: flip(test.on_false),
            atom: test.atom,
        })
        .collect();
    debug_assert!(tests.is_empty() || flip(entry) == 0);
    Some(Code { tests })
}

/// Emits `ir` so that it continues at `yes` when it holds and at `no` when it does not; returns
/// the index of its first test. The parts that run later are emitted first, so every jump goes
/// to a test already emitted.
struct Lowering<'d, 't> {
    defines: &'d [CompiledDefine],
    table: &'t mut Vec<FactTest>,
}

impl Lowering<'_, '_> {
    fn emit(&mut self, ir: &Ir, yes: Target, no: Target, out: &mut Vec<Test>) -> Target {
        match ir {
            Ir::And(left, right) => {
                let right = self.emit(right, yes, no, out);
                self.emit(left, right, no, out)
            }
            Ir::Or(left, right) => {
                let right = self.emit(right, yes, no, out);
                self.emit(left, yes, right, out)
            }
            Ir::Not(inner) => self.emit(inner, no, yes, out),
            Ir::Define(index) if self.inlined(*index) => {
                let defines = self.defines;
                self.emit(&defines[usize::from(*index)].value, yes, no, out)
            }
            Ir::AnyOf {
                all,
                variable,
                over,
                body,
            } if !over.is_empty()
                && over
                    .iter()
                    .all(|item| matches!(item, Ir::Fact(_) | Ir::Literal(_)))
                && reads_variable(body, *variable) =>
            {
                // `any p in [a, b]: p in D5` is `a in D5 or b in D5`; `all` is the same with `and`.
                let mut parts = over
                    .iter()
                    .rev()
                    .map(|item| substitute(body, *variable, item));
                let last = parts.next().unwrap_or(Ir::Literal(Value::Bool(*all)));
                let chain = parts.fold(last, |rest, part| {
                    if *all {
                        Ir::And(Box::new(part), Box::new(rest))
                    } else {
                        Ir::Or(Box::new(part), Box::new(rest))
                    }
                });
                self.emit(&chain, yes, no, out)
            }
            other => {
                let atom = match fact_test(other) {
                    Some(test) => Atom::Known(self.ask(test)),
                    None => atom(other),
                };
                out.push(Test {
                    atom,
                    on_true: yes,
                    on_false: no,
                });
                (out.len() - 1) as Target
            }
        }
    }

    /// The index of a question in the table, added if new.
    fn ask(&mut self, test: FactTest) -> u16 {
        let index = match self.table.iter().position(|known| *known == test) {
            Some(index) => index,
            None => {
                self.table.push(test);
                self.table.len() - 1
            }
        };
        index as u16
    }

    /// Whether a definition is small and cheap enough to write in place: a few tests, each
    /// answered up front or read from an outcome (definitions inside it counted as written).
    fn inlined(&self, index: u16) -> bool {
        match self.defines.get(usize::from(index)) {
            Some(define) if define.test.is_some() => {
                cheap_tests(&define.value, self.defines, 0).is_some_and(|n| n <= INLINE_TESTS)
            }
            _ => false,
        }
    }
}

/// How many tests a condition lowers to, if each is cheap.
fn cheap_tests(ir: &Ir, defines: &[CompiledDefine], depth: usize) -> Option<usize> {
    match ir {
        _ if depth > 8 => None,
        Ir::And(left, right) | Ir::Or(left, right) => {
            Some(cheap_tests(left, defines, depth + 1)? + cheap_tests(right, defines, depth + 1)?)
        }
        Ir::Not(inner) => cheap_tests(inner, defines, depth + 1),
        Ir::Define(index) => match defines.get(usize::from(*index)) {
            Some(define) if define.test.is_some() => cheap_tests(&define.value, defines, depth + 1),
            _ => None,
        },
        Ir::Outcome(_) | Ir::OutcomeHas(..) => Some(1),
        other => fact_test(other).map(|_| 1),
    }
}

/// The question an atom asks, if it is about one fact and written values only.
fn fact_test(ir: &Ir) -> Option<FactTest> {
    match ir {
        Ir::Fact(slot) => Some(FactTest::Truth(*slot)),
        Ir::Compare(op, left, right) => match (left.as_ref(), right.as_ref()) {
            (Ir::Fact(slot), Ir::Literal(value)) => literal_test(*op, *slot, *value),
            (Ir::Literal(value), Ir::Fact(slot)) => literal_test(op.swapped(), *slot, *value),
            _ => None,
        },
        Ir::InGroup(value, group) => match **value {
            Ir::Fact(slot) => Some(FactTest::InGroup(slot, *group)),
            _ => None,
        },
        _ => None,
    }
}

/// A fact compared with a literal, by the literal's kind.
fn literal_test(op: BinaryOp, slot: u16, literal: Value<'static>) -> Option<FactTest> {
    let equal = match op {
        BinaryOp::Equal => Some(true),
        BinaryOp::NotEqual => Some(false),
        _ => None,
    };
    match (literal, equal) {
        (Value::Number(number), _) => Some(FactTest::Number(op, slot, number)),
        (Value::Enum(enumeration, variant), Some(equal)) => {
            Some(FactTest::Enum(slot, enumeration, variant, equal))
        }
        (Value::Country(code), Some(equal)) => Some(FactTest::Country(slot, code, equal)),
        _ => None,
    }
}

/// Whether an expression reads a quantifier's variable.
fn reads_variable(ir: &Ir, variable: u16) -> bool {
    let mut found = false;
    ir.visit(&mut |node| found |= matches!(node, Ir::Variable(v) if *v == variable));
    found
}

/// The expression with a quantifier's variable replaced by one item of its list.
fn substitute(ir: &Ir, variable: u16, item: &Ir) -> Ir {
    ir.map(&mut |node| match node {
        Ir::Variable(v) if *v == variable => Some(item.clone()),
        _ => None,
    })
}

/// An atom that is not a question about one fact.
fn atom(ir: &Ir) -> Atom {
    match ir {
        Ir::Compare(op, left, right) => match (left.as_ref(), right.as_ref()) {
            (Ir::Fact(slot), Ir::Literal(value)) => Atom::FactCompare(*op, *slot, *value),
            _ => Atom::Compare(Box::new((*op, operand(left), operand(right)))),
        },
        Ir::OutcomeHas(field, member) => Atom::OutcomeHas(*field, *member),
        Ir::Define(index) => Atom::Define(*index),
        Ir::Outcome(field) => Atom::Outcome(*field),
        other => Atom::Tree(Box::new(other.clone())),
    }
}

fn operand(ir: &Ir) -> Operand {
    match ir {
        Ir::Literal(value) => Operand::Literal(*value),
        Ir::Fact(slot) => Operand::Fact(*slot),
        Ir::Define(index) => Operand::Define(*index),
        Ir::Outcome(field) => Operand::Outcome(*field),
        other => Operand::Tree(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(slot: u16) -> Box<Ir> {
        Box::new(Ir::Fact(slot))
    }

    /// Runs code over fixed truth values of facts, the way the evaluator walks it.
    fn run(code: &Code, table: &[FactTest], truth: &[bool], asked: &mut Vec<u16>) -> bool {
        let mut at = 0usize;
        loop {
            let test = &code.tests[at];
            let Atom::Known(index) = test.atom else {
                panic!("only facts here")
            };
            let FactTest::Truth(slot) = table[usize::from(index)] else {
                panic!("only yes/no facts here")
            };
            asked.push(slot);
            let next = if truth[usize::from(slot)] {
                test.on_true
            } else {
                test.on_false
            };
            match next {
                ACCEPT => return true,
                REJECT => return false,
                index => at = usize::from(index),
            }
        }
    }

    fn tree(ir: &Ir, truth: &[bool], asked: &mut Vec<u16>) -> bool {
        match ir {
            Ir::AnyOf {
                all, over, body, ..
            } => {
                // As the evaluator does: read the item, bind it, run the body.
                for item in over {
                    let Ir::Fact(slot) = item else { unreachable!() };
                    asked.push(*slot);
                    let value = truth[usize::from(*slot)];
                    let bound = body.map(&mut |node| {
                        matches!(node, Ir::Variable(0)).then_some(Ir::Literal(Value::Bool(value)))
                    });
                    let holds = tree(&bound, truth, asked);
                    if holds != *all {
                        return holds;
                    }
                }
                *all
            }
            Ir::Literal(Value::Bool(value)) => *value,
            Ir::And(a, b) => tree(a, truth, asked) && tree(b, truth, asked),
            Ir::Or(a, b) => tree(a, truth, asked) || tree(b, truth, asked),
            Ir::Not(a) => !tree(a, truth, asked),
            Ir::Fact(slot) => {
                asked.push(*slot);
                truth[usize::from(*slot)]
            }
            _ => unreachable!(),
        }
    }

    /// A condition's tests are read one after another; they stay small.
    #[test]
    fn tests_stay_small() {
        assert!(
            std::mem::size_of::<Test>() <= 40,
            "{}",
            std::mem::size_of::<Test>()
        );
    }

    /// Every assignment of four facts: the same answer, the same facts asked, in the same order.
    #[test]
    fn branch_code_decides_and_asks_as_the_tree() {
        let conditions = [
            Ir::And(fact(0), fact(1)),
            Ir::Or(
                Box::new(Ir::And(fact(0), fact(1))),
                Box::new(Ir::Not(fact(2))),
            ),
            Ir::Not(Box::new(Ir::Or(
                fact(0),
                Box::new(Ir::And(Box::new(Ir::Not(fact(1))), fact(2))),
            ))),
            Ir::And(
                Box::new(Ir::Or(fact(0), fact(1))),
                Box::new(Ir::Or(fact(2), Box::new(Ir::Not(fact(3))))),
            ),
            // Quantifiers over facts whose bodies read the variable first.
            Ir::AnyOf {
                all: false,
                variable: 0,
                over: vec![Ir::Fact(1), Ir::Fact(3)],
                body: Box::new(Ir::And(Box::new(Ir::Variable(0)), fact(0))),
            },
            Ir::Or(
                fact(2),
                Box::new(Ir::AnyOf {
                    all: true,
                    variable: 0,
                    over: vec![Ir::Fact(0), Ir::Fact(1), Ir::Fact(3)],
                    body: Box::new(Ir::Not(Box::new(Ir::Variable(0)))),
                }),
            ),
        ];
        for condition in &conditions {
            let mut table = Vec::new();
            let Some(code) = lower(condition, &[], &mut table) else {
                panic!("{condition:?} fits")
            };
            for bits in 0..16u8 {
                let truth: Vec<bool> = (0..4).map(|i| bits & (1 << i) != 0).collect();
                let (mut by_code, mut by_tree) = (Vec::new(), Vec::new());
                assert_eq!(
                    run(&code, &table, &truth, &mut by_code),
                    tree(condition, &truth, &mut by_tree),
                    "{condition:?} on {truth:?}"
                );
                assert_eq!(by_code, by_tree, "{condition:?} on {truth:?}");
            }
        }
    }
}
