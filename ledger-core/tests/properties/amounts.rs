//! Property 4: amounts format and parse back exactly at every scale, balances format to text
//! whose magnitude parses back, and `Amount::parse` accepts exactly the plain decimals a
//! reference reader accepts: no signs, exponents, extra decimals or other characters.

use ledger_core::amount::{AMOUNT_MAX, AMOUNT_TEXT_LEN_MAX, Amount, AmountError, BALANCE_MAX, Scale, format_minor};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{amount, scale};

fn any_scale() -> impl Strategy<Value = Scale> {
    (0..=u32::from(Scale::MAX)).prop_map(scale)
}

/// Minor units across the whole range, with the small, the round and the extreme favoured.
fn minor() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(AMOUNT_MAX),
        1..=1_000_i64,
        (0..=15_u32).prop_map(|p| 10_i64.pow(p)),
        (0..=15_u32).prop_map(|p| 10_i64.pow(p) - 1),
        0..=AMOUNT_MAX,
    ]
}

/// What a reference reader makes of `text` at `places`: minor units, or the kind of refusal.
/// Written from the documented rules with `u128` arithmetic on the digits.
fn reference(text: &str, places: u8) -> Result<i64, &'static str> {
    if text.is_empty() {
        return Err("empty");
    }
    if text.len() > AMOUNT_TEXT_LEN_MAX {
        return Err("too large");
    }
    let (whole, fraction) = match text.find('.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err("malformed");
    }
    let significant = fraction.unwrap_or("").trim_end_matches('0');
    if significant.len() > usize::from(places) {
        return Err("too many decimals");
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return Err("too large");
    }
    let whole: u128 = whole.parse().unwrap_or(0);
    let padded = format!("{significant:0<width$}", width = usize::from(places));
    let fraction: u128 = padded.parse().unwrap_or(0);
    let minor = whole * 10_u128.pow(u32::from(places)) + fraction;
    if minor > AMOUNT_MAX as u128 {
        return Err("too large");
    }
    Ok(minor as i64)
}

fn kind(error: &AmountError) -> &'static str {
    match error {
        AmountError::Empty => "empty",
        AmountError::Malformed(_) => "malformed",
        AmountError::TooManyDecimals { .. } => "too many decimals",
        AmountError::TooLarge(_) => "too large",
        AmountError::NotPositive(_) => "not positive",
        AmountError::ScaleOutOfRange(_) => "scale out of range",
    }
}

/// Texts near the accepted language: digit strings with optional decimals, leading zeros, and
/// a sprinkling of signs, exponents, spaces, separators and non-ASCII digits.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9]{1,22}(\\.[0-9]{0,9})?",
        2 => "0{0,30}[0-9]{1,10}(\\.[0-9]{1,6}0{0,30})?",
        2 => "[0-9.]{0,12}",
        2 => "[-+]?[0-9]{0,4}(\\.[0-9]{0,4})?([eE][-+]?[0-9]{1,3})?",
        1 => "[0-9 _,.a-zA-Z٠-٩１]{0,10}",
        1 => "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn formatting_then_parsing_returns_the_same_amount(scale in any_scale(), minor in minor()) {
        let text = amount(minor).format(scale);
        prop_assert_eq!(Amount::parse(&text, scale).map(Amount::minor), Ok(minor), "{}", text);
        // Always exactly `scale` decimals, and no sign.
        let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(decimals, usize::from(scale.places()), "{}", text);
        prop_assert!(text.chars().all(|c| c.is_ascii_digit() || c == '.'), "{}", text);
        prop_assert_eq!(amount(minor).to_decimal(scale).to_string(), text);
        prop_assert_eq!(Amount::parse_positive(&amount(minor).format(scale), scale).is_ok(), minor > 0);
    }

    #[test]
    fn a_formatted_balance_parses_back_to_its_magnitude(
        scale in any_scale(),
        balance in prop_oneof![
            minor().prop_map(|m| -m),
            minor(),
            -BALANCE_MAX..=BALANCE_MAX,
            Just(-BALANCE_MAX),
            Just(BALANCE_MAX),
        ],
    ) {
        let text = format_minor(i128::from(balance), scale);
        let magnitude = text.strip_prefix('-').unwrap_or(&text);
        prop_assert_eq!(text.starts_with('-'), balance < 0, "{}", text);
        let parsed = Amount::parse(magnitude, scale);
        if balance.unsigned_abs() <= AMOUNT_MAX as u64 {
            prop_assert_eq!(parsed.map(Amount::minor), Ok(balance.abs()), "{}", text);
        } else {
            prop_assert!(matches!(parsed, Err(AmountError::TooLarge(_))), "{} gave {:?}", text, parsed);
        }
        if balance < 0 {
            prop_assert!(Amount::parse(&text, scale).is_err(), "negative {} parsed", text);
        }
    }

    #[test]
    fn parse_accepts_exactly_what_a_reference_reader_accepts(
        text in amount_text(),
        scale in any_scale(),
    ) {
        let expected = reference(&text, scale.places());
        let actual = Amount::parse(&text, scale);
        prop_assert_eq!(actual.as_ref().map(|a| a.minor()).map_err(kind), expected, "{:?}", text);
    }

    #[test]
    fn signs_exponents_extra_decimals_and_other_characters_are_refused(
        scale in any_scale(),
        minor in minor(),
        sign in prop_oneof![Just("-"), Just("+")],
        exponent in "[eE][-+]?[0-9]{1,2}",
        digit in 1..=9_u8,
        at in any::<Index>(),
        stray in any::<char>().prop_filter("not a digit or a dot", |c| !c.is_ascii_digit() && *c != '.'),
    ) {
        let text = amount(minor).format(scale);
        let signed = format!("{sign}{text}");
        prop_assert!(Amount::parse(&signed, scale).is_err(), "{}", signed);
        let with_exponent = format!("{text}{exponent}");
        prop_assert!(Amount::parse(&with_exponent, scale).is_err(), "{}", with_exponent);
        // One more significant decimal than the scale allows.
        let extra = if scale.places() == 0 {
            format!("{text}.{digit}")
        } else {
            format!("{text}{digit}")
        };
        prop_assert!(
            matches!(Amount::parse(&extra, scale), Err(AmountError::TooManyDecimals { .. })),
            "{} at scale {}", extra, scale
        );
        let mut with_stray = text.clone();
        with_stray.insert(at.index(text.len() + 1), stray);
        prop_assert!(Amount::parse(&with_stray, scale).is_err(), "{:?}", with_stray);
    }
}
