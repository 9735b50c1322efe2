//! Every ```` ```cordon ```` block of the language reference (`lang/README.md`) is checked: the block
//! marked ```` ```cordon prelude ```` is put before each other block, and the file they make must
//! have no errors (warnings are allowed). Blocks headed with a path (```` ```cordon
//! 2025-01-13/version.cordon ````) are the files of one small policy, checked together, with the
//! prelude as `schema.cordon` of its first version. The reference cannot drift from the language.

use std::collections::BTreeMap;
use std::path::Path;

use cordon_lang::db::{self, Database, Workspace};
use cordon_lang::diagnostics::Severity;
use cordon_lang::load;
use cordon_lang::render;

/// A fenced block of the reference: its info string after `cordon`, its first line, and its text.
struct Block {
    info: String,
    line: usize,
    text: String,
}

fn cordon_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        match current.take() {
            None => {
                if let Some(info) = line.strip_prefix("```cordon") {
                    current = Some(Block {
                        info: info.trim().to_string(),
                        line: index + 1,
                        text: String::new(),
                    });
                }
            }
            Some(mut block) => {
                if line.starts_with("```") {
                    blocks.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                    current = Some(block);
                }
            }
        }
    }
    blocks
}

/// The rendered errors of files (by path, `version/module.cordon`) checked together.
fn errors_of_policy(files: &BTreeMap<String, String>) -> Vec<String> {
    let db = Database::default();
    let inputs = files
        .iter()
        .map(|(path, text)| {
            let path = Path::new("reference").join(path);
            let dir = path
                .parent()
                .unwrap_or(Path::new("reference"))
                .to_path_buf();
            load::new_file(&db, &path, &dir, text.clone())
        })
        .collect();
    let workspace = Workspace::new(&db, inputs);
    let source = |path: &str| {
        files
            .iter()
            .find(|(name, _)| Path::new("reference").join(name).to_string_lossy() == path)
            .map(|(_, text)| text.clone())
    };
    db::check_workspace(&db, workspace)
        .iter()
        .filter(|located| located.diagnostic.severity() == Severity::Error)
        .map(|located| render::render(located, &source(&located.path).unwrap_or_default(), source))
        .collect()
}

/// The rendered errors of one file checked on its own.
fn errors_of(text: &str) -> Vec<String> {
    errors_of_policy(&BTreeMap::from([(
        "reference.cordon".to_string(),
        text.to_string(),
    )]))
}

#[test]
fn every_reference_example_checks_without_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("lang/README.md");
    let markdown = std::fs::read_to_string(&path).expect("the language reference is readable");
    let blocks = cordon_blocks(&markdown);
    let prelude: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.info == "prelude")
        .collect();
    assert_eq!(
        prelude.len(),
        1,
        "the reference has exactly one ```cordon prelude block"
    );
    let prelude = &prelude[0].text;
    assert!(
        errors_of(prelude).is_empty(),
        "the prelude has errors:\n{}",
        errors_of(prelude).join("\n")
    );
    let examples: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.info.is_empty())
        .collect();
    assert!(
        examples.len() >= 5,
        "the reference has only {} examples",
        examples.len()
    );
    let mut failures = Vec::new();
    for block in examples {
        let text = format!("{prelude}\n{}", block.text);
        let errors = errors_of(&text);
        if !errors.is_empty() {
            failures.push(format!(
                "the example at lang/README.md line {} has errors:\n{}",
                block.line,
                errors.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_reference_policy_checks_without_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("lang/README.md");
    let markdown = std::fs::read_to_string(&path).expect("the language reference is readable");
    let blocks = cordon_blocks(&markdown);
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for block in blocks
        .iter()
        .filter(|block| !block.info.is_empty() && block.info != "prelude")
    {
        assert!(
            block.info.ends_with(".cordon") && block.info.matches('/').count() == 1,
            "lang/README.md line {}: a block is headed `cordon`, `cordon prelude` or `cordon VERSION/FILE.cordon`, not `cordon {}`",
            block.line,
            block.info
        );
        files
            .entry(block.info.clone())
            .or_default()
            .push_str(&block.text);
    }
    assert!(
        files.len() >= 3,
        "the reference policy has only {} files",
        files.len()
    );
    let first_version = files
        .keys()
        .next()
        .and_then(|path| path.split('/').next())
        .unwrap_or_default()
        .to_string();
    let prelude = blocks
        .iter()
        .find(|block| block.info == "prelude")
        .map(|block| block.text.clone())
        .unwrap_or_default();
    files.insert(format!("{first_version}/schema.cordon"), prelude);
    let errors = errors_of_policy(&files);
    assert!(
        errors.is_empty(),
        "the reference policy has errors:\n{}",
        errors.join("\n")
    );
}
