//! Rename: a provision or other declared name everywhere it is written, across files and through
//! the versions that replace it; a quantifier's variable inside its condition. Refuses names that
//! are not names, and names that would clash with one already meaning something in a version.

use std::collections::HashMap;

use cordon_lang::db;
use cordon_lang::ide::{self, Resolved};
use tower_lsp_server::gen_lsp_types::{
    PrepareRenameResult, RenameParams, TextDocumentPositionParams, TextEdit, WorkspaceEdit,
};
use tower_lsp_server::jsonrpc::{Error, Result};

use crate::position::LineIndex;
use crate::requests::at;
use crate::state::Snapshot;

pub fn prepare(
    snapshot: &Snapshot,
    params: &TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResult>> {
    let position = params;
    let Some((file, workspace, offset)) =
        at(snapshot, &position.text_document.uri, position.position)
    else {
        return Ok(None);
    };
    let Some((occurrence, resolved)) = ide::resolve_at(&snapshot.db, workspace, file, offset)
    else {
        return Ok(None);
    };
    if !matches!(
        resolved,
        Resolved::Declaration { .. } | Resolved::Variable { .. }
    ) {
        return Err(Error::invalid_params(format!(
            "`{}` cannot be renamed here: only declared names and variables can",
            occurrence.text
        )));
    }
    Ok(Some(PrepareRenameResult::Range(
        LineIndex::new(snapshot.text(file)).range(occurrence.span),
    )))
}

pub fn rename(snapshot: &Snapshot, params: &RenameParams) -> Result<Option<WorkspaceEdit>> {
    let db = &snapshot.db;
    let position = &params.text_document_position_params;
    let Some((file, workspace, offset)) =
        at(snapshot, &position.text_document.uri, position.position)
    else {
        return Ok(None);
    };
    let Some((occurrence, resolved)) = ide::resolve_at(db, workspace, file, offset) else {
        return Ok(None);
    };
    let new_name = params.new_name.as_str();
    if !ide::is_valid_name(new_name) {
        return Err(Error::invalid_params(format!(
            "`{new_name}` is not a name: a name starts with a letter or `_`, has only letters, \
             digits and `_`, and is not a keyword or a country code"
        )));
    }
    if new_name == occurrence.text {
        return Ok(None);
    }
    let places = match &resolved {
        Resolved::Declaration { .. } | Resolved::Variable { .. } => {
            ide::references(db, workspace, &resolved)
        }
        _ => {
            return Err(Error::invalid_params(format!(
                "`{}` cannot be renamed: only declared names and variables can",
                occurrence.text
            )));
        }
    };
    // Every version where one of these places is written must not already give the new name a
    // meaning.
    for version in db::workspace_versions(db, workspace) {
        let written_here = places.iter().any(|place| {
            place.file.version_dir(db) == version.dir(db)
                || db::version_index(db, *version)
                    .names
                    .get(&occurrence.text)
                    .is_some_and(|entry| {
                        ide::origin(db, *version, entry.declaration)
                            == match &resolved {
                                Resolved::Declaration { version, key, .. } => {
                                    ide::origin(db, *version, *key)
                                }
                                _ => entry.declaration,
                            }
                    })
        });
        if written_here && let Some(existing) = ide::resolve_name(db, *version, new_name) {
            let what = match existing {
                Resolved::Declaration { kind, .. } => kind.noun().to_string(),
                Resolved::Fact { .. } => "fact".to_string(),
                Resolved::Outcome { .. } => "outcome".to_string(),
                Resolved::Variant { enumeration, .. } => format!("value of `{enumeration}`"),
                Resolved::Variable { .. } => "variable".to_string(),
                Resolved::Country(_) => "country".to_string(),
            };
            return Err(Error::invalid_params(format!(
                "cannot rename `{}` to `{new_name}`: version `{}` already has a {what} named `{new_name}`",
                occurrence.text,
                db::version_id(db, *version).0
            )));
        }
    }
    let mut changes: HashMap<_, Vec<TextEdit>> = HashMap::new();
    for place in places {
        let Some(location) = snapshot.location(place) else {
            continue;
        };
        changes.entry(location.uri).or_default().push(TextEdit {
            range: location.range,
            new_text: new_name.to_string(),
        });
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }))
}
