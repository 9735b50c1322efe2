//! The log as a whole, through its public API: group commit, tampering caught and named (in
//! SQLite and, when `CORDON_TEST_POSTGRES` names a database, in PostgreSQL), retention, and
//! replay attributed to rules.

use std::io::Write as _;
use std::sync::Arc;

use cordon_records::checkpoint::{Checkpoint, Signer, Verifier};
use cordon_records::hash::{chain_hash, leaf_hash};
use cordon_records::verify::{Problem, verify};
use cordon_records::{Appender, Create, Entry, Options, Window, open};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A way of tampering with the log at a URL, through a raw connection to it.
type Tamper = fn(&mut dyn Raw, &str) -> TestResult;

/// A fresh log for a case: its URL and a raw connection to it.
type Fresh<'a> = dyn FnMut(&str) -> Result<(String, Box<dyn Raw>), Box<dyn std::error::Error>> + 'a;

fn entry(number: usize, received: &str) -> Entry {
    Entry {
        decision_id: cordon_records::record::new_decision_id(),
        transaction_id: Some(format!("T-{number}")),
        received: received.to_string(),
        facts: format!("{{\"id\":\"T-{number}\", \"date\":\"2025-06-01\"}}").into_bytes(),
        outcome: format!("{{\"license_required\":{}}}", number.is_multiple_of(2)),
        trace: "[]".to_string(),
        policy: "ear".to_string(),
        version: "2025-05-13".to_string(),
        content_hash: "sha256:00".to_string(),
        engine_version: "test".to_string(),
        corrects: None,
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let directory = std::env::temp_dir().join(format!(
        "cordon-records-{name}-{}-{}",
        std::process::id(),
        cordon_records::record::new_decision_id()
    ));
    let _ = std::fs::create_dir_all(&directory);
    directory
}

/// A log of 20 records with a checkpoint every 5, written one record per transaction.
fn write_log(url: &str, signer: Signer) -> Result<(), Box<dyn std::error::Error>> {
    let appender = Appender::start(
        open(url, Create::Yes)?,
        Options {
            checkpoint_every: 5,
            signer: Some(signer),
            ..Options::default()
        },
    )?;
    for number in 1..=20 {
        appender.append(entry(number, &cordon_records::now()))?;
    }
    appender.close()?;
    Ok(())
}

/// Statements run straight against the store, as someone with access to the database would.
trait Raw {
    fn exec(&mut self, sql: &str) -> Result<(), Box<dyn std::error::Error>>;
    fn set_note(&mut self, size: i64, note: &str) -> Result<(), Box<dyn std::error::Error>>;
    fn set_chain(&mut self, sequence: i64, chain: &[u8]) -> Result<(), Box<dyn std::error::Error>>;
    /// Drops the triggers that refuse updates and deletes.
    fn unguard(&mut self) -> Result<(), Box<dyn std::error::Error>>;
}

impl Raw for rusqlite::Connection {
    fn exec(&mut self, sql: &str) -> Result<(), Box<dyn std::error::Error>> {
        Ok(self.execute_batch(sql)?)
    }
    fn set_note(&mut self, size: i64, note: &str) -> Result<(), Box<dyn std::error::Error>> {
        self.execute(
            "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
            rusqlite::params![note, size],
        )?;
        Ok(())
    }
    fn set_chain(&mut self, sequence: i64, chain: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
        self.execute(
            "UPDATE records SET chain = ?1 WHERE sequence = ?2",
            rusqlite::params![chain, sequence],
        )?;
        Ok(())
    }
    fn unguard(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        self.exec("DROP TRIGGER records_never_updated; DROP TRIGGER records_never_deleted;")
    }
}

impl Raw for postgres::Client {
    fn exec(&mut self, sql: &str) -> Result<(), Box<dyn std::error::Error>> {
        Ok(self.batch_execute(sql)?)
    }
    fn set_note(&mut self, size: i64, note: &str) -> Result<(), Box<dyn std::error::Error>> {
        self.execute(
            "UPDATE checkpoints SET note = $1 WHERE size = $2",
            &[&note, &size],
        )?;
        Ok(())
    }
    fn set_chain(&mut self, sequence: i64, chain: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
        self.execute(
            "UPDATE records SET chain = $1 WHERE sequence = $2",
            &[&chain, &sequence],
        )?;
        Ok(())
    }
    fn unguard(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        self.exec("DROP TRIGGER records_append_only ON records")
    }
}

/// One way of tampering and what `verify` must say about it.
struct Case {
    name: &'static str,
    tamper: Tamper,
    expect: fn(&Problem) -> bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "altered",
            tamper: |raw, _| {
                raw.exec(
                    "UPDATE records SET outcome = '{\"license_required\":false}' \
                     WHERE sequence = 8",
                )
            },
            expect: |problem| *problem == Problem::Altered { sequence: 8 },
        },
        Case {
            name: "removed",
            tamper: |raw, _| raw.exec("DELETE FROM records WHERE sequence = 7"),
            expect: |problem| {
                matches!(
                    problem,
                    Problem::Removed {
                        first: 7,
                        last: 7,
                        ..
                    }
                )
            },
        },
        Case {
            name: "removed at the end",
            tamper: |raw, _| raw.exec("DELETE FROM records WHERE sequence > 12"),
            expect: |problem| matches!(problem, Problem::Removed { first: 13, .. }),
        },
        Case {
            name: "inserted",
            tamper: |raw, _| {
                raw.exec(
                    "UPDATE records SET sequence = -sequence WHERE sequence >= 7;
                     UPDATE records SET sequence = 1 - sequence WHERE sequence < 0;
                     INSERT INTO records SELECT 7, 'forged', transaction_id, received, facts, \
                     outcome, trace, policy, version, content_hash, engine_version, corrects, \
                     chain FROM records WHERE sequence = 3;",
                )
            },
            expect: |problem| *problem == Problem::Inserted { sequence: 7 },
        },
        Case {
            name: "reordered",
            tamper: |raw, _| {
                raw.exec(
                    "UPDATE records SET sequence = -1 WHERE sequence = 7;
                     UPDATE records SET sequence = 7 WHERE sequence = 8;
                     UPDATE records SET sequence = 8 WHERE sequence = -1;",
                )
            },
            expect: |problem| {
                *problem
                    == Problem::Reordered {
                        sequence: 7,
                        belongs_at: 8,
                    }
            },
        },
        Case {
            name: "altered with the chain rewritten",
            tamper: |raw, url| {
                raw.exec(
                    "UPDATE records SET outcome = '{\"license_required\":false}' \
                     WHERE sequence = 8",
                )?;
                // Recompute every chain hash from record 8 on, as a careful forger would.
                let mut store = open(url, Create::No)?;
                let records = store.read(0, 100, &Window::default())?;
                let mut previous = [0u8; 32];
                for record in records {
                    previous = chain_hash(&previous, &leaf_hash(&record.entry.content()));
                    if record.sequence >= 8 {
                        raw.set_chain(i64::try_from(record.sequence)?, &previous)?;
                    }
                }
                Ok(())
            },
            expect: |problem| matches!(problem, Problem::Checkpoint { size: 10, .. }),
        },
        Case {
            name: "a column overwritten",
            tamper: |raw, _| raw.set_chain(5, &[0]),
            expect: |problem| matches!(problem, Problem::Unreadable { sequence: 5, why } if why.contains("chain hash is not 32 bytes")),
        },
        Case {
            name: "checkpoint signed by another key",
            tamper: |raw, url| {
                let mut store = open(url, Create::No)?;
                let (_, note) = store
                    .checkpoints()?
                    .into_iter()
                    .find(|(size, _)| *size == 10)
                    .ok_or("no checkpoint at 10")?;
                let note = Checkpoint::parse(&note)?;
                let other = Signer::generate("test.example/records")?;
                raw.set_note(10, &other.sign(&note.origin, note.size, &note.root))
            },
            expect: |problem| matches!(problem, Problem::Checkpoint { size: 10, why } if why.contains("not signed by")),
        },
    ]
}

/// Runs every case on a fresh log made by `fresh` (a URL and a raw connection to it).
fn check_cases(fresh: &mut Fresh<'_>) -> TestResult {
    for case in cases() {
        let (url, mut raw) = fresh(case.name)?;
        let signer = Signer::generate("test.example/records")?;
        let key: Verifier = signer.verifier();
        write_log(&url, signer)?;
        let clean = verify(open(&url, Create::No)?.as_mut(), Some(&key), &[])?;
        assert_eq!(clean.problem, None, "{}: a clean log verifies", case.name);
        assert_eq!((clean.records, clean.checkpoints_checked), (20, 4));
        raw.unguard()?;
        (case.tamper)(raw.as_mut(), &url)?;
        let report = verify(open(&url, Create::No)?.as_mut(), Some(&key), &[])?;
        let problem = report
            .problem
            .ok_or_else(|| format!("{}: verify found nothing", case.name))?;
        assert!(
            (case.expect)(&problem),
            "{}: verify said: {problem}",
            case.name
        );
    }
    Ok(())
}

#[test]
fn tampering_in_sqlite_is_caught_and_named() -> TestResult {
    let directory = temp_dir("tamper");
    let mut count = 0;
    check_cases(&mut |_name| {
        count += 1;
        let path = directory.join(format!("{count}.db"));
        let url = format!("sqlite:{}", path.display());
        // Create the log first, so that the raw connection sees its tables.
        drop(open(&url, Create::Yes)?);
        let raw: Box<dyn Raw> = Box::new(rusqlite::Connection::open(&path)?);
        Ok((url, raw))
    })?;
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

/// The PostgreSQL URL to test against, or a notice that those tests are skipped.
fn postgres_url() -> Option<String> {
    match std::env::var("CORDON_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // Straight to stderr, past the test harness's capture, so that the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: a PostgreSQL test (set CORDON_TEST_POSTGRES to a database URL to run it)"
            );
            None
        }
    }
}

/// A fresh schema in the test database: the URL that selects it, and a raw connection to it.
fn postgres_schema(
    url: &str,
    name: &str,
) -> Result<(String, postgres::Client), Box<dyn std::error::Error>> {
    let schema = format!(
        "t_{}_{}",
        name.replace(' ', "_"),
        &cordon_records::record::new_decision_id()[..8]
    );
    let mut admin = postgres::Client::connect(url, postgres::NoTls)?;
    admin.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-csearch_path%3D{schema}");
    let raw = postgres::Client::connect(&scoped, postgres::NoTls)?;
    drop(open(&scoped, Create::Yes)?);
    Ok((scoped, raw))
}

#[test]
fn tampering_in_postgres_is_caught_and_named() -> TestResult {
    let Some(url) = postgres_url() else {
        return Ok(());
    };
    check_cases(&mut |name| {
        let (scoped, raw) = postgres_schema(&url, name)?;
        let raw: Box<dyn Raw> = Box::new(raw);
        Ok((scoped, raw))
    })
}

/// Many threads append at once; each is answered only once its record can be read by another
/// connection, every record is there once, and the log verifies.
fn group_commit(url: &str) -> TestResult {
    let appender = Arc::new(Appender::start(
        open(url, Create::Yes)?,
        Options::default(),
    )?);
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let appender = Arc::clone(&appender);
            let url = url.to_string();
            std::thread::spawn(move || -> Result<Vec<(u64, String)>, String> {
                let mut reader = open(&url, Create::No).map_err(|e| e.to_string())?;
                let mut done = Vec::new();
                for number in 0..250 {
                    let entry = entry(thread * 1000 + number, &cordon_records::now());
                    let id = entry.decision_id.clone();
                    let sequence = appender.append(entry).map_err(|e| e.to_string())?;
                    // Durable means committed: another connection sees it at once.
                    if number % 50 == 0 {
                        let found = reader.find(&id).map_err(|e| e.to_string())?;
                        if found.len() != 1 || found[0].sequence != sequence {
                            return Err(format!("record {sequence} is not readable"));
                        }
                    }
                    done.push((sequence, id));
                }
                Ok(done)
            })
        })
        .collect();
    let mut answered = Vec::new();
    for thread in threads {
        answered.extend(thread.join().map_err(|_| "a thread panicked")??);
    }
    appender.close()?;
    answered.sort();
    let mut store = open(url, Create::No)?;
    let records = store.read(0, 10_000, &Window::default())?;
    assert_eq!(records.len(), 2000);
    for ((sequence, id), record) in answered.iter().zip(&records) {
        assert_eq!(
            (*sequence, id),
            (record.sequence, &record.entry.decision_id)
        );
    }
    let report = verify(store.as_mut(), None, &[])?;
    assert_eq!((report.problem, report.records), (None, 2000));
    Ok(())
}

#[test]
fn group_commit_in_sqlite_answers_only_durable_records() -> TestResult {
    let directory = temp_dir("group");
    group_commit(&format!("sqlite:{}", directory.join("log.db").display()))?;
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn group_commit_in_postgres_answers_only_durable_records() -> TestResult {
    let Some(url) = postgres_url() else {
        return Ok(());
    };
    let (scoped, _) = postgres_schema(&url, "group")?;
    group_commit(&scoped)
}

#[test]
fn pruning_refuses_young_records_and_keeps_the_chain_verifiable() -> TestResult {
    let directory = temp_dir("prune");
    let url = format!("sqlite:{}", directory.join("log.db").display());
    let signer = Signer::generate("test.example/records")?;
    let key = signer.verifier();
    let appender = Appender::start(
        open(&url, Create::Yes)?,
        Options {
            checkpoint_every: 4,
            signer: Some(Signer::parse(&signer.to_text(), "the key")?),
            ..Options::default()
        },
    )?;
    for number in 0..10 {
        appender.append(entry(number, "2019-03-01T10:00:00.000000Z"))?;
    }
    for number in 10..15 {
        appender.append(entry(number, "2026-03-01T10:00:00.000000Z"))?;
    }
    appender.close()?;
    let today: jiff::civil::Date = "2026-12-06".parse()?;
    let mut store = open(&url, Create::No)?;
    // Records from 2022 on are younger than five years: refused, nothing removed.
    let refused = cordon_records::prune::prune(
        store.as_mut(),
        "2022-01-01T00:00:00.000000Z",
        today,
        Some(&signer),
    );
    let error = refused
        .err()
        .ok_or("pruning young records was not refused")?;
    assert!(error.to_string().contains("762.6"), "{error}");
    assert_eq!(store.read(0, 100, &Window::default())?.len(), 15);
    let pruned = cordon_records::prune::prune(
        store.as_mut(),
        "2020-01-01T00:00:00.000000Z",
        today,
        Some(&signer),
    )?;
    assert_eq!((pruned.removed, pruned.base), (10, 10));
    let report = verify(store.as_mut(), Some(&key), &[])?;
    assert_eq!(report.problem, None);
    assert_eq!((report.records, report.pruned), (5, 10));
    // A record removed after the pruned prefix is still caught.
    let connection = rusqlite::Connection::open(directory.join("log.db"))?;
    connection.execute_batch("DROP TRIGGER records_never_deleted")?;
    connection.execute("DELETE FROM records WHERE sequence = 11", [])?;
    let report = verify(store.as_mut(), Some(&key), &[])?;
    assert!(matches!(
        report.problem,
        Some(Problem::Removed { first: 11, .. })
    ));
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn records_refuse_updates_and_deletes() -> TestResult {
    let directory = temp_dir("guard");
    let path = directory.join("log.db");
    let url = format!("sqlite:{}", path.display());
    write_log(&url, Signer::generate("test.example/records")?)?;
    let connection = rusqlite::Connection::open(&path)?;
    assert!(
        connection
            .execute("UPDATE records SET outcome = '{}' WHERE sequence = 1", [])
            .is_err()
    );
    assert!(
        connection
            .execute("DELETE FROM records WHERE sequence = 1", [])
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn bad_urls_and_missing_logs_are_named() {
    let message = |url: &str| open(url, Create::No).err().map(|e| e.to_string());
    assert!(message("mysql://x").is_some_and(|m| m.contains("neither")));
    assert!(message("sqlite:").is_some_and(|m| m.contains("names no file")));
    assert!(message("sqlite:/nonexistent/log.db").is_some_and(|m| m.contains("does not exist")));
    let directory = temp_dir("missing");
    let path = directory.join("other.db");
    let created = rusqlite::Connection::open(&path)
        .and_then(|connection| connection.execute_batch("CREATE TABLE other (x)"));
    assert!(created.is_ok());
    let url = format!("sqlite:{}", path.display());
    assert!(message(&url).is_some_and(|m| m.contains("holds no decision records")));
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn replay_groups_changes_and_attributes_them_to_rules() -> TestResult {
    let directory = temp_dir("replay");
    let url = format!("sqlite:{}", directory.join("log.db").display());
    let policy = cordon_engine::Policy::load(std::path::Path::new("../policies/ear"))?;
    let facts = include_str!("../../examples/h100-to-india.json");
    let appender = Appender::start(open(&url, Create::Yes)?, Options::default())?;
    for number in 0..3 {
        let text = facts.replace("PO-2025-0042", &format!("PO-{number}"));
        let decision =
            cordon_engine::decide_text(&policy, None, &text, cordon_engine::Detail::Trace)?;
        appender.append(Entry::of_decision(
            &decision,
            text.as_bytes(),
            cordon_records::now(),
        ))?;
    }
    appender.close()?;
    let mut store = open(&url, Create::No)?;
    let replay =
        cordon_records::replay::replay(store.as_mut(), &policy, "2025-01-13", &Window::default())?;
    assert_eq!(replay.records, 3);
    let [recorded] = replay.recorded.as_slice() else {
        return Err("one recorded version expected".into());
    };
    assert_eq!(recorded.version, "2025-05-13");
    let corpus = recorded.corpus.as_ref().ok_or("no comparison")?;
    assert_eq!(corpus.changed, 3);
    let group = &corpus.groups[0];
    assert!(
        group
            .changes
            .iter()
            .any(|change| change.to_string() == "license_required: false -> true"),
        "{:?}",
        group.changes
    );
    // Numbered by sequence number, attributed to the rules that decide only under 2025-01-13.
    let numbers: Vec<usize> = group.transactions.iter().map(|t| t.line).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    assert!(!group.fired_only_in_to.is_empty());
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn a_checkpoint_kept_elsewhere_catches_a_tail_removed_with_its_traces() -> TestResult {
    let directory = temp_dir("kept");
    let path = directory.join("log.db");
    let url = format!("sqlite:{}", path.display());
    let signer = Signer::generate("test.example/records")?;
    let key = signer.verifier();
    write_log(&url, signer)?;
    let (_, kept) = open(&url, Create::No)?
        .checkpoints()?
        .pop()
        .ok_or("no checkpoint")?;
    // The last records removed, and the head and the checkpoints made to agree.
    let connection = rusqlite::Connection::open(&path)?;
    connection.execute_batch(
        "DROP TRIGGER records_never_deleted;
         DELETE FROM records WHERE sequence > 15;
         DELETE FROM checkpoints WHERE size > 15;
         DELETE FROM head;",
    )?;
    let alone = verify(open(&url, Create::No)?.as_mut(), Some(&key), &[])?;
    assert_eq!(alone.problem, None, "the log alone cannot tell");
    let kept = [("checkpoint file `kept`".to_string(), kept)];
    let report = verify(open(&url, Create::No)?.as_mut(), Some(&key), &kept)?;
    assert!(
        matches!(
            report.problem,
            Some(Problem::Removed {
                first: 16,
                last: 20,
                ..
            })
        ),
        "{:?}",
        report.problem
    );
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

/// Polls a future to its end on this thread (a service would `.await` it on its runtime).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => return output,
            std::task::Poll::Pending => std::thread::park(),
        }
    }
}

#[test]
fn an_async_caller_awaits_its_record() -> TestResult {
    let directory = temp_dir("async");
    let url = format!("sqlite:{}", directory.join("log.db").display());
    let appender = Appender::start(open(&url, Create::Yes)?, Options::default())?;
    let first = appender.submit(entry(1, &cordon_records::now()));
    let second = appender.submit(entry(2, &cordon_records::now()));
    assert_eq!(block_on(first)?, 1);
    assert_eq!(block_on(second)?, 2);
    appender.close()?;
    // After close nothing more is taken: the caller is told, and nothing is answered as recorded.
    let late = block_on(appender.submit(entry(3, &cordon_records::now())));
    assert!(late.is_err());
    assert_eq!(open(&url, Create::No)?.head()?.size, 2);
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}

#[test]
fn a_correction_must_name_an_earlier_record() -> TestResult {
    let directory = temp_dir("correction");
    let url = format!("sqlite:{}", directory.join("log.db").display());
    let appender = Appender::start(open(&url, Create::Yes)?, Options::default())?;
    appender.append(entry(1, &cordon_records::now()))?;
    let mut correction = entry(2, &cordon_records::now());
    correction.corrects = Some(1);
    appender.append(correction)?;
    let mut forward = entry(3, &cordon_records::now());
    forward.corrects = Some(7);
    appender.append(forward)?;
    appender.close()?;
    let report = verify(open(&url, Create::No)?.as_mut(), None, &[])?;
    assert_eq!(
        report.problem,
        Some(Problem::Correction {
            sequence: 3,
            corrects: 7
        })
    );
    assert_eq!(report.records, 2, "records 1 and 2 verify");
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}
