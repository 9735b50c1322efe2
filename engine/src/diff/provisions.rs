//! The provisions view: the rules, groups, constants, tables, definitions, aliases and schema
//! fields added, removed or changed between two checked versions, matched by name through
//! amendments, each with its citations and what changed in words counsel reads.
//!
//! It compares checked versions ([`hir::Version`]) only: layout, comments and the file a provision
//! is written in never show up as changes.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use jiff::civil::Date;
use serde::Serialize;

use cordon_lang::check::country_name;
use cordon_lang::hir::{
    self, BinaryOp, Confidence, FieldMode, GroupExpr, Provenance, Type, Version,
};
use cordon_lang::parse::{self, ParsedChunk};
use cordon_lang::syntax::DeclarationKind;

use crate::text::{conjunct_text, text};

/// What kind of declaration changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Rule,
    Group,
    Alias,
    Const,
    Table,
    Define,
    /// A record of the schema; the transaction's root is `facts`, the outcome's is `outcome`.
    Record,
    Enum,
    Unit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Group => "group",
            Kind::Alias => "alias",
            Kind::Const => "const",
            Kind::Table => "table",
            Kind::Define => "define",
            Kind::Record => "record",
            Kind::Enum => "enum",
            Kind::Unit => "unit",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One provision (or schema declaration) that differs between the versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvisionChange {
    pub kind: Kind,
    pub name: String,
    pub change: Change,
    /// The citations of the newer side; for a removed provision, those of its `remove`
    /// declaration, or else those it had.
    pub citations: Vec<String>,
    /// What changed, one statement each (`value 4,800 TPP -> 5,000 TPP`); for an added or removed
    /// provision, what it says (or said).
    pub what_changed: Vec<String>,
}

/// Every difference between two versions, rules first, then groups, aliases, constants, tables,
/// definitions and the schema; within a kind, in the order of the older version, additions last.
pub fn compare<'a>(from: &'a Version, to: &'a Version) -> Vec<ProvisionChange> {
    let mut comparison = Comparison {
        removals: removal_citations(from, to),
        changes: Vec::new(),
    };
    comparison.named(
        Kind::Rule,
        from.rules
            .iter()
            .map(|rule| (rule.name.as_str(), rule))
            .collect(),
        to.rules
            .iter()
            .map(|rule| (rule.name.as_str(), rule))
            .collect(),
        |rule| Some(&rule.provenance),
        describe_rule,
        compare_rules,
    );
    comparison.named(
        Kind::Group,
        by_name(&from.groups),
        by_name(&to.groups),
        |group| Some(&group.provenance),
        describe_group,
        |old, new| compare_groups(from, to, old, new),
    );
    comparison.named(
        Kind::Alias,
        by_name(&from.aliases),
        by_name(&to.aliases),
        |alias| Some(&alias.provenance),
        |alias| vec![format!("counts as {}", country(&alias.target))],
        |old, new| {
            let mut what = Vec::new();
            if old.target != new.target {
                what.push(format!(
                    "counts as {} -> {}",
                    country(&old.target),
                    country(&new.target)
                ));
            }
            what.extend(compare_provenance(&old.provenance, &new.provenance));
            what
        },
    );
    comparison.named(
        Kind::Const,
        by_name(&from.consts),
        by_name(&to.consts),
        |constant| Some(&constant.provenance),
        |constant| {
            vec![format!(
                "value {}",
                value_text(&constant.value, &constant.ty)
            )]
        },
        |old, new| {
            let mut what = Vec::new();
            let (before, after) = (
                value_text(&old.value, &old.ty),
                value_text(&new.value, &new.ty),
            );
            if before != after {
                what.push(format!("value {before} -> {after}"));
            }
            what.extend(compare_provenance(&old.provenance, &new.provenance));
            what
        },
    );
    comparison.named(
        Kind::Table,
        by_name(&from.tables),
        by_name(&to.tables),
        |table| Some(&table.provenance),
        |table| {
            table
                .rows
                .iter()
                .map(|(date, value)| format!("from {date}: {}", value_text(value, &table.ty)))
                .collect()
        },
        compare_tables,
    );
    comparison.named(
        Kind::Define,
        by_name(&from.defines),
        by_name(&to.defines),
        |define| Some(&define.provenance),
        |define| vec![format!("means `{}`", text(&define.value))],
        |old, new| {
            let mut what = compare_conditions("means", Some(&old.value), Some(&new.value));
            what.extend(compare_provenance(&old.provenance, &new.provenance));
            what
        },
    );
    let records = |version: &'a Version| {
        let mut records = vec![
            (version.facts.name.as_str(), &version.facts),
            (version.outcome.name.as_str(), &version.outcome),
        ];
        records.extend(by_name(&version.records));
        records
    };
    comparison.named(
        Kind::Record,
        records(from),
        records(to),
        |_| None,
        describe_fields,
        compare_fields,
    );
    comparison.named(
        Kind::Enum,
        by_name(&from.enums),
        by_name(&to.enums),
        |_| None,
        |enumeration| vec![format!("values {}", enumeration.variants.join(", "))],
        |old, new| {
            let (before, after) = (
                old.variants.iter().collect::<BTreeSet<_>>(),
                new.variants.iter().collect::<BTreeSet<_>>(),
            );
            let mut what: Vec<String> = after
                .difference(&before)
                .map(|variant| format!("adds value `{variant}`"))
                .collect();
            what.extend(
                before
                    .difference(&after)
                    .map(|variant| format!("removes value `{variant}`")),
            );
            what
        },
    );
    comparison.named(
        Kind::Unit,
        from.units
            .iter()
            .map(|unit| (unit.as_str(), unit))
            .collect(),
        to.units.iter().map(|unit| (unit.as_str(), unit)).collect(),
        |_| None,
        |_| Vec::new(),
        |_, _| Vec::new(),
    );
    comparison.changes
}

struct Comparison {
    removals: BTreeMap<String, Vec<String>>,
    changes: Vec<ProvisionChange>,
}

impl Comparison {
    /// Matches declarations of one kind by name and records each one added, removed or changed.
    fn named<T>(
        &mut self,
        kind: Kind,
        from: Vec<(&str, &T)>,
        to: Vec<(&str, &T)>,
        provenance: impl Fn(&T) -> Option<&Provenance>,
        describe: impl Fn(&T) -> Vec<String>,
        compare: impl Fn(&T, &T) -> Vec<String>,
    ) {
        let cited = |item: &T| provenance(item).map(citations).unwrap_or_default();
        let to_names: BTreeMap<&str, &T> = to.iter().copied().collect();
        let from_names: BTreeSet<&str> = from.iter().map(|(name, _)| *name).collect();
        for (name, old) in &from {
            let (change, citations, what_changed) = match to_names.get(name) {
                None => (
                    Change::Removed,
                    self.removals
                        .get(*name)
                        .cloned()
                        .unwrap_or_else(|| cited(old)),
                    describe(old),
                ),
                Some(new) => {
                    let what = compare(old, new);
                    if what.is_empty() {
                        continue;
                    }
                    (Change::Changed, cited(new), what)
                }
            };
            self.changes.push(ProvisionChange {
                kind,
                name: name.to_string(),
                change,
                citations,
                what_changed,
            });
        }
        for (name, new) in to.iter().filter(|(name, _)| !from_names.contains(name)) {
            self.changes.push(ProvisionChange {
                kind,
                name: name.to_string(),
                change: Change::Added,
                citations: cited(new),
                what_changed: describe(new),
            });
        }
    }
}

fn by_name<T>(items: &IndexMap<String, T>) -> Vec<(&str, &T)> {
    items
        .iter()
        .map(|(name, item)| (name.as_str(), item))
        .collect()
}

/// The citations of `remove` declarations written in `to`'s sources that `from` does not have.
/// The checked version forgets removals, so they are read from the declarations themselves.
fn removal_citations(from: &Version, to: &Version) -> BTreeMap<String, Vec<String>> {
    let known: BTreeSet<&(String, String)> = from.sources.iter().collect();
    let mut removals = BTreeMap::new();
    for (_, source) in to.sources.iter().filter(|file| !known.contains(file)) {
        for chunk in parse::split(source) {
            if let ParsedChunk::Declaration(declaration) = parse::parse_chunk(&chunk.text)
                && let DeclarationKind::Remove(remove) = declaration.kind
            {
                removals.insert(
                    remove.name.text,
                    remove
                        .citations
                        .iter()
                        .map(|citation| citation_text(&citation.text, citation.confidence))
                        .collect(),
                );
            }
        }
    }
    removals
}

fn citation_text(text: &str, confidence: Confidence) -> String {
    match confidence {
        Confidence::Confirmed => text.to_string(),
        other => format!("{text} [{}]", other.as_str()),
    }
}

fn citations(provenance: &Provenance) -> Vec<String> {
    provenance
        .citations
        .iter()
        .map(|citation| citation_text(&citation.text, citation.confidence))
        .collect()
}

/// A country code with its name: `AE (United Arab Emirates)`.
fn country(code: &str) -> String {
    match country_name(code) {
        Some(name) => format!("{code} ({name})"),
        None => code.to_string(),
    }
}

fn countries(codes: &BTreeSet<String>) -> String {
    codes
        .iter()
        .map(|code| country(code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value with its unit: `4,800 TPP`, `5.92 TPP/mm^2`.
fn value_text(value: &hir::Expr, ty: &Type) -> String {
    match ty {
        Type::Number { dimension, .. } if !dimension.is_none() => {
            format!("{} {dimension}", text(value))
        }
        _ => text(value),
    }
}

fn window_text(from: Option<Date>, through: Option<Date>) -> String {
    match (from, through) {
        (None, None) => "always".to_string(),
        (Some(from), None) => format!("from {from}"),
        (None, Some(through)) => format!("through {through}"),
        (Some(from), Some(through)) => format!("from {from} through {through}"),
    }
}

/// Citations added or dropped, the window in force, the documentation.
fn compare_provenance(old: &Provenance, new: &Provenance) -> Vec<String> {
    let (before, after) = (citations(old), citations(new));
    let mut what: Vec<String> = after
        .iter()
        .filter(|citation| !before.contains(citation))
        .map(|citation| format!("cites \"{citation}\""))
        .collect();
    what.extend(
        before
            .iter()
            .filter(|citation| !after.contains(citation))
            .map(|citation| format!("no longer cites \"{citation}\"")),
    );
    if (old.effective, old.through) != (new.effective, new.through) {
        what.push(format!(
            "in force {} -> {}",
            window_text(old.effective, old.through),
            window_text(new.effective, new.through)
        ));
    }
    if old.docs != new.docs {
        what.push("documentation changed".to_string());
    }
    what
}

/// The parts of a conjunction (`a and b and c`), each as its own text.
fn conjuncts(expr: &hir::Expr, parts: &mut Vec<String>) {
    match expr {
        hir::Expr::Binary(BinaryOp::And, left, right) => {
            conjuncts(left, parts);
            conjuncts(right, parts);
        }
        other => parts.push(conjunct_text(other)),
    }
}

/// A condition compared part by part: the parts dropped and the parts added, or the whole
/// condition when it is not a conjunction on both sides.
fn compare_conditions(
    label: &str,
    old: Option<&hir::Expr>,
    new: Option<&hir::Expr>,
) -> Vec<String> {
    if old == new {
        return Vec::new();
    }
    let parts = |expr: Option<&hir::Expr>| {
        let mut parts = Vec::new();
        if let Some(expr) = expr {
            conjuncts(expr, &mut parts);
        }
        parts
    };
    let (before, after) = (parts(old), parts(new));
    if before.len() < 2 || after.len() < 2 {
        let whole = |expr: Option<&hir::Expr>| {
            expr.map_or("always".to_string(), |e| format!("`{}`", text(e)))
        };
        return vec![format!("{label} {} -> {}", whole(old), whole(new))];
    }
    let mut what: Vec<String> = before
        .iter()
        .filter(|part| !after.contains(part))
        .map(|part| format!("{label}: drops `{part}`"))
        .collect();
    what.extend(
        after
            .iter()
            .filter(|part| !before.contains(part))
            .map(|part| format!("{label}: adds `{part}`")),
    );
    if what.is_empty() {
        // The same parts in another order.
        what.push(format!("{label}: the same conditions, reordered"));
    }
    what
}

fn conclusion_text(conclusion: &hir::Conclusion) -> String {
    let op = if conclusion.add { "+=" } else { "=" };
    format!("{} {op} {}", conclusion.field, text(&conclusion.value))
}

fn describe_rule(rule: &hir::Rule) -> Vec<String> {
    let mut what = Vec::new();
    if !rule.unless.is_empty() {
        what.push(format!("unless {}", rule.unless.join(", ")));
    }
    if !rule.notwithstanding.is_empty() {
        what.push(format!(
            "notwithstanding {}",
            rule.notwithstanding.join(", ")
        ));
    }
    if let Some(when) = &rule.when {
        what.push(format!("when `{}`", text(when)));
    }
    let then: Vec<String> = rule.then.iter().map(conclusion_text).collect();
    what.push(format!("then {}", then.join(", ")));
    what
}

fn compare_lists(label: &str, old: &[String], new: &[String]) -> Vec<String> {
    let mut what: Vec<String> = new
        .iter()
        .filter(|item| !old.contains(item))
        .map(|item| format!("{label} adds `{item}`"))
        .collect();
    what.extend(
        old.iter()
            .filter(|item| !new.contains(item))
            .map(|item| format!("{label} drops `{item}`")),
    );
    what
}

fn compare_rules(old: &hir::Rule, new: &hir::Rule) -> Vec<String> {
    let mut what = compare_conditions("when", old.when.as_ref(), new.when.as_ref());
    let (before, after): (Vec<String>, Vec<String>) = (
        old.then.iter().map(conclusion_text).collect(),
        new.then.iter().map(conclusion_text).collect(),
    );
    what.extend(compare_lists("then", &before, &after));
    what.extend(compare_lists("unless", &old.unless, &new.unless));
    what.extend(compare_lists(
        "notwithstanding",
        &old.notwithstanding,
        &new.notwithstanding,
    ));
    what.extend(compare_provenance(&old.provenance, &new.provenance));
    let own_window_same = (old.provenance.effective, old.provenance.through)
        == (new.provenance.effective, new.provenance.through);
    if old.window != new.window && own_window_same {
        what.push(format!(
            "can apply {} -> {} (the dated provisions it reads changed)",
            window_text(old.window.0, old.window.1),
            window_text(new.window.0, new.window.1)
        ));
    }
    what
}

fn compare_tables(old: &hir::Table, new: &hir::Table) -> Vec<String> {
    let before: BTreeMap<Date, String> = old
        .rows
        .iter()
        .map(|(date, value)| (*date, value_text(value, &old.ty)))
        .collect();
    let after: BTreeMap<Date, String> = new
        .rows
        .iter()
        .map(|(date, value)| (*date, value_text(value, &new.ty)))
        .collect();
    let dates: BTreeSet<&Date> = before.keys().chain(after.keys()).collect();
    let mut what = Vec::new();
    for date in dates {
        match (before.get(date), after.get(date)) {
            (Some(old), Some(new)) if old != new => {
                what.push(format!("from {date}: {old} -> {new}"))
            }
            (Some(old), None) => what.push(format!("removes the row from {date}: {old}")),
            (None, Some(new)) => what.push(format!("adds a row from {date}: {new}")),
            _ => {}
        }
    }
    what.extend(compare_provenance(&old.provenance, &new.provenance));
    what
}

fn group_expr_text(expr: &GroupExpr) -> String {
    match expr {
        GroupExpr::Countries(countries) => format!(
            "{{ {} }}",
            countries.iter().cloned().collect::<Vec<_>>().join(" ")
        ),
        GroupExpr::Group(name) => name.clone(),
        GroupExpr::Union(left, right) => {
            format!("{} + {}", group_expr_text(left), group_expr_text(right))
        }
        GroupExpr::Difference(left, right) => match right.as_ref() {
            GroupExpr::Union(..) | GroupExpr::Difference(..) => {
                format!("{} - ({})", group_expr_text(left), group_expr_text(right))
            }
            _ => format!("{} - {}", group_expr_text(left), group_expr_text(right)),
        },
    }
}

fn membership_change_text(change: &hir::MembershipChange) -> String {
    let verb = if change.joins { "joins" } else { "leaves" };
    format!("{} {verb} on {}", country(&change.country), change.on)
}

fn describe_group(group: &hir::Group) -> Vec<String> {
    let mut what = Vec::new();
    if let Some(title) = &group.title {
        what.push(format!("\"{title}\""));
    }
    what.push(format!("= {}", group_expr_text(&group.members)));
    what.extend(group.changes.iter().map(membership_change_text));
    what
}

/// The groups a group expression names.
fn referenced_groups(expr: &GroupExpr, names: &mut BTreeSet<String>) {
    match expr {
        GroupExpr::Countries(_) => {}
        GroupExpr::Group(name) => {
            names.insert(name.clone());
        }
        GroupExpr::Union(left, right) | GroupExpr::Difference(left, right) => {
            referenced_groups(left, names);
            referenced_groups(right, names);
        }
    }
}

/// How a group's members differ between the versions on each date where the difference
/// changes: `adds AE (United Arab Emirates)`, `from 2025-11-07: removes KH (Cambodia)`.
fn membership_differences(from: &Version, to: &Version, name: &str) -> Vec<String> {
    let mut dates: BTreeSet<Date> = from.membership_change_dates();
    dates.extend(to.membership_change_dates());
    let mut what = Vec::new();
    let mut previous = (BTreeSet::new(), BTreeSet::new());
    for date in std::iter::once(Date::MIN).chain(dates) {
        let (before, after) = (
            from.group_members_on(name, date),
            to.group_members_on(name, date),
        );
        let difference = (
            after
                .difference(&before)
                .cloned()
                .collect::<BTreeSet<String>>(),
            before
                .difference(&after)
                .cloned()
                .collect::<BTreeSet<String>>(),
        );
        if difference == previous {
            continue;
        }
        let prefix = if date == Date::MIN {
            String::new()
        } else {
            format!("from {date}: ")
        };
        let mut parts = Vec::new();
        if !difference.0.is_empty() {
            parts.push(format!("adds {}", countries(&difference.0)));
        }
        if !difference.1.is_empty() {
            parts.push(format!("removes {}", countries(&difference.1)));
        }
        if parts.is_empty() {
            parts.push("the same members in both versions".to_string());
        }
        what.push(format!("{prefix}{}", parts.join("; ")));
        previous = difference;
    }
    what
}

fn compare_groups(from: &Version, to: &Version, old: &hir::Group, new: &hir::Group) -> Vec<String> {
    let mut what = Vec::new();
    if old.title != new.title {
        what.push(format!(
            "title \"{}\" -> \"{}\"",
            old.title.as_deref().unwrap_or(""),
            new.title.as_deref().unwrap_or("")
        ));
    }
    let expression_changed = old.members != new.members;
    if expression_changed {
        what.push(format!(
            "= {} -> {}",
            group_expr_text(&old.members),
            group_expr_text(&new.members)
        ));
    }
    let (before, after): (Vec<String>, Vec<String>) = (
        old.changes.iter().map(membership_change_text).collect(),
        new.changes.iter().map(membership_change_text).collect(),
    );
    what.extend(
        after
            .iter()
            .filter(|change| !before.contains(change))
            .map(|change| format!("new dated change: {change}")),
    );
    what.extend(
        before
            .iter()
            .filter(|change| !after.contains(change))
            .map(|change| format!("dated change dropped: {change}")),
    );
    let own_declaration_same = what.is_empty();
    let members = membership_differences(from, to, &new.name);
    if own_declaration_same && !members.is_empty() {
        let mut referenced = BTreeSet::new();
        referenced_groups(&new.members, &mut referenced);
        let changed: Vec<String> = referenced
            .into_iter()
            .filter(|name| !membership_differences(from, to, name).is_empty())
            .map(|name| format!("`{name}`"))
            .collect();
        what.push(format!(
            "its members change because {} changed",
            changed.join(", ")
        ));
    }
    what.extend(members);
    what.extend(compare_provenance(&old.provenance, &new.provenance));
    what
}

fn field_text(field: &hir::Field) -> String {
    let mode = match &field.mode {
        FieldMode::Required => String::new(),
        FieldMode::Optional => " (optional)".to_string(),
        FieldMode::Default(value) => {
            format!(" (default {})", text(&hir::Expr::Literal(value.clone())))
        }
    };
    format!("{}{mode}", field.ty)
}

fn describe_fields(record: &hir::Record) -> Vec<String> {
    record
        .fields
        .iter()
        .map(|field| format!("field `{}`: {}", field.name, field_text(field)))
        .collect()
}

fn compare_fields(old: &hir::Record, new: &hir::Record) -> Vec<String> {
    let mut what = Vec::new();
    for field in &new.fields {
        match old.field(&field.name) {
            None => what.push(format!(
                "adds field `{}`: {}",
                field.name,
                field_text(field)
            )),
            Some(previous) => {
                let (before, after) = (field_text(previous), field_text(field));
                if before != after {
                    what.push(format!("field `{}`: {before} -> {after}", field.name));
                }
            }
        }
    }
    what.extend(
        old.fields
            .iter()
            .filter(|field| new.field(&field.name).is_none())
            .map(|field| format!("removes field `{}`", field.name)),
    );
    what
}
