//! What a policy's rules mean, stated once for every way the engine runs them: the interpreter
//! ([`crate::eval`]), the Rust it writes ([`crate::native`], through `eval`), and the symbolic
//! run of the exhaustive diff ([`crate::diff::regions`], over regions instead of transactions).
//!
//! Which rules may apply: rules run in their order (a rule named in `unless` comes first), and a
//! rule may apply when the transaction's date is inside its window ([`in_window`]) and no rule it
//! names in `unless` applied ([`beaten`]).
//!
//! What several rules concluding one outcome resolve to: takes the values rules concluded for one outcome, in rule order, with the relation "rule `a`
//! prevails over rule `b`" (priority, `notwithstanding`, closed); gives the value that decides
//! (the first that no rule concluding a different value prevails over, or for a `most
//! restrictive` outcome the first of the greatest of those) and the two rules that conflict when
//! they disagree and neither prevails.

use std::cmp::Ordering;

use jiff::civil::Date;

use crate::value::Value;

/// A question about the transaction's date that a window asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateTest {
    /// Is the date before this day?
    Before(Date),
    /// Is the date after this day?
    After(Date),
}

/// Whether the transaction's date is inside a rule's window: on or after its first day and on or
/// before its last, both ends included (an end not given is open). `test` answers each question
/// about the date: at once for a transaction, or by splitting a region for the diff (whose `E`
/// says what to split on).
#[inline(always)]
pub fn in_window<E>(
    (from, through): (Option<Date>, Option<Date>),
    mut test: impl FnMut(DateTest) -> Result<bool, E>,
) -> Result<bool, E> {
    if let Some(from) = from
        && test(DateTest::Before(from))?
    {
        return Ok(false);
    }
    match through {
        Some(through) => test(DateTest::After(through)).map(|after| !after),
        None => Ok(true),
    }
}

/// Whether a rule is beaten: a rule it names in `unless` applied.
#[inline(always)]
pub fn beaten<R>(unless: impl IntoIterator<Item = R>, applied: impl FnMut(R) -> bool) -> bool {
    unless.into_iter().any(applied)
}

/// What resolution needs of a concluded value: whether two are the same, and their order (for
/// an outcome that takes the most restrictive value).
pub trait Concluded: Copy {
    fn same(self, other: Self) -> bool;
    fn greater(self, other: Self) -> bool;
}

impl Concluded for Value<'_> {
    #[inline(always)]
    fn same(self, other: Self) -> bool {
        self.equals(other)
    }

    #[inline(always)]
    fn greater(self, other: Self) -> bool {
        self.compare(other) == Some(Ordering::Greater)
    }
}

/// A value a rule concluded for a single outcome.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<V> {
    pub rule: u16,
    pub value: V,
    /// Whether a rule that concluded a different value prevails over this one.
    pub overruled: bool,
}

/// Adds a rule's value to an outcome's candidates: the candidates it prevails over with a
/// different value are overruled, and it is if one of them prevails over it.
#[inline(always)]
pub fn push_candidate<V: Concluded>(
    candidates: &mut Vec<Candidate<V>>,
    rule: u16,
    value: V,
    prevails: impl Fn(u16, u16) -> bool,
) {
    let mut overruled = false;
    for other in candidates.iter_mut() {
        if !other.value.same(value) {
            other.overruled |= prevails(rule, other.rule);
            overruled |= prevails(other.rule, rule);
        }
    }
    candidates.push(Candidate {
        rule,
        value,
        overruled,
    });
}

/// Among the values rules concluded for one outcome, the one that prevails: the first that no
/// rule concluding a different value prevails over; for an outcome that takes the most
/// restrictive value, the first of the greatest of those.
pub fn resolve<V: Concluded>(
    candidates: &[Candidate<V>],
    most_restrictive: bool,
) -> Option<Candidate<V>> {
    let mut standing = candidates.iter().filter(|candidate| !candidate.overruled);
    let first = standing.next().copied();
    if !most_restrictive {
        return first;
    }
    standing.fold(first, |chosen, candidate| match chosen {
        Some(chosen) if candidate.value.greater(chosen.value) => Some(*candidate),
        chosen => chosen,
    })
}

/// Two rules that conclude different values for one outcome where neither prevails: the chosen
/// one and the first other. An outcome that takes the most restrictive value has none.
pub fn conflict<V: Concluded>(
    candidates: &[Candidate<V>],
    most_restrictive: bool,
) -> Option<(u16, u16)> {
    if most_restrictive {
        return None;
    }
    let chosen = resolve(candidates, false)?;
    candidates
        .iter()
        .find(|candidate| !candidate.overruled && !candidate.value.same(chosen.value))
        .map(|candidate| (chosen.rule, candidate.rule))
}
