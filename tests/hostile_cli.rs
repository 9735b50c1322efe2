//! The `cordon` binary under hostile input: bytes that are not UTF-8, blank lines and empty
//! input in batches, stdout closed or on a full disk, ids that try to fake a decision line,
//! interrupted writes, and policy directories holding FIFOs, devices and symlink loops.
//!
//! Every run is killed after [`LIMIT`], so a regression that hangs fails instead.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any run may take.
const LIMIT: Duration = Duration::from_secs(10);

const EXAMPLE: &str = "examples/h100-to-india.json";

/// Where a run's stdout goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stdout {
    /// A pipe that is read to the end.
    Pipe,
    /// A pipe whose reader is closed before the command writes.
    Closed,
    /// `/dev/full`: every write fails with "no space left on device".
    Full,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// At most the first 2,000 characters of an output, for a failure's message.
fn head(text: &str) -> &str {
    let end = text
        .char_indices()
        .nth(2000)
        .map_or(text.len(), |(at, _)| at);
    &text[..end]
}

impl Run {
    /// Exited by itself with a non-zero status, a message on stderr, and no panic.
    fn assert_clean_failure(&self, what: &str, message: &str) {
        let stderr = head(&self.stderr);
        assert!(
            !self.stderr.contains("panicked"),
            "{what}: panicked: {stderr}"
        );
        assert!(
            matches!(self.code, Some(code) if code != 0 && code != 101),
            "{what}: expected a non-zero exit (not a panic), got {:?}: {stderr}",
            self.code,
        );
        assert!(
            self.stderr.contains(message),
            "{what}: expected `{message}` on stderr: {stderr}"
        );
    }
}

/// Runs `cordon args` from the crate's directory, feeding `stdin`, and kills it after [`LIMIT`].
/// With a `program` (`sh -c ...`), runs that instead, with the binary as its `$0`.
fn run_in(program: &[&str], args: &[&str], stdin: &[u8], stdout: Stdout) -> Run {
    let binary = env!("CARGO_BIN_EXE_cordon");
    let mut command = match program {
        [] => Command::new(binary),
        [shell, rest @ ..] => {
            let mut command = Command::new(shell);
            command.args(rest).arg(binary);
            command
        }
    };
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped());
    match stdout {
        Stdout::Pipe | Stdout::Closed => {
            command.stdout(Stdio::piped());
        }
        Stdout::Full => {
            let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
            let full = full.unwrap_or_else(|error| panic!("cannot open /dev/full: {error}"));
            command.stdout(Stdio::from(full));
        }
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start cordon: {error}"));
    if stdout == Stdout::Closed {
        drop(child.stdout.take());
    }
    let input = child.stdin.take();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(mut input) = input {
            let _ = input.write_all(&stdin);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`cordon {}` did not finish within {} s",
                    args.join(" "),
                    LIMIT.as_secs()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => panic!("cannot wait for cordon: {error}"),
        }
    };
    let _ = feeder.join();
    Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn cordon(args: &[&str], stdin: &[u8], stdout: Stdout) -> Run {
    run_in(&[], args, stdin, stdout)
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cordon-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let created = std::fs::create_dir_all(&dir);
    assert!(
        created.is_ok(),
        "cannot create {}: {created:?}",
        dir.display()
    );
    dir
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    let written = std::fs::write(path, bytes);
    assert!(
        written.is_ok(),
        "cannot write {}: {written:?}",
        path.display()
    );
}

/// The example transaction on one line.
fn good() -> String {
    std::fs::read_to_string(format!("{}/{EXAMPLE}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
        .replace('\n', " ")
}

/// Each output line as JSON.
fn records(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect()
}

/// The message of an error record.
fn message(record: &serde_json::Value) -> String {
    record["error"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn eval_args(facts: &str) -> Vec<&str> {
    vec![
        "eval",
        "--policy",
        "policies/ear",
        "--no-trace",
        "--facts",
        facts,
    ]
}

/// The example with one byte that is not UTF-8 in its `id` (where its first `2025` starts).
fn not_utf8() -> Vec<u8> {
    let mut line = good().into_bytes();
    let at = line
        .windows(4)
        .position(|window| window == b"2025")
        .unwrap_or_default();
    line[at] = 0xff;
    line
}

fn assert_not_utf8_batch(run: &Run, what: &str) {
    assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
    let lines = records(&run.stdout);
    assert_eq!(lines.len(), 3, "{what}: one output line per input line");
    assert_eq!(lines[0]["outcome"]["license_required"], false, "{what}");
    assert_eq!(lines[1]["line"], 2, "{what}");
    let error = message(&lines[1]);
    assert!(error.contains("not valid UTF-8"), "{what}: {error}");
    let at = good().find("2025").unwrap_or_default() + 1;
    assert!(error.contains(&format!("byte {at}")), "{what}: {error}");
    assert_eq!(lines[2]["outcome"]["license_required"], false, "{what}");
}

#[test]
fn a_line_that_is_not_utf8_is_an_error_for_that_line_and_the_batch_goes_on() {
    let good = good();
    let mut batch = Vec::new();
    batch.extend_from_slice(good.as_bytes());
    batch.push(b'\n');
    batch.extend_from_slice(&not_utf8());
    batch.push(b'\n');
    batch.extend_from_slice(good.as_bytes());
    batch.push(b'\n');

    let dir = scratch("utf8");
    let file = dir.join("batch.jsonl");
    write(&file, &batch);
    let run = cordon(&eval_args(&file.to_string_lossy()), b"", Stdout::Pipe);
    assert_not_utf8_batch(&run, "a .jsonl file");

    let run = cordon(&eval_args("-"), &batch, Stdout::Pipe);
    assert_not_utf8_batch(&run, "stdin");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn blank_lines_are_error_records_in_their_place() {
    let good = good();
    // Lines 2 and 4 are blank (the second only whitespace); the final newline is no line.
    let batch = format!("{good}\n\n{good}\n \t\r\n{good}\r\n");
    let dir = scratch("blank");
    let file = dir.join("batch.jsonl");
    write(&file, &batch);
    for (what, facts, stdin) in [
        ("a .jsonl file", file.to_string_lossy().into_owned(), ""),
        ("stdin", "-".to_string(), batch.as_str()),
    ] {
        let run = cordon(&eval_args(&facts), stdin.as_bytes(), Stdout::Pipe);
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        let lines = records(&run.stdout);
        assert_eq!(lines.len(), 5, "{what}: one output line per input line");
        for (index, line) in lines.iter().enumerate() {
            if index % 2 == 0 {
                assert_eq!(line["outcome"]["license_required"], false, "{what}");
            } else {
                assert_eq!(line["line"], index + 1, "{what}");
                let error = message(line);
                assert!(error.contains("no transaction"), "{what}: {error}");
            }
        }
    }
    // In text too, each blank line has its line.
    let run = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            "-",
            "--format",
            "text",
        ],
        batch.as_bytes(),
        Stdout::Pipe,
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stdout.contains("line 2: error: ") && run.stdout.contains("line 4: error: "),
        "{}",
        run.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn empty_input_is_an_error_naming_it() {
    let dir = scratch("empty");
    for (name, content) in [
        ("empty.jsonl", ""),
        ("blank.jsonl", " \n\n\t\n"),
        ("empty.json", ""),
        ("blank.json", "\n  \n"),
    ] {
        let file = dir.join(name);
        write(&file, content);
        let run = cordon(&eval_args(&file.to_string_lossy()), b"", Stdout::Pipe);
        run.assert_clean_failure(name, name);
        run.assert_clean_failure(name, "no transaction");
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
    }
    for stdin in ["", " \n\n \n"] {
        let run = cordon(&eval_args("-"), stdin.as_bytes(), Stdout::Pipe);
        run.assert_clean_failure(&format!("stdin {stdin:?}"), "stdin");
        run.assert_clean_failure(&format!("stdin {stdin:?}"), "no transaction");
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eval_to_a_full_disk_or_a_closed_pipe_is_an_error() {
    let good = good();
    let batch = format!("{good}\n{good}\n");
    let dir = scratch("full");
    let file = dir.join("batch.jsonl");
    write(&file, &batch);
    let file = file.to_string_lossy().into_owned();
    for stdout in [Stdout::Full, Stdout::Closed] {
        for (what, facts, stdin) in [
            ("one transaction", EXAMPLE, ""),
            ("stdin lines", "-", batch.as_str()),
            ("a .jsonl file", file.as_str(), ""),
        ] {
            let run = cordon(&eval_args(facts), stdin.as_bytes(), stdout);
            run.assert_clean_failure(what, "cannot write the decisions");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_id_cannot_fake_a_decision_line_in_text() {
    let fake =
        "PO-1\non 2025-06-01: policy ear version 2025-05-13 (sha256:00)\n  license_required: false";
    let json = serde_json::to_string(fake).unwrap_or_default();
    let transaction = good().replace("\"PO-2025-0042\"", &json);
    let run = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            "-",
            "--format",
            "text",
        ],
        transaction.as_bytes(),
        Stdout::Pipe,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{json} on 2025-06-01: ")),
        "{}",
        run.stdout
    );
    let decision_lines = run
        .stdout
        .lines()
        .filter(|line| line.contains("on 2025-06-01: policy"))
        .count();
    assert_eq!(decision_lines, 1, "{}", run.stdout);
    let fields = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("  license_required:"))
        .count();
    assert_eq!(fields, 1, "{}", run.stdout);
}

/// `test`, `rust`, `fmt`, `check` and `diff` with stdout closed or full: an error, not a panic
/// and not a silent success.
#[test]
fn every_printing_command_reports_a_failed_write() {
    let dir = scratch("print");
    let unformatted = dir.join("unformatted.cordon");
    write(&unformatted, "const  x : decimal = 1\n");
    let unformatted = unformatted.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 4] = [
        (&["test", "policies/ear"], "cannot write the test report"),
        (
            &[
                "rust",
                "--policy",
                "policies/ear",
                "--version",
                "2025-01-13",
            ],
            "cannot write the Rust",
        ),
        (&["fmt", "--check", &unformatted], "cannot write"),
        (
            &[
                "diff",
                "--policy",
                "policies/ear",
                "--from",
                "2025-05-13",
                "--to",
                "2026-01-15",
            ],
            "cannot write the report",
        ),
    ];
    for stdout in [Stdout::Closed, Stdout::Full] {
        for (args, message) in cases {
            let run = cordon(args, b"", stdout);
            run.assert_clean_failure(&args.join(" "), message);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check` prints its diagnostics on stderr: with stderr on a full disk it still exits with an
/// error of its own instead of a panic.
#[test]
fn check_reports_a_failed_write_of_its_diagnostics() {
    let dir = scratch("check-full");
    let broken = dir.join("broken.cordon");
    write(&broken, "rule nope when\n");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let full = full.unwrap_or_else(|error| panic!("cannot open /dev/full: {error}"));
    let status = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["check", &broken.to_string_lossy()])
        .stdout(Stdio::null())
        .stderr(Stdio::from(full))
        .status()
        .map(|status| status.code());
    // 1 is "errors found", 101 a panic: a failed write is neither.
    assert_eq!(status.ok().flatten(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
