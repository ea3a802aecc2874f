//! The levy a business owes the commons fund on a payment it receives.
//!
//! # Rounding
//!
//! The levy is `amount × rate`, **rounded down** to the unit's minor unit. A business is
//! therefore never charged more than its agreed rate on any payment, and the fund never receives
//! a minor unit nobody owes it. The price is that a payment too small to carry one minor unit of
//! levy carries none: at 1 %, 0.99 carries 0.00 and 1.00 carries 0.01. Levying each payment
//! (rather than a period's total) keeps the levy in the same journal entry as the payment.

use crate::amount::Amount;

use super::basis_points::BasisPoints;

/// The levy on `received` at `rate`, rounded down (see the module documentation). Never more
/// than `received`.
pub fn levy(received: Amount, rate: BasisPoints) -> Amount {
    let minor = rate.of_rounded_down(received.minor());
    let minor = i64::try_from(minor).expect("a share of at most 100% of an amount fits in i64");
    Amount::from_minor(minor).expect("a share of at most 100% of an amount is an amount")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(points: u32) -> BasisPoints {
        BasisPoints::new(points).unwrap()
    }

    fn minor(minor: i64) -> Amount {
        Amount::from_minor(minor).unwrap()
    }

    #[test]
    fn rounds_down_at_the_boundary() {
        // 1 % of 0.99 is 0.0099: below one minor unit, so nothing.
        assert_eq!(levy(minor(99), rate(100)), Amount::ZERO);
        // 1 % of 1.00 is exactly 0.01.
        assert_eq!(levy(minor(100), rate(100)), minor(1));
        // 1 % of 1.99 is 0.0199: one minor unit, never two.
        assert_eq!(levy(minor(199), rate(100)), minor(1));
        // 2.5 % of 40.00 is exactly 1.00.
        assert_eq!(levy(minor(4000), rate(250)), minor(100));
        // 3.33 % of 10.00 is 0.333: 0.33.
        assert_eq!(levy(minor(1000), rate(333)), minor(33));
    }

    #[test]
    fn bounds() {
        assert_eq!(levy(minor(12_345), BasisPoints::ZERO), Amount::ZERO);
        assert_eq!(levy(minor(12_345), BasisPoints::WHOLE), minor(12_345));
        let max = Amount::from_minor(crate::amount::AMOUNT_MAX).unwrap();
        assert_eq!(levy(max, BasisPoints::WHOLE), max);
        assert_eq!(levy(max, rate(1)).minor(), crate::amount::AMOUNT_MAX / 10_000);
    }
}
