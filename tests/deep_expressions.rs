//! Long chains and deep nesting through every command: a chain of 10,000 `or`s (or `and`s) is
//! one level deep and is checked, formatted, tested, decided, written as Rust and diffed; 10,000
//! `not`s in a row, or thousands of additions, are a diagnostic (E0001) in every command that reads
//! the policy, never a stack overflow.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cordon(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(arguments)
        .output()
        .expect("cordon runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A one-version policy whose rules have these conditions, in a fresh directory.
fn policy(name: &str, conditions: &[String]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cordon-deep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let version = root.join("v1");
    std::fs::create_dir_all(&version).expect("the policy directory");
    std::fs::write(
        version.join("version.cordon"),
        "version \"v1\"\n  policy \"deep\"\n  in_force from 2024-01-01\n",
    )
    .expect("the manifest");
    let mut source = String::from(
        "facts {\n  date: date\n  destination: country\n  quantity: int\n}\n\n\
         outcome {\n  license_required: bool = false\n}\n",
    );
    for (index, condition) in conditions.iter().enumerate() {
        source.push_str(&format!(
            "\nrule rule_{index}\n  cite \"15 CFR 742.6(a)(6)(iii)\"\n  when {condition}\n  then license_required = true\n"
        ));
    }
    source.push_str(
        "\ntest china\n  given { date: 2024-06-01, destination: CN, quantity: 1 }\n  expect { license_required: true }\n",
    );
    std::fs::write(version.join("rules.cordon"), source).expect("the rules");
    std::fs::write(
        root.join("china.json"),
        r#"{"date": "2024-06-01", "destination": "CN", "quantity": 1}"#,
    )
    .expect("the facts");
    root
}

fn path(root: &Path) -> &str {
    root.to_str().expect("a UTF-8 path")
}

#[test]
fn chains_of_ten_thousand_conditions_work_in_every_command() {
    let countries = ["RU", "IR", "KP", "CN"];
    let or_chain: Vec<String> = (0..10_000)
        .map(|index| format!("destination == {}", countries[index % 4]))
        .collect();
    let and_chain = vec!["destination != US"; 10_000];
    let root = policy("chains", &[or_chain.join(" or "), and_chain.join(" and ")]);
    let root = path(&root);
    let checked = cordon(&["check", root]);
    assert!(checked.status.success(), "{}", text(&checked));
    let formatted = cordon(&["fmt", root]);
    assert!(formatted.status.success(), "{}", text(&formatted));
    let still = cordon(&["fmt", "--check", root]);
    assert!(still.status.success(), "{}", text(&still));
    let tested = cordon(&["test", root]);
    assert!(
        tested.status.success() && text(&tested).contains("1 passed"),
        "{}",
        text(&tested)
    );
    let facts = format!("{root}/china.json");
    let decided = cordon(&["eval", "--policy", root, "--facts", &facts, "--explain"]);
    assert!(decided.status.success(), "{}", text(&decided));
    assert!(
        text(&decided).contains("\"license_required\":true"),
        "{}",
        text(&decided)
    );
    let rust = cordon(&["rust", "--policy", root, "--version", "v1"]);
    assert!(rust.status.success(), "{}", text(&rust));
}

#[test]
fn nesting_up_to_the_limit_works_in_every_command() {
    // 100 levels: 50 brackets, each opened after a `not` (each counts one).
    let condition = format!("{}destination == CN{}", "not (".repeat(50), ")".repeat(50));
    let root = policy("limit", &[condition]);
    let root = path(&root);
    let checked = cordon(&["check", root]);
    assert!(checked.status.success(), "{}", text(&checked));
    let tested = cordon(&["test", root]);
    assert!(tested.status.success(), "{}", text(&tested));
    let facts = format!("{root}/china.json");
    let decided = cordon(&["eval", "--policy", root, "--facts", &facts, "--explain"]);
    assert!(decided.status.success(), "{}", text(&decided));
    // A batch is decided on worker threads, not the main one.
    let batch = format!("{root}/batch.jsonl");
    let line = r#"{"date": "2024-06-01", "destination": "CN", "quantity": 1}"#;
    std::fs::write(&batch, format!("{line}\n").repeat(200)).expect("the batch");
    let decided = cordon(&["eval", "--policy", root, "--facts", &batch]);
    assert!(decided.status.success(), "{}", text(&decided));
    assert_eq!(
        String::from_utf8_lossy(&decided.stdout).lines().count(),
        200
    );
    let formatted = cordon(&["fmt", root]);
    assert!(formatted.status.success(), "{}", text(&formatted));
    let rust = cordon(&["rust", "--policy", root, "--version", "v1"]);
    assert!(rust.status.success(), "{}", text(&rust));
}

#[test]
fn nesting_past_the_limit_is_a_diagnostic_everywhere() {
    let nots = format!("{}destination == CN", "not ".repeat(10_000));
    let parentheses = format!(
        "{}destination == CN{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let sum = format!("{} > 5", vec!["quantity"; 5_000].join(" + "));
    for (name, condition) in [("nots", nots), ("parentheses", parentheses), ("sum", sum)] {
        let root = policy(name, &[condition]);
        let root = path(&root);
        let checked = cordon(&["check", root]);
        assert_eq!(checked.status.code(), Some(1), "{name}: {}", text(&checked));
        assert!(
            text(&checked).contains("nests more than 100 levels deep"),
            "{name}: {}",
            text(&checked)
        );
        for arguments in [
            vec!["fmt", "--check", root],
            vec!["test", root],
            vec!["rust", "--policy", root, "--version", "v1"],
        ] {
            let output = cordon(&arguments);
            // An error exit (the policy has an error), not a crash by signal.
            assert!(
                output.status.code().is_some(),
                "{name}: {arguments:?} crashed: {}",
                text(&output)
            );
        }
        let facts = format!("{root}/china.json");
        let decided = cordon(&["eval", "--policy", root, "--facts", &facts]);
        assert!(
            !decided.status.success() && text(&decided).contains("E0001"),
            "{name}: {}",
            text(&decided)
        );
    }
}
