//! Code actions: the did-you-mean fix of a diagnostic (an unknown name, field, unit, value or
//! country code replaced by the suggestion), and a citation stub for a provision without one.

use std::collections::HashMap;

use cordon_lang::db;
use cordon_lang::diagnostics::{Code, LocatedDiagnostic};
use cordon_lang::ide;
use cordon_lang::parse::ParsedChunk;
use cordon_lang::syntax::Span;
use tower_lsp_server::gen_lsp_types::{
    CodeAction, CodeActionKind, CodeActionParams, CodeActionResponse, TextEdit, WorkspaceEdit,
};

use crate::convert;
use crate::position::LineIndex;
use crate::state::{Snapshot, path_uri};

pub fn code_actions(
    snapshot: &Snapshot,
    params: &CodeActionParams,
) -> Option<Vec<CodeActionResponse>> {
    let db = &snapshot.db;
    let uri = &params.text_document.uri;
    let (file, workspace) = snapshot.file(uri)?;
    let text = snapshot.text(file);
    let index = LineIndex::new(text);
    let wanted = index.span(params.range);
    let path = file.path(db);
    let mut actions = Vec::new();
    let diagnostics: Vec<LocatedDiagnostic> = db::check_workspace(db, workspace)
        .into_iter()
        .filter(|located| located.path == *path)
        .filter(|located| {
            located.diagnostic.span.start <= wanted.end
                && wanted.start <= located.diagnostic.span.end
        })
        .collect();
    let text_of = |path: &str| snapshot.text_of_path(path);
    for located in &diagnostics {
        let diagnostic = &located.diagnostic;
        let protocol = convert::diagnostic(located, text, &text_of, &path_uri);
        if let Some((span, replacement)) = suggestion(text, located) {
            actions.push(action(
                format!("Replace with `{replacement}`"),
                uri,
                TextEdit {
                    range: index.range(span),
                    new_text: replacement,
                },
                protocol.clone(),
            ));
        }
        if diagnostic.code == Code::E0301
            && let Some(declaration) = ide::declaration_at(db, file, diagnostic.span.start)
            && let ParsedChunk::Declaration(tree) = &declaration.parsed
        {
            let end = declaration.offset + tree.span.end;
            let end = text.get(..end as usize).map_or(end, |before| {
                u32::try_from(before.trim_end().len()).unwrap_or(end)
            });
            let at = Span { start: end, end };
            actions.push(action(
                "Add a citation".to_string(),
                uri,
                TextEdit {
                    range: index.range(at),
                    new_text: "\n  cite \"15 CFR \"".to_string(),
                },
                protocol,
            ));
        }
    }
    Some(actions)
}

fn action(
    title: String,
    uri: &tower_lsp_server::gen_lsp_types::Uri,
    edit: TextEdit,
    diagnostic: tower_lsp_server::gen_lsp_types::Diagnostic,
) -> CodeActionResponse {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), vec![edit]);
    CodeActionResponse::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QuickFix),
        diagnostics: Some(vec![diagnostic]),
        is_preferred: Some(true),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// The word a diagnostic's help suggests (the first name in backticks), and the span of the word
/// it replaces: the diagnostic's span when it is one word, or the last part of a dotted path.
fn suggestion(text: &str, located: &LocatedDiagnostic) -> Option<(Span, String)> {
    let help = located.diagnostic.help.as_ref()?;
    let is_suggestion = help.starts_with("did you mean `") || help.contains(" is `");
    if !is_suggestion {
        return None;
    }
    let start = help.find('`')? + 1;
    let length = help[start..].find('`')?;
    let replacement = help[start..start + length].to_string();
    let span = located.diagnostic.span;
    let written = text.get(span.start as usize..span.end as usize)?;
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if word(written) {
        return Some((span, replacement));
    }
    let (_, last) = written.rsplit_once('.')?;
    if word(last) && written.split('.').all(word) {
        let last_start = span.end - u32::try_from(last.len()).ok()?;
        return Some((
            Span {
                start: last_start,
                end: span.end,
            },
            replacement,
        ));
    }
    None
}
