//! Completion: after `.`, the fields of the fact before it; elsewhere the keywords, the names in
//! scope in the version (provisions, groups, examples, types), the facts and outcomes, enum values,
//! dimensions (units), and country codes with their names. Only items that start with the word
//! being typed are offered (ignoring case).

use cordon_lang::db::{self, EntryKind};
use cordon_lang::ide;
use tower_lsp_server::gen_lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse,
};

use crate::requests::at;
use crate::state::Snapshot;

pub fn completion(snapshot: &Snapshot, params: &CompletionParams) -> Option<CompletionResponse> {
    let position = &params.text_document_position_params;
    let (file, workspace, offset) = at(snapshot, &position.text_document.uri, position.position)?;
    let db = &snapshot.db;
    let version = ide::file_version(db, workspace, file)?;
    let text = snapshot.text(file);
    let before = text.get(..offset as usize)?;
    let word_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |index| index + 1);
    let word = &before[word_start..];
    let mut items: Vec<CompletionItem> = Vec::new();
    if before[..word_start].ends_with('.') {
        // `item.pro|`: the path before the dot.
        let path_text = &before[..word_start - 1];
        let path_start = path_text
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .map_or(0, |index| index + 1);
        let path: Vec<String> = path_text[path_start..]
            .split('.')
            .map(str::to_string)
            .collect();
        let checked = db::check_version(db, version);
        for field in ide::fact_fields_after(db, version, &path) {
            let mut full = path.clone();
            full.push(field.name.text.clone());
            let detail = checked
                .version
                .fact_field(&full)
                .map(|declared| declared.ty.to_string());
            items.push(item(&field.name.text, CompletionItemKind::Field, detail));
        }
        return Some(CompletionResponse::CompletionItemList(filtered(
            items, word,
        )));
    }
    for keyword in ide::KEYWORDS {
        items.push(item(keyword, CompletionItemKind::Keyword, None));
    }
    let index = db::version_index(db, version);
    let types = db::version_types(db, version);
    for (name, entry) in &index.names {
        let kind = match entry.kind {
            EntryKind::Unit => CompletionItemKind::Unit,
            EntryKind::Record => CompletionItemKind::Struct,
            EntryKind::Enum => CompletionItemKind::Enum,
            EntryKind::Const | EntryKind::Table => CompletionItemKind::Constant,
            EntryKind::Group | EntryKind::Alias => CompletionItemKind::Module,
            EntryKind::Define => CompletionItemKind::Variable,
            EntryKind::Rule => CompletionItemKind::Function,
            EntryKind::Example => CompletionItemKind::Value,
            _ => CompletionItemKind::Text,
        };
        let detail = match types.names.get(name).map(|info| &info.ty) {
            Some(ty)
                if matches!(
                    entry.kind,
                    EntryKind::Const | EntryKind::Table | EntryKind::Define
                ) =>
            {
                format!("{}: {ty}", entry.kind.noun())
            }
            _ => entry.kind.noun().to_string(),
        };
        items.push(item(name, kind, Some(detail)));
    }
    if let Some((facts, _)) = &types.facts {
        for field in &facts.fields {
            items.push(item(
                &field.name,
                CompletionItemKind::Field,
                Some(format!("fact: {}", field.ty)),
            ));
        }
    }
    if let Some((outcome, _)) = &types.outcome {
        for field in &outcome.fields {
            items.push(item(
                &field.name,
                CompletionItemKind::Property,
                Some(format!("outcome: {}", field.ty)),
            ));
        }
    }
    for enumeration in types.enums.values() {
        for variant in &enumeration.variants {
            items.push(item(
                variant,
                CompletionItemKind::EnumMember,
                Some(format!("{} value", enumeration.name)),
            ));
        }
    }
    for unit in &types.units {
        items.push(item(
            unit,
            CompletionItemKind::Unit,
            Some("dimension".to_string()),
        ));
    }
    // Country codes are offered once a capital letter is typed (they are all capitals).
    if word.starts_with(|c: char| c.is_ascii_uppercase()) {
        for (code, name) in ide::countries() {
            items.push(item(
                code,
                CompletionItemKind::Constant,
                Some(name.to_string()),
            ));
        }
    }
    Some(CompletionResponse::CompletionItemList(filtered(
        items, word,
    )))
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

/// The items that start with `word` (ignoring case), each label once.
fn filtered(items: Vec<CompletionItem>, word: &str) -> Vec<CompletionItem> {
    let word = word.to_lowercase();
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|item| item.label.to_lowercase().starts_with(&word))
        .filter(|item| seen.insert(item.label.clone()))
        .collect()
}
