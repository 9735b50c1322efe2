//! Step three: names, types, dimensions, citations, priorities and dates.
//!
//! [`check_declaration`] checks one declaration against the type-level view of its version
//! ([`VersionTypes`]) and lowers it to the checked form in [`hir`]; [`check_version`] assembles a
//! version and runs the checks that look across rules (conflicts, circles, unreachable rules).
//! Checking never fails: an unknown name gets a diagnostic and the type `Unknown`, which agrees with
//! everything, so one mistake is reported once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use indexmap::IndexMap;
use jiff::civil::Date;

use crate::db::{self, CheckKey, Db, DeclarationKey, EntryKind, VersionKey};
use crate::diagnostics::{Code, Diagnostic, LocatedDiagnostic, did_you_mean};
use crate::hir::{self, Builtin, Dimension, FieldMode, Literal, Type};
use crate::syntax::{self, BinaryOp, DeclarationKind, ExprKind, Name, ProvisionKind, Span};

/// Whether a two-letter code is an ISO 3166-1 alpha-2 country code.
pub fn is_country_code(code: &str) -> bool {
    rust_iso3166::from_alpha2(code).is_some()
}

/// The English short name of a country code.
pub fn country_name(code: &str) -> Option<&'static str> {
    rust_iso3166::from_alpha2(code).map(|country| country.name)
}

// ---------------------------------------------------------------------------------------------
// The type-level view of a version

/// What the checker knows of a name without looking at rule bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameInfo {
    pub kind: EntryKind,
    pub ty: Type,
    pub module: String,
    /// For constants and tables: their window in time.
    pub window: (Option<Date>, Option<Date>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionTypes {
    pub facts: Option<(hir::Record, String)>,
    pub outcome: Option<(hir::Record, String)>,
    pub records: IndexMap<String, hir::Record>,
    pub enums: IndexMap<String, hir::Enum>,
    pub units: BTreeSet<String>,
    pub names: BTreeMap<String, NameInfo>,
    pub imports: BTreeMap<String, BTreeSet<String>>,
}

impl VersionTypes {
    fn visible(&self, from_module: &str, declared_in: &str) -> bool {
        from_module == declared_in
            || self
                .imports
                .get(from_module)
                .is_some_and(|imported| imported.contains(declared_in))
    }
}

pub fn version_types(db: &dyn Db, version: VersionKey<'_>) -> VersionTypes {
    let index = db::version_index(db, version);
    let mut types = VersionTypes {
        imports: index.imports.clone(),
        ..VersionTypes::default()
    };
    // Units, enums and record names first: field types refer to them.
    for (name, entry) in &index.names {
        let Some(declaration) = db::declaration_interface(db, entry.declaration) else {
            types
                .names
                .insert(name.clone(), info(entry.kind, Type::Unknown, &entry.module));
            continue;
        };
        match &declaration.kind {
            DeclarationKind::Unit(unit) => {
                types.units.insert(unit.name.text.clone());
            }
            DeclarationKind::Enum(enumeration) => {
                types.enums.insert(
                    name.clone(),
                    hir::Enum {
                        name: name.clone(),
                        variants: enumeration
                            .variants
                            .iter()
                            .map(|v| v.name.text.clone())
                            .collect(),
                        ordered: enumeration.variants.iter().any(|v| v.less_than),
                    },
                );
            }
            _ => {}
        }
        types
            .names
            .insert(name.clone(), info(entry.kind, Type::Unknown, &entry.module));
    }
    let mut scratch = Vec::new();
    for (name, entry) in &index.names {
        if let Some(DeclarationKind::Record(record)) =
            db::declaration_interface(db, entry.declaration)
                .as_ref()
                .map(|d| &d.kind)
        {
            let record = lower_record(&types, name, &record.fields, &mut scratch);
            types.records.insert(name.clone(), record);
        }
    }
    for entry in &index.unnamed {
        match db::declaration_interface(db, entry.declaration)
            .as_ref()
            .map(|d| &d.kind)
        {
            Some(DeclarationKind::Facts(fields)) => {
                types.facts = Some((
                    lower_record(&types, "facts", fields, &mut scratch),
                    entry.module.clone(),
                ));
            }
            Some(DeclarationKind::Outcome(fields)) => {
                types.outcome = Some((
                    lower_record(&types, "outcome", fields, &mut scratch),
                    entry.module.clone(),
                ));
            }
            _ => {}
        }
    }
    // Constants, tables and definitions: their types come from their values, which may refer to
    // each other; resolve them in dependency order, with a guard against circles.
    let mut resolving = BTreeSet::new();
    let names: Vec<String> = index.names.keys().cloned().collect();
    for name in names {
        value_type(db, version, &mut types, &name, &mut resolving);
    }
    types
}

fn info(kind: EntryKind, ty: Type, module: &str) -> NameInfo {
    NameInfo {
        kind,
        ty,
        module: module.to_string(),
        window: (None, None),
    }
}

/// Computes and stores the type of a constant, table, definition or group.
fn value_type(
    db: &dyn Db,
    version: VersionKey<'_>,
    types: &mut VersionTypes,
    name: &str,
    resolving: &mut BTreeSet<String>,
) {
    let index = db::version_index(db, version);
    let Some(entry) = index.names.get(name) else {
        return;
    };
    let Some(existing) = types.names.get(name) else {
        return;
    };
    if existing.ty != Type::Unknown || !resolving.insert(name.to_string()) {
        return;
    }
    let Some(declaration) = db::declaration_interface(db, entry.declaration) else {
        return;
    };
    let provision = match &declaration.kind {
        DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) => provision,
        _ => return,
    };
    // Types of the names this value reads, first.
    let mut referenced = Vec::new();
    match &provision.kind {
        ProvisionKind::Const { value, .. } | ProvisionKind::Define { value, .. } => {
            collect_names(value, &mut referenced)
        }
        ProvisionKind::Table { rows, .. } => {
            for row in rows {
                collect_names(&row.value, &mut referenced);
            }
        }
        _ => {}
    }
    for referenced in referenced {
        value_type(db, version, types, &referenced, resolving);
    }
    let window = (
        provision.effective.map(|dated| dated.date),
        provision.through.map(|dated| dated.date),
    );
    let mut checker = Checker::new(types, &entry.module);
    let ty = match &provision.kind {
        ProvisionKind::Const { ty, value } | ProvisionKind::Define { ty, value } => match ty {
            Some(ty) => checker.lower_type(ty),
            None => checker.expr(value, None).1,
        },
        ProvisionKind::Table { ty, rows } => match (ty, rows.first()) {
            (Some(ty), _) => checker.lower_type(ty),
            (None, Some(row)) => checker.expr(&row.value, None).1,
            (None, None) => Type::Unknown,
        },
        ProvisionKind::Group { .. } => Type::Group,
        ProvisionKind::Alias { .. } => Type::Country,
        ProvisionKind::Rule(_) => Type::Bool,
    };
    let ty = if ty == Type::Unknown && matches!(provision.kind, ProvisionKind::Define { .. }) {
        // Keep a define whose value is in error usable without further errors.
        Type::Unknown
    } else {
        ty
    };
    if let Some(slot) = types.names.get_mut(name) {
        slot.ty = ty;
        if matches!(
            provision.kind,
            ProvisionKind::Const { .. } | ProvisionKind::Table { .. }
        ) {
            slot.window = window;
        }
        if let ProvisionKind::Table { rows, .. } = &provision.kind
            && slot.window.0.is_none()
        {
            slot.window.0 = rows.first().map(|row| row.from.date);
        }
    }
}

fn collect_names(expr: &syntax::Expr, names: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Name(name) => names.push(name.clone()),
        ExprKind::Field(base, _) | ExprKind::Not(base) | ExprKind::Negate(base) => {
            collect_names(base, names)
        }
        ExprKind::Binary(_, left, right) => {
            collect_names(left, names);
            collect_names(right, names);
        }
        ExprKind::Chain(_, operands) => {
            for operand in operands {
                collect_names(operand, names);
            }
        }
        ExprKind::Call(_, arguments) | ExprKind::List(arguments) | ExprKind::Set(arguments) => {
            for argument in arguments {
                collect_names(argument, names);
            }
        }
        ExprKind::Quantifier { over, body, .. } => {
            collect_names(over, names);
            collect_names(body, names);
        }
        _ => {}
    }
}

/// Operands joined by `op` as a balanced tree: as deep as the logarithm of their number.
fn balanced(op: BinaryOp, mut operands: Vec<hir::Expr>) -> hir::Expr {
    if operands.len() <= 1 {
        return operands
            .pop()
            .unwrap_or(hir::Expr::Literal(Literal::Bool(op == BinaryOp::And)));
    }
    let right = operands.split_off(operands.len() / 2);
    hir::Expr::Binary(
        op,
        Box::new(balanced(op, operands)),
        Box::new(balanced(op, right)),
    )
}

fn lower_citations(citations: &[syntax::Citation]) -> Vec<hir::Citation> {
    citations
        .iter()
        .map(|citation| hir::Citation {
            text: citation.text.clone(),
            confidence: citation.confidence,
        })
        .collect()
}

fn lower_record(
    types: &VersionTypes,
    name: &str,
    fields: &[syntax::FieldDeclaration],
    diagnostics: &mut Vec<Diagnostic>,
) -> hir::Record {
    let mut checker = Checker::new(types, "");
    let fields = fields
        .iter()
        .map(|field| {
            let ty = checker.lower_type(&field.ty);
            let minimum = field
                .minimum
                .as_ref()
                .and_then(|minimum| checker.minimum(&field.name.text, &ty, minimum));
            let mode = match &field.default {
                Some(default) => {
                    let (value, _) = checker.expr(default, Some(&ty));
                    FieldMode::Default(literal_of(&value).unwrap_or(Literal::Null))
                }
                None if field.ty.optional => FieldMode::Optional,
                None => FieldMode::Required,
            };
            hir::Field {
                name: field.name.text.clone(),
                ty: match ty {
                    Type::Optional(inner) => *inner,
                    other => other,
                },
                mode,
                docs: field.docs.clone(),
                minimum,
                most_restrictive: field
                    .most_restrictive
                    .as_ref()
                    .map(|clause| lower_citations(&clause.citations)),
            }
        })
        .collect();
    diagnostics.append(&mut checker.diagnostics);
    hir::Record {
        name: name.to_string(),
        fields,
    }
}

/// The literal value of a checked expression made only of literals.
pub fn literal_of(expr: &hir::Expr) -> Option<Literal> {
    match expr {
        hir::Expr::Literal(literal) => Some(literal.clone()),
        hir::Expr::Negate(inner) => match literal_of(inner)? {
            Literal::Number(value) => Some(Literal::Number(-value)),
            _ => None,
        },
        hir::Expr::Set(elements) => {
            let mut literals = elements
                .iter()
                .map(literal_of)
                .collect::<Option<Vec<_>>>()?;
            literals.sort();
            literals.dedup();
            Some(Literal::Set(literals))
        }
        hir::Expr::List(elements) => Some(Literal::List(
            elements.iter().map(literal_of).collect::<Option<_>>()?,
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// Checks expressions of one declaration.
pub struct Checker<'a> {
    types: &'a VersionTypes,
    module: &'a str,
    pub diagnostics: Vec<Diagnostic>,
    locals: Vec<(String, Type)>,
    /// Optional facts known to be present here (after `present(...) and`).
    present: Vec<Vec<String>>,
    /// Names of provisions this declaration reads.
    pub reads: BTreeSet<String>,
}

impl<'a> Checker<'a> {
    pub fn new(types: &'a VersionTypes, module: &'a str) -> Checker<'a> {
        Checker {
            types,
            module,
            diagnostics: Vec::new(),
            locals: Vec::new(),
            present: Vec::new(),
            reads: BTreeSet::new(),
        }
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn lower_type(&mut self, ty: &syntax::TypeExpr) -> Type {
        let base = match &ty.kind {
            syntax::TypeExprKind::Set(element) => Type::Set(Box::new(self.lower_type(element))),
            syntax::TypeExprKind::List(element) => Type::List(Box::new(self.lower_type(element))),
            syntax::TypeExprKind::Named { name, unit } => {
                let dimension = unit.as_ref().map(|unit| self.dimension(unit));
                let plain = match name.text.as_str() {
                    "bool" => Some(Type::Bool),
                    "int" => Some(Type::Number {
                        integer: true,
                        dimension: Dimension::none(),
                    }),
                    "decimal" => Some(Type::plain_number()),
                    "date" => Some(Type::Date),
                    "country" => Some(Type::Country),
                    "string" => Some(Type::String),
                    "eccn" => Some(Type::Eccn),
                    _ => None,
                };
                match (plain, dimension) {
                    (Some(Type::Number { .. }), Some(_))
                        if unit.as_ref().is_some_and(|unit| !self.units_known(unit)) =>
                    {
                        Type::Unknown
                    }
                    (Some(Type::Number { integer, .. }), Some(dimension)) => {
                        Type::Number { integer, dimension }
                    }
                    (Some(_), Some(_)) => {
                        self.error(
                            Diagnostic::new(
                                Code::E0201,
                                name.span,
                                format!("`{}` cannot carry a unit", name.text),
                            )
                            .with_label("only `int` and `decimal` have units"),
                        );
                        Type::Unknown
                    }
                    (Some(plain), None) => plain,
                    (None, _) => {
                        if self.types.enums.contains_key(&name.text) {
                            Type::Enum(name.text.clone())
                        } else if self.types.records.contains_key(&name.text)
                            || self
                                .types
                                .names
                                .get(&name.text)
                                .is_some_and(|info| info.kind == EntryKind::Record)
                        {
                            Type::Record(name.text.clone())
                        } else {
                            let candidates: Vec<&str> = [
                                "bool", "int", "decimal", "date", "country", "string", "eccn",
                            ]
                            .into_iter()
                            .chain(self.types.enums.keys().map(String::as_str))
                            .chain(self.types.records.keys().map(String::as_str))
                            .collect();
                            let mut diagnostic = Diagnostic::new(
                                Code::E0101,
                                name.span,
                                format!("unknown type `{}`", name.text),
                            )
                            .with_label("not a type");
                            diagnostic =
                                diagnostic.with_suggestion(did_you_mean(&name.text, candidates));
                            self.error(diagnostic);
                            Type::Unknown
                        }
                    }
                }
            }
        };
        if ty.optional {
            Type::Optional(Box::new(base))
        } else {
            base
        }
    }

    fn units_known(&self, unit: &syntax::UnitExpr) -> bool {
        unit.factors
            .iter()
            .all(|(name, _)| self.types.units.contains(name))
    }

    fn dimension(&mut self, unit: &syntax::UnitExpr) -> Dimension {
        let mut dimension = Dimension::none();
        for (name, power) in &unit.factors {
            if !self.types.units.contains(name) {
                let mut diagnostic =
                    Diagnostic::new(Code::E0205, unit.span, format!("unknown unit `{name}`"))
                        .with_label("not declared with `unit`");
                diagnostic = match did_you_mean(name, self.types.units.iter().map(String::as_str)) {
                    Some(suggestion) => {
                        diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                    }
                    None => diagnostic.with_help(format!("declare it: `unit {name} \"...\"`")),
                };
                self.error(diagnostic);
            }
            dimension = dimension.combine(&Dimension(BTreeMap::from([(name.clone(), *power)])), 1);
        }
        dimension
    }

    fn facts(&self) -> Option<&'a hir::Record> {
        let (record, module) = self.types.facts.as_ref()?;
        self.types.visible(self.module, module).then_some(record)
    }

    fn outcome(&self) -> Option<&'a hir::Record> {
        let (record, module) = self.types.outcome.as_ref()?;
        self.types.visible(self.module, module).then_some(record)
    }

    /// Checks an expression, with the type the context expects if it knows one (so enum values can
    /// be written bare). Returns the checked expression and its type.
    pub fn expr(&mut self, expr: &syntax::Expr, expected: Option<&Type>) -> (hir::Expr, Type) {
        match &expr.kind {
            ExprKind::Number { value, unit } => {
                let dimension = unit
                    .as_ref()
                    .map(|unit| self.dimension(unit))
                    .unwrap_or_default();
                // A number with an unknown unit is reported once, as E0205, not again as a
                // mismatch of dimensions wherever it is used.
                let ty = if unit.as_ref().is_some_and(|unit| !self.units_known(unit)) {
                    Type::Unknown
                } else {
                    Type::Number {
                        integer: value.fract().is_zero(),
                        dimension,
                    }
                };
                (hir::Expr::Literal(Literal::Number(*value)), ty)
            }
            ExprKind::Bool(value) => (hir::Expr::Literal(Literal::Bool(*value)), Type::Bool),
            ExprKind::String(value) => (
                hir::Expr::Literal(Literal::String(value.clone())),
                Type::String,
            ),
            ExprKind::Date(value) => (hir::Expr::Literal(Literal::Date(*value)), Type::Date),
            ExprKind::Eccn(value) => (hir::Expr::Literal(Literal::Eccn(value.clone())), Type::Eccn),
            ExprKind::Country(code) => {
                self.check_country(code, expr.span);
                (
                    hir::Expr::Literal(Literal::Country(code.clone())),
                    Type::Country,
                )
            }
            ExprKind::Name(name) => self.name(name, expr.span, expected),
            ExprKind::Field(base, field) => self.field(base, field),
            ExprKind::Not(inner) => {
                let (inner, ty) = self.expr(inner, Some(&Type::Bool));
                self.expect_bool(&ty, expr.span, "`not`");
                (hir::Expr::Not(Box::new(inner)), Type::Bool)
            }
            ExprKind::Negate(inner) => {
                let (inner, ty) = self.expr(inner, None);
                if !matches!(ty, Type::Number { .. } | Type::Unknown) {
                    self.error(
                        Diagnostic::new(
                            Code::E0201,
                            expr.span,
                            format!("only numbers can be negative, this is {ty}"),
                        )
                        .with_label("not a number"),
                    );
                }
                (hir::Expr::Negate(Box::new(inner)), ty)
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, expr.span),
            ExprKind::Chain(op, operands) => self.chain(*op, operands),
            ExprKind::Call(function, arguments) => self.call(function, arguments, expr.span),
            ExprKind::List(elements) | ExprKind::Set(elements) => {
                let is_set = matches!(expr.kind, ExprKind::Set(_));
                let element_expected = expected.and_then(Type::element).cloned();
                let mut element_type: Option<Type> = element_expected.clone();
                let mut lowered = Vec::new();
                for element in elements {
                    let (value, ty) = self.expr(element, element_type.as_ref());
                    match &element_type {
                        Some(known) if !compatible(known, &ty) => {
                            self.error(
                                Diagnostic::new(
                                    Code::E0201,
                                    element.span,
                                    format!("this is {ty}, but the other elements are {known}"),
                                )
                                .with_label("does not belong with the others"),
                            );
                        }
                        Some(Type::Unknown) | None => element_type = Some(ty),
                        Some(_) => {}
                    }
                    lowered.push(value);
                }
                let element_type = Box::new(element_type.unwrap_or(Type::Unknown));
                if is_set {
                    (hir::Expr::Set(lowered), Type::Set(element_type))
                } else {
                    (hir::Expr::List(lowered), Type::List(element_type))
                }
            }
            ExprKind::Quantifier {
                all,
                variable,
                over,
                body,
            } => {
                let (over_value, over_type) = self.expr(over, None);
                let element = match &over_type {
                    Type::Set(element) | Type::List(element) => (**element).clone(),
                    Type::Unknown => Type::Unknown,
                    other => {
                        self.error(
                            Diagnostic::new(
                                Code::E0201,
                                over.span,
                                format!(
                                    "`{}` needs a list or a set, this is {other}",
                                    if *all { "all" } else { "any" }
                                ),
                            )
                            .with_label("not a list or set"),
                        );
                        Type::Unknown
                    }
                };
                self.locals.push((variable.text.clone(), element));
                let (body_value, body_type) = self.expr(body, Some(&Type::Bool));
                self.locals.pop();
                self.expect_bool(&body_type, body.span, "the condition of a quantifier");
                (
                    hir::Expr::Quantifier {
                        all: *all,
                        variable: variable.text.clone(),
                        over: Box::new(over_value),
                        body: Box::new(body_value),
                    },
                    Type::Bool,
                )
            }
        }
    }

    fn check_country(&mut self, code: &str, span: Span) {
        if !is_country_code(code) {
            self.error(unknown_country(code, span));
        }
    }

    fn expect_bool(&mut self, ty: &Type, span: Span, what: &str) {
        if !compatible(ty, &Type::Bool) {
            self.error(
                Diagnostic::new(
                    Code::E0201,
                    span,
                    format!("{what} needs a condition, this is {ty}"),
                )
                .with_label("not a yes/no condition"),
            );
        }
    }

    fn name(&mut self, name: &str, span: Span, expected: Option<&Type>) -> (hir::Expr, Type) {
        if let Some((_, ty)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            return (hir::Expr::Variable(name.to_string()), ty.clone());
        }
        if let Some(Type::Enum(enum_name)) = expected.map(strip_optional)
            && let Some(enumeration) = self.types.enums.get(enum_name)
            && enumeration.variants.iter().any(|variant| variant == name)
        {
            return (
                hir::Expr::Literal(Literal::Enum(enum_name.clone(), name.to_string())),
                Type::Enum(enum_name.clone()),
            );
        }
        if let Some(field) = self.facts().and_then(|facts| facts.field(name)).cloned() {
            return self.fact(vec![name.to_string()], &field, span);
        }
        if let Some(field) = self.outcome().and_then(|outcome| outcome.field(name)) {
            let ty = field.ty.clone();
            return (hir::Expr::Outcome(name.to_string()), ty);
        }
        if let Some(info) = self.types.names.get(name) {
            if !self.types.visible(self.module, &info.module) {
                self.error(
                    Diagnostic::new(
                        Code::E0102,
                        span,
                        format!(
                            "`{name}` is declared in module `{}`, which this file does not import",
                            info.module
                        ),
                    )
                    .with_label("not imported")
                    .with_help(format!(
                        "add `import {}` at the top of this file",
                        info.module
                    )),
                );
                return (hir::Expr::Literal(Literal::Null), Type::Unknown);
            }
            self.reads.insert(name.to_string());
            let expr = match info.kind {
                EntryKind::Const => hir::Expr::Const(name.to_string()),
                EntryKind::Table => hir::Expr::Table(name.to_string()),
                EntryKind::Define => hir::Expr::Define(name.to_string()),
                EntryKind::Group => hir::Expr::Group(name.to_string()),
                EntryKind::Broken => return (hir::Expr::Literal(Literal::Null), Type::Unknown),
                other => {
                    self.error(
                        Diagnostic::new(
                            Code::E0201,
                            span,
                            format!("`{name}` is a {}, not a value", other.noun()),
                        )
                        .with_label("cannot be used here"),
                    );
                    return (hir::Expr::Literal(Literal::Null), Type::Unknown);
                }
            };
            return (expr, info.ty.clone());
        }
        // An enum value written where no type is expected: unique across enums.
        let owners: Vec<&hir::Enum> = self
            .types
            .enums
            .values()
            .filter(|enumeration| enumeration.variants.iter().any(|variant| variant == name))
            .collect();
        if let [owner] = owners.as_slice() {
            return (
                hir::Expr::Literal(Literal::Enum(owner.name.clone(), name.to_string())),
                Type::Enum(owner.name.clone()),
            );
        }
        let mut candidates: Vec<&str> = self
            .types
            .names
            .iter()
            .filter(|(_, info)| self.types.visible(self.module, &info.module))
            .map(|(name, _)| name.as_str())
            .collect();
        if let Some(facts) = self.facts() {
            candidates.extend(facts.fields.iter().map(|field| field.name.as_str()));
        }
        if let Some(outcome) = self.outcome() {
            candidates.extend(outcome.fields.iter().map(|field| field.name.as_str()));
        }
        if let Some(Type::Enum(enum_name)) = expected.map(strip_optional)
            && let Some(enumeration) = self.types.enums.get(enum_name)
        {
            candidates.extend(enumeration.variants.iter().map(String::as_str));
        }
        candidates.extend(self.locals.iter().map(|(local, _)| local.as_str()));
        let mut diagnostic = Diagnostic::new(Code::E0101, span, format!("unknown name `{name}`"))
            .with_label("not declared in this version");
        if let Some(suggestion) = did_you_mean(name, candidates) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else if let Some(Type::Enum(enum_name)) = expected.map(strip_optional)
            && let Some(enumeration) = self.types.enums.get(enum_name)
        {
            diagnostic = diagnostic.with_help(enum_values_help(enumeration));
        }
        self.error(diagnostic);
        (hir::Expr::Literal(Literal::Null), Type::Unknown)
    }

    fn fact(&mut self, path: Vec<String>, field: &hir::Field, span: Span) -> (hir::Expr, Type) {
        let ty = if field.mode == FieldMode::Optional && !self.present.contains(&path) {
            Type::Optional(Box::new(field.ty.clone()))
        } else {
            field.ty.clone()
        };
        let _ = span;
        (hir::Expr::Fact(path), ty)
    }

    fn field(&mut self, base: &syntax::Expr, field: &Name) -> (hir::Expr, Type) {
        let (base_value, base_type) = self.expr(base, None);
        let record_name = match (&base_value, strip_optional(&base_type)) {
            (_, Type::Unknown) => return (hir::Expr::Literal(Literal::Null), Type::Unknown),
            (hir::Expr::Fact(_), Type::Record(name)) => name.clone(),
            (_, other) => {
                self.error(
                    Diagnostic::new(
                        Code::E0203,
                        field.span,
                        format!("`{}` has no fields: it is {other}", describe(base)),
                    )
                    .with_label("no field here"),
                );
                return (hir::Expr::Literal(Literal::Null), Type::Unknown);
            }
        };
        let Some(record) = self.types.records.get(&record_name) else {
            return (hir::Expr::Literal(Literal::Null), Type::Unknown);
        };
        let hir::Expr::Fact(mut path) = base_value else {
            return (hir::Expr::Literal(Literal::Null), Type::Unknown);
        };
        match record.field(&field.text) {
            Some(found) => {
                let found = found.clone();
                path.push(field.text.clone());
                self.fact(path, &found, field.span)
            }
            None => {
                let mut diagnostic = Diagnostic::new(
                    Code::E0203,
                    field.span,
                    format!("`{record_name}` has no field `{}`", field.text),
                )
                .with_label("unknown field");
                diagnostic = diagnostic.with_suggestion(did_you_mean(
                    &field.text,
                    record.fields.iter().map(|f| f.name.as_str()),
                ));
                self.error(diagnostic);
                (hir::Expr::Literal(Literal::Null), Type::Unknown)
            }
        }
    }

    /// Reports an optional fact used as a value without `present(...)` first, and returns the type
    /// to go on with.
    fn unwrap_optional(&mut self, ty: Type, expr: &syntax::Expr) -> Type {
        match ty {
            Type::Optional(inner) => {
                self.error(
                    Diagnostic::new(
                        Code::E0204,
                        expr.span,
                        format!("`{}` may be absent from a transaction", describe(expr)),
                    )
                    .with_label("optional fact read without a check")
                    .with_help(format!(
                        "check it first: `present({}) and ...`",
                        describe(expr)
                    )),
                );
                *inner
            }
            other => other,
        }
    }

    /// The bound of a number fact (`quantity: int >= 1`): a number of the field's dimension.
    fn minimum(
        &mut self,
        field: &str,
        ty: &Type,
        minimum: &syntax::Minimum,
    ) -> Option<(rust_decimal::Decimal, bool)> {
        let field_type = strip_optional(ty).clone();
        if !matches!(field_type, Type::Number { .. } | Type::Unknown) {
            self.error(
                Diagnostic::new(
                    Code::E0201,
                    minimum.span,
                    format!("`{field}` is {field_type}: only a number has a least value"),
                )
                .with_label("not a number field"),
            );
            return None;
        }
        let (value, value_type) = self.expr(&minimum.value, Some(&field_type));
        if let (
            Type::Number { dimension, .. },
            Type::Number {
                dimension: found, ..
            },
        ) = (&field_type, &value_type)
            && dimension != found
        {
            self.error(
                Diagnostic::new(
                    Code::E0202,
                    minimum.value.span,
                    format!(
                        "the least value of `{field}` must be {}; `{}` is {}",
                        dimension_phrase(dimension),
                        describe(&minimum.value),
                        dimension_phrase(found)
                    ),
                )
                .with_label("another dimension")
                .with_help(format!(
                    "write the bound in the field's unit, as in `>= 0 {dimension}`"
                )),
            );
            return None;
        }
        match literal_of(&value) {
            Some(Literal::Number(number)) => Some((number, !minimum.strict)),
            _ => None,
        }
    }

    /// `a and b and c` (or `or`): each operand a condition; after `present(f) and`, `f` may be
    /// read in the operands that follow. The checked form is a balanced tree of the operator (the
    /// same meaning, evaluated left to right and stopping as soon as the answer is known), so no
    /// later pass goes as deep as the chain is long.
    fn chain(&mut self, op: BinaryOp, operands: &[syntax::Expr]) -> (hir::Expr, Type) {
        let before = self.present.len();
        let mut checked = Vec::with_capacity(operands.len());
        for operand in operands {
            let (value, ty) = self.expr(operand, Some(&Type::Bool));
            self.expect_bool(&ty, operand.span, &format!("`{}`", op.as_str()));
            if op == BinaryOp::And {
                self.present.extend(present_paths(&value));
            }
            checked.push(value);
        }
        self.present.truncate(before);
        (balanced(op, checked), Type::Bool)
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &syntax::Expr,
        right: &syntax::Expr,
        span: Span,
    ) -> (hir::Expr, Type) {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let (left_value, left_type) = self.expr(left, Some(&Type::Bool));
                self.expect_bool(&left_type, left.span, &format!("`{}`", op.as_str()));
                let proven = if op == BinaryOp::And {
                    present_paths(&left_value)
                } else {
                    Vec::new()
                };
                let before = self.present.len();
                self.present.extend(proven);
                let (right_value, right_type) = self.expr(right, Some(&Type::Bool));
                self.present.truncate(before);
                self.expect_bool(&right_type, right.span, &format!("`{}`", op.as_str()));
                (
                    hir::Expr::Binary(op, Box::new(left_value), Box::new(right_value)),
                    Type::Bool,
                )
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let (right_value, right_type) = self.expr(right, None);
                let right_type = self.unwrap_optional(right_type, right);
                let element = match &right_type {
                    Type::Group => Some(Type::Country),
                    Type::Set(element) | Type::List(element) => Some((**element).clone()),
                    Type::Unknown => None,
                    other => {
                        self.error(
                            Diagnostic::new(
                                Code::E0201,
                                right.span,
                                format!("`{}` needs a group, a set or a list on its right, this is {other}", op.as_str()),
                            )
                            .with_label("not a group, set or list"),
                        );
                        None
                    }
                };
                let (left_value, left_type) = self.expr(left, element.as_ref());
                let left_type = self.unwrap_optional(left_type, left);
                if let Some(element) = &element
                    && !compatible(element, &left_type)
                {
                    self.mismatch(left, &left_type, right, &right_type, span, op);
                }
                (
                    hir::Expr::Binary(op, Box::new(left_value), Box::new(right_value)),
                    Type::Bool,
                )
            }
            BinaryOp::Within => {
                let (left_value, left_type) = self.expr(left, None);
                let left_type = self.unwrap_optional(left_type, left);
                let (right_value, right_type) =
                    self.expr(right, Some(&Type::Set(Box::new(Type::Eccn))));
                let right_ok = matches!(strip_collection(&right_type), Type::Eccn | Type::Unknown);
                if !compatible(&left_type, &Type::Eccn) || !right_ok {
                    self.error(
                        Diagnostic::new(
                            Code::E0201,
                            span,
                            "`within` compares an ECCN with an ECCN heading or a set of them",
                        )
                        .with_label(format!("this compares {left_type} with {right_type}")),
                    );
                }
                (
                    hir::Expr::Binary(op, Box::new(left_value), Box::new(right_value)),
                    Type::Bool,
                )
            }
            _ => {
                let (left_value, left_type) = self.expr(left, None);
                let (right_value, right_type) = self.expr(right, Some(&left_type));
                let (left_value, left_type) =
                    if matches!(right_type, Type::Enum(_)) && left_type == Type::Unknown {
                        self.expr(left, Some(&right_type))
                    } else {
                        (left_value, left_type)
                    };
                let left_type = self.unwrap_optional(left_type, left);
                let right_type = self.unwrap_optional(right_type, right);
                let result = self.operator_type(op, left, &left_type, right, &right_type, span);
                (
                    hir::Expr::Binary(op, Box::new(left_value), Box::new(right_value)),
                    result,
                )
            }
        }
    }

    fn operator_type(
        &mut self,
        op: BinaryOp,
        left: &syntax::Expr,
        left_type: &Type,
        right: &syntax::Expr,
        right_type: &Type,
        span: Span,
    ) -> Type {
        if *left_type == Type::Unknown || *right_type == Type::Unknown {
            return match op {
                BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide => {
                    Type::Unknown
                }
                _ => Type::Bool,
            };
        }
        match op {
            BinaryOp::Equal | BinaryOp::NotEqual => {
                if !compatible(left_type, right_type) {
                    self.mismatch(left, left_type, right, right_type, span, op);
                }
                Type::Bool
            }
            BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual => {
                let orderable = matches!(left_type, Type::Number { .. } | Type::Date);
                if !orderable || !compatible(left_type, right_type) {
                    self.mismatch(left, left_type, right, right_type, span, op);
                }
                Type::Bool
            }
            BinaryOp::Add | BinaryOp::Subtract => match (left_type, right_type) {
                (
                    Type::Number {
                        integer: left_integer,
                        dimension,
                    },
                    Type::Number {
                        integer: right_integer,
                        ..
                    },
                ) => {
                    if !compatible(left_type, right_type) {
                        self.mismatch(left, left_type, right, right_type, span, op);
                    }
                    Type::Number {
                        integer: *left_integer && *right_integer,
                        dimension: dimension.clone(),
                    }
                }
                _ => {
                    self.mismatch(left, left_type, right, right_type, span, op);
                    Type::Unknown
                }
            },
            BinaryOp::Multiply | BinaryOp::Divide => match (left_type, right_type) {
                (
                    Type::Number {
                        integer: left_integer,
                        dimension: left_dimension,
                    },
                    Type::Number {
                        integer: right_integer,
                        dimension: right_dimension,
                    },
                ) => {
                    let sign = if op == BinaryOp::Multiply { 1 } else { -1 };
                    Type::Number {
                        integer: *left_integer && *right_integer && op == BinaryOp::Multiply,
                        dimension: left_dimension.combine(right_dimension, sign),
                    }
                }
                _ => {
                    self.mismatch(left, left_type, right, right_type, span, op);
                    Type::Unknown
                }
            },
            _ => Type::Bool,
        }
    }

    fn mismatch(
        &mut self,
        left: &syntax::Expr,
        left_type: &Type,
        right: &syntax::Expr,
        right_type: &Type,
        span: Span,
        op: BinaryOp,
    ) {
        let verb = match op {
            BinaryOp::Add => "add",
            BinaryOp::Subtract => "subtract",
            BinaryOp::Multiply => "multiply",
            BinaryOp::Divide => "divide",
            BinaryOp::In | BinaryOp::NotIn => "look for",
            _ => "compare",
        };
        if let (
            Type::Number {
                dimension: left_dim,
                ..
            },
            Type::Number {
                dimension: right_dim,
                ..
            },
        ) = (strip_collection(left_type), strip_collection(right_type))
        {
            let mut diagnostic = Diagnostic::new(
                Code::E0202,
                span,
                format!(
                    "cannot {verb} {} and {}: `{}` is {} but `{}` is {}",
                    describe(left),
                    describe(right),
                    describe(left),
                    dimension_phrase(left_dim),
                    describe(right),
                    dimension_phrase(right_dim)
                ),
            )
            .with_label("different dimensions");
            if right_dim.is_none() && matches!(right.kind, ExprKind::Number { .. }) {
                diagnostic = diagnostic.with_help(format!(
                    "write the unit after the number: `{} {left_dim}`",
                    describe(right)
                ));
            } else if left_dim.is_none() && matches!(left.kind, ExprKind::Number { .. }) {
                diagnostic = diagnostic.with_help(format!(
                    "write the unit after the number: `{} {right_dim}`",
                    describe(left)
                ));
            }
            self.error(diagnostic);
            return;
        }
        self.error(
            Diagnostic::new(
                Code::E0201,
                span,
                format!(
                    "cannot {verb} {} and {}: `{}` is {left_type}, `{}` is {right_type}",
                    describe(left),
                    describe(right),
                    describe(left),
                    describe(right)
                ),
            )
            .with_label("types do not match"),
        );
    }

    fn call(
        &mut self,
        function: &Name,
        arguments: &[syntax::Expr],
        span: Span,
    ) -> (hir::Expr, Type) {
        let builtin = match function.text.as_str() {
            "max" => Builtin::Max,
            "min" => Builtin::Min,
            "lowercase" => Builtin::Lowercase,
            "present" => Builtin::Present,
            other => {
                let mut diagnostic = Diagnostic::new(
                    Code::E0101,
                    function.span,
                    format!("unknown function `{other}`"),
                )
                .with_label("not a function");
                diagnostic = match did_you_mean(other, ["max", "min", "lowercase", "present"]) {
                    Some(suggestion) => {
                        diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                    }
                    None => diagnostic
                        .with_help("the functions are `max`, `min`, `lowercase` and `present`"),
                };
                self.error(diagnostic);
                return (hir::Expr::Literal(Literal::Null), Type::Unknown);
            }
        };
        let wanted = if builtin == Builtin::Lowercase || builtin == Builtin::Present {
            1
        } else {
            2
        };
        if arguments.len() != wanted {
            self.error(
                Diagnostic::new(
                    Code::E0201,
                    span,
                    format!(
                        "`{}` takes {wanted} value{}, found {}",
                        function.text,
                        if wanted == 1 { "" } else { "s" },
                        arguments.len()
                    ),
                )
                .with_label("wrong number of values"),
            );
            return (hir::Expr::Literal(Literal::Null), Type::Unknown);
        }
        if builtin == Builtin::Present {
            let (value, ty) = self.expr(&arguments[0], None);
            if !matches!(value, hir::Expr::Fact(_)) && ty != Type::Unknown {
                self.error(
                    Diagnostic::new(
                        Code::E0201,
                        arguments[0].span,
                        "`present` takes a fact, such as `item.model`",
                    )
                    .with_label("not a fact"),
                );
            }
            return (hir::Expr::Call(builtin, vec![value]), Type::Bool);
        }
        let mut lowered = Vec::new();
        let mut types = Vec::new();
        for argument in arguments {
            let (value, ty) = self.expr(argument, None);
            let ty = self.unwrap_optional(ty, argument);
            lowered.push(value);
            types.push(ty);
        }
        let result = match builtin {
            Builtin::Lowercase => {
                if !compatible(&types[0], &Type::String) {
                    self.error(
                        Diagnostic::new(
                            Code::E0201,
                            arguments[0].span,
                            format!("`lowercase` takes a text, this is {}", types[0]),
                        )
                        .with_label("not a text"),
                    );
                }
                Type::String
            }
            _ => {
                let numeric = matches!(types[0], Type::Number { .. } | Type::Unknown);
                if !numeric || !compatible(&types[0], &types[1]) {
                    self.mismatch(
                        &arguments[0],
                        &types[0],
                        &arguments[1],
                        &types[1],
                        span,
                        BinaryOp::Equal,
                    );
                }
                match (&types[0], &types[1]) {
                    (Type::Unknown, other) => other.clone(),
                    (first, _) => first.clone(),
                }
            }
        };
        (hir::Expr::Call(builtin, lowered), result)
    }
}

/// "`Activity` has the values `export`, `reexport`, ...": help for an unknown enum value.
fn enum_values_help(enumeration: &hir::Enum) -> String {
    let values: Vec<String> = enumeration
        .variants
        .iter()
        .map(|variant| format!("`{variant}`"))
        .collect();
    format!(
        "`{}` has the values {}",
        enumeration.name,
        values.join(", ")
    )
}

fn strip_optional(ty: &Type) -> &Type {
    match ty {
        Type::Optional(inner) => inner,
        other => other,
    }
}

fn strip_collection(ty: &Type) -> &Type {
    match ty {
        Type::Set(inner) | Type::List(inner) | Type::Optional(inner) => strip_collection(inner),
        other => other,
    }
}

/// Whether values of two types can be compared: equal types, numbers of one dimension (whole or
/// not), or anything with `Unknown`.
pub fn compatible(left: &Type, right: &Type) -> bool {
    match (left, right) {
        (Type::Unknown, _) | (_, Type::Unknown) => true,
        (Type::Number { dimension: a, .. }, Type::Number { dimension: b, .. }) => a == b,
        (Type::Set(a), Type::Set(b)) | (Type::List(a), Type::List(b)) => compatible(a, b),
        (Type::Set(a), Type::List(b)) | (Type::List(a), Type::Set(b)) => compatible(a, b),
        (Type::Optional(a), b) | (b, Type::Optional(a)) => compatible(a, b),
        (a, b) => a == b,
    }
}

fn dimension_phrase(dimension: &Dimension) -> String {
    if dimension.is_none() {
        "a plain number (no unit)".to_string()
    } else {
        format!("in {dimension}")
    }
}

/// The facts a condition proves present: `present(x)` conjuncts.
fn present_paths(condition: &hir::Expr) -> Vec<Vec<String>> {
    match condition {
        hir::Expr::Call(Builtin::Present, arguments) => match arguments.first() {
            Some(hir::Expr::Fact(path)) => vec![path.clone()],
            _ => Vec::new(),
        },
        hir::Expr::Binary(BinaryOp::And, left, right) => {
            let mut paths = present_paths(left);
            paths.extend(present_paths(right));
            paths
        }
        _ => Vec::new(),
    }
}

/// A short readable form of an expression for messages: names and literals as written.
pub fn describe(expr: &syntax::Expr) -> String {
    match &expr.kind {
        ExprKind::Number { value, unit } => match unit {
            Some(unit) => format!(
                "{value} {}",
                unit.factors
                    .iter()
                    .enumerate()
                    .map(|(index, (name, power))| {
                        let sep = if index == 0 {
                            ""
                        } else if *power < 0 {
                            "/"
                        } else {
                            "*"
                        };
                        if power.abs() == 1 {
                            format!("{sep}{name}")
                        } else {
                            format!("{sep}{name}^{}", power.abs())
                        }
                    })
                    .collect::<String>()
            ),
            None => value.to_string(),
        },
        ExprKind::Bool(value) => value.to_string(),
        ExprKind::String(value) => format!("\"{value}\""),
        ExprKind::Date(value) => value.to_string(),
        ExprKind::Country(code) | ExprKind::Eccn(code) | ExprKind::Name(code) => code.clone(),
        ExprKind::Field(base, field) => format!("{}.{}", describe(base), field.text),
        ExprKind::Binary(op, left, right) => {
            format!("{} {} {}", describe(left), op.as_str(), describe(right))
        }
        ExprKind::Chain(op, operands) => operands
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join(&format!(" {} ", op.as_str())),
        ExprKind::Call(function, arguments) => format!(
            "{}({})",
            function.text,
            arguments
                .iter()
                .map(describe)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Not(inner) => format!("not {}", describe(inner)),
        ExprKind::Negate(inner) => format!("-{}", describe(inner)),
        ExprKind::List(_) => "this list".to_string(),
        ExprKind::Set(_) => "this set".to_string(),
        ExprKind::Quantifier { .. } => "this condition".to_string(),
    }
}

pub fn unknown_country(code: &str, span: Span) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Code::E0104,
        span,
        format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
    )
    .with_label("unknown country code");
    let known = ["UK", "EL", "XK"];
    let help = match code {
        "UK" => Some("the United Kingdom is `GB`".to_string()),
        "EL" => Some("Greece is `GR`".to_string()),
        _ if known.contains(&code) => None,
        _ => None,
    };
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

// ---------------------------------------------------------------------------------------------
// One declaration

/// A checked declaration: its checked form and diagnostics relative to the declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedDeclaration {
    pub item: Option<Item>,
    pub diagnostics: Vec<Diagnostic>,
    /// Provisions the declaration reads by name.
    pub reads: BTreeSet<String>,
    /// Outcome fields the declaration reads.
    pub reads_outcomes: BTreeSet<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Const(hir::Const),
    Table(hir::Table),
    Define(hir::Define),
    Group(hir::Group),
    Alias(hir::Alias),
    Rule(hir::Rule),
    Example(hir::Example),
    Test(TestSyntax),
    Manifest(hir::Manifest),
}

/// A test before its example is merged in (examples are checked as a whole version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestSyntax {
    pub name: String,
    pub example: Option<(String, Span)>,
    pub facts: hir::FactValue,
    pub overrides: Vec<(Vec<String>, hir::FactValue, Span)>,
    pub expect: IndexMap<String, hir::FactValue>,
}

pub fn check_declaration(
    db: &dyn Db,
    version: VersionKey<'_>,
    key: DeclarationKey<'_>,
) -> CheckedDeclaration {
    let mut checked = CheckedDeclaration {
        item: None,
        diagnostics: Vec::new(),
        reads: BTreeSet::new(),
        reads_outcomes: BTreeSet::new(),
    };
    let Some(declaration) = db::declaration_syntax(db, key) else {
        return checked;
    };
    let types = db::version_types(db, version);
    let file = key.file(db);
    let module = file.module(db).clone();
    let written_in = file.version_dir(db).clone();
    let mut checker = Checker::new(types, &module);
    let provenance_of = |provision: &syntax::Provision| hir::Provenance {
        citations: lower_citations(&provision.citations),
        docs: declaration.docs.clone(),
        effective: provision.effective.map(|dated| dated.date),
        through: provision.through.map(|dated| dated.date),
        module: module.clone(),
        written_in: written_in.clone(),
    };
    match &declaration.kind {
        DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) => {
            check_citations(&mut checker, provision);
            check_window(&mut checker, provision.effective, provision.through);
            let provenance = provenance_of(provision);
            let name = provision.name.text.clone();
            checked.item = Some(match &provision.kind {
                ProvisionKind::Const { ty, value } | ProvisionKind::Define { ty, value } => {
                    let declared = ty.as_ref().map(|ty| checker.lower_type(ty));
                    let (value, actual) = checker.expr(value, declared.as_ref());
                    let ty = check_declared(&mut checker, declared, actual, provision.name.span);
                    if matches!(provision.kind, ProvisionKind::Const { .. }) {
                        Item::Const(hir::Const {
                            name,
                            ty,
                            value,
                            provenance,
                        })
                    } else {
                        Item::Define(hir::Define {
                            name,
                            ty,
                            value,
                            provenance,
                        })
                    }
                }
                ProvisionKind::Table { ty, rows } => {
                    let declared = ty.as_ref().map(|ty| checker.lower_type(ty));
                    let mut row_type = declared.clone();
                    let mut lowered = Vec::new();
                    let mut previous: Option<Date> = None;
                    for row in rows {
                        if let Some(previous) = previous
                            && row.from.date <= previous
                        {
                            checker.error(
                                Diagnostic::new(
                                    Code::E0501,
                                    row.from.span,
                                    format!("table rows must be in date order: {} does not come after {previous}", row.from.date),
                                )
                                .with_label("out of order"),
                            );
                        }
                        previous = Some(row.from.date);
                        let (value, actual) = checker.expr(&row.value, row_type.as_ref());
                        match &row_type {
                            Some(expected) if !compatible(expected, &actual) => checker.error(
                                Diagnostic::new(
                                    Code::E0202,
                                    row.value.span,
                                    format!("this row is {actual}, the table holds {expected}"),
                                )
                                .with_label("does not match the other rows"),
                            ),
                            None => row_type = Some(actual),
                            _ => {}
                        }
                        lowered.push((row.from.date, value));
                    }
                    if let (Some(through), Some(last)) = (provision.through, previous)
                        && through.date < last
                    {
                        checker.error(
                            Diagnostic::new(
                                Code::E0501,
                                through.span,
                                format!(
                                    "the table ends on {} before its last row starts on {last}",
                                    through.date
                                ),
                            )
                            .with_label("ends too early"),
                        );
                    }
                    Item::Table(hir::Table {
                        name,
                        ty: row_type.unwrap_or(Type::Unknown),
                        rows: lowered,
                        provenance,
                    })
                }
                ProvisionKind::Group {
                    title,
                    members,
                    changes,
                } => {
                    let members = lower_group(&mut checker, members);
                    let mut lowered_changes = Vec::new();
                    for change in changes {
                        checker.check_country(&change.country.text, change.country.span);
                        lowered_changes.push(hir::MembershipChange {
                            country: change.country.text.clone(),
                            joins: change.joins,
                            on: change.on.date,
                            citations: lower_citations(&change.citations),
                        });
                    }
                    Item::Group(hir::Group {
                        name,
                        title: title.clone(),
                        members,
                        changes: lowered_changes,
                        provenance,
                    })
                }
                ProvisionKind::Alias { target } => {
                    checker.check_country(&provision.name.text, provision.name.span);
                    checker.check_country(&target.text, target.span);
                    Item::Alias(hir::Alias {
                        code: name,
                        target: target.text.clone(),
                        provenance,
                    })
                }
                ProvisionKind::Rule(rule) => {
                    let when = rule.when.as_ref().map(|condition| {
                        let (value, ty) = checker.expr(condition, Some(&Type::Bool));
                        checker.expect_bool(&ty, condition.span, "`when`");
                        value
                    });
                    if rule.then.is_empty() {
                        checker.error(
                            Diagnostic::new(
                                Code::E0304,
                                provision.name.span,
                                format!("rule `{name}` concludes nothing"),
                            )
                            .with_label("no `then`")
                            .with_help(
                                "add what the rule concludes: `then license_required = true`",
                            ),
                        );
                    }
                    let then = rule
                        .then
                        .iter()
                        .filter_map(|conclusion| check_conclusion(&mut checker, conclusion))
                        .collect();
                    Item::Rule(hir::Rule {
                        name,
                        unless: rule.unless.iter().map(|name| name.text.clone()).collect(),
                        notwithstanding: rule
                            .notwithstanding
                            .iter()
                            .map(|name| name.text.clone())
                            .collect(),
                        when,
                        then,
                        window: (provenance.effective, provenance.through),
                        provenance,
                    })
                }
            });
        }
        DeclarationKind::Remove(remove) => {
            if remove.citations.is_empty() {
                checker.error(
                    Diagnostic::new(
                        Code::E0301,
                        remove.name.span,
                        format!("the removal of `{}` has no citation", remove.name.text),
                    )
                    .with_label("cite the amending document")
                    .with_help("add `cite \"...\"` naming the paragraph that removes it"),
                );
            }
        }
        DeclarationKind::Unit(unit) => {
            let _ = unit;
        }
        DeclarationKind::Record(record) => {
            let lowered = lower_record(
                types,
                &record.name.text,
                &record.fields,
                &mut checker.diagnostics,
            );
            check_most_restrictive(&mut checker, &lowered, &record.fields, false);
        }
        DeclarationKind::Facts(fields) | DeclarationKind::Outcome(fields) => {
            let record = lower_record(types, "facts", fields, &mut checker.diagnostics);
            check_most_restrictive(
                &mut checker,
                &record,
                fields,
                matches!(declaration.kind, DeclarationKind::Outcome(_)),
            );
            if matches!(declaration.kind, DeclarationKind::Facts(_))
                && record
                    .field("date")
                    .is_none_or(|field| field.ty != Type::Date)
            {
                checker.error(
                    Diagnostic::new(
                        Code::E0203,
                        Span::new(0, 5),
                        "the facts must have a field `date: date`",
                    )
                    .with_label("no transaction date")
                    .with_help("dated provisions follow the transaction's date: add `date: date`"),
                );
            }
            if matches!(declaration.kind, DeclarationKind::Outcome(_)) {
                for (field, syntax_field) in record.fields.iter().zip(fields) {
                    let needs_default = !matches!(field.ty, Type::Set(_))
                        && !syntax_field.ty.optional
                        && syntax_field.default.is_none();
                    if needs_default {
                        checker.error(
                            Diagnostic::new(
                                Code::E0201,
                                syntax_field.name.span,
                                format!(
                                    "outcome `{}` needs a value for when no rule concludes it",
                                    field.name
                                ),
                            )
                            .with_label("no default")
                            .with_help(format!(
                                "give a default (`{}: ... = {}`) or make it optional (`?`)",
                                field.name,
                                match field.ty {
                                    Type::Bool => "false",
                                    Type::Number { .. } => "0",
                                    _ => "...",
                                }
                            )),
                        );
                    }
                }
            }
        }
        DeclarationKind::Enum(enumeration) => check_enum_order(&mut checker, enumeration),
        DeclarationKind::Import(_) => {}
        DeclarationKind::Version(manifest) => {
            checked.item = Some(Item::Manifest(check_manifest(&mut checker, manifest)));
        }
        DeclarationKind::Example(example) => {
            check_written_facts(&mut checker, &declaration.kind);
            let facts = lower_fact_value(&mut checker, &example.value);
            checked.item = Some(Item::Example(hir::Example {
                name: example.name.text.clone(),
                facts,
            }));
        }
        DeclarationKind::Test(test) => {
            check_written_facts(&mut checker, &declaration.kind);
            let (example, facts) = match &test.given {
                syntax::Given::Example(name) => (
                    Some((name.text.clone(), name.span)),
                    hir::FactValue::Record(IndexMap::new()),
                ),
                syntax::Given::Facts(entries, _) => {
                    (None, lower_fact_entries(&mut checker, entries))
                }
            };
            let overrides = test
                .overrides
                .iter()
                .map(|entry| {
                    (
                        entry.key.clone(),
                        lower_fact_value(&mut checker, &entry.value),
                        entry.key_span,
                    )
                })
                .collect();
            let mut expect = IndexMap::new();
            for entry in &test.expect {
                let key = entry.key.join(".");
                let known = checker
                    .outcome()
                    .is_some_and(|outcome| outcome.field(&key).is_some());
                if !known {
                    let mut diagnostic = Diagnostic::new(
                        Code::E0203,
                        entry.key_span,
                        format!("the outcome has no field `{key}`"),
                    )
                    .with_label("not an outcome");
                    if let Some(outcome) = checker.outcome()
                        && let Some(suggestion) =
                            did_you_mean(&key, outcome.fields.iter().map(|f| f.name.as_str()))
                    {
                        diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                    }
                    checker.error(diagnostic);
                }
                expect.insert(key, lower_fact_value(&mut checker, &entry.value));
            }
            checked.item = Some(Item::Test(TestSyntax {
                name: test.name.text.clone(),
                example,
                facts,
                overrides,
                expect,
            }));
        }
    }
    if let Some(Item::Rule(rule)) = &checked.item {
        for conclusion in &rule.then {
            conclusion.value.walk(&mut |expr| {
                if let hir::Expr::Outcome(field) = expr {
                    checked.reads_outcomes.insert(field.clone());
                }
            });
        }
        if let Some(when) = &rule.when {
            when.walk(&mut |expr| {
                if let hir::Expr::Outcome(field) = expr {
                    checked.reads_outcomes.insert(field.clone());
                }
            });
        }
    }
    if let Some(Item::Define(define)) = &checked.item {
        define.value.walk(&mut |expr| {
            if let hir::Expr::Outcome(field) = expr {
                checked.reads_outcomes.insert(field.clone());
            }
        });
    }
    checked.reads = std::mem::take(&mut checker.reads);
    checked.diagnostics = checker.diagnostics;
    checked
}

/// An ordered enum puts `<` between every two of its values, and after none of the last.
fn check_enum_order(checker: &mut Checker<'_>, enumeration: &syntax::EnumDeclaration) {
    let Some(last) = enumeration.variants.last() else {
        return;
    };
    if !enumeration.variants.iter().any(|variant| variant.less_than) {
        return;
    }
    let body = &enumeration.variants[..enumeration.variants.len() - 1];
    let unordered = body.iter().find(|variant| !variant.less_than);
    if let Some(variant) = unordered.or(last.less_than.then_some(last)) {
        let message = if variant.less_than {
            format!(
                "`<` after `{}`, the last value of `{}`, orders it before nothing",
                variant.name.text, enumeration.name.text
            )
        } else {
            format!(
                "`{}` has values ordered by `<` and values separated by `,`: the order of `{}` is not said",
                enumeration.name.text, variant.name.text
            )
        };
        checker.error(
            Diagnostic::new(Code::E0305, variant.name.span, message)
                .with_label("order not said here")
                .with_help(
                    "an ordered enum lists every value from the least to the most restrictive, \
                     with `<` between each two: `{ approval < case_by_case < denial }`",
                ),
        );
    }
}

/// `most restrictive` belongs to an outcome whose values are an ordered enum.
fn check_most_restrictive(
    checker: &mut Checker<'_>,
    lowered: &hir::Record,
    fields: &[syntax::FieldDeclaration],
    is_outcome: bool,
) {
    for (field, checked) in fields.iter().zip(&lowered.fields) {
        let Some(clause) = &field.most_restrictive else {
            continue;
        };
        // The type as `lower_record` lowered it (and reported, if it is unknown).
        let ordered = match &checked.ty {
            Type::Enum(name) => checker
                .types
                .enums
                .get(name)
                .is_some_and(|enumeration| enumeration.ordered),
            _ => false,
        };
        let message = if !is_outcome {
            format!(
                "`{}` is a fact: only an outcome takes the most restrictive of what rules conclude",
                field.name.text
            )
        } else if ordered {
            continue;
        } else {
            format!(
                "outcome `{}` is not of an ordered enum: what is most restrictive is not said",
                field.name.text
            )
        };
        checker.error(
            Diagnostic::new(Code::E0305, clause.span, message)
                .with_label("most restrictive of what order")
                .with_help(
                    "order the enum's values from the least to the most restrictive \
                     (`enum Review { approval < case_by_case < denial }`) and give the \
                     outcome that type",
                ),
        );
    }
}

fn check_declared(
    checker: &mut Checker<'_>,
    declared: Option<Type>,
    actual: Type,
    span: Span,
) -> Type {
    match declared {
        Some(declared) => {
            if !compatible(&declared, &actual) {
                let code = if matches!(
                    (&declared, &actual),
                    (Type::Number { .. }, Type::Number { .. })
                ) {
                    Code::E0202
                } else {
                    Code::E0201
                };
                checker.error(
                    Diagnostic::new(
                        code,
                        span,
                        format!("declared as {declared}, but its value is {actual}"),
                    )
                    .with_label("value does not match the declared type"),
                );
            }
            declared
        }
        None => actual,
    }
}

fn check_citations(checker: &mut Checker<'_>, provision: &syntax::Provision) {
    if provision.citations.is_empty() && !matches!(provision.kind, ProvisionKind::Define { .. }) {
        checker.error(
            Diagnostic::new(
                Code::E0301,
                provision.name.span,
                format!("{} `{}` has no citation", provision.kind.keyword(), provision.name.text),
            )
            .with_label("every provision must say where the law says it")
            .with_help("add `cite \"15 CFR ...\"` with the paragraph; mark it `secondary` or `unconfirmed` if not verified"),
        );
    }
    for citation in &provision.citations {
        if citation.text.trim().is_empty() {
            checker.error(
                Diagnostic::new(Code::E0301, citation.span, "this citation is empty")
                    .with_label("empty citation")
                    .with_help("write the paragraph: `cite \"15 CFR 742.6(a)(6)(iii)\"`"),
            );
        }
    }
}

fn check_window(
    checker: &mut Checker<'_>,
    effective: Option<syntax::Dated>,
    through: Option<syntax::Dated>,
) {
    if let (Some(effective), Some(through)) = (effective, through)
        && through.date < effective.date
    {
        checker.error(
            Diagnostic::new(
                Code::E0501,
                through.span,
                format!(
                    "`through {}` is before `effective {}`",
                    through.date, effective.date
                ),
            )
            .with_label("ends before it starts")
            .with_help("the window is inclusive at both ends; swap the dates if they are reversed"),
        );
    }
}

fn check_manifest(checker: &mut Checker<'_>, manifest: &syntax::VersionManifest) -> hir::Manifest {
    let in_force = match &manifest.in_force {
        Some(syntax::InForce::Never(_)) => hir::InForce::Never,
        Some(syntax::InForce::Range { from, through }) => {
            check_window(checker, Some(*from), *through);
            hir::InForce::Range {
                from: from.date,
                through: through.map(|dated| dated.date),
            }
        }
        None => {
            checker.error(
                Diagnostic::new(Code::E0403, manifest.id.span, format!("version `{}` does not say when it is in force", manifest.id.text))
                    .with_label("no `in_force`")
                    .with_help("add `in_force from YYYY-MM-DD [through YYYY-MM-DD]`, or `in_force never` for a version reached only by pinning"),
            );
            hir::InForce::Never
        }
    };
    if manifest.policy.is_none() {
        checker.error(
            Diagnostic::new(
                Code::E0403,
                manifest.id.span,
                format!("version `{}` does not name its policy", manifest.id.text),
            )
            .with_label("no `policy`")
            .with_help("add `policy \"ear\"`"),
        );
    }
    hir::Manifest {
        id: manifest.id.text.clone(),
        policy: manifest
            .policy
            .as_ref()
            .map(|name| name.text.clone())
            .unwrap_or_default(),
        title: manifest.title.clone(),
        source: manifest.source.clone(),
        amends: manifest.amends.as_ref().map(|name| name.text.clone()),
        in_force,
    }
}

fn lower_group(checker: &mut Checker<'_>, members: &syntax::GroupExpr) -> hir::GroupExpr {
    let mut result = lower_group_term(checker, &members.first);
    for (op, term) in &members.rest {
        let term = lower_group_term(checker, term);
        result = match op {
            syntax::GroupOp::Union => hir::GroupExpr::Union(Box::new(result), Box::new(term)),
            syntax::GroupOp::Difference => {
                hir::GroupExpr::Difference(Box::new(result), Box::new(term))
            }
        };
    }
    result
}

fn lower_group_term(checker: &mut Checker<'_>, term: &syntax::GroupTerm) -> hir::GroupExpr {
    match term {
        syntax::GroupTerm::Countries(codes, _) => {
            let mut countries = BTreeSet::new();
            for code in codes {
                checker.check_country(&code.text, code.span);
                countries.insert(code.text.clone());
            }
            hir::GroupExpr::Countries(countries)
        }
        syntax::GroupTerm::Group(name) => {
            let (value, ty) = checker.name(&name.text, name.span, None);
            if !matches!(ty, Type::Group | Type::Unknown) {
                checker.error(
                    Diagnostic::new(
                        Code::E0201,
                        name.span,
                        format!("`{}` is {ty}, not a country group", name.text),
                    )
                    .with_label("not a group"),
                );
            }
            match value {
                hir::Expr::Group(group) => hir::GroupExpr::Group(group),
                _ => hir::GroupExpr::Countries(BTreeSet::new()),
            }
        }
    }
}

fn check_conclusion(
    checker: &mut Checker<'_>,
    conclusion: &syntax::Conclusion,
) -> Option<hir::Conclusion> {
    let Some(outcome) = checker.outcome() else {
        checker.error(
            Diagnostic::new(
                Code::E0304,
                conclusion.field.span,
                "no outcome is declared (or imported) here",
            )
            .with_label("conclusion about nothing")
            .with_help("declare `outcome { ... }` and import its module"),
        );
        return None;
    };
    let Some(field) = outcome.field(&conclusion.field.text).cloned() else {
        let mut diagnostic = Diagnostic::new(
            Code::E0304,
            conclusion.field.span,
            format!("`{}` is not an outcome", conclusion.field.text),
        )
        .with_label("rules conclude outcomes");
        diagnostic = diagnostic.with_suggestion(did_you_mean(
            &conclusion.field.text,
            outcome.fields.iter().map(|f| f.name.as_str()),
        ));
        checker.error(diagnostic);
        return None;
    };
    let expected = if conclusion.add {
        match &field.ty {
            Type::Set(element) => (**element).clone(),
            other => {
                checker.error(
                    Diagnostic::new(
                        Code::E0201,
                        conclusion.field.span,
                        format!("`+=` adds to a set, but `{}` is {other}", field.name),
                    )
                    .with_label("not a set")
                    .with_help(format!("write `{} = ...`", field.name)),
                );
                Type::Unknown
            }
        }
    } else {
        if matches!(field.ty, Type::Set(_)) {
            checker.error(
                Diagnostic::new(
                    Code::E0201,
                    conclusion.field.span,
                    format!("`{}` is a set: rules add to it with `+=`", field.name),
                )
                .with_label("use `+=`"),
            );
            // The value is not checked against the set as well: one mistake, one diagnostic.
            Type::Unknown
        } else {
            field.ty.clone()
        }
    };
    let (value, actual) = checker.expr(&conclusion.value, Some(&expected));
    let actual = checker.unwrap_optional(actual, &conclusion.value);
    if !compatible(&expected, &actual) {
        checker.error(
            Diagnostic::new(
                Code::E0201,
                conclusion.value.span,
                format!("`{}` takes {expected}, this is {actual}", field.name),
            )
            .with_label("wrong kind of value"),
        );
    }
    Some(hir::Conclusion {
        field: field.name,
        add: conclusion.add,
        value,
    })
}

fn lower_fact_entries(checker: &mut Checker<'_>, entries: &[syntax::FactEntry]) -> hir::FactValue {
    let mut record = IndexMap::new();
    for entry in entries {
        let value = lower_fact_value(checker, &entry.value);
        insert_path(&mut record, &entry.key, value);
    }
    hir::FactValue::Record(record)
}

/// Sets `path` in a nested fact record, creating records on the way.
pub fn insert_path(
    record: &mut IndexMap<String, hir::FactValue>,
    path: &[String],
    value: hir::FactValue,
) {
    match path {
        [] => {}
        [last] => {
            record.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let slot = record
                .entry(first.clone())
                .or_insert_with(|| hir::FactValue::Record(IndexMap::new()));
            if !matches!(slot, hir::FactValue::Record(_)) {
                *slot = hir::FactValue::Record(IndexMap::new());
            }
            if let hir::FactValue::Record(inner) = slot {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn lower_fact_value(checker: &mut Checker<'_>, value: &syntax::FactValue) -> hir::FactValue {
    match &value.kind {
        syntax::FactValueKind::Record(entries) => lower_fact_entries(checker, entries),
        syntax::FactValueKind::List(values) => hir::FactValue::List(
            values
                .iter()
                .map(|value| lower_fact_value(checker, value))
                .collect(),
        ),
        syntax::FactValueKind::Date(date) => hir::FactValue::Literal(Literal::Date(*date)),
        syntax::FactValueKind::Eccn(eccn) => hir::FactValue::Literal(Literal::Eccn(eccn.clone())),
        syntax::FactValueKind::Number(number) => hir::FactValue::Literal(Literal::Number(*number)),
        syntax::FactValueKind::String(text) => {
            hir::FactValue::Literal(Literal::String(text.clone()))
        }
        syntax::FactValueKind::Bool(value) => hir::FactValue::Literal(Literal::Bool(*value)),
        syntax::FactValueKind::Null => hir::FactValue::Literal(Literal::Null),
        syntax::FactValueKind::Country(code) => {
            checker.check_country(code, value.span);
            hir::FactValue::Literal(Literal::Country(code.clone()))
        }
        syntax::FactValueKind::Word(word) => hir::FactValue::Word(word.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// Facts written in the language

/// Checks the facts of an example or a test against the facts schema, and a test's expected
/// outcomes against the outcome schema (E0701): unknown fields (with the closest name), values of
/// the wrong kind, whole numbers with fractions, unknown enum values. A test's facts are checked
/// where they are written (its own facts and its `with` changes; the example it starts from is
/// checked as an example), so each mistake is reported once, on the entry that makes it. Unknown
/// country codes are reported by [`lower_fact_value`] (E0104), and expected outcomes that do not
/// exist by the test's own check (E0203).
fn check_written_facts(checker: &mut Checker<'_>, declaration: &DeclarationKind) {
    match declaration {
        DeclarationKind::Example(example) => {
            let Some(facts) = checker.facts() else { return };
            match &example.value.kind {
                syntax::FactValueKind::Record(entries) => check_fact_entries(checker, facts, "", entries),
                _ => checker.error(
                    Diagnostic::new(Code::E0701, example.value.span, format!("example `{}` is not a record of facts", example.name.text))
                        .with_label("not a record")
                        .with_help("write the facts of a transaction: `{ date: 2025-01-15, destination: CN, ... }`"),
                ),
            }
        }
        DeclarationKind::Test(test) => {
            if let Some(facts) = checker.facts() {
                if let syntax::Given::Facts(entries, _) = &test.given {
                    check_fact_entries(checker, facts, "", entries);
                }
                check_fact_entries(checker, facts, "", &test.overrides);
            }
            if let Some(outcome) = checker.outcome() {
                for entry in &test.expect {
                    let key = entry.key.join(".");
                    if let Some(field) = outcome.field(&key) {
                        check_fact_value(checker, &field.ty, &key, &entry.value);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Checks entries (keys may be dotted: `item.tpp`) against a record of the schema.
/// `prefix` is the path of the record in the facts (`item`), empty at the root.
fn check_fact_entries(
    checker: &mut Checker<'_>,
    record: &hir::Record,
    prefix: &str,
    entries: &[syntax::FactEntry],
) {
    let types = checker.types;
    for entry in entries {
        let mut current = record;
        for (index, segment) in entry.key.iter().enumerate() {
            let path = match prefix {
                "" => entry.key[..=index].join("."),
                prefix => format!("{prefix}.{}", entry.key[..=index].join(".")),
            };
            let Some(field) = current.field(segment) else {
                let subject = if current.name == "facts" {
                    "the facts have".to_string()
                } else {
                    format!("`{}` has", current.name)
                };
                let mut diagnostic = Diagnostic::new(
                    Code::E0701,
                    entry.key_span,
                    format!("{subject} no field `{segment}`"),
                )
                .with_label("not in the facts schema");
                diagnostic = diagnostic.with_suggestion(did_you_mean(
                    segment,
                    current.fields.iter().map(|field| field.name.as_str()),
                ));
                checker.error(diagnostic);
                break;
            };
            if index + 1 == entry.key.len() {
                check_fact_value(checker, &field.ty, &path, &entry.value);
                if let (Some((least, allowed)), syntax::FactValueKind::Number(number)) =
                    (field.minimum, &entry.value.kind)
                    && (*number < least || (*number == least && !allowed))
                {
                    let bound = if allowed { "at least" } else { "more than" };
                    checker.error(
                        Diagnostic::new(
                            Code::E0701,
                            entry.value.span,
                            format!(
                                "`{path}` must be {bound} {}, this is {number}",
                                least.normalize()
                            ),
                        )
                        .with_label("below the least value"),
                    );
                }
                break;
            }
            match &field.ty {
                Type::Record(name) if types.records.contains_key(name) => {
                    current = &types.records[name]
                }
                Type::Unknown => break,
                other => {
                    checker.error(
                        Diagnostic::new(
                            Code::E0701,
                            entry.key_span,
                            format!("`{path}` is {other}, it has no fields"),
                        )
                        .with_label("no fields here"),
                    );
                    break;
                }
            }
        }
    }
}

/// Checks one written value against the type of the field it is given for.
fn check_fact_value(checker: &mut Checker<'_>, ty: &Type, path: &str, value: &syntax::FactValue) {
    use syntax::FactValueKind as Value;
    let types = checker.types;
    let fits = match (strip_optional(ty), &value.kind) {
        (_, Value::Null) | (Type::Unknown, _) => true,
        (Type::Bool, Value::Bool(_))
        | (Type::Date, Value::Date(_))
        | (Type::Country, Value::Country(_))
        | (Type::String, Value::String(_))
        | (Type::Eccn, Value::Eccn(_)) => true,
        (Type::Number { integer, .. }, Value::Number(number)) => {
            if *integer && !number.fract().is_zero() {
                checker.error(
                    Diagnostic::new(
                        Code::E0701,
                        value.span,
                        format!("`{path}` is a whole number, this is {number}"),
                    )
                    .with_label("not a whole number"),
                );
            }
            true
        }
        (Type::Enum(name), Value::Word(word) | Value::Country(word)) => {
            if let Some(enumeration) = types.enums.get(name)
                && !enumeration.variants.contains(word)
            {
                let mut diagnostic = Diagnostic::new(
                    Code::E0701,
                    value.span,
                    format!("`{word}` is not a `{name}` value"),
                )
                .with_label(format!("not a value of `{path}`"));
                diagnostic =
                    match did_you_mean(word, enumeration.variants.iter().map(String::as_str)) {
                        Some(suggestion) => {
                            diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                        }
                        None => diagnostic.with_help(enum_values_help(enumeration)),
                    };
                checker.error(diagnostic);
            }
            true
        }
        (Type::Record(name), Value::Record(entries)) => {
            if let Some(record) = types.records.get(name) {
                check_fact_entries(checker, record, path, entries);
            }
            true
        }
        (Type::Set(element) | Type::List(element), Value::List(values)) => {
            for (index, element_value) in values.iter().enumerate() {
                check_fact_value(checker, element, &format!("{path}[{index}]"), element_value);
            }
            true
        }
        _ => false,
    };
    if !fits {
        let found = match &value.kind {
            Value::Record(_) => "a record".to_string(),
            Value::List(_) => "a list".to_string(),
            Value::Date(_) => "a date".to_string(),
            Value::Eccn(_) => "an ECCN".to_string(),
            Value::Number(_) => "a number".to_string(),
            Value::String(_) => "a text".to_string(),
            Value::Bool(_) => "a yes/no value".to_string(),
            Value::Null => "nothing".to_string(),
            Value::Country(_) => "a country".to_string(),
            Value::Word(word) => format!("the word `{word}`"),
        };
        let mut diagnostic = Diagnostic::new(
            Code::E0701,
            value.span,
            format!("`{path}` takes {ty}, this is {found}"),
        )
        .with_label("wrong kind of value");
        if let (Type::Country, Value::Word(_) | Value::String(_)) =
            (strip_optional(ty), &value.kind)
        {
            diagnostic =
                diagnostic.with_help("write the ISO 3166-1 alpha-2 code, such as `CN` or `IN`");
        }
        checker.error(diagnostic);
    }
}

// ---------------------------------------------------------------------------------------------
// A whole version

/// The declarations of a version in the order they are checked: the schemas, manifest and
/// imports, the named declarations, the tests, and the removals (which need citations too).
fn version_entries<'v, 'db>(
    index: &'v db::VersionIndex<'db>,
) -> impl Iterator<Item = &'v db::Entry<'db>> {
    let removals = index
        .amendments
        .iter()
        .filter(|entry| entry.kind == EntryKind::Remove);
    index
        .unnamed
        .iter()
        .chain(index.names.values())
        .chain(index.tests.iter())
        .chain(removals)
}

/// Every diagnostic of a version, located in its files: syntax, structure, each declaration's
/// own, tests' examples, and the checks across rules. This does not build the checked version, so
/// that an edit re-checks quickly.
pub fn version_diagnostics(db: &dyn Db, version: VersionKey<'_>) -> Vec<LocatedDiagnostic> {
    let index = db::version_index(db, version);
    let mut diagnostics: Vec<LocatedDiagnostic> = Vec::new();
    for file in &index.files {
        diagnostics.extend(db::syntax_diagnostics(db, *file));
    }
    structure_diagnostics(db, version, &mut diagnostics);
    let mut examples: Vec<&str> = Vec::new();
    let mut tests = Vec::new();
    for entry in version_entries(index) {
        let checked = db::check_declaration(db, CheckKey::new(db, version, entry.declaration));
        for diagnostic in &checked.diagnostics {
            diagnostics.push(db::locate(db, entry.declaration, diagnostic.clone()));
        }
        match &checked.item {
            Some(Item::Example(example)) if entry.kind != EntryKind::Remove => {
                examples.push(example.name.as_str());
            }
            Some(Item::Test(test)) if entry.kind != EntryKind::Remove => {
                tests.push((entry.declaration, test))
            }
            _ => {}
        }
    }
    for (key, test) in tests {
        if let Some((example, span)) = &test.example
            && !examples.contains(&example.as_str())
        {
            let mut diagnostic =
                Diagnostic::new(Code::E0101, *span, format!("unknown example `{example}`"))
                    .with_label("no such example");
            diagnostic =
                diagnostic.with_suggestion(did_you_mean(example, examples.iter().copied()));
            diagnostics.push(db::locate(db, key, diagnostic));
        }
    }
    diagnostics.extend(db::rule_analysis(db, version).diagnostics.iter().cloned());
    diagnostics
}

pub fn check_version(db: &dyn Db, version: VersionKey<'_>) -> db::CheckedVersion {
    let index = db::version_index(db, version);
    let types = db::version_types(db, version);
    let mut hir_version = hir::Version {
        manifest: hir::Manifest {
            id: index.id.clone(),
            policy: String::new(),
            title: None,
            source: None,
            amends: None,
            in_force: hir::InForce::Never,
        },
        facts: types
            .facts
            .as_ref()
            .map(|(record, _)| record.clone())
            .unwrap_or_default(),
        outcome: types
            .outcome
            .as_ref()
            .map(|(record, _)| record.clone())
            .unwrap_or_default(),
        records: types.records.clone(),
        enums: types.enums.clone(),
        units: types.units.clone(),
        consts: IndexMap::new(),
        tables: IndexMap::new(),
        defines: IndexMap::new(),
        groups: IndexMap::new(),
        aliases: IndexMap::new(),
        rules: Vec::new(),
        examples: IndexMap::new(),
        tests: Vec::new(),
        sources: Vec::new(),
    };
    let mut tests = Vec::new();
    for entry in version_entries(index) {
        if entry.kind == EntryKind::Remove {
            continue;
        }
        let checked = db::check_declaration(db, CheckKey::new(db, version, entry.declaration));
        let name = entry.declaration.name(db).clone();
        match &checked.item {
            Some(Item::Const(item)) => {
                hir_version.consts.insert(name, item.clone());
            }
            Some(Item::Table(item)) => {
                hir_version.tables.insert(name, item.clone());
            }
            Some(Item::Define(item)) => {
                hir_version.defines.insert(name, item.clone());
            }
            Some(Item::Group(item)) => {
                hir_version.groups.insert(name, item.clone());
            }
            Some(Item::Alias(item)) => {
                hir_version.aliases.insert(name, item.clone());
            }
            Some(Item::Rule(item)) => {
                hir_version.rules.push(item.clone());
            }
            Some(Item::Example(item)) => {
                hir_version.examples.insert(name, item.clone());
            }
            Some(Item::Test(item)) => tests.push((entry.declaration, item.clone())),
            Some(Item::Manifest(manifest))
                if entry.own || hir_version.manifest.policy.is_empty() =>
            {
                hir_version.manifest = manifest.clone();
            }
            Some(Item::Manifest(_)) | None => {}
        }
    }
    // Sources, for the content hash: the version's files and its bases', in path order.
    let mut chain = Some(version);
    while let Some(current) = chain {
        for file in db::version_files(db, current) {
            hir_version
                .sources
                .push((file.path(db).clone(), file.text(db).clone()));
        }
        chain = db::version_base(db, current);
    }
    hir_version.sources.sort();

    // Tests with their example's facts and their changes merged (an unknown example is reported
    // by `version_diagnostics`).
    for (key, test) in tests {
        let mut facts = test.facts.clone();
        if let Some((example, _)) = &test.example
            && let Some(found) = hir_version.examples.get(example)
        {
            facts = found.facts.clone();
        }
        if let hir::FactValue::Record(record) = &mut facts {
            for (path, value, _) in &test.overrides {
                insert_path(record, path, value.clone());
            }
        }
        let offset = db::declaration_offset(db, key);
        let file = key.file(db);
        let line = file.text(db)[..(offset as usize).min(file.text(db).len())]
            .matches('\n')
            .count()
            + 1;
        hir_version.tests.push(hir::Test {
            name: test.name.clone(),
            facts,
            expect: test.expect.clone(),
            location: (file.path(db).clone(), line),
        });
    }

    // The rules in evaluation order, each with its window narrowed by what it reads.
    let analysis = db::rule_analysis(db, version);
    let mut rules: BTreeMap<String, hir::Rule> = std::mem::take(&mut hir_version.rules)
        .into_iter()
        .map(|rule| (rule.name.clone(), rule))
        .collect();
    for (name, window) in &analysis.order {
        if let Some(mut rule) = rules.remove(name) {
            rule.window = *window;
            hir_version.rules.push(rule);
        }
    }
    db::CheckedVersion {
        version: Arc::new(hir_version),
        diagnostics: db::version_diagnostics(db, version).clone(),
    }
}

/// Duplicates, amendments, imports and the manifest.
fn structure_diagnostics(
    db: &dyn Db,
    version: VersionKey<'_>,
    diagnostics: &mut Vec<LocatedDiagnostic>,
) {
    let index = db::version_index(db, version);
    let base_index = index.base.map(|base| db::version_index(db, base));
    let mut first_seen: BTreeMap<String, (String, Span)> = BTreeMap::new();
    let mut manifests = 0;
    for file in &index.files {
        for declaration in &db::parse_file(db, *file).declarations {
            let crate::parse::ParsedChunk::Declaration(parsed) = &declaration.parsed else {
                continue;
            };
            let at = |span: Span, diagnostic: Diagnostic| LocatedDiagnostic {
                path: file.path(db).clone(),
                diagnostic: Diagnostic { span, ..diagnostic }.shifted(declaration.offset),
            };
            match &parsed.kind {
                DeclarationKind::Version(manifest) => {
                    manifests += 1;
                    diagnostics.extend(
                        version_clashes(db, version, manifest)
                            .into_iter()
                            .map(|diagnostic| at(diagnostic.span, diagnostic)),
                    );
                    if let Some(amends) = &manifest.amends
                        && index.base.is_none()
                    {
                        let known: Vec<String> = db::workspace_versions(db, version.workspace(db))
                            .iter()
                            .map(|candidate| db::version_id(db, *candidate).0.clone())
                            .filter(|id| *id != index.id)
                            .collect();
                        let mut diagnostic = Diagnostic::new(
                            Code::E0403,
                            amends.span,
                            format!("version `{}` amends `{}`, which is not a version here (or amends it in a circle)", manifest.id.text, amends.text),
                        )
                        .with_label("unknown version");
                        diagnostic =
                            match did_you_mean(&amends.text, known.iter().map(String::as_str)) {
                                Some(suggestion) => {
                                    diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                                }
                                None if known.is_empty() => diagnostic
                                    .with_help("check the whole policy directory, not one version"),
                                None => diagnostic
                                    .with_help(format!("the versions are {}", known.join(", "))),
                            };
                        diagnostics.push(at(amends.span, diagnostic));
                    }
                }
                DeclarationKind::Import(modules) => {
                    for module in modules {
                        if !index.imports.contains_key(&module.text) {
                            let mut diagnostic = Diagnostic::new(
                                Code::E0105,
                                module.span,
                                format!("there is no module `{}` in this version", module.text),
                            )
                            .with_label("unknown module");
                            diagnostic = diagnostic.with_suggestion(did_you_mean(
                                &module.text,
                                index.imports.keys().map(String::as_str),
                            ));
                            diagnostics.push(at(module.span, diagnostic));
                        }
                    }
                }
                _ => {}
            }
            let Some(name) = parsed.name() else { continue };
            let inherited = base_index
                .as_ref()
                .and_then(|base| base.names.get(&name.text));
            match &parsed.kind {
                DeclarationKind::Replace(_) | DeclarationKind::Remove(_) if inherited.is_none() => {
                    let verb = if matches!(parsed.kind, DeclarationKind::Remove(_)) {
                        "remove"
                    } else {
                        "replace"
                    };
                    let why = match &index.base {
                        Some(base) => format!(
                            "version `{}` has no provision of that name",
                            db::version_id(db, *base).0
                        ),
                        None => "this version amends no other version".to_string(),
                    };
                    let mut diagnostic = Diagnostic::new(
                        Code::E0401,
                        name.span,
                        format!("cannot {verb} `{}`: {why}", name.text),
                    )
                    .with_label(format!("nothing to {verb}"));
                    if let Some(base) = &base_index
                        && let Some(suggestion) =
                            did_you_mean(&name.text, base.names.keys().map(String::as_str))
                    {
                        diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                    }
                    diagnostics.push(at(name.span, diagnostic));
                }
                DeclarationKind::Test(_)
                | DeclarationKind::Replace(_)
                | DeclarationKind::Remove(_) => {}
                _ if inherited.is_some() => {
                    diagnostics.push(at(
                        name.span,
                        Diagnostic::new(
                            Code::E0402,
                            name.span,
                            format!(
                                "`{}` is already a provision of the amended version",
                                name.text
                            ),
                        )
                        .with_label("declared again")
                        .with_help(format!(
                            "write `replace {} {} ...` to amend it, or choose another name",
                            parsed.keyword(),
                            name.text
                        )),
                    ));
                }
                _ => {}
            }
            let absolute = name.span.shifted(declaration.offset);
            match first_seen.get(&name.text) {
                Some((path, first)) if !matches!(parsed.kind, DeclarationKind::Remove(_)) => {
                    diagnostics.push(LocatedDiagnostic {
                        path: file.path(db).clone(),
                        diagnostic: Diagnostic::new(
                            Code::E0103,
                            absolute,
                            format!("`{}` is declared twice", name.text),
                        )
                        .with_label("second declaration")
                        .with_related(path, *first, "first declared here")
                        .with_help("names are unique across a version; rename one of them"),
                    });
                }
                Some(_) => {}
                None => {
                    first_seen.insert(name.text.clone(), (file.path(db).clone(), absolute));
                }
            }
        }
    }
    let in_policy = db::workspace_versions(db, version.workspace(db)).len() > 1;
    if manifests == 0 && in_policy {
        diagnostics.extend(db::version_level(
            db,
            version,
            Code::E0403,
            format!(
                "version directory `{}` has no version manifest",
                version.dir(db)
            ),
        ));
    }
}

/// Another version of the policy with the same id, or in force on a day this one is: which one
/// decides a transaction of that day would depend on the order of directory names. Spans are
/// relative to the manifest.
fn version_clashes(
    db: &dyn Db,
    version: VersionKey<'_>,
    manifest: &syntax::VersionManifest,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let window = |manifest: &syntax::VersionManifest| match &manifest.in_force {
        Some(syntax::InForce::Range { from, through }) => {
            Some((*from, through.map(|dated| dated.date)))
        }
        _ => None,
    };
    let shown = |(from, through): (syntax::Dated, Option<Date>)| match through {
        Some(through) => format!("from {} through {through}", from.date),
        None => format!("from {}", from.date),
    };
    for &other in db::workspace_versions(db, version.workspace(db)) {
        if other == version {
            continue;
        }
        let Some((path, offset, theirs)) = db::version_manifest(db, other) else {
            continue;
        };
        if theirs.id.text == manifest.id.text {
            found.push(
                Diagnostic::new(
                    Code::E0403,
                    manifest.id.span,
                    format!(
                        "version `{}` is declared twice: directories `{}` and `{}` both declare it",
                        manifest.id.text,
                        version.dir(db),
                        other.dir(db)
                    ),
                )
                .with_label("declared twice")
                .with_related(&path, theirs.id.span.shifted(offset), "also declared here")
                .with_help("a version's id names one amending rule; give each version its own"),
            );
        }
        let (Some(ours), Some(their_window)) = (window(manifest), window(&theirs)) else {
            continue;
        };
        let start = ours.0.date.max(their_window.0.date);
        let ends_after_start = |end: Option<Date>| end.is_none_or(|end| end >= start);
        if !(ends_after_start(ours.1) && ends_after_start(their_window.1)) {
            continue;
        }
        let (earlier, later) = if ours.0.date <= their_window.0.date {
            (&manifest.id.text, &theirs.id.text)
        } else {
            (&theirs.id.text, &manifest.id.text)
        };
        let later_start = ours.0.date.max(their_window.0.date);
        let help = match later_start.yesterday() {
            Ok(day_before) if ours.0.date != their_window.0.date => format!(
                "close `{earlier}` the day before `{later}` starts: `through {day_before}`"
            ),
            _ => "two versions cannot start on the same day; one of them is in force by pin only (`in_force never`) or starts later".to_string(),
        };
        let span = match &manifest.in_force {
            Some(syntax::InForce::Range { from, through }) => {
                through.map_or(from.span, |through| Span {
                    start: from.span.start,
                    end: through.span.end,
                })
            }
            _ => manifest.id.span,
        };
        found.push(
            Diagnostic::new(
                Code::E0403,
                span,
                format!(
                    "version `{}` (in force {}) and version `{}` (in force {}) are both in force on {start}: which decides would depend on the directories' names",
                    manifest.id.text,
                    shown(ours),
                    theirs.id.text,
                    shown(their_window)
                ),
            )
            .with_label("overlapping window")
            .with_related(&path, theirs.id.span.shifted(offset), format!("`{}` is in force then too", theirs.id.text))
            .with_help(help),
        );
    }
    found
}

/// When a rule can apply: from, through (both inclusive, either open).
pub type Window = (Option<Date>, Option<Date>);

/// What the checks across the rules of a version decide: the order in which the rules are
/// evaluated, each rule's window narrowed by the dated provisions it reads, and the diagnostics of
/// priorities, conflicts, circles and unreachable rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleAnalysis {
    /// Rule names in evaluation order (a rule after the rules whose outcomes it reads), each with
    /// its narrowed window.
    pub order: Vec<(String, Window)>,
    pub diagnostics: Vec<LocatedDiagnostic>,
}

/// The checks across the rules of a version. It reads the checked declarations without copying
/// them.
pub fn rule_analysis(db: &dyn Db, version: VersionKey<'_>) -> RuleAnalysis {
    let index = db::version_index(db, version);
    let types = db::version_types(db, version);
    let mut keys: BTreeMap<&str, DeclarationKey<'_>> = BTreeMap::new();
    let mut reads: BTreeMap<&str, (&BTreeSet<String>, &BTreeSet<String>)> = BTreeMap::new();
    let mut defines: IndexMap<&str, &hir::Define> = IndexMap::new();
    let mut rules: Vec<&hir::Rule> = Vec::new();
    for entry in version_entries(index) {
        if entry.kind == EntryKind::Remove {
            continue;
        }
        let checked = db::check_declaration(db, CheckKey::new(db, version, entry.declaration));
        let name = entry.declaration.name(db).as_str();
        if !name.starts_with('#') {
            keys.insert(name, entry.declaration);
        }
        reads.insert(name, (&checked.reads, &checked.reads_outcomes));
        match &checked.item {
            Some(Item::Define(define)) => {
                defines.insert(name, define);
            }
            Some(Item::Rule(rule)) => rules.push(rule),
            _ => {}
        }
    }
    analyse_rules(db, &rules, &defines, &keys, &reads, types)
}

/// Priorities, conflicts, circles and unreachable rules; the evaluation order and the windows.
fn analyse_rules(
    db: &dyn Db,
    rules_as_written: &[&hir::Rule],
    defines: &IndexMap<&str, &hir::Define>,
    keys: &BTreeMap<&str, DeclarationKey<'_>>,
    reads: &BTreeMap<&str, (&BTreeSet<String>, &BTreeSet<String>)>,
    types: &VersionTypes,
) -> RuleAnalysis {
    let mut diagnostics: Vec<LocatedDiagnostic> = Vec::new();
    let diagnostics = &mut diagnostics;
    let rule_names: BTreeSet<&str> = rules_as_written
        .iter()
        .map(|rule| rule.name.as_str())
        .collect();
    let locate_rule = |name: &str, diagnostic: Diagnostic| -> Option<LocatedDiagnostic> {
        let key = keys.get(name)?;
        let span = match db::declaration_syntax(db, *key) {
            Some(declaration) => declaration.name().map_or(Span::default(), |name| name.span),
            None => Span::default(),
        };
        Some(db::locate(db, *key, Diagnostic { span, ..diagnostic }))
    };
    // Priority references must name rules.
    for rule in rules_as_written {
        for (clause, names) in [
            ("unless", &rule.unless),
            ("notwithstanding", &rule.notwithstanding),
        ] {
            for name in names {
                // A rule that does not parse is known by name; its syntax error is enough.
                let broken = types
                    .names
                    .get(name)
                    .is_some_and(|info| info.kind == EntryKind::Broken);
                if !rule_names.contains(name.as_str()) && !broken {
                    let mut diagnostic = Diagnostic::new(
                        Code::E0101,
                        Span::default(),
                        format!(
                            "`{clause} {name}` in rule `{}` names no rule of this version",
                            rule.name
                        ),
                    )
                    .with_label("unknown rule");
                    diagnostic =
                        diagnostic.with_suggestion(did_you_mean(name, rule_names.iter().copied()));
                    // Point at the name in the clause where the syntax has it; else at the rule.
                    let written = keys.get(rule.name.as_str()).and_then(|key| {
                        let declaration = db::declaration_syntax(db, *key).as_ref()?;
                        let (DeclarationKind::Provision(provision)
                        | DeclarationKind::Replace(provision)) = &declaration.kind
                        else {
                            return None;
                        };
                        let ProvisionKind::Rule(syntax_rule) = &provision.kind else {
                            return None;
                        };
                        let clause_names = if clause == "unless" {
                            &syntax_rule.unless
                        } else {
                            &syntax_rule.notwithstanding
                        };
                        let span = clause_names
                            .iter()
                            .find(|written| written.text == *name)?
                            .span;
                        Some(db::locate(
                            db,
                            *key,
                            Diagnostic {
                                span,
                                ..diagnostic.clone()
                            },
                        ))
                    });
                    match written {
                        Some(located) => diagnostics.push(located),
                        None => diagnostics.extend(locate_rule(&rule.name, diagnostic)),
                    }
                }
            }
        }
    }
    // The transitive reads of each rule and definition, through definitions, computed once.
    let define_reads = |name: &str| -> (BTreeSet<String>, BTreeSet<String>) {
        let mut names = BTreeSet::new();
        let mut outcomes = BTreeSet::new();
        let mut stack = vec![name];
        let mut visited = BTreeSet::new();
        while let Some(current) = stack.pop() {
            if !visited.insert(current) {
                continue;
            }
            if let Some((direct, direct_outcomes)) = reads.get(current) {
                outcomes.extend(direct_outcomes.iter().cloned());
                for read in direct.iter() {
                    names.insert(read.clone());
                    if defines.contains_key(read.as_str()) {
                        stack.push(read);
                    }
                }
            }
        }
        (names, outcomes)
    };
    // Circles among provisions that are not rules (definitions, constants, groups, tables): each
    // member of a circle is told the whole path.
    let rule_names: BTreeSet<&str> = rules_as_written
        .iter()
        .map(|rule| rule.name.as_str())
        .collect();
    for circle in provision_circles(reads, &rule_names) {
        for (position, name) in circle.iter().enumerate() {
            let path: Vec<&str> = circle[position..]
                .iter()
                .chain(&circle[..position])
                .chain(std::iter::once(name))
                .copied()
                .collect();
            diagnostics.extend(locate_rule(
                name,
                Diagnostic::new(
                    Code::E0303,
                    Span::default(),
                    format!("`{name}` refers to itself: {}", path.join(" -> ")),
                )
                .with_label("circular reference")
                .with_help(
                    "a provision must be computable from facts and other provisions; break the circle",
                ),
            ));
        }
    }
    let rule_reads: Vec<(BTreeSet<String>, BTreeSet<String>)> = rules_as_written
        .iter()
        .map(|rule| define_reads(&rule.name))
        .collect();
    // A rule that reads an outcome it concludes: whether it applies would depend on itself.
    for (rule, (_, outcomes)) in rules_as_written.iter().zip(&rule_reads) {
        let concluded: BTreeSet<&str> = rule.then.iter().map(|c| c.field.as_str()).collect();
        if let Some(field) = outcomes
            .iter()
            .find(|field| concluded.contains(field.as_str()))
        {
            diagnostics.extend(locate_rule(
                &rule.name,
                Diagnostic::new(
                    Code::E0303,
                    Span::default(),
                    format!(
                        "rule `{}` reads `{field}`, which it concludes: whether it applies would depend on itself",
                        rule.name
                    ),
                )
                .with_label("reads its own conclusion")
                .with_help(format!(
                    "state the condition without `{field}`, or conclude it in another rule that this one does not read"
                )),
            ));
        }
    }
    // Narrow each rule's window by the windows of the dated provisions it reads.
    let mut windows: Vec<(Option<Date>, Option<Date>)> =
        rules_as_written.iter().map(|rule| rule.window).collect();
    for (window, (names, _)) in windows.iter_mut().zip(&rule_reads) {
        for name in names {
            if let Some(info) = types.names.get(name) {
                if let Some(from) = info.window.0 {
                    window.0 = Some(window.0.map_or(from, |own| own.max(from)));
                }
                if let Some(to) = info.window.1 {
                    window.1 = Some(window.1.map_or(to, |own| own.min(to)));
                }
            }
        }
    }
    // Evaluation order: a rule comes after the rules concluding outcomes it reads and after the
    // rules it names in `unless`. Rules are handled by their index in `rules_as_written`; the rules a
    // rule depends on are visited in the order of their names.
    let index_of: BTreeMap<&str, usize> = rules_as_written
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.name.as_str(), index))
        .collect();
    let mut concluders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, rule) in rules_as_written.iter().enumerate() {
        for conclusion in &rule.then {
            concluders
                .entry(conclusion.field.as_str())
                .or_default()
                .push(index);
        }
    }
    // Each rule's place in the order of names, to sort by name without comparing names.
    let mut by_name: Vec<usize> = (0..rules_as_written.len()).collect();
    by_name.sort_by(|a, b| rules_as_written[*a].name.cmp(&rules_as_written[*b].name));
    let mut name_rank = vec![0; rules_as_written.len()];
    for (rank, rule) in by_name.into_iter().enumerate() {
        name_rank[rule] = rank;
    }
    for list in concluders.values_mut() {
        list.sort_unstable_by_key(|rule| name_rank[*rule]);
        list.dedup();
    }
    // Most rules read one outcome and name no rule in `unless`: their dependencies are the
    // concluders of that outcome, already in order, and are not copied.
    let dependencies: Vec<std::borrow::Cow<'_, [usize]>> = rules_as_written
        .iter()
        .zip(&rule_reads)
        .map(|(rule, (_, outcomes))| {
            let unless: Vec<usize> = rule
                .unless
                .iter()
                .filter_map(|name| index_of.get(name.as_str()).copied())
                .collect();
            let lists: Vec<&Vec<usize>> = outcomes
                .iter()
                .filter_map(|field| concluders.get(field.as_str()))
                .collect();
            match (lists.as_slice(), unless.is_empty()) {
                ([], true) => std::borrow::Cow::Borrowed(&[][..]),
                ([single], true) => std::borrow::Cow::Borrowed(single.as_slice()),
                _ => {
                    let mut before: Vec<usize> =
                        lists.into_iter().flatten().copied().chain(unless).collect();
                    before.sort_unstable_by_key(|rule| name_rank[*rule]);
                    before.dedup();
                    std::borrow::Cow::Owned(before)
                }
            }
        })
        .collect();
    /// Depth-first, dependencies first; `state` is 0 (not seen), 1 (on the path) or 2 (done).
    fn visit(
        rule: usize,
        dependencies: &[std::borrow::Cow<'_, [usize]>],
        state: &mut [u8],
        ordered: &mut Vec<usize>,
        path: &mut Vec<usize>,
        circles: &mut Vec<Vec<usize>>,
    ) {
        match state[rule] {
            2 => return,
            1 => {
                let start = path.iter().position(|entry| *entry == rule).unwrap_or(0);
                circles.push(path[start..].to_vec());
                return;
            }
            _ => {}
        }
        state[rule] = 1;
        path.push(rule);
        for dependency in dependencies[rule].iter() {
            if *dependency != rule {
                visit(*dependency, dependencies, state, ordered, path, circles);
            }
        }
        path.pop();
        state[rule] = 2;
        ordered.push(rule);
    }
    let mut ordered: Vec<usize> = Vec::new();
    let mut state = vec![0u8; rules_as_written.len()];
    let mut circles: Vec<Vec<usize>> = Vec::new();
    for rule in 0..rules_as_written.len() {
        visit(
            rule,
            &dependencies,
            &mut state,
            &mut ordered,
            &mut Vec::new(),
            &mut circles,
        );
    }
    for circle in circles {
        let names: Vec<&str> = circle
            .iter()
            .map(|index| rules_as_written[*index].name.as_str())
            .collect();
        if let Some(first) = names.first() {
            diagnostics.extend(locate_rule(
                first,
                Diagnostic::new(
                    Code::E0303,
                    Span::default(),
                    format!(
                        "rules depend on each other in a circle: {} -> {first}",
                        names.join(" -> ")
                    ),
                )
                .with_label("circular dependency")
                .with_help(
                    "a rule reads outcomes that the rules it depends on conclude; break the circle",
                ),
            ));
        }
    }
    let mut position = vec![usize::MAX; rules_as_written.len()];
    for (place, rule) in ordered.iter().enumerate() {
        position[*rule] = place;
    }
    let mut in_order: Vec<usize> = (0..rules_as_written.len()).collect();
    in_order.sort_by_key(|index| position[*index]);
    let rules: Vec<&hir::Rule> = in_order
        .iter()
        .map(|index| rules_as_written[*index])
        .collect();
    let windows: Vec<(Option<Date>, Option<Date>)> =
        in_order.iter().map(|index| windows[*index]).collect();
    let rules = &rules;
    let index_of: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.name.as_str(), index))
        .collect();

    // Priority: `a unless b` and `b notwithstanding a` both mean b prevails over a. Names that are
    // not rules take part too (they are reported above), so that the closure is the one written.
    let mut nodes: BTreeMap<&str, usize> = index_of.clone();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); rules.len()];
    fn node<'n>(
        name: &'n str,
        nodes: &mut BTreeMap<&'n str, usize>,
        edges: &mut Vec<Vec<usize>>,
    ) -> usize {
        let next = nodes.len();
        let id = *nodes.entry(name).or_insert(next);
        if id == edges.len() {
            edges.push(Vec::new());
        }
        id
    }
    for rule in rules {
        for defeater in &rule.unless {
            let from = node(defeater, &mut nodes, &mut edges);
            let to = node(&rule.name, &mut nodes, &mut edges);
            edges[from].push(to);
        }
        for defeated in &rule.notwithstanding {
            let from = node(&rule.name, &mut nodes, &mut edges);
            let to = node(defeated, &mut nodes, &mut edges);
            edges[from].push(to);
        }
    }
    // For each rule, the nodes it prevails over through one or more steps.
    let words = edges.len().div_ceil(64);
    let prevails_over: Vec<Vec<u64>> = (0..rules.len())
        .map(|start| {
            let mut seen = vec![0u64; words];
            let mut stack: Vec<usize> = edges[start].clone();
            while let Some(current) = stack.pop() {
                if seen[current / 64] & (1 << (current % 64)) != 0 {
                    continue;
                }
                seen[current / 64] |= 1 << (current % 64);
                stack.extend(edges[current].iter().copied());
            }
            seen
        })
        .collect();
    let reaches = |from: usize, to: usize| prevails_over[from][to / 64] & (1 << (to % 64)) != 0;
    for (index, rule) in rules.iter().enumerate() {
        if reaches(index, index) {
            diagnostics.extend(locate_rule(
                &rule.name,
                Diagnostic::new(
                    Code::E0303,
                    Span::default(),
                    format!(
                        "rule `{}` prevails over itself through `unless` and `notwithstanding`",
                        rule.name
                    ),
                )
                .with_label("circular priority")
                .with_help("priorities must not go round in a circle; decide which rule prevails"),
            ));
        }
    }
    // Conflicts: different values for one single-valued outcome, no priority, conditions that can
    // hold together. Two conditions can hold together when neither contradicts itself and no
    // part of one contradicts a part of the other.
    let expanded: Vec<Vec<Atom>> = rules
        .iter()
        .map(|rule| conjuncts(rule.when.as_ref(), defines))
        .collect();
    // The same parts with fact paths and groups numbered, so that the comparisons of the pairs
    // below compare numbers.
    let mut paths: std::collections::HashMap<&[String], usize> = std::collections::HashMap::new();
    let mut groups: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let parts: Vec<Vec<Part<'_>>> = expanded
        .iter()
        .map(|atoms| {
            atoms
                .iter()
                .map(|atom| match atom {
                    Atom::Compare(path, op, value) => {
                        let next = paths.len();
                        Part::Compare(*paths.entry(path).or_insert(next), *op, value)
                    }
                    Atom::Member(path, group, is_in) => {
                        let next = paths.len();
                        let path = *paths.entry(path).or_insert(next);
                        let next = groups.len();
                        Part::Member(path, *groups.entry(group).or_insert(next), *is_in)
                    }
                    Atom::Other(expr, negated) => Part::Other(expr, *negated),
                })
                .collect()
        })
        .collect();
    let self_contradictory: Vec<bool> = parts.iter().map(|parts| contradictory(parts)).collect();
    // For each single-valued outcome: the rules concluding it, where, and the value if literal.
    type Concluding = Vec<(usize, usize, Option<Literal>)>;
    let mut single_valued: BTreeMap<&str, Concluding> = BTreeMap::new();
    for (index, rule) in rules.iter().enumerate() {
        for (place, conclusion) in rule
            .then
            .iter()
            .enumerate()
            .filter(|(_, conclusion)| !conclusion.add)
        {
            single_valued
                .entry(conclusion.field.as_str())
                .or_default()
                .push((index, place, literal_of(&conclusion.value)));
        }
    }
    // An outcome that takes the most restrictive value has no conflicts: its order decides.
    if let Some((outcome, _)) = &types.outcome {
        for field in outcome
            .fields
            .iter()
            .filter(|f| f.most_restrictive.is_some())
        {
            single_valued.remove(field.name.as_str());
        }
    }
    let mut conflicts: Vec<(usize, usize, usize, usize)> = Vec::new();
    for concluding in single_valued.values() {
        for (a, b) in candidate_pairs(concluding.iter().map(|(rule, _, _)| *rule), &parts) {
            let (first, first_place, first_value) = &concluding[a];
            let (second, second_place, second_value) = &concluding[b];
            let (first, second) = (*first, *second);
            if first == second
                || (first_value.is_some() && first_value == second_value)
                || reaches(first, second)
                || reaches(second, first)
                || windows_disjoint(windows[first], windows[second])
                || self_contradictory[first]
                || self_contradictory[second]
                || parts[first]
                    .iter()
                    .any(|a| parts[second].iter().any(|b| parts_clash(a, b)))
            {
                continue;
            }
            conflicts.push((first, second, *first_place, *second_place));
        }
    }
    // In the order of the rules, then of their conclusions.
    conflicts.sort_unstable();
    for (first, second, first_place, _) in conflicts {
        let (first, second) = (&rules[first], &rules[second]);
        let field = &first.then[first_place].field;
        let mut diagnostic = Diagnostic::new(
            Code::E0302,
            Span::default(),
            format!(
                "rules `{}` and `{}` can both apply and conclude different values for `{}`, with no priority between them",
                first.name, second.name, field
            ),
        )
        .with_label("conflicting conclusion")
        .with_help(format!(
            "say which prevails: `notwithstanding {}` on `{}`, or `unless {}` on `{}`",
            first.name, second.name, second.name, first.name
        ));
        if let Some(key) = keys.get(first.name.as_str()) {
            let other = db::locate(db, *key, Diagnostic::new(Code::E0302, Span::default(), ""));
            let span = db::declaration_syntax(db, *key)
                .as_ref()
                .and_then(|declaration| declaration.name().map(|name| name.span))
                .unwrap_or_default()
                .shifted(other.diagnostic.span.start);
            diagnostic = diagnostic.with_related(
                &other.path,
                span,
                format!("`{}` concludes here", first.name),
            );
        }
        diagnostics.extend(locate_rule(&second.name, diagnostic));
    }
    // Unreachable rules.
    for (index, rule) in rules.iter().enumerate() {
        // A rule whose own dates are reversed is already reported (E0501).
        let own_dates_reversed = matches!((rule.provenance.effective, rule.provenance.through), (Some(from), Some(to)) if to < from);
        let reason = if let (Some(from), Some(to)) = windows[index]
            && to < from
            && !own_dates_reversed
        {
            Some(format!(
                "it can only apply from {from} through {to}, and that window (narrowed by the dated provisions it reads) is empty"
            ))
        } else if matches!(rule.when, Some(hir::Expr::Literal(Literal::Bool(false)))) {
            Some("its condition is `false`".to_string())
        } else if self_contradictory[index] {
            Some("its condition contradicts itself".to_string())
        } else if rule.unless.iter().any(|name| {
            index_of.get(name.as_str()).is_some_and(|other| {
                let window = windows[*other];
                let other = &rules[*other];
                other.when.is_none() && window == (None, None) && other.unless.is_empty()
            })
        }) {
            Some("a rule it names in `unless` always applies".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            diagnostics.extend(locate_rule(
                &rule.name,
                Diagnostic::new(
                    Code::W0601,
                    Span::default(),
                    format!("rule `{}` can never apply: {reason}", rule.name),
                )
                .with_label("unreachable rule")
                .with_help("check the dates and conditions, or remove the rule"),
            ));
        }
    }
    RuleAnalysis {
        order: rules
            .iter()
            .zip(&windows)
            .map(|(rule, window)| (rule.name.clone(), *window))
            .collect(),
        diagnostics: std::mem::take(diagnostics),
    }
}

/// The circles among provisions that are not rules, through what each reads; each circle once,
/// starting at its first name, in the order of its references.
fn provision_circles<'a>(
    reads: &BTreeMap<&'a str, (&'a BTreeSet<String>, &'a BTreeSet<String>)>,
    rules: &BTreeSet<&str>,
) -> Vec<Vec<&'a str>> {
    let provisions: Vec<&'a str> = reads
        .keys()
        .copied()
        .filter(|name| !rules.contains(name))
        .collect();
    let next = |name: &str| -> Vec<&'a str> {
        reads.get(name).map_or_else(Vec::new, |(direct, _)| {
            direct
                .iter()
                .filter_map(|read| reads.get_key_value(read.as_str()).map(|(key, _)| *key))
                .filter(|read| !rules.contains(read))
                .collect()
        })
    };
    let mut circles: Vec<Vec<&'a str>> = Vec::new();
    let mut seen: BTreeSet<Vec<&'a str>> = BTreeSet::new();
    // Depth first, without recursion: (name, its next index to visit).
    let mut done: BTreeSet<&'a str> = BTreeSet::new();
    for start in provisions {
        if done.contains(start) {
            continue;
        }
        let mut path: Vec<(&'a str, Vec<&'a str>, usize)> = vec![(start, next(start), 0)];
        let mut on_path: BTreeSet<&'a str> = BTreeSet::from([start]);
        while let Some((_, successors, position)) = path.last_mut() {
            let Some(&successor) = successors.get(*position) else {
                if let Some((finished, _, _)) = path.pop() {
                    on_path.remove(finished);
                    done.insert(finished);
                }
                continue;
            };
            *position += 1;
            if on_path.contains(successor) {
                let from = path
                    .iter()
                    .position(|(name, _, _)| *name == successor)
                    .unwrap_or(0);
                let circle: Vec<&'a str> = path[from..].iter().map(|(name, _, _)| *name).collect();
                let mut key = circle.clone();
                key.sort_unstable();
                if seen.insert(key) {
                    circles.push(circle);
                }
            } else if !done.contains(successor) {
                on_path.insert(successor);
                path.push((successor, next(successor), 0));
            }
        }
    }
    circles
}

fn windows_disjoint(a: (Option<Date>, Option<Date>), b: (Option<Date>, Option<Date>)) -> bool {
    let before = |end: Option<Date>, start: Option<Date>| matches!((end, start), (Some(end), Some(start)) if end < start);
    before(a.1, b.0) || before(b.1, a.0)
}

/// One conjunct of a condition, for the contradiction analysis. It borrows from the checked
/// rules and definitions.
#[derive(Clone, Debug, PartialEq)]
enum Atom<'a> {
    /// `fact op literal`, normalised with the fact on the left.
    Compare(&'a [String], BinaryOp, Literal),
    /// `fact in group` (or `not in`).
    Member(&'a [String], &'a str, bool),
    /// Anything else, possibly negated.
    Other(&'a hir::Expr, bool),
}

fn conjuncts<'a>(
    condition: Option<&'a hir::Expr>,
    defines: &IndexMap<&str, &'a hir::Define>,
) -> Vec<Atom<'a>> {
    let mut atoms = Vec::new();
    if let Some(condition) = condition {
        collect_atoms(condition, false, defines, &mut atoms, 0);
    }
    atoms
}

fn collect_atoms<'a>(
    expr: &'a hir::Expr,
    negated: bool,
    defines: &IndexMap<&str, &'a hir::Define>,
    atoms: &mut Vec<Atom<'a>>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match expr {
        hir::Expr::Binary(BinaryOp::And, left, right) if !negated => {
            collect_atoms(left, false, defines, atoms, depth + 1);
            collect_atoms(right, false, defines, atoms, depth + 1);
        }
        hir::Expr::Binary(BinaryOp::Or, left, right) if negated => {
            collect_atoms(left, true, defines, atoms, depth + 1);
            collect_atoms(right, true, defines, atoms, depth + 1);
        }
        hir::Expr::Not(inner) => collect_atoms(inner, !negated, defines, atoms, depth + 1),
        hir::Expr::Define(name) => match defines.get(name.as_str()) {
            Some(define) => collect_atoms(&define.value, negated, defines, atoms, depth + 1),
            None => atoms.push(Atom::Other(expr, negated)),
        },
        hir::Expr::Binary(op, left, right) => {
            let op = if negated { negate(*op) } else { Some(*op) };
            match (op, left.as_ref(), right.as_ref()) {
                (Some(op), hir::Expr::Fact(path), other)
                | (Some(op), other, hir::Expr::Fact(path))
                    if literal_of(other).is_some()
                        && !matches!(op, BinaryOp::In | BinaryOp::NotIn | BinaryOp::Within) =>
                {
                    let op = if matches!(left.as_ref(), hir::Expr::Fact(_)) {
                        op
                    } else {
                        op.swapped()
                    };
                    if let Some(literal) = literal_of(other) {
                        atoms.push(Atom::Compare(path, op, literal));
                    }
                }
                (
                    Some(op @ (BinaryOp::In | BinaryOp::NotIn)),
                    hir::Expr::Fact(path),
                    hir::Expr::Group(group),
                ) => {
                    atoms.push(Atom::Member(path, group, op == BinaryOp::In));
                }
                _ => atoms.push(Atom::Other(expr, negated)),
            }
        }
        other => atoms.push(Atom::Other(other, negated)),
    }
}

fn negate(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Equal => BinaryOp::NotEqual,
        BinaryOp::NotEqual => BinaryOp::Equal,
        BinaryOp::Less => BinaryOp::GreaterOrEqual,
        BinaryOp::LessOrEqual => BinaryOp::Greater,
        BinaryOp::Greater => BinaryOp::LessOrEqual,
        BinaryOp::GreaterOrEqual => BinaryOp::Less,
        BinaryOp::In => BinaryOp::NotIn,
        BinaryOp::NotIn => BinaryOp::In,
        _ => return None,
    })
}

/// Whether a conjunction of parts can never hold: a fact bounded into an empty range, equal to two
/// different values, in and not in one group, or a condition and its negation.
fn contradictory(parts: &[Part<'_>]) -> bool {
    parts
        .iter()
        .enumerate()
        .any(|(index, a)| parts[index + 1..].iter().any(|b| parts_clash(a, b)))
}

/// The pairs `(a, b)`, `a < b`, of positions in a list of rules that can both apply as far as one
/// fact is concerned. Rules pinned to different values of one fact (`program == 3` and
/// `program == 4`) cannot both apply: of the fact the most rules pin, only rules pinned to one
/// value, or not pinned, are paired. The pairs left out are exactly pairs whose conditions clash,
/// so the result of the conflict check is the same as with every pair, in far fewer steps.
fn candidate_pairs(
    rules: impl Iterator<Item = usize>,
    parts: &[Vec<Part<'_>>],
) -> Vec<(usize, usize)> {
    let rules: Vec<usize> = rules.collect();
    let pins = |rule: usize| {
        parts[rule].iter().filter_map(|part| match part {
            Part::Compare(path, BinaryOp::Equal, value) => Some((*path, *value)),
            _ => None,
        })
    };
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for rule in &rules {
        let mut paths: Vec<usize> = pins(*rule).map(|(path, _)| path).collect();
        paths.sort_unstable();
        paths.dedup();
        for path in paths {
            *counts.entry(path).or_default() += 1;
        }
    }
    let all_pairs = |positions: &[usize], pairs: &mut Vec<(usize, usize)>| {
        for (index, a) in positions.iter().enumerate() {
            for b in &positions[index + 1..] {
                pairs.push(((*a).min(*b), (*a).max(*b)));
            }
        }
    };
    let mut pairs = Vec::new();
    let Some(path) = counts
        .iter()
        .max_by_key(|(path, count)| (**count, std::cmp::Reverse(**path)))
        .map(|(path, _)| *path)
    else {
        all_pairs(&(0..rules.len()).collect::<Vec<_>>(), &mut pairs);
        return pairs;
    };
    let mut pinned: BTreeMap<&Literal, Vec<usize>> = BTreeMap::new();
    let mut free: Vec<usize> = Vec::new();
    for (position, rule) in rules.iter().enumerate() {
        match pins(*rule).find(|(pinned_path, _)| *pinned_path == path) {
            Some((_, value)) => pinned.entry(value).or_default().push(position),
            None => free.push(position),
        }
    }
    all_pairs(&free, &mut pairs);
    let groups: Vec<(&Literal, &Vec<usize>)> = pinned
        .iter()
        .map(|(value, positions)| (*value, positions))
        .collect();
    for (index, (value, positions)) in groups.iter().enumerate() {
        all_pairs(positions, &mut pairs);
        for a in positions.iter() {
            for b in &free {
                pairs.push(((*a).min(*b), (*a).max(*b)));
            }
        }
        // Values of different kinds are not known to differ: pair them too.
        for (other_value, other_positions) in &groups[index + 1..] {
            if std::mem::discriminant(*value) != std::mem::discriminant(*other_value) {
                for a in positions.iter() {
                    for b in other_positions.iter() {
                        pairs.push(((*a).min(*b), (*a).max(*b)));
                    }
                }
            }
        }
    }
    pairs
}

/// An [`Atom`] with its fact path and group numbered.
#[derive(Clone, Copy, Debug)]
enum Part<'a> {
    Compare(usize, BinaryOp, &'a Literal),
    Member(usize, usize, bool),
    Other(&'a hir::Expr, bool),
}

/// Whether two parts of a conjunction cannot both hold.
fn parts_clash(a: &Part<'_>, b: &Part<'_>) -> bool {
    match (a, b) {
        (Part::Other(x, x_negated), Part::Other(y, y_negated)) => x_negated != y_negated && x == y,
        (Part::Member(x, group_x, in_x), Part::Member(y, group_y, in_y)) => {
            in_x != in_y && x == y && group_x == group_y
        }
        (Part::Compare(x, op_x, value_x), Part::Compare(y, op_y, value_y)) if x == y => {
            !compatible_bounds(*op_x, value_x, *op_y, value_y)
        }
        _ => false,
    }
}

/// Whether some value satisfies both `v op_a a` and `v op_b b`.
fn compatible_bounds(op_a: BinaryOp, a: &Literal, op_b: BinaryOp, b: &Literal) -> bool {
    let holds = |op: BinaryOp, value: &Literal, bound: &Literal| -> bool {
        op.holds(value.cmp(bound)).unwrap_or(true)
    };
    if std::mem::discriminant(a) != std::mem::discriminant(b) {
        return true;
    }
    // An equality pins the value: check it against the other bound.
    if op_a == BinaryOp::Equal {
        return holds(op_b, a, b);
    }
    if op_b == BinaryOp::Equal {
        return holds(op_a, b, a);
    }
    if op_a == BinaryOp::NotEqual || op_b == BinaryOp::NotEqual {
        return true;
    }
    let lower = |op: BinaryOp| matches!(op, BinaryOp::Greater | BinaryOp::GreaterOrEqual);
    match (lower(op_a), lower(op_b)) {
        (true, true) | (false, false) => true,
        (true, false) => range_nonempty(op_a, a, op_b, b),
        (false, true) => range_nonempty(op_b, b, op_a, a),
    }
}

/// Whether `low_op low` and `high_op high` leave room (`x >= 4800` and `x < 4800` do not).
fn range_nonempty(low_op: BinaryOp, low: &Literal, high_op: BinaryOp, high: &Literal) -> bool {
    match low.cmp(high) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Equal => {
            low_op == BinaryOp::GreaterOrEqual && high_op == BinaryOp::LessOrEqual
        }
        std::cmp::Ordering::Greater => false,
    }
}
