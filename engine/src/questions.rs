//! The questions about one fact and written values (`item.kind == ic`, `item.tpp >= 4800`,
//! `destination in D5`), answered for a whole transaction at once.
//!
//! Conditions ask the same questions in many places (see [`crate::branch`]), so the program keeps
//! one table of them, and evaluation answers the whole table once per transaction, before the
//! rules run; a test then reads one byte. The table is laid out by fact: the questions about one
//! fact come one after another, and the fact is read once for all of them.
//!
//! A yes/no, enum or country fact takes few values, so the answers to all its questions are worked
//! out when the program is compiled, for each value it can take (and, for questions about groups,
//! each stretch of time between membership changes): answering them is one lookup (two for a
//! country: the values that answer alike share a class, so 676 codes take a few classes' answers).
//! Numbers are compared with their thresholds as integers at one scale.
//!
//! A question whose fact the transaction lacks, or whose value cannot answer it, is left
//! unanswered; a condition that reaches it asks it there, with the error that names the fact.

use std::cmp::Ordering;

use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::branch::FactTest;
use crate::compile::{Program, SlotType};
use crate::eval::{compare, holds};
use crate::facts::{Facts, Slot};
use crate::value::{Value, number_order};

/// The program's table of questions about one fact.
#[derive(Clone, Debug, Default)]
pub struct Questions {
    /// The questions; a question's index is its byte in the [`Answers`].
    pub table: Vec<FactTest>,
    /// The questions about each fact, in table order, at most [`GROUP`] together.
    facts: Vec<FactQuestions>,
}

/// How many questions about one fact are answered together: a word of answer bytes.
const GROUP: usize = 8;

/// Answers in [`Answers`].
const NO: u8 = 0;
const YES: u8 = 1;
pub const UNANSWERED: u8 = 2;

/// The answers to up to [`GROUP`] questions, a byte each, the first in the lowest byte.
pub type Packed = u64;

/// Every question of a group left unanswered.
const ALL_UNANSWERED: Packed = Packed::from_le_bytes([UNANSWERED; GROUP]);

#[derive(Clone, Debug)]
struct FactQuestions {
    slot: u16,
    /// The index of its first question; its questions are the next `count`.
    first: usize,
    count: usize,
    /// How its questions are answered without asking each through [`answer`].
    fast: Option<Fast>,
}

#[derive(Clone, Debug)]
enum Fast {
    /// The answers for every value of a fact that takes few values.
    ByValue(ByValue),
    /// Comparisons of a number with thresholds, as integers at one scale.
    Numbers(Thresholds),
}

/// A number fact's thresholds brought to one scale (the most decimal places among them), so that a
/// value at most as precise compares with each as one integer with another.
#[derive(Clone, Debug)]
struct Thresholds {
    scale: u32,
    /// For each question: its threshold's mantissa at `scale`, and which orderings of the value
    /// against it answer yes (bit `ordering + 1`).
    each: Vec<(i128, u8)>,
}

impl Thresholds {
    fn new(questions: &[FactTest]) -> Option<Thresholds> {
        let mut numbers = Vec::new();
        for question in questions {
            let FactTest::Number(op, _, number) = question else {
                return None;
            };
            numbers.push((*op, *number));
        }
        let scale = numbers.iter().map(|(_, number)| number.scale()).max()?;
        let each = numbers
            .iter()
            .map(|(op, number)| {
                let accepts = [Ordering::Less, Ordering::Equal, Ordering::Greater]
                    .iter()
                    .enumerate()
                    .filter(|(_, ordering)| holds(*op, **ordering))
                    .fold(0, |bits, (bit, _)| bits | 1 << bit);
                Some((at_scale(*number, scale)?, accepts))
            })
            .collect::<Option<_>>()?;
        Some(Thresholds { scale, each })
    }

    /// The answers for a value, if it is at most as precise as the thresholds.
    #[inline]
    fn answer(&self, value: Decimal) -> Option<Packed> {
        let value = at_scale(value, self.scale)?;
        let mut packed = unanswered_above(self.each.len());
        for (byte, (threshold, orderings)) in self.each.iter().enumerate() {
            packed |= accepts(*orderings, value, *threshold) << (8 * byte);
        }
        Some(packed)
    }
}

/// Whether a number compares with a threshold (both integers at one scale) in one of the
/// orderings that answer yes (bit `ordering + 1` of `orderings`), as an answer byte.
#[inline(always)]
pub fn accepts(orderings: u8, number: i128, threshold: i128) -> Packed {
    Packed::from(orderings >> (number.cmp(&threshold) as i8 + 1) & 1)
}

/// A group of `count` questions' bytes beyond its own left unanswered, so that no byte past the
/// table's last question reads as an answer.
#[inline(always)]
pub fn unanswered_above(count: usize) -> Packed {
    ALL_UNANSWERED
        .checked_shl(8 * u32::try_from(count).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// A number's mantissa at a scale at least its own, if it fits.
#[inline]
pub fn at_scale(number: Decimal, scale: u32) -> Option<i128> {
    match scale.checked_sub(number.scale())? {
        0 => Some(number.mantissa()),
        // A mantissa is below 2^96: times 10^9 (below 2^30) it fits without a check.
        more @ 1..=9 => Some(number.mantissa() * 10i128.pow(more)),
        more => number.mantissa().checked_mul(10i128.checked_pow(more)?),
    }
}

#[derive(Clone, Debug)]
struct ByValue {
    kind: Kind,
    /// For each value (by [`Kind::index`]): its class. Values with the same answers at every
    /// stretch of time share one, which keeps the answers of a country fact to a few lines of
    /// cache.
    classes: Vec<u8>,
    /// Entries per stretch of time: 0 when no question depends on the date.
    stride: usize,
    /// For each stretch of time and each class: the answers.
    answers: Vec<Packed>,
}

impl ByValue {
    /// The answers for every value of a kind, in classes; `None` past 256 classes.
    fn new(
        program: &Program,
        questions: &[FactTest],
        kind: Kind,
        values: usize,
    ) -> Option<ByValue> {
        let dated = questions
            .iter()
            .any(|question| matches!(question, FactTest::InGroup(..)));
        let segments = if dated {
            program.segment_starts.len() + 1
        } else {
            1
        };
        let mut columns: IndexMap<Vec<Packed>, u8> = IndexMap::new();
        let mut classes = Vec::with_capacity(values);
        for index in 0..values {
            let column: Vec<Packed> = (0..segments)
                .map(|segment| answer_each(program, segment, questions, kind.value(index)))
                .collect();
            let next = u8::try_from(columns.len()).ok();
            let class = match columns.get(&column) {
                Some(class) => *class,
                None => {
                    let class = next?;
                    columns.insert(column, class);
                    class
                }
            };
            classes.push(class);
        }
        let stride = if dated { columns.len() } else { 0 };
        let answers = (0..segments)
            .flat_map(|segment| columns.keys().map(move |column| column[segment]))
            .collect();
        Some(ByValue {
            kind,
            classes,
            stride,
            answers,
        })
    }

    /// The answers for a value on a stretch of time, if it is one of the kind's.
    #[inline(always)]
    fn answer(&self, segment: usize, value: Value<'_>) -> Option<Packed> {
        let class = self.classes.get(self.kind.index(value)?)?;
        self.answers
            .get(segment * self.stride + usize::from(*class))
            .copied()
    }

    /// The answers for each value, when they do not depend on the date.
    fn each_value(&self) -> Vec<Packed> {
        self.classes
            .iter()
            .filter_map(|class| self.answers.get(usize::from(*class)).copied())
            .collect()
    }
}

/// The kinds of facts whose answers are worked out for each value.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Bool,
    Enum(u16),
    Country,
}

/// How many countries there are: codes of two capital letters.
const COUNTRIES: usize = 26 * 26;

impl Kind {
    /// The kind of a fact's type, with how many values it takes.
    fn of(ty: &SlotType, program: &Program) -> Option<(Kind, usize)> {
        match ty {
            SlotType::Bool => Some((Kind::Bool, 2)),
            SlotType::Enum(enumeration) => program
                .enums
                .get(usize::from(*enumeration))
                .map(|e| (Kind::Enum(*enumeration), e.variants.len())),
            SlotType::Country => Some((Kind::Country, COUNTRIES)),
            _ => None,
        }
    }

    /// A value's index among the values of this kind.
    #[inline]
    fn index(self, value: Value<'_>) -> Option<usize> {
        match (self, value) {
            (Kind::Bool, Value::Bool(value)) => Some(usize::from(value)),
            (Kind::Enum(expected), Value::Enum(enumeration, variant))
                if expected == enumeration =>
            {
                Some(usize::from(variant))
            }
            (Kind::Country, Value::Country(code)) => Some(usize::from(code)),
            _ => None,
        }
    }

    /// The value at an index.
    fn value(self, index: usize) -> Value<'static> {
        let index16 = u16::try_from(index).unwrap_or(u16::MAX);
        match self {
            Kind::Bool => Value::Bool(index == 1),
            Kind::Enum(enumeration) => Value::Enum(enumeration, index16),
            Kind::Country => Value::Country(index16),
        }
    }
}

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
/// bytes beyond a group (which its packed answers leave unanswered, see [`unanswered_above`]) are
/// written again by the groups that follow.
#[inline(always)]
pub fn write_group(answers: &mut [u8], first: usize, packed: Packed) {
    if let Some(bytes) = answers.get_mut(first..first + GROUP) {
        bytes.copy_from_slice(&packed.to_le_bytes());
    }
}

impl Questions {
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
            code.renumber_questions(&renumbered);
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

    /// How many bytes a transaction's answers take: one per question, and room to write a whole
    /// group at the last.
    pub fn answer_bytes(&self) -> usize {
        self.table.len() + GROUP
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

    /// The groups of questions about one fact, in table order, for the Rust that
    /// [`crate::native`] writes: how each can be answered without the interpreter.
    pub fn groups(&self) -> impl Iterator<Item = Group<'_>> {
        self.facts.iter().map(|fact| Group {
            slot: fact.slot,
            first: fact.first,
            count: fact.count,
            how: match &fact.fast {
                Some(Fast::ByValue(by_value)) => match by_value.kind {
                    Kind::Country => {
                        How::Country(&by_value.classes, by_value.stride, &by_value.answers)
                    }
                    // Only questions about groups, which are about countries, depend on the date.
                    Kind::Bool if by_value.stride == 0 => How::Bool(by_value.each_value()),
                    Kind::Enum(enumeration) if by_value.stride == 0 => {
                        How::Enum(enumeration, by_value.each_value())
                    }
                    _ => How::Interpreted,
                },
                Some(Fast::Numbers(thresholds)) => How::Numbers(thresholds.scale, &thresholds.each),
                None => How::Interpreted,
            },
        })
    }
}

/// A group of questions about one fact (see [`Questions::groups`]).
pub struct Group<'q> {
    pub slot: u16,
    /// The index of its first question; its questions are the next `count`.
    pub first: usize,
    pub count: usize,
    pub how: How<'q>,
}

/// How a group's answers are found for a present value of its fact's kind (anything else goes
/// through [`Questions::answer_group`]).
pub enum How<'q> {
    /// A yes/no fact: the answers for `false` and for `true`.
    Bool(Vec<Packed>),
    /// A fact of an enum (by index): the answers for each variant.
    Enum(u16, Vec<Packed>),
    /// A number at most as precise as `scale` (see [`at_scale`]): for each question, its
    /// threshold at that scale and which orderings of the number against it answer yes (bit
    /// `ordering + 1`).
    Numbers(u32, &'q [(i128, u8)]),
    /// A country fact: the class of each code (`Value::Country`), and the answers for each
    /// stretch of time and class (`stride` classes a stretch; 0 when the date does not matter).
    Country(&'q [u8], usize, &'q [Packed]),
    Interpreted,
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
            Some(Slot::Present(value)) => {
                let fast = match (&self.fast, value) {
                    (Some(Fast::ByValue(by_value)), _) => by_value.answer(segment, *value),
                    (Some(Fast::Numbers(thresholds)), Value::Number(number)) => {
                        thresholds.answer(*number)
                    }
                    _ => None,
                };
                match fast {
                    Some(packed) => packed,
                    None => answer_each(
                        program,
                        segment,
                        table
                            .get(self.first..self.first + self.count)
                            .unwrap_or(&[]),
                        *value,
                    ),
                }
            }
            _ => ALL_UNANSWERED,
        };
        write_group(answers, self.first, packed);
    }
}

/// The answers to consecutive questions (at most [`GROUP`]) about one fact given its value.
#[inline]
fn answer_each(
    program: &Program,
    segment: usize,
    questions: &[FactTest],
    value: Value<'_>,
) -> Packed {
    let mut packed = unanswered_above(questions.len());
    for (byte, question) in questions.iter().enumerate() {
        let answer = match answer(program, segment, *question, value) {
            Some(holds) => u8::from(holds),
            None => UNANSWERED,
        };
        packed |= Packed::from(answer) << (8 * byte);
    }
    packed
}

/// The answer to a question about one fact given the fact's value, as a condition reading it
/// would decide; `None` when the value cannot answer it (a yes/no question about a value that is
/// neither, which is an error where a condition asks it).
#[inline]
pub fn answer(
    program: &Program,
    segment: usize,
    question: FactTest,
    value: Value<'_>,
) -> Option<bool> {
    Some(match question {
        FactTest::Truth(_) => match value {
            Value::Bool(value) => value,
            Value::Null => false,
            _ => return None,
        },
        FactTest::Number(op, _, number) => match value {
            Value::Number(value) => holds(op, number_order(value, number)),
            other => compare(op, other, Value::Number(number)),
        },
        FactTest::Enum(_, enumeration, variant, equal) => match value {
            Value::Enum(e, v) => (e == enumeration && v == variant) == equal,
            other => other.equals(Value::Enum(enumeration, variant)) == equal,
        },
        FactTest::Country(_, code, equal) => match value {
            Value::Country(value) => (value == code) == equal,
            other => other.equals(Value::Country(code)) == equal,
        },
        FactTest::InGroup(_, group) => program.in_group(group, segment, value),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Policy;

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
                                answer(program, segment, *question, value),
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

    /// The tables the Rust writer takes from [`Questions::groups`] answer every value of their
    /// kind on every stretch of time as asking each question would.
    #[test]
    fn the_tables_handed_to_native_answer_as_each_question_would() {
        let policy = Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))
            .expect("policies/ear loads");
        let mut countries = 0;
        for version in &policy.versions {
            let program = &version.program;
            for group in program.questions.groups() {
                let table = &program.questions.table[group.first..group.first + group.count];
                for segment in 0..=program.segment_starts.len() {
                    let each = |value| answer_each(program, segment, table, value);
                    match &group.how {
                        How::Bool(answers) => {
                            assert_eq!(
                                *answers,
                                [each(Value::Bool(false)), each(Value::Bool(true))]
                            );
                        }
                        How::Enum(enumeration, answers) => {
                            for (variant, packed) in answers.iter().enumerate() {
                                let value = Kind::Enum(*enumeration).value(variant);
                                assert_eq!(*packed, each(value), "{value:?}");
                            }
                        }
                        How::Country(classes, stride, answers) => {
                            countries += 1;
                            assert_eq!(classes.len(), COUNTRIES);
                            for (code, class) in classes.iter().enumerate() {
                                let value = Kind::Country.value(code);
                                let at = segment * *stride + usize::from(*class);
                                assert_eq!(answers.get(at), Some(&each(value)), "{value:?}");
                            }
                        }
                        How::Numbers(..) | How::Interpreted => {}
                    }
                }
            }
        }
        assert!(countries > 0, "no country facts");
    }
}
