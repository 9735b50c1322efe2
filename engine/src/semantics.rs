//! What a policy's rules mean when several conclude one outcome, stated once for every way the
//! engine runs them: the interpreter ([`crate::eval`]), the Rust it writes ([`crate::native`],
//! through `eval`), and the symbolic run of the exhaustive diff
//! ([`crate::diff::regions`], over regions instead of transactions).
//!
//! Takes the values rules concluded for one outcome, in rule order, with the relation "rule `a`
//! prevails over rule `b`" (priority, `notwithstanding`, closed); gives the value that decides
//! (the first that no rule concluding a different value prevails over, or for a `most
//! restrictive` outcome the first of the greatest of those) and the two rules that conflict when
//! they disagree and neither prevails.

use std::cmp::Ordering;

use crate::value::Value;

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
