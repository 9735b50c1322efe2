//! Regions of the input space: the yes/no questions (atoms) a decision asks about the facts, and
//! what a region's answers say about each fact (its domain), down to one concrete witness.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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
        self.admits(value) && !self.excluded.contains(&value)
    }

    /// Whether `value` is within the bounds and whole when it must be, the excluded points aside.
    fn admits(&self, value: Decimal) -> bool {
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
        above && below && (!self.integer || value.fract().is_zero())
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

    /// Whole-number bounds made inclusive; `None` when no number is left (decided exactly, see
    /// [`Interval::member`]).
    fn normalized(mut self) -> Option<Interval> {
        if self.integer {
            if let Some((low, included)) = self.low {
                let ceiling = low.ceil();
                self.low = Some(if !included && ceiling == low {
                    // Nothing is above the largest decimal.
                    (low.checked_add(Decimal::ONE)?, true)
                } else {
                    (ceiling, true)
                });
            }
            if let Some((high, included)) = self.high {
                let floor = high.floor();
                self.high = Some(if !included && floor == high {
                    (high.checked_sub(Decimal::ONE)?, true)
                } else {
                    (floor, true)
                });
            }
        }
        self.member().map(|_| self)
    }

    /// Some member, or `None` exactly when the interval holds no number the engine can read (a
    /// decimal of at most 28 digits after the point). The excluded values are finitely many, so
    /// looking at one more candidate than there are of them, each distinct and inside the bounds,
    /// finds a member whenever the bounds leave that many.
    pub fn member(&self) -> Option<Decimal> {
        let wanted = self.excluded.len() + 1;
        // Up to `wanted` candidates are each looked up among the excluded points: sorted once,
        // each look-up is a binary search, not a scan (a chain of `x == c or ...` excludes one
        // point per term, and a scan per candidate made the search quadratic in the chain).
        let mut excluded = self.excluded.clone();
        excluded.sort_unstable();
        let inside =
            |value: &Decimal| self.admits(*value) && excluded.binary_search(value).is_err();
        if self.integer {
            // Whole numbers from one bound inwards, starting at the first inside it.
            let (start, step) = match (self.low, self.high) {
                (Some((low, included)), _) => (
                    if !included && low.fract().is_zero() {
                        low.checked_add(Decimal::ONE)?
                    } else {
                        low.ceil()
                    },
                    Decimal::ONE,
                ),
                (None, Some((high, included))) => (
                    if !included && high.fract().is_zero() {
                        high.checked_sub(Decimal::ONE)?
                    } else {
                        high.floor()
                    },
                    Decimal::NEGATIVE_ONE,
                ),
                (None, None) => (Decimal::ZERO, Decimal::ONE),
            };
            return std::iter::successors(Some(start), |value| value.checked_add(step))
                .take(wanted)
                .find(inside);
        }
        let mut candidates: Vec<Decimal> = Vec::new();
        candidates.extend(
            self.low
                .filter(|(_, included)| *included)
                .map(|(low, _)| low),
        );
        candidates.extend(
            self.high
                .filter(|(_, included)| *included)
                .map(|(high, _)| high),
        );
        match (self.low, self.high) {
            (Some((low, _)), Some((high, _))) => {
                // Points strictly between, each the middle of the last and the upper bound: the
                // first that rounds onto a bound ends the list (nothing readable is left there).
                let mut last = low;
                for _ in 0..wanted {
                    let Some(middle) = midpoint(last, high) else {
                        break;
                    };
                    if middle <= last || middle >= high {
                        break;
                    }
                    candidates.push(middle);
                    last = middle;
                }
            }
            (Some((low, _)), None) => candidates.extend(
                std::iter::successors(low.checked_add(Decimal::ONE), |value| {
                    value.checked_add(Decimal::ONE)
                })
                .take(wanted),
            ),
            (None, Some((high, _))) => candidates.extend(
                std::iter::successors(high.checked_sub(Decimal::ONE), |value| {
                    value.checked_sub(Decimal::ONE)
                })
                .take(wanted),
            ),
            (None, None) => candidates.extend((0..wanted).map(Decimal::from)),
        }
        candidates.into_iter().find(inside)
    }

    /// A member, as plain as possible: an included bound (a threshold itself), else a round
    /// number next to a bound, else zero (one for whole numbers); any member when none of those
    /// is one.
    pub fn representative(&self) -> Option<Decimal> {
        let mut candidates = Vec::new();
        match (self.low, self.high) {
            (Some((low, true)), _) => candidates.push(low),
            (Some((low, false)), high) => {
                candidates.extend(low.checked_add(Decimal::ONE));
                if let Some((high, _)) = high {
                    candidates.extend(midpoint(low, high));
                }
            }
            (None, Some((high, included))) => {
                if high > Decimal::ONE || (high == Decimal::ONE && !included) {
                    candidates.extend(high.checked_sub(Decimal::ONE).map(|v| v.max(Decimal::ZERO)));
                }
                if included {
                    candidates.push(high);
                }
                candidates.extend(if high > Decimal::ZERO {
                    high.checked_div(Decimal::TWO)
                } else {
                    high.checked_sub(Decimal::ONE)
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
                candidates.extend(value.checked_add(step));
                candidates.extend(value.checked_sub(step));
            }
        }
        if let (Some((low, _)), Some((high, _))) = (self.low, self.high)
            && let Some(mut step) = high
                .checked_sub(low)
                .and_then(|width| width.checked_div(Decimal::new(4, 0)))
        {
            for _ in 0..4 {
                candidates.extend(low.checked_add(step));
                step /= Decimal::TWO;
            }
        }
        candidates
            .into_iter()
            .find(|value| self.contains(*value))
            .or_else(|| self.member())
    }
}

/// The middle of two decimals, without overflowing near the largest one.
fn midpoint(low: Decimal, high: Decimal) -> Option<Decimal> {
    match low.checked_add(high) {
        Some(sum) => sum.checked_div(Decimal::TWO),
        None => (low / Decimal::TWO).checked_add(high / Decimal::TWO),
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
    /// The answers, shared with the regions this one was split from.
    pub answers: Asked,
    /// The dates left (both ends included).
    pub dates: (Date, Date),
    // Each map is shared with the regions this one was split from until an answer changes it
    // (`Arc::make_mut`): a split copies only the map its answer narrows.
    pub bools: Arc<BTreeMap<String, bool>>,
    pub present: Arc<BTreeMap<String, bool>>,
    pub enums: Arc<BTreeMap<String, BTreeSet<String>>>,
    pub countries: Arc<BTreeMap<String, CountrySet>>,
    pub numbers: Arc<BTreeMap<String, Interval>>,
    /// Answers checked only when a witness is built (comparisons of several facts, texts, lists).
    pub complex: Arc<BTreeMap<Atom, bool>>,
}

impl Region {
    pub fn everything() -> Region {
        Region {
            answers: Asked::default(),
            dates: (Date::MIN, Date::MAX),
            bools: Arc::default(),
            present: Arc::default(),
            enums: Arc::default(),
            countries: Arc::default(),
            numbers: Arc::default(),
            complex: Arc::default(),
        }
    }

    /// The answer to `atom` if the region has given it, directly or not.
    pub fn answer(&self, atom: &Atom) -> Option<bool> {
        self.complex.get(atom).copied()
    }
}

/// The answers a region was narrowed by: the last one and those before it, which the regions it
/// was split from share (a split does not copy them).
#[derive(Clone, Debug, Default)]
pub struct Asked(Option<Arc<Answer>>);

#[derive(Debug)]
struct Answer {
    atom: Atom,
    truth: bool,
    before: Asked,
    /// How many answers, this one included.
    count: usize,
}

impl Asked {
    /// These answers and one more.
    pub fn and(&self, atom: Atom, truth: bool) -> Asked {
        Asked(Some(Arc::new(Answer {
            atom,
            truth,
            before: self.clone(),
            count: self.len() + 1,
        })))
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |answer| answer.count)
    }

    /// The answers in the order they were given.
    pub fn in_order(&self) -> Vec<(&Atom, bool)> {
        let mut all = Vec::with_capacity(self.len());
        let mut next = &self.0;
        while let Some(answer) = next {
            all.push((&answer.atom, answer.truth));
            next = &answer.before.0;
        }
        all.reverse();
        all
    }
}

/// Days: `date + days`, saturating at the ends of the calendar.
pub fn shift(date: Date, days: i32) -> Date {
    date.checked_add(jiff::Span::new().days(days))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(
        integer: bool,
        low: Option<(&str, bool)>,
        high: Option<(&str, bool)>,
        excluded: &[&str],
    ) -> Interval {
        let number = |text: &str| text.parse::<Decimal>().unwrap_or_default();
        Interval {
            low: low.map(|(value, included)| (number(value), included)),
            high: high.map(|(value, included)| (number(value), included)),
            excluded: excluded.iter().map(|value| number(value)).collect(),
            integer,
        }
    }

    /// Emptiness is decided exactly: members past many excluded values are found, and intervals
    /// with nothing readable in them are empty, at any scale and at the largest decimal.
    #[test]
    fn emptiness_is_exact() {
        let max = Decimal::MAX.to_string();
        let cases: Vec<(Interval, bool)> = vec![
            // Whole numbers 5 to 20, the first eight excluded: 13 is a member.
            (
                interval(
                    true,
                    Some(("5", true)),
                    Some(("20", true)),
                    &["5", "6", "7", "8", "9", "10", "11", "12"],
                ),
                true,
            ),
            // 5 to 7, all excluded.
            (
                interval(true, Some(("5", true)), Some(("7", true)), &["5", "6", "7"]),
                false,
            ),
            // More than 5 and less than 6: no whole number; less than 7: 6.
            (
                interval(true, Some(("5", false)), Some(("6", false)), &[]),
                false,
            ),
            (
                interval(true, Some(("5", false)), Some(("7", false)), &[]),
                true,
            ),
            // Above the largest decimal: nothing (this panicked).
            (interval(true, Some((&max, false)), None, &[]), false),
            (interval(false, Some((&max, false)), None, &[]), false),
            (interval(false, Some((&max, true)), None, &[]), true),
            // Decimals between two neighbours at the finest scale: nothing readable.
            (
                interval(
                    false,
                    Some(("0.0000000000000000000000000001", false)),
                    Some(("0.0000000000000000000000000002", false)),
                    &[],
                ),
                false,
            ),
            // A step wider: one decimal between.
            (
                interval(
                    false,
                    Some(("0.0000000000000000000000000001", false)),
                    Some(("0.0000000000000000000000000003", false)),
                    &[],
                ),
                true,
            ),
            // Between 5.91 and 5.92, with the middles excluded: still members.
            (
                interval(
                    false,
                    Some(("5.91", false)),
                    Some(("5.92", false)),
                    &["5.915", "5.9175"],
                ),
                true,
            ),
            // A single point, excluded.
            (
                interval(false, Some(("2", true)), Some(("2", true)), &["2"]),
                false,
            ),
        ];
        for (case, nonempty) in cases {
            let member = case.member();
            assert_eq!(member.is_some(), nonempty, "{case:?}: {member:?}");
            if let Some(member) = member {
                assert!(case.contains(member), "{case:?}: {member} is not a member");
            }
            assert_eq!(case.representative().is_some(), nonempty, "{case:?}");
        }
    }
}
