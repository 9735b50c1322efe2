//! The `cordon` binary as engineers call it: exit codes, batches with bad lines, stdin, bad
//! invocations. Each command's output is asserted, not just its exit code.

use std::process::Command;

mod common;

use common::{cordon, text};

const EXAMPLE: &str = "examples/h100-to-india.json";

#[test]
fn eval_prints_the_contract_decision_as_json() {
    let output = cordon(
        &["eval", "--policy", "policies/ear", "--facts", EXAMPLE],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(decision["policy"]["name"], "ear");
    assert_eq!(decision["policy"]["version"], "2025-05-13");
    assert_eq!(
        decision["outcome"]["classification"],
        serde_json::json!(["3A090.a"])
    );
    assert_eq!(
        decision["outcome"]["notices"],
        serde_json::json!(["diffusion_not_enforced"])
    );
    assert!(
        decision["trace"]
            .as_array()
            .is_some_and(|trace| !trace.is_empty())
    );
}

#[test]
fn a_batch_goes_on_past_bad_lines_and_fails_at_the_end() {
    let good = std::fs::read_to_string(format!("{}/{EXAMPLE}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
        .replace('\n', " ");
    let bad_country = good.replace("\"destination\": \"IN\"", "\"destination\": \"XX\"");
    let batch = [
        good.as_str(),
        "{ not json",
        "",
        bad_country.as_str(),
        good.as_str(),
    ]
    .join("\n");
    let output = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            "-",
            "--no-trace",
        ],
        &batch,
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_default())
        .collect();
    assert_eq!(lines.len(), 5, "one line per input line: {lines:?}");
    assert_eq!(lines[0]["policy"]["version"], "2025-05-13");
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[1]["error"]["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not valid JSON")
    );
    assert_eq!(lines[2]["line"], 3);
    assert!(
        lines[2]["error"]["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("blank line")
    );
    assert_eq!(lines[3]["line"], 4);
    assert_eq!(lines[3]["error"]["errors"][0]["path"], "destination");
    assert_eq!(lines[4]["outcome"]["license_required"], false);
}

/// A `.jsonl` file is read a few MiB at a time; a line longer than that is still one line, and
/// the lines after it keep their numbers.
#[test]
fn a_batch_file_line_longer_than_a_block_stays_one_line() {
    let good = std::fs::read_to_string(format!("{}/{EXAMPLE}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
        .replace('\n', " ");
    let long = good.replace("NVIDIA H100 SXM", &"é".repeat(3 << 20));
    let path = std::env::temp_dir().join(format!("cordon-long-line-{}.jsonl", std::process::id()));
    let written = std::fs::write(
        &path,
        [long.as_str(), "{ not json", good.as_str()].join("\n"),
    );
    assert!(written.is_ok(), "{written:?}");
    let output = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            &path.to_string_lossy(),
            "--no-trace",
        ],
        "",
    );
    let _ = std::fs::remove_file(&path);
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_default())
        .collect();
    assert_eq!(lines.len(), 3, "{}", text(&output.stderr));
    assert_eq!(lines[0]["outcome"]["license_required"], false);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["outcome"]["license_required"], false);
}

/// A line with an escaped text is read through a parsed value; a field given twice is still an
/// error there.
#[test]
fn a_field_given_twice_is_an_error_even_beside_an_escaped_text() {
    let good = std::fs::read_to_string(format!("{}/{EXAMPLE}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
        .replace('\n', " ");
    let twice = good
        .replace(
            "\"destination\": \"IN\"",
            "\"destination\": \"XX\", \"destination\": \"IN\"",
        )
        .replace("PO-2025-0042", "PO\\u002d2025-0042");
    let output = cordon(
        &["eval", "--policy", "policies/ear", "--facts", "-"],
        &format!("{twice}\n{good}"),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("more than once"), "{stdout}");
}

#[test]
fn a_single_bad_object_exits_non_zero_with_the_error() {
    let output = cordon(
        &["eval", "--policy", "policies/ear", "--facts", "-"],
        r#"{"date": "2025-06-01", "destination": "XX"}"#,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("destination: unknown country code \"XX\""),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn bad_invocations_are_one_clear_line() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["eval", "--policy", "policies/nope", "--facts", EXAMPLE],
            "`policies/nope` does not exist",
        ),
        (
            &["eval", "--policy", "policies/ear", "--facts", "nope.json"],
            "cannot read facts file `nope.json`",
        ),
        (
            &[
                "eval",
                "--policy",
                "policies/ear",
                "--version",
                "1999-01-01",
                "--facts",
                EXAMPLE,
            ],
            "has no version `1999-01-01`",
        ),
        (&["check", "README.md"], "is not a policy source"),
        (
            &[
                "diff",
                "--policy",
                "policies/ear",
                "--from",
                "2025-01-13",
                "--to",
                "2099-01-01",
            ],
            "has no version `2099-01-01`",
        ),
        (
            &[
                "diff",
                "--policy",
                "policies/ear",
                "--from",
                "2025-01-13",
                "--to",
                "2025-05-13",
                "--facts",
                "nope.jsonl",
            ],
            "cannot read facts file `nope.jsonl`",
        ),
    ];
    for (args, expected) in cases {
        let output = cordon(args, "");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn check_and_test_pass_on_the_ear_policy() {
    let check = cordon(&["check", "policies/ear"], "");
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(
        text(&check.stderr).is_empty(),
        "check is silent on valid sources: {}",
        text(&check.stderr)
    );
    let test = cordon(&["test", "policies/ear"], "");
    assert!(test.status.success(), "{}", text(&test.stdout));
    assert!(text(&test.stdout).contains(" 0 failed"));
}

#[test]
fn text_output_explains_for_people() {
    let output = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--version",
            "2025-01-13",
            "--facts",
            EXAMPLE,
            "--format",
            "text",
            "--explain",
        ],
        "",
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("license_a_worldwide (15 CFR 742.6(a)(6)(iii)(A)"),
        "{stdout}"
    );
    assert!(stdout.contains("why not:"), "{stdout}");
}

#[test]
fn diff_text_output_says_what_changed_and_for_whom() {
    let output = cordon(
        &[
            "diff",
            "--policy",
            "tests/diff/threshold",
            "--from",
            "2027-01-01",
            "--to",
            "2027-03-01",
            "--facts",
            "tests/diff/threshold/corpus.jsonl",
            "--format",
            "text",
        ],
        "",
    );
    let stdout = text(&output.stdout);
    // Two lines of the corpus cannot be decided: the report is complete, the status says so.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        stdout.contains("const tpp_a: changed\n      value 4,800 TPP -> 5,000 TPP\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  2 transactions: license_required: true -> false; review_policy: denial -> null\n      at-4800 (line 2), line 3\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 8: error: destination: unknown country code \"XX\""),
        "{stdout}"
    );
}

#[test]
fn diff_without_a_corpus_exits_zero_even_when_the_rules_changed() {
    let output = cordon(
        &[
            "diff",
            "--policy",
            "policies/ear",
            "--from",
            "2025-05-13",
            "--to",
            "2026-01-15",
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(report["to"]["version"], "2026-01-15");
    assert!(report.get("corpus").is_none());
    let names: Vec<&str> = report["provisions"]
        .as_array()
        .map(|changes| {
            changes
                .iter()
                .filter_map(|change| change["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "review_carve_out",
            "notice_certifications",
            "china_macau",
            "carve_out_tpp",
            "carve_out_dram_bandwidth",
            "carve_out_applies"
        ]
    );
}

/// `--emit-tests` turns a reviewed diff into a regression suite: the emitted module is checked
/// and its tests pass under the newer version; every witness also decides as reported by `eval`.
#[test]
fn emitted_witnesses_are_passing_tests_of_the_newer_version() {
    let copy = std::env::temp_dir().join(format!("cordon-emit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let status = Command::new("cp")
        .args(["-r", "policies/ear"])
        .arg(&copy)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map(|status| status.success());
    assert_eq!(status.ok(), Some(true), "cannot copy policies/ear");
    let policy = copy.to_string_lossy().into_owned();
    let target = copy.join("2026-01-15").to_string_lossy().into_owned();
    let output = cordon(
        &[
            "diff",
            "--policy",
            &policy,
            "--from",
            "2025-05-13",
            "--to",
            "2026-01-15",
            "--exhaustive",
            "--emit-tests",
            &target,
            "--format",
            "json",
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(report["exact"], true);
    let regions = report["regions"].as_array().cloned().unwrap_or_default();
    assert!(!regions.is_empty());
    let wrote = format!("wrote {} tests of version 2026-01-15", regions.len());
    assert!(
        text(&output.stderr).contains(&wrote),
        "{}",
        text(&output.stderr)
    );
    // A witness is a transaction `cordon eval` takes as it is.
    let region = regions
        .iter()
        .find(|region| region["to"].get("review_policy").is_some())
        .expect("a region where the review changes");
    let witness = region["witness"].to_string();
    let decided = cordon(
        &[
            "eval",
            "--policy",
            &policy,
            "--version",
            "2026-01-15",
            "--facts",
            "-",
        ],
        &witness,
    );
    assert!(decided.status.success(), "{}", text(&decided.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&decided.stdout).unwrap_or_default();
    assert_eq!(
        decision["outcome"]["review_policy"],
        region["to"]["review_policy"]
    );
    let checked = cordon(&["check", &policy], "");
    assert!(
        checked.status.success(),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    let tested = cordon(&["test", &policy], "");
    let report = text(&tested.stdout);
    assert!(tested.status.success(), "{report}{}", text(&tested.stderr));
    let last = format!("ok      2026-01-15 region_{}", regions.len());
    assert!(report.contains(&last), "{report}");
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn rust_writes_a_pinned_version_as_rust() {
    let output = cordon(
        &[
            "rust",
            "--policy",
            "policies/ear",
            "--version",
            "2025-01-13",
        ],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let source = text(&output.stdout);
    assert!(
        source.contains("pub const VERSION: &str = \"2025-01-13\";"),
        "{source}"
    );
    assert!(
        source.contains("pub fn run<'a>(&self, facts: &Facts<'a>"),
        "{source}"
    );
    assert!(
        source.contains("// classify_3a090a (15 CFR 774"),
        "{source}"
    );

    let output = cordon(
        &[
            "rust",
            "--policy",
            "policies/ear",
            "--version",
            "2099-01-01",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no version `2099-01-01`"),
        "{}",
        text(&output.stderr)
    );
}
