//! Criterion: each engine decides the same 1,000 generated transactions, already in its own
//! input form, single-threaded, trace off (see `src/measure.rs` for the report's timing).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use peer_bench::baseline::Baseline;
use peer_bench::cedar::Cedar;
use peer_bench::cordon::{self, Cordon};
use peer_bench::generate;
use peer_bench::peer::{Case, Peer};
use peer_bench::rego::{Interpreter, Rvm};

const BATCH: usize = 1_000;

fn bench<'a, P: Peer<'a>>(c: &mut Criterion, peer: &mut P, cases: &'a [Case]) {
    let inputs: Vec<P::Input> = cases
        .iter()
        .map(|case| peer.prepare(case).unwrap_or_else(|error| panic!("{error}")))
        .collect();
    let mut group = c.benchmark_group("2025-01-13 decision");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function(peer.name(), |b| {
        b.iter(|| {
            for input in &inputs {
                black_box(
                    peer.decide(black_box(input))
                        .unwrap_or_else(|error| panic!("{error}")),
                );
            }
        })
    });
    group.finish();
}

fn peers(c: &mut Criterion) {
    let policy = cordon::load().unwrap_or_else(|error| panic!("{error}"));
    let cases: Vec<Case> = generate::transactions(20250113, BATCH)
        .into_iter()
        .map(Case::new)
        .collect();
    cross_check(&policy, &cases);
    bench(
        c,
        &mut Cordon::new(&policy).unwrap_or_else(|error| panic!("{error}")),
        &cases,
    );
    bench(
        c,
        &mut Cordon::native(&policy).unwrap_or_else(|error| panic!("{error}")),
        &cases,
    );
    bench(c, &mut Baseline, &cases);
    bench(
        c,
        &mut Rvm::new().unwrap_or_else(|error| panic!("{error}")),
        &cases,
    );
    bench(
        c,
        &mut Interpreter::new().unwrap_or_else(|error| panic!("{error}")),
        &cases,
    );
    bench(
        c,
        &mut Cedar::new().unwrap_or_else(|error| panic!("{error}")),
        &cases,
    );
}

/// The engines agree before anything is timed.
fn cross_check(policy: &cordon_engine::Policy, cases: &[Case]) {
    peer_bench::crosscheck::cross_check(policy, cases).unwrap_or_else(|error| panic!("{error}"));
}

criterion_group!(benches, peers);
criterion_main!(benches);
