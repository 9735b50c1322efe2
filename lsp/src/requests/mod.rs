//! One module per method or feature of the protocol. Each answers from a [`Snapshot`] and never
//! fails on broken source or on positions outside the file: it answers with what it can find.

pub mod code_actions;
pub mod code_lens;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod inlay_hints;
pub mod references;
pub mod rename;
pub mod semantic_tokens;
pub mod symbols;

use cordon_lang::db::{SourceFile, Workspace};
use tower_lsp_server::gen_lsp_types::*;

use crate::position::LineIndex;
use crate::state::Snapshot;

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSync::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::Incremental),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProvider::Bool(true)),
        definition_provider: Some(DefinitionProvider::Bool(true)),
        references_provider: Some(ReferencesProvider::Bool(true)),
        rename_provider: Some(RenameProvider::RenameOptions(RenameOptions {
            prepare_provider: Some(true),
            ..RenameOptions::default()
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(DocumentSymbolProvider::Bool(true)),
        workspace_symbol_provider: Some(WorkspaceSymbolProvider::Bool(true)),
        semantic_tokens_provider: Some(SemanticTokensProvider::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_tokens::legend(),
                full: Some(Full::Bool(true)),
                ..SemanticTokensOptions::default()
            },
        )),
        document_formatting_provider: Some(DocumentFormattingProvider::Bool(true)),
        inlay_hint_provider: Some(InlayHintProvider::Bool(true)),
        code_action_provider: Some(CodeActionProvider::CodeActionOptions(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QuickFix]),
            ..CodeActionOptions::default()
        })),
        code_lens_provider: Some(CodeLensOptions::default()),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![code_lens::RUN_TESTS.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// The file a request is about and the byte offset of its position.
pub fn at(
    snapshot: &Snapshot,
    uri: &Uri,
    position: Position,
) -> Option<(SourceFile, Workspace, u32)> {
    let (file, workspace) = snapshot.file(uri)?;
    let offset = LineIndex::new(snapshot.text(file)).offset(position);
    Some((file, workspace, offset))
}
