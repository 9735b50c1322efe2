//! Regions of the input space: the yes/no questions (atoms) a decision asks about the facts, and
//! what a region's answers say about each fact (its domain), down to one concrete witness.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::value::CountrySet;

/// A comparison, after `>` and `>=` are turned around.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmp {
    Less,
    LessOrEqual,
    Equal,
}

/// A number as the decision computes it from the facts: constants folded, facts kept by path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Num {
    Const(Decimal),
    Fact(String),
    Add(Box<Num>, Box<Num>),
    Subtract(Box<Num>, Box<Num>),
    Multiply(Box<Num>, Box<Num>),
    Divide(Box<Num>, Box<Num>),
    Max(Box<Num>, Box<Num>),
    Min(Box<Num>, Box<Num>),
    Negate(Box<Num>),
}

impl Num {
    /// The facts the number is computed from.
    pub fn facts(&self, into: &mut BTreeSet<String>) {
        match self {
            Num::Const(_) => {}
            Num::Fact(path) => {
                into.insert(path.clone());
            }
            Num::Negate(inner) => inner.facts(into),
            Num::Add(a, b)
            | Num::Subtract(a, b)
            | Num::Multiply(a, b)
            | Num::Divide(a, b)
            | Num::Max(a, b)
            | Num::Min(a, b) => {
                a.facts(into);
                b.facts(into);
            }
        }
    }

    /// The exact value, given a value for every fact it reads (`None` on overflow or a missing
    /// value).
    pub fn value(&self, values: &dyn Fn(&str) -> Option<Decimal>) -> Option<Decimal> {
        Some(match self {
            Num::Const(value) => *value,
            Num::Fact(path) => values(path)?,
            Num::Negate(inner) => -inner.value(values)?,
            Num::Add(a, b) => a.value(values)?.checked_add(b.value(values)?)?,
            Num::Subtract(a, b) => a.value(values)?.checked_sub(b.value(values)?)?,
            Num::Multiply(a, b) => a.value(values)?.checked_mul(b.value(values)?)?,
            Num::Divide(a, b) => a.value(values)?.checked_div(b.value(values)?)?,
            Num::Max(a, b) => a.value(values)?.max(b.value(values)?),
            Num::Min(a, b) => a.value(values)?.min(b.value(values)?),
        })
    }
}

/// A yes/no question about the facts. A region is a list of atoms with their answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Atom {
    /// The transaction's date is before this date.
    DateBefore(Date),
    /// A yes/no fact.
    Bool(String),
    /// An optional fact is given.
    Present(String),
    /// An enum fact has this value.
    EnumIs(String, String),
    /// A country fact is (counts as) a member of a group of one of the two versions.
    InGroup {
        fact: String,
        side: usize,
        group: String,
    },
    /// A country fact counts as this code.
    CountryIs(String, String),
    /// `left < right`, `left <= right` or `left == right`.
    Compare(Cmp, Num, Num),
    /// A text fact equals a text (without regard to case when `any_case`).
    Text {
        fact: String,
        text: String,
        any_case: bool,
    },
    /// A condition on the elements of a list fact: `any`/`all` of quantifier number `pred`.
    List { fact: String, pred: usize },
    /// A list fact contains this element.
    Contains { fact: String, element: String },
}

impl Atom {
    /// The fact the atom is about, for grouping conditions (`date` for dates; the first fact of a
    /// comparison).
    pub fn fact(&self) -> String {
        match self {
            Atom::DateBefore(_) => "date".to_string(),
            Atom::Bool(fact)
            | Atom::Present(fact)
            | Atom::EnumIs(fact, _)
            | Atom::InGroup { fact, .. }
            | Atom::CountryIs(fact, _)
            | Atom::Text { fact, .. }
            | Atom::List { fact, .. }
            | Atom::Contains { fact, .. } => fact.clone(),
            Atom::Compare(_, left, right) => {
                let mut facts = BTreeSet::new();
                left.facts(&mut facts);
                right.facts(&mut facts);
                facts.into_iter().next().unwrap_or_default()
            }
        }
    }
}

/// The numbers a numeric fact may still take: bounds (with whether they are included), points
/// excluded, and whether only whole numbers count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub low: Option<(Decimal, bool)>,
    pub high: Option<(Decimal, bool)>,
    pub excluded: Vec<Decimal>,
    pub integer: bool,
}

impl Interval {
    pub fn any(integer: bool) -> Interval {
        Interval {
            low: None,
            high: None,
            excluded: Vec::new(),
            integer,
        }
    }

    pub fn contains(&self, value: Decimal) -> bool {
        let above = match self.low {
            None => true,
            Some((low, true)) => value >= low,
            Some((low, false)) => value > low,
        };
        let below = match self.high {
            None => true,
            Some((high, true)) => value <= high,
            Some((high, false)) => value < high,
        };
        above
            && below
            && !self.excluded.contains(&value)
            && (!self.integer || value.fract().is_zero())
    }

    /// Narrowed by `x cmp c` (when `fact_left`) or `c cmp x`, answered `truth`; `None` when
    /// nothing is left.
    pub fn narrow(
        &self,
        cmp: Cmp,
        constant: Decimal,
        fact_left: bool,
        truth: bool,
    ) -> Option<Interval> {
        let mut next = self.clone();
        // Everything becomes `x < c`, `x <= c`, `x > c`, `x >= c`, `x == c` or `x != c`.
        let (below, strict) = match (cmp, fact_left, truth) {
            (Cmp::Equal, _, true) => {
                next.low = Some((constant, true));
                next.high = Some((constant, true));
                return next.normalized();
            }
            (Cmp::Equal, _, false) => {
                next.excluded.push(constant);
                return next.normalized();
            }
            (Cmp::Less, true, true) => (true, true),
            (Cmp::Less, true, false) => (false, false),
            (Cmp::LessOrEqual, true, true) => (true, false),
            (Cmp::LessOrEqual, true, false) => (false, true),
            (Cmp::Less, false, true) => (false, true),
            (Cmp::Less, false, false) => (true, false),
            (Cmp::LessOrEqual, false, true) => (false, false),
            (Cmp::LessOrEqual, false, false) => (true, true),
        };
        if below {
            let tighter = match next.high {
                None => true,
                Some((high, included)) => {
                    constant < high || (constant == high && included && strict)
                }
            };
            if tighter {
                next.high = Some((constant, !strict));
            }
        } else {
            let tighter = match next.low {
                None => true,
                Some((low, included)) => constant > low || (constant == low && included && strict),
            };
            if tighter {
                next.low = Some((constant, !strict));
            }
        }
        next.normalized()
    }

    /// Whole-number bounds made inclusive; `None` when no number is left.
    fn normalized(mut self) -> Option<Interval> {
        if self.integer {
            self.low = self.low.map(|(low, included)| {
                let ceiling = low.ceil();
                if !included && ceiling == low {
                    (low + Decimal::ONE, true)
                } else {
                    (ceiling, true)
                }
            });
            self.high = self.high.map(|(high, included)| {
                let floor = high.floor();
                if !included && floor == high {
                    (high - Decimal::ONE, true)
                } else {
                    (floor, true)
                }
            });
        }
        self.representative().map(|_| self)
    }

    /// A member, as plain as possible: an included bound (a threshold itself), else a round
    /// number next to a bound, else zero (one for whole numbers).
    pub fn representative(&self) -> Option<Decimal> {
        let mut candidates = Vec::new();
        match (self.low, self.high) {
            (Some((low, true)), _) => candidates.push(low),
            (Some((low, false)), high) => {
                candidates.push(low + Decimal::ONE);
                if let Some((high, _)) = high {
                    candidates.push((low + high) / Decimal::TWO);
                }
            }
            (None, Some((high, included))) => {
                if high > Decimal::ONE || (high == Decimal::ONE && !included) {
                    candidates.push(Decimal::ZERO.max(high - Decimal::ONE));
                }
                if included {
                    candidates.push(high);
                }
                candidates.push(if high > Decimal::ZERO {
                    high / Decimal::TWO
                } else {
                    high - Decimal::ONE
                });
            }
            (None, None) => candidates.push(if self.integer {
                Decimal::ONE
            } else {
                Decimal::ZERO
            }),
        }
        let base: Vec<Decimal> = candidates.clone();
        for value in base {
            for step in [Decimal::ONE, Decimal::TWO, Decimal::new(3, 0)] {
                candidates.push(value + step);
                candidates.push(value - step);
            }
        }
        if let (Some((low, _)), Some((high, _))) = (self.low, self.high) {
            let mut step = (high - low) / Decimal::new(4, 0);
            for _ in 0..4 {
                candidates.push(low + step);
                step /= Decimal::TWO;
            }
        }
        candidates.into_iter().find(|value| self.contains(*value))
    }
}

/// Text for conditions: `1600 TPP <= item.tpp < 4800 TPP`.
pub fn interval_text(
    interval: &Interval,
    fact: &str,
    unit: &str,
    number: &dyn Fn(Decimal) -> String,
) -> Vec<String> {
    let with_unit = |value: Decimal| {
        if unit.is_empty() {
            number(value)
        } else {
            format!("{} {unit}", number(value))
        }
    };
    let mut parts = Vec::new();
    match (interval.low, interval.high) {
        (Some((low, true)), Some((high, true))) if low == high => {
            parts.push(format!("{fact} == {}", with_unit(low)));
        }
        (low, high) => {
            let low = low.map(|(value, included)| {
                format!(
                    "{} {} ",
                    with_unit(value),
                    if included { "<=" } else { "<" }
                )
            });
            let high = high.map(|(value, included)| {
                format!(
                    " {} {}",
                    if included { "<=" } else { "<" },
                    with_unit(value)
                )
            });
            if low.is_some() || high.is_some() {
                parts.push(format!(
                    "{}{fact}{}",
                    low.unwrap_or_default(),
                    high.unwrap_or_default()
                ));
            }
        }
    }
    for excluded in &interval.excluded {
        parts.push(format!("{fact} != {}", with_unit(*excluded)));
    }
    parts
}

/// What a region knows about each fact.
#[derive(Clone, Debug)]
pub struct Region {
    /// The answers, in the order they were asked.
    pub answers: Vec<(Atom, bool)>,
    /// The dates left (both ends included).
    pub dates: (Date, Date),
    pub bools: BTreeMap<String, bool>,
    pub present: BTreeMap<String, bool>,
    pub enums: BTreeMap<String, BTreeSet<String>>,
    pub countries: BTreeMap<String, CountrySet>,
    pub numbers: BTreeMap<String, Interval>,
    /// Answers checked only when a witness is built (comparisons of several facts, texts, lists).
    pub complex: BTreeMap<Atom, bool>,
}

impl Region {
    pub fn everything() -> Region {
        Region {
            answers: Vec::new(),
            dates: (Date::MIN, Date::MAX),
            bools: BTreeMap::new(),
            present: BTreeMap::new(),
            enums: BTreeMap::new(),
            countries: BTreeMap::new(),
            numbers: BTreeMap::new(),
            complex: BTreeMap::new(),
        }
    }

    /// The answer to `atom` if the region has given it, directly or not.
    pub fn answer(&self, atom: &Atom) -> Option<bool> {
        self.complex.get(atom).copied()
    }
}

/// Days: `date + days`, saturating at the ends of the calendar.
pub fn shift(date: Date, days: i32) -> Date {
    date.checked_add(jiff::Span::new().days(days))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}
