//! Diagnostics as you type: every diagnostic of `cordon check` for the policy a file belongs to,
//! grouped by file (every file of the workspace gets an entry, empty when it is clean).

use std::collections::BTreeMap;

use cordon_lang::db::{self, Workspace};
use tower_lsp_server::gen_lsp_types::{
    Diagnostic, DocumentDiagnosticParams, DocumentDiagnosticReport, FullDocumentDiagnosticReport,
    RelatedFullDocumentDiagnosticReport, Uri,
};

use crate::convert;
use crate::state::{Snapshot, path_uri};

/// The diagnostics of each file of a workspace: its path, URI and diagnostics.
pub fn workspace(snapshot: &Snapshot, workspace: Workspace) -> Vec<(String, Uri, Vec<Diagnostic>)> {
    let db = &snapshot.db;
    let mut by_path: BTreeMap<String, Vec<Diagnostic>> = workspace
        .files(db)
        .iter()
        .map(|file| (file.path(db).clone(), Vec::new()))
        .collect();
    let text_of = |path: &str| snapshot.text_of_path(path);
    for located in db::check_workspace(db, workspace) {
        let Some(text) = snapshot.text_of_path(&located.path) else {
            continue;
        };
        let diagnostic = convert::diagnostic(&located, &text, &text_of, &path_uri);
        by_path
            .entry(located.path.clone())
            .or_default()
            .push(diagnostic);
    }
    by_path
        .into_iter()
        .filter_map(|(path, diagnostics)| Some((path.clone(), path_uri(&path)?, diagnostics)))
        .collect()
}

/// `textDocument/diagnostic`: the diagnostics of one file, on request. Editors get them pushed
/// after every edit (the capability is not advertised, so that no editor shows them twice); tools
/// and tests ask.
pub fn document(
    snapshot: &Snapshot,
    params: &DocumentDiagnosticParams,
) -> DocumentDiagnosticReport {
    let items = snapshot
        .file(&params.text_document.uri)
        .map(|(file, workspace_of_file)| {
            let path = file.path(&snapshot.db).clone();
            workspace(snapshot, workspace_of_file)
                .into_iter()
                .find(|(candidate, _, _)| *candidate == path)
                .map(|(_, _, diagnostics)| diagnostics)
                .unwrap_or_default()
        })
        .unwrap_or_default();
    DocumentDiagnosticReport::RelatedFullDocumentDiagnosticReport(
        RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: None,
                items,
            },
        },
    )
}
