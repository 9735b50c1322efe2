//! `cordon diff --exhaustive` on the EAR versions: the regions where two consecutive versions
//! decide differently, found over every transaction (the target: under 2 seconds a pair).

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use cordon_engine::Policy;
use cordon_engine::diff::regions;

fn exhaustive(c: &mut Criterion) {
    let policy = Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/ear"))
        .unwrap_or_else(|error| panic!("{error}"));
    let mut group = c.benchmark_group("diff --exhaustive");
    group.sample_size(10);
    for (from, to) in [
        ("2023-11-17", "2024-04-04"),
        ("2024-04-04", "2024-12-02"),
        ("2024-12-02", "2025-01-13"),
        ("2025-01-13", "2025-05-13"),
        ("2025-05-13", "2026-01-15"),
    ] {
        let (from, to) = match (policy.pinned(from), policy.pinned(to)) {
            (Ok(from), Ok(to)) => (from, to),
            _ => panic!("the EAR versions load"),
        };
        group.bench_function(format!("{} -> {}", from.id, to.id), |b| {
            b.iter(|| regions::exhaustive(from, to));
        });
    }
    group.finish();
}

criterion_group!(benches, exhaustive);
criterion_main!(benches);
