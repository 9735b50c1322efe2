//! Step one: text to syntax tree, one declaration at a time.
//!
//! The file is split into declarations at lines that start, in column 0, with a declaration keyword
//! (the doc and plain comments directly above belong to the declaration). Each piece is parsed with
//! pest on its own, so a syntax error costs one declaration, not the file. Parsing never fails: it
//! returns the declarations it could read and a diagnostic for each one it could not.

use std::str::FromStr;

use jiff::civil::Date;
use pest::Parser as _;
use pest::iterators::Pair;
use rust_decimal::Decimal;

use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::*;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct PolicyParser;

/// The words that start a declaration when they begin a line.
pub const DECLARATION_KEYWORDS: &[&str] = &[
    "version", "import", "unit", "record", "enum", "facts", "outcome", "const", "group", "alias",
    "table", "define", "rule", "example", "test", "remove", "replace",
];

/// One declaration-sized piece of a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chunk {
    /// Byte offset of the piece in its file.
    pub offset: u32,
    pub text: String,
}

/// The result of parsing one piece.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ParsedChunk {
    Declaration(Declaration),
    /// A piece that does not parse. `keyword` and `name` are what could be read of its first line,
    /// so that references to the name do not also fail.
    Broken {
        keyword: Option<String>,
        name: Option<Name>,
        error: Diagnostic,
    },
}

/// Splits a file into declaration pieces. Text before the first declaration that is not blank or
/// a comment becomes a piece of its own (and fails to parse, with a clear message).
pub fn split(text: &str) -> Vec<Chunk> {
    let mut starts: Vec<usize> = Vec::new();
    let mut pending_comment_start: Option<usize> = None;
    let mut offset = 0;
    let mut first_content: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let trimmed_end = line.trim_end();
        if trimmed_end.starts_with("//") {
            pending_comment_start.get_or_insert(offset);
        } else if trimmed_end.is_empty() {
            pending_comment_start = None;
        } else {
            if starts_declaration(trimmed_end) {
                starts.push(pending_comment_start.unwrap_or(offset));
            } else if first_content.is_none() && starts.is_empty() {
                first_content = Some(pending_comment_start.unwrap_or(offset));
            }
            pending_comment_start = None;
        }
        offset += line.len();
    }
    if let Some(start) = first_content {
        starts.insert(0, start);
    }
    let mut chunks = Vec::with_capacity(starts.len());
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        chunks.push(Chunk {
            offset: u32::try_from(*start).unwrap_or(u32::MAX),
            text: text[*start..end].to_string(),
        });
    }
    chunks
}

fn starts_declaration(line: &str) -> bool {
    let word: &str = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    !line.starts_with(char::is_whitespace) && DECLARATION_KEYWORDS.contains(&word)
}

/// How deeply an expression may nest: brackets, `not`s in a row and arithmetic operators at one
/// level each count one. Chains of `and` and `or` do not count (they are read as one list). Every
/// pass (the parser, the checker, the formatter, evaluation, the language server) walks nesting
/// recursively, so a limit is what keeps a hostile source from overflowing the stack.
pub const MAX_NESTING: usize = 100;

/// Where a piece first nests deeper than [`MAX_NESTING`], read from its text before anything
/// recursive runs (strings and comments skipped).
fn too_deep(text: &str) -> Option<usize> {
    // For each open bracket: `not`s in a row and arithmetic operators seen at its level.
    let mut frames: Vec<(usize, usize)> = vec![(0, 0)];
    let bytes = text.as_bytes();
    let mut index = 0;
    let depth = |frames: &[(usize, usize)]| {
        frames.len() - 1 + frames.iter().map(|(nots, ops)| nots + ops).sum::<usize>()
    };
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' && bytes[index] != b'\n' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
            }
            b'(' | b'[' | b'{' => frames.push((0, 0)),
            b')' | b']' | b'}' if frames.len() > 1 => {
                frames.pop();
            }
            b'+' | b'-' | b'*' | b'/' => {
                if let Some(frame) = frames.last_mut() {
                    frame.1 += 1;
                }
            }
            byte if byte.is_ascii_alphanumeric() || byte == b'_' => {
                let start = index;
                while index < bytes.len()
                    && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_')
                {
                    index += 1;
                }
                // A date's dashes are not subtractions.
                let word = &text[start..index];
                if word.len() == 4
                    && word.bytes().all(|b| b.is_ascii_digit())
                    && bytes.get(index) == Some(&b'-')
                {
                    index += 6.min(bytes.len() - index);
                    continue;
                }
                if let Some(frame) = frames.last_mut() {
                    if word == "not" {
                        frame.0 += 1;
                    } else {
                        frame.0 = 0;
                    }
                }
                if depth(&frames) > MAX_NESTING {
                    return Some(start);
                }
                continue;
            }
            _ => {}
        }
        if depth(&frames) > MAX_NESTING {
            return Some(index);
        }
        index += 1;
    }
    None
}

/// Parses one piece. Spans in the result are relative to the start of the piece.
pub fn parse_chunk(text: &str) -> ParsedChunk {
    if let Some(at) = too_deep(text) {
        return broken(
            text,
            Diagnostic::new(
                Code::E0001,
                Span::new(at, at + 1),
                format!(
                    "this expression nests more than {MAX_NESTING} levels deep (brackets, `not`s in a row and arithmetic operators each count one)"
                ),
            )
            .with_label("too deep from here")
            .with_help("name an inner part with `define` and use its name here; chains of `and` and `or` may be as long as needed"),
        );
    }
    match PolicyParser::parse(Rule::declaration_unit, text) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return broken(
                    text,
                    Diagnostic::new(Code::E0001, Span::new(0, 0), "empty declaration"),
                );
            };
            let mut builder = Builder { errors: Vec::new() };
            let declaration = builder.declaration(pair);
            match builder.errors.into_iter().next() {
                None => ParsedChunk::Declaration(declaration),
                Some(error) => broken(text, error),
            }
        }
        Err(error) => broken(text, syntax_error(text, &error)),
    }
}

fn broken(text: &str, error: Diagnostic) -> ParsedChunk {
    let mut words = text
        .lines()
        .find(|line| !line.trim_start().starts_with("//") && !line.trim().is_empty())
        .unwrap_or("")
        .split_whitespace();
    let mut keyword = words.next().map(str::to_string);
    if keyword.as_deref() == Some("replace") {
        keyword = words.next().map(str::to_string);
    }
    let name = words.next().and_then(|word| {
        let name: String = word
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let start = text.find(&format!(" {name}"))? + 1;
        (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| Name {
            span: Span::new(start, start + name.len()),
            text: name,
        })
    });
    let keyword = keyword.filter(|word| DECLARATION_KEYWORDS.contains(&word.as_str()));
    // Text that does not start with a declaration keyword declares no name.
    let name = name.filter(|_| keyword.is_some());
    ParsedChunk::Broken {
        keyword,
        name,
        error,
    }
}

fn syntax_error(text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match error.location {
        pest::error::InputLocation::Pos(position) => (position, position),
        pest::error::InputLocation::Span((start, end)) => (start, end),
    };
    // A declaration that ends too early is reported where its text ends, not at the blank lines
    // and comments after it (which would show the next declaration).
    let at_end = content_end(text.get(start..).unwrap_or("")) == 0;
    let (start, found) = if at_end {
        (content_end(&text[..start.min(text.len())]), "")
    } else {
        (start, found_at(text, start))
    };
    let end = if end <= start || at_end {
        start + found.len()
    } else {
        end
    };
    let message = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&str> = positives
                .iter()
                .filter_map(|rule| describe(*rule))
                .collect();
            expected.sort_unstable();
            expected.dedup();
            let found = if found.is_empty() {
                "the end of the declaration".to_string()
            } else {
                format!("`{found}`")
            };
            match expected.as_slice() {
                [] => format!("unexpected {found}"),
                [one] => format!("expected {one}, found {found}"),
                many => {
                    let (last, rest) = many.split_last().unwrap_or((&"", &[]));
                    format!("expected {} or {last}, found {found}", rest.join(", "))
                }
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let starts_new_top_level = text[..start]
        .rfind('\n')
        .is_some_and(|newline| newline + 1 == start && !found.is_empty());
    let mut diagnostic = Diagnostic::new(Code::E0001, Span::new(start, end), message)
        .with_label("not understood here");
    if starts_new_top_level {
        diagnostic = diagnostic.with_help(format!(
            "a line that starts in column 0 must start a declaration ({}); indent continuation lines",
            DECLARATION_KEYWORDS.join(", ")
        ));
    }
    diagnostic
}

fn found_at(text: &str, position: usize) -> &str {
    let rest = text.get(position..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    let length = rest
        .char_indices()
        .find(|(index, c)| {
            c.is_whitespace() || (*index > 0 && !c.is_alphanumeric() && *c != '_' && *c != '.')
        })
        .map(|(index, _)| index.max(rest.chars().next().map_or(0, char::len_utf8)))
        .unwrap_or(rest.len());
    &rest[..length]
}

/// Names of grammar rules as counsel would understand them, or `None` for rules never worth naming.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident => "a name",
        Rule::country => "a country code",
        Rule::eccn => "an ECCN",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number | Rule::quantity => "a number",
        Rule::string => "a quoted string",
        Rule::unit_expr | Rule::unit_factor => "a unit",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::comparison
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::postfix
        | Rule::primary => "an expression",
        Rule::compare_op | Rule::not_in | Rule::in_op | Rule::within_op => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::or_kw => "`or`",
        Rule::and_kw => "`and`",
        Rule::citation => "`cite`",
        Rule::effective => "`effective`",
        Rule::through => "`through`",
        Rule::when_clause => "`when`",
        Rule::then_clause => "`then`",
        Rule::unless_clause => "`unless`",
        Rule::notwithstanding_clause => "`notwithstanding`",
        Rule::type_expr | Rule::named_type | Rule::set_type | Rule::list_type => "a type",
        Rule::field_decl => "a field",
        Rule::variant => "an enum value",
        Rule::conclusion => "a conclusion (`field = value`)",
        Rule::assign_op => "`=` or `+=`",
        Rule::group_expr | Rule::group_term => "a group",
        Rule::group_op => "`+` or `-`",
        Rule::country_set => "`{`",
        Rule::membership_change | Rule::joins | Rule::leaves => "`joins` or `leaves`",
        Rule::table_row => "`from DATE: value`",
        Rule::given_clause => "`given`",
        Rule::expect_clause => "`expect`",
        Rule::fact_value | Rule::fact_record | Rule::fact_list => "a value",
        Rule::fact_entry | Rule::fact_key => "a fact name",
        Rule::confidence => "`secondary` or `unconfirmed`",
        Rule::policy_clause => "`policy`",
        Rule::title_clause => "`title`",
        Rule::source_clause => "`source`",
        Rule::amends_clause => "`amends`",
        Rule::in_force_clause => "`in_force`",
        Rule::date_range => "a date",
        Rule::never => "`never`",
        Rule::declaration | Rule::docs | Rule::doc_line => "a declaration",
        Rule::EOI => "the end of the declaration",
        Rule::optional_mark => "`?`",
        Rule::field_access => "`.`",
        _ => return None,
    })
}

/// Turns pest pairs into the syntax tree. Values that pest accepts but that are not valid (a date
/// like 2025-02-30, a number too large for a decimal) are collected as errors.
struct Builder {
    errors: Vec<Diagnostic>,
}

/// The span of a pair without the whitespace and comments after it. pest puts them in the span of
/// a rule that ends with an optional part that is absent (`number ~ unit_expr?`,
/// `sum ~ (compare_op ~ sum)?`, `"cite" ~ string ~ confidence?`), and a diagnostic about
/// `tpp >= 4800` must not underline the next line too.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    Span::new(start, start + content_end(pair.as_str()))
}

/// The length of `text` without the whitespace and `//` comments at its end.
fn content_end(text: &str) -> usize {
    let mut end = text.len();
    loop {
        end = text[..end].trim_end().len();
        let line_start = text[..end].rfind('\n').map_or(0, |newline| newline + 1);
        match comment_start(&text[line_start..end]) {
            Some(comment) => end = line_start + comment,
            None => return end,
        }
    }
}

/// Where a `//` comment starts in one line of source, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if in_string => index += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(index + 1) == Some(&b'/') => return Some(index),
            _ => {}
        }
        index += 1;
    }
    None
}

fn name_of(pair: Pair<'_, Rule>) -> Name {
    Name {
        span: span_of(&pair),
        text: pair.as_str().to_string(),
    }
}

fn unquote(pair: Pair<'_, Rule>) -> String {
    let raw = pair.as_str();
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

impl Builder {
    fn declaration(&mut self, pair: Pair<'_, Rule>) -> Declaration {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let docs = inner.next().map(docs_of).unwrap_or_default();
        let kind = match inner.next() {
            Some(body) => self.declaration_kind(body),
            None => DeclarationKind::Import(Vec::new()),
        };
        Declaration { docs, kind, span }
    }

    fn declaration_kind(&mut self, pair: Pair<'_, Rule>) -> DeclarationKind {
        match pair.as_rule() {
            Rule::version_decl => DeclarationKind::Version(self.version(pair)),
            Rule::import_decl => DeclarationKind::Import(pair.into_inner().map(name_of).collect()),
            Rule::unit_decl => {
                let mut name = None;
                let mut description = None;
                let mut citations = Vec::new();
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::unit_factor => name = Some(name_of(part)),
                        Rule::string => description = Some(unquote(part)),
                        Rule::citation => citations.push(citation(part)),
                        _ => {}
                    }
                }
                DeclarationKind::Unit(UnitDeclaration {
                    name: name.unwrap_or_else(empty_name),
                    description,
                    citations,
                })
            }
            Rule::record_decl => {
                let mut inner = pair.into_inner();
                let name = inner.next().map(name_of).unwrap_or_else(empty_name);
                let fields = inner.map(|field| self.field(field)).collect();
                DeclarationKind::Record(RecordDeclaration { name, fields })
            }
            Rule::facts_decl => {
                DeclarationKind::Facts(pair.into_inner().map(|f| self.field(f)).collect())
            }
            Rule::outcome_decl => {
                DeclarationKind::Outcome(pair.into_inner().map(|f| self.field(f)).collect())
            }
            Rule::enum_decl => {
                let mut inner = pair.into_inner();
                let name = inner.next().map(name_of).unwrap_or_else(empty_name);
                let variants = inner
                    .map(|variant| {
                        let mut parts = variant.into_inner();
                        let docs = parts.next().map(docs_of).unwrap_or_default();
                        let name = parts.next().map(name_of).unwrap_or_else(empty_name);
                        let less_than = parts.next().is_some();
                        Variant {
                            docs,
                            name,
                            less_than,
                        }
                    })
                    .collect();
                DeclarationKind::Enum(EnumDeclaration { name, variants })
            }
            Rule::remove_decl => {
                let mut inner = pair.into_inner();
                let name = inner.next().map(name_of).unwrap_or_else(empty_name);
                DeclarationKind::Remove(RemoveDeclaration {
                    name,
                    citations: inner.map(citation).collect(),
                })
            }
            Rule::replace_decl => match pair.into_inner().next() {
                Some(provision) => DeclarationKind::Replace(self.provision(provision)),
                None => DeclarationKind::Import(Vec::new()),
            },
            Rule::example_decl => {
                let mut inner = pair.into_inner();
                let name = inner.next().map(name_of).unwrap_or_else(empty_name);
                let value = match inner.next() {
                    Some(value) => self.fact_value(value),
                    None => FactValue {
                        kind: FactValueKind::Null,
                        span: name.span,
                    },
                };
                DeclarationKind::Example(ExampleDeclaration { name, value })
            }
            Rule::test_decl => DeclarationKind::Test(self.test(pair)),
            _ => DeclarationKind::Provision(self.provision(pair)),
        }
    }

    fn version(&mut self, pair: Pair<'_, Rule>) -> VersionManifest {
        let mut inner = pair.into_inner();
        let id = inner.next().map(|id| {
            let span = span_of(&id);
            Name {
                text: unquote(id),
                span,
            }
        });
        let mut manifest = VersionManifest {
            id: id.unwrap_or_else(empty_name),
            policy: None,
            title: None,
            source: None,
            amends: None,
            in_force: None,
            citations: Vec::new(),
        };
        for clause in inner {
            let rule = clause.as_rule();
            let clause_span = span_of(&clause);
            if rule == Rule::citation {
                manifest.citations.push(citation(clause));
                continue;
            }
            let Some(value) = clause.into_inner().next() else {
                continue;
            };
            match rule {
                Rule::policy_clause => {
                    let span = span_of(&value);
                    manifest.policy = Some(Name {
                        text: unquote(value),
                        span,
                    });
                }
                Rule::title_clause => manifest.title = Some(unquote(value)),
                Rule::source_clause => manifest.source = Some(unquote(value)),
                Rule::amends_clause => {
                    let span = span_of(&value);
                    manifest.amends = Some(Name {
                        text: unquote(value),
                        span,
                    });
                }
                Rule::in_force_clause => {
                    manifest.in_force = Some(if value.as_rule() == Rule::never {
                        InForce::Never(clause_span)
                    } else {
                        let mut dates = value.into_inner().map(|date| self.dated(date));
                        let from = dates.next().unwrap_or(Dated {
                            date: Date::MIN,
                            span: clause_span,
                        });
                        InForce::Range {
                            from,
                            through: dates.next(),
                        }
                    });
                }
                _ => {}
            }
        }
        manifest
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> FieldDeclaration {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let docs = inner.next().map(docs_of).unwrap_or_default();
        let name = inner.next().map(name_of).unwrap_or_else(empty_name);
        let ty = match inner.next() {
            Some(ty) => self.type_expr(ty),
            None => TypeExpr {
                kind: TypeExprKind::Named {
                    name: empty_name(),
                    unit: None,
                },
                optional: false,
                span,
            },
        };
        let mut most_restrictive = None;
        let mut minimum = None;
        let mut default = None;
        for part in inner {
            if part.as_rule() == Rule::minimum {
                let span = span_of(&part);
                let mut parts = part.into_inner();
                let strict = parts.next().is_some_and(|op| op.as_str() == ">");
                let mut negated = false;
                let mut value = None;
                for piece in parts {
                    if piece.as_rule() == Rule::negate {
                        negated = true;
                    } else {
                        value = Some(self.expr(piece));
                    }
                }
                let value = value.unwrap_or(Expr {
                    kind: ExprKind::Bool(false),
                    span,
                });
                let value = if negated {
                    Expr {
                        span: Span {
                            start: value.span.start.saturating_sub(1),
                            end: value.span.end,
                        },
                        kind: ExprKind::Negate(Box::new(value)),
                    }
                } else {
                    value
                };
                minimum = Some(Minimum {
                    strict,
                    value,
                    span,
                });
            } else if part.as_rule() == Rule::most_restrictive {
                most_restrictive = Some(MostRestrictive {
                    span: span_of(&part),
                    citations: part.into_inner().map(citation).collect(),
                });
            } else {
                default = Some(self.expr(part));
            }
        }
        FieldDeclaration {
            docs,
            name,
            ty,
            minimum,
            most_restrictive,
            default,
            span,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let Some(body) = inner.next() else {
            return TypeExpr {
                kind: TypeExprKind::Named {
                    name: empty_name(),
                    unit: None,
                },
                optional: false,
                span,
            };
        };
        let optional = inner.next().is_some();
        let kind = match body.as_rule() {
            Rule::set_type | Rule::list_type => {
                let is_set = body.as_rule() == Rule::set_type;
                let element = body
                    .into_inner()
                    .next()
                    .map(|element| self.type_expr(element));
                let element = Box::new(element.unwrap_or(TypeExpr {
                    kind: TypeExprKind::Named {
                        name: empty_name(),
                        unit: None,
                    },
                    optional: false,
                    span,
                }));
                if is_set {
                    TypeExprKind::Set(element)
                } else {
                    TypeExprKind::List(element)
                }
            }
            _ => {
                let mut parts = body.into_inner();
                let name = parts.next().map(name_of).unwrap_or_else(empty_name);
                let unit = parts.next().map(unit_expr);
                TypeExprKind::Named { name, unit }
            }
        };
        TypeExpr {
            kind,
            optional,
            span,
        }
    }

    fn provision(&mut self, pair: Pair<'_, Rule>) -> Provision {
        let rule = pair.as_rule();
        let declaration_span = span_of(&pair);
        let mut inner = pair.into_inner().peekable();
        let name = inner.next().map(name_of).unwrap_or_else(empty_name);
        let mut provision = Provision {
            name,
            kind: ProvisionKind::Alias {
                target: empty_name(),
            },
            citations: Vec::new(),
            effective: None,
            through: None,
        };
        let mut ty = None;
        let mut value = None;
        let mut title = None;
        let mut members = None;
        let mut changes = Vec::new();
        let mut rows = Vec::new();
        let mut target = None;
        let mut rule_body = Rule_ {
            unless: Vec::new(),
            notwithstanding: Vec::new(),
            when: None,
            then: Vec::new(),
            then_span: provision.name.span,
        };
        for part in inner {
            match part.as_rule() {
                Rule::citation => provision.citations.push(citation(part)),
                Rule::effective => {
                    if let Some(date) = part.into_inner().next() {
                        provision.effective = Some(self.dated(date));
                    }
                }
                Rule::through => {
                    if let Some(date) = part.into_inner().next() {
                        provision.through = Some(self.dated(date));
                    }
                }
                Rule::type_expr => ty = Some(self.type_expr(part)),
                Rule::expr => value = Some(self.expr(part)),
                Rule::string => title = Some(unquote(part)),
                Rule::group_expr => members = Some(self.group_expr(part)),
                Rule::membership_change => changes.push(self.membership_change(part)),
                Rule::table_row => {
                    let mut row = part.into_inner();
                    let from = row.next().map(|date| self.dated(date));
                    let row_value = row.next().map(|value| self.expr(value));
                    if let (Some(from), Some(value)) = (from, row_value) {
                        rows.push(TableRow { from, value });
                    }
                }
                Rule::country => target = Some(name_of(part)),
                Rule::unless_clause => rule_body.unless.extend(part.into_inner().map(name_of)),
                Rule::notwithstanding_clause => rule_body
                    .notwithstanding
                    .extend(part.into_inner().map(name_of)),
                Rule::when_clause => {
                    if let Some(condition) = part.into_inner().next() {
                        rule_body.when = Some(self.expr(condition));
                    }
                }
                Rule::then_clause => {
                    let span = span_of(&part);
                    rule_body.then_span = Span::new(span.start as usize, span.start as usize + 4);
                    for conclusion in part.into_inner() {
                        let mut parts = conclusion.into_inner();
                        let field = parts.next().map(name_of).unwrap_or_else(empty_name);
                        let add = parts.next().is_some_and(|op| op.as_str() == "+=");
                        let value = parts.next().map(|value| self.expr(value));
                        if let Some(value) = value {
                            rule_body.then.push(Conclusion { field, add, value });
                        }
                    }
                }
                _ => {}
            }
        }
        let missing_value = || Expr {
            kind: ExprKind::Bool(false),
            span: declaration_span,
        };
        provision.kind = match rule {
            Rule::const_decl => ProvisionKind::Const {
                ty,
                value: value.unwrap_or_else(missing_value),
            },
            Rule::define_decl => ProvisionKind::Define {
                ty,
                value: value.unwrap_or_else(missing_value),
            },
            Rule::group_decl => ProvisionKind::Group {
                title,
                members: members.unwrap_or(GroupExpr {
                    first: GroupTerm::Countries(Vec::new(), declaration_span),
                    rest: Vec::new(),
                }),
                changes,
            },
            Rule::alias_decl => ProvisionKind::Alias {
                target: target.unwrap_or_else(empty_name),
            },
            Rule::table_decl => ProvisionKind::Table { ty, rows },
            _ => ProvisionKind::Rule(rule_body),
        };
        provision
    }

    fn group_expr(&mut self, pair: Pair<'_, Rule>) -> GroupExpr {
        let mut inner = pair.into_inner();
        let first = inner
            .next()
            .map(group_term)
            .unwrap_or(GroupTerm::Countries(Vec::new(), Span::default()));
        let mut rest = Vec::new();
        while let (Some(op), Some(term)) = (inner.next(), inner.next()) {
            let op = if op.as_str() == "+" {
                GroupOp::Union
            } else {
                GroupOp::Difference
            };
            rest.push((op, group_term(term)));
        }
        GroupExpr { first, rest }
    }

    fn membership_change(&mut self, pair: Pair<'_, Rule>) -> MembershipChange {
        let span = span_of(&pair);
        let mut joins = false;
        let mut country = empty_name();
        let mut on = None;
        let mut citations = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::joins => joins = true,
                Rule::country => country = name_of(part),
                Rule::date => on = Some(self.dated(part)),
                Rule::citation => citations.push(citation(part)),
                _ => {}
            }
        }
        MembershipChange {
            joins,
            country,
            on: on.unwrap_or(Dated {
                date: Date::MIN,
                span,
            }),
            citations,
            span,
        }
    }

    fn test(&mut self, pair: Pair<'_, Rule>) -> TestDeclaration {
        let mut inner = pair.into_inner();
        let name = inner.next().map(name_of).unwrap_or_else(empty_name);
        let mut given = Given::Facts(Vec::new(), name.span);
        let mut overrides = Vec::new();
        let mut expect = Vec::new();
        for clause in inner {
            match clause.as_rule() {
                Rule::given_clause => {
                    let mut parts = clause.into_inner();
                    if let Some(base) = parts.next() {
                        given = if base.as_rule() == Rule::ident {
                            Given::Example(name_of(base))
                        } else {
                            let span = span_of(&base);
                            Given::Facts(self.fact_entries(base), span)
                        };
                    }
                    if let Some(with) = parts.next() {
                        overrides = self.fact_entries(with);
                    }
                }
                Rule::expect_clause => {
                    if let Some(record) = clause.into_inner().next() {
                        expect = self.fact_entries(record);
                    }
                }
                _ => {}
            }
        }
        TestDeclaration {
            name,
            given,
            overrides,
            expect,
        }
    }

    fn fact_entries(&mut self, record: Pair<'_, Rule>) -> Vec<FactEntry> {
        record
            .into_inner()
            .map(|entry| {
                let mut parts = entry.into_inner();
                let key = parts.next();
                let key_span = key.as_ref().map(span_of).unwrap_or_default();
                let key = key
                    .map(|key| key.as_str().split('.').map(str::to_string).collect())
                    .unwrap_or_default();
                let value = match parts.next() {
                    Some(value) => self.fact_value(value),
                    None => FactValue {
                        kind: FactValueKind::Null,
                        span: key_span,
                    },
                };
                FactEntry {
                    key,
                    key_span,
                    value,
                }
            })
            .collect()
    }

    fn fact_value(&mut self, pair: Pair<'_, Rule>) -> FactValue {
        let pair = if pair.as_rule() == Rule::fact_value {
            match pair.into_inner().next() {
                Some(inner) => inner,
                None => {
                    return FactValue {
                        kind: FactValueKind::Null,
                        span: Span::default(),
                    };
                }
            }
        } else {
            pair
        };
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::fact_record => FactValueKind::Record(self.fact_entries(pair)),
            Rule::fact_list => {
                FactValueKind::List(pair.into_inner().map(|v| self.fact_value(v)).collect())
            }
            Rule::date => FactValueKind::Date(self.dated(pair).date),
            Rule::eccn => FactValueKind::Eccn(pair.as_str().to_string()),
            Rule::number => FactValueKind::Number(self.number(&pair)),
            Rule::string => FactValueKind::String(unquote(pair)),
            Rule::fact_bool => FactValueKind::Bool(pair.as_str() == "true"),
            Rule::null => FactValueKind::Null,
            Rule::country => FactValueKind::Country(pair.as_str().to_string()),
            _ => FactValueKind::Word(pair.as_str().to_string()),
        };
        FactValue { kind, span }
    }

    fn dated(&mut self, pair: Pair<'_, Rule>) -> Dated {
        let span = span_of(&pair);
        match Date::from_str(pair.as_str()) {
            Ok(date) => Dated { date, span },
            Err(_) => {
                self.errors.push(
                    Diagnostic::new(
                        Code::E0501,
                        span,
                        format!("`{}` is not a date", pair.as_str()),
                    )
                    .with_label("no such day")
                    .with_help("write dates as YYYY-MM-DD, for a day that exists"),
                );
                Dated {
                    date: Date::MIN,
                    span,
                }
            }
        }
    }

    fn number(&mut self, pair: &Pair<'_, Rule>) -> Decimal {
        match parse_decimal(pair.as_str()) {
            Some(value) => value,
            None => {
                self.errors.push(
                    Diagnostic::new(
                        Code::E0001,
                        span_of(pair),
                        format!("`{}` cannot be held exactly as a decimal", pair.as_str()),
                    )
                    .with_label("out of range")
                    .with_help(
                        "numbers must have at most 28 significant digits and be below 7.9e28",
                    ),
                );
                Decimal::ZERO
            }
        }
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::primary => match pair.into_inner().next() {
                Some(inner) => self.expr(inner),
                None => Expr {
                    kind: ExprKind::Bool(false),
                    span,
                },
            },
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    BinaryOp::Or
                } else {
                    BinaryOp::And
                };
                let mut operands: Vec<Expr> = Vec::new();
                for part in pair.into_inner() {
                    if matches!(part.as_rule(), Rule::or_kw | Rule::and_kw) {
                        continue;
                    }
                    let operand = self.expr(part);
                    match operand.kind {
                        // `(a or b) or c` is `a or b or c`, as a chain leaning left always read.
                        ExprKind::Chain(inner, first) if operands.is_empty() && inner == op => {
                            operands = first;
                        }
                        kind => operands.push(Expr {
                            kind,
                            span: operand.span,
                        }),
                    }
                }
                match operands.len() {
                    0 => Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                    1 => operands.pop().unwrap_or(Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    }),
                    _ => {
                        let span = Span {
                            start: operands.first().map_or(span.start, |e| e.span.start),
                            end: operands.last().map_or(span.end, |e| e.span.end),
                        };
                        Expr {
                            kind: ExprKind::Chain(op, operands),
                            span,
                        }
                    }
                }
            }
            Rule::sum | Rule::product => {
                let mut inner = pair.into_inner();
                let mut left = match inner.next() {
                    Some(first) => self.expr(first),
                    None => {
                        return Expr {
                            kind: ExprKind::Bool(false),
                            span,
                        };
                    }
                };
                while let Some(op) = inner.next() {
                    let op = binary_op(op.as_str());
                    let Some(right) = inner.next() else { break };
                    let right = self.expr(right);
                    let span = Span {
                        start: left.span.start,
                        end: right.span.end,
                    };
                    left = Expr {
                        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                        span,
                    };
                }
                left
            }
            Rule::not_expr => {
                let mut inner = pair.into_inner();
                match (inner.next(), inner.next()) {
                    (Some(_not), Some(operand)) => Expr {
                        kind: ExprKind::Not(Box::new(self.expr(operand))),
                        span,
                    },
                    (Some(single), None) => self.expr(single),
                    _ => Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                }
            }
            Rule::comparison => {
                let mut inner = pair.into_inner();
                let left = inner.next().map(|left| self.expr(left));
                let op = inner.next();
                let right = inner.next().map(|right| self.expr(right));
                match (left, op, right) {
                    (Some(left), Some(op), Some(right)) => {
                        let op = op.as_str().to_string();
                        Expr {
                            kind: ExprKind::Binary(binary_op(&op), Box::new(left), Box::new(right)),
                            span,
                        }
                    }
                    (Some(left), _, _) => left,
                    _ => Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                }
            }
            Rule::unary => {
                let mut inner = pair.into_inner();
                let first = inner.next();
                match (first, inner.next()) {
                    (Some(_negate), Some(operand)) => Expr {
                        kind: ExprKind::Negate(Box::new(self.expr(operand))),
                        span,
                    },
                    (Some(single), None) => self.expr(single),
                    _ => Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                }
            }
            Rule::postfix => {
                let mut inner = pair.into_inner();
                let mut base = match inner.next() {
                    Some(primary) => self.expr(primary),
                    None => {
                        return Expr {
                            kind: ExprKind::Bool(false),
                            span,
                        };
                    }
                };
                for access in inner {
                    let access_span = span_of(&access);
                    if let Some(field) = access.into_inner().next() {
                        base = Expr {
                            span: Span {
                                start: base.span.start,
                                end: access_span.end,
                            },
                            kind: ExprKind::Field(Box::new(base), name_of(field)),
                        };
                    }
                }
                base
            }
            Rule::quantity => {
                let mut inner = pair.into_inner();
                let value = inner
                    .next()
                    .map_or(Decimal::ZERO, |number| self.number(&number));
                let unit = inner.next().map(unit_expr);
                Expr {
                    kind: ExprKind::Number { value, unit },
                    span,
                }
            }
            Rule::boolean => Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                span,
            },
            Rule::string => Expr {
                kind: ExprKind::String(unquote(pair)),
                span,
            },
            Rule::date => Expr {
                kind: ExprKind::Date(self.dated(pair).date),
                span,
            },
            Rule::eccn => Expr {
                kind: ExprKind::Eccn(pair.as_str().to_string()),
                span,
            },
            Rule::country => Expr {
                kind: ExprKind::Country(pair.as_str().to_string()),
                span,
            },
            Rule::ident => Expr {
                kind: ExprKind::Name(pair.as_str().to_string()),
                span,
            },
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = inner.next().map(name_of).unwrap_or_else(empty_name);
                let arguments = inner.map(|argument| self.expr(argument)).collect();
                Expr {
                    kind: ExprKind::Call(function, arguments),
                    span,
                }
            }
            Rule::list_literal => Expr {
                kind: ExprKind::List(
                    pair.into_inner()
                        .map(|element| self.expr(element))
                        .collect(),
                ),
                span,
            },
            Rule::set_literal => Expr {
                kind: ExprKind::Set(
                    pair.into_inner()
                        .map(|element| self.expr(element))
                        .collect(),
                ),
                span,
            },
            Rule::quantifier => {
                let mut inner = pair.into_inner();
                let all = inner.next().is_some_and(|kind| kind.as_str() == "all");
                let variable = inner.next().map(name_of).unwrap_or_else(empty_name);
                let over = inner.next().map(|over| self.expr(over));
                let body = inner.next().map(|body| self.expr(body));
                match (over, body) {
                    (Some(over), Some(body)) => Expr {
                        kind: ExprKind::Quantifier {
                            all,
                            variable,
                            over: Box::new(over),
                            body: Box::new(body),
                        },
                        span,
                    },
                    _ => Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                }
            }
            _ => Expr {
                kind: ExprKind::Bool(false),
                span,
            },
        }
    }
}

/// Distinct from pest's `Rule`: the syntax tree's rule body while it is being built.
type Rule_ = crate::syntax::Rule;

fn group_term(pair: Pair<'_, Rule>) -> GroupTerm {
    let Some(inner) = pair.into_inner().next() else {
        return GroupTerm::Countries(Vec::new(), Span::default());
    };
    if inner.as_rule() == Rule::country_set {
        let span = span_of(&inner);
        GroupTerm::Countries(inner.into_inner().map(name_of).collect(), span)
    } else {
        GroupTerm::Group(name_of(inner))
    }
}

fn citation(pair: Pair<'_, Rule>) -> Citation {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let text = inner.next().map(unquote).unwrap_or_default();
    let confidence = match inner.next().map(|c| c.as_str().to_string()).as_deref() {
        Some("secondary") => Confidence::Secondary,
        Some("unconfirmed") => Confidence::Unconfirmed,
        _ => Confidence::Confirmed,
    };
    Citation {
        text,
        confidence,
        span,
    }
}

fn docs_of(pair: Pair<'_, Rule>) -> Vec<String> {
    pair.into_inner()
        .map(|line| {
            let text = line.as_str().trim_start_matches("///");
            text.strip_prefix(' ')
                .unwrap_or(text)
                .trim_end()
                .to_string()
        })
        .collect()
}

fn unit_expr(pair: Pair<'_, Rule>) -> UnitExpr {
    let span = span_of(&pair);
    let text = pair.as_str();
    let mut factors = Vec::new();
    let mut sign = 1;
    let mut current = String::new();
    let mut push = |part: &str, sign: i32| {
        let (name, power) = match part.split_once('^') {
            Some((name, power)) => (name, power.parse::<i32>().unwrap_or(1)),
            None => (part, 1),
        };
        factors.push((name.to_string(), sign * power));
    };
    for c in text.chars() {
        if c == '/' || c == '*' {
            push(&current, sign);
            current.clear();
            sign = if c == '/' { -1 } else { 1 };
        } else {
            current.push(c);
        }
    }
    push(&current, sign);
    UnitExpr { factors, span }
}

fn binary_op(text: &str) -> BinaryOp {
    match text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .as_str()
    {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "!=" => BinaryOp::NotEqual,
        "<" => BinaryOp::Less,
        "<=" => BinaryOp::LessOrEqual,
        ">" => BinaryOp::Greater,
        ">=" => BinaryOp::GreaterOrEqual,
        "in" => BinaryOp::In,
        "not in" => BinaryOp::NotIn,
        "within" => BinaryOp::Within,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Subtract,
        "*" => BinaryOp::Multiply,
        "/" => BinaryOp::Divide,
        _ => BinaryOp::Equal,
    }
}

fn empty_name() -> Name {
    Name {
        text: String::new(),
        span: Span::default(),
    }
}

/// Reads a decimal literal exactly: `26_900_000`, `5.92`, `1e26`, `2.5E+25`. `None` when the value
/// cannot be held exactly (more than 28 significant digits, or beyond about 7.9e28).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    if cleaned.contains(['e', 'E']) {
        let (mantissa, exponent) = cleaned.split_once(['e', 'E'])?;
        let exponent: i64 = exponent.parse().ok()?;
        let mantissa = Decimal::from_str_exact(mantissa).ok()?;
        scale_by_power_of_ten(mantissa, exponent)
    } else {
        Decimal::from_str_exact(&cleaned).ok()
    }
}

fn scale_by_power_of_ten(mut value: Decimal, exponent: i64) -> Option<Decimal> {
    if exponent.unsigned_abs() > 60 {
        return if value.is_zero() {
            Some(Decimal::ZERO)
        } else {
            None
        };
    }
    let ten = Decimal::TEN;
    if exponent >= 0 {
        for _ in 0..exponent {
            value = value.checked_mul(ten)?;
        }
        Some(value.normalize())
    } else {
        let scale = value.scale() + u32::try_from(-exponent).ok()?;
        if scale > 28 {
            return None;
        }
        let mut result = value;
        result.set_scale(scale).ok()?;
        Some(result.normalize())
    }
}
