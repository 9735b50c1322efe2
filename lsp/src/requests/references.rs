//! Find references: every place that names the same provision, fact, outcome, value or variable,
//! across the files and the versions of the policy (a provision and its replacements are one).

use cordon_lang::ide;
use tower_lsp_server::gen_lsp_types::{Location, ReferenceParams};

use crate::requests::at;
use crate::state::Snapshot;

pub fn references(snapshot: &Snapshot, params: &ReferenceParams) -> Option<Vec<Location>> {
    let position = &params.text_document_position_params;
    let (file, workspace, offset) = at(snapshot, &position.text_document.uri, position.position)?;
    let (_, resolved) = ide::resolve_at(&snapshot.db, workspace, file, offset)?;
    let declared = resolved.declared(&snapshot.db);
    let places = ide::references(&snapshot.db, workspace, &resolved);
    Some(
        places
            .into_iter()
            .filter(|place| params.context.include_declaration || Some(*place) != declared)
            .filter_map(|place| snapshot.location(place))
            .collect(),
    )
}
