//! Inlay hints: the country's name after each country code, and after the name of each dated
//! provision the window in which it can apply (a rule's window narrowed by the dated constants and
//! tables it reads).

use cordon_lang::check::country_name;
use cordon_lang::db;
use cordon_lang::ide::{self, OccurrenceKind};
use tower_lsp_server::gen_lsp_types::{InlayHint, InlayHintParams, Label};

use crate::position::LineIndex;
use crate::requests::hover::window_text;
use crate::state::Snapshot;

pub fn inlay_hints(snapshot: &Snapshot, params: &InlayHintParams) -> Option<Vec<InlayHint>> {
    let db = &snapshot.db;
    let (file, workspace) = snapshot.file(&params.text_document.uri)?;
    let index = LineIndex::new(snapshot.text(file));
    let wanted = index.span(params.range);
    let version = ide::file_version(db, workspace, file)?;
    let checked = db::check_version(db, version);
    let mut hints = Vec::new();
    for occurrence in ide::file_occurrences(db, file) {
        if occurrence.span.end < wanted.start || occurrence.span.start > wanted.end {
            continue;
        }
        let label = match &occurrence.kind {
            OccurrenceKind::Country => country_name(&occurrence.text).map(str::to_string),
            OccurrenceKind::Declaration(_) | OccurrenceKind::Amendment(_) => {
                let name = &occurrence.text;
                let window = match checked.version.rules.iter().find(|rule| rule.name == *name) {
                    Some(rule) => Some(rule.window),
                    None => checked
                        .version
                        .provenance(name)
                        .map(|provenance| (provenance.effective, provenance.through)),
                };
                // Only this version's own declarations: an inherited one is shown where it is written.
                let own = db::version_index(db, version)
                    .names
                    .get(name)
                    .is_some_and(|entry| entry.declaration.file(db) == file);
                window
                    .filter(|_| own)
                    .and_then(window_text)
                    .map(|window| format!("in force {window}"))
            }
            _ => None,
        };
        if let Some(label) = label {
            hints.push(InlayHint {
                position: index.position(occurrence.span.end),
                label: Label::String(label),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
    }
    Some(hints)
}
