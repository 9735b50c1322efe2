//! File-driven parser tests: each `tests/parse/*.cordon` file is split into declarations and each
//! declaration parsed on its own, as the checker does. The snapshot beside the inputs
//! (`tests/parse/snapshots/<case>.snap`) holds the source and, for each declaration, its offset in
//! the file and its syntax tree (or the syntax error that cost it).
//!
//! Adding a case means adding a file. Accept new snapshots with
//! `INSTA_UPDATE=always cargo test --test parse_snapshots`, then read them.

use std::path::Path;

use cordon_lang::parse::{parse_chunk, split};
use libtest_mimic::Failed;

mod common;

fn main() {
    let root = Path::new("tests/parse");
    common::run(
        common::cases(root, |path| {
            path.extension().is_some_and(|ext| ext == "cordon")
        }),
        run_case,
    )
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|error| Failed::from(error.to_string()))?;
    let mut snapshot = format!("----- SOURCE CODE\n{text}");
    if !text.ends_with('\n') {
        snapshot.push('\n');
    }
    snapshot.push_str("----- SYNTAX TREE\n");
    for chunk in split(&text) {
        let tree = format!("{:#?}", parse_chunk(&chunk.text));
        snapshot.push_str(&format!(
            "-- at byte {}\n{}\n",
            chunk.offset,
            compact_spans(&tree)
        ));
    }
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse/snapshots");
    common::assert_snapshot(&snapshots, path, None, &snapshot);
    Ok(())
}

/// `Span {\n start: 3,\n end: 9,\n }` written as `3..9`, so that a tree reads as a tree.
fn compact_spans(tree: &str) -> String {
    let lines: Vec<&str> = tree.lines().collect();
    let mut out = String::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let parts = (
            line.strip_suffix("Span {"),
            lines.get(index + 1),
            lines.get(index + 2),
            lines.get(index + 3),
        );
        if let (Some(before), Some(start), Some(end), Some(close)) = parts
            && let Some(start) = start
                .trim()
                .strip_prefix("start: ")
                .and_then(|rest| rest.strip_suffix(','))
            && let Some(end) = end
                .trim()
                .strip_prefix("end: ")
                .and_then(|rest| rest.strip_suffix(','))
            && close.trim().starts_with('}')
        {
            out.push_str(&format!(
                "{before}{start}..{end}{}\n",
                close.trim().trim_start_matches('}')
            ));
            index += 4;
        } else {
            out.push_str(line);
            out.push('\n');
            index += 1;
        }
    }
    out
}
