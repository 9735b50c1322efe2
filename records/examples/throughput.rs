//! Recorded decisions per second, in one run: the EAR policy deciding a batch of varied
//! transactions on many client threads (as a service's requests would), without records, with
//! durable SQLite records, and with PostgreSQL records (one group-commit connection shared by the
//! clients, and one connection per client). Each client decides one transaction, hands its record
//! to the appender and waits until it is durable before taking the next.
//!
//! `cargo run --release -p cordon-records --example throughput -- [--clients N] [--seconds S]
//! [--connections C] [--postgres URL]` (the PostgreSQL rows need `--postgres` or
//! `CORDON_TEST_POSTGRES`; the last row uses C connections, 64 unless told).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cordon_engine::{Detail, Policy, Workspace, decide_text_in};
use cordon_records::{Appender, Create, Entry, Options, open};

/// Where each client hands its records.
#[derive(Clone)]
enum Sink {
    None,
    Shared(Arc<Appender>),
    /// Several appenders (one connection each), client `i` using appender `i % count`.
    PerClient(Arc<Vec<Appender>>),
}

fn batch(lines: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/h100-to-india.json"),
    )?;
    let line = serde_json::from_str::<serde_json::Value>(&example)?.to_string();
    let countries = ["IN", "CN", "FR", "VN", "AE", "SG", "DE", "US"];
    Ok((0..lines)
        .map(|index| {
            line.replace("PO-2025-0042", &format!("PO-{index}"))
                .replace(
                    "\"IN\"",
                    &format!("\"{}\"", countries[index % countries.len()]),
                )
                .replace(
                    "\"quantity\":1000",
                    &format!("\"quantity\":{}", 1 + index % 2000),
                )
        })
        .collect())
}

/// Decisions per second over `seconds` with `clients` threads.
fn run(
    policy: &Policy,
    lines: &[String],
    clients: usize,
    seconds: f64,
    sink: &Sink,
) -> Result<f64, String> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                let (next, done, sink) = (&next, &done, sink.clone());
                scope.spawn(move || -> Result<(), String> {
                    let mut workspace = Workspace::default();
                    while start.elapsed() < limit {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(line) = lines.get(index % lines.len()) else {
                            break;
                        };
                        let received = cordon_records::now();
                        let decision =
                            decide_text_in(policy, None, line, Detail::Trace, &mut workspace)
                                .map_err(|error| error.to_string())?;
                        let entry = || Entry::of_decision(&decision, line.as_bytes(), received);
                        match &sink {
                            Sink::None => {
                                std::hint::black_box(&decision);
                            }
                            Sink::Shared(appender) => {
                                appender.append(entry()).map_err(|e| e.to_string())?;
                            }
                            Sink::PerClient(appenders) => {
                                let appender = appenders
                                    .get(client % appenders.len().max(1))
                                    .ok_or("no connection")?;
                                appender.append(entry()).map_err(|e| e.to_string())?;
                            }
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| "a client panicked".to_string())??;
        }
        Ok::<(), String>(())
    })?;
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

/// The appender's transactions and their mean size.
fn batches(appender: &Appender) {
    let (transactions, records) = appender.committed();
    println!(
        "  {transactions} transactions, {:.1} records each",
        records as f64 / transactions.max(1) as f64
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().collect();
    let option = |name: &str| {
        arguments
            .iter()
            .position(|argument| argument == name)
            .and_then(|at| arguments.get(at + 1).cloned())
    };
    let clients: usize = option("--clients").map_or(Ok(64), |n| n.parse())?;
    let seconds: f64 = option("--seconds").map_or(Ok(5.0), |n| n.parse())?;
    let connections: usize = option("--connections").map_or(Ok(64), |n| n.parse())?;
    let postgres = option("--postgres").or_else(|| std::env::var("CORDON_TEST_POSTGRES").ok());
    let policy = Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/ear"))?;
    let lines = batch(20_000)?;
    let directory = std::env::temp_dir().join(format!("cordon-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;
    println!(
        "{} cores, {clients} clients, {seconds} s a row",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let rate = run(&policy, &lines, clients, seconds, &Sink::None)?;
    println!("no records                                  {rate:>9.0} decisions/s");

    let url = format!("sqlite:{}", directory.join("records.db").display());
    let appender = Arc::new(Appender::start(
        open(&url, Create::Yes)?,
        Options::default(),
    )?);
    let rate = run(
        &policy,
        &lines,
        clients,
        seconds,
        &Sink::Shared(Arc::clone(&appender)),
    )?;
    appender.close()?;
    println!("SQLite (WAL, synchronous=FULL)              {rate:>9.0} recorded decisions/s");
    batches(&appender);
    let report = cordon_records::verify::verify(open(&url, Create::No)?.as_mut(), None, &[])?;
    println!("  verify: {} records, {:?}", report.records, report.problem);

    if let Some(base) = postgres {
        let schema = format!("throughput_{}", std::process::id());
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)?;
        admin.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        let appender = Arc::new(Appender::start(
            open(&url, Create::Yes)?,
            Options::default(),
        )?);
        let rate = run(
            &policy,
            &lines,
            clients,
            seconds,
            &Sink::Shared(Arc::clone(&appender)),
        )?;
        appender.close()?;
        println!("PostgreSQL, 1 group-commit connection       {rate:>9.0} recorded decisions/s");
        batches(&appender);
        let appenders = (0..connections.clamp(1, clients))
            .map(|_| Appender::start(open(&url, Create::Yes)?, Options::default()))
            .collect::<Result<Vec<_>, _>>()?;
        let appenders = Arc::new(appenders);
        let rate = run(
            &policy,
            &lines,
            clients,
            seconds,
            &Sink::PerClient(Arc::clone(&appenders)),
        )?;
        for appender in appenders.iter() {
            appender.close()?;
        }
        println!(
            "PostgreSQL, {connections} connections               {rate:>9.0} recorded decisions/s"
        );
        let report = cordon_records::verify::verify(open(&url, Create::No)?.as_mut(), None, &[])?;
        println!("  verify: {} records, {:?}", report.records, report.problem);
        admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    } else {
        println!("PostgreSQL: skipped (give --postgres URL or set CORDON_TEST_POSTGRES)");
    }
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}
