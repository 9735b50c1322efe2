//! Formatting: the same formatter as `cordon fmt`, as one edit of the whole document.

use cordon_lang::format::format_file;
use cordon_lang::syntax::Span;
use tower_lsp_server::gen_lsp_types::{DocumentFormattingParams, TextEdit};

use crate::position::LineIndex;
use crate::state::Snapshot;

pub fn formatting(snapshot: &Snapshot, params: &DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let (file, _) = snapshot.file(&params.text_document.uri)?;
    let text = snapshot.text(file);
    let formatted = format_file(text);
    if formatted == text {
        return Some(Vec::new());
    }
    let whole = Span::new(0, text.len());
    Some(vec![TextEdit {
        range: LineIndex::new(text).range(whole),
        new_text: formatted,
    }])
}
