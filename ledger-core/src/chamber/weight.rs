//! Weights: how much a rule values one unit of work in a category, as exact thousandths.

use std::fmt;

use crate::amount::AmountError;
use crate::canonical::{DecodeError, Decoder, Encoder};

use super::quantity::{format_thousandths, parse_thousandths};

/// Why a weight was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    #[error("weight {0:?} is not a plain decimal number with at most 3 decimals, such as 1.5")]
    Malformed(String),
    #[error("weight {0:?} must be greater than zero (leave the category out to pay nothing for it)")]
    Zero(String),
    #[error("weight {0:?} is more than the largest allowed weight, 1000")]
    TooLarge(String),
}

/// A positive weight in thousandths, at most [`Weight::MAX`]: work in a category of weight 2
/// earns twice the points of the same quantity in a category of weight 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Weight(u32);

impl Weight {
    /// The largest weight, 1000.000: with [`super::Quantity::MAX`] it bounds a declaration's
    /// points to 10^15, so sums and products stay far inside `i128`.
    pub const MAX: Weight = Weight(1_000_000);

    /// A weight of `thousandths`, if within 1..=MAX.
    pub fn from_thousandths(thousandths: u32) -> Option<Self> {
        (1..=Self::MAX.0).contains(&thousandths).then_some(Self(thousandths))
    }

    /// Parses a plain decimal (`"1"`, `"1.5"`): no sign, no exponent, at most three significant
    /// decimals, more than zero, at most 1000.
    pub fn parse(text: &str) -> Result<Self, WeightError> {
        let thousandths = parse_thousandths(text).map_err(|error| match error {
            AmountError::TooLarge(_) => WeightError::TooLarge(text.to_owned()),
            _ => WeightError::Malformed(text.to_owned()),
        })?;
        if thousandths == 0 {
            return Err(WeightError::Zero(text.to_owned()));
        }
        u32::try_from(thousandths)
            .ok()
            .and_then(Self::from_thousandths)
            .ok_or_else(|| WeightError::TooLarge(text.to_owned()))
    }

    /// Thousandths.
    pub fn thousandths(self) -> u32 {
        self.0
    }

    /// Formats with exactly three decimals: `"1.500"`.
    pub fn format(self) -> String {
        format_thousandths(u64::from(self.0))
    }

    /// Appends the canonical encoding: the thousandths as `u32`.
    pub fn encode(self, out: &mut Encoder) {
        out.u32(self.0);
    }

    /// Reads what [`Weight::encode`] wrote, refusing zero and anything above the maximum.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let thousandths = d.u32()?;
        Self::from_thousandths(thousandths)
            .ok_or_else(|| DecodeError(format!("weight of {thousandths} thousandths out of range")))
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(Weight::parse("1.5").unwrap().thousandths(), 1500);
        assert_eq!(Weight::parse("1000").unwrap(), Weight::MAX);
        assert_eq!(Weight::parse("2").unwrap().format(), "2.000");
        assert!(matches!(Weight::parse("0"), Err(WeightError::Zero(_))));
        assert!(matches!(Weight::parse("1000.001"), Err(WeightError::TooLarge(_))));
        for bad in ["-1", "1e2", "0.0001", ""] {
            assert!(matches!(Weight::parse(bad), Err(WeightError::Malformed(_))), "{bad:?}");
        }
    }
}
