//! The formatter's cases: every `tests/format/NAME.cordon` file is formatted and compared with the
//! snapshot `tests/format/NAME.snap` beside it, which shows the source and the formatted text. For
//! each file the formatted text must also format to itself, and parse to the same declarations as
//! the source (spans aside). Adding a case is adding a file; accept new or changed snapshots with
//! `INSTA_UPDATE=always cargo test --test format` and read the `.snap` files before committing.
//!
//! The policies under `policies/` are also formatted (not snapshotted): formatting them must be
//! idempotent and keep their meaning.

use std::path::{Path, PathBuf};

use cordon_lang::format::{format_file, meaning};
use libtest_mimic::{Arguments, Failed, Trial};

mod common;
use common::stem;

fn main() {
    let arguments = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trials = Vec::new();
    for path in cordon_files(&root.join("tests/format")) {
        let name = stem(&path);
        trials.push(Trial::test(format!("format::{name}"), move || {
            snapshot_case(&path)
        }));
    }
    for path in cordon_files(&root.join("policies")) {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('/', "::");
        trials.push(Trial::test(name, move || policy_case(&path)));
    }
    libtest_mimic::run(&arguments, trials).exit();
}

/// Every `.cordon` file under `directory`, in a stable order.
fn cordon_files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "cordon")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn snapshot_case(path: &Path) -> Result<(), Failed> {
    let source =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let formatted = check_formatting(&source)?;
    let directory = path.parent().unwrap_or(Path::new("."));
    let description = format!("`cordon fmt` of tests/format/{}.cordon", stem(path));
    let shown = format!("----- SOURCE CODE\n{source}\n----- FORMATTED\n{formatted}");
    common::assert_snapshot(directory, path, Some(&description), &shown);
    Ok(())
}

fn policy_case(path: &Path) -> Result<(), Failed> {
    let source =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    check_formatting(&source)?;
    Ok(())
}

/// Formats `source`, checks that formatting again changes nothing and that the meaning is kept,
/// and returns the formatted text.
fn check_formatting(source: &str) -> Result<String, Failed> {
    let formatted = format_file(source);
    let again = format_file(&formatted);
    if again != formatted {
        return Err(format!(
            "formatting is not idempotent\n----- FORMATTED ONCE\n{formatted}\n----- FORMATTED TWICE\n{again}"
        )
        .into());
    }
    let before = meaning(source);
    let after = meaning(&formatted);
    if before != after {
        let difference = before
            .iter()
            .zip(&after)
            .find(|(before, after)| before != after)
            .map(|(before, after)| format!("before: {before}\nafter:  {after}"))
            .unwrap_or_else(|| {
                format!(
                    "{} declarations before, {} after",
                    before.len(),
                    after.len()
                )
            });
        return Err(format!(
            "formatting changed the meaning\n{difference}\n----- FORMATTED\n{formatted}"
        )
        .into());
    }
    Ok(formatted)
}
