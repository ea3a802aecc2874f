//! The clearing solver on reproducible synthetic invoice graphs (debtors and creditors drawn
//! uniformly or heavy-tailed, amounts lognormal in cents): 1,000 members / 10,000 invoices and
//! 10,000 / 100,000. `solve` is the whole solver (merging, components, min-cost flow, handing
//! back); `check` is the certificate a caller runs before applying.
//!
//! `cargo bench -p ledger-core --bench clearing`; the 1,000,000-invoice size is measured by the
//! `clearing_scale` example instead (one run takes seconds). Figures in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ledger_core::clearing::synthetic::{self, Shape, Spec};
use ledger_core::clearing::{Problem, check, solve};

/// (members, invoices) per size.
const SIZES: [(u32, usize); 2] = [(1_000, 10_000), (10_000, 100_000)];

fn clearing(c: &mut Criterion) {
    let mut group = c.benchmark_group("clearing");
    for (nodes, invoices) in SIZES {
        for (shape, name) in [(Shape::Uniform, "uniform"), (Shape::HeavyTailed, "heavy")] {
            let spec = Spec { nodes, invoices, shape, seed: 7 };
            let problem = Problem::new(nodes, synthetic::invoices(spec)).expect("synthetic invoices are valid");
            let solution = solve(&problem);
            group.throughput(Throughput::Elements(invoices as u64));
            group.bench_with_input(BenchmarkId::new(format!("solve_{name}"), invoices), &problem, |b, problem| {
                b.iter(|| solve(black_box(problem)))
            });
            group.bench_with_input(BenchmarkId::new(format!("check_{name}"), invoices), &problem, |b, problem| {
                b.iter(|| check(black_box(problem), black_box(&solution)).expect("the certificate holds"))
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = clearing
}
criterion_main!(benches);
