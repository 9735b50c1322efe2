//! Runtime values: small, `Copy`, and exact.
//!
//! Numbers are `rust_decimal::Decimal` (28 significant digits, no binary floating point), dates are
//! civil dates, countries and enum values are small indexes. Strings and ECCNs borrow from the
//! transaction or the compiled policy, so evaluating a rule never allocates.
//!
//! Below every pass: takes nothing from the rest of the engine; gives the values and what
//! comparing two of them means ([`compare`], [`holds`], [`number_order`]), which compile (working
//! out answers ahead), evaluation and the diff all use.

use std::cmp::Ordering;

use jiff::civil::Date;
use rust_decimal::Decimal;

use cordon_lang::hir::BinaryOp;

#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Decimal),
    Date(Date),
    /// A country as `(first letter) * 26 + (second letter)`.
    Country(u16),
    /// An enum value: the enum's index in the program and the value's index in the enum.
    Enum(u16, u16),
    Str(&'a str),
    /// A text to be compared without regard to case (the result of `lowercase`).
    Lowercase(&'a str),
    Eccn(&'a str),
    /// A list of values held by the transaction (a `set of eccn` fact), by index.
    List(u16),
}

impl<'a> Value<'a> {
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_number(self) -> Option<Decimal> {
        match self {
            Value::Number(value) => Some(value),
            _ => None,
        }
    }

    /// Equality as the language defines it: exact numbers, case-insensitive against `lowercase`.
    #[inline]
    pub fn equals(self, other: Value<'_>) -> bool {
        match (self, other) {
            (Value::Enum(enum_a, a), Value::Enum(enum_b, b)) => enum_a == enum_b && a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Country(a), Value::Country(b)) => a == b,
            (Value::Lowercase(a), Value::Str(b) | Value::Lowercase(b))
            | (Value::Str(b), Value::Lowercase(a)) => lowercase_equals(a, b),
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }

    /// Order of two values of one type, `None` for values that do not compare.
    pub fn compare(self, other: Value<'_>) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, Value::Null) => Some(Ordering::Equal),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(&b)),
            (Value::Number(a), Value::Number(b)) => Some(number_order(a, b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(&b)),
            (Value::Country(a), Value::Country(b)) => Some(a.cmp(&b)),
            (Value::Enum(enum_a, a), Value::Enum(enum_b, b)) if enum_a == enum_b => Some(a.cmp(&b)),
            (Value::Str(a), Value::Str(b)) | (Value::Eccn(a), Value::Eccn(b)) => Some(a.cmp(b)),
            (Value::Lowercase(a), Value::Str(b) | Value::Lowercase(b))
            | (Value::Str(a), Value::Lowercase(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            _ => None,
        }
    }
}

/// The order of two exact numbers. Numbers written with the same number of decimal places (most
/// thresholds and the facts compared with them) compare by their integer mantissas; others are
/// brought to one scale first.
#[inline]
pub fn number_order(a: Decimal, b: Decimal) -> Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(&b)
    }
}

/// The greater (`max`) or the lesser of two values; the first when they are equal or unordered
/// and `max`.
#[inline]
pub fn extreme<'a>(max: bool, a: Value<'a>, b: Value<'a>) -> Value<'a> {
    let a_first = match a.compare(b) {
        Some(Ordering::Less) => !max,
        _ => max,
    };
    if a_first { a } else { b }
}

/// Whether two values satisfy a comparison, as a condition compares them.
#[inline]
pub fn compare(op: BinaryOp, left: Value<'_>, right: Value<'_>) -> bool {
    // The two comparisons most conditions make, without the general matches below.
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => return holds(op, number_order(a, b)),
        (Value::Enum(enum_a, a), Value::Enum(enum_b, b)) if enum_a == enum_b => {
            return holds(op, a.cmp(&b));
        }
        _ => {}
    }
    match op {
        BinaryOp::Equal => left.equals(right),
        BinaryOp::NotEqual => !left.equals(right),
        _ => left
            .compare(right)
            .is_some_and(|ordering| holds(op, ordering)),
    }
}

/// Whether two values in this order satisfy a comparison (anything but a comparison does not).
#[inline]
pub fn holds(op: BinaryOp, ordering: Ordering) -> bool {
    op.holds(ordering).unwrap_or(false)
}

fn lowercase_equals(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The index of a two-letter country code, `None` if it is not two ASCII capitals.
pub fn country_index(code: &str) -> Option<u16> {
    let bytes = code.as_bytes();
    match bytes {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(u16::from(a - b'A') * 26 + u16::from(b - b'A')),
        _ => None,
    }
}

/// The code of a country index.
pub fn country_code(index: u16) -> String {
    let first = char::from(b'A' + u8::try_from(index / 26).unwrap_or(0));
    let second = char::from(b'A' + u8::try_from(index % 26).unwrap_or(0));
    format!("{first}{second}")
}

/// Whether ECCN `eccn` is `heading` or a paragraph under it: `3A090.a` is within `3A090`.
pub fn eccn_within(eccn: &str, heading: &str) -> bool {
    eccn == heading
        || (eccn.starts_with(heading) && eccn.as_bytes().get(heading.len()) == Some(&b'.'))
}

/// A set of countries (676 possible codes) as a bitset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountrySet([u64; 11]);

impl CountrySet {
    pub fn insert(&mut self, index: u16) {
        let index = usize::from(index);
        if let Some(word) = self.0.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    pub fn remove(&mut self, index: u16) {
        let index = usize::from(index);
        if let Some(word) = self.0.get_mut(index / 64) {
            *word &= !(1 << (index % 64));
        }
    }

    pub fn contains(&self, index: u16) -> bool {
        let index = usize::from(index);
        self.0
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    pub fn union(mut self, other: &CountrySet) -> CountrySet {
        for (word, other) in self.0.iter_mut().zip(other.0.iter()) {
            *word |= other;
        }
        self
    }

    pub fn difference(mut self, other: &CountrySet) -> CountrySet {
        for (word, other) in self.0.iter_mut().zip(other.0.iter()) {
            *word &= !other;
        }
        self
    }

    pub fn intersection(mut self, other: &CountrySet) -> CountrySet {
        for (word, other) in self.0.iter_mut().zip(other.0.iter()) {
            *word &= other;
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }

    /// The members' indexes, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.0.len() * 64)
            .filter(|index| self.0[index / 64] & (1 << (index % 64)) != 0)
            .filter_map(|index| u16::try_from(index).ok())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::number_order;

    proptest! {
        /// The shortcut for numbers of one scale orders as `Decimal` does, signs and zeros
        /// included.
        #[test]
        fn number_order_is_decimal_order(
            a in any::<i64>(), b in any::<i64>(), scale_a in 0u32..28, same in any::<bool>(), scale_b in 0u32..28,
        ) {
            let a = Decimal::new(a, scale_a);
            let b = Decimal::new(b, if same { scale_a } else { scale_b });
            prop_assert_eq!(number_order(a, b), a.cmp(&b));
            prop_assert_eq!(number_order(-a, b), (-a).cmp(&b));
        }
    }

    #[test]
    fn negative_zero_equals_zero() {
        let zero = Decimal::new(0, 2);
        assert_eq!(number_order(-zero, zero), std::cmp::Ordering::Equal);
    }
}
