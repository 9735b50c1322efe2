//! One concrete transaction inside a region: a value for every fact, chosen to read naturally
//! (thresholds themselves, familiar countries), that meets every answer the region holds.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use cordon_lang::hir::FieldMode;

use super::domain::{Atom, Cmp, Num, Region};
use super::space::{Kind, Space};
use super::symbolic::Run;
use crate::value::country_code;

/// Bounds of a number over a region (`None`: unbounded on that side), ends treated as included.
pub fn range(space: &Space<'_>, region: &Region, num: &Num) -> (Option<Decimal>, Option<Decimal>) {
    match num {
        Num::Const(value) => (Some(*value), Some(*value)),
        Num::Fact(fact) => {
            let interval = space.interval(region, fact);
            (interval.low.map(|(v, _)| v), interval.high.map(|(v, _)| v))
        }
        Num::Negate(inner) => {
            let (low, high) = range(space, region, inner);
            (high.map(|v| -v), low.map(|v| -v))
        }
        Num::Add(a, b) => {
            let ((al, ah), (bl, bh)) = (range(space, region, a), range(space, region, b));
            (
                al.zip(bl).and_then(|(x, y)| x.checked_add(y)),
                ah.zip(bh).and_then(|(x, y)| x.checked_add(y)),
            )
        }
        Num::Subtract(a, b) => {
            let ((al, ah), (bl, bh)) = (range(space, region, a), range(space, region, b));
            (
                al.zip(bh).and_then(|(x, y)| x.checked_sub(y)),
                ah.zip(bl).and_then(|(x, y)| x.checked_sub(y)),
            )
        }
        Num::Multiply(a, b) => {
            let ((al, ah), (bl, bh)) = (range(space, region, a), range(space, region, b));
            match (al, ah, bl, bh) {
                (Some(al), Some(ah), Some(bl), Some(bh)) => {
                    let products: Option<Vec<Decimal>> = [al, ah]
                        .iter()
                        .flat_map(|x| [bl, bh].map(move |y| x.checked_mul(y)))
                        .collect();
                    match products {
                        Some(p) => (p.iter().min().copied(), p.iter().max().copied()),
                        None => (None, None),
                    }
                }
                // Both at least zero: the product is at least the product of the lows.
                (Some(al), _, Some(bl), _) if al >= Decimal::ZERO && bl >= Decimal::ZERO => (
                    al.checked_mul(bl),
                    ah.zip(bh).and_then(|(x, y)| x.checked_mul(y)),
                ),
                _ => (None, None),
            }
        }
        Num::Divide(a, b) => {
            let ((al, ah), (bl, bh)) = (range(space, region, a), range(space, region, b));
            match (al, ah, bl, bh) {
                (Some(al), Some(ah), Some(bl), Some(bh))
                    if al == ah && bl == bh && !bl.is_zero() =>
                {
                    let value = al.checked_div(bl);
                    (value, value)
                }
                _ => (None, None),
            }
        }
        Num::Max(a, b) | Num::Min(a, b) => {
            let ((al, ah), (bl, bh)) = (range(space, region, a), range(space, region, b));
            if matches!(num, Num::Max(..)) {
                let low = match (al, bl) {
                    (Some(x), Some(y)) => Some(x.max(y)),
                    (x, y) => x.or(y),
                };
                (low, ah.zip(bh).map(|(x, y)| x.max(y)))
            } else {
                let high = match (ah, bh) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                (al.zip(bl).map(|(x, y)| x.min(y)), high)
            }
        }
    }
}

/// A text that meets the region's answers about a text fact: `Ok(None)` when it is proved that
/// none does, `Err` when neither a text nor the proof was found (the region is then kept).
///
/// Without an equality answered yes, fresh texts distinct even without regard to case are tried,
/// one more than there are answers, so one of them meets every inequality. With one, the text is
/// that text (or, without regard to case, the text, its upper case or its title case; a text
/// without cased letters has no other spelling).
pub fn text_for(region: &Region, fact: &str) -> Result<Option<String>, String> {
    let answers: Vec<(&str, bool, bool)> = region
        .complex
        .iter()
        .filter_map(|(atom, truth)| match atom {
            Atom::Text {
                fact: f,
                text,
                any_case,
            } if f == fact => Some((text.as_str(), *any_case, *truth)),
            _ => None,
        })
        .collect();
    let meets = |candidate: &String| {
        answers.iter().all(|(text, any_case, truth)| {
            let equal = if *any_case {
                candidate.to_lowercase() == *text
            } else {
                candidate == text
            };
            equal == *truth
        })
    };
    let exact = answers
        .iter()
        .find(|(_, any_case, truth)| *truth && !any_case);
    if let Some((text, _, _)) = exact {
        let text = text.to_string();
        return Ok(meets(&text).then_some(text));
    }
    let folded = answers
        .iter()
        .find(|(_, any_case, truth)| *truth && *any_case);
    if let Some((text, _, _)) = folded {
        let candidates = [text.to_string(), text.to_uppercase(), title_case(text)];
        if let Some(found) = candidates.iter().find(|candidate| meets(candidate)) {
            return Ok(Some(found.clone()));
        }
        let uncased = text.chars().all(|c| !c.is_lowercase() && !c.is_uppercase());
        return if uncased
            || answers
                .iter()
                .any(|(other, any_case, truth)| *truth && *any_case && other != text)
        {
            Ok(None)
        } else {
            Err(format!(
                "no text found for `{fact}` among the spellings of {text:?}"
            ))
        };
    }
    let found = (1..=answers.len() + 1)
        .map(|n| {
            if n == 1 {
                "Other product".to_string()
            } else {
                format!("Other product {n}")
            }
        })
        .find(|candidate| meets(candidate));
    // Unreachable by the counting above, but a proof only where it holds.
    found
        .map(Some)
        .ok_or_else(|| format!("no text found for `{fact}`"))
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A list of ECCNs that meets the region's answers about a list fact: `Ok(None)` when it is
/// proved that none does, `Err` when a predicate could not be evaluated on an element.
///
/// Each answer about the list either forbids elements (`any` answered no, `all` answered yes, an
/// element answered not contained) or needs one (`any` yes, `all` no, contained). Elements are
/// drawn from the ECCNs either version names, a paragraph under each and one under none of them:
/// every ECCN falls within exactly the named headings one of those does, so a predicate of an
/// element that tests `within` headings cannot tell it from that one. A list exists exactly when
/// each need has an element no answer forbids; it is those elements.
pub fn list_for(
    space: &Space<'_>,
    region: &Region,
    fact: &str,
) -> Result<Option<Vec<String>>, String> {
    let answers: Vec<(&Atom, bool)> = region
        .complex
        .iter()
        .filter(|(atom, _)| matches!(atom, Atom::List { fact: f, .. } | Atom::Contains { fact: f, .. } if f == fact))
        .map(|(atom, truth)| (atom, *truth))
        .collect();
    // Whether the element satisfies the predicate's body.
    let satisfies = |pred: usize, element: &String| -> Result<bool, String> {
        let predicate = &space.list_predicates[pred];
        let everything = Region::everything();
        let mut run = Run::new(space, predicate.side, &everything);
        run.list_holds(
            predicate.body,
            predicate.variable,
            false,
            std::slice::from_ref(element),
        )
        .map_err(|_| format!("`{}` could not be evaluated on {element}", predicate.text))
    };
    let allowed = |element: &String| -> Result<bool, String> {
        for (atom, truth) in &answers {
            let forbidden = match (atom, truth) {
                (Atom::List { pred, .. }, false) if !space.list_predicates[*pred].all => {
                    satisfies(*pred, element)?
                }
                (Atom::List { pred, .. }, true) if space.list_predicates[*pred].all => {
                    !satisfies(*pred, element)?
                }
                (Atom::Contains { element: other, .. }, false) => other == element,
                _ => false,
            };
            if forbidden {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let mut list: Vec<String> = Vec::new();
    for (atom, truth) in &answers {
        let needed: Vec<String> = match (atom, truth) {
            (Atom::Contains { element, .. }, true) => vec![element.clone()],
            (Atom::List { pred, .. }, holds) if space.list_predicates[*pred].all != *holds => {
                // `any` yes: an element that satisfies; `all` no: one that does not.
                let mut found = None;
                for element in &space.eccns {
                    if satisfies(*pred, element)? == *holds && allowed(element)? {
                        found = Some(element.clone());
                        break;
                    }
                }
                match found {
                    Some(element) => vec![element],
                    None => return Ok(None),
                }
            }
            _ => Vec::new(),
        };
        for element in needed {
            if !allowed(&element)? {
                return Ok(None);
            }
            if !list.contains(&element) {
                list.push(element);
            }
        }
    }
    Ok(Some(list))
}

/// Values for the numeric facts that meet every answer, including those about several facts at
/// once (`counters.consignee_tpp_this_year + item.tpp * quantity <= 26,900,000`).
fn numbers(space: &Space<'_>, region: &Region) -> Option<BTreeMap<String, Decimal>> {
    let mut values: BTreeMap<String, Decimal> = BTreeMap::new();
    for (fact, info) in &space.facts {
        if matches!(info.kind, Kind::Number { .. }) {
            values.insert(fact.clone(), space.interval(region, fact).representative()?);
        }
    }
    let constraints: Vec<(Cmp, &Num, &Num, bool)> = region
        .complex
        .iter()
        .filter_map(|(atom, truth)| match atom {
            Atom::Compare(cmp, left, right) => Some((*cmp, left, right, *truth)),
            _ => None,
        })
        .collect();
    if constraints.is_empty() {
        return Some(values);
    }
    // The facts the constraints read, those read by more constraints first: the last ones are
    // the slack that is solved for.
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for (_, left, right, _) in &constraints {
        let mut facts = BTreeSet::new();
        left.facts(&mut facts);
        right.facts(&mut facts);
        for fact in facts {
            *uses.entry(fact).or_default() += 1;
        }
    }
    let mut order: Vec<String> = uses.keys().cloned().collect();
    order.sort_by_key(|fact| std::cmp::Reverse(uses[fact]));
    let holds = |values: &BTreeMap<String, Decimal>| {
        constraints.iter().all(|(cmp, left, right, truth)| {
            let lookup = |fact: &str| values.get(fact).copied();
            match (left.value(&lookup), right.value(&lookup)) {
                (Some(l), Some(r)) => {
                    let result = match cmp {
                        Cmp::Less => l < r,
                        Cmp::LessOrEqual => l <= r,
                        Cmp::Equal => l == r,
                    };
                    result == *truth
                }
                _ => false,
            }
        })
    };
    solve(space, region, &constraints, &order, 0, &mut values, &holds).then_some(values)
}

fn solve(
    space: &Space<'_>,
    region: &Region,
    constraints: &[(Cmp, &Num, &Num, bool)],
    order: &[String],
    at: usize,
    values: &mut BTreeMap<String, Decimal>,
    holds: &dyn Fn(&BTreeMap<String, Decimal>) -> bool,
) -> bool {
    let Some(fact) = order.get(at) else {
        return holds(values);
    };
    let interval = space.interval(region, fact);
    let mut candidates: Vec<Decimal> = values.get(fact).copied().into_iter().collect();
    for (_, left, right, _) in constraints {
        candidates.extend(roots(fact, left, right, values));
    }
    let mut tried = BTreeSet::new();
    for candidate in candidates {
        for value in [
            Some(candidate),
            Some(candidate.floor()),
            Some(candidate.ceil()),
            candidate.checked_add(Decimal::ONE),
            candidate.checked_sub(Decimal::ONE),
        ]
        .into_iter()
        .flatten()
        {
            if !tried.insert(value) || !interval.contains(value) {
                continue;
            }
            let previous = values.insert(fact.clone(), value);
            if solve(space, region, constraints, order, at + 1, values, holds) {
                return true;
            }
            if let Some(previous) = previous {
                values.insert(fact.clone(), previous);
            }
        }
    }
    false
}

/// Where `left - right`, as a function of one fact with the others held, crosses zero (a few
/// secant steps, enough for sums, products by a held fact, `max` and `min`).
fn roots(fact: &str, left: &Num, right: &Num, values: &BTreeMap<String, Decimal>) -> Vec<Decimal> {
    let mut facts = BTreeSet::new();
    left.facts(&mut facts);
    right.facts(&mut facts);
    if !facts.contains(fact) {
        return Vec::new();
    }
    let at = |x: Decimal| {
        let lookup = |name: &str| {
            if name == fact {
                Some(x)
            } else {
                values.get(name).copied()
            }
        };
        left.value(&lookup)?.checked_sub(right.value(&lookup)?)
    };
    let mut found = Vec::new();
    let mut x = values.get(fact).copied().unwrap_or_default();
    for _ in 0..4 {
        let (Some(g0), Some(g1)) = (at(x), x.checked_add(Decimal::ONE).and_then(at)) else {
            break;
        };
        let Some(slope) = g1.checked_sub(g0) else {
            break;
        };
        if slope.is_zero() {
            break;
        }
        let Some(next) = g0.checked_div(slope).and_then(|step| x.checked_sub(step)) else {
            break;
        };
        found.push(next);
        if next == x {
            break;
        }
        x = next;
    }
    found
}

/// A date of the region: a bound it names, else the day the newer version came into force.
fn date_in(space: &Space<'_>, dates: (Date, Date)) -> Date {
    let in_force =
        space
            .versions
            .iter()
            .rev()
            .find_map(|version| match version.manifest.in_force {
                cordon_lang::hir::InForce::Range { from, .. } => Some(from),
                cordon_lang::hir::InForce::Never => None,
            });
    match dates {
        (low, _) if low != Date::MIN => low,
        (_, high) if high != Date::MAX => high,
        _ => in_force.unwrap_or(jiff::civil::date(2025, 6, 1)),
    }
}

/// A complete transaction inside the region, as the contract's facts JSON; `None` when no
/// transaction meets every answer (or none was found).
pub fn witness(space: &Space<'_>, region: &Region, id: &str) -> Option<Json> {
    let numbers = numbers(space, region)?;
    let mut root = Map::new();
    for (fact, info) in &space.facts {
        if fact == "id" {
            root.insert("id".to_string(), Json::String(id.to_string()));
            continue;
        }
        if info.mode == FieldMode::Optional && region.present.get(fact) != Some(&true) {
            continue;
        }
        let value = match &info.kind {
            Kind::Bool => Json::Bool(region.bools.get(fact).copied().unwrap_or(false)),
            Kind::Number { .. } => {
                serde_json::from_str(&numbers.get(fact)?.normalize().to_string()).ok()?
            }
            Kind::Date => Json::String(date_in(space, region.dates).to_string()),
            Kind::Country => {
                let domain = space.countries_of(region, fact);
                let code = space
                    .countries
                    .iter()
                    .find(|code| domain.contains(**code))?;
                Json::String(country_code(*code))
            }
            Kind::Text => Json::String(text_for(region, fact).ok().flatten()?),
            Kind::Enum(variants) => {
                let allowed = space.enum_values(region, fact);
                Json::String(variants.iter().find(|v| allowed.contains(*v))?.clone())
            }
            Kind::EccnList => {
                let list = list_for(space, region, fact).ok().flatten()?;
                if list.is_empty() && matches!(info.mode, FieldMode::Default(_)) {
                    continue;
                }
                Json::Array(list.into_iter().map(Json::String).collect())
            }
            Kind::Eccn | Kind::Other(_) => return None,
        };
        insert_path(&mut root, fact, value);
    }
    Some(Json::Object(root))
}

fn insert_path(root: &mut Map<String, Json>, path: &str, value: Json) {
    match path.split_once('.') {
        None => {
            root.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = root
                .entry(head.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(answers: &[(&str, bool, bool)]) -> Region {
        let mut region = Region::everything();
        for (text, any_case, truth) in answers {
            std::sync::Arc::make_mut(&mut region.complex).insert(
                Atom::Text {
                    fact: "item.model".to_string(),
                    text: text.to_string(),
                    any_case: *any_case,
                },
                *truth,
            );
        }
        region
    }

    /// A region is called empty only on a proof: a text equal to "abc" without regard to case but
    /// none of three spellings still has others (`aBc`); a text without cased letters has one
    /// spelling; two different texts cannot both be equal to it.
    #[test]
    fn texts_are_decided_exactly() {
        let spellings = region(&[
            ("abc", true, true),
            ("abc", false, false),
            ("ABC", false, false),
            ("Abc", false, false),
        ]);
        assert!(text_for(&spellings, "item.model").is_err());
        let uncased = region(&[("910", true, true), ("910", false, false)]);
        assert_eq!(text_for(&uncased, "item.model"), Ok(None));
        let two = region(&[("a", false, true), ("b", false, true)]);
        assert_eq!(text_for(&two, "item.model"), Ok(None));
        // Inequalities alone always leave a text, whatever they exclude.
        let unlike = region(&[
            ("other product", true, false),
            ("Other product 2", false, false),
        ]);
        let found = text_for(&unlike, "item.model").ok().flatten();
        assert_eq!(found.as_deref(), Some("Other product 3"));
    }
}
