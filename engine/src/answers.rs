//! Answering the question table for one transaction: takes a program's [`Questions`] (laid out
//! by fact, see `compile::questions`) and one transaction's [`Facts`], and gives its [`Answers`],
//! a byte per question, which the rules' tests then look up.
//!
//! Each fact is read once for all its questions. A fact that takes few values, or a number at most
//! as precise as its thresholds, is answered by the lookups compile worked out for it;
//! any other value asks each question ([`FactTest::answer`]). A question whose fact the
//! transaction lacks, or whose value cannot answer it, is left unanswered; a condition that
//! reaches it asks it there, with the error that names the fact.

use crate::facts::{Facts, Slot};
use crate::program::{
    ALL_UNANSWERED, FactQuestions, FactTest, GROUP, NO, Packed, Program, Questions, UNANSWERED,
    YES, answer_each,
};

/// One transaction's answers: a byte per question of the table, and room to write a whole group
/// at the last question.
#[derive(Debug, Default)]
pub struct Answers(Vec<u8>);

impl Answers {
    /// A question's answer; `None` when it was left unanswered.
    #[inline(always)]
    pub fn get(&self, index: u16) -> Option<bool> {
        read(self.byte(index))
    }

    /// A question's answer byte ([`read`] reads it); unanswered past the table.
    #[inline(always)]
    pub fn byte(&self, index: u16) -> u8 {
        self.0
            .get(usize::from(index))
            .copied()
            .unwrap_or(UNANSWERED)
    }

    /// Every question of the table left unanswered, before its groups are answered.
    pub fn start(&mut self, questions: &Questions) {
        self.0.clear();
        self.0.resize(questions.answer_bytes(), UNANSWERED);
    }

    /// Takes the answers another table of bytes holds.
    pub fn keep(&mut self, answers: &[u8]) {
        self.0.clear();
        self.0.extend_from_slice(answers);
    }
}

/// An answer byte's answer; `None` when the question was left unanswered.
#[inline(always)]
pub fn read(answer: u8) -> Option<bool> {
    match answer {
        YES => Some(true),
        NO => Some(false),
        _ => None,
    }
}

/// Writes the answers of a group from question `first` on. Groups are written in order, so the
/// bytes beyond a group (which its packed answers leave unanswered, see
/// [`crate::program::unanswered_above`]) are written again by the groups that follow.
#[inline(always)]
pub fn write_group(answers: &mut [u8], first: usize, packed: Packed) {
    if let Some(bytes) = answers.get_mut(first..first + GROUP) {
        bytes.copy_from_slice(&packed.to_le_bytes());
    }
}

impl Questions {
    /// Answers every question for one transaction, on the stretch of time `segment`.
    pub fn answer(
        &self,
        program: &Program,
        segment: usize,
        facts: &Facts<'_>,
        answers: &mut Answers,
    ) {
        answers.start(self);
        for fact in &self.facts {
            fact.answer(program, &self.table, segment, facts, &mut answers.0);
        }
    }

    /// Answers one group (by index) of questions about one fact.
    pub fn answer_group(
        &self,
        program: &Program,
        segment: usize,
        facts: &Facts<'_>,
        answers: &mut [u8],
        group: usize,
    ) {
        if let Some(fact) = self.facts.get(group) {
            fact.answer(program, &self.table, segment, facts, answers);
        }
    }
}

impl FactQuestions {
    /// Answers the questions about this fact.
    #[inline(always)]
    fn answer(
        &self,
        program: &Program,
        table: &[FactTest],
        segment: usize,
        facts: &Facts<'_>,
        answers: &mut [u8],
    ) {
        let packed = match facts.slots.get(usize::from(self.slot)) {
            Some(Slot::Present(value)) => match self.lookup(segment, *value) {
                Some(packed) => packed,
                None => answer_each(
                    program,
                    segment,
                    table
                        .get(self.first..self.first + self.count)
                        .unwrap_or(&[]),
                    *value,
                ),
            },
            _ => ALL_UNANSWERED,
        };
        write_group(answers, self.first, packed);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rust_decimal::Decimal;

    use super::*;
    use crate::Policy;
    use crate::program::{Kind, SlotType};
    use crate::value::Value;

    #[test]
    fn groups_write_their_bytes_in_order() {
        let mut answers = Answers(vec![UNANSWERED; 3 + GROUP]);
        write_group(
            &mut answers.0,
            0,
            Packed::from_le_bytes([YES, NO, 7, 7, 7, 7, 7, 7]),
        );
        write_group(
            &mut answers.0,
            2,
            Packed::from_le_bytes([YES, 0, 0, 0, 0, 0, 0, 0]),
        );
        assert_eq!(answers.get(0), Some(true));
        assert_eq!(answers.get(1), Some(false));
        assert_eq!(answers.get(2), Some(true));
        write_group(&mut answers.0, 1, ALL_UNANSWERED);
        assert_eq!(answers.get(1), None);
        assert_eq!(answers.get(200), None);
    }

    /// Values of each kind to answer questions about: every value of the few-valued kinds, and
    /// numbers at, beside and between the thresholds, at other scales, and of other kinds.
    fn values_for(ty: &SlotType, program: &Program, table: &[FactTest]) -> Vec<Value<'static>> {
        // Beside the values of each kind: values of no kind a fact holds, and a country index past
        // the codes (only facts built by hand hold one), which must not read the next stretch of
        // time's answers for China.
        let china = 676 + 2 * 26 + 13;
        let mut values = vec![Value::Null, Value::Str("x"), Value::Country(china)];
        match Kind::of(ty, program) {
            Some((kind, count)) => values.extend((0..count).map(|index| kind.value(index))),
            None => {
                for question in table {
                    if let FactTest::Number(_, _, threshold) = question {
                        let step = Decimal::new(1, threshold.scale() + 3);
                        for number in [threshold - step, *threshold, threshold + step] {
                            values.push(Value::Number(number));
                        }
                        // The same number written with more places, and beyond what rescaling holds.
                        let mut wider = *threshold;
                        let _ = wider.set_scale(threshold.scale());
                        values.push(Value::Number(wider * Decimal::new(1000, 3)));
                    }
                }
                values.extend([Value::Number(Decimal::MAX), Value::Number(Decimal::MIN)]);
                values.push(Value::Number(Decimal::new(-1, 0)));
            }
        }
        values
    }

    /// Every shortcut (a lookup worked out at compile time, integers at one scale) answers as
    /// `answer` does, question by question, on every stretch of time of every EAR version.
    #[test]
    fn shortcuts_answer_as_each_question_would() {
        let policy = Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))
            .expect("policies/ear loads");
        for version in &policy.versions {
            let program = &version.program;
            let questions = &program.questions;
            assert!(!questions.table.is_empty());
            for segment in 0..=program.segment_starts.len() {
                for fact in &questions.facts {
                    let table = &questions.table[fact.first..fact.first + fact.count];
                    let ty = &program.slots[usize::from(fact.slot)].ty;
                    for value in values_for(ty, program, table) {
                        let mut facts = Facts::new(program);
                        facts.slots[usize::from(fact.slot)] = Slot::Present(value);
                        let mut answers = Answers::default();
                        questions.answer(program, segment, &facts, &mut answers);
                        for index in questions.table.len()..questions.answer_bytes() {
                            assert_eq!(answers.get(index as u16), None, "past the table");
                        }
                        for (offset, question) in table.iter().enumerate() {
                            let index = (fact.first + offset) as u16;
                            assert_eq!(
                                answers.get(index),
                                question.answer(program, segment, value),
                                "{question:?} on {value:?} in segment {segment}"
                            );
                        }
                    }
                    let mut answers = Answers::default();
                    questions.answer(program, segment, &Facts::new(program), &mut answers);
                    for index in fact.first..fact.first + fact.count {
                        assert_eq!(answers.get(index as u16), None, "absent fact");
                    }
                }
            }
        }
    }
}
