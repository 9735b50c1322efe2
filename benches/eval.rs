//! Evaluation speed on the EAR policy: one decision with the trace off and on, and batch throughput
//! for `.jsonl` input end to end (read, validate, evaluate, write), on all cores.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

use cordon_engine::{Policy, decide_text, decide_with, eval, facts};

fn policy() -> Policy {
    Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/ear"))
        .unwrap_or_else(|error| panic!("{error}"))
}

fn example() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/h100-to-india.json"),
    )
    .unwrap_or_default()
    .replace('\n', " ")
}

/// A batch of varied transactions: countries, quantities, dates and kinds change from line to line.
pub fn batch(lines: usize) -> Vec<String> {
    let base = example();
    let countries = [
        "IN", "CN", "FR", "VN", "AE", "SG", "HK", "MO", "DE", "PL", "US", "IL",
    ];
    let dates = [
        "2024-06-01",
        "2025-06-01",
        "2025-12-01",
        "2026-03-01",
        "2028-01-10",
    ];
    (0..lines)
        .map(|index| {
            base.replace(
                "\"destination\": \"IN\"",
                &format!(
                    "\"destination\": \"{}\"",
                    countries[index % countries.len()]
                ),
            )
            .replace(
                "\"date\": \"2025-06-01\"",
                &format!("\"date\": \"{}\"", dates[index % dates.len()]),
            )
            .replace(
                "\"quantity\": 1000",
                &format!("\"quantity\": {}", 1 + index % 2000),
            )
            .replace(
                "\"tpp\": 15832",
                &format!("\"tpp\": {}", 1000 + (index * 37) % 20000),
            )
        })
        .collect()
}

fn single_decision(c: &mut Criterion) {
    let policy = policy();
    let version = policy
        .pinned("2025-01-13")
        .unwrap_or_else(|error| panic!("{error}"));
    let json: serde_json::Value = serde_json::from_str(&example()).unwrap_or_default();
    let read = facts::read(&version.program, &json).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut scratch = eval::Scratch::default();
    c.bench_function("evaluate (trace off, facts read)", |b| {
        b.iter(|| {
            eval::run(&version.program, black_box(&read), &mut scratch)
                .unwrap_or_else(|error| panic!("{error}"));
            black_box(&scratch.applied);
        })
    });
    c.bench_function("decide from JSON value (trace off)", |b| {
        b.iter(|| black_box(decide_with(version, black_box(&json), false)))
    });
    c.bench_function("decide from JSON value (trace on)", |b| {
        b.iter(|| black_box(decide_with(version, black_box(&json), true)))
    });
}

fn batch_throughput(c: &mut Criterion) {
    let policy = policy();
    let lines = batch(20_000);
    let mut group = c.benchmark_group("jsonl batch, end to end");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.sample_size(10);
    for (name, explain) in [("trace off", false), ("trace on", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out: Vec<String> = lines
                    .par_iter()
                    .map(|line| match decide_text(&policy, None, line, explain) {
                        Ok(decision) => decision.to_json_line(),
                        Err(error) => serde_json::json!({ "error": error }).to_string(),
                    })
                    .collect();
                black_box(out)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_decision, batch_throughput);
criterion_main!(benches);
