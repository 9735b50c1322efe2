//! File-driven tests of `cordon check`: each `tests/check/*.cordon` file, and each directory
//! `tests/check/<case>/` (a small policy: one subdirectory per version), is loaded and checked like
//! `cordon check` does. The snapshot beside the inputs (`tests/check/snapshots/<case>.snap`) holds
//! the source and every diagnostic rendered as the command line shows it.
//!
//! Expected diagnostics are also written inline, as a comment on the line where each starts:
//! `// error[E0101]` or `// warning[W0601]` (several on one line if need be). The harness checks that
//! the diagnostics reported are exactly the ones marked, so a case says what it proves where it
//! proves it, and a snapshot cannot silently gain or lose a diagnostic.
//!
//! Adding a case means adding a file. Accept new snapshots with
//! `INSTA_UPDATE=always cargo test --test check_snapshots`, then read them.

use std::collections::BTreeMap;
use std::path::Path;

use cordon_lang::db;
use cordon_lang::diagnostics::Severity;
use cordon_lang::load;
use cordon_lang::render;
use libtest_mimic::Failed;

mod common;

fn main() {
    // Relative to the package, so that paths in the rendered diagnostics do not depend on the checkout.
    let root = Path::new("tests/check");
    common::run(
        common::cases(root, |path| {
            path.extension().is_some_and(|ext| ext == "cordon")
                || (path.is_dir() && path.file_name().is_some_and(|name| name != "snapshots"))
        }),
        run_case,
    )
}

/// One expected or reported diagnostic: file, 1-based line, `error[E0101]`.
type Mark = (String, usize, String);

fn run_case(path: &Path) -> Result<(), Failed> {
    let loaded = load::load(path).map_err(|error| Failed::from(error.to_string()))?;
    let sources = loaded.sources();
    let diagnostics = db::check_workspace(&loaded.db, loaded.workspace);

    let mut snapshot = String::from("----- SOURCE CODE\n");
    for (path, text) in &sources {
        if sources.len() > 1 {
            snapshot.push_str(&format!("-- {path}\n"));
        }
        snapshot.push_str(text);
        if !text.ends_with('\n') {
            snapshot.push('\n');
        }
    }
    snapshot.push_str("----- DIAGNOSTICS\n");
    if diagnostics.is_empty() {
        snapshot.push_str("(none)\n");
    }
    let mut reported: Vec<Mark> = Vec::new();
    for located in &diagnostics {
        let text = sources.get(&located.path).map(String::as_str).unwrap_or("");
        snapshot.push_str(&render::render(located, text, |path| {
            sources.get(path).cloned()
        }));
        snapshot.push('\n');
        let (line, _) = render::line_column(text, located.diagnostic.span.start);
        let severity = match located.diagnostic.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        reported.push((
            located.path.clone(),
            line,
            format!("{severity}[{}]", located.diagnostic.code),
        ));
    }

    let mut expected = marks(&sources);
    expected.sort();
    reported.sort();
    if expected != reported {
        return Err(Failed::from(format!(
            "the diagnostics reported are not the ones marked in the source\n  marked:   {expected:?}\n  reported: {reported:?}\n{snapshot}"
        )));
    }

    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/snapshots");
    common::assert_snapshot(&snapshots, path, None, &snapshot);

    Ok(())
}

/// The `// error[CODE]` and `// warning[CODE]` marks of the sources.
fn marks(sources: &BTreeMap<String, String>) -> Vec<Mark> {
    let mut marks = Vec::new();
    for (path, text) in sources {
        for (index, line) in text.lines().enumerate() {
            let Some((_, comment)) = line.split_once("//") else {
                continue;
            };
            for severity in ["error", "warning"] {
                let opening = format!("{severity}[");
                let mut rest = comment;
                while let Some(start) = rest.find(&opening) {
                    let after = &rest[start + opening.len()..];
                    let Some(end) = after.find(']') else { break };
                    marks.push((
                        path.clone(),
                        index + 1,
                        format!("{severity}[{}]", &after[..end]),
                    ));
                    rest = &after[end..];
                }
            }
        }
    }
    marks
}
