//! The chamber's allocation on reproducible synthetic periods: 1,000 contributors sharing a pool
//! over 10,000 and 100,000 ([`DECLARATIONS_MAX`]) validated declarations in four categories, with
//! every limit of a rule set (cap per unit of work, per contributor, minimum payout).
//!
//! `cargo bench -p ledger-core --bench chamber`. Figures in BENCHMARKS.md.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ledger_core::amount::Amount;
use ledger_core::chamber::{
    AllocationInput, BasisPoints, Category, CommonsName, DECLARATIONS_MAX, Declaration, DeclarationStatus, Note,
    Period, Quantity, Rule, RuleTerms, Weight, allocate,
};
use ledger_core::names::{DeclarationId, Handle};
use uuid::Uuid;

const CONTRIBUTORS: usize = 1_000;
const CATEGORIES: [&str; 4] = ["care", "code", "garden", "repair"];

/// A small linear congruential generator: the same declarations on every run and machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

fn declarations(count: usize, period: Period) -> Vec<Declaration> {
    let mut random = Lcg(7);
    let contributors: Vec<Handle> =
        (0..CONTRIBUTORS).map(|n| Handle::parse(&format!("member-{n}")).expect("valid handle")).collect();
    let categories: Vec<Category> = CATEGORIES.iter().map(|c| Category::parse(c).expect("valid category")).collect();
    let commons = CommonsName::parse("garden").expect("valid name");
    (0..count)
        .map(|n| Declaration {
            // Ids in no particular order, as UUIDs v4 would be.
            id: DeclarationId::from_uuid(Uuid::from_u128(
                (n as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
            )),
            contributor: contributors[random.next(CONTRIBUTORS as u64) as usize].clone(),
            commons: commons.clone(),
            category: categories[random.next(CATEGORIES.len() as u64) as usize].clone(),
            quantity: Quantity::from_thousandths(1 + random.next(20_000)).expect("positive and bounded"),
            period,
            note: Note::default(),
            status: DeclarationStatus::Validated,
            paid_by: None,
        })
        .collect()
}

fn rule(period: Period) -> Rule {
    let weights = CATEGORIES
        .iter()
        .zip(["1.5", "1", "1", "1.25"])
        .map(|(c, w)| (Category::parse(c).expect("valid"), Weight::parse(w).expect("valid")))
        .collect();
    Rule::new(RuleTerms {
        effective_from: period,
        pool_share: BasisPoints::new(5_000).expect("valid"),
        pool_fixed: Amount::from_minor(1_000_000),
        reserve_share: BasisPoints::new(1_000).expect("valid"),
        weights,
        cap_per_unit: Amount::from_minor(2_500),
        cap_per_contributor: Amount::from_minor(150_000),
        minimum_payout: Amount::from_minor(500),
    })
    .expect("a valid rule")
}

fn chamber(c: &mut Criterion) {
    let period = Period::parse("2026-03").expect("valid period");
    let rule = rule(period);
    let (already_paid, ceiling_room) = (BTreeSet::new(), BTreeMap::new());
    let mut group = c.benchmark_group("chamber");
    for count in [10_000, DECLARATIONS_MAX] {
        let declarations = declarations(count, period);
        let input = AllocationInput {
            period,
            fund_balance: 100_000_000,
            rule: &rule,
            declarations: &declarations,
            already_paid: &already_paid,
            ceiling_room: &ceiling_room,
        };
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("allocate", count), &input, |b, input| {
            b.iter(|| allocate(black_box(input)).expect("a valid input"))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = chamber
}
criterion_main!(benches);
