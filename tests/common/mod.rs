//! What the file-driven harnesses share: finding the case files of a directory, running one trial
//! per file, and snapshotting each case beside its input. Each harness uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

/// The entries of `directory` that `keep` accepts, in name order.
pub fn cases(directory: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    found.retain(|path| keep(path));
    found.sort();
    assert!(
        !found.is_empty(),
        "no test cases in {}",
        directory.display()
    );
    found
}

/// A case's name: its file name without the extension.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs `test` on every case, one trial each, named after the case, and exits.
pub fn run(cases: Vec<PathBuf>, test: fn(&Path) -> Result<(), Failed>) -> ! {
    let trials = cases
        .into_iter()
        .map(|path| Trial::test(stem(&path), move || test(&path)))
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// Asserts `content` against the snapshot named after `input`, stored in `snapshots`.
pub fn assert_snapshot(snapshots: &Path, input: &Path, description: Option<&str>, content: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(input);
    settings.set_omit_expression(true);
    if let Some(description) = description {
        settings.set_description(description);
    }
    let name = stem(input);
    settings.bind(|| insta::assert_snapshot!(name, content));
}
