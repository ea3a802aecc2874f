//! The canonical bytes of a rule, so a command that proposes or adopts it signs every term.
//!
//! # Layout (version 1)
//!
//! ```text
//! effective from            u32 year, u8 month
//! pool share                u32 basis points
//! pool fixed                Option<amount>
//! reserve share             u32 basis points
//! weights                   u32 count, then per category in ascending order: text, u32 thousandths
//! cap per unit of work      Option<amount>
//! cap per contributor       Option<amount>
//! minimum payout            Option<amount>
//! ```
//!
//! Categories must come strictly ascending, and the decoded terms must pass [`Rule::new`], so one
//! rule has exactly one encoding and no invalid rule decodes.

use std::collections::BTreeMap;

use crate::canonical::{DecodeError, Decoder, Encoder};

use super::basis_points::BasisPoints;
use super::codec::{amount, amount_into, invalid};
use super::names::Category;
use super::period::Period;
use super::rule::{CATEGORIES_MAX, Rule, RuleTerms};
use super::weight::Weight;

/// The domain tag of a rule encoded on its own (as opposed to inside a command).
pub const RULE_DOMAIN: &[u8] = b"commons-ledger/rule/v1\0";

impl Rule {
    /// Appends the rule's canonical encoding (see the module documentation).
    pub fn encode(&self, out: &mut Encoder) {
        let terms = self.terms();
        terms.effective_from.encode(out);
        terms.pool_share.encode(out);
        out.option(terms.pool_fixed, amount_into);
        terms.reserve_share.encode(out);
        let count = u32::try_from(terms.weights.len()).expect("a rule has at most CATEGORIES_MAX weights");
        out.u32(count);
        for (category, weight) in &terms.weights {
            out.text(category.as_str());
            weight.encode(out);
        }
        out.option(terms.cap_per_unit, amount_into);
        out.option(terms.cap_per_contributor, amount_into);
        out.option(terms.minimum_payout, amount_into);
    }

    /// Reads what [`Rule::encode`] wrote and checks it like any proposed rule.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let effective_from = Period::decode(d)?;
        let pool_share = BasisPoints::decode(d)?;
        let pool_fixed = d.option(amount)?;
        let reserve_share = BasisPoints::decode(d)?;
        let count = d.u32()? as usize;
        if count > CATEGORIES_MAX {
            return Err(DecodeError(format!("{count} weights, more than {CATEGORIES_MAX}")));
        }
        let mut weights = BTreeMap::new();
        for _ in 0..count {
            let category = Category::parse(d.text()?).map_err(invalid)?;
            let weight = Weight::decode(d)?;
            if weights.last_key_value().is_some_and(|(last, _)| *last >= category) {
                return Err(DecodeError(format!("category {category} out of order")));
            }
            weights.insert(category, weight);
        }
        let terms = RuleTerms {
            effective_from,
            pool_share,
            pool_fixed,
            reserve_share,
            weights,
            cap_per_unit: d.option(amount)?,
            cap_per_contributor: d.option(amount)?,
            minimum_payout: d.option(amount)?,
        };
        Rule::new(terms).map_err(invalid)
    }

    /// The rule on its own, behind [`RULE_DOMAIN`]: for hashing or storing a rule by itself.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Encoder::with_domain(RULE_DOMAIN);
        self.encode(&mut out);
        out.finish()
    }

    /// Reads [`Rule::to_canonical_bytes`], refusing trailing bytes.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut d = Decoder::with_domain(bytes, RULE_DOMAIN)?;
        let rule = Self::decode(&mut d)?;
        d.finish()?;
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;

    fn rule() -> Rule {
        Rule::new(RuleTerms {
            effective_from: Period::parse("2026-04").unwrap(),
            pool_share: BasisPoints::new(2_500).unwrap(),
            pool_fixed: Amount::from_minor(10_000),
            reserve_share: BasisPoints::new(1_000).unwrap(),
            weights: BTreeMap::from([
                (Category::parse("care").unwrap(), Weight::parse("1.5").unwrap()),
                (Category::parse("admin").unwrap(), Weight::parse("1").unwrap()),
            ]),
            cap_per_unit: Amount::from_minor(2_000),
            cap_per_contributor: None,
            minimum_payout: Amount::from_minor(500),
        })
        .unwrap()
    }

    #[test]
    fn round_trips_and_refuses_trailing_bytes() {
        let bytes = rule().to_canonical_bytes();
        assert_eq!(Rule::from_canonical_bytes(&bytes), Ok(rule()));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Rule::from_canonical_bytes(&longer).is_err());
        assert!(Rule::from_canonical_bytes(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn refuses_categories_out_of_order() {
        let bytes = rule().to_canonical_bytes();
        // "admin" (5 bytes) comes first; swap the two category entries by hand.
        let admin = [&5_u32.to_be_bytes()[..], b"admin", &1_000_u32.to_be_bytes()].concat();
        let care = [&4_u32.to_be_bytes()[..], b"care", &1_500_u32.to_be_bytes()].concat();
        let at = bytes.windows(admin.len()).position(|w| w == admin.as_slice()).unwrap();
        let mut swapped = bytes[..at].to_vec();
        swapped.extend_from_slice(&care);
        swapped.extend_from_slice(&admin);
        swapped.extend_from_slice(&bytes[at + admin.len() + care.len()..]);
        let error = Rule::from_canonical_bytes(&swapped).unwrap_err();
        assert!(error.0.contains("out of order"), "{error}");
    }

    #[test]
    fn refuses_an_invalid_rule() {
        let mut bytes = rule().to_canonical_bytes();
        // The reserve share follows the pool share (u32) and the fixed amount (1 + 8 bytes).
        let reserve_at = RULE_DOMAIN.len() + 5 + 4 + 9;
        bytes[reserve_at..reserve_at + 4].copy_from_slice(&9_000_u32.to_be_bytes());
        let error = Rule::from_canonical_bytes(&bytes).unwrap_err();
        assert!(error.0.contains("add up to more than 100%"), "{error}");
    }
}
