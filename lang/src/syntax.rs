//! The syntax tree of one declaration, as written.
//!
//! Spans are byte offsets relative to the start of the declaration they belong to, so that editing
//! one declaration leaves the trees of the others equal (and salsa does not re-check them). The
//! tree keeps what was written, including names that do not resolve: this module never looks
//! anything up.

use jiff::civil::Date;
use rust_decimal::Decimal;

/// A byte range, relative to the start of the enclosing declaration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The same range moved by `offset` bytes (to make it absolute in its file).
    pub fn shifted(self, offset: u32) -> Span {
        Span {
            start: self.start.saturating_add(offset),
            end: self.end.saturating_add(offset),
        }
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
}

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// One top-level declaration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Declaration {
    /// The text of the `///` lines before the declaration, without the slashes.
    pub docs: Vec<String>,
    pub kind: DeclarationKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeclarationKind {
    Version(VersionManifest),
    Import(Vec<Name>),
    Unit(UnitDeclaration),
    Record(RecordDeclaration),
    Enum(EnumDeclaration),
    Facts(Vec<FieldDeclaration>),
    Outcome(Vec<FieldDeclaration>),
    Provision(Provision),
    /// `replace <provision>`: in an amending version, the provision of the same name is replaced.
    Replace(Provision),
    Remove(RemoveDeclaration),
    Example(ExampleDeclaration),
    Test(TestDeclaration),
}

impl Declaration {
    /// The name this declaration defines, if it defines one.
    pub fn name(&self) -> Option<&Name> {
        match &self.kind {
            DeclarationKind::Version(_) | DeclarationKind::Import(_) => None,
            DeclarationKind::Facts(_) | DeclarationKind::Outcome(_) => None,
            DeclarationKind::Unit(unit) => Some(&unit.name),
            DeclarationKind::Record(record) => Some(&record.name),
            DeclarationKind::Enum(enumeration) => Some(&enumeration.name),
            DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) => {
                Some(&provision.name)
            }
            DeclarationKind::Remove(remove) => Some(&remove.name),
            DeclarationKind::Example(example) => Some(&example.name),
            DeclarationKind::Test(test) => Some(&test.name),
        }
    }

    /// The keyword that introduces the declaration, as counsel wrote it.
    pub fn keyword(&self) -> &'static str {
        match &self.kind {
            DeclarationKind::Version(_) => "version",
            DeclarationKind::Import(_) => "import",
            DeclarationKind::Unit(_) => "unit",
            DeclarationKind::Record(_) => "record",
            DeclarationKind::Enum(_) => "enum",
            DeclarationKind::Facts(_) => "facts",
            DeclarationKind::Outcome(_) => "outcome",
            DeclarationKind::Provision(provision) => provision.kind.keyword(),
            DeclarationKind::Replace(_) => "replace",
            DeclarationKind::Remove(_) => "remove",
            DeclarationKind::Example(_) => "example",
            DeclarationKind::Test(_) => "test",
        }
    }
}

/// `version "2025-01-13" policy "ear" amends "2023-11-17" in_force never ...`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionManifest {
    pub id: Name,
    pub policy: Option<Name>,
    pub title: Option<String>,
    pub source: Option<String>,
    pub amends: Option<Name>,
    pub in_force: Option<InForce>,
    pub citations: Vec<Citation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InForce {
    Never(Span),
    Range { from: Dated, through: Option<Dated> },
}

/// A date as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dated {
    pub date: Date,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Confidence {
    Confirmed,
    Secondary,
    Unconfirmed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Secondary => "secondary",
            Confidence::Unconfirmed => "unconfirmed",
        }
    }
}

/// `cite "15 CFR 740.29(a)" secondary`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Citation {
    pub text: String,
    pub confidence: Confidence,
    pub span: Span,
}

/// `unit TPP "total processing performance" cite "..."`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitDeclaration {
    pub name: Name,
    pub description: Option<String>,
    pub citations: Vec<Citation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordDeclaration {
    pub name: Name,
    pub fields: Vec<FieldDeclaration>,
}

/// `tpp: decimal TPP`, `model: string?`, `foreign_produced: bool = false`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldDeclaration {
    pub docs: Vec<String>,
    pub name: Name,
    pub ty: TypeExpr,
    /// `>= 1`, `> 0 TPP`: the least value a number fact may have.
    pub minimum: Option<Minimum>,
    /// `most restrictive`, with its citations: the outcome takes the most restrictive value its
    /// applying rules conclude.
    pub most_restrictive: Option<MostRestrictive>,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `>= 0 TPP`: a lower bound on a number fact, inclusive unless `strict` (`>`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Minimum {
    pub strict: bool,
    pub value: Expr,
    pub span: Span,
}

/// `most restrictive cite "..." unconfirmed`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MostRestrictive {
    pub citations: Vec<Citation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeExprKind {
    /// `decimal TPP/mm^2`, `country`, `Activity`
    Named {
        name: Name,
        unit: Option<UnitExpr>,
    },
    Set(Box<TypeExpr>),
    List(Box<TypeExpr>),
}

/// A unit as written: `TPP/mm^2` is `[(TPP, 1), (mm, -2)]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitExpr {
    pub factors: Vec<(String, i32)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumDeclaration {
    pub name: Name,
    pub variants: Vec<Variant>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    pub docs: Vec<String>,
    pub name: Name,
    /// Followed by `<`: the next value is more restrictive than this one.
    pub less_than: bool,
}

/// A named provision of the regulation: it carries citations and may have effective dates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Provision {
    pub name: Name,
    pub kind: ProvisionKind,
    pub citations: Vec<Citation>,
    pub effective: Option<Dated>,
    pub through: Option<Dated>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProvisionKind {
    Const {
        ty: Option<TypeExpr>,
        value: Expr,
    },
    Group {
        title: Option<String>,
        members: GroupExpr,
        changes: Vec<MembershipChange>,
    },
    /// `alias HK = CN`: the provision's name is the aliased code.
    Alias {
        target: Name,
    },
    Table {
        ty: Option<TypeExpr>,
        rows: Vec<TableRow>,
    },
    Define {
        ty: Option<TypeExpr>,
        value: Expr,
    },
    Rule(Rule),
}

impl ProvisionKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            ProvisionKind::Const { .. } => "const",
            ProvisionKind::Group { .. } => "group",
            ProvisionKind::Alias { .. } => "alias",
            ProvisionKind::Table { .. } => "table",
            ProvisionKind::Define { .. } => "define",
            ProvisionKind::Rule(_) => "rule",
        }
    }
}

/// `D1 + D4 + D5 - A5 - A6`, `{ AF BY MM }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupExpr {
    pub first: GroupTerm,
    pub rest: Vec<(GroupOp, GroupTerm)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupOp {
    Union,
    Difference,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupTerm {
    Countries(Vec<Name>, Span),
    Group(Name),
}

/// `leaves KH on 2025-11-07 cite "..."`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MembershipChange {
    pub joins: bool,
    pub country: Name,
    pub on: Dated,
    pub citations: Vec<Citation>,
    pub span: Span,
}

/// `from 2025-04-01: 949_500_000 TPP`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableRow {
    pub from: Dated,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// This rule does not apply when any of these rules applies ("unless", "except as provided in").
    pub unless: Vec<Name>,
    /// This rule prevails over these rules where they conclude differently ("notwithstanding").
    pub notwithstanding: Vec<Name>,
    pub when: Option<Expr>,
    pub then: Vec<Conclusion>,
    /// Where the `then` keyword is, or the rule's name when it has none.
    pub then_span: Span,
}

/// `license_required = true`, `license_exceptions += NAC`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conclusion {
    pub field: Name,
    pub add: bool,
    pub value: Expr,
}

/// `remove lpp_exception cite "..."`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RemoveDeclaration {
    pub name: Name,
    pub citations: Vec<Citation>,
}

/// `example h100_india = { ... }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExampleDeclaration {
    pub name: Name,
    pub value: FactValue,
}

/// `test lpp_boundary given h100_india with { quantity: 1700 } expect { ... }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestDeclaration {
    pub name: Name,
    pub given: Given,
    pub overrides: Vec<FactEntry>,
    pub expect: Vec<FactEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Given {
    Example(Name),
    Facts(Vec<FactEntry>, Span),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FactEntry {
    /// `item.tpp` is `["item", "tpp"]`.
    pub key: Vec<String>,
    pub key_span: Span,
    pub value: FactValue,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FactValue {
    pub kind: FactValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FactValueKind {
    Record(Vec<FactEntry>),
    List(Vec<FactValue>),
    Date(Date),
    Eccn(String),
    Number(Decimal),
    String(String),
    Bool(bool),
    Null,
    Country(String),
    /// An enum value.
    Word(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Number {
        value: Decimal,
        unit: Option<UnitExpr>,
    },
    Bool(bool),
    String(String),
    Date(Date),
    Country(String),
    Eccn(String),
    Name(String),
    Field(Box<Expr>, Name),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `a and b and c`, `a or b or c`: a chain of one of the two, as a list of two or more
    /// operands (a chain of thousands of conditions stays one level deep).
    Chain(BinaryOp, Vec<Expr>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Call(Name, Vec<Expr>),
    List(Vec<Expr>),
    Set(Vec<Expr>),
    Quantifier {
        all: bool,
        variable: Name,
        over: Box<Expr>,
        body: Box<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    NotIn,
    Within,
    Add,
    Subtract,
    Multiply,
    Divide,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Within => "within",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
        }
    }

    /// The comparison with its sides swapped: `a < b` is `b > a`. Other operators are returned as
    /// they are.
    pub fn swapped(self) -> BinaryOp {
        match self {
            BinaryOp::Less => BinaryOp::Greater,
            BinaryOp::LessOrEqual => BinaryOp::GreaterOrEqual,
            BinaryOp::Greater => BinaryOp::Less,
            BinaryOp::GreaterOrEqual => BinaryOp::LessOrEqual,
            other => other,
        }
    }

    /// Whether two values in this order satisfy this comparison; `None` for an operator that is
    /// not a comparison.
    #[inline]
    pub fn holds(self, ordering: std::cmp::Ordering) -> Option<bool> {
        use std::cmp::Ordering;
        Some(match self {
            BinaryOp::Equal => ordering == Ordering::Equal,
            BinaryOp::NotEqual => ordering != Ordering::Equal,
            BinaryOp::Less => ordering == Ordering::Less,
            BinaryOp::LessOrEqual => ordering != Ordering::Greater,
            BinaryOp::Greater => ordering == Ordering::Greater,
            BinaryOp::GreaterOrEqual => ordering != Ordering::Less,
            _ => return None,
        })
    }

    /// Binding strength, loosest first; used by the formatter to place parentheses.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual
            | BinaryOp::In
            | BinaryOp::NotIn
            | BinaryOp::Within => 4,
            BinaryOp::Add | BinaryOp::Subtract => 5,
            BinaryOp::Multiply | BinaryOp::Divide => 6,
        }
    }
}
