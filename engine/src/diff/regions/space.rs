//! The input space two versions share: the facts and their kinds, the dates where a country's
//! groups change, the groups' members on each side, and how a region is narrowed by an answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use indexmap::IndexMap;
use jiff::civil::Date;
use rustc_hash::FxHashMap as HashMap;

use cordon_lang::hir::{self, Expr, FieldMode, Literal, Type};

use super::domain::{Asked, Atom, Cmp, Interval, Num, Region, shift};
use crate::value::{CountrySet, country_code, country_index, eccn_within};

/// Facts by path, in schema order.
pub type Facts = IndexMap<String, FactInfo, rustc_hash::FxBuildHasher>;

/// What kind of value a fact holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Number {
        integer: bool,
        unit: String,
    },
    Date,
    Country,
    Text,
    Eccn,
    Enum(Vec<String>),
    /// A list or set of ECCNs.
    EccnList,
    /// A kind the exhaustive analysis does not split on (it is reported, not guessed).
    Other(String),
}

#[derive(Clone, Debug)]
pub struct FactInfo {
    pub kind: Kind,
    pub mode: FieldMode,
    /// For a number: the least value the schema allows, and whether that value itself is allowed.
    pub minimum: Option<(rust_decimal::Decimal, bool)>,
}

/// A quantifier over a list fact (`any e in item.produced_with: e within {...}`), by side.
#[derive(Clone, Debug)]
pub struct ListPredicate<'v> {
    pub side: usize,
    pub all: bool,
    pub variable: &'v str,
    pub body: &'v Expr,
    pub text: String,
}

pub struct Space<'v> {
    pub versions: [&'v hir::Version; 2],
    /// Every leaf fact of either version's schema, by path, in schema order, with every value
    /// either version allows (see [`union_of`]).
    pub facts: Facts,
    /// Each version's own schema: the values the other allows and it refuses make its decision
    /// an error, as the engine's is.
    pub own: [Facts; 2],
    /// For each side: the facts whose values in [`Space::facts`] its own schema does not match.
    pub widened: [Vec<String>; 2],
    /// Dates on which a group's members or an alias change, in either version.
    pub boundaries: Vec<Date>,
    /// For each side and group: the codes that count as members, in each segment between
    /// boundaries.
    groups: [HashMap<String, Vec<CountrySet>>; 2],
    /// For each side and segment: the code each code counts as (aliases applied).
    aliases: [Vec<HashMap<u16, u16>>; 2],
    /// Every ISO 3166-1 code, the most familiar first (witnesses use the first that fits).
    pub countries: Vec<u16>,
    pub all_countries: CountrySet,
    /// For each side, each rule's index: the rules it prevails over, directly or not.
    pub prevails: [Vec<BTreeSet<usize>>; 2],
    pub rule_index: [HashMap<String, usize>; 2],
    /// Quantifiers over list facts, found by address in the versions' expressions.
    pub list_predicates: Vec<ListPredicate<'v>>,
    pub list_predicate_at: HashMap<usize, usize>,
    /// ECCNs a list fact's elements are drawn from when a witness is built.
    pub eccns: Vec<String>,
}

/// Codes a witness prefers, so that examples read naturally.
const FAMILIAR: &[&str] = &[
    "US", "GB", "DE", "FR", "JP", "IN", "AE", "SA", "IL", "SG", "MY", "VN", "CN", "RU", "IR", "MO",
    "HK", "KH", "BR", "MX", "CA", "AU",
];

impl<'v> Space<'v> {
    pub fn new(from: &'v hir::Version, to: &'v hir::Version) -> Space<'v> {
        let versions = [from, to];
        let own = versions.map(facts_of);
        let facts = union_of(&own);
        let mut boundaries: BTreeSet<Date> = BTreeSet::new();
        for version in versions {
            boundaries.extend(version.membership_change_dates());
            for alias in version.aliases.values() {
                boundaries.extend(alias.provenance.effective);
                boundaries.extend(alias.provenance.through.map(|through| shift(through, 1)));
            }
        }
        let boundaries: Vec<Date> = boundaries.into_iter().collect();
        let mut codes: Vec<u16> = (0..26 * 26)
            .filter(|index| cordon_lang::check::is_country_code(&country_code(*index)))
            .collect();
        codes.sort_by_key(|code| {
            let text = country_code(*code);
            (
                FAMILIAR
                    .iter()
                    .position(|c| *c == text)
                    .unwrap_or(FAMILIAR.len()),
                text,
            )
        });
        let mut all_countries = CountrySet::default();
        for code in &codes {
            all_countries.insert(*code);
        }
        let segments: Vec<Date> = std::iter::once(Date::MIN)
            .chain(boundaries.iter().copied())
            .collect();
        let aliases = versions.map(|version| {
            segments
                .iter()
                .map(|date| {
                    version
                        .aliases
                        .values()
                        .filter(|alias| alias.provenance.in_force_on(*date))
                        .filter_map(|alias| {
                            Some((country_index(&alias.code)?, country_index(&alias.target)?))
                        })
                        .collect::<HashMap<u16, u16>>()
                })
                .collect::<Vec<_>>()
        });
        let groups = [0, 1].map(|side| {
            let version = versions[side];
            version
                .groups
                .keys()
                .map(|name| {
                    let per_segment = segments
                        .iter()
                        .enumerate()
                        .map(|(segment, date)| {
                            let members: CountrySet = {
                                let mut set = CountrySet::default();
                                for code in version.group_members_on(name, *date) {
                                    if let Some(index) = country_index(&code) {
                                        set.insert(index);
                                    }
                                }
                                set
                            };
                            let mut counted = CountrySet::default();
                            for code in &codes {
                                let resolved =
                                    aliases[side][segment].get(code).copied().unwrap_or(*code);
                                if members.contains(resolved) {
                                    counted.insert(*code);
                                }
                            }
                            counted
                        })
                        .collect();
                    (name.clone(), per_segment)
                })
                .collect()
        });
        let rule_index = versions.map(|version| {
            version
                .rules
                .iter()
                .enumerate()
                .map(|(index, rule)| (rule.name.clone(), index))
                .collect::<HashMap<_, _>>()
        });
        let prevails = versions.map(hir::Version::prevails_over);
        let mut list_predicates = Vec::new();
        let mut list_predicate_at = HashMap::default();
        let mut eccns = BTreeSet::new();
        for (side, version) in versions.into_iter().enumerate() {
            let mut visit = |expr: &'v Expr| {
                if let Expr::Quantifier {
                    all,
                    variable,
                    over,
                    body,
                } = expr
                    && matches!(**over, Expr::Fact(_))
                {
                    // The same quantifier in both versions (a body of literals alone means the
                    // same in each) is one question, so that no region asks it twice.
                    let mut literal_only = true;
                    body.walk(&mut |inner| {
                        if matches!(
                            inner,
                            Expr::Const(_)
                                | Expr::Define(_)
                                | Expr::Table(_)
                                | Expr::Group(_)
                                | Expr::Outcome(_)
                                | Expr::Fact(_)
                                | Expr::TransactionDate
                        ) {
                            literal_only = false;
                        }
                    });
                    let same = list_predicates
                        .iter()
                        .position(|known: &ListPredicate<'v>| {
                            literal_only
                                && known.all == *all
                                && known.variable == variable.as_str()
                                && known.body == &**body
                        });
                    let index = same.unwrap_or_else(|| {
                        list_predicates.push(ListPredicate {
                            side,
                            all: *all,
                            variable,
                            body,
                            text: crate::text::text(expr),
                        });
                        list_predicates.len() - 1
                    });
                    list_predicate_at.insert(std::ptr::from_ref(expr) as usize, index);
                }
                if let Expr::Literal(literal) = expr {
                    collect_eccns(literal, &mut eccns);
                }
            };
            for rule in &version.rules {
                if let Some(when) = &rule.when {
                    when.walk(&mut visit);
                }
            }
            for define in version.defines.values() {
                define.value.walk(&mut visit);
            }
            for constant in version.consts.values() {
                constant.value.walk(&mut visit);
            }
        }
        // Each ECCN named, a paragraph under each, and one under none of them.
        let named: Vec<String> = eccns.iter().cloned().collect();
        for eccn in &named {
            let child = format!("{eccn}.z9");
            if crate::facts::looks_like_eccn(&child) {
                eccns.insert(child);
            }
        }
        if let Some(other) = ["0A999", "0B999", "9E999"].into_iter().find(|other| {
            !named
                .iter()
                .any(|eccn| eccn_within(other, eccn) || eccn_within(eccn, other))
        }) {
            eccns.insert(other.to_string());
        }
        let widened = [0, 1].map(|side| {
            facts
                .iter()
                .filter(|(path, info)| {
                    own[side].get(*path).is_none_or(|own| {
                        own.kind != info.kind
                            || own.mode != info.mode
                            || own.minimum != info.minimum
                    })
                })
                .map(|(path, _)| path.clone())
                .collect()
        });
        Space {
            versions,
            facts,
            own,
            widened,
            boundaries,
            groups,
            aliases,
            countries: codes,
            all_countries,
            prevails,
            rule_index,
            list_predicates,
            list_predicate_at,
            eccns: eccns.into_iter().collect(),
        }
    }

    /// The segment (between boundaries) holding every date of the region, or the boundary the
    /// region must first be split at.
    pub fn segment(&self, region: &Region) -> Result<usize, Date> {
        let (low, high) = region.dates;
        if let Some(boundary) = self.boundaries.iter().find(|b| low < **b && **b <= high) {
            return Err(*boundary);
        }
        Ok(self.boundaries.partition_point(|b| *b <= low))
    }

    /// The codes that count as members of a side's group in a segment.
    pub fn group(&self, side: usize, name: &str, segment: usize) -> CountrySet {
        self.groups[side]
            .get(name)
            .and_then(|sets| sets.get(segment))
            .copied()
            .unwrap_or_default()
    }

    /// The codes that count as `code` in a segment (the code and its aliases).
    pub fn counting_as(&self, code: &str, segment: usize) -> CountrySet {
        let mut set = CountrySet::default();
        let Some(target) = country_index(code) else {
            return set;
        };
        // A code counts as itself unless an alias sends it elsewhere; aliases add their codes.
        for side in 0..2 {
            let aliases = self.aliases[side].get(segment);
            if aliases.is_none_or(|aliases| !aliases.contains_key(&target)) {
                set.insert(target);
            }
            for (alias, aliased) in aliases.into_iter().flatten() {
                if *aliased == target {
                    set.insert(*alias);
                }
            }
        }
        set
    }

    /// The code a literal country counts as (aliases without a window, as the compiler applies
    /// them to literals).
    pub fn literal_country(&self, side: usize, code: &str) -> String {
        self.versions[side]
            .aliases
            .values()
            .find(|alias| {
                alias.code == code
                    && alias.provenance.effective.is_none()
                    && alias.provenance.through.is_none()
            })
            .map_or_else(|| code.to_string(), |alias| alias.target.clone())
    }

    pub fn countries_of(&self, region: &Region, fact: &str) -> CountrySet {
        region
            .countries
            .get(fact)
            .copied()
            .unwrap_or(self.all_countries)
    }

    pub fn enum_values(&self, region: &Region, fact: &str) -> BTreeSet<String> {
        region.enums.get(fact).cloned().unwrap_or_else(|| {
            match self.facts.get(fact).map(|f| &f.kind) {
                Some(Kind::Enum(values)) => values.iter().cloned().collect(),
                _ => BTreeSet::new(),
            }
        })
    }

    /// The numbers a fact may take in a region: what its answers leave of what the schema allows.
    pub fn interval(&self, region: &Region, fact: &str) -> Interval {
        region.numbers.get(fact).cloned().unwrap_or_else(|| {
            let info = self.facts.get(fact);
            let mut interval = Interval::any(matches!(
                info.map(|f| &f.kind),
                Some(Kind::Number { integer: true, .. })
            ));
            interval.low = info.and_then(|info| info.minimum);
            interval
        })
    }

    /// The region `answers` leave, given one at a time in order as [`Space::assume`] takes them
    /// (`None` when it is empty).
    pub fn replay(&self, answers: &Asked) -> Option<Region> {
        answers
            .in_order()
            .into_iter()
            .try_fold(Region::everything(), |region, (atom, truth)| {
                self.assume(&region, atom, truth)
            })
    }

    /// The region narrowed by one more answer; `None` when nothing is left of it.
    pub fn assume(&self, region: &Region, atom: &Atom, truth: bool) -> Option<Region> {
        let mut next = region.clone();
        next.answers = next.answers.and(atom.clone(), truth);
        match atom {
            Atom::DateBefore(date) => {
                if truth {
                    next.dates.1 = next.dates.1.min(shift(*date, -1));
                } else {
                    next.dates.0 = next.dates.0.max(*date);
                }
                (next.dates.0 <= next.dates.1).then_some(next)
            }
            Atom::Bool(fact) => {
                Arc::make_mut(&mut next.bools).insert(fact.clone(), truth);
                Some(next)
            }
            Atom::Present(fact) => {
                Arc::make_mut(&mut next.present).insert(fact.clone(), truth);
                Some(next)
            }
            Atom::EnumIs(fact, value) => {
                let mut values = self.enum_values(region, fact);
                if truth {
                    values.retain(|v| v == value);
                } else {
                    values.remove(value);
                }
                Arc::make_mut(&mut next.enums).insert(fact.clone(), values.clone());
                (!values.is_empty()).then_some(next)
            }
            Atom::InGroup { fact, side, group } => {
                let segment = self.segment(region).ok()?;
                let members = self.group(*side, group, segment);
                self.narrow_country(next, fact, &members, truth)
            }
            Atom::CountryIs(fact, code) => {
                let segment = self.segment(region).ok()?;
                let members = self.counting_as(code, segment);
                self.narrow_country(next, fact, &members, truth)
            }
            Atom::Compare(cmp, left, right) => match single_fact(left, right) {
                Some((fact, constant, fact_left)) => {
                    let interval = self
                        .interval(region, &fact)
                        .narrow(*cmp, constant, fact_left, truth)?;
                    Arc::make_mut(&mut next.numbers).insert(fact, interval);
                    Some(next)
                }
                None => {
                    Arc::make_mut(&mut next.complex).insert(atom.clone(), truth);
                    Some(next)
                }
            },
            Atom::Text { fact, .. } | Atom::List { fact, .. } | Atom::Contains { fact, .. } => {
                Arc::make_mut(&mut next.complex).insert(atom.clone(), truth);
                // Dropped only when it is proved that no transaction is left; when neither a
                // transaction nor the proof is found the region is kept (and a region of it that
                // decides differently without a witness is a caveat).
                let empty = match atom {
                    Atom::Text { .. } => matches!(super::witness::text_for(&next, fact), Ok(None)),
                    _ => matches!(super::witness::list_for(self, &next, fact), Ok(None)),
                };
                (!empty).then_some(next)
            }
        }
    }

    fn narrow_country(
        &self,
        mut next: Region,
        fact: &str,
        members: &CountrySet,
        truth: bool,
    ) -> Option<Region> {
        let current = self.countries_of(&next, fact);
        let narrowed = if truth {
            current.intersection(members)
        } else {
            current.difference(members)
        };
        Arc::make_mut(&mut next.countries).insert(fact.to_string(), narrowed);
        (!narrowed.is_empty()).then_some(next)
    }
}

/// `fact cmp constant` or `constant cmp fact`: the fact, the constant, and whether the fact is on
/// the left.
pub fn single_fact(left: &Num, right: &Num) -> Option<(String, rust_decimal::Decimal, bool)> {
    match (left, right) {
        (Num::Fact(fact), Num::Const(constant)) => Some((fact.clone(), *constant, true)),
        (Num::Const(constant), Num::Fact(fact)) => Some((fact.clone(), *constant, false)),
        _ => None,
    }
}

/// Is `cmp` an answer the interval already gives? (`Some(answer)` when every member agrees.)
pub fn decided_by_interval(
    interval: &Interval,
    cmp: Cmp,
    constant: rust_decimal::Decimal,
    fact_left: bool,
) -> Option<bool> {
    let can_hold = interval.narrow(cmp, constant, fact_left, true).is_some();
    let can_fail = interval.narrow(cmp, constant, fact_left, false).is_some();
    match (can_hold, can_fail) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// The facts of both schemas, each with every value either allows: a fact one version lacks or
/// leaves optional is optional, an enum has the values of both, a number the lower least value.
/// A fact of different kinds in the two is kept as the first has it (and read as an error where
/// the kinds differ).
fn union_of(own: &[Facts; 2]) -> Facts {
    let mut facts = own[0].clone();
    for (path, info) in &own[1] {
        match facts.get_mut(path) {
            None => {
                facts.insert(path.clone(), info.clone());
            }
            Some(known) => {
                if let (Kind::Enum(values), Kind::Enum(more)) = (&mut known.kind, &info.kind) {
                    for value in more {
                        if !values.contains(value) {
                            values.push(value.clone());
                        }
                    }
                }
                if info.mode == FieldMode::Optional {
                    known.mode = FieldMode::Optional;
                }
                known.minimum = match (known.minimum, info.minimum) {
                    (Some(a), Some(b)) => Some(if a.0 < b.0 || (a.0 == b.0 && a.1) {
                        a
                    } else {
                        b
                    }),
                    _ => None,
                };
            }
        }
    }
    for (path, info) in &mut facts {
        if own.iter().any(|side| !side.contains_key(path)) {
            info.mode = FieldMode::Optional;
        }
    }
    facts
}

/// Every leaf fact of a version's schema, by path, in schema order.
pub fn facts_of(version: &hir::Version) -> Facts {
    let mut facts = IndexMap::default();
    collect_facts(version, &version.facts, "", &mut facts);
    facts
}

fn collect_facts(version: &hir::Version, record: &hir::Record, prefix: &str, into: &mut Facts) {
    for field in &record.fields {
        let path = if prefix.is_empty() {
            field.name.clone()
        } else {
            format!("{prefix}.{}", field.name)
        };
        let mut ty = &field.ty;
        if let Type::Optional(inner) = ty {
            ty = inner;
        }
        if let Type::Record(name) = ty
            && let Some(inner) = version.records.get(name)
        {
            collect_facts(version, inner, &path, into);
            continue;
        }
        let kind = match ty {
            Type::Bool => Kind::Bool,
            Type::Number { integer, dimension } => Kind::Number {
                integer: *integer,
                unit: if dimension.is_none() {
                    String::new()
                } else {
                    dimension.to_string()
                },
            },
            Type::Date => Kind::Date,
            Type::Country => Kind::Country,
            Type::String => Kind::Text,
            Type::Eccn => Kind::Eccn,
            Type::Enum(name) => Kind::Enum(
                version
                    .enums
                    .get(name)
                    .map(|e| e.variants.clone())
                    .unwrap_or_default(),
            ),
            Type::Set(element) | Type::List(element) if **element == Type::Eccn => Kind::EccnList,
            other => Kind::Other(other.to_string()),
        };
        let mode = match (&field.ty, &field.mode) {
            (Type::Optional(_), _) => FieldMode::Optional,
            (_, mode) => mode.clone(),
        };
        into.entry(path).or_insert(FactInfo {
            kind,
            mode,
            minimum: field.minimum,
        });
    }
}

fn collect_eccns(literal: &Literal, into: &mut BTreeSet<String>) {
    match literal {
        Literal::Eccn(eccn) => {
            into.insert(eccn.clone());
        }
        Literal::Set(items) | Literal::List(items) => {
            for item in items {
                collect_eccns(item, into);
            }
        }
        _ => {}
    }
}

/// The rules an outcome field depends on: those that conclude it, the rules they name in
/// `unless`, and the rules concluding the outcomes they read (through definitions too), closed.
pub fn cone(
    version: &hir::Version,
    field: &str,
    index: &HashMap<String, usize>,
) -> BTreeSet<usize> {
    let mut fields = vec![field.to_string()];
    let mut seen_fields = BTreeSet::new();
    let mut rules = BTreeSet::new();
    let mut pending_rules: Vec<usize> = Vec::new();
    loop {
        while let Some(field) = fields.pop() {
            if !seen_fields.insert(field.clone()) {
                continue;
            }
            for (position, rule) in version.rules.iter().enumerate() {
                if rule.then.iter().any(|conclusion| conclusion.field == field) {
                    pending_rules.push(position);
                }
            }
        }
        let Some(position) = pending_rules.pop() else {
            break;
        };
        if !rules.insert(position) {
            continue;
        }
        let rule = &version.rules[position];
        pending_rules.extend(rule.unless.iter().filter_map(|name| index.get(name)));
        let mut seen_defines = BTreeSet::new();
        let mut exprs: Vec<&Expr> = rule
            .when
            .iter()
            .chain(rule.then.iter().map(|c| &c.value))
            .collect();
        while let Some(expr) = exprs.pop() {
            expr.walk(&mut |inner| match inner {
                Expr::Outcome(name) => fields.push(name.clone()),
                Expr::Define(name) if seen_defines.insert(name.clone()) => {
                    if let Some(define) = version.defines.get(name) {
                        exprs.push(&define.value);
                    }
                }
                _ => {}
            });
        }
    }
    rules
}
