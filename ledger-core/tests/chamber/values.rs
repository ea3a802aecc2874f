//! The chamber's values read back what they write, as text and as canonical bytes, and the levy is exactly the rate rounded down.

use ledger_core::amount::AMOUNT_MAX;
use ledger_core::canonical::{Decoder, Encoder};
use ledger_core::chamber::{BasisPoints, Period, Quantity, Weight, levy};
use proptest::prelude::*;

use crate::support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn a_quantity_reads_back_what_it_writes(thousandths in 1..=Quantity::MAX.thousandths()) {
        let quantity = Quantity::from_thousandths(thousandths).expect("within range");
        prop_assert_eq!(Quantity::parse(&quantity.format()), Ok(quantity));
        let weight = Weight::from_thousandths((thousandths % u64::from(Weight::MAX.thousandths()) + 1) as u32).expect("within range");
        prop_assert_eq!(Weight::parse(&weight.format()), Ok(weight));
        let mut out = Encoder::default();
        quantity.encode(&mut out);
        weight.encode(&mut out);
        let bytes = out.finish();
        let mut d = Decoder::with_domain(&bytes, b"").expect("no domain");
        prop_assert_eq!(Quantity::decode(&mut d), Ok(quantity));
        prop_assert_eq!(Weight::decode(&mut d), Ok(weight));
        prop_assert!(d.finish().is_ok());
    }

    #[test]
    fn a_period_reads_back_and_its_next_is_the_following_month(year in 1000..=9999_u32, month in 1..=12_u32) {
        let period = Period::new(year, month).expect("within range");
        prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
        let mut out = Encoder::default();
        period.encode(&mut out);
        let bytes = out.finish();
        prop_assert_eq!(Period::decode(&mut Decoder::with_domain(&bytes, b"").expect("no domain")), Ok(period));
        if let Some(next) = period.next() {
            prop_assert!(next > period);
            prop_assert_eq!((next.year() * 12 + next.month()) - (period.year() * 12 + period.month()), 1);
            // Text order is time order, so stored periods sort correctly as text.
            prop_assert!(next.to_string() > period.to_string());
        }
    }

    /// The levy is the largest amount not above `received × rate`: never more than the rate,
    /// and less by under one minor unit.
    #[test]
    fn the_levy_is_the_rate_rounded_down(received in prop_oneof![0..=1_000_i64, 0..=AMOUNT_MAX], points in 0..=10_000_u32) {
        let rate = BasisPoints::new(points).expect("within range");
        let levied = i128::from(levy(amount(received), rate).minor());
        let exact = i128::from(received) * i128::from(points);
        prop_assert!(levied * 10_000 <= exact && exact < (levied + 1) * 10_000);
        prop_assert!(levied <= i128::from(received));
    }

    #[test]
    fn a_percentage_reads_back_as_its_basis_points(points in 0..=10_000_u32) {
        let text = format!("{}.{:02}", points / 100, points % 100);
        prop_assert_eq!(BasisPoints::parse_percent(&text).map(BasisPoints::points), Ok(points));
        prop_assert_eq!(BasisPoints::new(points).expect("within range").to_string(), format!("{text}%"));
    }
}
