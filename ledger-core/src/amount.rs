//! Exact amounts: integer minor units of a unit, parsed from and formatted to decimal strings.
//!
//! Every amount that exists is valid for its unit's scale and bounded by [`AMOUNT_MAX`], and every
//! balance by [`BALANCE_MAX`], so balance arithmetic in `i64` cannot overflow and sums over all
//! accounts are done in `i128`.

use std::fmt;

use rust_decimal::Decimal;

/// The largest amount (transfer, limit, ceiling) in minor units: 10^15.
pub const AMOUNT_MAX: i64 = 1_000_000_000_000_000;

/// The largest absolute balance in minor units: 10^17, far below `i64::MAX` so that
/// `balance ± amount` never overflows before it is checked.
pub const BALANCE_MAX: i64 = 100_000_000_000_000_000;

/// The longest amount string accepted on the wire, so parsing work is bounded too.
pub const AMOUNT_TEXT_LEN_MAX: usize = 40;

/// Number of decimal places of a unit, 0..=6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scale(u8);

impl Scale {
    /// The largest scale a unit may have.
    pub const MAX: u8 = 6;

    /// A scale of `places` decimal places.
    pub fn new(places: u32) -> Result<Self, AmountError> {
        if places > u32::from(Self::MAX) {
            return Err(AmountError::ScaleOutOfRange(places));
        }
        Ok(Self(places as u8))
    }

    /// Decimal places.
    pub fn places(self) -> u8 {
        self.0
    }

    /// 10^places: how many minor units make one unit.
    pub fn factor(self) -> i64 {
        10_i64.pow(u32::from(self.0))
    }
}

/// Why an amount string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {0:?} is not a plain decimal number (digits with an optional '.' and decimals)")]
    Malformed(String),
    #[error("amount {text:?} has more decimals than the unit's scale of {scale}")]
    TooManyDecimals { text: String, scale: u8 },
    #[error("amount {0:?} must be greater than zero")]
    NotPositive(String),
    #[error("amount {0:?} is larger than the largest allowed amount")]
    TooLarge(String),
    #[error("scale {0} is out of range 0..=6")]
    ScaleOutOfRange(u32),
}

/// A non-negative amount in minor units of some unit, at most [`AMOUNT_MAX`].
///
/// Transfers need a positive amount ([`Amount::parse_positive`]); limits may be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Amount(i64);

impl Amount {
    /// Zero minor units.
    pub const ZERO: Amount = Amount(0);

    /// An amount of `minor` minor units, if within 0..=AMOUNT_MAX.
    pub fn from_minor(minor: i64) -> Option<Self> {
        (0..=AMOUNT_MAX).contains(&minor).then_some(Self(minor))
    }

    /// Minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses a plain decimal string (`"12"`, `"12.5"`, `"12.50"`) at `scale`: no sign, no
    /// exponent, no more decimals than the scale, at most [`AMOUNT_MAX`] minor units. Zero allowed.
    pub fn parse(text: &str, scale: Scale) -> Result<Self, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let malformed = || AmountError::Malformed(text.to_owned());
        if text.len() > AMOUNT_TEXT_LEN_MAX {
            return Err(AmountError::TooLarge(text.to_owned()));
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) {
            return Err(malformed());
        }
        let fraction = fraction.unwrap_or("");
        if text.ends_with('.') || !all_digits(fraction) {
            return Err(malformed());
        }
        // Trailing zeros beyond the scale carry no value ("1.500" at scale 2 is 1.50); anything
        // else beyond the scale would be silently rounded, so it is refused.
        let significant = fraction.trim_end_matches('0');
        if significant.len() > usize::from(scale.places()) {
            return Err(AmountError::TooManyDecimals { text: text.to_owned(), scale: scale.places() });
        }
        let too_large = || AmountError::TooLarge(text.to_owned());
        let whole = whole.trim_start_matches('0');
        if whole.len() > 18 {
            return Err(too_large());
        }
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let mut minor_fraction: i64 = 0;
        for place in 0..usize::from(scale.places()) {
            let digit = significant.as_bytes().get(place).map_or(0, |b| i64::from(b - b'0'));
            minor_fraction = minor_fraction * 10 + digit;
        }
        let minor =
            whole.checked_mul(scale.factor()).and_then(|w| w.checked_add(minor_fraction)).ok_or_else(too_large)?;
        Self::from_minor(minor).ok_or_else(too_large)
    }

    /// Like [`Amount::parse`], but zero is refused: the amount of a transfer.
    pub fn parse_positive(text: &str, scale: Scale) -> Result<Self, AmountError> {
        let amount = Self::parse(text, scale)?;
        if amount.is_zero() {
            return Err(AmountError::NotPositive(text.to_owned()));
        }
        Ok(amount)
    }

    /// Formats at `scale`, always with exactly `scale` decimals: `"30.00"`.
    pub fn format(self, scale: Scale) -> String {
        format_minor(i128::from(self.0), scale)
    }

    /// The exact decimal value at `scale`, for rule arithmetic.
    pub fn to_decimal(self, scale: Scale) -> Decimal {
        Decimal::new(self.0, u32::from(scale.places()))
    }
}

/// Parses a signed amount such as a posting or a balance (`"-30.00"`) at `scale` into minor
/// units; the magnitude follows the rules of [`Amount::parse`].
pub fn parse_signed_minor(text: &str, scale: Scale) -> Result<i64, AmountError> {
    match text.strip_prefix('-') {
        Some(magnitude) => Amount::parse(magnitude, scale).map(|amount| -amount.minor()),
        None => Amount::parse(text, scale).map(Amount::minor),
    }
}

/// Formats signed minor units (a balance, or a sum of balances) at `scale`: `"-30.00"`.
pub fn format_minor(minor: i128, scale: Scale) -> String {
    let factor = i128::from(scale.factor());
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    let whole = magnitude / factor as u128;
    if scale.places() == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = magnitude % factor as u128;
    let width = usize::from(scale.places());
    format!("{sign}{whole}.{fraction:0width$}")
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s2() -> Scale {
        Scale::new(2).unwrap()
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(Amount::parse("30", s2()).unwrap().minor(), 3000);
        assert_eq!(Amount::parse("12.5", s2()).unwrap().minor(), 1250);
        assert_eq!(Amount::parse("12.50", s2()).unwrap().minor(), 1250);
        assert_eq!(Amount::parse("0.01", s2()).unwrap().minor(), 1);
        assert_eq!(Amount::parse("1.500", s2()).unwrap().minor(), 150);
        assert_eq!(Amount::parse("007", Scale::new(0).unwrap()).unwrap().minor(), 7);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["1e3", "-5", "+5", "abc", "", ".5", "5.", "1.2.3", "NaN", " 5", "5 ", "1_000", "١"] {
            assert!(Amount::parse(bad, s2()).is_err(), "{bad:?} was accepted");
        }
        assert!(matches!(Amount::parse("12.345", s2()), Err(AmountError::TooManyDecimals { .. })));
        assert!(matches!(Amount::parse("99999999999999999999999", s2()), Err(AmountError::TooLarge(_))));
        assert!(matches!(Amount::parse("10000000000000.01", s2()), Err(AmountError::TooLarge(_))));
        assert!(matches!(Amount::parse_positive("0", s2()), Err(AmountError::NotPositive(_))));
        assert!(matches!(Amount::parse_positive("0.00", s2()), Err(AmountError::NotPositive(_))));
    }

    #[test]
    fn formats_at_scale() {
        assert_eq!(format_minor(-3000, s2()), "-30.00");
        assert_eq!(format_minor(5, s2()), "0.05");
        assert_eq!(format_minor(0, s2()), "0.00");
        assert_eq!(format_minor(-7, Scale::new(0).unwrap()), "-7");
        assert_eq!(parse_signed_minor("-30.00", s2()), Ok(-3000));
        assert_eq!(parse_signed_minor("0.05", s2()), Ok(5));
        assert!(parse_signed_minor("--5", s2()).is_err());
        assert_eq!(Amount::from_minor(AMOUNT_MAX).unwrap().format(Scale::new(6).unwrap()), "1000000000.000000");
    }
}
