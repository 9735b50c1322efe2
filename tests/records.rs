//! Decision records through the `cordon` binary: `eval --records` killed with SIGKILL in the
//! middle of a stream keeps every decision it printed, and the log verifies after a restart;
//! `records` verify, show, export, stats, replay and prune as engineers call them.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

mod common;

use common::{cordon, scratch, text};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `count` transactions, one a line, numbered from `first` (`PO-<n>`).
fn transactions(first: usize, count: usize) -> Result<String, Box<dyn std::error::Error>> {
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/h100-to-india.json"),
    )?;
    let line = serde_json::from_str::<serde_json::Value>(&example)?.to_string();
    let mut out = String::new();
    for number in first..first + count {
        out.push_str(&line.replace("PO-2025-0042", &format!("PO-{number}")));
        out.push('\n');
    }
    Ok(out)
}

/// The transaction ids in the log at `path`.
fn recorded_ids(
    url: &str,
) -> Result<std::collections::HashSet<String>, Box<dyn std::error::Error>> {
    let mut store = cordon_records::open(url, cordon_records::Create::No)?;
    let mut ids = std::collections::HashSet::new();
    cordon_records::for_each(
        store.as_mut(),
        &cordon_records::Window::default(),
        |record| {
            ids.insert(record.entry.transaction_id.clone().unwrap_or_default());
            Ok(())
        },
    )?;
    Ok(ids)
}

#[test]
fn a_killed_eval_keeps_every_decision_it_printed() -> TestResult {
    let directory = scratch("crash");
    let facts = directory.join("orders.jsonl");
    std::fs::write(&facts, transactions(0, 40_000)?)?;
    let url = format!("sqlite:{}", directory.join("records.db").display());
    let key = directory.join("key");
    let keygen = cordon(&["records", "keygen", &key.to_string_lossy()], "");
    assert!(keygen.status.success(), "{}", text(&keygen.stderr));
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["eval", "--policy", "policies/ear", "--no-trace", "--facts"])
        .arg(&facts)
        .args(["--records", &url, "--records-key"])
        .arg(&key)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut printed = Vec::new();
    let mut line = String::new();
    // Read some decisions, then SIGKILL the process in the middle of the stream.
    while printed.len() < 1000 && reader.read_line(&mut line)? > 0 {
        printed.push(std::mem::take(&mut line));
    }
    child.kill()?;
    // What was written before the kill is still in the pipe: it was printed too.
    let mut rest = String::new();
    reader.read_to_string(&mut rest)?;
    child.wait()?;
    let complete = rest
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'));
    printed.extend(complete.map(str::to_string));
    assert!(
        printed.len() >= 1000 && printed.len() < 40_000,
        "killed after {} decisions: not in the middle",
        printed.len()
    );
    let ids = recorded_ids(&url)?;
    for line in &printed {
        let decision: serde_json::Value = serde_json::from_str(line)?;
        let id = decision["id"].as_str().ok_or("a decision without an id")?;
        assert!(ids.contains(id), "{id} was printed but not recorded");
    }
    // Restarted, it appends after what survived, and the log verifies.
    let more = directory.join("more.jsonl");
    std::fs::write(&more, transactions(100_000, 100)?)?;
    let restarted = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            &more.to_string_lossy(),
            "--records",
            &url,
            "--records-key",
            &key.to_string_lossy(),
        ],
        "",
    );
    assert!(restarted.status.success(), "{}", text(&restarted.stderr));
    let public = format!("{}.pub", key.display());
    let verified = cordon(&["records", "verify", &url, "--key", &public], "");
    assert!(
        verified.status.success(),
        "{}{}",
        text(&verified.stdout),
        text(&verified.stderr)
    );
    assert_eq!(recorded_ids(&url)?.len(), ids.len() + 100);
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn records_commands_verify_show_export_replay_and_prune() -> TestResult {
    let directory = scratch("commands");
    let facts = directory.join("orders.jsonl");
    std::fs::write(&facts, transactions(1, 3)?)?;
    let path = directory.join("records.db");
    let url = format!("sqlite:{}", path.display());
    let key = directory.join("key");
    let public = format!("{}.pub", key.display());
    assert!(
        cordon(&["records", "keygen", &key.to_string_lossy()], "")
            .status
            .success()
    );
    let again = cordon(&["records", "keygen", &key.to_string_lossy()], "");
    assert!(text(&again.stderr).contains("never overwritten"));
    let eval = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            &facts.to_string_lossy(),
            "--records",
            &url,
            "--records-key",
            &key.to_string_lossy(),
        ],
        "",
    );
    assert!(eval.status.success(), "{}", text(&eval.stderr));
    assert_eq!(text(&eval.stdout).lines().count(), 3);

    let verified = cordon(&["records", "verify", &url, "--key", &public], "");
    assert!(verified.status.success(), "{}", text(&verified.stdout));
    assert!(text(&verified.stdout).contains("3 records verified; 1 checkpoints matched"));

    let shown = cordon(&["records", "show", &url, "PO-2"], "");
    let record: serde_json::Value = serde_json::from_slice(&shown.stdout)?;
    assert_eq!(
        (record["sequence"].as_u64(), record["version"].as_str()),
        (Some(2), Some("2025-05-13"))
    );

    let exported = cordon(&["records", "export", &url, "--since", "2020-01-01"], "");
    assert_eq!(text(&exported.stdout).lines().count(), 3);
    let none = cordon(&["records", "export", &url, "--until", "2020-01-01"], "");
    assert_eq!(text(&none.stdout), "");

    let replayed = cordon(
        &[
            "records",
            "replay",
            &url,
            "--policy",
            "policies/ear",
            "--version",
            "2025-01-13",
        ],
        "",
    );
    let report = text(&replayed.stdout);
    assert!(
        report.contains("3 records decided again under 2025-01-13"),
        "{report}"
    );
    assert!(
        report.contains("license_required: false -> true"),
        "{report}"
    );
    assert!(report.contains("PO-1 (record 1)"), "{report}");
    assert!(report.contains("decided only under 2025-01-13"), "{report}");

    let corrected = cordon(
        &[
            "records",
            "correct",
            &url,
            "2",
            "--policy",
            "policies/ear",
            "--facts",
            "examples/h100-to-india.json",
            "--records-key",
            &key.to_string_lossy(),
        ],
        "",
    );
    assert_eq!(text(&corrected.stdout), "record 4 corrects record 2\n");
    let correction: serde_json::Value =
        serde_json::from_slice(&cordon(&["records", "show", &url, "4"], "").stdout)?;
    assert_eq!(correction["corrects"].as_u64(), Some(2));
    let missing = cordon(
        &[
            "records",
            "correct",
            &url,
            "99",
            "--policy",
            "policies/ear",
            "--facts",
            "examples/h100-to-india.json",
        ],
        "",
    );
    assert!(text(&missing.stderr).contains("no record 99"));

    let refused = cordon(&["records", "prune", &url, "--before", "2025-01-01"], "");
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("15 CFR 762.6"));

    // Altered behind the log's back: named, and the exit status says so.
    let connection = rusqlite::Connection::open(&path)?;
    connection.execute_batch(
        "DROP TRIGGER records_never_updated;
         UPDATE records SET outcome = '{\"license_required\":false}' WHERE sequence = 2;",
    )?;
    let tampered = cordon(&["records", "verify", &url, "--key", &public], "");
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        text(&tampered.stdout).contains("record 2 was altered"),
        "{}",
        text(&tampered.stdout)
    );
    let missing = cordon(&["records", "verify", "sqlite:/nonexistent/records.db"], "");
    assert!(text(&missing.stderr).contains("does not exist"));
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn records_commands_name_what_is_wrong_without_panicking() -> TestResult {
    let directory = scratch("hostile");
    let garbage = directory.join("garbage.db");
    std::fs::write(&garbage, "this is not a database, just text\n".repeat(200))?;
    let facts = directory.join("orders.jsonl");
    std::fs::write(&facts, transactions(1, 3)?)?;
    let path = directory.join("records.db");
    let url = format!("sqlite:{}", path.display());
    let eval = cordon(
        &[
            "eval",
            "--policy",
            "policies/ear",
            "--facts",
            &facts.to_string_lossy(),
            "--records",
            &url,
        ],
        "",
    );
    assert!(eval.status.success(), "{}", text(&eval.stderr));
    let key = directory.join("key");
    assert!(
        cordon(&["records", "keygen", &key.to_string_lossy()], "")
            .status
            .success()
    );
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["records".into(), "verify".into(), "mysql://x".into()],
            "neither `sqlite:PATH`",
        ),
        (
            vec![
                "records".into(),
                "verify".into(),
                format!("sqlite:{}", garbage.display()),
            ],
            "is it an SQLite file",
        ),
        (
            vec!["records".into(), "show".into(), url.clone(), "nope".into()],
            "no record has",
        ),
        (
            vec![
                "records".into(),
                "export".into(),
                url.clone(),
                "--since".into(),
                "soon".into(),
            ],
            "neither a date",
        ),
        (
            vec![
                "records".into(),
                "verify".into(),
                url.clone(),
                "--key".into(),
                key.to_string_lossy().into(),
            ],
            "is not a public key",
        ),
        (
            vec![
                "eval".into(),
                "--policy".into(),
                "policies/ear".into(),
                "--facts".into(),
                facts.to_string_lossy().into(),
                "--records".into(),
                "sqlite:/nonexistent/directory/records.db".into(),
            ],
            "cannot open it",
        ),
        (
            vec![
                "eval".into(),
                "--policy".into(),
                "policies/ear".into(),
                "--facts".into(),
                facts.to_string_lossy().into(),
                "--records".into(),
                url.clone(),
                "--records-key".into(),
                key.to_string_lossy().into(),
                "--checkpoint-every".into(),
                "0".into(),
            ],
            "checkpoints every 0 records: give at least 1",
        ),
        (
            vec![
                "records".into(),
                "replay".into(),
                url.clone(),
                "--policy".into(),
                "policies/ear".into(),
                "--version".into(),
                "1999-01-01".into(),
            ],
            "no version `1999-01-01`",
        ),
    ];
    for (arguments, expected) in cases {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let output = cordon(&arguments, "");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {stderr}");
        assert!(stderr.contains(expected), "{arguments:?}: {stderr}");
    }
    // A row whose column no longer reads as a record is a finding of tampering, not a crash.
    let connection = rusqlite::Connection::open(&path)?;
    connection.execute_batch(
        "DROP TRIGGER records_never_updated; UPDATE records SET chain = x'00' WHERE sequence = 2;",
    )?;
    let corrupt = cordon(&["records", "verify", &url], "");
    assert_eq!(corrupt.status.code(), Some(1), "{}", text(&corrupt.stderr));
    assert!(
        text(&corrupt.stdout)
            .contains("record 2: its chain hash is not 32 bytes: it was altered in the store"),
        "{}",
        text(&corrupt.stdout)
    );
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

/// Posts a body over a fresh connection: the status line and the body of the answer.
fn post_as(address: &str, path: &str, content_type: &str, body: &str) -> Option<(String, String)> {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8(response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.lines().next()?.to_string();
    Some((status, body.to_string()))
}

/// Posts one transaction; the decision id when it was answered `200`.
fn post(address: &str, body: &str) -> Option<String> {
    let (status, json) = post_as(address, "/v1/decide", "application/json", body)?;
    if !status.starts_with("HTTP/1.1 200") {
        return None;
    }
    let decision: serde_json::Value = serde_json::from_str(&json).ok()?;
    decision["decision_id"].as_str().map(str::to_string)
}

/// The first decision a service just started answers, once its policy has loaded (within 30 s).
fn answered_after_start(address: &str, body: &str) -> Option<String> {
    for _ in 0..600 {
        if let Some(id) = post(address, body) {
            return Some(id);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

/// Starts `cordon serve --records` on a free port and waits until it answers.
fn serve(url: &str) -> Result<(std::process::Child, String), Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let address = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "serve",
            "--policy",
            "policies/ear",
            "--no-watch",
            "--addr",
            &address,
        ])
        .args(["--records", url])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    for _ in 0..600 {
        if std::net::TcpStream::connect(&address).is_ok() {
            return Ok((child, address));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err("cordon serve did not start".into())
}

#[test]
fn a_killed_service_keeps_every_decision_it_answered() -> TestResult {
    let directory = scratch("serve");
    let url = format!("sqlite:{}", directory.join("records.db").display());
    let body = transactions(1, 1)?;
    let (mut child, address) = serve(&url)?;
    // The load starts once the policy has loaded (the service answers).
    let first = answered_after_start(&address, &body).ok_or("no answer after the start")?;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let answered: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    let mut answered = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Some(id) = post(&address, &body) {
                            answered.push(id);
                        }
                    }
                    answered
                })
            })
            .collect();
        // SIGKILL in the middle of the load.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(std::time::Duration::from_millis(100));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        clients
            .into_iter()
            .flat_map(|client| client.join().unwrap_or_default())
            .collect()
    });
    assert!(
        !answered.is_empty(),
        "no decision was answered before the kill"
    );
    let mut store = cordon_records::open(&url, cordon_records::Create::No)?;
    let mut recorded = std::collections::HashSet::new();
    cordon_records::for_each(
        store.as_mut(),
        &cordon_records::Window::default(),
        |record| {
            recorded.insert(record.entry.decision_id.clone());
            Ok(())
        },
    )?;
    for id in answered.iter().chain([&first]) {
        assert!(
            recorded.contains(id),
            "decision {id} was answered but not recorded"
        );
    }
    // Restarted, the service appends after what survived, and the log verifies.
    let (mut child, address) = serve(&url)?;
    let after = answered_after_start(&address, &body).ok_or("no answer after the restart")?;
    let _ = child.kill();
    let _ = child.wait();
    let verified = cordon(&["records", "verify", &url], "");
    assert!(verified.status.success(), "{}", text(&verified.stdout));
    let shown = cordon(&["records", "show", &url, &after], "");
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

/// Dechunks an HTTP/1.1 chunked body.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn a_recorded_batch_answers_each_line_once_its_record_is_durable() -> TestResult {
    let directory = scratch("serve-batch");
    let url = format!("sqlite:{}", directory.join("records.db").display());
    let mut body = transactions(1, 300)?;
    body.push_str("{not json\n");
    body.push_str(&transactions(301, 5)?);
    let (mut child, address) = serve(&url)?;
    let first = answered_after_start(&address, &transactions(0, 1)?).ok_or("no answer")?;
    let (status, chunked) = post_as(
        &address,
        "/v1/decide?detail=outcome",
        "application/x-ndjson",
        &body,
    )
    .ok_or("the batch was not answered")?;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let _ = child.kill();
    let _ = child.wait();
    let lines: Vec<serde_json::Value> = dechunk(&chunked)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), 306, "one answer per line");
    assert_eq!(lines[300]["line"], 301, "{}", lines[300]);
    // Every decision answered is in the log under its decision id, with its trace, though the
    // answer (`detail=outcome`) showed none; the bad line is not a decision and is not recorded.
    let mut store = cordon_records::open(&url, cordon_records::Create::No)?;
    let mut recorded = std::collections::HashMap::new();
    cordon_records::for_each(
        store.as_mut(),
        &cordon_records::Window::default(),
        |record| {
            recorded.insert(record.entry.decision_id.clone(), record.entry.clone());
            Ok(())
        },
    )?;
    assert!(recorded.contains_key(&first));
    assert_eq!(
        recorded.len(),
        306,
        "the first decision and the batch's 305"
    );
    for line in lines.iter().filter(|line| line.get("line").is_none()) {
        assert_eq!(line["trace"], serde_json::json!([]), "{line}");
        let id = line["decision_id"].as_str().ok_or("no decision_id")?;
        let entry = recorded
            .get(id)
            .ok_or(format!("{id} answered, not recorded"))?;
        assert_eq!(entry.transaction_id.as_deref(), line["id"].as_str());
        let trace: serde_json::Value = serde_json::from_str(&entry.trace)?;
        assert!(
            trace.as_array().is_some_and(|rules| !rules.is_empty()),
            "the record keeps the trace: {trace}"
        );
    }
    let verified = cordon(&["records", "verify", &url], "");
    assert!(verified.status.success(), "{}", text(&verified.stdout));
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}
