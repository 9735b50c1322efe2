//! What the tests of the `cordon` binary share: running it, a scratch directory each, and for the
//! file-driven harnesses finding the case files of a directory, running one trial per file, and
//! snapshotting each case beside its input. Each test file uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// Runs the `cordon` binary in the repository's root with `stdin` as its whole input.
pub fn cordon(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start cordon: {error}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|error| panic!("cordon did not finish: {error}"))
}

/// Output bytes as text, for messages and comparisons.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty directory for one test (`name` tells the tests of one file apart).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cordon-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let created = std::fs::create_dir_all(&dir);
    assert!(
        created.is_ok(),
        "cannot create {}: {created:?}",
        dir.display()
    );
    dir
}
