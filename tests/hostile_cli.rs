//! The `cordon` binary under hostile input: bytes that are not UTF-8, blank lines and empty
//! input in batches, stdout closed or on a full disk, ids that try to fake a decision line,
//! interrupted writes, and policy directories holding FIFOs, devices and symlink loops.
//!
//! Every run is killed after [`LIMIT`], so a regression that hangs fails instead.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::scratch;

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

/// A policy file of 29 KB with trailing spaces on every line (for `fmt` to remove), and the
/// same file formatted.
fn unformatted_policy() -> (String, String) {
    let formatted = std::fs::read_to_string(format!(
        "{}/policies/ear/2025-01-13/tests.cordon",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_default();
    assert!(formatted.len() > 16 << 10);
    (formatted.replace('\n', "   \n"), formatted)
}

/// A write cut short (here by a file size limit, as a full disk or a kill would) leaves the
/// policy file as it was, never a truncated half.
#[test]
fn an_interrupted_fmt_leaves_the_file_whole() {
    let dir = scratch("interrupted");
    let file = dir.join("tests.cordon");
    let (unformatted, _) = unformatted_policy();
    write(&file, &unformatted);
    // `ulimit -f 8`: no file written may grow past 4 KiB (or 8, by the shell's unit).
    let run = run_in(
        &["sh", "-c", "ulimit -f 8 && exec \"$0\" \"$@\""],
        &["fmt", &file.to_string_lossy()],
        b"",
        Stdout::Pipe,
    );
    assert_ne!(
        run.code,
        Some(0),
        "the write cannot succeed: {}",
        run.stderr
    );
    let after = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        after.len(),
        unformatted.len(),
        "the policy file was cut to {} bytes",
        after.len()
    );
    assert!(after == unformatted);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_replaces_the_file_whole_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("permissions");
    let file = dir.join("tests.cordon");
    let (unformatted, formatted) = unformatted_policy();
    write(&file, &unformatted);
    let chmod = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640));
    assert!(chmod.is_ok(), "{chmod:?}");
    let run = cordon(&["fmt", &file.to_string_lossy()], b"", Stdout::Pipe);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap_or_default(),
        formatted
    );
    let mode = std::fs::metadata(&file).map(|metadata| metadata.permissions().mode() & 0o7777);
    assert_eq!(mode.ok(), Some(0o640));
    // Nothing is left beside it.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(left, [std::ffi::OsString::from("tests.cordon")]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A formatted policy source.
fn formatted_source() -> String {
    std::fs::read_to_string(format!(
        "{}/policies/ear/2025-01-13/version.cordon",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_default()
}

/// A version directory holding one good source and `bad`, a `.cordon` entry that is no regular
/// file: `check` and `fmt` of the directory, and of the entry itself, refuse it promptly,
/// naming it and what it is.
fn assert_refused(name: &str, make: impl Fn(&Path), what: &str) {
    let dir = scratch(name);
    write(&dir.join("good.cordon"), formatted_source());
    let bad = dir.join("bad.cordon");
    make(&bad);
    let dir_arg = dir.to_string_lossy().into_owned();
    let bad_arg = bad.to_string_lossy().into_owned();
    for args in [
        vec!["check", dir_arg.as_str()],
        vec!["check", bad_arg.as_str()],
        vec!["fmt", dir_arg.as_str()],
        vec!["fmt", "--check", dir_arg.as_str()],
        vec!["fmt", bad_arg.as_str()],
        vec!["test", dir_arg.as_str()],
    ] {
        let run = cordon(&args, b"", Stdout::Pipe);
        let case = format!("{name}: cordon {}", args.join(" "));
        run.assert_clean_failure(&case, &bad_arg);
        run.assert_clean_failure(&case, what);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loading_refuses_a_fifo() {
    assert_refused(
        "fifo",
        |path| {
            let made = Command::new("mkfifo").arg(path).status();
            assert!(made.is_ok_and(|status| status.success()), "mkfifo failed");
        },
        "a FIFO",
    );
}

#[test]
fn loading_refuses_a_symlink_loop() {
    assert_refused(
        "loop",
        |path| {
            let other = path.with_file_name("other.link");
            let linked = std::os::unix::fs::symlink(&other, path)
                .and_then(|()| std::os::unix::fs::symlink(path, &other));
            assert!(linked.is_ok(), "{linked:?}");
        },
        "a symlink loop",
    );
}

#[test]
fn loading_refuses_a_symlink_to_a_device() {
    assert_refused(
        "device",
        |path| {
            let linked = std::os::unix::fs::symlink("/dev/zero", path);
            assert!(linked.is_ok(), "{linked:?}");
        },
        "a character device",
    );
}

/// A directory that links back to its parent is not followed forever.
#[test]
fn fmt_does_not_follow_a_directory_loop() {
    let dir = scratch("dir-loop");
    let version = dir.join("v1");
    let _ = std::fs::create_dir_all(&version);
    write(&version.join("a.cordon"), formatted_source());
    for name in ["up", "again"] {
        let linked = std::os::unix::fs::symlink("..", version.join(name));
        assert!(linked.is_ok(), "{linked:?}");
    }
    let run = cordon(
        &["fmt", "--check", &dir.to_string_lossy()],
        b"",
        Stdout::Pipe,
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loading_refuses_a_source_larger_than_the_limit() {
    let dir = scratch("large");
    let file = dir.join("large.cordon");
    let made = std::fs::File::create(&file).and_then(|large| large.set_len((16 << 20) + 1));
    assert!(made.is_ok(), "{made:?}");
    let file = file.to_string_lossy().into_owned();
    for args in [vec!["check", file.as_str()], vec!["fmt", file.as_str()]] {
        let run = cordon(&args, b"", Stdout::Pipe);
        let case = format!("cordon {}", args.join(" "));
        run.assert_clean_failure(&case, &file);
        run.assert_clean_failure(&case, "16 MiB");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--facts` names something that is no regular file: `eval` (a transaction or a batch) and
/// `diff` refuse it promptly, naming it and what it is, and say how to read from a pipe.
#[test]
fn facts_that_are_no_regular_file_are_refused() {
    let dir = scratch("facts-special");
    let fifo = dir.join("fifo.json");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo failed");
    let mut cases = vec![(fifo, "a FIFO (named pipe)")];
    for name in ["zero.json", "zero.jsonl"] {
        let link = dir.join(name);
        let linked = std::os::unix::fs::symlink("/dev/zero", &link);
        assert!(linked.is_ok(), "{linked:?}");
        cases.push((link, "a symlink to a character device"));
    }
    let looped = dir.join("loop.jsonl");
    let other = dir.join("other.jsonl");
    let linked = std::os::unix::fs::symlink(&other, &looped)
        .and_then(|()| std::os::unix::fs::symlink(&looped, &other));
    assert!(linked.is_ok(), "{linked:?}");
    cases.push((looped, "a symlink loop"));
    let directory = dir.join("directory.json");
    let _ = std::fs::create_dir_all(&directory);
    cases.push((directory, "a directory"));
    for (path, what) in cases {
        let path = path.to_string_lossy().into_owned();
        for args in [
            eval_args(&path),
            vec![
                "diff",
                "--policy",
                "policies/ear",
                "--from",
                "2025-01-13",
                "--to",
                "2025-05-13",
                "--facts",
                &path,
            ],
        ] {
            let run = cordon(&args, b"", Stdout::Pipe);
            let case = format!("cordon {}", args.join(" "));
            run.assert_clean_failure(&case, &path);
            run.assert_clean_failure(&case, what);
            run.assert_clean_failure(&case, "--facts -");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_facts_file_larger_than_the_limit_is_refused() {
    let dir = scratch("facts-large");
    let file = dir.join("large.json");
    let made = std::fs::File::create(&file).and_then(|large| large.set_len((16 << 20) + 1));
    assert!(made.is_ok(), "{made:?}");
    let file = file.to_string_lossy().into_owned();
    let run = cordon(&eval_args(&file), b"", Stdout::Pipe);
    run.assert_clean_failure("a facts file of 16 MiB and a byte", &file);
    run.assert_clean_failure(
        "a facts file of 16 MiB and a byte",
        "larger than 16 MiB, the limit for one transaction",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A line of a `.jsonl` batch longer than the limit of one transaction is an error of its own
/// line (not held whole in memory), and the lines after it are decided in their place; so is
/// such a line at the end of the file without a newline.
#[test]
fn a_batch_line_longer_than_the_limit_is_an_error_of_its_line() {
    let good = good();
    let long = format!("{{\"id\": \"{}\"}}", "x".repeat(20 << 20));
    let dir = scratch("facts-long-line");
    for (name, batch, lines) in [
        ("middle.jsonl", format!("{good}\n{long}\n{good}\n"), 3),
        ("last.jsonl", format!("{good}\n{good}\n{long}"), 3),
    ] {
        let file = dir.join(name);
        write(&file, batch);
        let run = cordon(&eval_args(&file.to_string_lossy()), b"", Stdout::Pipe);
        assert_eq!(run.code, Some(1), "{name}: {}", head(&run.stderr));
        let records = records(&run.stdout);
        assert_eq!(
            records.len(),
            lines,
            "{name}: one output line per input line"
        );
        let long_line = if name == "middle.jsonl" { 2 } else { 3 };
        for (index, record) in records.iter().enumerate() {
            if index + 1 == long_line {
                assert_eq!(record["line"], long_line, "{name}");
                let error = message(record);
                assert!(
                    error.contains("longer than 16 MiB, the limit for one transaction"),
                    "{name}: {error}"
                );
            } else {
                assert_eq!(
                    record["outcome"]["license_required"], false,
                    "{name}: {record}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
