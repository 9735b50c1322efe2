//! The compiled program: what [`crate::compile`] gives and every later pass reads.
//!
//! A version's facts as numbered slots ([`Slot`], [`SchemaNode`]), its expressions as a tree over
//! indexes ([`Ir`]), its conditions as branch code ([`Code`]: tests with where to jump), the
//! questions about one fact that conditions ask, laid out by fact with their answers worked out
//! where a fact takes few values ([`Questions`]), its rules, outcomes, groups and tables.
//!
//! Takes only values ([`crate::value`]). Holds the data and what reading it means: what a question
//! answers for a value ([`FactTest::answer`]) and the lookups that answer a fact's questions at
//! once, whose constructors `compile::questions` calls. Compile builds the rest, and evaluation
//! runs it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use jiff::civil::Date;
use rust_decimal::Decimal;

use cordon_lang::hir::{self, BinaryOp, Confidence, FieldMode};

use crate::value::{CountrySet, Value, compare, holds, number_order};

/// A compiled expression.
#[derive(Clone, Debug)]
pub enum Ir {
    Literal(Value<'static>),
    /// A policy string or ECCN literal, by index into [`Program::strings`].
    StringLiteral(u32, bool),
    Fact(u16),
    Outcome(u16),
    Table(u16),
    Define(u16),
    Variable(u16),
    Not(Box<Ir>),
    Negate(Box<Ir>),
    And(Box<Ir>, Box<Ir>),
    Or(Box<Ir>, Box<Ir>),
    Compare(BinaryOp, Box<Ir>, Box<Ir>),
    Arithmetic(BinaryOp, Box<Ir>, Box<Ir>),
    InGroup(Box<Ir>, u16),
    InList(Box<Ir>, Vec<Ir>),
    InFactList(Box<Ir>, u16),
    InOutcome(Box<Ir>, u16),
    /// A written value in an outcome set: the field and the member's index.
    OutcomeHas(u16, u16),
    WithinList(Box<Ir>, Vec<Ir>),
    Max(Box<Ir>, Box<Ir>),
    Min(Box<Ir>, Box<Ir>),
    Lowercase(Box<Ir>),
    Present(u16),
    AnyOf {
        all: bool,
        variable: u16,
        over: Vec<Ir>,
        body: Box<Ir>,
    },
    AnyOfFact {
        all: bool,
        variable: u16,
        slot: u16,
        body: Box<Ir>,
    },
}

impl Ir {
    /// Calls `f` on this expression and every expression inside it (through [`Ir::map`], which
    /// reaches each once; the copy it makes is dropped: this is for compiling, not evaluating).
    pub fn visit(&self, f: &mut impl FnMut(&Ir)) {
        self.map(&mut |node| {
            f(node);
            None
        });
    }

    /// A copy with each expression for which `replace` answers replaced by its answer.
    pub fn map(&self, replace: &mut impl FnMut(&Ir) -> Option<Ir>) -> Ir {
        if let Some(replaced) = replace(self) {
            return replaced;
        }
        let mut map = |ir: &Ir| Box::new(ir.map(replace));
        match self {
            Ir::Literal(_)
            | Ir::StringLiteral(..)
            | Ir::Fact(_)
            | Ir::Outcome(_)
            | Ir::Table(_)
            | Ir::Define(_)
            | Ir::Variable(_)
            | Ir::OutcomeHas(..)
            | Ir::Present(_) => self.clone(),
            Ir::Not(inner) => Ir::Not(map(inner)),
            Ir::Negate(inner) => Ir::Negate(map(inner)),
            Ir::Lowercase(inner) => Ir::Lowercase(map(inner)),
            Ir::InGroup(inner, group) => Ir::InGroup(map(inner), *group),
            Ir::InFactList(inner, slot) => Ir::InFactList(map(inner), *slot),
            Ir::InOutcome(inner, field) => Ir::InOutcome(map(inner), *field),
            Ir::And(a, b) => Ir::And(map(a), map(b)),
            Ir::Or(a, b) => Ir::Or(map(a), map(b)),
            Ir::Compare(op, a, b) => Ir::Compare(*op, map(a), map(b)),
            Ir::Arithmetic(op, a, b) => Ir::Arithmetic(*op, map(a), map(b)),
            Ir::Max(a, b) => Ir::Max(map(a), map(b)),
            Ir::Min(a, b) => Ir::Min(map(a), map(b)),
            Ir::InList(value, items) => {
                Ir::InList(map(value), items.iter().map(|item| *map(item)).collect())
            }
            Ir::WithinList(value, items) => {
                Ir::WithinList(map(value), items.iter().map(|item| *map(item)).collect())
            }
            Ir::AnyOf {
                all,
                variable,
                over,
                body,
            } => Ir::AnyOf {
                all: *all,
                variable: *variable,
                over: over.iter().map(|item| *map(item)).collect(),
                body: map(body),
            },
            Ir::AnyOfFact {
                all,
                variable,
                slot,
                body,
            } => Ir::AnyOfFact {
                all: *all,
                variable: *variable,
                slot: *slot,
                body: map(body),
            },
        }
    }
}

/// How a fact is read from JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotType {
    Bool,
    /// A number; `minimum` is the least it may be, and whether that value itself is allowed.
    Number {
        integer: bool,
        minimum: Option<(Decimal, bool)>,
    },
    Date,
    Country,
    String,
    Eccn,
    Enum(u16),
    EccnList,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// `item.tpp`
    pub path: String,
    pub ty: SlotType,
    pub mode: FieldMode,
}

/// The tree of the facts schema: a record's fields, leaves pointing at slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaNode {
    Leaf(u16),
    Record(Vec<(String, SchemaNode)>),
}

#[derive(Clone, Debug)]
pub struct OutcomeField {
    pub name: String,
    pub kind: OutcomeKind,
    /// For an outcome that takes the most restrictive value: the citations of that reading.
    pub reading: Vec<hir::Citation>,
}

#[derive(Clone, Debug)]
pub enum OutcomeKind {
    /// A single value with its default (`Null` for optional fields). `most_restrictive`: the
    /// value is the most restrictive (the greatest, in its ordered enum) of the values that no
    /// other applying rule overrules, instead of the one value they must agree on.
    Single {
        default: Value<'static>,
        enum_index: Option<u16>,
        most_restrictive: bool,
    },
    /// A set whose possible members are listed (at most 64); rules add them by index.
    Set {
        members: Vec<Ir>,
        enum_index: Option<u16>,
    },
}

impl OutcomeKind {
    /// The value before any rule concludes one: a single outcome's default; for a set, whether
    /// it has a member (`false`).
    pub fn initial(&self) -> Value<'static> {
        match self {
            OutcomeKind::Single { default, .. } => *default,
            OutcomeKind::Set { .. } => Value::Bool(false),
        }
    }
}

#[derive(Clone, Debug)]
pub struct CompiledConclusion {
    pub field: u16,
    /// For sets: the member's index. For single values: the value.
    pub member: u16,
    pub value: Ir,
}

#[derive(Clone, Debug)]
pub struct CompiledRule {
    pub name: String,
    pub citations: Vec<hir::Citation>,
    pub confidence: Confidence,
    pub window: (Option<Date>, Option<Date>),
    pub unless: Vec<u16>,
    /// The condition, as branch code.
    pub when: Option<Code>,
    pub then: Vec<CompiledConclusion>,
    /// Rules this rule prevails over, directly or not.
    pub prevails_over: RuleSet,
    /// The facts the rule reads (directly or through definitions), for the trace.
    pub reads: Vec<u16>,
    /// The rule's condition split at its top-level `and`s (through definitions), for
    /// explaining why a rule did not apply: the first conjunct that fails.
    pub conjuncts: Vec<Conjunct>,
}

/// One part of a rule's condition, ready to be explained with the values it compared.
#[derive(Clone, Debug)]
pub struct Conjunct {
    pub text: String,
    pub ir: Ir,
    /// For a comparison: each side's text and program, to show the values compared.
    pub sides: Option<(String, Ir, BinaryOp, String, Ir)>,
    /// For a side that is arithmetic over facts: its operands, to show the computation.
    pub operands: Vec<(String, Ir)>,
}

/// A set of rules as a bitset.
#[derive(Clone, Debug, Default)]
pub struct RuleSet(Vec<u64>);

impl RuleSet {
    pub fn from_indexes(indexes: &BTreeSet<u16>) -> RuleSet {
        let mut words = Vec::new();
        for index in indexes {
            let word = usize::from(*index) / 64;
            if words.len() <= word {
                words.resize(word + 1, 0);
            }
            words[word] |= 1 << (index % 64);
        }
        RuleSet(words)
    }

    pub fn contains(&self, index: &u16) -> bool {
        self.0
            .get(usize::from(*index) / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }
}

#[derive(Clone, Debug)]
pub struct CompiledDefine {
    pub name: String,
    pub value: Ir,
    /// For a yes/no definition: its value as branch code.
    pub test: Option<Code>,
}

#[derive(Clone, Debug)]
pub struct CompiledTable {
    pub name: String,
    pub rows: Vec<(Date, Ir)>,
}

/// A compiled version: everything evaluation needs, nothing else.
#[derive(Clone, Debug)]
pub struct Program {
    pub slots: Vec<Slot>,
    pub schema: SchemaNode,
    pub date_slot: u16,
    pub id_slot: Option<u16>,
    pub enums: Vec<hir::Enum>,
    pub strings: Vec<String>,
    pub outcome: Vec<OutcomeField>,
    /// Each outcome's value before any rule concludes it: a single outcome's default, a set's
    /// `false` (it has no member).
    pub initial: Vec<Value<'static>>,
    pub defines: Vec<CompiledDefine>,
    pub tables: Vec<CompiledTable>,
    /// Membership change dates: segment `i` runs from `segment_starts[i-1]` (or the beginning) to
    /// the day before `segment_starts[i]`.
    pub segment_starts: Vec<Date>,
    /// For each group, its members in each segment.
    pub groups: Vec<(String, Vec<CountrySet>)>,
    /// Aliases (code -> target), with their windows.
    pub aliases: Vec<(u16, u16, Option<Date>, Option<Date>)>,
    pub rules: Vec<CompiledRule>,
    pub rule_index: BTreeMap<String, u16>,
    /// The questions about one fact that conditions ask, answered once per transaction.
    pub questions: Questions,
}

impl Program {
    /// Whether facts read against this program's schema are read exactly as against `other`'s:
    /// the same slots, the same tree, the same enum values.
    pub fn reads_like(&self, other: &Program) -> bool {
        self.slots == other.slots
            && self.schema == other.schema
            && self.date_slot == other.date_slot
            && self.slots.iter().all(|slot| match slot.ty {
                SlotType::Enum(index) => {
                    let index = usize::from(index);
                    self.enums.get(index).map(|e| &e.variants)
                        == other.enums.get(index).map(|e| &e.variants)
                }
                _ => true,
            })
    }

    /// A rule's (by index) condition as branch code; `None` for a rule without one.
    pub fn rule_code(&self, rule: u16) -> Option<&Code> {
        self.rules.get(usize::from(rule))?.when.as_ref()
    }

    /// A yes/no definition's (by index) branch code; `None` for other definitions.
    pub fn define_code(&self, index: u16) -> Option<&Code> {
        self.defines.get(usize::from(index))?.test.as_ref()
    }

    /// Whether a value is a country in a group (by index) in a stretch of time (a segment).
    #[inline]
    pub fn in_group(&self, group: u16, segment: usize, value: Value<'_>) -> bool {
        match value {
            Value::Country(code) => self.groups[usize::from(group)]
                .1
                .get(segment)
                .is_some_and(|set| set.contains(code)),
            _ => false,
        }
    }

    /// The value of a literal program (a set member, a written value).
    pub fn literal_value(&self, ir: &Ir) -> Value<'_> {
        match ir {
            Ir::Literal(value) => *value,
            Ir::StringLiteral(index, eccn) => {
                let text = self.strings.get(*index as usize).map_or("", String::as_str);
                if *eccn {
                    Value::Eccn(text)
                } else {
                    Value::Str(text)
                }
            }
            _ => Value::Null,
        }
    }
}

// Conditions as branch code, lowered by `compile::branch`.

/// Where a test jumps: the index of the next test, or one of the two ends.
pub type Target = u16;
/// The condition holds.
pub const ACCEPT: Target = u16::MAX;
/// The condition does not hold.
pub const REJECT: Target = u16::MAX - 1;

/// A lowered condition: tests in execution order, entered at the first.
#[derive(Clone, Debug, Default)]
pub struct Code {
    pub tests: Vec<Test>,
}

#[derive(Clone, Debug)]
pub struct Test {
    pub atom: Atom,
    pub on_true: Target,
    pub on_false: Target,
}

/// One yes/no question a condition asks. (Kept small: the tests of a condition are read one
/// after another.)
#[derive(Clone, Debug)]
pub enum Atom {
    /// A question about one fact, answered up front: its index in the program's table.
    Known(u16),
    /// A fact compared with a literal of another kind (a text, a date).
    FactCompare(BinaryOp, u16, Value<'static>),
    /// A yes/no definition (by index), computed once per transaction.
    Define(u16),
    /// A single outcome taken as a condition (`license_required`).
    Outcome(u16),
    /// A written member (by index) of an outcome set.
    OutcomeHas(u16, u16),
    Compare(Box<(BinaryOp, Operand, Operand)>),
    /// Anything else, evaluated through the tree.
    Tree(Box<Ir>),
}

/// A question about one fact and written values only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactTest {
    /// A yes/no fact.
    Truth(u16),
    /// A fact compared with a number.
    Number(BinaryOp, u16, Decimal),
    /// A fact equal (`true`) or not equal (`false`) to an enum value: the slot, the enum's
    /// index, the value's index.
    Enum(u16, u16, u16, bool),
    /// A fact equal (`true`) or not equal (`false`) to a country.
    Country(u16, u16, bool),
    /// A fact's country in a group (by index), on the transaction's date.
    InGroup(u16, u16),
}

impl FactTest {
    pub fn slot(self) -> u16 {
        match self {
            FactTest::Truth(slot)
            | FactTest::Number(_, slot, _)
            | FactTest::Enum(slot, ..)
            | FactTest::Country(slot, ..)
            | FactTest::InGroup(slot, _) => slot,
        }
    }

    /// The answer to a question about one fact given the fact's value, as a condition reading it
    /// would decide; `None` when the value cannot answer it (a yes/no question about a value that is
    /// neither, which is an error where a condition asks it).
    #[inline]
    pub fn answer(self, program: &Program, segment: usize, value: Value<'_>) -> Option<bool> {
        Some(match self {
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
}

/// A value a test reads.
#[derive(Clone, Debug)]
pub enum Operand {
    Literal(Value<'static>),
    Fact(u16),
    /// A definition (by index), computed once per transaction.
    Define(u16),
    /// A single outcome's value.
    Outcome(u16),
    /// Anything else, evaluated through the tree.
    Tree(Ir),
}

// The questions about one fact: collected by `compile::branch`, laid out by `compile::questions`,
// answered for a transaction by `crate::answers`.

/// The program's table of questions about one fact.
#[derive(Clone, Debug, Default)]
pub struct Questions {
    /// The questions; a question's index is its byte in the [`crate::answers::Answers`].
    pub table: Vec<FactTest>,
    /// The questions about each fact, in table order, at most [`GROUP`] together.
    pub(crate) facts: Vec<FactQuestions>,
}

/// How many questions about one fact are answered together: a word of answer bytes.
pub(crate) const GROUP: usize = 8;

/// Answers in [`crate::answers::Answers`].
pub(crate) const NO: u8 = 0;
pub(crate) const YES: u8 = 1;
pub const UNANSWERED: u8 = 2;

/// The answers to up to [`GROUP`] questions, a byte each, the first in the lowest byte.
pub type Packed = u64;

/// Every question of a group left unanswered.
pub(crate) const ALL_UNANSWERED: Packed = Packed::from_le_bytes([UNANSWERED; GROUP]);

#[derive(Clone, Debug)]
pub(crate) struct FactQuestions {
    pub(crate) slot: u16,
    /// The index of its first question; its questions are the next `count`.
    pub(crate) first: usize,
    pub(crate) count: usize,
    /// How its questions are answered without asking each through [`FactTest::answer`].
    pub(crate) fast: Option<Fast>,
}

impl FactQuestions {
    /// The answers to its questions for a present value, looked up where the program worked them
    /// out (a value of a fact that takes few values, a number at most as precise as the
    /// thresholds); `None` for any other value.
    #[inline(always)]
    pub(crate) fn lookup(&self, segment: usize, value: Value<'_>) -> Option<Packed> {
        match (&self.fast, value) {
            (Some(Fast::ByValue(by_value)), _) => by_value.answer(segment, value),
            (Some(Fast::Numbers(thresholds)), Value::Number(number)) => thresholds.answer(number),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Fast {
    /// The answers for every value of a fact that takes few values.
    ByValue(ByValue),
    /// Comparisons of a number with thresholds, as integers at one scale.
    Numbers(Thresholds),
}

/// A number fact's thresholds brought to one scale (the most decimal places among them), so that a
/// value at most as precise compares with each as one integer with another.
#[derive(Clone, Debug)]
pub(crate) struct Thresholds {
    scale: u32,
    /// For each question: its threshold's mantissa at `scale`, and which orderings of the value
    /// against it answer yes (bit `ordering + 1`).
    each: Vec<(i128, u8)>,
}

impl Thresholds {
    pub(crate) fn new(questions: &[FactTest]) -> Option<Thresholds> {
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
pub(crate) struct ByValue {
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
    pub(crate) fn new(
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
pub(crate) enum Kind {
    Bool,
    Enum(u16),
    Country,
}

/// How many countries there are: codes of two capital letters.
pub(crate) const COUNTRIES: usize = 26 * 26;

impl Kind {
    /// The kind of a fact's type, with how many values it takes.
    pub(crate) fn of(ty: &SlotType, program: &Program) -> Option<(Kind, usize)> {
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
    pub(crate) fn value(self, index: usize) -> Value<'static> {
        let index16 = u16::try_from(index).unwrap_or(u16::MAX);
        match self {
            Kind::Bool => Value::Bool(index == 1),
            Kind::Enum(enumeration) => Value::Enum(enumeration, index16),
            Kind::Country => Value::Country(index16),
        }
    }
}

impl Questions {
    /// How many bytes a transaction's answers take: one per question, and room to write a whole
    /// group at the last.
    pub fn answer_bytes(&self) -> usize {
        self.table.len() + GROUP
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

/// The answers to consecutive questions (at most [`GROUP`]) about one fact given its value.
#[inline]
pub fn answer_each(
    program: &Program,
    segment: usize,
    questions: &[FactTest],
    value: Value<'_>,
) -> Packed {
    let mut packed = unanswered_above(questions.len());
    for (byte, question) in questions.iter().enumerate() {
        let answer = match question.answer(program, segment, value) {
            Some(holds) => u8::from(holds),
            None => UNANSWERED,
        };
        packed |= Packed::from(answer) << (8 * byte);
    }
    packed
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Policy;

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
