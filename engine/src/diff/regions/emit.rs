//! `--emit-tests`: each witness of a reviewed diff as an in-language test of the newer version,
//! expecting what that version decides, so the diff becomes a regression suite.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::Exhaustive;
use super::space::{Kind, facts_of};
use crate::CompiledVersion;

/// The file name and text of a module of tests, one per region.
pub fn module(from: &str, to: &CompiledVersion, exhaustive: &Exhaustive) -> (String, String) {
    let stem = format!("regressions_from_{}", identifier(from));
    let facts = facts_of(&to.hir);
    let kind_of = |path: &str| facts.get(path).map(|info| &info.kind);
    let mut text = format!(
        "// What changed from version {from} to {}: one test per region of `cordon diff --exhaustive`,\n\
         // its witness with the outcome version {} decides. Written by `cordon diff --emit-tests`.\n",
        to.id, to.id
    );
    // Names are unique across a version, so the tests may see every module of it.
    let mut modules: Vec<String> = to
        .hir
        .sources
        .iter()
        .filter_map(|(path, _)| {
            Some(
                std::path::Path::new(path)
                    .file_stem()?
                    .to_str()?
                    .to_string(),
            )
        })
        .filter(|module| *module != stem && module != "version")
        .collect();
    modules.sort();
    modules.dedup();
    let _ = writeln!(text, "\nimport {}", modules.join(", "));
    for (index, region) in exhaustive.regions.iter().enumerate() {
        let _ = write!(text, "\n/// {}\n", region.conditions.join("; "));
        for change in &region.changes {
            let _ = writeln!(text, "/// changes {change}");
        }
        let _ = writeln!(text, "test region_{}", index + 1);
        let _ = writeln!(
            text,
            "  given {}",
            facts_text(&region.witness, "", &kind_of)
        );
        let _ = writeln!(text, "  expect {}", outcome_text(&expected(to, region)));
    }
    (format!("{stem}.cordon"), text)
}

/// What the newer version decides for the region's witness, for the fields the region changes: a
/// set in full (the region names only the member it adds or removes; the test compares the whole
/// set). Where the witness is not decided, what the region reports.
fn expected(to: &CompiledVersion, region: &super::RegionDiff) -> Json {
    let (Json::Object(fields), Ok(decision)) =
        (&region.to, crate::decide_with(to, &region.witness, false))
    else {
        return region.to.clone();
    };
    Json::Object(
        fields
            .iter()
            .map(|(field, reported)| {
                let decided = decision.outcome(field).cloned();
                (field.clone(), decided.unwrap_or_else(|| reported.clone()))
            })
            .collect(),
    )
}

fn identifier(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Facts in the language's syntax: texts quoted, dates, countries, enum values and ECCNs bare.
fn facts_text<'k>(value: &Json, path: &str, kind_of: &dyn Fn(&str) -> Option<&'k Kind>) -> String {
    match value {
        Json::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(name, value)| {
                    let path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    format!("{name}: {}", facts_text(value, &path, kind_of))
                })
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Json::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|item| facts_text(item, path, kind_of))
                .collect();
            format!("[{}]", inner.join(", "))
        }
        Json::String(text) if kind_of(path) == Some(&Kind::Text) || path == "id" => {
            format!("{text:?}")
        }
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Expected outcomes: enum values and ECCNs bare, `null` for none.
fn outcome_text(value: &Json) -> String {
    match value {
        Json::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", outcome_text(value)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Json::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(outcome_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}
