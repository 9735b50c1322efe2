//! Evaluation speed on the EAR policy: one decision with the trace off and on, and batch throughput
//! for `.jsonl` input end to end (read, validate, evaluate, write), on all cores, the way
//! `cordon eval` does it: lines read straight into fact slots, one workspace per thread, each
//! piece of lines written into one buffer.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

use cordon_engine::{Detail, Policy, Workspace, decide_text_in, decide_with, eval, facts};

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
        b.iter(|| black_box(decide_with(version, black_box(&json), Detail::Trace)))
    });
    c.bench_function("decide from JSON value (trace and why-not)", |b| {
        b.iter(|| black_box(decide_with(version, black_box(&json), Detail::Explain)))
    });
    let text = example();
    let mut workspace = Workspace::default();
    c.bench_function(
        "decide from JSON text and write the line (trace off)",
        |b| {
            b.iter(|| {
                let mut out = Vec::new();
                match decide_text_in(&policy, None, black_box(&text), false, &mut workspace) {
                    Ok(decision) => decision.write_json_line(&mut out),
                    Err(error) => panic!("{error}"),
                }
                black_box(out)
            })
        },
    );
}

fn batch_throughput(c: &mut Criterion) {
    let policy = policy();
    let text = batch(20_000).join("\n");
    let mut group = c.benchmark_group("jsonl batch, end to end");
    group.throughput(Throughput::Elements(20_000));
    group.sample_size(10);
    for (name, detail) in [("trace off", Detail::Outcome), ("trace on", Detail::Trace)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let lines: Vec<&str> = text.lines().collect();
                let out: Vec<Vec<u8>> = lines
                    .par_chunks(64)
                    .map_init(Workspace::default, |workspace, lines| {
                        let mut out = Vec::new();
                        for line in lines {
                            match decide_text_in(&policy, None, line, detail, workspace) {
                                Ok(decision) => decision.write_json_line(&mut out),
                                Err(error) => out.extend_from_slice(
                                    serde_json::json!({ "error": error }).to_string().as_bytes(),
                                ),
                            }
                        }
                        out
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
