//! `cordon diff --exhaustive`: every region of the input space where two versions decide
//! differently, without a corpus.
//!
//! A decision depends on the facts only through finitely many yes/no questions: comparisons of
//! numbers (and of sums and products of facts) with constants, memberships of countries in
//! groups on the transaction's date, enum and yes/no values, texts against the texts the policy
//! names, dates against the dates it names. Both versions are evaluated over a *region* (a set of
//! answers) instead of a transaction ([`symbolic`]); when an evaluation needs an answer the region
//! does not give, the region is split in two on that question ([`space::Space::assume`]) and each
//! half is explored, halves with nothing in them are dropped. Where both evaluations finish, the
//! whole region decides alike in each version. Regions that decide differently are merged where
//! they differ only in one answer, and each gets a concrete witness ([`witness`]) that the engine
//! itself decides under both versions.
//!
//! The result is exact under the conditions [`Exhaustive::exact`] reports: every question was one
//! of the kinds above, and every region found to differ had a witness on which the engine agreed
//! with the analysis. Otherwise `caveats` says what could not be settled.

mod domain;
pub mod emit;
mod merge;
mod space;
mod symbolic;
pub mod when;
mod witness;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::corpus::{FieldChange, outcome_changes};
use crate::CompiledVersion;
use crate::text::grouped;
use domain::{Asked, Atom, Cmp, Interval, Num, Region};
use space::{Kind, Space};
use symbolic::{Outcome, Run, Settled, Stop};

/// The regions where two versions decide differently.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exhaustive {
    /// True when the regions cover every transaction that decides differently, and only those.
    pub exact: bool,
    /// What kept the result from being exact.
    pub caveats: Vec<String>,
    /// How many regions of the input space were decided (alike or not) before merging.
    pub explored: usize,
    /// The value a transaction that leaves out a fact with a default is read with (as the engine
    /// reads it), for testing a transaction against a region's `when`.
    pub defaults: BTreeMap<String, Json>,
    pub regions: Vec<RegionDiff>,
}

impl Exhaustive {
    /// The regions grouped by what changes (`license_required: false -> true`), in report order,
    /// each with its number (from 1).
    pub fn by_change(&self) -> Vec<(String, Vec<(usize, &RegionDiff)>)> {
        let mut groups: Vec<(String, Vec<(usize, &RegionDiff)>)> = Vec::new();
        for (index, region) in self.regions.iter().enumerate() {
            let change = region
                .changes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            match groups.iter_mut().find(|(key, _)| *key == change) {
                Some((_, members)) => members.push((index + 1, region)),
                None => groups.push((change, vec![(index + 1, region)])),
            }
        }
        groups
    }
}

/// One region of transactions that decide differently.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionDiff {
    /// The region as readable conditions, all of which hold.
    pub conditions: Vec<String>,
    /// What changes: one field, from one value to another.
    pub changes: Vec<FieldChange>,
    pub from: Json,
    pub to: Json,
    /// The rules that apply in one version and not in the other.
    pub rules: Vec<RuleChange>,
    /// A complete transaction in the region, as `cordon eval` takes it.
    pub witness: Json,
    /// The region as data: clauses that all hold, each a list of tests of which one holds (see
    /// [`when`]).
    pub when: Vec<when::Clause>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleChange {
    pub rule: String,
    pub cite: String,
    /// `from` or `to`: the version in which the rule applies.
    pub applies_in: String,
}

/// What a region reports of one field: the field's values in each version; for a set, the one
/// member added or removed (present on one side, absent on the other); the error when one side
/// could not decide (beside the field's value on the other).
fn changes_of(field: &str, before: &Json, after: &Json) -> Vec<(Json, Json)> {
    let one = |value: Json| Json::Object(Map::from_iter([(field.to_string(), value)]));
    if before.get("error").is_some() || after.get("error").is_some() {
        let side = |outcome: &Json| {
            if outcome.get("error").is_some() {
                outcome.clone()
            } else {
                one(outcome.get(field).cloned().unwrap_or(Json::Null))
            }
        };
        return vec![(side(before), side(after))];
    }
    match (before.get(field), after.get(field)) {
        (Some(Json::Array(old)), Some(Json::Array(new))) => {
            let added = new
                .iter()
                .filter(|m| !old.contains(m))
                .map(|m| (one(Json::Array(vec![])), one(Json::Array(vec![m.clone()]))));
            let removed = old
                .iter()
                .filter(|m| !new.contains(m))
                .map(|m| (one(Json::Array(vec![m.clone()])), one(Json::Array(vec![]))));
            added.chain(removed).collect()
        }
        (old, new) => vec![(
            one(old.cloned().unwrap_or(Json::Null)),
            one(new.cloned().unwrap_or(Json::Null)),
        )],
    }
}

/// A decision's outcome as a region reports it (see [`changes_of`]): `from` and `to` are the
/// region's, `outcome` the engine's.
pub fn project(from: &Json, to: &Json, outcome: &[(String, Json)]) -> Json {
    // The fields the region reports: those of the side that decided.
    let reported = if from.get("error").is_some() {
        to
    } else {
        from
    };
    let Json::Object(fields) = reported else {
        return reported.clone();
    };
    if fields.contains_key("error") {
        return Json::Object(outcome.iter().cloned().collect());
    }
    let decided = |field: &str| {
        outcome
            .iter()
            .find(|(name, _)| name == field)
            .map_or(Json::Null, |(_, value)| value.clone())
    };
    Json::Object(
        fields
            .iter()
            .map(|(field, value)| {
                let value = match (value, to.get(field)) {
                    (Json::Array(a), Some(Json::Array(b))) => {
                        let members: Vec<&Json> = a.iter().chain(b).collect();
                        let set = decided(field);
                        let has = |m: &&Json| set.as_array().is_some_and(|items| items.contains(m));
                        Json::Array(members.into_iter().filter(has).cloned().collect())
                    }
                    _ => decided(field),
                };
                (field.clone(), value)
            })
            .collect(),
    )
}

/// A region where both versions have decided, and decide differently: its answers, in the order
/// they were asked (the region itself is rebuilt from them when a witness is wanted, see
/// [`Space::replay`]; tens of thousands of leaves would hold hundreds of megabytes).
struct Leaf {
    answers: Asked,
    from: Arc<Outcome>,
    to: Arc<Outcome>,
}

#[derive(Default)]
struct Found {
    leaves: Vec<Leaf>,
    explored: usize,
    failures: BTreeSet<String>,
}

impl Found {
    fn join(mut self, other: Found) -> Found {
        self.leaves.extend(other.leaves);
        self.explored += other.explored;
        self.failures.extend(other.failures);
        self
    }
}

/// Compares two versions over every transaction.
pub fn exhaustive(from: &CompiledVersion, to: &CompiledVersion) -> Exhaustive {
    let space = Space::new(&from.hir, &to.hir);
    // One outcome field at a time, running only the rules it depends on: a region is where one
    // field changes from one value to another (a transaction whose outcome changes in two fields
    // is in a region of each).
    // Both versions' fields: one the new version drops changes too (to nothing).
    let mut fields: Vec<&str> = Vec::new();
    for field in from.hir.outcome.fields.iter().chain(&to.hir.outcome.fields) {
        if !fields.contains(&field.name.as_str()) {
            fields.push(&field.name);
        }
    }
    let explored: Vec<(&str, Found)> = fields
        .par_iter()
        .map(|field| {
            let cones = [0, 1]
                .map(|side| space::cone(space.versions[side], field, &space.rule_index[side]));
            let splits = std::sync::atomic::AtomicUsize::new(0);
            let scope = Scope {
                field,
                cones: &cones,
                splits: &splits,
            };
            (
                *field,
                explore(
                    &space,
                    &scope,
                    Region::everything(),
                    [Known::Nothing, Known::Nothing],
                ),
            )
        })
        .collect();
    let mut caveats: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, (Json, Json, Vec<&Leaf>)> = BTreeMap::new();
    let mut count = 0;
    for (field, found) in &explored {
        caveats.extend(found.failures.iter().cloned());
        count += found.explored;
        for leaf in &found.leaves {
            let (before, after) = (outcome_json(&leaf.from), outcome_json(&leaf.to));
            for (before, after) in changes_of(field, &before, &after) {
                let key = format!("{before}{after}");
                groups
                    .entry(key)
                    .or_insert_with(|| (before, after, Vec::new()))
                    .2
                    .push(leaf);
            }
        }
    }
    // Each change's regions merge apart from the others'.
    let merged: Vec<_> = groups
        .par_iter()
        .map(|(_, (_, _, leaves))| readable(&space, merge(leaves)))
        .collect();
    let mut regions = Vec::new();
    for ((before, after, _), merged) in groups.values().zip(merged) {
        for (conditions, stated, members) in merged {
            let number = regions.len() + 1;
            let id = format!("diff-{number}");
            let when = when::clauses(&space, &stated).unwrap_or_else(|message| {
                caveats.push(format!("region `{id}` has no `when`: {message}"));
                Vec::new()
            });
            let Some((_, witness)) = members.iter().find_map(|leaf| {
                let region = space.replay(&leaf.answers)?;
                Some((leaf, witness::witness(&space, &region, &id)?))
            }) else {
                caveats.push(format!(
                    "no transaction was found in a region that decides differently: {}",
                    conditions.join("; ")
                ));
                continue;
            };
            for (version, expected) in [(from, before), (to, after)] {
                match crate::decide_with(version, &witness, false) {
                    Ok(decision) => {
                        let decided = project(before, after, &decision.outcome);
                        if &decided != expected {
                            caveats.push(format!(
                                "witness `{id}`: version {} decides {decided}, the analysis expected {expected}",
                                version.id
                            ));
                        }
                    }
                    // The analysis expected the refusal.
                    Err(crate::DecideError::Facts { .. }) if expected.get("error").is_some() => {}
                    Err(error) => caveats.push(format!(
                        "witness `{id}` under version {}: {error}",
                        version.id
                    )),
                }
            }
            let changed: BTreeSet<&str> = match before {
                Json::Object(fields) => fields.keys().map(String::as_str).collect(),
                _ => BTreeSet::new(),
            };
            let mut rules = BTreeSet::new();
            for member in &members {
                rules.extend(rule_changes(&space, &member.from, &member.to, &changed));
            }
            regions.push(RegionDiff {
                conditions,
                changes: outcome_changes(&pairs(before), &pairs(after)),
                rules: rules.into_iter().collect(),
                from: before.clone(),
                to: after.clone(),
                witness,
                when,
            });
        }
    }
    let mut defaults = BTreeMap::new();
    for (path, info) in &space.facts {
        if let cordon_lang::hir::FieldMode::Default(literal) = &info.mode {
            defaults.insert(path.clone(), crate::json::literal_json(literal));
        }
    }
    for side in 0..2 {
        for (path, info) in space::facts_of(space.versions[side]) {
            if let cordon_lang::hir::FieldMode::Default(literal) = &info.mode
                && defaults.get(&path) != Some(&crate::json::literal_json(literal))
            {
                caveats.push(format!(
                    "`{path}` has different defaults in the two versions; `defaults` has the first"
                ));
            }
        }
    }
    Exhaustive {
        exact: caveats.is_empty(),
        caveats,
        explored: count,
        defaults,
        regions,
    }
}

/// One outcome field, and the rules it depends on in each version.
struct Scope<'f> {
    field: &'f str,
    cones: &'f [BTreeSet<usize>; 2],
    /// Regions split so far for this field, against [`MOST_SPLITS`].
    splits: &'f std::sync::atomic::AtomicUsize,
}

/// How many times the regions of one field may be split before the analysis stops and says so:
/// a bound on time and memory for policies whose questions multiply (the EAR versions need tens of
/// thousands).
const MOST_SPLITS: usize = 2_000_000;

/// What one side has settled for a whole region (and so for every part of it). A split for one
/// side does not run the other again, nor either side's rules that were settled before the split.
#[derive(Clone)]
enum Known<'v> {
    Nothing,
    /// The side's outcome.
    Decided(Arc<Outcome>),
    /// The rules run before the side stopped.
    Settled(Arc<Settled<'v>>),
}

fn explore<'v>(
    space: &Space<'v>,
    scope: &Scope<'_>,
    region: Region,
    known: [Known<'v>; 2],
) -> Found {
    let run = |side: usize, known: Known<'v>| {
        let run = match known {
            Known::Decided(outcome) => return Ok(outcome),
            // The last part of a region to run takes what was settled instead of copying it.
            Known::Settled(settled) => {
                Run::resume(space, side, &region, Arc::unwrap_or_clone(settled))
            }
            Known::Nothing => Run::new(space, side, &region),
        };
        run.only(&scope.cones[side]).outcome().map(Arc::new)
    };
    let settled = |settled: Box<Settled<'v>>| Known::Settled(Arc::from(settled));
    let [from, to] = known;
    let (known, decided) = match (run(0, from), run(1, to)) {
        (Ok(from), Ok(to)) => ([Known::Nothing, Known::Nothing], Ok((from, to))),
        (Err((stop, from)), to) => {
            let to = match to {
                Ok(to) => Known::Decided(to),
                Err((_, to)) => settled(to),
            };
            ([settled(from), to], Err(stop))
        }
        (Ok(from), Err((stop, to))) => ([Known::Decided(from), settled(to)], Err(stop)),
    };
    match decided {
        Ok((from, to)) => {
            let field = |outcome: &Outcome| match outcome {
                Ok((fields, _)) => Ok(fields
                    .iter()
                    .find(|(name, _)| name == scope.field)
                    .map(|(_, value)| value.clone())),
                Err(message) => Err(message.clone()),
            };
            let differ = field(&from) != field(&to);
            Found {
                leaves: if differ {
                    vec![Leaf {
                        answers: region.answers,
                        from,
                        to,
                    }]
                } else {
                    Vec::new()
                },
                explored: 1,
                failures: BTreeSet::new(),
            }
        }
        Err(Stop::Need(_))
            if scope
                .splits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                >= MOST_SPLITS =>
        {
            Found {
                leaves: Vec::new(),
                explored: 0,
                failures: BTreeSet::from([format!(
                    "`{}`: the input space was split {MOST_SPLITS} times and the analysis stopped",
                    scope.field
                )]),
            }
        }
        Err(Stop::Need(atom)) => {
            let (yes, no) = (
                space.assume(&region, &atom, true),
                space.assume(&region, &atom, false),
            );
            // The halves hold what they need of it.
            drop(region);
            if yes.is_none() && no.is_none() {
                // A region with a transaction in it cannot split into two empty halves: the
                // witness search behind `assume` gave up, so this part is not analysed.
                return Found {
                    leaves: Vec::new(),
                    explored: 1,
                    failures: BTreeSet::from([format!(
                        "`{}`: no transaction found on either side of {atom:?}",
                        scope.field
                    )]),
                };
            }
            let half = |half: Option<Region>, known: [Known<'v>; 2]| {
                half.map(|half| explore(space, scope, half, known))
                    .unwrap_or_default()
            };
            let copy = known.clone();
            let (yes, no) = rayon::join(|| half(yes, copy), || half(no, known));
            yes.join(no)
        }
        Err(Stop::Fail(message)) => Found {
            leaves: Vec::new(),
            explored: 1,
            failures: BTreeSet::from([format!(
                "part of the input space was not analysed: {message}"
            )]),
        },
    }
}

type Answers = BTreeSet<(Atom, bool)>;

/// Merges regions into fewer, larger ones, each still inside the union: the leaves' answers
/// numbered as cubes and merged by [`merge::cubes`].
fn merge<'l>(leaves: &[&'l Leaf]) -> Vec<(Answers, Vec<&'l Leaf>)> {
    // Answers as numbers: atom * 2 + truth.
    let mut atoms: HashMap<&Atom, u32> = HashMap::default();
    let mut names: Vec<&Atom> = Vec::new();
    let asked: Vec<Vec<(&Atom, bool)>> =
        leaves.iter().map(|leaf| leaf.answers.in_order()).collect();
    for answers in &asked {
        for (atom, _) in answers {
            atoms.entry(atom).or_insert_with(|| {
                names.push(atom);
                (names.len() - 1) as u32
            });
        }
    }
    let cubes: Vec<merge::Cube> = asked
        .iter()
        .enumerate()
        .map(|(index, answers)| {
            let mut literals: Vec<u32> = answers
                .iter()
                .map(|(atom, truth)| atoms[*atom] * 2 + u32::from(*truth))
                .collect();
            literals.sort_unstable();
            (literals, vec![index])
        })
        .collect();
    let cubes = merge::cubes(cubes);
    cubes
        .into_iter()
        .map(|(literals, members)| {
            let answers = literals
                .iter()
                .map(|l| (names[(l / 2) as usize].clone(), l % 2 == 1))
                .collect();
            let mut members: Vec<&Leaf> = members.into_iter().map(|index| leaves[index]).collect();
            members.sort_by_key(|leaf| leaf.answers.len());
            (answers, members)
        })
        .collect()
}

fn outcome_json(outcome: &Outcome) -> Json {
    match outcome {
        Ok((fields, _)) => Json::Object(fields.iter().cloned().collect::<Map<String, Json>>()),
        Err(message) => serde_json::json!({ "error": message }),
    }
}

/// Each line of a region as its alternatives' answers.
type Stated = Vec<Vec<when::Answers>>;

/// Regions as conditions; regions whose conditions differ in one line only become one region
/// whose line lists the alternatives (`... or ...`), which is exactly their union. Each line keeps
/// the answers of each alternative, for [`when`].
fn readable<'l>(
    space: &Space<'_>,
    merged: Vec<(Answers, Vec<&'l Leaf>)>,
) -> Vec<(Vec<String>, Stated, Vec<&'l Leaf>)> {
    // Each line as its alternatives' text.
    type Lines = Vec<Vec<String>>;
    let mut regions: Vec<(Lines, Stated, Vec<&Leaf>)> = merged
        .into_iter()
        .map(|(answers, members)| {
            let (lines, stated) = conditions(space, &answers)
                .into_iter()
                .map(|(line, answers)| (vec![line], vec![answers]))
                .unzip();
            (lines, stated, members)
        })
        .collect();
    loop {
        // One pass merges disjoint pairs; a region that changed waits for the next pass.
        let mut seen: BTreeMap<(Lines, usize), usize> = BTreeMap::new();
        let mut touched = vec![false; regions.len()];
        let mut gone = vec![false; regions.len()];
        for index in 0..regions.len() {
            let lines = regions[index].0.clone();
            for position in 0..lines.len() {
                let mut rest = lines.clone();
                rest.remove(position);
                let key = (rest, position);
                match seen.get(&key) {
                    Some(&other) if !touched[other] && !gone[other] => {
                        let stated = std::mem::take(&mut regions[index].1[position]);
                        let members = std::mem::take(&mut regions[index].2);
                        let target = &mut regions[other];
                        target.0[position].extend(lines[position].iter().cloned());
                        target.1[position].extend(stated);
                        target.2.extend(members);
                        touched[other] = true;
                        gone[index] = true;
                        break;
                    }
                    _ => {
                        seen.insert(key, index);
                    }
                }
            }
        }
        if !gone.contains(&true) {
            break;
        }
        let mut index = 0;
        regions.retain(|_| {
            index += 1;
            !gone[index - 1]
        });
    }
    regions
        .into_iter()
        .map(|(lines, stated, members)| {
            let lines = lines
                .into_iter()
                .map(|alternatives| match alternatives.as_slice() {
                    [one] => one.clone(),
                    many => many
                        .iter()
                        .map(|line| alternative(line))
                        .collect::<Vec<_>>()
                        .join(" or "),
                })
                .collect();
            (lines, stated, members)
        })
        .collect()
}

/// A condition as one alternative of several: parenthesised when it has parts of its own.
fn alternative(line: &str) -> String {
    if line.contains(" and ") || line.contains(", ") {
        format!("({line})")
    } else {
        line.to_string()
    }
}

/// An outcome object's fields, in order.
fn pairs(outcome: &Json) -> Vec<(String, Json)> {
    match outcome {
        Json::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

/// The rules that apply in one version and not the other, among those that conclude one of
/// `fields` (all of them when none of those does).
fn rule_changes(
    space: &Space<'_>,
    from: &Outcome,
    to: &Outcome,
    fields: &BTreeSet<&str>,
) -> Vec<RuleChange> {
    let names = |outcome: &Outcome, side: usize| -> BTreeSet<&str> {
        match outcome {
            Ok((_, rules)) => rules
                .iter()
                .map(|index| space.versions[side].rules[*index].name.as_str())
                .collect(),
            Err(_) => BTreeSet::new(),
        }
    };
    let (before, after) = (names(from, 0), names(to, 1));
    let mut all = Vec::new();
    for (side, own, others, label) in [(0, &before, &after, "from"), (1, &after, &before, "to")] {
        for name in own.difference(others) {
            let Some(rule) = space.versions[side]
                .rules
                .iter()
                .find(|rule| rule.name == *name)
            else {
                continue;
            };
            let concludes = rule
                .then
                .iter()
                .any(|conclusion| fields.contains(conclusion.field.as_str()));
            let cite = rule
                .provenance
                .citations
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
                .join("; ");
            all.push((
                concludes,
                RuleChange {
                    rule: name.to_string(),
                    cite,
                    applies_in: label.to_string(),
                },
            ));
        }
    }
    let deciding: Vec<RuleChange> = all
        .iter()
        .filter(|(concludes, _)| *concludes)
        .map(|(_, rule)| rule.clone())
        .collect();
    if deciding.is_empty() {
        all.into_iter().map(|(_, rule)| rule).collect()
    } else {
        deciding
    }
}

/// The region's answers as conditions counsel reads, one fact at a time in schema order, each
/// with the answers it states.
fn conditions(space: &Space<'_>, answers: &Answers) -> Vec<(String, when::Answers)> {
    let mut by_fact: BTreeMap<usize, Vec<&(Atom, bool)>> = BTreeMap::new();
    for answer in answers {
        let fact = answer.0.fact();
        let position = space.facts.get_index_of(&fact).unwrap_or(usize::MAX);
        by_fact.entry(position).or_default().push(answer);
    }
    let mut all = Vec::new();
    for answers in by_fact.values() {
        let fact = answers[0].0.fact();
        let mut lines: Vec<String> = Vec::new();
        let mut unlike: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut interval: Option<Interval> = None;
        let mut dates = (jiff::civil::Date::MIN, jiff::civil::Date::MAX);
        let (mut inside, mut outside, mut equal): (Vec<String>, Vec<String>, Vec<String>) =
            (Vec::new(), Vec::new(), Vec::new());
        let mut enum_values: Option<BTreeSet<String>> = None;
        for (atom, truth) in answers {
            match atom {
                Atom::DateBefore(date) => {
                    if *truth {
                        dates.1 = dates.1.min(domain::shift(*date, -1));
                    } else {
                        dates.0 = dates.0.max(*date);
                    }
                }
                Atom::Compare(cmp, left, right) => match space::single_fact(left, right) {
                    Some((fact, constant, fact_left)) => {
                        let current = interval
                            .take()
                            .unwrap_or_else(|| space.interval(&Region::everything(), &fact));
                        interval = current
                            .narrow(*cmp, constant, fact_left, *truth)
                            .or(Some(current));
                    }
                    None => lines.push(compare_text(*cmp, left, right, *truth)),
                },
                Atom::InGroup { side, group, .. } => {
                    let name = group_name(space, *side, group);
                    if *truth {
                        inside.push(name)
                    } else {
                        outside.push(name)
                    }
                }
                Atom::CountryIs(_, code) => {
                    let name = cordon_lang::check::country_name(code).unwrap_or("");
                    equal.push(format!(
                        "{} {code} ({name})",
                        if *truth { "is" } else { "is not" }
                    ));
                }
                Atom::EnumIs(fact, value) => {
                    let mut values = enum_values
                        .take()
                        .unwrap_or_else(|| space.enum_values(&Region::everything(), fact));
                    if *truth {
                        values.retain(|v| v == value);
                    } else {
                        values.remove(value);
                    }
                    enum_values = Some(values);
                }
                Atom::Bool(fact) => lines.push(if *truth {
                    fact.to_string()
                } else {
                    format!("not {fact}")
                }),
                Atom::Present(fact) => lines.push(format!(
                    "{fact} {}",
                    if *truth { "given" } else { "absent" }
                )),
                Atom::Text {
                    fact,
                    text,
                    any_case,
                } => {
                    let shown = if *any_case {
                        format!("lowercase({fact})")
                    } else {
                        fact.clone()
                    };
                    if *truth {
                        lines.push(format!("{shown} == {text:?}"));
                    } else {
                        unlike.entry(shown).or_default().push(format!("{text:?}"));
                    }
                }
                Atom::List { pred, .. } => {
                    let text = &space.list_predicates[*pred].text;
                    lines.push(if *truth {
                        text.clone()
                    } else {
                        format!("not ({text})")
                    });
                }
                Atom::Contains { fact, element } => {
                    lines.push(format!(
                        "{element} {} {fact}",
                        if *truth { "in" } else { "not in" }
                    ));
                }
            }
        }
        if dates != (jiff::civil::Date::MIN, jiff::civil::Date::MAX) {
            lines.push(match dates {
                (low, high) if low == high => format!("date {low}"),
                (low, high) if low == jiff::civil::Date::MIN => format!("date on or before {high}"),
                (low, high) if high == jiff::civil::Date::MAX => format!("date on or after {low}"),
                (low, high) => format!("date from {low} through {high}"),
            });
        }
        if let Some(interval) = interval {
            let unit = match space.facts.get(&fact).map(|info| &info.kind) {
                Some(Kind::Number { unit, .. }) => unit.clone(),
                _ => String::new(),
            };
            lines.extend(domain::interval_text(&interval, &fact, &unit, &number_text));
        }
        if let Some(values) = enum_values {
            let all = space.enum_values(&Region::everything(), &fact);
            let excluded: Vec<&String> = all.difference(&values).collect();
            let listed = |items: Vec<&String>| {
                items
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            lines.push(if values.len() <= excluded.len() {
                format!("{fact} is {}", listed(values.iter().collect()))
            } else {
                format!("{fact} is not {}", listed(excluded))
            });
        }
        if !inside.is_empty() || !outside.is_empty() || !equal.is_empty() {
            let mut parts = equal;
            if !inside.is_empty() {
                parts.push(format!("in {}", inside.join(", ")));
            }
            if !outside.is_empty() {
                parts.push(format!("not in {}", outside.join(", ")));
            }
            lines.push(format!("{fact} {}", parts.join(" and ")));
        }
        for (shown, texts) in unlike {
            lines.push(match texts.as_slice() {
                [one] => format!("{shown} != {one}"),
                many => format!("{shown} not in {{{}}}", many.join(", ")),
            });
        }
        // One line per fact, so that regions differing in one fact merge into alternatives.
        all.push((
            lines.join(" and "),
            answers.iter().map(|answer| (*answer).clone()).collect(),
        ));
    }
    all
}

/// A group by name, with the version it is taken from when the two versions' groups differ.
fn group_name(space: &Space<'_>, side: usize, group: &str) -> String {
    let segments = space.boundaries.len() + 1;
    let in_both = space
        .versions
        .iter()
        .all(|version| version.groups.contains_key(group));
    let same = (0..segments)
        .all(|segment| space.group(0, group, segment) == space.group(1, group, segment));
    if same || !in_both {
        group.to_string()
    } else {
        format!(
            "{group} (as version {} has it)",
            space.versions[side].manifest.id
        )
    }
}

fn compare_text(cmp: Cmp, left: &Num, right: &Num, truth: bool) -> String {
    let op = match (cmp, truth) {
        (Cmp::Less, true) => "<",
        (Cmp::Less, false) => ">=",
        (Cmp::LessOrEqual, true) => "<=",
        (Cmp::LessOrEqual, false) => ">",
        (Cmp::Equal, true) => "==",
        (Cmp::Equal, false) => "!=",
    };
    format!("{} {op} {}", num_text(left, 0), num_text(right, 0))
}

fn num_text(num: &Num, parent: u8) -> String {
    let binary = |a: &Num, op: &str, b: &Num, own: u8| {
        let inner = format!("{} {op} {}", num_text(a, own), num_text(b, own + 1));
        if own < parent {
            format!("({inner})")
        } else {
            inner
        }
    };
    match num {
        Num::Const(value) => number_text(*value),
        Num::Fact(fact) => fact.clone(),
        Num::Add(a, b) => binary(a, "+", b, 1),
        Num::Subtract(a, b) => binary(a, "-", b, 1),
        Num::Multiply(a, b) => binary(a, "*", b, 2),
        Num::Divide(a, b) => binary(a, "/", b, 2),
        Num::Max(a, b) => format!("max({}, {})", num_text(a, 0), num_text(b, 0)),
        Num::Min(a, b) => format!("min({}, {})", num_text(a, 0), num_text(b, 0)),
        Num::Negate(inner) => format!("-{}", num_text(inner, 3)),
    }
}

/// Numbers as the regulation writes them: `26,900,000`, `5.92`, and `1e26` for powers of ten
/// too long to read.
fn number_text(value: Decimal) -> String {
    let normal = value.normalize();
    let digits = normal.abs().trunc().to_string();
    if normal.fract().is_zero() && digits.len() > 12 {
        let significant = digits.trim_end_matches('0');
        let exponent = digits.len() - 1;
        let mantissa = if significant.len() > 1 {
            format!("{}.{}", &significant[..1], &significant[1..])
        } else {
            significant.to_string()
        };
        let sign = if normal.is_sign_negative() { "-" } else { "" };
        return format!("{sign}{mantissa}e{exponent}");
    }
    grouped(normal)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Policy;

    type Ran<'v> = Result<Outcome, (Stop, Box<Settled<'v>>)>;

    /// What a run gave: its outcome, or why it stopped.
    fn gave(ran: &Ran<'_>) -> String {
        match ran {
            Ok(outcome) => format!("{outcome:?}"),
            Err((stop, _)) => format!("{stop:?}"),
        }
    }

    /// Every part of a region, run on from what the run over the whole settled, gives what a run
    /// from the first rule gives: the same outcome, or the same question to split on. Checked over
    /// the whole tree of splits of each version of a pair, resuming down the tree as
    /// [`explore`] does.
    #[test]
    fn a_run_resumed_from_its_whole_region_gives_what_a_run_from_the_start_gives() {
        let policy = Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))
            .expect("policies/ear loads");
        let (from, to) = match (policy.pinned("2024-12-02"), policy.pinned("2025-01-13")) {
            (Ok(from), Ok(to)) => (from, to),
            _ => panic!("the EAR versions load"),
        };
        let space = Space::new(&from.hir, &to.hir);
        let mut compared = 0;
        for side in 0..2 {
            let mut pending: Vec<(Region, Option<Settled>)> = vec![(Region::everything(), None)];
            while let Some((region, settled)) = pending.pop() {
                let fresh = Run::new(&space, side, &region).outcome();
                let ran = match settled {
                    Some(settled) => {
                        let resumed = Run::resume(&space, side, &region, settled).outcome();
                        assert_eq!(
                            gave(&resumed),
                            gave(&fresh),
                            "side {side}, region {:?}",
                            region.answers.in_order()
                        );
                        compared += 1;
                        resumed
                    }
                    None => fresh,
                };
                if let Err((Stop::Need(atom), settled)) = ran {
                    for truth in [true, false] {
                        if let Some(part) = space.assume(&region, &atom, truth) {
                            pending.push((part, Some((*settled).clone())));
                        }
                    }
                }
            }
        }
        assert!(compared > 1_000, "only {compared} parts compared");
    }
}
