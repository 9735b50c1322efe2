//! Document symbols (the declarations of a file, with the fields of records and schemas and the
//! values of enums inside them) and workspace symbols (every declared name of the loaded
//! policies that contains the query, ignoring case).

use cordon_lang::db::{self, EntryKind, SourceFile};
use cordon_lang::ide::{self, FileSpan, OccurrenceKind};
use cordon_lang::parse::ParsedChunk;
use cordon_lang::syntax::{DeclarationKind, FieldDeclaration, Span};
use tower_lsp_server::gen_lsp_types::{
    BaseSymbolInformation, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse,
    SymbolKind, WorkspaceSymbol, WorkspaceSymbolLocation, WorkspaceSymbolParams,
    WorkspaceSymbolResponse,
};

use crate::position::LineIndex;
use crate::requests::hover::short_dir;
use crate::state::Snapshot;

pub fn symbol_kind(kind: EntryKind) -> SymbolKind {
    match kind {
        EntryKind::Unit => SymbolKind::TypeParameter,
        EntryKind::Record => SymbolKind::Struct,
        EntryKind::Enum => SymbolKind::Enum,
        EntryKind::Facts | EntryKind::Outcome => SymbolKind::Interface,
        EntryKind::Const => SymbolKind::Constant,
        EntryKind::Group => SymbolKind::Namespace,
        EntryKind::Alias => SymbolKind::Variable,
        EntryKind::Table => SymbolKind::Array,
        EntryKind::Define => SymbolKind::Variable,
        EntryKind::Rule => SymbolKind::Function,
        EntryKind::Example => SymbolKind::Object,
        EntryKind::Test => SymbolKind::Method,
        EntryKind::Version => SymbolKind::Module,
        EntryKind::Import => SymbolKind::Package,
        EntryKind::Remove | EntryKind::Broken => SymbolKind::Null,
    }
}

pub fn document(
    snapshot: &Snapshot,
    params: &DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let (file, _) = snapshot.file(&params.text_document.uri)?;
    Some(DocumentSymbolResponse::DocumentSymbolList(file_symbols(
        snapshot, file,
    )))
}

#[allow(deprecated)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    index: &LineIndex<'_>,
    range: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: index.range(range),
        selection_range: index.range(selection),
        children: (!children.is_empty()).then_some(children),
    }
}

fn file_symbols(snapshot: &Snapshot, file: SourceFile) -> Vec<DocumentSymbol> {
    let db = &snapshot.db;
    let text = snapshot.text(file);
    let index = LineIndex::new(text);
    let declarations = &db::parse_file(db, file).declarations;
    let mut symbols = Vec::new();
    for (position, declaration) in declarations.iter().enumerate() {
        let offset = declaration.offset;
        let next = declarations
            .get(position + 1)
            .map_or(text.len(), |next| next.offset as usize);
        let end = offset as usize
            + text
                .get(offset as usize..next)
                .unwrap_or("")
                .trim_end()
                .len();
        let range = Span::new(offset as usize, end);
        let (name, kind, selection, children) = match &declaration.parsed {
            ParsedChunk::Declaration(tree) => {
                let kind = EntryKind::of_declaration(tree);
                let selection = tree
                    .name()
                    .map_or(Span::new(offset as usize, offset as usize), |name| {
                        name.span.shifted(offset)
                    });
                let name = tree
                    .name()
                    .map_or_else(|| tree.keyword().to_string(), |name| name.text.clone());
                let children = match &tree.kind {
                    DeclarationKind::Record(record) => fields(&index, offset, &record.fields),
                    DeclarationKind::Facts(fields_declared)
                    | DeclarationKind::Outcome(fields_declared) => {
                        fields(&index, offset, fields_declared)
                    }
                    DeclarationKind::Enum(enumeration) => enumeration
                        .variants
                        .iter()
                        .map(|variant| {
                            let span = variant.name.span.shifted(offset);
                            symbol(
                                variant.name.text.clone(),
                                None,
                                SymbolKind::EnumMember,
                                &index,
                                span,
                                span,
                                Vec::new(),
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                (name, kind, selection, children)
            }
            ParsedChunk::Broken { name, keyword, .. } => (
                name.as_ref()
                    .map(|name| name.text.clone())
                    .or_else(|| keyword.clone())
                    .unwrap_or_else(|| "(does not parse)".to_string()),
                EntryKind::Broken,
                name.as_ref()
                    .map_or(Span::new(offset as usize, offset as usize), |name| {
                        name.span.shifted(offset)
                    }),
                Vec::new(),
            ),
        };
        symbols.push(symbol(
            name,
            Some(kind.noun().to_string()),
            symbol_kind(kind),
            &index,
            range,
            selection,
            children,
        ));
    }
    symbols
}

fn fields(index: &LineIndex<'_>, offset: u32, fields: &[FieldDeclaration]) -> Vec<DocumentSymbol> {
    fields
        .iter()
        .map(|field| {
            symbol(
                field.name.text.clone(),
                None,
                SymbolKind::Field,
                index,
                field.span.shifted(offset),
                field.name.span.shifted(offset),
                Vec::new(),
            )
        })
        .collect()
}

#[allow(deprecated)]
pub fn workspace(
    snapshot: &Snapshot,
    params: &WorkspaceSymbolParams,
) -> Option<WorkspaceSymbolResponse> {
    let db = &snapshot.db;
    let query = params.query.to_lowercase();
    let mut symbols = Vec::new();
    for workspace in snapshot.workspaces() {
        for file in workspace.files(db) {
            for occurrence in ide::file_occurrences(db, *file) {
                let kind = match &occurrence.kind {
                    OccurrenceKind::Declaration(kind) | OccurrenceKind::Amendment(kind) => *kind,
                    _ => continue,
                };
                if !occurrence.text.to_lowercase().contains(&query) {
                    continue;
                }
                let Some(location) = snapshot.location(FileSpan {
                    file: *file,
                    span: occurrence.span,
                }) else {
                    continue;
                };
                symbols.push(WorkspaceSymbol {
                    location: WorkspaceSymbolLocation::Location(location),
                    data: None,
                    base_symbol_information: BaseSymbolInformation {
                        name: occurrence.text.clone(),
                        kind: symbol_kind(kind),
                        tags: None,
                        container_name: Some(format!(
                            "{}/{}",
                            short_dir(file.version_dir(db)),
                            file.module(db)
                        )),
                    },
                });
            }
        }
    }
    Some(WorkspaceSymbolResponse::WorkspaceSymbolList(symbols))
}
