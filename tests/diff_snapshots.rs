//! File-driven tests of `cordon diff`: each `tests/diff/*.args` file holds the arguments of one
//! `cordon diff` run (a small purpose-built policy under `tests/diff/<case>/` with its
//! `corpus.jsonl`, or a pair of EAR versions over `tests/diff/ear-corpus.jsonl`). The binary is
//! run with `--format json` and `--format markdown`; the snapshot beside the inputs
//! (`tests/diff/snapshots/<case>.snap`) holds the command, its exit status and both outputs, with
//! the sources' hashes written `[hash]` so that editing a policy's comments does not churn them.
//!
//! Adding a case means adding a file. Accept new snapshots with
//! `INSTA_UPDATE=always cargo test --test diff_snapshots`, then read them.

use std::path::Path;
use std::process::Command;

use libtest_mimic::Failed;

mod common;

fn main() {
    common::run(
        common::cases(Path::new("tests/diff"), |path| {
            path.extension().is_some_and(|ext| ext == "args")
        }),
        run_case,
    )
}

/// Runs `cordon diff` with the case's arguments and one format: the exit status and stdout.
fn cordon_diff(arguments: &[&str], format: &str) -> Result<(i32, String), Failed> {
    let output = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .arg("diff")
        .args(arguments)
        .args(["--format", format])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()?;
    if !output.stderr.is_empty() {
        return Err(format!(
            "cordon diff wrote to stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let status = output.status.code().ok_or("cordon diff was killed")?;
    Ok((status, String::from_utf8(output.stdout)?))
}

/// The text with every `sha256:<64 hex digits>` written `[hash]`.
fn without_hashes(text: &str) -> String {
    let mut result = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("sha256:") {
        let digits = &rest[start + "sha256:".len()..];
        let length = digits
            .bytes()
            .take_while(|byte| byte.is_ascii_hexdigit())
            .count();
        result.push_str(&rest[..start]);
        if length == 64 {
            result.push_str("[hash]");
        } else {
            result.push_str(&rest[start..start + "sha256:".len() + length]);
        }
        rest = &digits[length..];
    }
    result.push_str(rest);
    result
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path)?;
    let arguments: Vec<&str> = text.split_whitespace().collect();
    let (json_status, json) = cordon_diff(&arguments, "json")?;
    let (markdown_status, markdown) = cordon_diff(&arguments, "markdown")?;
    if json_status != markdown_status {
        return Err(format!(
            "the exit status depends on the format: {json_status} (json), {markdown_status} (markdown)"
        )
        .into());
    }
    // The JSON output is one JSON document.
    serde_json::from_str::<serde_json::Value>(&json)
        .map_err(|error| format!("the JSON output does not parse: {error}"))?;
    let snapshot = format!(
        "----- COMMAND\ncordon diff {}\n----- EXIT STATUS\n{json_status}\n----- JSON\n{}----- MARKDOWN\n{}",
        arguments.join(" "),
        without_hashes(&json),
        without_hashes(&markdown)
    );
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff/snapshots");
    common::assert_snapshot(&snapshots, path, None, &snapshot);
    Ok(())
}
