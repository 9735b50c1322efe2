//! Hover: what a name is, and the law behind it. For a provision: its type and dimension, its
//! value (constants), its members on the version's dates with country names (groups), its
//! citations, its window in force and its documentation.

use cordon_lang::check::country_name;
use cordon_lang::db::{self, EntryKind};
use cordon_lang::hir::{self, Provenance};
use cordon_lang::ide::{self, OccurrenceKind, Resolved};
use cordon_lang::syntax::{DeclarationKind, ProvisionKind};
use jiff::civil::Date;
use tower_lsp_server::gen_lsp_types::{Contents, Hover, HoverParams, MarkupContent, MarkupKind};

use crate::position::LineIndex;
use crate::requests::at;
use crate::state::Snapshot;

pub fn hover(snapshot: &Snapshot, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let (file, workspace, offset) = at(snapshot, &position.text_document.uri, position.position)?;
    let db = &snapshot.db;
    let (occurrence, resolved) = ide::resolve_at(db, workspace, file, offset)?;
    // The name after `replace` or `remove` is described as this version has it (definition goes to
    // the amended provision).
    let resolved = match occurrence.kind {
        OccurrenceKind::Amendment(kind) => Resolved::Declaration {
            version: ide::file_version(db, workspace, file)?,
            key: ide::declaration_key_at(db, file, occurrence.span.start)?,
            kind,
        },
        _ => resolved,
    };
    let text = describe(snapshot, &resolved)?;
    Some(Hover {
        contents: Contents::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(LineIndex::new(snapshot.text(file)).range(occurrence.span)),
    })
}

/// The hover text of what a name denotes, in Markdown.
pub fn describe(snapshot: &Snapshot, resolved: &Resolved<'_>) -> Option<String> {
    let db = &snapshot.db;
    match resolved {
        Resolved::Declaration { version, key, kind } => {
            let name = key.name(db).clone();
            let checked = db::check_version(db, *version);
            let types = db::version_types(db, *version);
            let mut lines = Vec::new();
            let ty = types
                .names
                .get(&name)
                .map(|info| info.ty.clone())
                .filter(|ty| *ty != hir::Type::Unknown);
            let header = match ty {
                Some(ty)
                    if matches!(
                        kind,
                        EntryKind::Const | EntryKind::Table | EntryKind::Define
                    ) =>
                {
                    format!("{} `{name}`: {ty}", kind.noun())
                }
                _ => format!("{} `{name}`", kind.noun()),
            };
            lines.push(header);
            let written_in = key.file(db);
            lines.push(format!(
                "declared in `{}/{}`",
                short_dir(written_in.version_dir(db)),
                written_in.module(db)
            ));
            let tree = db::declaration_syntax(db, *key).as_ref();
            let base =
                db::version_base(db, *version).map(|base| db::version_id(db, base).0.clone());
            match (tree.map(|tree| &tree.kind), base) {
                (Some(DeclarationKind::Replace(_)), Some(base)) => {
                    lines.push(format!("replaces `{name}` of version `{base}`"));
                }
                (Some(DeclarationKind::Remove(_)), Some(base)) => {
                    lines.push(format!("removes `{name}` of version `{base}`"));
                }
                _ => {}
            }
            if let Some(tree) = tree
                && let DeclarationKind::Provision(provision) | DeclarationKind::Replace(provision) =
                    &tree.kind
            {
                let source = snapshot.text(written_in);
                let offset = db::declaration_offset(db, *key) as usize;
                match &provision.kind {
                    ProvisionKind::Const { value, .. } => {
                        let start = offset + value.span.start as usize;
                        let end = offset + value.span.end as usize;
                        if let Some(written) = source.get(start..end) {
                            lines.push(format!("value: `{written}`"));
                        }
                    }
                    ProvisionKind::Alias { target } => {
                        lines.push(format!(
                            "`{name}` is treated as `{}` ({})",
                            target.text,
                            country_name(&target.text).unwrap_or("unknown country")
                        ));
                    }
                    _ => {}
                }
            }
            if let Some(tree) = tree {
                match &tree.kind {
                    DeclarationKind::Enum(enumeration) => {
                        let values: Vec<String> = enumeration
                            .variants
                            .iter()
                            .map(|variant| format!("`{}`", variant.name.text))
                            .collect();
                        lines.push(format!("values: {}", values.join(", ")));
                    }
                    DeclarationKind::Record(record) => {
                        let fields: Vec<String> = record
                            .fields
                            .iter()
                            .map(|field| format!("`{}`", field.name.text))
                            .collect();
                        lines.push(format!("fields: {}", fields.join(", ")));
                    }
                    _ => {}
                }
            }
            let hir = &checked.version;
            if *kind == EntryKind::Group {
                lines.extend(group_members(hir, &name));
            }
            if *kind == EntryKind::Rule
                && let Some(rule) = hir.rules.iter().find(|rule| rule.name == name)
            {
                if let Some(window) = window_text(rule.window) {
                    lines.push(format!("can apply {window}"));
                }
                if !rule.unless.is_empty() {
                    lines.push(format!("unless: {}", backticked(&rule.unless)));
                }
                if !rule.notwithstanding.is_empty() {
                    lines.push(format!(
                        "notwithstanding: {}",
                        backticked(&rule.notwithstanding)
                    ));
                }
            }
            match hir.provenance(&name) {
                Some(provenance) => {
                    lines.extend(provenance_lines(provenance, *kind != EntryKind::Rule))
                }
                None => {
                    if let Some(tree) = tree
                        && !tree.docs.is_empty()
                    {
                        lines.push(String::new());
                        lines.push(tree.docs.join("\n"));
                    }
                }
            }
            Some(paragraphs(lines))
        }
        Resolved::Fact { version, path, .. } => {
            let checked = db::check_version(db, *version);
            let field = checked.version.fact_field(path)?;
            let mut lines = vec![format!("fact `{}`: {}", path.join("."), field.ty)];
            lines.push(match &field.mode {
                hir::FieldMode::Required => "required".to_string(),
                hir::FieldMode::Optional => "optional: read it after `present(...)`".to_string(),
                hir::FieldMode::Default(value) => format!("defaults to `{value:?}` when absent"),
            });
            if !field.docs.is_empty() {
                lines.push(String::new());
                lines.push(field.docs.join("\n"));
            }
            Some(paragraphs(lines))
        }
        Resolved::Outcome { version, field, .. } => {
            let checked = db::check_version(db, *version);
            let declared = checked.version.outcome.field(field)?;
            let mut lines = vec![format!("outcome `{field}`: {}", declared.ty)];
            if let Some(order) = checked.version.restrictiveness(declared) {
                lines.push(format!(
                    "the most restrictive of the values its applying rules conclude decides: {}",
                    order.variants.join(" < ")
                ));
                lines.extend(citation_lines(
                    declared.most_restrictive.as_deref().unwrap_or_default(),
                ));
            }
            if !declared.docs.is_empty() {
                lines.push(String::new());
                lines.push(declared.docs.join("\n"));
            }
            Some(paragraphs(lines))
        }
        Resolved::Variant { enumeration, .. } => {
            Some(format!("a value of the enum `{enumeration}`"))
        }
        Resolved::Variable { .. } => Some("a variable of `any` or `all`".to_string()),
        Resolved::Country(code) => Some(match country_name(code) {
            Some(name) => format!("`{code}`: {name}"),
            None => format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
        }),
    }
}

/// The members of a group on each date its membership can change in the version: the day the
/// version enters into force, and the group's own dated changes.
fn group_members(hir: &hir::Version, name: &str) -> Vec<String> {
    let Some(group) = hir.groups.get(name) else {
        return Vec::new();
    };
    let mut dates: Vec<Date> = Vec::new();
    if let hir::InForce::Range { from, .. } = hir.manifest.in_force {
        dates.push(from);
    }
    dates.extend(group.changes.iter().map(|change| change.on));
    if let Some(effective) = group.provenance.effective {
        dates.push(effective);
    }
    dates.sort();
    dates.dedup();
    let first = dates.first().copied();
    // Changes before the version's first date are history: list from the version's date on.
    if let (Some(start), hir::InForce::Range { from, .. }) = (first, &hir.manifest.in_force) {
        dates.retain(|date| *date >= *from || *date == start);
    }
    if dates.is_empty() {
        dates.push(Date::MIN);
    }
    let mut lines = Vec::new();
    for date in dates {
        let members = hir.group_members_on(name, date);
        let listed: Vec<String> = members
            .iter()
            .map(|code| format!("{code} ({})", country_name(code).unwrap_or("?")))
            .collect();
        let when = if date == Date::MIN {
            "members".to_string()
        } else {
            format!("members on {date}")
        };
        lines.push(format!("{when} ({}): {}", members.len(), listed.join(", ")));
    }
    lines
}

/// Citations, window in force (unless already said) and docs.
fn provenance_lines(provenance: &Provenance, with_window: bool) -> Vec<String> {
    let mut lines = citation_lines(&provenance.citations);
    if with_window && let Some(window) = window_text((provenance.effective, provenance.through)) {
        lines.push(format!("in force {window}"));
    }
    if !provenance.docs.is_empty() {
        lines.push(String::new());
        lines.push(provenance.docs.join("\n"));
    }
    lines
}

/// `cite "..."`, with the confidence when it is not confirmed.
fn citation_lines(citations: &[hir::Citation]) -> Vec<String> {
    citations
        .iter()
        .map(|citation| {
            let confidence = match citation.confidence {
                hir::Confidence::Confirmed => String::new(),
                other => format!(" ({})", other.as_str()),
            };
            format!("cite \"{}\"{confidence}", citation.text)
        })
        .collect()
}

/// `from 2025-01-13 through 2025-05-12`, or `None` for no bounds.
pub fn window_text(window: (Option<Date>, Option<Date>)) -> Option<String> {
    match window {
        (None, None) => None,
        (Some(from), None) => Some(format!("from {from}")),
        (None, Some(through)) => Some(format!("through {through}")),
        (Some(from), Some(through)) => Some(format!("from {from} through {through}")),
    }
}

fn backticked(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lines as Markdown paragraphs (each line its own paragraph, the first one in bold).
fn paragraphs(lines: Vec<String>) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index == 0 {
            out.push_str(&format!("**{line}**"));
        } else if line.is_empty() {
            out.push_str("\n\n---");
        } else {
            out.push_str(&format!("\n\n{line}"));
        }
    }
    out
}

/// The last part of a version directory's path.
pub fn short_dir(dir: &str) -> &str {
    dir.rsplit(['/', '\\']).next().unwrap_or(dir)
}
