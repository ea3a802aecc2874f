//! Quantities of work (hours, days, sessions...) as exact thousandths, never floats.

use std::fmt;

use crate::amount::{Amount, AmountError, Scale};
use crate::canonical::{DecodeError, Decoder, Encoder};

/// Decimal places of a quantity and of a weight: `2.5` hours is 2500 thousandths.
pub const THOUSANDTHS_PLACES: u32 = 3;

/// One whole unit of work, in thousandths: the quantity a cap per unit of work applies to.
pub const ONE_UNIT: u64 = 1_000;

/// Why a quantity string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity {0:?} is not a plain decimal number with at most 3 decimals, such as 2.5")]
    Malformed(String),
    #[error("quantity {0:?} must be greater than zero")]
    Zero(String),
    #[error("quantity {text:?} is more than the largest allowed quantity, {max}", max = Quantity::MAX.format())]
    TooLarge { text: String },
}

/// A positive quantity of work, in thousandths, at most [`Quantity::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(u64);

impl Quantity {
    /// The largest quantity one declaration may carry: a million units. It bounds the points of
    /// a declaration, so allocation arithmetic in `i128` cannot overflow.
    pub const MAX: Quantity = Quantity(1_000_000 * ONE_UNIT);

    /// A quantity of `thousandths`, if within 1..=MAX.
    pub fn from_thousandths(thousandths: u64) -> Option<Self> {
        (1..=Self::MAX.0).contains(&thousandths).then_some(Self(thousandths))
    }

    /// Parses a plain decimal (`"2"`, `"2.5"`, `"0.125"`): no sign, no exponent, at most three
    /// significant decimals, more than zero, at most [`Quantity::MAX`].
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let thousandths = parse_thousandths(text).map_err(|error| match error {
            AmountError::TooLarge(_) => QuantityError::TooLarge { text: text.to_owned() },
            _ => QuantityError::Malformed(text.to_owned()),
        })?;
        if thousandths == 0 {
            return Err(QuantityError::Zero(text.to_owned()));
        }
        Self::from_thousandths(thousandths).ok_or_else(|| QuantityError::TooLarge { text: text.to_owned() })
    }

    /// Thousandths.
    pub fn thousandths(self) -> u64 {
        self.0
    }

    /// Formats with exactly three decimals: `"2.500"`, which [`Quantity::parse`] reads back.
    pub fn format(self) -> String {
        format_thousandths(self.0)
    }

    /// Appends the canonical encoding: the thousandths as `u64`.
    pub fn encode(self, out: &mut Encoder) {
        out.u64(self.0);
    }

    /// Reads what [`Quantity::encode`] wrote, refusing zero and anything above the maximum.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let thousandths = d.u64()?;
        Self::from_thousandths(thousandths)
            .ok_or_else(|| DecodeError(format!("quantity of {thousandths} thousandths out of range")))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

/// Parses a non-negative decimal with at most three significant decimals into thousandths, with
/// the strictness of [`Amount::parse`] (no sign, no exponent, no stray characters).
pub(super) fn parse_thousandths(text: &str) -> Result<u64, AmountError> {
    let amount = Amount::parse(text, thousandths_scale())?;
    Ok(amount.minor().unsigned_abs())
}

/// Formats thousandths with exactly three decimals.
pub(super) fn format_thousandths(thousandths: u64) -> String {
    Amount::from_minor(thousandths as i64)
        .expect("quantities and weights are far below the largest amount")
        .format(thousandths_scale())
}

fn thousandths_scale() -> Scale {
    Scale::new(THOUSANDTHS_PLACES).expect("3 decimal places is a valid scale")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_thousandths() {
        assert_eq!(Quantity::parse("2.5").unwrap().thousandths(), 2500);
        assert_eq!(Quantity::parse("2").unwrap().thousandths(), 2000);
        assert_eq!(Quantity::parse("0.001").unwrap().thousandths(), 1);
        assert_eq!(Quantity::parse("1.2500").unwrap().thousandths(), 1250);
        assert_eq!(Quantity::parse("1000000").unwrap(), Quantity::MAX);
        assert_eq!(Quantity::parse("2.5").unwrap().format(), "2.500");
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["-1", "1e3", "", "1.", ".5", "1.2345", "abc", "+2", "2,5"] {
            assert!(matches!(Quantity::parse(bad), Err(QuantityError::Malformed(_))), "{bad:?}");
        }
        assert!(matches!(Quantity::parse("0"), Err(QuantityError::Zero(_))));
        assert!(matches!(Quantity::parse("0.000"), Err(QuantityError::Zero(_))));
        assert!(matches!(Quantity::parse("1000000.001"), Err(QuantityError::TooLarge { .. })));
        assert!(matches!(Quantity::parse("99999999999999999999"), Err(QuantityError::TooLarge { .. })));
    }
}
