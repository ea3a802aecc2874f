//! A remuneration rule as a TOML file, read into the core `Rule` with exact decimals.
//!
//! ```toml
//! unit = "COMMUN"              # the unit whose commons fund the rule distributes
//! effective_from = "2026-11"   # the first period it applies to
//! pool_share = "50"            # percent of the fund's balance put in the pool
//! pool_fixed = "100.00"        # optional: a fixed amount added to the pool
//! reserve_share = "10"         # percent of the fund's balance never distributed
//! cap_per_unit = "20.00"       # optional: the most one unit of work earns
//! cap_per_contributor = "500"  # optional: the most one contributor receives
//! minimum_payout = "5.00"      # optional: below it a contributor receives nothing
//!
//! [weights]                    # what one unit of work earns in each category, relatively
//! gardening = "1"
//! care = "1.5"
//! ```
//!
//! Numbers are exact: write decimals as strings ("12.5") or whole numbers as integers (50);
//! a TOML float (12.5) is refused, since it is binary and may not be what was written. Unknown
//! keys are refused, so a misspelt optional term is never silently ignored. Every error names
//! the key at fault.

use std::collections::BTreeMap;

use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{BasisPoints, Category, Period, Rule, RuleTerms, Weight};
use ledger_core::names::UnitCode;

/// The largest rule file read, in bytes: a rule holds at most 64 weights.
pub const RULE_FILE_BYTES_MAX: u64 = 64 * 1024;

const KEYS: [&str; 9] = [
    "unit",
    "effective_from",
    "pool_share",
    "pool_fixed",
    "reserve_share",
    "cap_per_unit",
    "cap_per_contributor",
    "minimum_payout",
    "weights",
];

/// A rule file read, its amounts still text: they are parsed at the unit's scale, which only
/// the server knows.
#[derive(Debug)]
pub struct RuleFile {
    /// The unit whose fund the rule distributes.
    pub unit: UnitCode,
    effective_from: Period,
    pool_share: BasisPoints,
    pool_fixed: Option<String>,
    reserve_share: BasisPoints,
    weights: BTreeMap<Category, Weight>,
    cap_per_unit: Option<String>,
    cap_per_contributor: Option<String>,
    minimum_payout: Option<String>,
}

/// Reads the file's text; the error names the key at fault.
pub fn parse(text: &str) -> Result<RuleFile, String> {
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| format!("not valid TOML: {error}"))?;
    if let Some(unknown) = table.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(format!("unknown key {unknown:?}; the keys are {}", KEYS.join(", ")));
    }
    let unit = UnitCode::parse(&required(&table, "unit")?).map_err(|error| format!("unit: {error}"))?;
    let effective_from =
        Period::parse(&required(&table, "effective_from")?).map_err(|error| format!("effective_from: {error}"))?;
    let percent = |key: &str| -> Result<BasisPoints, String> {
        let text = optional(&table, key)?.unwrap_or_else(|| "0".to_owned());
        BasisPoints::parse_percent(&text).map_err(|error| format!("{key}: {error}"))
    };
    let weights_table = match table.get("weights") {
        Some(toml::Value::Table(weights)) => weights.clone(),
        Some(_) => return Err("weights: a table of category = \"weight\", such as [weights] gardening = \"1\"".into()),
        None => return Err("weights: missing; a rule weighs at least one category".into()),
    };
    let mut weights = BTreeMap::new();
    for (name, value) in &weights_table {
        let key = format!("weights.{name}");
        let category = Category::parse(name).map_err(|error| format!("{key}: {error}"))?;
        let text = exact(&key, value)?;
        weights.insert(category, Weight::parse(&text).map_err(|error| format!("{key}: {error}"))?);
    }
    Ok(RuleFile {
        unit,
        effective_from,
        pool_share: percent("pool_share")?,
        pool_fixed: optional(&table, "pool_fixed")?,
        reserve_share: percent("reserve_share")?,
        weights,
        cap_per_unit: optional(&table, "cap_per_unit")?,
        cap_per_contributor: optional(&table, "cap_per_contributor")?,
        minimum_payout: optional(&table, "minimum_payout")?,
    })
}

impl RuleFile {
    /// The rule, its amounts read at `scale` and its terms checked together.
    pub fn rule(&self, scale: Scale) -> Result<Rule, String> {
        let amount = |key: &str, text: &Option<String>| -> Result<Option<Amount>, String> {
            text.as_deref()
                .map(|text| Amount::parse(text, scale).map_err(|error| format!("{key}: {error}")))
                .transpose()
        };
        let terms = RuleTerms {
            effective_from: self.effective_from,
            pool_share: self.pool_share,
            pool_fixed: amount("pool_fixed", &self.pool_fixed)?,
            reserve_share: self.reserve_share,
            weights: self.weights.clone(),
            cap_per_unit: amount("cap_per_unit", &self.cap_per_unit)?,
            cap_per_contributor: amount("cap_per_contributor", &self.cap_per_contributor)?,
            minimum_payout: amount("minimum_payout", &self.minimum_payout)?,
        };
        Rule::new(terms).map_err(|error| format!("the rule is inconsistent: {error}"))
    }
}

fn required(table: &toml::Table, key: &str) -> Result<String, String> {
    optional(table, key)?.ok_or_else(|| format!("{key}: missing"))
}

fn optional(table: &toml::Table, key: &str) -> Result<Option<String>, String> {
    table.get(key).map(|value| exact(key, value)).transpose()
}

/// A value as exact text: a string as written, an integer in decimal; never a float.
fn exact(key: &str, value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(text) => Ok(text.clone()),
        toml::Value::Integer(number) => Ok(number.to_string()),
        toml::Value::Float(_) => Err(format!("{key}: write decimals as strings (\"12.5\"): a TOML float is not exact")),
        other => Err(format!("{key}: expected a string or a whole number, not a {}", other.type_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        unit = "COMMUN"
        effective_from = "2026-11"
        pool_share = "50"
        reserve_share = 10
        cap_per_unit = "20.00"
        [weights]
        gardening = "1"
        care = "1.5"
    "#;

    #[test]
    fn reads_a_rule_exactly() {
        let file = parse(GOOD).unwrap();
        let rule = file.rule(Scale::new(2).unwrap()).unwrap();
        assert_eq!(rule.terms().pool_share.points(), 5_000);
        assert_eq!(rule.terms().reserve_share.points(), 1_000);
        assert_eq!(rule.terms().cap_per_unit.map(Amount::minor), Some(2_000));
        assert_eq!(rule.weight(&Category::parse("care").unwrap()), Weight::parse("1.5").ok());
    }

    #[test]
    fn names_the_key_at_fault() {
        let cases = [
            (GOOD.replace("pool_share = \"50\"", "pool_share = 12.5"), "pool_share: write decimals as strings"),
            (GOOD.replace("cap_per_unit", "cap_per_unti"), "unknown key \"cap_per_unti\""),
            (GOOD.replace("\"2026-11\"", "\"2026-13\""), "effective_from:"),
            (GOOD.replace("care = \"1.5\"", "care = \"abc\""), "weights.care:"),
            (GOOD.replace("unit = \"COMMUN\"", ""), "unit: missing"),
            ("unit = ".to_owned(), "not valid TOML"),
        ];
        for (text, expected) in cases {
            let error = parse(&text).unwrap_err();
            assert!(error.contains(expected), "{expected:?} in {error:?}");
        }
        let file = parse(&GOOD.replace("\"20.00\"", "\"20.001\"")).unwrap();
        assert!(file.rule(Scale::new(2).unwrap()).unwrap_err().starts_with("cap_per_unit:"));
        let file = parse(&GOOD.replace("reserve_share = 10", "reserve_share = 60")).unwrap();
        assert!(file.rule(Scale::new(2).unwrap()).unwrap_err().contains("more than 100%"));
    }
}
