//! Reproducible random invoice graphs, for benchmarks and tests (never for real runs): the same
//! [`Spec`] gives the same invoices, from a seeded SplitMix64 generator and no other randomness.

use super::problem::Invoice;
use crate::amount::Amount;

/// How debtors and creditors are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every member equally likely.
    Uniform,
    /// A few hubs: member `i` of `n` is drawn as `n·x³` for uniform `x`, so the busiest 1% take
    /// part in about a fifth of all invoices.
    HeavyTailed,
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Members, at least 2.
    pub nodes: u32,
    /// Invoices.
    pub invoices: usize,
    /// How members are drawn.
    pub shape: Shape,
    /// The generator's seed.
    pub seed: u64,
}

/// Median invoice amount, in minor units (250.00 at scale 2).
const AMOUNT_MEDIAN: f64 = 25_000.0;

/// Standard deviation of the amount's natural logarithm.
const AMOUNT_LOG_SIGMA: f64 = 1.5;

/// Invoices between distinct members with lognormal amounts (at least one minor unit, at most
/// 10^12), in the order drawn.
pub fn invoices(spec: Spec) -> Vec<Invoice> {
    assert!(spec.nodes >= 2, "an invoice needs two members");
    let mut rng = SplitMix64(spec.seed);
    let draw = |rng: &mut SplitMix64| match spec.shape {
        Shape::Uniform => (rng.unit() * f64::from(spec.nodes)) as u32,
        Shape::HeavyTailed => (rng.unit().powi(3) * f64::from(spec.nodes)) as u32,
    };
    (0..spec.invoices)
        .map(|_| {
            let debtor = draw(&mut rng).min(spec.nodes - 1);
            let creditor = loop {
                let creditor = draw(&mut rng).min(spec.nodes - 1);
                if creditor != debtor {
                    break creditor;
                }
            };
            // Box–Muller: a standard normal from two uniforms.
            let radius = (-2.0 * (1.0 - rng.unit()).ln()).sqrt();
            let normal = radius * (std::f64::consts::TAU * rng.unit()).cos();
            let minor = (AMOUNT_MEDIAN * (AMOUNT_LOG_SIGMA * normal).exp()).round().clamp(1.0, 1e12) as i64;
            Invoice { debtor, creditor, amount: Amount::from_minor(minor).expect("1..=10^12 is a valid amount") }
        })
        .collect()
}

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and good enough for test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
}
