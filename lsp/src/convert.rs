//! The one converter between our diagnostics and the protocol's.

use std::collections::BTreeMap;

use cordon_lang::diagnostics::{LocatedDiagnostic, Severity};
use tower_lsp_server::gen_lsp_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Uri,
};

use crate::position::LineIndex;

/// The protocol's form of a diagnostic. `text_of` gives the text of a file by its path (for the
/// related locations in other files); `uri_of` its URI.
pub fn diagnostic(
    located: &LocatedDiagnostic,
    text: &str,
    text_of: &dyn Fn(&str) -> Option<String>,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> lsp::Diagnostic {
    let diagnostic = &located.diagnostic;
    let index = LineIndex::new(text);
    let mut message = diagnostic.message.clone();
    if !diagnostic.label.is_empty() && diagnostic.label != diagnostic.message {
        message.push_str(&format!(" ({})", diagnostic.label));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let uri = uri_of(&related.path)?;
            let text = text_of(&related.path)?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri,
                    range: LineIndex::new(&text).range(related.span),
                },
                message: related.message.clone(),
            })
        })
        .collect();
    let mut data = BTreeMap::new();
    if let Some(help) = &diagnostic.help {
        data.insert("help", help.clone());
    }
    lsp::Diagnostic {
        range: index.range(diagnostic.span),
        severity: Some(match diagnostic.severity() {
            Severity::Error => DiagnosticSeverity::Error,
            Severity::Warning => DiagnosticSeverity::Warning,
        }),
        code: Some(lsp::Code::String(diagnostic.code.as_str().to_string())),
        code_description: None,
        source: Some("cordon".to_string()),
        message: message.into(),
        tags: None,
        related_information: (!related.is_empty()).then_some(related),
        data: (!data.is_empty()).then(|| serde_json::json!(data)),
    }
}
