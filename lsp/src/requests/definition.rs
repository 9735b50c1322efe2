//! Go to definition: where the name under the cursor is declared, in another file or in the
//! version it amends (the name after `replace` or `remove` goes to the amended provision).

use cordon_lang::ide;
use tower_lsp_server::gen_lsp_types::{Definition, DefinitionParams, DefinitionResponse};

use crate::requests::at;
use crate::state::Snapshot;

pub fn definition(snapshot: &Snapshot, params: &DefinitionParams) -> Option<DefinitionResponse> {
    let position = &params.text_document_position_params;
    let (file, workspace, offset) = at(snapshot, &position.text_document.uri, position.position)?;
    let (_, resolved) = ide::resolve_at(&snapshot.db, workspace, file, offset)?;
    let declared = resolved.declared(&snapshot.db)?;
    Some(DefinitionResponse::Definition(Definition::Location(
        snapshot.location(declared)?,
    )))
}
