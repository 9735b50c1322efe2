//! The formatter on damaged sources: the examples of the language reference (`lang/README.md`) and
//! the formatter's own cases (`tests/format/*.cordon`), with characters and lines deleted, inserted,
//! duplicated and moved at random, or with comments put anywhere. Whatever the damage, formatting
//! must not panic, formatting twice must give what formatting once gave, and the declarations must
//! parse as before (spans aside).

use std::path::Path;

use cordon_lang::format::{format_file, meaning};
use proptest::prelude::*;

/// The undamaged sources, read once.
fn corpus() -> &'static [String] {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(read_corpus)
}

/// The undamaged sources: each ```` ```cordon ```` block of the reference, the whole reference's
/// blocks as one file, and each formatter case.
fn read_corpus() -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = std::fs::read_to_string(manifest.join("README.md")).unwrap_or_default();
    let mut blocks: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in reference.lines() {
        match current.take() {
            None if line.starts_with("```cordon") => current = Some(String::new()),
            None => {}
            Some(block) if line.starts_with("```") => blocks.push(block),
            Some(mut block) => {
                block.push_str(line);
                block.push('\n');
                current = Some(block);
            }
        }
    }
    let mut sources = vec![blocks.join("\n")];
    sources.extend(blocks);
    if let Ok(entries) = std::fs::read_dir(manifest.join("../tests/format")) {
        let mut cases: Vec<_> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "cordon")
            })
            .collect();
        cases.sort();
        sources.extend(
            cases
                .iter()
                .filter_map(|path| std::fs::read_to_string(path).ok()),
        );
    }
    sources.retain(|source| !source.trim().is_empty());
    sources
}

/// Pieces worth inserting: the characters and words that change how a declaration reads.
const INSERTIONS: &[&str] = &[
    "/",
    "//",
    "///",
    "// c",
    "/// d",
    "\"",
    "\\",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "+=",
    "-",
    "*",
    "?",
    ".",
    " ",
    "\n",
    "\n\n",
    "\t",
    "a",
    "5",
    "_",
    "e",
    "CN",
    "3A090",
    "2025-01-13",
    " and ",
    " or ",
    "not ",
    " in ",
    "any x in xs: ",
    "cite \"c\"",
    "when ",
    "then ",
    "rule r",
    "\nrule r\n",
    "\n// c\n",
    "\n  // c\n",
    "\n/// d\n",
    "é",
    "§",
];

/// One change to a source.
#[derive(Clone, Debug)]
enum Edit {
    DeleteCharacters { at: usize, count: usize },
    Insert { at: usize, piece: usize },
    DuplicateLine { line: usize },
    DeleteLine { line: usize },
    MoveLine { from: usize, to: usize },
    Indent { line: usize, spaces: usize },
    Unindent { line: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..4usize).prop_map(|(at, count)| Edit::DeleteCharacters { at, count }),
        (any::<usize>(), 0..INSERTIONS.len()).prop_map(|(at, piece)| Edit::Insert { at, piece }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        any::<usize>().prop_map(|line| Edit::DeleteLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(from, to)| Edit::MoveLine { from, to }),
        (any::<usize>(), 1..5usize).prop_map(|(line, spaces)| Edit::Indent { line, spaces }),
        any::<usize>().prop_map(|line| Edit::Unindent { line }),
    ]
}

/// The byte offset of the `index`-th character boundary (modulo their number).
fn boundary(text: &str, index: usize) -> usize {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain(std::iter::once(text.len()))
        .collect();
    boundaries[index % boundaries.len()]
}

/// The byte offset of the `index`-th space or line break (modulo their number), where inserting
/// does not cut a word in two.
fn whitespace_boundary(text: &str, index: usize) -> usize {
    let boundaries: Vec<usize> = text
        .char_indices()
        .filter(|(_, character)| *character == ' ' || *character == '\n')
        .map(|(offset, _)| offset)
        .chain(std::iter::once(text.len()))
        .collect();
    boundaries[index % boundaries.len()]
}

fn apply(text: &mut String, edit: &Edit) {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let count = lines.len();
    match edit {
        Edit::DeleteCharacters { at, count } => {
            let start = boundary(text, *at);
            let mut end = start;
            for _ in 0..*count {
                if let Some(character) = text[end..].chars().next() {
                    end += character.len_utf8();
                }
            }
            text.replace_range(start..end, "");
            return;
        }
        Edit::Insert { at, piece } => {
            let at = boundary(text, *at);
            text.insert_str(at, INSERTIONS[*piece]);
            return;
        }
        Edit::DuplicateLine { line } => {
            let copy = lines[line % count].clone();
            lines.insert(line % count, copy);
        }
        Edit::DeleteLine { line } => {
            lines.remove(line % count);
        }
        Edit::MoveLine { from, to } => {
            let moved = lines.remove(from % count);
            lines.insert(to % count, moved);
        }
        Edit::Indent { line, spaces } => lines[line % count].insert_str(0, &" ".repeat(*spaces)),
        Edit::Unindent { line } => {
            let unindented = lines[line % count].trim_start().to_string();
            lines[line % count] = unindented;
        }
    }
    *text = lines.join("\n");
}

fn check(source: &str) -> Result<(), TestCaseError> {
    let formatted = format_file(source);
    let again = format_file(&formatted);
    prop_assert_eq!(&again, &formatted, "not idempotent; source:\n{}", source);
    prop_assert_eq!(
        meaning(source),
        meaning(&formatted),
        "meaning changed; formatted:\n{}",
        formatted
    );
    Ok(())
}

#[test]
fn every_undamaged_source_formats_stably() {
    let sources = corpus();
    assert!(
        sources.len() > 10,
        "the corpus has only {} sources",
        sources.len()
    );
    for source in sources {
        if let Err(error) = check(source) {
            panic!("{error}");
        }
    }
}

/// Comments that keep a source parsing (wherever they go outside a string): on their own line, at
/// the end of a line, or cutting a line in two.
const COMMENTS: &[&str] = &[
    "\n// own line\n",
    " // end of line\n",
    "\n    // indented\n",
    "// cut\n",
    "\n\n// after a blank line\n",
];

proptest! {
    // 512 cases keep the suite fast; set PROPTEST_CASES for a longer hunt (`.ci/run` does).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn commented_sources_format_stably(
        base in any::<prop::sample::Index>(),
        comments in prop::collection::vec((any::<usize>(), 0..COMMENTS.len()), 1..12),
    ) {
        let sources = corpus();
        let mut source = base.get(sources).clone();
        for (at, comment) in &comments {
            let at = whitespace_boundary(&source, *at);
            source.insert_str(at, COMMENTS[*comment]);
        }
        check(&source)?;
    }

    #[test]
    fn damaged_sources_format_stably(
        base in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let sources = corpus();
        let mut source = base.get(sources).clone();
        for edit in &edits {
            apply(&mut source, edit);
        }
        check(&source)?;
    }
}
