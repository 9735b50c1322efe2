//! Semantic tokens: each name coloured by what it denotes (a rule, a constant, a group, a fact, an
//! enum value, a country), with `declaration` on the name a declaration declares and `readonly` on
//! constants and tables. Keywords, strings, numbers and comments are left to the editor's grammar.

use cordon_lang::db::EntryKind;
use cordon_lang::ide::{self, OccurrenceKind, Resolved};
use tower_lsp_server::gen_lsp_types::{
    SemanticToken, SemanticTokenModifiers, SemanticTokenTypes, SemanticTokens,
    SemanticTokensLegend, SemanticTokensParams,
};

use crate::position::LineIndex;
use crate::state::Snapshot;

const TYPES: [SemanticTokenTypes; 9] = [
    SemanticTokenTypes::Namespace,
    SemanticTokenTypes::Type,
    SemanticTokenTypes::Enum,
    SemanticTokenTypes::EnumMember,
    SemanticTokenTypes::Variable,
    SemanticTokenTypes::Property,
    SemanticTokenTypes::Function,
    SemanticTokenTypes::Parameter,
    SemanticTokenTypes::Struct,
];

const MODIFIERS: [SemanticTokenModifiers; 3] = [
    SemanticTokenModifiers::Declaration,
    SemanticTokenModifiers::Readonly,
    SemanticTokenModifiers::DefaultLibrary,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.into_iter().map(String::from).collect(),
        token_modifiers: MODIFIERS.into_iter().map(String::from).collect(),
    }
}

fn type_index(wanted: SemanticTokenTypes) -> u32 {
    TYPES
        .iter()
        .position(|candidate| *candidate == wanted)
        .map_or(0, |index| u32::try_from(index).unwrap_or(0))
}

const DECLARATION: u32 = 1;
const READONLY: u32 = 2;
const DEFAULT_LIBRARY: u32 = 4;

fn of_entry(kind: EntryKind) -> (SemanticTokenTypes, u32) {
    match kind {
        EntryKind::Group | EntryKind::Alias => (SemanticTokenTypes::Namespace, 0),
        EntryKind::Unit => (SemanticTokenTypes::Type, 0),
        EntryKind::Record | EntryKind::Facts | EntryKind::Outcome => {
            (SemanticTokenTypes::Struct, 0)
        }
        EntryKind::Enum => (SemanticTokenTypes::Enum, 0),
        EntryKind::Const | EntryKind::Table => (SemanticTokenTypes::Variable, READONLY),
        EntryKind::Define | EntryKind::Rule | EntryKind::Test => (SemanticTokenTypes::Function, 0),
        _ => (SemanticTokenTypes::Variable, 0),
    }
}

pub fn full(snapshot: &Snapshot, params: &SemanticTokensParams) -> Option<SemanticTokens> {
    let db = &snapshot.db;
    let (file, workspace) = snapshot.file(&params.text_document.uri)?;
    let version = ide::file_version(db, workspace, file);
    let index = LineIndex::new(snapshot.text(file));
    let mut data = Vec::new();
    let (mut previous_line, mut previous_start) = (0, 0);
    for occurrence in ide::file_occurrences(db, file) {
        let (token, modifiers) = match &occurrence.kind {
            OccurrenceKind::Declaration(kind) | OccurrenceKind::Amendment(kind) => {
                let (token, modifiers) = of_entry(*kind);
                (token, modifiers | DECLARATION)
            }
            OccurrenceKind::Name | OccurrenceKind::Type => {
                match version.and_then(|version| ide::resolve(db, version, file, occurrence)) {
                    Some(Resolved::Declaration { kind, .. }) => of_entry(kind),
                    Some(Resolved::Fact { .. } | Resolved::Outcome { .. }) => {
                        (SemanticTokenTypes::Property, 0)
                    }
                    Some(Resolved::Variant { .. }) => (SemanticTokenTypes::EnumMember, 0),
                    _ if occurrence.kind == OccurrenceKind::Type => {
                        (SemanticTokenTypes::Type, DEFAULT_LIBRARY)
                    }
                    _ => continue,
                }
            }
            OccurrenceKind::VariableBinding => (SemanticTokenTypes::Parameter, DECLARATION),
            OccurrenceKind::Variable { .. } => (SemanticTokenTypes::Parameter, 0),
            OccurrenceKind::Fact(_) | OccurrenceKind::Outcome(_) | OccurrenceKind::Field => {
                (SemanticTokenTypes::Property, 0)
            }
            OccurrenceKind::FieldDeclaration => (SemanticTokenTypes::Property, DECLARATION),
            OccurrenceKind::VariantDeclaration => (SemanticTokenTypes::EnumMember, DECLARATION),
            OccurrenceKind::Country => (SemanticTokenTypes::EnumMember, DEFAULT_LIBRARY),
        };
        let start = index.position(occurrence.span.start);
        let end = index.position(occurrence.span.end);
        if end.line != start.line || end.character <= start.character {
            continue;
        }
        let delta_line = start.line - previous_line;
        let delta_start = if delta_line == 0 {
            start.character - previous_start
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: type_index(token),
            token_modifiers_bitset: modifiers,
        });
        previous_line = start.line;
        previous_start = start.character;
    }
    Some(SemanticTokens {
        result_id: None,
        data,
    })
}
