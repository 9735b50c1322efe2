//! What an editor asks of the language: which name is written where, what it denotes, where it is
//! declared and where it is used, across the files and the amended versions of a policy.
//!
//! Positions are byte offsets in a file. Every function here answers for broken or half-typed
//! source (a declaration that does not parse has no names but its own) and for offsets outside
//! the file (nothing is found). This module knows nothing of the editor protocol.

use std::collections::BTreeSet;

use crate::db::{self, Db, DeclarationKey, EntryKind, SourceFile, VersionKey, Workspace};
use crate::parse::ParsedChunk;
use crate::syntax::{
    Declaration, DeclarationKind, Expr, ExprKind, FactEntry, FactValue, FactValueKind,
    FieldDeclaration, Given, GroupExpr, GroupTerm, Name, ProvisionKind, Span, TypeExpr,
    TypeExprKind,
};

/// What a name written in the source is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OccurrenceKind {
    /// The name a declaration declares.
    Declaration(EntryKind),
    /// The name after `replace` or `remove`: the amended version's provision of that name.
    Amendment(EntryKind),
    /// A name used: a provision, an example, a record, an enum or one of its values, an outcome
    /// read by a rule, or a fact at the root of the transaction.
    Name,
    /// A quantifier's variable where it is bound (`any e in ...`).
    VariableBinding,
    /// A quantifier's variable used; `binding` is where it is bound (absolute).
    Variable { binding: Span },
    /// A fact, by its path from the transaction's root (`item.tpp` is `["item", "tpp"]`).
    Fact(Vec<String>),
    /// A field of the outcome (a rule's conclusion, a test's expectation).
    Outcome(String),
    /// A field of a record that is not reached from the transaction's root (through a variable).
    Field,
    /// A field declared in a record, the facts or the outcome schema.
    FieldDeclaration,
    /// An enum's value where the enum declares it.
    VariantDeclaration,
    /// A country code.
    Country,
    /// A type written in a field's or a provision's declaration.
    Type,
}

/// A name written in a file, with its absolute span there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Occurrence {
    pub text: String,
    pub span: Span,
    pub kind: OccurrenceKind,
}

/// Every name written in a file, in source order.
#[salsa::tracked(returns(ref))]
pub fn file_occurrences(db: &dyn Db, file: SourceFile) -> Vec<Occurrence> {
    let mut collector = Collector::default();
    for declaration in &db::parse_file(db, file).declarations {
        collector.offset = declaration.offset;
        match &declaration.parsed {
            ParsedChunk::Declaration(tree) => collector.declaration(tree),
            ParsedChunk::Broken {
                name: Some(name), ..
            } => collector.push(name, OccurrenceKind::Declaration(EntryKind::Broken)),
            ParsedChunk::Broken { .. } => {}
        }
    }
    let mut occurrences = collector.occurrences;
    occurrences.sort_by_key(|occurrence| (occurrence.span.start, occurrence.span.end));
    occurrences
}

#[derive(Default)]
struct Collector {
    offset: u32,
    occurrences: Vec<Occurrence>,
    /// Quantifier variables in scope, innermost last, with their absolute spans.
    scopes: Vec<(String, Span)>,
}

impl Collector {
    fn push(&mut self, name: &Name, kind: OccurrenceKind) {
        self.push_text(name.text.clone(), name.span, kind);
    }

    fn push_text(&mut self, text: String, span: Span, kind: OccurrenceKind) {
        self.occurrences.push(Occurrence {
            text,
            span: span.shifted(self.offset),
            kind,
        });
    }

    fn declaration(&mut self, declaration: &Declaration) {
        let kind = EntryKind::of_declaration(declaration);
        match &declaration.kind {
            DeclarationKind::Version(_) | DeclarationKind::Import(_) => {}
            DeclarationKind::Unit(unit) => {
                self.push(&unit.name, OccurrenceKind::Declaration(kind));
            }
            DeclarationKind::Record(record) => {
                self.push(&record.name, OccurrenceKind::Declaration(kind));
                self.fields(&record.fields);
            }
            DeclarationKind::Enum(enumeration) => {
                self.push(&enumeration.name, OccurrenceKind::Declaration(kind));
                for variant in &enumeration.variants {
                    self.push(&variant.name, OccurrenceKind::VariantDeclaration);
                }
            }
            DeclarationKind::Facts(fields) | DeclarationKind::Outcome(fields) => {
                self.fields(fields);
            }
            DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) => {
                let name_kind = if matches!(declaration.kind, DeclarationKind::Replace(_)) {
                    OccurrenceKind::Amendment(kind)
                } else {
                    OccurrenceKind::Declaration(kind)
                };
                self.push(&provision.name, name_kind);
                match &provision.kind {
                    ProvisionKind::Const { ty, value } | ProvisionKind::Define { ty, value } => {
                        if let Some(ty) = ty {
                            self.type_expr(ty);
                        }
                        self.expr(value);
                    }
                    ProvisionKind::Group {
                        members, changes, ..
                    } => {
                        self.group(members);
                        for change in changes {
                            self.push(&change.country, OccurrenceKind::Country);
                        }
                    }
                    ProvisionKind::Alias { target } => {
                        self.push(target, OccurrenceKind::Country);
                    }
                    ProvisionKind::Table { ty, rows } => {
                        if let Some(ty) = ty {
                            self.type_expr(ty);
                        }
                        for row in rows {
                            self.expr(&row.value);
                        }
                    }
                    ProvisionKind::Rule(rule) => {
                        for name in rule.unless.iter().chain(&rule.notwithstanding) {
                            self.push(name, OccurrenceKind::Name);
                        }
                        if let Some(when) = &rule.when {
                            self.expr(when);
                        }
                        for conclusion in &rule.then {
                            self.push(
                                &conclusion.field,
                                OccurrenceKind::Outcome(conclusion.field.text.clone()),
                            );
                            self.expr(&conclusion.value);
                        }
                    }
                }
            }
            DeclarationKind::Remove(remove) => {
                self.push(&remove.name, OccurrenceKind::Amendment(kind));
            }
            DeclarationKind::Example(example) => {
                self.push(&example.name, OccurrenceKind::Declaration(kind));
                self.fact_value(&example.value, &[], false);
            }
            DeclarationKind::Test(test) => {
                self.push(&test.name, OccurrenceKind::Declaration(kind));
                match &test.given {
                    Given::Example(name) => self.push(name, OccurrenceKind::Name),
                    Given::Facts(entries, _) => self.fact_entries(entries, &[], false),
                }
                self.fact_entries(&test.overrides, &[], false);
                self.fact_entries(&test.expect, &[], true);
            }
        }
    }

    fn fields(&mut self, fields: &[FieldDeclaration]) {
        for field in fields {
            self.push(&field.name, OccurrenceKind::FieldDeclaration);
            self.type_expr(&field.ty);
            if let Some(default) = &field.default {
                self.expr(default);
            }
        }
    }

    fn type_expr(&mut self, ty: &TypeExpr) {
        match &ty.kind {
            TypeExprKind::Named { name, .. } => self.push(name, OccurrenceKind::Type),
            TypeExprKind::Set(inner) | TypeExprKind::List(inner) => self.type_expr(inner),
        }
    }

    fn group(&mut self, members: &GroupExpr) {
        for term in std::iter::once(&members.first).chain(members.rest.iter().map(|(_, t)| t)) {
            match term {
                GroupTerm::Countries(countries, _) => {
                    for country in countries {
                        self.push(country, OccurrenceKind::Country);
                    }
                }
                GroupTerm::Group(name) => self.push(name, OccurrenceKind::Name),
            }
        }
    }

    fn fact_entries(&mut self, entries: &[FactEntry], prefix: &[String], outcome: bool) {
        for entry in entries {
            let mut path = prefix.to_vec();
            path.extend(entry.key.iter().cloned());
            let kind = if outcome {
                OccurrenceKind::Outcome(path.join("."))
            } else {
                OccurrenceKind::Fact(path.clone())
            };
            self.push_text(entry.key.join("."), entry.key_span, kind);
            self.fact_value(&entry.value, &path, outcome);
        }
    }

    fn fact_value(&mut self, value: &FactValue, path: &[String], outcome: bool) {
        match &value.kind {
            FactValueKind::Record(entries) => self.fact_entries(entries, path, outcome),
            FactValueKind::List(values) => {
                for value in values {
                    self.fact_value(value, path, outcome);
                }
            }
            FactValueKind::Country(code) => {
                self.push_text(code.clone(), value.span, OccurrenceKind::Country);
            }
            FactValueKind::Word(word) => {
                self.push_text(word.clone(), value.span, OccurrenceKind::Name);
            }
            _ => {}
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Name(name) => {
                let kind = match self.scopes.iter().rev().find(|(bound, _)| bound == name) {
                    Some((_, binding)) => OccurrenceKind::Variable { binding: *binding },
                    None => OccurrenceKind::Name,
                };
                self.push_text(name.clone(), expr.span, kind);
            }
            ExprKind::Country(code) => {
                self.push_text(code.clone(), expr.span, OccurrenceKind::Country);
            }
            ExprKind::Field(..) => self.field(expr),
            ExprKind::Binary(_, left, right) => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::Chain(_, operands) => {
                for operand in operands {
                    self.expr(operand);
                }
            }
            ExprKind::Not(inner) | ExprKind::Negate(inner) => self.expr(inner),
            ExprKind::Call(_, arguments) | ExprKind::List(arguments) | ExprKind::Set(arguments) => {
                for argument in arguments {
                    self.expr(argument);
                }
            }
            ExprKind::Quantifier {
                variable,
                over,
                body,
                ..
            } => {
                self.expr(over);
                self.push(variable, OccurrenceKind::VariableBinding);
                self.scopes
                    .push((variable.text.clone(), variable.span.shifted(self.offset)));
                self.expr(body);
                self.scopes.pop();
            }
            ExprKind::Number { .. }
            | ExprKind::Bool(_)
            | ExprKind::String(_)
            | ExprKind::Date(_)
            | ExprKind::Eccn(_) => {}
        }
    }

    /// `item.tpp`: a fact when the chain starts at a name that is not a variable.
    fn field(&mut self, expr: &Expr) {
        let mut chain: Vec<&Name> = Vec::new();
        let mut cursor = expr;
        while let ExprKind::Field(inner, name) = &cursor.kind {
            chain.push(name);
            cursor = inner;
        }
        chain.reverse();
        let from_root = match &cursor.kind {
            ExprKind::Name(root) => !self.scopes.iter().any(|(bound, _)| bound == root),
            _ => false,
        };
        self.expr(cursor);
        let mut path: Vec<String> = match &cursor.kind {
            ExprKind::Name(root) => vec![root.clone()],
            _ => Vec::new(),
        };
        for name in chain {
            path.push(name.text.clone());
            let kind = if from_root {
                OccurrenceKind::Fact(path.clone())
            } else {
                OccurrenceKind::Field
            };
            self.push(name, kind);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Where things are

/// A place in a file: the file and an absolute span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileSpan {
    pub file: SourceFile,
    pub span: Span,
}

/// The version a file belongs to.
pub fn file_version<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    file: SourceFile,
) -> Option<VersionKey<'db>> {
    db::workspace_versions(db, workspace)
        .iter()
        .copied()
        .find(|version| version.dir(db) == file.version_dir(db))
}

/// The occurrence whose span holds `offset` (the innermost, when spans nest).
pub fn occurrence_at(db: &dyn Db, file: SourceFile, offset: u32) -> Option<&Occurrence> {
    file_occurrences(db, file)
        .iter()
        .filter(|occurrence| occurrence.span.contains(offset))
        .min_by_key(|occurrence| occurrence.span.len())
}

/// The parsed declaration of a file that holds `offset`, with its tree when it parses.
pub fn declaration_at(
    db: &dyn Db,
    file: SourceFile,
    offset: u32,
) -> Option<&db::ParsedDeclaration> {
    db::parse_file(db, file)
        .declarations
        .iter()
        .rev()
        .find(|declaration| declaration.offset <= offset)
}

/// The span of the name a declaration declares, absolute in its file.
pub fn declared_name(db: &dyn Db, key: DeclarationKey<'_>) -> FileSpan {
    let offset = db::declaration_offset(db, key);
    let file = key.file(db);
    let span = db::parse_file(db, file)
        .declarations
        .iter()
        .find(|declaration| {
            declaration.key_name == *key.name(db) && declaration.ordinal == key.ordinal(db)
        })
        .and_then(|declaration| match &declaration.parsed {
            ParsedChunk::Declaration(tree) => tree.name().map(|name| name.span),
            ParsedChunk::Broken { name, .. } => name.as_ref().map(|name| name.span),
        })
        .unwrap_or_default();
    FileSpan {
        file,
        span: span.shifted(offset),
    }
}

/// What a written name denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved<'db> {
    /// A named declaration, as the version reading it has it.
    Declaration {
        version: VersionKey<'db>,
        key: DeclarationKey<'db>,
        kind: EntryKind,
    },
    /// A fact of the transaction, with where the schema declares it.
    Fact {
        version: VersionKey<'db>,
        path: Vec<String>,
        declared: Option<FileSpan>,
    },
    /// An outcome field, with where the schema declares it.
    Outcome {
        version: VersionKey<'db>,
        field: String,
        declared: Option<FileSpan>,
    },
    /// An enum's value.
    Variant {
        version: VersionKey<'db>,
        enumeration: String,
        declared: Option<FileSpan>,
    },
    /// A quantifier's variable, bound at `binding`.
    Variable {
        binding: FileSpan,
    },
    Country(String),
}

impl Resolved<'_> {
    /// Where what the name denotes is declared.
    pub fn declared(&self, db: &dyn Db) -> Option<FileSpan> {
        match self {
            Resolved::Declaration { key, .. } => Some(declared_name(db, *key)),
            Resolved::Fact { declared, .. }
            | Resolved::Outcome { declared, .. }
            | Resolved::Variant { declared, .. } => *declared,
            Resolved::Variable { binding } => Some(*binding),
            Resolved::Country(_) => None,
        }
    }
}

/// What the occurrence at `offset` of a file denotes, in the file's version. The name after
/// `replace` or `remove` denotes the amended version's provision.
pub fn resolve_at<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<(Occurrence, Resolved<'db>)> {
    let occurrence = occurrence_at(db, file, offset)?.clone();
    let version = file_version(db, workspace, file)?;
    let resolved = resolve(db, version, file, &occurrence)?;
    Some((occurrence, resolved))
}

/// What an occurrence of a file of `version` denotes.
pub fn resolve<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    file: SourceFile,
    occurrence: &Occurrence,
) -> Option<Resolved<'db>> {
    match &occurrence.kind {
        OccurrenceKind::Declaration(kind) => {
            let key = declaration_with_name_at(db, file, occurrence)?;
            Some(Resolved::Declaration {
                version,
                key,
                kind: *kind,
            })
        }
        OccurrenceKind::Amendment(_) => {
            let base = db::version_base(db, version)?;
            resolve_name(db, base, &occurrence.text)
        }
        OccurrenceKind::Name => resolve_name(db, version, &occurrence.text),
        OccurrenceKind::Type => {
            let entry = db::version_index(db, version).names.get(&occurrence.text)?;
            Some(Resolved::Declaration {
                version,
                key: entry.declaration,
                kind: entry.kind,
            })
        }
        OccurrenceKind::Variable { binding } => Some(Resolved::Variable {
            binding: FileSpan {
                file,
                span: *binding,
            },
        }),
        OccurrenceKind::VariableBinding => Some(Resolved::Variable {
            binding: FileSpan {
                file,
                span: occurrence.span,
            },
        }),
        OccurrenceKind::Fact(path) => Some(Resolved::Fact {
            version,
            path: path.clone(),
            declared: schema_field(db, version, EntryKind::Facts, path),
        }),
        OccurrenceKind::Outcome(field) => Some(Resolved::Outcome {
            version,
            field: field.clone(),
            declared: schema_field(db, version, EntryKind::Outcome, std::slice::from_ref(field)),
        }),
        OccurrenceKind::FieldDeclaration => {
            // A field is its own declaration; hover and references find the rest from here.
            let span = FileSpan {
                file,
                span: occurrence.span,
            };
            let (schema, path) = field_declaration_path(db, version, span)?;
            Some(match schema {
                EntryKind::Outcome => Resolved::Outcome {
                    version,
                    field: path.join("."),
                    declared: Some(span),
                },
                _ => Resolved::Fact {
                    version,
                    path,
                    declared: Some(span),
                },
            })
        }
        OccurrenceKind::VariantDeclaration => {
            let declaration = declaration_at(db, file, occurrence.span.start)?;
            Some(Resolved::Variant {
                version,
                enumeration: declaration.key_name.clone(),
                declared: Some(FileSpan {
                    file,
                    span: occurrence.span,
                }),
            })
        }
        OccurrenceKind::Country => Some(Resolved::Country(occurrence.text.clone())),
        OccurrenceKind::Field => None,
    }
}

fn declaration_with_name_at<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    occurrence: &Occurrence,
) -> Option<DeclarationKey<'db>> {
    declaration_key_at(db, file, occurrence.span.start)
}

/// The key of the declaration of a file that holds `offset`.
pub fn declaration_key_at(
    db: &dyn Db,
    file: SourceFile,
    offset: u32,
) -> Option<DeclarationKey<'_>> {
    let declaration = declaration_at(db, file, offset)?;
    Some(DeclarationKey::new(
        db,
        file,
        declaration.key_name.clone(),
        declaration.ordinal,
    ))
}

/// A name used in a version: a provision or other named declaration, else a fact at the root of
/// the transaction, else an outcome, else an enum's value.
pub fn resolve_name<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    name: &str,
) -> Option<Resolved<'db>> {
    let index = db::version_index(db, version);
    if let Some(entry) = index.names.get(name) {
        return Some(Resolved::Declaration {
            version,
            key: entry.declaration,
            kind: entry.kind,
        });
    }
    let path = vec![name.to_string()];
    if let Some(declared) = schema_field(db, version, EntryKind::Facts, &path) {
        return Some(Resolved::Fact {
            version,
            path,
            declared: Some(declared),
        });
    }
    if let Some(declared) = schema_field(db, version, EntryKind::Outcome, &path) {
        return Some(Resolved::Outcome {
            version,
            field: name.to_string(),
            declared: Some(declared),
        });
    }
    for (enum_name, entry) in &index.names {
        if entry.kind != EntryKind::Enum {
            continue;
        }
        if let Some(Declaration {
            kind: DeclarationKind::Enum(enumeration),
            ..
        }) = db::declaration_syntax(db, entry.declaration)
            && let Some(variant) = enumeration.variants.iter().find(|v| v.name.text == name)
        {
            let offset = db::declaration_offset(db, entry.declaration);
            return Some(Resolved::Variant {
                version,
                enumeration: enum_name.clone(),
                declared: Some(FileSpan {
                    file: entry.declaration.file(db),
                    span: variant.name.span.shifted(offset),
                }),
            });
        }
    }
    None
}

/// The fields of the facts or the outcome schema in force in a version, and the declaration
/// that declares them.
fn schema_fields<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    schema: EntryKind,
) -> Option<(DeclarationKey<'db>, &'db [FieldDeclaration])> {
    let index = db::version_index(db, version);
    let entry = index
        .unnamed
        .iter()
        .rev()
        .find(|entry| entry.kind == schema)?;
    match &db::declaration_syntax(db, entry.declaration).as_ref()?.kind {
        DeclarationKind::Facts(fields) | DeclarationKind::Outcome(fields) => {
            Some((entry.declaration, fields.as_slice()))
        }
        _ => None,
    }
}

/// The fields of a record declared in a version.
fn record_fields<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    record: &str,
) -> Option<(DeclarationKey<'db>, &'db [FieldDeclaration])> {
    let entry = db::version_index(db, version).names.get(record)?;
    match &db::declaration_syntax(db, entry.declaration).as_ref()?.kind {
        DeclarationKind::Record(record) => Some((entry.declaration, record.fields.as_slice())),
        _ => None,
    }
}

/// The record a field's type names, if it names one (`item: Item`, `parties: list of Party`).
fn field_record(field: &FieldDeclaration) -> Option<&str> {
    let mut ty = &field.ty;
    loop {
        match &ty.kind {
            TypeExprKind::Named { name, .. } => return Some(&name.text),
            TypeExprKind::Set(inner) | TypeExprKind::List(inner) => ty = inner,
        }
    }
}

/// The declaration of the field at the end of a path from the facts' or the outcome's root.
pub fn schema_field_declaration<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    schema: EntryKind,
    path: &[String],
) -> Option<(DeclarationKey<'db>, &'db FieldDeclaration)> {
    let (mut key, mut fields) = schema_fields(db, version, schema)?;
    let (last, parents) = path.split_last()?;
    for parent in parents {
        let field = fields.iter().find(|field| field.name.text == *parent)?;
        (key, fields) = record_fields(db, version, field_record(field)?)?;
    }
    let field = fields.iter().find(|field| field.name.text == *last)?;
    Some((key, field))
}

fn schema_field(
    db: &dyn Db,
    version: VersionKey<'_>,
    schema: EntryKind,
    path: &[String],
) -> Option<FileSpan> {
    let (key, field) = schema_field_declaration(db, version, schema, path)?;
    Some(FileSpan {
        file: key.file(db),
        span: field.name.span.shifted(db::declaration_offset(db, key)),
    })
}

/// The fields that can follow a path from the facts' root (`item.` gives the fields of `Item`);
/// the root's fields for an empty path.
pub fn fact_fields_after<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    path: &[String],
) -> Vec<&'db FieldDeclaration> {
    let Some((_, mut fields)) = schema_fields(db, version, EntryKind::Facts) else {
        return Vec::new();
    };
    for parent in path {
        let Some(field) = fields.iter().find(|field| field.name.text == *parent) else {
            return Vec::new();
        };
        let Some((_, next)) = field_record(field).and_then(|r| record_fields(db, version, r))
        else {
            return Vec::new();
        };
        fields = next;
    }
    fields.iter().collect()
}

/// For a field declaration, which schema it is in and its path from that schema's root (fields of
/// records are found through the first facts field of that record's type).
fn field_declaration_path(
    db: &dyn Db,
    version: VersionKey<'_>,
    declared: FileSpan,
) -> Option<(EntryKind, Vec<String>)> {
    for schema in [EntryKind::Facts, EntryKind::Outcome] {
        let mut paths = Vec::new();
        schema_paths(db, version, schema, &mut Vec::new(), &mut paths, 0);
        for path in paths {
            if schema_field(db, version, schema, &path) == Some(declared) {
                return Some((schema, path));
            }
        }
    }
    None
}

/// Every path through the facts or the outcome schema (records nested at most four deep).
fn schema_paths(
    db: &dyn Db,
    version: VersionKey<'_>,
    schema: EntryKind,
    prefix: &mut Vec<String>,
    paths: &mut Vec<Vec<String>>,
    depth: usize,
) {
    let fields: Vec<(String, Option<String>)> = if prefix.is_empty() {
        schema_fields(db, version, schema)
            .map(|(_, fields)| fields)
            .unwrap_or_default()
            .iter()
            .map(|f| (f.name.text.clone(), field_record(f).map(str::to_string)))
            .collect()
    } else {
        let Some((_, field)) = schema_field_declaration(db, version, schema, prefix) else {
            return;
        };
        let Some((_, fields)) = field_record(field).and_then(|r| record_fields(db, version, r))
        else {
            return;
        };
        fields
            .iter()
            .map(|f| (f.name.text.clone(), field_record(f).map(str::to_string)))
            .collect()
    };
    for (name, _) in fields {
        prefix.push(name);
        paths.push(prefix.clone());
        if depth < 4 {
            schema_paths(db, version, schema, prefix, paths, depth + 1);
        }
        prefix.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// Identity across amendments

/// What stays the same of a provision through the versions that replace it: the declaration that
/// first declared it. `replace` and `remove` in an amending version are the same provision as the
/// one they amend.
pub fn origin<'db>(
    db: &'db dyn Db,
    version: VersionKey<'db>,
    key: DeclarationKey<'db>,
) -> DeclarationKey<'db> {
    let mut version = version;
    let mut key = key;
    let mut seen = BTreeSet::new();
    while seen.insert(version.dir(db).clone()) {
        let amends = matches!(
            db::declaration_syntax(db, key).as_ref().map(|d| &d.kind),
            Some(DeclarationKind::Replace(_) | DeclarationKind::Remove(_))
        );
        if !amends {
            break;
        }
        // The amending declaration's own version is where its file is.
        let own = db::workspace_versions(db, version.workspace(db))
            .iter()
            .copied()
            .find(|v| v.dir(db) == key.file(db).version_dir(db))
            .unwrap_or(version);
        let Some(base) = db::version_base(db, own) else {
            break;
        };
        let Some(entry) = db::version_index(db, base).names.get(key.name(db)) else {
            break;
        };
        version = base;
        key = entry.declaration;
    }
    key
}

/// The same thing, across versions: for declarations, their origin; otherwise the place declared.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity<'db> {
    Declaration(DeclarationKey<'db>),
    Place(FileSpan),
    Country(String),
}

fn identity<'db>(db: &'db dyn Db, resolved: &Resolved<'db>) -> Option<Identity<'db>> {
    match resolved {
        Resolved::Declaration { version, key, .. } => {
            Some(Identity::Declaration(origin(db, *version, *key)))
        }
        Resolved::Country(code) => Some(Identity::Country(code.clone())),
        other => other.declared(db).map(Identity::Place),
    }
}

/// Every occurrence in the workspace that denotes the same thing as `resolved` (its declaration
/// included), in file and position order. Provisions are followed through the versions that
/// replace them; facts and outcomes are matched by where their schema declares them.
pub fn references(db: &dyn Db, workspace: Workspace, resolved: &Resolved<'_>) -> Vec<FileSpan> {
    let Some(wanted) = identity(db, resolved) else {
        return Vec::new();
    };
    let text = match resolved {
        Resolved::Declaration { key, .. } => Some(key.name(db).clone()),
        _ => None,
    };
    let mut found: Vec<(String, FileSpan)> = Vec::new();
    for version in db::workspace_versions(db, workspace) {
        for file in db::version_files(db, *version) {
            for occurrence in file_occurrences(db, *file) {
                if let Some(text) = &text
                    && occurrence.text != *text
                {
                    continue;
                }
                if matches!(occurrence.kind, OccurrenceKind::Field) {
                    continue;
                }
                let Some(candidate) = resolve(db, *version, *file, occurrence) else {
                    continue;
                };
                if identity(db, &candidate).as_ref() == Some(&wanted) {
                    let place = FileSpan {
                        file: *file,
                        span: occurrence.span,
                    };
                    if !found.iter().any(|(_, seen)| *seen == place) {
                        found.push((file.path(db).clone(), place));
                    }
                }
            }
        }
    }
    found.sort_by_key(|(path, place)| (path.clone(), place.span.start));
    found.into_iter().map(|(_, place)| place).collect()
}

/// Whether `name` may be declared: a letter or `_` first, then letters, digits and `_`; not a
/// keyword and not a country code.
pub fn is_valid_name(name: &str) -> bool {
    let mut characters = name.chars();
    let first_ok = characters
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
        && !(name.len() == 2 && name.chars().all(|c| c.is_ascii_uppercase()))
}

/// The words of the language.
pub const KEYWORDS: &[&str] = &[
    "version",
    "import",
    "unit",
    "record",
    "enum",
    "facts",
    "outcome",
    "const",
    "group",
    "alias",
    "table",
    "define",
    "rule",
    "example",
    "test",
    "remove",
    "replace",
    "cite",
    "secondary",
    "unconfirmed",
    "effective",
    "through",
    "from",
    "when",
    "then",
    "unless",
    "notwithstanding",
    "and",
    "or",
    "not",
    "in",
    "within",
    "any",
    "all",
    "true",
    "false",
    "set",
    "list",
    "of",
    "given",
    "with",
    "expect",
    "joins",
    "leaves",
    "on",
    "never",
    "amends",
    "policy",
    "title",
    "source",
    "in_force",
];

/// Every ISO 3166-1 alpha-2 code with its English short name.
pub fn countries() -> impl Iterator<Item = (&'static str, &'static str)> {
    rust_iso3166::ALL
        .iter()
        .map(|country| (country.alpha2, country.name))
}
