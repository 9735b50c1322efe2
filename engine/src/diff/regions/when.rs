//! Regions as data: takes a region's lines (each line the alternatives of one fact's answers, as
//! [`super::readable`] merged them) and gives the same region as clauses a program tests a
//! transaction against (`"when"` in the JSON): every clause holds, and in a clause one test holds.
//!
//! A test is `{"fact": "item.tpp", "op": ">=", "value": 4800}`; `op` is one of `==`, `!=`, `<`,
//! `<=`, `>`, `>=`, `in`, `not_in` (with a list), `present`, `absent`, and for list facts
//! `contains`, `not_contains`, `any_within`, `not_any_within`, `all_within`, `not_all_within`
//! (ECCNs, `within` as the language has it). A comparison of a number computed from several facts
//! names it as `"number"` (`{"+": [{"fact": "a"}, {"*": [...]}]}`) instead of `"fact"`. A test
//! about an optional fact the transaction leaves out (absent or `null`) holds only when its op is
//! `absent`. Group membership is expanded to country codes for each stretch of time between
//! membership changes that the region's dates reach, with the stretch's dates as tests of the
//! same clause.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value as Json, json};

use cordon_lang::hir::{BinaryOp, Expr, FieldMode};

use super::domain::{Atom, Cmp, Interval, Num, Region, shift};
use super::space::{Kind, Space, single_fact};
use crate::value::{CountrySet, country_code};

/// One test of a clause.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Test {
    /// The fact's path; absent when the test is about a number computed from several facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// A number computed from facts: `{"fact": path}`, a number, or `{"+"|"-"|"*"|"/"|"max"|"min":
    /// [a, b]}`, `{"neg": a}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<Json>,
    pub op: &'static str,
    #[serde(skip_serializing_if = "Json::is_null")]
    pub value: Json,
    /// Texts compared without regard to case (both sides lowercased).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_case: bool,
}

/// Tests of which one holds.
pub type Clause = Vec<Test>;

/// One fact's answers in one alternative of a line.
pub type Answers = Vec<(Atom, bool)>;

fn test(fact: &str, op: &'static str, value: Json) -> Test {
    Test {
        fact: Some(fact.to_string()),
        number: None,
        op,
        value,
        ignore_case: false,
    }
}

/// The clauses of a region given as lines of alternatives; `Err` names a condition no test can
/// state.
pub fn clauses(space: &Space<'_>, lines: &[Vec<Answers>]) -> Result<Vec<Clause>, String> {
    // The region's dates, for group memberships: the pieces the date line allows.
    let dates = lines
        .iter()
        .find(|line| {
            line.iter()
                .flatten()
                .all(|(atom, _)| matches!(atom, Atom::DateBefore(_)))
        })
        .map_or_else(|| vec![(Date::MIN, Date::MAX)], |line| date_pieces(line));
    let mut all = Vec::new();
    for line in lines {
        let facts: std::collections::BTreeSet<String> =
            line.iter().flatten().map(|(atom, _)| atom.fact()).collect();
        if facts.len() <= 1 {
            all.extend(fact_clauses(space, line, &dates)?);
            continue;
        }
        // Alternatives about different facts (regions merged on one line whose facts differ):
        // each alternative's clauses, or-ed together.
        let mut either: Option<Vec<Clause>> = None;
        for alternative in line {
            let clauses = fact_clauses(space, std::slice::from_ref(alternative), &dates)?;
            either = Some(match either {
                None => clauses,
                Some(before) => or(&before, &clauses, line)?,
            });
        }
        all.extend(either.unwrap_or_default());
    }
    Ok(all)
}

/// `a or b` for two lists of clauses: a clause for each pair (none when either side always holds).
fn or(a: &[Clause], b: &[Clause], line: &[Answers]) -> Result<Vec<Clause>, String> {
    let mut clauses: Vec<Clause> = Vec::new();
    for left in a {
        for right in b {
            let mut clause = left.clone();
            for test in right {
                if !clause.contains(test) {
                    clause.push(test.clone());
                }
            }
            if !clauses.contains(&clause) {
                clauses.push(clause);
            }
        }
    }
    if clauses.len() > 4096 {
        return Err(format!(
            "a condition on `{}` has too many alternatives to state as clauses",
            line_fact(line).unwrap_or_default()
        ));
    }
    Ok(clauses)
}

/// The clauses of one line whose alternatives are all about one fact.
fn fact_clauses(
    space: &Space<'_>,
    line: &[Answers],
    dates: &[(Date, Date)],
) -> Result<Vec<Clause>, String> {
    let Some(fact) = line_fact(line) else {
        return Ok(Vec::new());
    };
    let kind = space.facts.get(&fact).map(|info| &info.kind);
    let optional = space
        .facts
        .get(&fact)
        .is_some_and(|info| info.mode == FieldMode::Optional);
    let only = |accept: &dyn Fn(&Atom) -> bool| {
        line.iter()
            .flatten()
            .all(|(atom, _)| matches!(atom, Atom::Present(_)) || accept(atom))
    };
    let absent = line.iter().any(is_absent);
    let clauses = if fact == "date" && only(&|atom| matches!(atom, Atom::DateBefore(_))) {
        pieces_clauses(
            &fact,
            date_pieces(line)
                .iter()
                .map(|(low, high)| {
                    (
                        (*low != Date::MIN).then_some((*low, true)),
                        (*high != Date::MAX).then_some((*high, true)),
                    )
                })
                .collect(),
            &|value: Date| Json::String(value.to_string()),
            &|high: Date, low: Date| shift(high, 1) == low,
            false,
        )
    } else if let Some(Kind::Number { .. }) = kind
        && only(&|atom| {
            matches!(atom, Atom::Compare(_, left, right)
                if single_fact(left, right).is_some_and(|(f, _, _)| f == fact))
        })
    {
        number_clauses(space, &fact, line, absent)
    } else if let Some(Kind::Country) = kind
        && only(&|atom| matches!(atom, Atom::InGroup { .. } | Atom::CountryIs(..)))
    {
        country_clauses(space, &fact, line, dates, absent)
    } else if let Some(Kind::Enum(_)) = kind
        && only(&|atom| matches!(atom, Atom::EnumIs(..)))
    {
        let all = space.enum_values(&Region::everything(), &fact);
        let sets = line.iter().filter(|a| !is_absent(a)).map(|alternative| {
            let mut values = all.clone();
            for (atom, truth) in alternative {
                if let Atom::EnumIs(_, value) = atom {
                    values.retain(|v| (v == value) == *truth);
                }
            }
            values
        });
        let union: std::collections::BTreeSet<String> = sets.flatten().collect();
        let strings = |values: Vec<&String>| values.into_iter().map(|v| json!(v)).collect();
        set_clause(
            &fact,
            strings(union.iter().collect()),
            strings(all.difference(&union).collect()),
            absent,
        )
    } else if let Some(Kind::Bool) = kind
        && only(&|atom| matches!(atom, Atom::Bool(_)))
    {
        let mut values = Vec::new();
        for alternative in line.iter().filter(|a| !is_absent(a)) {
            let mut possible = vec![true, false];
            for (atom, truth) in alternative {
                if let Atom::Bool(_) = atom {
                    possible.retain(|value| value == truth);
                }
            }
            values.extend(possible);
        }
        values.sort_unstable();
        values.dedup();
        match values.as_slice() {
            [one] => vec![with_absent(
                vec![test(&fact, "==", Json::Bool(*one))],
                &fact,
                absent,
            )],
            _ => set_clause(&fact, vec![json!(true), json!(false)], vec![], absent),
        }
    } else if let Some(Kind::Text) = kind
        && let Some((texts, ignore_case)) = equal_texts(line)
    {
        let mut tests = vec![Test {
            ignore_case,
            ..match texts.as_slice() {
                [one] => test(&fact, "==", json!(one)),
                many => test(&fact, "in", json!(many)),
            }
        }];
        if absent {
            tests.push(test(&fact, "absent", Json::Null));
        }
        vec![tests]
    } else if only(&|_| false) {
        // Presence alone.
        let present = line.iter().any(|alternative| !is_absent(alternative));
        match (present, absent) {
            (true, true) => Vec::new(),
            (true, false) => vec![vec![test(&fact, "present", Json::Null)]],
            (false, _) => vec![vec![test(&fact, "absent", Json::Null)]],
        }
    } else {
        distribute(space, line)?
    };
    // A required fact is always given: `present` says nothing of it.
    Ok(clauses
        .into_iter()
        .filter(|clause| optional || !matches!(clause.as_slice(), [only] if only.op == "present"))
        .collect())
}

/// A text line whose alternatives each say the text equals one text (all with or all without
/// regard to case): the texts.
fn equal_texts(line: &[Answers]) -> Option<(Vec<String>, bool)> {
    let mut texts = Vec::new();
    let mut case = None;
    for alternative in line.iter().filter(|a| !is_absent(a)) {
        let mut equal = alternative.iter().filter_map(|(atom, truth)| match atom {
            Atom::Text { text, any_case, .. } if *truth => Some((text, *any_case)),
            _ => None,
        });
        let (text, any_case) = equal.next()?;
        let rest_present = alternative.iter().all(|(atom, truth)| {
            matches!(atom, Atom::Text { text: t, .. } if *truth && t == text)
                || matches!(atom, Atom::Present(_)) && *truth
        });
        if equal.next().is_some() || !rest_present || *case.get_or_insert(any_case) != any_case {
            return None;
        }
        if !texts.contains(text) {
            texts.push(text.clone());
        }
    }
    texts.sort();
    Some((texts, case?))
}

/// The fact a line is about.
fn line_fact(line: &[Answers]) -> Option<String> {
    line.iter().flatten().next().map(|(atom, _)| atom.fact())
}

/// Whether an alternative says its fact is absent.
fn is_absent(alternative: &Answers) -> bool {
    alternative
        .iter()
        .any(|(atom, truth)| matches!(atom, Atom::Present(_)) && !truth)
}

fn with_absent(mut clause: Clause, fact: &str, absent: bool) -> Clause {
    if absent {
        clause.push(test(fact, "absent", Json::Null));
    }
    clause
}

/// A fact's values as one clause: in the values (or not in the others, when that list is
/// shorter); no clause when every value is allowed (but for presence).
fn set_clause(fact: &str, inside: Vec<Json>, outside: Vec<Json>, absent: bool) -> Vec<Clause> {
    let clause = if inside.is_empty() {
        vec![test(fact, "absent", Json::Null)]
    } else if outside.is_empty() {
        if absent {
            return Vec::new();
        }
        vec![test(fact, "present", Json::Null)]
    } else if inside.len() == 1 {
        vec![test(fact, "==", inside[0].clone())]
    } else if outside.len() == 1 {
        vec![test(fact, "!=", outside[0].clone())]
    } else if outside.len() < inside.len() {
        vec![test(fact, "not_in", Json::Array(outside))]
    } else {
        vec![test(fact, "in", Json::Array(inside))]
    };
    vec![with_absent(clause, fact, absent)]
}

/// The dates a date line allows, as disjoint pieces (both ends included), in order.
fn date_pieces(line: &[Answers]) -> Vec<(Date, Date)> {
    let mut pieces: Vec<(Date, Date)> = line
        .iter()
        .filter_map(|alternative| {
            let mut range = (Date::MIN, Date::MAX);
            for (atom, truth) in alternative {
                if let Atom::DateBefore(date) = atom {
                    if *truth {
                        range.1 = range.1.min(shift(*date, -1));
                    } else {
                        range.0 = range.0.max(*date);
                    }
                }
            }
            (range.0 <= range.1).then_some(range)
        })
        .collect();
    pieces.sort_unstable();
    let mut merged: Vec<(Date, Date)> = Vec::new();
    for (low, high) in pieces {
        match merged.last_mut() {
            Some(last) if low <= shift(last.1, 1) => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

type Bound<T> = Option<(T, bool)>;

/// A union of pieces of an ordered domain (bounds with whether they are included) as clauses:
/// above the first piece's low end, outside each gap, below the last piece's high end.
/// `adjacent(high, low)` says whether two included ends leave nothing between them.
fn pieces_clauses<T: Ord + Copy>(
    fact: &str,
    mut pieces: Vec<(Bound<T>, Bound<T>)>,
    value: &dyn Fn(T) -> Json,
    adjacent: &dyn Fn(T, T) -> bool,
    absent: bool,
) -> Vec<Clause> {
    if pieces.is_empty() {
        return vec![vec![test(fact, "absent", Json::Null)]];
    }
    // Lowest first; an unbounded low end before any bound, an included end before an excluded.
    pieces.sort_by(|a, b| match (a.0, b.0) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some((x, xi)), Some((y, yi))) => x.cmp(&y).then(yi.cmp(&xi)),
    });
    let touches = |high: Bound<T>, low: Bound<T>| match (high, low) {
        (None, _) | (_, None) => true,
        (Some((h, hi)), Some((l, li))) => {
            l < h || (l == h && (hi || li)) || (hi && li && adjacent(h, l))
        }
    };
    let higher = |a: Bound<T>, b: Bound<T>| match (a, b) {
        (None, _) | (_, None) => None,
        (Some((x, xi)), Some((y, yi))) => Some(if x == y {
            (x, xi || yi)
        } else if x > y {
            (x, xi)
        } else {
            (y, yi)
        }),
    };
    let mut merged: Vec<(Bound<T>, Bound<T>)> = Vec::new();
    for (low, high) in pieces {
        match merged.last_mut() {
            Some(last) if touches(last.1, low) => last.1 = higher(last.1, high),
            _ => merged.push((low, high)),
        }
    }
    let above =
        |(bound, included): (T, bool)| test(fact, if included { ">=" } else { ">" }, value(bound));
    let below =
        |(bound, included): (T, bool)| test(fact, if included { "<=" } else { "<" }, value(bound));
    let mut clauses = Vec::new();
    if let Some(low) = merged[0].0 {
        clauses.push(with_absent(vec![above(low)], fact, absent));
    }
    for pair in merged.windows(2) {
        if let (Some(high), Some(low)) = (pair[0].1, pair[1].0) {
            clauses.push(with_absent(vec![below(high), above(low)], fact, absent));
        }
    }
    if let Some(high) = merged[merged.len() - 1].1 {
        clauses.push(with_absent(vec![below(high)], fact, absent));
    }
    if clauses.is_empty() && !absent {
        clauses.push(vec![test(fact, "present", Json::Null)]);
    }
    clauses
}

/// A number fact's line: the union of the alternatives' intervals (each split at its excluded
/// values).
fn number_clauses(space: &Space<'_>, fact: &str, line: &[Answers], absent: bool) -> Vec<Clause> {
    let base = space.interval(&Region::everything(), fact);
    let integer = base.integer;
    let mut pieces = Vec::new();
    for alternative in line.iter().filter(|a| !is_absent(a)) {
        let mut interval: Option<Interval> = Some(base.clone());
        for (atom, truth) in alternative {
            if let Atom::Compare(cmp, left, right) = atom
                && let Some((_, constant, fact_left)) = single_fact(left, right)
            {
                interval = interval.and_then(|i| i.narrow(*cmp, constant, fact_left, *truth));
            }
        }
        let Some(interval) = interval else { continue };
        let mut excluded = interval.excluded.clone();
        excluded.sort_unstable();
        excluded.dedup();
        let mut low = interval.low;
        for point in excluded {
            if !interval_bounds_contain(&interval, point) {
                continue;
            }
            pieces.push((low, Some((point, false))));
            low = Some((point, false));
        }
        pieces.push((low, interval.high));
    }
    // Pieces with nothing between their ends (an excluded value next to an excluded bound).
    pieces.retain(|(low, high)| match (low, high) {
        (Some((l, li)), Some((h, hi))) => l < h || (l == h && *li && *hi),
        _ => true,
    });
    if integer {
        // Whole numbers: excluded ends become the included neighbours.
        pieces = pieces
            .into_iter()
            .filter_map(|(low, high)| {
                let low = match low {
                    Some((value, false)) => Some((value.floor().checked_add(Decimal::ONE)?, true)),
                    other => other,
                };
                let high = match high {
                    Some((value, false)) => Some((value.ceil().checked_sub(Decimal::ONE)?, true)),
                    other => other,
                };
                match (low, high) {
                    (Some((l, _)), Some((h, _))) if l > h => None,
                    _ => Some((low, high)),
                }
            })
            .collect();
    }
    pieces_clauses(
        fact,
        pieces,
        &number_json,
        &|high: Decimal, low: Decimal| integer && high.checked_add(Decimal::ONE) == Some(low),
        absent,
    )
}

/// Whether a point lies within an interval's bounds (excluded values aside).
fn interval_bounds_contain(interval: &Interval, point: Decimal) -> bool {
    let mut bounds = interval.clone();
    bounds.excluded.clear();
    bounds.integer = false;
    bounds.contains(point)
}

pub fn number_json(value: Decimal) -> Json {
    serde_json::from_str(&value.normalize().to_string()).unwrap_or(Json::Null)
}

/// A country fact's line: for each stretch of time the region's dates reach, the codes the
/// alternatives allow; one clause when every stretch allows the same codes.
fn country_clauses(
    space: &Space<'_>,
    fact: &str,
    line: &[Answers],
    dates: &[(Date, Date)],
    absent: bool,
) -> Vec<Clause> {
    let starts: Vec<Date> = std::iter::once(Date::MIN)
        .chain(space.boundaries.iter().copied())
        .collect();
    let mut stretches: Vec<(Date, Date, CountrySet)> = Vec::new();
    for (segment, start) in starts.iter().enumerate() {
        let end = starts
            .get(segment + 1)
            .map_or(Date::MAX, |next| shift(*next, -1));
        if !dates
            .iter()
            .any(|(low, high)| *low <= end && *start <= *high)
        {
            continue;
        }
        let mut union = CountrySet::default();
        for alternative in line.iter().filter(|a| !is_absent(a)) {
            let mut set = space.all_countries;
            for (atom, truth) in alternative {
                let members = match atom {
                    Atom::InGroup { side, group, .. } => space.group(*side, group, segment),
                    Atom::CountryIs(_, code) => space.counting_as(code, segment),
                    _ => continue,
                };
                set = if *truth {
                    set.intersection(&members)
                } else {
                    set.difference(&members)
                };
            }
            union = union.union(&set);
        }
        stretches.push((*start, end, union));
    }
    let codes = |set: &CountrySet| -> (Vec<Json>, Vec<Json>) {
        let inside = space.countries.iter().filter(|c| set.contains(**c));
        let outside = space.countries.iter().filter(|c| !set.contains(**c));
        let sorted = |codes: Vec<u16>| {
            let mut codes: Vec<String> = codes.into_iter().map(country_code).collect();
            codes.sort();
            codes.into_iter().map(Json::String).collect::<Vec<_>>()
        };
        (
            sorted(inside.copied().collect()),
            sorted(outside.copied().collect()),
        )
    };
    let same = stretches.windows(2).all(|pair| pair[0].2 == pair[1].2);
    if same {
        let set = stretches.first().map_or_else(CountrySet::default, |s| s.2);
        let (inside, outside) = codes(&set);
        if inside.is_empty() {
            return vec![vec![test(fact, "absent", Json::Null)]];
        }
        return set_clause(fact, inside, outside, absent);
    }
    stretches
        .iter()
        .filter_map(|(start, end, set)| {
            let (inside, outside) = codes(set);
            let mut clause: Clause = Vec::new();
            if *start != Date::MIN {
                clause.push(test("date", "<", Json::String(start.to_string())));
            }
            if *end != Date::MAX {
                clause.push(test("date", ">", Json::String(end.to_string())));
            }
            let members = set_clause(fact, inside, outside, absent)
                .into_iter()
                .next()?;
            clause.extend(members);
            Some(clause)
        })
        .collect()
}

/// A line that no single domain states: the alternatives (each its tests, all of which hold)
/// or-ed into clauses.
fn distribute(space: &Space<'_>, line: &[Answers]) -> Result<Vec<Clause>, String> {
    let mut either: Option<Vec<Clause>> = None;
    for alternative in line {
        let clauses = alternative
            .iter()
            .map(|(atom, truth)| Ok(vec![atom_test(space, atom, *truth)?]))
            .collect::<Result<Vec<Clause>, String>>()?;
        either = Some(match either {
            None => clauses,
            Some(before) => or(&before, &clauses, line)?,
        });
    }
    Ok(either.unwrap_or_default())
}

fn cmp_op(cmp: Cmp, truth: bool, fact_left: bool) -> &'static str {
    match (cmp, truth, fact_left) {
        (Cmp::Equal, true, _) => "==",
        (Cmp::Equal, false, _) => "!=",
        (Cmp::Less, true, true) | (Cmp::LessOrEqual, false, false) => "<",
        (Cmp::Less, false, true) | (Cmp::LessOrEqual, true, false) => ">=",
        (Cmp::LessOrEqual, true, true) | (Cmp::Less, false, false) => "<=",
        (Cmp::LessOrEqual, false, true) | (Cmp::Less, true, false) => ">",
    }
}

/// One answer as a test.
fn atom_test(space: &Space<'_>, atom: &Atom, truth: bool) -> Result<Test, String> {
    Ok(match atom {
        Atom::DateBefore(date) => test(
            "date",
            if truth { "<" } else { ">=" },
            Json::String(date.to_string()),
        ),
        Atom::Bool(fact) => test(fact, "==", Json::Bool(truth)),
        Atom::Present(fact) => test(fact, if truth { "present" } else { "absent" }, Json::Null),
        Atom::EnumIs(fact, value) => test(fact, if truth { "==" } else { "!=" }, json!(value)),
        Atom::InGroup { .. } | Atom::CountryIs(..) => {
            return Err(format!("a country condition mixed with others: {atom:?}"));
        }
        Atom::Compare(cmp, left, right) => match single_fact(left, right) {
            Some((fact, constant, fact_left)) => {
                test(&fact, cmp_op(*cmp, truth, fact_left), number_json(constant))
            }
            None => {
                let (number, value, fact_left) = match (left, right) {
                    (_, Num::Const(value)) => (num_json(left), *value, true),
                    (Num::Const(value), _) => (num_json(right), *value, false),
                    _ => (
                        num_json(&Num::Subtract(
                            Box::new(left.clone()),
                            Box::new(right.clone()),
                        )),
                        Decimal::ZERO,
                        true,
                    ),
                };
                Test {
                    fact: None,
                    number: Some(number),
                    op: cmp_op(*cmp, truth, fact_left),
                    value: number_json(value),
                    ignore_case: false,
                }
            }
        },
        Atom::Text {
            fact,
            text,
            any_case,
        } => Test {
            ignore_case: *any_case,
            ..test(fact, if truth { "==" } else { "!=" }, json!(text))
        },
        Atom::Contains { fact, element } => test(
            fact,
            if truth { "contains" } else { "not_contains" },
            json!(element),
        ),
        Atom::List { fact, pred } => {
            let predicate = &space.list_predicates[*pred];
            let version = space.versions[predicate.side];
            let headings = match predicate.body {
                Expr::Binary(BinaryOp::Within, element, headings) if matches!(&**element, Expr::Variable(name) if name == predicate.variable) =>
                {
                    let literal = match &**headings {
                        Expr::Const(name) => version
                            .consts
                            .get(name)
                            .and_then(|constant| cordon_lang::check::literal_of(&constant.value)),
                        other => cordon_lang::check::literal_of(other),
                    };
                    literal.map(|literal| crate::json::literal_json(&literal))
                }
                _ => None,
            };
            let Some(headings) = headings else {
                return Err(format!(
                    "`{}` is not a test a program can run",
                    predicate.text
                ));
            };
            let headings = match headings {
                Json::Array(items) => Json::Array(items),
                one => Json::Array(vec![one]),
            };
            let op = match (predicate.all, truth) {
                (false, true) => "any_within",
                (false, false) => "not_any_within",
                (true, true) => "all_within",
                (true, false) => "not_all_within",
            };
            test(fact, op, headings)
        }
    })
}

/// A number computed from facts, as data.
fn num_json(num: &Num) -> Json {
    let two = |op: &str, a: &Num, b: &Num| json!({ op: [num_json(a), num_json(b)] });
    match num {
        Num::Const(value) => number_json(*value),
        Num::Fact(fact) => json!({ "fact": fact }),
        Num::Add(a, b) => two("+", a, b),
        Num::Subtract(a, b) => two("-", a, b),
        Num::Multiply(a, b) => two("*", a, b),
        Num::Divide(a, b) => two("/", a, b),
        Num::Max(a, b) => two("max", a, b),
        Num::Min(a, b) => two("min", a, b),
        Num::Negate(inner) => json!({ "neg": num_json(inner) }),
    }
}
