//! `docs/diagnostics.md` has one section per diagnostic code, each with an example that triggers it.
//! Every example is checked: it must report its own code and no other. An example made of blocks
//! headed with paths (```` ```cordon 2025-01-13/exceptions.cordon ````) is a small policy, its
//! blocks the files of one workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cordon_lang::db::{self, Database, Workspace};
use cordon_lang::diagnostics::Code;
use cordon_lang::load;
use cordon_lang::render;

/// One `## CODE: title` section: its code as written and its ```cordon blocks (info, text).
struct Section {
    code: String,
    blocks: Vec<(String, String)>,
}

fn sections(markdown: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut block: Option<(String, String)> = None;
    for line in markdown.lines() {
        if let Some((info, mut text)) = block.take() {
            if line.starts_with("```") {
                if let Some(section) = sections.last_mut() {
                    section.blocks.push((info, text));
                }
            } else {
                text.push_str(line);
                text.push('\n');
                block = Some((info, text));
            }
        } else if let Some(info) = line.strip_prefix("```cordon") {
            block = Some((info.trim().to_string(), String::new()));
        } else if let Some(heading) = line.strip_prefix("## ") {
            let code = heading
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            sections.push(Section {
                code,
                blocks: Vec::new(),
            });
        }
    }
    sections
}

fn documentation() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    std::fs::read_to_string(path).expect("docs/diagnostics.md is readable")
}

/// The codes reported for files checked together, and the rendered diagnostics for a failure
/// message.
fn check(files: &BTreeMap<String, String>) -> (BTreeSet<String>, String) {
    let db = Database::default();
    let root = Path::new("example");
    let inputs = files
        .iter()
        .map(|(path, text)| {
            let path = root.join(path);
            let dir = path.parent().unwrap_or(root).to_path_buf();
            load::new_file(&db, &path, &dir, text.clone())
        })
        .collect();
    let workspace = Workspace::new(&db, inputs);
    let text_of = |path: &str| {
        files
            .iter()
            .find(|(name, _)| root.join(name).to_string_lossy() == path)
            .map(|(_, text)| text.clone())
    };
    let diagnostics = db::check_workspace(&db, workspace);
    let codes = diagnostics
        .iter()
        .map(|located| located.diagnostic.code.to_string())
        .collect();
    let rendered = diagnostics
        .iter()
        .map(|located| {
            render::render(
                located,
                &text_of(&located.path).unwrap_or_default(),
                text_of,
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    (codes, rendered)
}

#[test]
fn every_code_has_a_section_in_order() {
    let documented: Vec<String> = sections(&documentation())
        .into_iter()
        .map(|section| section.code)
        .collect();
    let codes: Vec<String> = Code::ALL.iter().map(|code| code.to_string()).collect();
    assert_eq!(
        documented, codes,
        "docs/diagnostics.md has one `## CODE: ...` section per code, in order"
    );
}

#[test]
fn every_example_reports_its_own_code_and_no_other() {
    let mut failures = Vec::new();
    for section in sections(&documentation()) {
        assert!(
            !section.blocks.is_empty(),
            "section {} has no ```cordon example",
            section.code
        );
        let (with_paths, single): (Vec<_>, Vec<_>) = section
            .blocks
            .iter()
            .partition(|(info, _)| !info.is_empty());
        let mut examples: Vec<BTreeMap<String, String>> = single
            .into_iter()
            .map(|(_, text)| BTreeMap::from([("example.cordon".to_string(), text.clone())]))
            .collect();
        if !with_paths.is_empty() {
            let mut files: BTreeMap<String, String> = BTreeMap::new();
            for (path, text) in with_paths {
                assert!(
                    path.ends_with(".cordon") && path.matches('/').count() == 1,
                    "section {}: a block is headed `cordon` or `cordon VERSION/FILE.cordon`, not `cordon {path}`",
                    section.code
                );
                files.entry(path.clone()).or_default().push_str(text);
            }
            examples.push(files);
        }
        for files in examples {
            let (codes, rendered) = check(&files);
            if codes != BTreeSet::from([section.code.clone()]) {
                failures.push(format!(
                    "the example of {} reports {:?}, not just {}:\n{rendered}",
                    section.code, codes, section.code
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
