//! The checked form of a version: names resolved, types and dimensions known, amendments applied.
//!
//! This is what the engine compiles and what `cordon diff` compares. It holds no source positions
//! (only the citations and docs counsel wrote), so two versions that say the same thing compare
//! equal here whatever their layout.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use jiff::civil::Date;
use rust_decimal::Decimal;

pub use crate::syntax::{BinaryOp, Confidence};

/// A dimension: each base unit with its exponent, `TPP/mm^2` is `{TPP: 1, mm: -2}`. Empty for plain
/// numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension(pub BTreeMap<String, i32>);

impl Dimension {
    pub fn none() -> Dimension {
        Dimension(BTreeMap::new())
    }

    pub fn is_none(&self) -> bool {
        self.0.is_empty()
    }

    pub fn combine(&self, other: &Dimension, sign: i32) -> Dimension {
        let mut result = self.0.clone();
        for (unit, power) in &other.0 {
            let entry = result.entry(unit.clone()).or_insert(0);
            *entry += sign * power;
            if *entry == 0 {
                result.remove(unit);
            }
        }
        Dimension(result)
    }
}

impl std::fmt::Display for Dimension {
    /// `TPP/mm^2`, `GB/s`, or `a plain number` when there is no unit.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("a plain number");
        }
        let write_factor = |f: &mut std::fmt::Formatter<'_>, unit: &str, power: i32| {
            if power == 1 {
                write!(f, "{unit}")
            } else {
                write!(f, "{unit}^{power}")
            }
        };
        let mut first = true;
        for (unit, power) in self.0.iter().filter(|(_, power)| **power > 0) {
            if !first {
                f.write_str("*")?;
            }
            write_factor(f, unit, *power)?;
            first = false;
        }
        if first {
            f.write_str("1")?;
        }
        for (unit, power) in self.0.iter().filter(|(_, power)| **power < 0) {
            f.write_str("/")?;
            write_factor(f, unit, -power)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Bool,
    /// A number: `integer` for `int` facts, with its dimension.
    Number {
        integer: bool,
        dimension: Dimension,
    },
    Date,
    Country,
    String,
    Eccn,
    Enum(String),
    Record(String),
    Set(Box<Type>),
    List(Box<Type>),
    /// A country group (only on the right of `in`).
    Group,
    /// An optional value (`T?`) that must be checked with `present` before it is read.
    Optional(Box<Type>),
    /// The type of something already reported as an error; it is compatible with everything so one
    /// mistake gives one diagnostic.
    Unknown,
}

impl Type {
    pub fn plain_number() -> Type {
        Type::Number {
            integer: false,
            dimension: Dimension::none(),
        }
    }

    /// The element type of a set or list.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::Set(element) | Type::List(element) => Some(element),
            _ => None,
        }
    }
}

impl std::fmt::Display for Type {
    /// Types as counsel reads them: "a number in TPP/mm^2", "a country", "a set of ECCNs".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Bool => f.write_str("a yes/no value"),
            Type::Number { integer, dimension } => {
                let noun = if *integer {
                    "a whole number"
                } else {
                    "a number"
                };
                if dimension.is_none() {
                    write!(f, "{noun} without a unit")
                } else {
                    write!(f, "{noun} in {dimension}")
                }
            }
            Type::Date => f.write_str("a date"),
            Type::Country => f.write_str("a country"),
            Type::String => f.write_str("a text"),
            Type::Eccn => f.write_str("an ECCN"),
            Type::Enum(name) => write!(f, "a `{name}` value"),
            Type::Record(name) => write!(f, "a `{name}` record"),
            Type::Set(element) => write!(f, "a set of {}", plural(element)),
            Type::List(element) => write!(f, "a list of {}", plural(element)),
            Type::Group => f.write_str("a country group"),
            Type::Optional(inner) => write!(f, "{inner} (optional)"),
            Type::Unknown => f.write_str("an unknown value"),
        }
    }
}

fn plural(element: &Type) -> String {
    let singular = element.to_string();
    let bare = singular
        .strip_prefix("a ")
        .or_else(|| singular.strip_prefix("an "))
        .unwrap_or(&singular);
    match bare {
        "ECCN" => "ECCNs".to_string(),
        "country" => "countries".to_string(),
        "yes/no value" => "yes/no values".to_string(),
        other => format!("{other}s"),
    }
}

/// A literal value, as written in the policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Literal {
    Bool(bool),
    Number(Decimal),
    Date(Date),
    Country(String),
    String(String),
    Eccn(String),
    /// An enum value: the enum's name and the value.
    Enum(String, String),
    Set(Vec<Literal>),
    List(Vec<Literal>),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Max,
    Min,
    Lowercase,
    Present,
}

/// A checked expression: every name resolved to what it denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Literal(Literal),
    /// A fact, by its path from the transaction root (`["item", "tpp"]`).
    Fact(Vec<String>),
    /// The transaction's date.
    TransactionDate,
    /// An outcome another rule concludes.
    Outcome(String),
    Const(String),
    Table(String),
    Define(String),
    Group(String),
    /// A quantifier's variable.
    Variable(String),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Call(Builtin, Vec<Expr>),
    List(Vec<Expr>),
    Set(Vec<Expr>),
    Quantifier {
        all: bool,
        variable: String,
        over: Box<Expr>,
        body: Box<Expr>,
    },
}

impl Expr {
    /// Calls `visit` on this expression and every expression inside it.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        match self {
            Expr::Binary(_, left, right) => {
                left.walk(visit);
                right.walk(visit);
            }
            Expr::Not(inner) | Expr::Negate(inner) => inner.walk(visit),
            Expr::Call(_, arguments) | Expr::List(arguments) | Expr::Set(arguments) => {
                for argument in arguments {
                    argument.walk(visit);
                }
            }
            Expr::Quantifier { over, body, .. } => {
                over.walk(visit);
                body.walk(visit);
            }
            _ => {}
        }
    }
}

/// Where a provision comes from: its citations, docs and window in time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub citations: Vec<Citation>,
    pub docs: Vec<String>,
    pub effective: Option<Date>,
    pub through: Option<Date>,
    /// The module (file stem) and the version directory the provision was written in.
    pub module: String,
    pub written_in: String,
}

impl Provenance {
    /// The least certain of the provision's citations.
    pub fn confidence(&self) -> Confidence {
        self.citations
            .iter()
            .map(|citation| citation.confidence)
            .max()
            .unwrap_or(Confidence::Confirmed)
    }

    /// Whether `date` is inside the provision's window (both ends inclusive).
    pub fn in_force_on(&self, date: Date) -> bool {
        self.effective.is_none_or(|from| date >= from) && self.through.is_none_or(|to| date <= to)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub text: String,
    pub confidence: Confidence,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldMode {
    /// May be absent; reading it when absent is an evaluation error.
    Required,
    /// May be absent; read only after `present(...)`.
    Optional,
    /// Absent means this value.
    Default(Literal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub mode: FieldMode,
    pub docs: Vec<String>,
    /// For a number fact: the least value it may have, and whether that value itself is allowed
    /// (`>=`) or not (`>`).
    pub minimum: Option<(Decimal, bool)>,
    /// For an outcome of an ordered enum: `Some` (with the citations of the reading) when it takes
    /// the most restrictive of the values its applying rules conclude.
    pub most_restrictive: Option<Vec<Citation>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub fields: Vec<Field>,
}

impl Record {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    pub name: String,
    /// In the order written; for an ordered enum, from the least to the most restrictive.
    pub variants: Vec<String>,
    /// Written with `<` between its values.
    pub ordered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Const {
    pub name: String,
    pub ty: Type,
    pub value: Expr,
    pub provenance: Provenance,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub ty: Type,
    /// Rows in date order: the value from each date until the next row.
    pub rows: Vec<(Date, Expr)>,
    pub provenance: Provenance,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub ty: Type,
    pub value: Expr,
    pub provenance: Provenance,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupExpr {
    Countries(BTreeSet<String>),
    Group(String),
    Union(Box<GroupExpr>, Box<GroupExpr>),
    Difference(Box<GroupExpr>, Box<GroupExpr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipChange {
    pub country: String,
    pub joins: bool,
    pub on: Date,
    pub citations: Vec<Citation>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub title: Option<String>,
    pub members: GroupExpr,
    pub changes: Vec<MembershipChange>,
    pub provenance: Provenance,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub code: String,
    pub target: String,
    pub provenance: Provenance,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conclusion {
    pub field: String,
    pub add: bool,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub unless: Vec<String>,
    pub notwithstanding: Vec<String>,
    pub when: Option<Expr>,
    pub then: Vec<Conclusion>,
    pub provenance: Provenance,
    /// When the rule can apply: its own window, narrowed by the windows of the dated constants and
    /// tables it reads (directly or through definitions). Both ends inclusive.
    pub window: (Option<Date>, Option<Date>),
}

/// Facts written in the language (examples and tests), with defaults not yet applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactValue {
    Record(IndexMap<String, FactValue>),
    List(Vec<FactValue>),
    Literal(Literal),
    /// An enum value or other bare word, typed against the schema when the facts are read.
    Word(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub name: String,
    pub facts: FactValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    pub name: String,
    /// The complete facts of the test, example and overrides merged.
    pub facts: FactValue,
    /// Expected outcomes by field; only these are compared.
    pub expect: IndexMap<String, FactValue>,
    /// Where the test is written, for reports: path and 1-based line.
    pub location: (String, usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InForce {
    Never,
    Range { from: Date, through: Option<Date> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub id: String,
    pub policy: String,
    pub title: Option<String>,
    pub source: Option<String>,
    pub amends: Option<String>,
    pub in_force: InForce,
}

/// Everything a version says, checked and with amendments applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub manifest: Manifest,
    /// The root of the transaction.
    pub facts: Record,
    pub outcome: Record,
    pub records: IndexMap<String, Record>,
    pub enums: IndexMap<String, Enum>,
    pub units: BTreeSet<String>,
    pub consts: IndexMap<String, Const>,
    pub tables: IndexMap<String, Table>,
    pub defines: IndexMap<String, Define>,
    pub groups: IndexMap<String, Group>,
    pub aliases: IndexMap<String, Alias>,
    /// Rules in an order where every rule comes after the rules whose outcomes it reads.
    pub rules: Vec<Rule>,
    pub examples: IndexMap<String, Example>,
    pub tests: Vec<Test>,
    /// The files the version is made of (its own and its base's), with their text, in a fixed
    /// order: the content the version's hash is computed from.
    pub sources: Vec<(String, String)>,
}

impl Version {
    /// For an outcome that takes the most restrictive value: its ordered enum, whose values run
    /// from the least to the most restrictive.
    pub fn restrictiveness(&self, field: &Field) -> Option<&Enum> {
        field.most_restrictive.as_ref()?;
        match &field.ty {
            Type::Enum(name) => self
                .enums
                .get(name)
                .filter(|enumeration| enumeration.ordered),
            _ => None,
        }
    }

    /// The members of a group on a date, with aliases not applied (`HK` is listed only if written).
    pub fn group_members_on(&self, name: &str, date: Date) -> BTreeSet<String> {
        self.members_of(name, date, &mut Vec::new())
    }

    /// A group's members, `visiting` the groups being expanded: a group built from itself (an
    /// error the checker reports, E0303) adds nothing the second time round instead of recursing
    /// forever.
    fn members_of<'s>(
        &'s self,
        name: &'s str,
        date: Date,
        visiting: &mut Vec<&'s str>,
    ) -> BTreeSet<String> {
        let Some(group) = self.groups.get(name) else {
            return BTreeSet::new();
        };
        if visiting.contains(&name) {
            return BTreeSet::new();
        }
        visiting.push(name);
        let mut members = self.group_expr_members_on(&group.members, date, visiting);
        visiting.pop();
        let mut changes: Vec<&MembershipChange> = group.changes.iter().collect();
        changes.sort_by_key(|change| change.on);
        for change in changes.into_iter().filter(|change| change.on <= date) {
            if change.joins {
                members.insert(change.country.clone());
            } else {
                members.remove(&change.country);
            }
        }
        members
    }

    fn group_expr_members_on<'s>(
        &'s self,
        expr: &'s GroupExpr,
        date: Date,
        visiting: &mut Vec<&'s str>,
    ) -> BTreeSet<String> {
        match expr {
            GroupExpr::Countries(countries) => countries.clone(),
            GroupExpr::Group(name) => self.members_of(name, date, visiting),
            GroupExpr::Union(left, right) => {
                let mut members = self.group_expr_members_on(left, date, visiting);
                members.extend(self.group_expr_members_on(right, date, visiting));
                members
            }
            GroupExpr::Difference(left, right) => {
                let right = self.group_expr_members_on(right, date, visiting);
                self.group_expr_members_on(left, date, visiting)
                    .into_iter()
                    .filter(|country| !right.contains(country))
                    .collect()
            }
        }
    }

    /// Every date on which some group's membership changes, sorted.
    pub fn membership_change_dates(&self) -> BTreeSet<Date> {
        self.groups
            .values()
            .flat_map(|group| group.changes.iter().map(|change| change.on))
            .collect()
    }

    /// The record type of a fact path's parent, and the field at the end of the path.
    pub fn fact_field(&self, path: &[String]) -> Option<&Field> {
        let (last, parents) = path.split_last()?;
        let mut record = &self.facts;
        for parent in parents {
            let Type::Record(name) = &record.field(parent)?.ty else {
                return None;
            };
            record = self.records.get(name)?;
        }
        record.field(last)
    }

    /// For each rule (by position in `rules`), the rules it prevails over, directly or not: a
    /// rule prevails over the rules that name it in `unless` and over those it names in
    /// `notwithstanding`.
    pub fn prevails_over(&self) -> Vec<BTreeSet<usize>> {
        let index: std::collections::HashMap<&str, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(position, rule)| (rule.name.as_str(), position))
            .collect();
        let mut direct: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (this, rule) in self.rules.iter().enumerate() {
            for defeater in rule
                .unless
                .iter()
                .filter_map(|name| index.get(name.as_str()))
            {
                direct.entry(*defeater).or_default().insert(this);
            }
            for defeated in rule
                .notwithstanding
                .iter()
                .filter_map(|name| index.get(name.as_str()))
            {
                direct.entry(this).or_default().insert(*defeated);
            }
        }
        (0..self.rules.len())
            .map(|this| {
                let mut closure = BTreeSet::new();
                let mut stack: Vec<usize> =
                    direct.get(&this).into_iter().flatten().copied().collect();
                while let Some(next) = stack.pop() {
                    if closure.insert(next) {
                        stack.extend(direct.get(&next).into_iter().flatten().copied());
                    }
                }
                closure
            })
            .collect()
    }

    /// The provenance of a named provision, whatever its kind.
    pub fn provenance(&self, name: &str) -> Option<&Provenance> {
        self.rules
            .iter()
            .find(|rule| rule.name == name)
            .map(|rule| &rule.provenance)
            .or_else(|| self.consts.get(name).map(|c| &c.provenance))
            .or_else(|| self.tables.get(name).map(|t| &t.provenance))
            .or_else(|| self.defines.get(name).map(|d| &d.provenance))
            .or_else(|| self.groups.get(name).map(|g| &g.provenance))
            .or_else(|| self.aliases.get(name).map(|a| &a.provenance))
    }
}
