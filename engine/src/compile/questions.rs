//! Lays out the questions lowering collected (see `branch`) by fact: a fact's questions come one
//! after another, at most [`GROUP`] together, and the tests that read their answers are renumbered
//! to match. Takes the program with its table as lowering left it; gives it with the table laid
//! out and each fact's lookups worked out ([`Questions`]).

use crate::program::{
    Atom, ByValue, Code, FactQuestions, FactTest, Fast, GROUP, Kind, Program, Questions, Thresholds,
};

/// Lays out the questions lowering collected in `program.questions.table` by fact, renumbers
/// the tests that read their answers, and works out the answers of facts that take few
/// values.
pub fn lay_out(program: &mut Program) {
    let table = std::mem::take(&mut program.questions.table);
    let mut order: Vec<usize> = (0..table.len()).collect();
    order.sort_by_key(|&index| table[index].slot());
    let mut renumbered = vec![0u16; table.len()];
    for (new, old) in order.iter().enumerate() {
        renumbered[*old] = new as u16;
    }
    let codes = program
        .rules
        .iter_mut()
        .filter_map(|rule| rule.when.as_mut());
    let definitions = program
        .defines
        .iter_mut()
        .filter_map(|define| define.test.as_mut());
    for code in codes.chain(definitions) {
        renumber(code, &renumbered);
    }
    let table: Vec<FactTest> = order.iter().map(|index| table[*index]).collect();
    let mut facts: Vec<FactQuestions> = Vec::new();
    for (index, question) in table.iter().enumerate() {
        match facts.last_mut() {
            Some(last) if last.slot == question.slot() && last.count < GROUP => last.count += 1,
            _ => facts.push(FactQuestions {
                slot: question.slot(),
                first: index,
                count: 1,
                fast: None,
            }),
        }
    }
    for fact in &mut facts {
        let questions = &table[fact.first..fact.first + fact.count];
        fact.fast = match Thresholds::new(questions) {
            Some(thresholds) => Some(Fast::Numbers(thresholds)),
            None => program
                .slots
                .get(usize::from(fact.slot))
                .and_then(|slot| Kind::of(&slot.ty, program))
                .and_then(|(kind, values)| ByValue::new(program, questions, kind, values))
                .map(Fast::ByValue),
        };
    }
    program.questions = Questions { table, facts };
}

/// Points the tests that read answers at the questions' new places (`renumbered[old]`).
fn renumber(code: &mut Code, renumbered: &[u16]) {
    for test in &mut code.tests {
        if let Atom::Known(index) = &mut test.atom
            && let Some(new) = renumbered.get(usize::from(*index))
        {
            *index = *new;
        }
    }
}
