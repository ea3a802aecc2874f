//! Calendar dates (`YYYY-MM-DD`), for an invoice's due date. A due date is a day in the
//! parties' calendar, not an instant, so it carries no time zone and is never compared with an
//! entry's timestamp: it orders invoices (the oldest due is set off first) and informs people.

use std::fmt;

/// A valid day of the proleptic Gregorian calendar, years 1 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text is not a date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date YYYY-MM-DD")]
pub struct DateError(pub String);

impl Date {
    /// Parses `YYYY-MM-DD` exactly (four, two and two digits), checking the day exists.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let bad = || DateError(text.chars().take(40).collect());
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            let part = &text[range];
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month as u8).into() {
            return Err(bad());
        }
        Ok(Self { year, month: month as u8, day: day as u8 })
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_days_in_the_one_format() {
        for good in ["2026-11-30", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"] {
            assert_eq!(Date::parse(good).unwrap().to_string(), good);
        }
        for bad in ["2026-02-29", "1900-02-29", "2026-13-01", "2026-04-31", "0000-01-01", "2026-1-01", "26-11-30"] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        for bad in ["2026/11/30", "2026-11-3x", "+026-11-30", "2026-11-30T00", ""] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2026-01-31").unwrap() < Date::parse("2026-02-01").unwrap());
    }
}
