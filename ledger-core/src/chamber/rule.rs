//! Remuneration rules: how one period's pool is taken from the commons fund and shared among the
//! validated work, adopted by a quorum and in force from a period on.

use std::collections::BTreeMap;

use crate::amount::Amount;

use super::basis_points::BasisPoints;
use super::names::Category;
use super::period::Period;
use super::weight::Weight;

/// The most categories one rule may weigh.
pub const CATEGORIES_MAX: usize = 64;

/// A rule as proposed, not yet checked: what the CLI reads from a file and the wire carries.
/// [`Rule::new`] turns it into a rule or says precisely what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTerms {
    /// The first period the rule applies to.
    pub effective_from: Period,
    /// The share of the fund's balance put in the pool each period.
    pub pool_share: BasisPoints,
    /// A fixed amount added to the pool each period, as long as the fund holds it.
    pub pool_fixed: Option<Amount>,
    /// The share of the fund's balance that is never distributed (rounded up).
    pub reserve_share: BasisPoints,
    /// What one unit of work earns in each category, relative to the others. Work in a category
    /// not listed earns nothing under this rule.
    pub weights: BTreeMap<Category, Weight>,
    /// The most one unit (1.000) of declared work may earn.
    pub cap_per_unit: Option<Amount>,
    /// The most one contributor may receive in one distribution.
    pub cap_per_contributor: Option<Amount>,
    /// A contributor whose payout would be below this receives nothing; it stays in the fund.
    pub minimum_payout: Option<Amount>,
}

/// Why rule terms were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule weighs no category, so no work could ever be paid")]
    NoWeights,
    #[error("the rule weighs {0} categories, more than the {CATEGORIES_MAX} allowed")]
    TooManyWeights(usize),
    #[error("the rule's pool is always empty: set a pool share above 0% or a fixed amount")]
    NoPool,
    #[error("the fixed pool amount is zero: leave it out instead")]
    ZeroPoolFixed,
    #[error("the pool share ({share}) and the reserve share ({reserve}) add up to more than 100%")]
    ShareAndReserveAboveWhole { share: BasisPoints, reserve: BasisPoints },
    #[error("the reserve share is 100%, so nothing could ever be distributed")]
    ReserveKeepsEverything,
    #[error("the {0} is zero, so nothing could ever be paid: leave it out instead")]
    ZeroCap(&'static str),
    #[error(
        "the minimum payout ({minimum} minor units) is above the cap per contributor ({cap}), so nobody could ever be paid"
    )]
    MinimumAboveCap { minimum: i64, cap: i64 },
}

/// A valid remuneration rule: every [`RuleTerms`] field checked, once.
///
/// Guarantees: at least one and at most [`CATEGORIES_MAX`] weights; a pool that is not always
/// empty; pool share + reserve share ≤ 100 %; reserve share < 100 %; caps and minimum, when set,
/// above zero; minimum payout ≤ cap per contributor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule(RuleTerms);

impl Rule {
    /// Checks `terms`.
    pub fn new(terms: RuleTerms) -> Result<Self, RuleError> {
        if terms.weights.is_empty() {
            return Err(RuleError::NoWeights);
        }
        if terms.weights.len() > CATEGORIES_MAX {
            return Err(RuleError::TooManyWeights(terms.weights.len()));
        }
        if terms.pool_fixed.is_some_and(Amount::is_zero) {
            return Err(RuleError::ZeroPoolFixed);
        }
        if terms.pool_share.is_zero() && terms.pool_fixed.is_none() {
            return Err(RuleError::NoPool);
        }
        if terms.reserve_share == BasisPoints::WHOLE {
            return Err(RuleError::ReserveKeepsEverything);
        }
        if terms.pool_share.points() + terms.reserve_share.points() > BasisPoints::WHOLE.points() {
            return Err(RuleError::ShareAndReserveAboveWhole { share: terms.pool_share, reserve: terms.reserve_share });
        }
        for (cap, what) in [
            (terms.cap_per_unit, "cap per unit of work"),
            (terms.cap_per_contributor, "cap per contributor"),
            (terms.minimum_payout, "minimum payout"),
        ] {
            if cap.is_some_and(Amount::is_zero) {
                return Err(RuleError::ZeroCap(what));
            }
        }
        if let (Some(minimum), Some(cap)) = (terms.minimum_payout, terms.cap_per_contributor)
            && minimum > cap
        {
            return Err(RuleError::MinimumAboveCap { minimum: minimum.minor(), cap: cap.minor() });
        }
        Ok(Self(terms))
    }

    /// The checked terms.
    pub fn terms(&self) -> &RuleTerms {
        &self.0
    }

    /// The first period the rule applies to.
    pub fn effective_from(&self) -> Period {
        self.0.effective_from
    }

    /// The weight of `category`, or `None` if the rule pays nothing for it.
    pub fn weight(&self, category: &Category) -> Option<Weight> {
        self.0.weights.get(category).copied()
    }
}

/// The rule in force for `period` among the rules `adopted`, given in the order they were
/// adopted: the one with the latest `effective_from` not after `period`, and of several effective
/// from that same period, the last adopted (a new version replaces the one it corrects). `None`
/// before the first rule takes effect.
pub fn rule_in_force(adopted: &[Rule], period: Period) -> Option<&Rule> {
    adopted
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.effective_from() <= period)
        .max_by_key(|(order, rule)| (rule.effective_from(), *order))
        .map(|(_, rule)| rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> RuleTerms {
        RuleTerms {
            effective_from: Period::parse("2026-01").unwrap(),
            pool_share: BasisPoints::new(5_000).unwrap(),
            pool_fixed: None,
            reserve_share: BasisPoints::new(1_000).unwrap(),
            weights: BTreeMap::from([(Category::parse("gardening").unwrap(), Weight::parse("1").unwrap())]),
            cap_per_unit: None,
            cap_per_contributor: None,
            minimum_payout: None,
        }
    }

    fn minor(minor: i64) -> Option<Amount> {
        Amount::from_minor(minor)
    }

    #[test]
    fn accepts_a_sound_rule() {
        let rule = Rule::new(terms()).unwrap();
        assert_eq!(rule.weight(&Category::parse("gardening").unwrap()), Weight::parse("1").ok());
        assert_eq!(rule.weight(&Category::parse("cooking").unwrap()), None);
        let full = RuleTerms {
            pool_fixed: minor(100),
            cap_per_unit: minor(2_000),
            cap_per_contributor: minor(10_000),
            minimum_payout: minor(10_000),
            ..terms()
        };
        assert!(Rule::new(full).is_ok());
    }

    #[test]
    fn the_latest_version_effective_by_the_period_is_in_force() {
        let from = |text: &str, share: u32| {
            Rule::new(RuleTerms {
                effective_from: Period::parse(text).unwrap(),
                pool_share: BasisPoints::new(share).unwrap(),
                ..terms()
            })
            .unwrap()
        };
        let adopted = [from("2026-01", 1_000), from("2026-06", 2_000), from("2026-01", 3_000)];
        let share = |period: &str| {
            rule_in_force(&adopted, Period::parse(period).unwrap()).map(|rule| rule.terms().pool_share.points())
        };
        assert_eq!(share("2025-12"), None);
        // Two versions effective from January: the later adopted replaces the earlier.
        assert_eq!(share("2026-01"), Some(3_000));
        assert_eq!(share("2026-05"), Some(3_000));
        assert_eq!(share("2026-06"), Some(2_000));
        assert_eq!(share("2027-01"), Some(2_000));
    }

    #[test]
    fn refuses_each_inconsistency_precisely() {
        let cases = [
            (RuleTerms { weights: BTreeMap::new(), ..terms() }, RuleError::NoWeights),
            (RuleTerms { pool_share: BasisPoints::ZERO, ..terms() }, RuleError::NoPool),
            (RuleTerms { pool_fixed: minor(0), ..terms() }, RuleError::ZeroPoolFixed),
            (
                RuleTerms {
                    reserve_share: BasisPoints::WHOLE,
                    pool_share: BasisPoints::ZERO,
                    pool_fixed: minor(1),
                    ..terms()
                },
                RuleError::ReserveKeepsEverything,
            ),
            (
                RuleTerms { reserve_share: BasisPoints::new(5_001).unwrap(), ..terms() },
                RuleError::ShareAndReserveAboveWhole {
                    share: BasisPoints::new(5_000).unwrap(),
                    reserve: BasisPoints::new(5_001).unwrap(),
                },
            ),
            (RuleTerms { cap_per_unit: minor(0), ..terms() }, RuleError::ZeroCap("cap per unit of work")),
            (RuleTerms { minimum_payout: minor(0), ..terms() }, RuleError::ZeroCap("minimum payout")),
            (
                RuleTerms { minimum_payout: minor(501), cap_per_contributor: minor(500), ..terms() },
                RuleError::MinimumAboveCap { minimum: 501, cap: 500 },
            ),
        ];
        for (terms, error) in cases {
            assert_eq!(Rule::new(terms), Err(error));
        }
        let many = (0..=CATEGORIES_MAX).map(|n| (Category::parse(&format!("c{n}")).unwrap(), Weight::MAX)).collect();
        assert_eq!(Rule::new(RuleTerms { weights: many, ..terms() }), Err(RuleError::TooManyWeights(65)));
    }
}
