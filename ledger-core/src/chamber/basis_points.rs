//! Rates in basis points (hundredths of a percent): levies, pool shares, reserve shares.

use std::fmt;

use crate::amount::{Amount, Scale};
use crate::canonical::{DecodeError, Decoder, Encoder};

/// Why a rate was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("rate of {0} basis points is more than 10000 (100%)")]
    OutOfRange(u32),
    #[error("percentage {0:?} is not a plain decimal between 0 and 100 with at most 2 decimals")]
    MalformedPercent(String),
}

/// A rate of 0..=10000 basis points: 250 is 2.5 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BasisPoints(u16);

impl BasisPoints {
    /// 0 %.
    pub const ZERO: BasisPoints = BasisPoints(0);
    /// 100 %: the whole.
    pub const WHOLE: BasisPoints = BasisPoints(10_000);

    /// A rate of `points` basis points, if at most 10000.
    pub fn new(points: u32) -> Result<Self, RateError> {
        if points > u32::from(Self::WHOLE.0) {
            return Err(RateError::OutOfRange(points));
        }
        Ok(Self(points as u16))
    }

    /// Parses a percentage as people write it (`"2.5"` is 250 basis points): no sign, no
    /// exponent, at most two decimals, at most 100.
    pub fn parse_percent(text: &str) -> Result<Self, RateError> {
        let malformed = || RateError::MalformedPercent(text.to_owned());
        let scale = Scale::new(2).expect("2 decimal places is a valid scale");
        let hundredths = Amount::parse(text, scale).map_err(|_| malformed())?.minor();
        u32::try_from(hundredths).ok().and_then(|points| Self::new(points).ok()).ok_or_else(malformed)
    }

    /// Basis points.
    pub fn points(self) -> u32 {
        u32::from(self.0)
    }

    /// Whether this is 0 %.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Appends the canonical encoding: the basis points as `u32`.
    pub fn encode(self, out: &mut Encoder) {
        out.u32(self.points());
    }

    /// Reads what [`BasisPoints::encode`] wrote, refusing more than 10000.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        Self::new(d.u32()?).map_err(|error| DecodeError(error.to_string()))
    }

    /// `minor × rate` for a non-negative `minor`, rounded down, in `i128` so no amount or
    /// balance can overflow it.
    pub fn of_rounded_down(self, minor: i64) -> i128 {
        debug_assert!(minor >= 0, "rates apply to amounts and balances that are not negative");
        i128::from(minor) * i128::from(self.0) / i128::from(Self::WHOLE.0)
    }

    /// `minor × rate` for a non-negative `minor`, rounded up.
    pub fn of_rounded_up(self, minor: i64) -> i128 {
        debug_assert!(minor >= 0, "rates apply to amounts and balances that are not negative");
        let whole = i128::from(Self::WHOLE.0);
        (i128::from(minor) * i128::from(self.0) + whole - 1).div_euclid(whole)
    }
}

impl fmt::Display for BasisPoints {
    /// As a percentage with two decimals: `2.50%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(BasisPoints::parse_percent("2.5").unwrap().points(), 250);
        assert_eq!(BasisPoints::parse_percent("100").unwrap(), BasisPoints::WHOLE);
        assert_eq!(BasisPoints::parse_percent("0").unwrap(), BasisPoints::ZERO);
        for bad in ["100.01", "-1", "1e2", "2.555", "", "50%"] {
            assert!(BasisPoints::parse_percent(bad).is_err(), "{bad:?}");
        }
        assert_eq!(BasisPoints::new(10_001), Err(RateError::OutOfRange(10_001)));
        assert_eq!(BasisPoints::new(250).unwrap().to_string(), "2.50%");
        let third = BasisPoints::new(3333).unwrap();
        assert_eq!(third.of_rounded_down(100), 33);
        assert_eq!(third.of_rounded_up(100), 34);
        assert_eq!(BasisPoints::new(5000).unwrap().of_rounded_up(100), 50);
    }
}
