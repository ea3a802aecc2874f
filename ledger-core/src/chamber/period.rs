//! Periods: the calendar month a declaration, a contribution or a distribution belongs to.

use std::fmt;
use std::str::FromStr;

use crate::canonical::{DecodeError, Decoder, Encoder};

/// Why a period string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("period {0:?} is not a month written YYYY-MM, such as 2026-03")]
    Malformed(String),
    #[error("period {text:?} has month {month}, outside 01..=12")]
    MonthOutOfRange { text: String, month: u32 },
    #[error("period {text:?} has year {year}, outside {min}..={max}", min = Period::YEAR_MIN, max = Period::YEAR_MAX)]
    YearOutOfRange { text: String, year: u32 },
}

/// A calendar month, `YYYY-MM`. Periods are ordered in time, so a rule effective from one period
/// is in force for every later one until a newer rule takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    // Field order is the order in time: the derived `Ord` compares the year first.
    year: u16,
    month: u8,
}

impl Period {
    /// The earliest year: always four digits, so the text form sorts like the period.
    pub const YEAR_MIN: u32 = 1000;
    /// The latest year.
    pub const YEAR_MAX: u32 = 9999;

    /// The month `month` (1..=12) of `year`.
    pub fn new(year: u32, month: u32) -> Result<Self, PeriodError> {
        let text = format!("{year:04}-{month:02}");
        Self::checked(year, month, text)
    }

    fn checked(year: u32, month: u32, text: String) -> Result<Self, PeriodError> {
        if !(Self::YEAR_MIN..=Self::YEAR_MAX).contains(&year) {
            return Err(PeriodError::YearOutOfRange { text, year });
        }
        if !(1..=12).contains(&month) {
            return Err(PeriodError::MonthOutOfRange { text, month });
        }
        Ok(Self { year: year as u16, month: month as u8 })
    }

    /// Parses exactly `YYYY-MM`: four digits, a hyphen, two digits; nothing else.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let malformed = || PeriodError::Malformed(text.to_owned());
        let bytes = text.as_bytes();
        let shaped =
            bytes.len() == 7 && bytes[4] == b'-' && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit);
        if !shaped {
            return Err(malformed());
        }
        let year: u32 = text[..4].parse().map_err(|_| malformed())?;
        let month: u32 = text[5..].parse().map_err(|_| malformed())?;
        Self::checked(year, month, text.to_owned())
    }

    /// The year.
    pub fn year(self) -> u32 {
        u32::from(self.year)
    }

    /// The month, 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The following month, or `None` after December 9999.
    pub fn next(self) -> Option<Self> {
        if self.month == 12 {
            Self::new(self.year() + 1, 1).ok()
        } else {
            Self::new(self.year(), self.month() + 1).ok()
        }
    }

    /// The calendar month (UTC) of an instant in milliseconds since the Unix epoch: the period an
    /// entry stamped then belongs to. `None` outside years 1000 to 9999.
    pub fn of_timestamp_ms(timestamp_ms: i64) -> Option<Self> {
        // Days to civil date, after Howard Hinnant's `civil_from_days` (proleptic Gregorian).
        let days = timestamp_ms.div_euclid(86_400_000) + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self::new(u32::try_from(year).ok()?, u32::try_from(month).ok()?).ok()
    }

    /// Appends the canonical encoding: the year as `u32`, then the month as one byte.
    pub fn encode(self, out: &mut Encoder) {
        out.u32(self.year()).u8(self.month);
    }

    /// Reads what [`Period::encode`] wrote, refusing an invalid month or year.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let year = d.u32()?;
        let month = u32::from(d.u8()?);
        Self::new(year, month).map_err(|error| DecodeError(error.to_string()))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_orders() {
        let march = Period::parse("2026-03").unwrap();
        assert_eq!((march.year(), march.month()), (2026, 3));
        assert_eq!(march.to_string(), "2026-03");
        assert!(Period::parse("2025-12").unwrap() < march);
        assert!(march < Period::parse("2026-10").unwrap());
        assert_eq!(Period::parse("2025-12").unwrap().next(), Some(Period::parse("2026-01").unwrap()));
        assert_eq!(march.next().unwrap().to_string(), "2026-04");
        assert_eq!(Period::parse("9999-12").unwrap().next(), None);
    }

    #[test]
    fn the_period_of_an_instant_is_its_utc_month() {
        let of = |ms| Period::of_timestamp_ms(ms).map(|p| p.to_string());
        assert_eq!(of(0).as_deref(), Some("1970-01"));
        // 2026-02-28T23:59:59.999Z, then midnight on 1 March.
        assert_eq!(of(1_772_323_199_999).as_deref(), Some("2026-02"));
        assert_eq!(of(1_772_323_200_000).as_deref(), Some("2026-03"));
        // 2024-02-29T12:00:00Z, a leap day; 1999-12-31T23:59:59.999Z.
        assert_eq!(of(1_709_208_000_000).as_deref(), Some("2024-02"));
        assert_eq!(of(946_684_799_999).as_deref(), Some("1999-12"));
        assert_eq!(of(-1).as_deref(), Some("1969-12"));
        assert_eq!(of(i64::MAX), None);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["2026-3", "2026/03", "26-03", "2026-03-01", "", "２０２６-03", "2026-+3", " 2026-03", "2026-0a"]
        {
            assert!(matches!(Period::parse(bad), Err(PeriodError::Malformed(_))), "{bad:?}");
        }
        assert!(matches!(Period::parse("2026-13"), Err(PeriodError::MonthOutOfRange { month: 13, .. })));
        assert!(matches!(Period::parse("2026-00"), Err(PeriodError::MonthOutOfRange { month: 0, .. })));
        assert!(matches!(Period::parse("0999-01"), Err(PeriodError::YearOutOfRange { year: 999, .. })));
    }
}
