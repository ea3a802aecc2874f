//! The allocation of one period's pool among validated work: pure, exact and deterministic.
//!
//! # Method
//!
//! 1. **Eligibility.** Declarations are taken in id order. One that is pending, refused, of
//!    another period, already paid, or of a category the rule does not weigh is skipped and
//!    reported; the others are eligible, each with `points = quantity × weight` (thousandths ×
//!    thousandths, exact).
//! 2. **Pool.** `reserve = ⌈fund × reserve share⌉`, `pool = min(⌊fund × pool share⌋ + fixed,
//!    fund − reserve)`: never more than the fund holds, and the kept share is at least the rule's.
//! 3. **Contributor shares.** The pool is shared among contributors in proportion to their total
//!    points, rounded by largest remainder (ties to the smaller handle), so the shares sum to
//!    exactly the pool.
//! 4. **Limits**, per contributor and in this order, each keeping in the fund only what is still
//!    above it: the sum of the caps per unit of work of the contributor's declarations
//!    (`⌊cap × quantity⌋` each); the cap per contributor; the room left below the account's
//!    ceiling; then the minimum payout (below it, the contributor receives nothing).
//! 5. **Lines.** What the contributor receives is split among their declarations in proportion
//!    to points, no line above its own cap per unit of work (water-filling, then largest
//!    remainder with ties to the smaller declaration id), so the lines sum to exactly it.
//!
//! # Guarantees
//!
//! - Exact: integer minor units, `i128` intermediates; the lines sum to the distributed amount,
//!   and distributed + withheld + unallocated = pool.
//! - No limit is exceeded: each line within its cap per unit of work, each contributor within
//!   the cap per contributor and their account's room, and every contributor receives either
//!   nothing or at least the minimum payout.
//! - A declaration is paid at most once: it appears in at most one line, never when already paid.
//! - The fund never falls below the reserve, so never below zero.
//! - Deterministic: the same inputs in any order give the same allocation, so a dry run and the
//!   executed distribution are identical.
//! - **Monotone per contributor**: if one contributor's validated work grows (a larger quantity
//!   or one more declaration), all else equal, that contributor receives no less. Two choices
//!   make it so, each against a counterexample in `tests/chamber/monotone.rs`:
//!   - largest remainder is applied to contributors, not to declarations. Raising one party's
//!     points alone never costs it a remainder unit (its floor only grows, and every other
//!     remainder that overtakes it does so by wrapping below an integer, which frees one more
//!     unit), whereas a contributor with several declarations rounded one by one can lose one;
//!   - the cap per unit of work bounds the contributor's total by the sum of their lines' caps,
//!     and the lines are filled up to their caps. Clipping each line after a split by points
//!     would let a capped line's growth take share from an uncapped line of the same contributor
//!     and lower their total.
//!
//!   Every later step is a minimum with a limit that only grows with the contributor's work, or a
//!   threshold. A contributor's *lines* are not each monotone: a declaration's line may shrink
//!   when the same contributor's other work grows.
//!
//! A line is within two minor units of its exact proportional part of the pool before limits
//! (one from each rounding).

use std::collections::{BTreeMap, BTreeSet};

use crate::amount::BALANCE_MAX;
use crate::names::{DeclarationId, Handle};

use super::allocation::{Allocation, AllocationLine, ContributorTotal, Pool, SkipReason, Skipped, Withheld};
use super::declaration::{Declaration, DeclarationStatus};
use super::period::Period;
use super::quantity::ONE_UNIT;
use super::rounding::{capped_largest_remainder, largest_remainder};
use super::rule::Rule;
use super::weight::Weight;

/// The most declarations one allocation considers; with [`super::Quantity::MAX`] and
/// [`Weight::MAX`] it bounds the points to 10^20 and every product with the pool to 10^37,
/// inside `i128`.
pub const DECLARATIONS_MAX: usize = 100_000;

/// Everything an allocation depends on; nothing else is read.
#[derive(Clone, Copy, Debug)]
pub struct AllocationInput<'a> {
    /// The period distributed.
    pub period: Period,
    /// The fund's balance now, in minor units: 0..=[`BALANCE_MAX`].
    pub fund_balance: i64,
    /// The rule in force for `period`, as [`super::rule_in_force`] picks it. `allocate` only
    /// checks that it has taken effect by then; which version applies is the caller's to say.
    pub rule: &'a Rule,
    /// The declarations to consider, in any order; ids must be distinct.
    pub declarations: &'a [Declaration],
    /// Declarations settled by earlier distributions.
    pub already_paid: &'a BTreeSet<DeclarationId>,
    /// For contributors whose account has a ceiling: how much more it may receive, in minor
    /// units (zero or less: nothing). Contributors not listed have no ceiling.
    pub ceiling_room: &'a BTreeMap<Handle, i64>,
}

/// Why an allocation could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("the fund's balance {0} is negative; a commons fund never goes below zero")]
    NegativeFund(i64),
    #[error("the fund's balance {0} is above the largest balance")]
    FundTooLarge(i64),
    #[error("the rule takes effect in {effective_from}, after the period {period} distributed")]
    RuleNotInForce { effective_from: Period, period: Period },
    #[error("{0} declarations is more than the {DECLARATIONS_MAX} one distribution may consider")]
    TooManyDeclarations(usize),
    #[error("declaration {0} is given twice")]
    DuplicateDeclaration(DeclarationId),
}

/// A declaration that will be paid, with what its pay depends on.
struct Eligible<'a> {
    /// Its place among the declarations in id order, which is its line's place.
    slot: usize,
    declaration: &'a Declaration,
    weight: Weight,
    points: i128,
    /// The most it may earn under the cap per unit of work, if the rule has one.
    cap: Option<i128>,
}

/// Allocates `input.period`'s pool (see the module documentation for the method and what it
/// guarantees).
pub fn allocate(input: &AllocationInput<'_>) -> Result<Allocation, AllocationError> {
    check(input)?;
    let pool = pool_of(input.fund_balance, input.rule);

    // Sorting first makes everything after independent of the order the caller used.
    let mut declarations: Vec<&Declaration> = input.declarations.iter().collect();
    declarations.sort_by_key(|d| d.id);
    if let Some(pair) = declarations.windows(2).find(|pair| pair[0].id == pair[1].id) {
        return Err(AllocationError::DuplicateDeclaration(pair[0].id));
    }

    let slots = declarations.len();
    let (by_contributor, skipped) = sort_out(declarations, input);

    let contributor_points: Vec<i128> =
        by_contributor.values().map(|lines| lines.iter().map(|line| line.points).sum()).collect();
    // With no eligible work there is nobody to share the pool among: it stays in the fund.
    let shares = if contributor_points.is_empty() {
        Vec::new()
    } else {
        largest_remainder(i128::from(pool.amount), &contributor_points)
    };

    // Lines are computed contributor by contributor and put in their declaration's slot, which
    // keeps them in id order without sorting the lines themselves.
    let mut lines: Vec<Option<AllocationLine>> = vec![None; slots];
    let mut totals = BTreeMap::new();
    for ((contributor, eligible), share) in by_contributor.into_iter().zip(shares) {
        let total = limit(share, &eligible, contributor, input);
        let points: Vec<i128> = eligible.iter().map(|e| e.points).collect();
        let caps: Vec<Option<i128>> = eligible.iter().map(|e| e.cap).collect();
        let amounts = capped_largest_remainder(i128::from(total.amount), &points, &caps);
        for (e, amount) in eligible.iter().zip(amounts) {
            lines[e.slot] = Some(AllocationLine {
                declaration: e.declaration.id,
                contributor: contributor.clone(),
                commons: e.declaration.commons.clone(),
                category: e.declaration.category.clone(),
                quantity: e.declaration.quantity,
                weight: e.weight,
                amount: i64::try_from(amount).expect("a line is at most the pool, an i64"),
            });
        }
        totals.insert(contributor.clone(), total);
    }
    let lines = lines.into_iter().flatten().collect();
    Ok(assemble(input.period, pool, lines, skipped, totals))
}

fn check(input: &AllocationInput<'_>) -> Result<(), AllocationError> {
    if input.fund_balance < 0 {
        return Err(AllocationError::NegativeFund(input.fund_balance));
    }
    if input.fund_balance > BALANCE_MAX {
        return Err(AllocationError::FundTooLarge(input.fund_balance));
    }
    if input.rule.effective_from() > input.period {
        return Err(AllocationError::RuleNotInForce {
            effective_from: input.rule.effective_from(),
            period: input.period,
        });
    }
    if input.declarations.len() > DECLARATIONS_MAX {
        return Err(AllocationError::TooManyDeclarations(input.declarations.len()));
    }
    Ok(())
}

/// Splits `declarations` (in id order) into the eligible ones, grouped by contributor in handle
/// order, and the skipped ones, in id order.
fn sort_out<'a>(
    declarations: Vec<&'a Declaration>,
    input: &AllocationInput<'_>,
) -> (BTreeMap<&'a Handle, Vec<Eligible<'a>>>, Vec<Skipped>) {
    let cap_per_unit = input.rule.terms().cap_per_unit;
    let mut skipped = Vec::new();
    let mut by_contributor: BTreeMap<&Handle, Vec<Eligible<'_>>> = BTreeMap::new();
    for (slot, declaration) in declarations.into_iter().enumerate() {
        match eligibility(declaration, input) {
            Ok(weight) => {
                let quantity = i128::from(declaration.quantity.thousandths());
                let points = quantity * i128::from(weight.thousandths());
                let cap = cap_per_unit.map(|cap| i128::from(cap.minor()) * quantity / i128::from(ONE_UNIT));
                let eligible = Eligible { slot, declaration, weight, points, cap };
                by_contributor.entry(&declaration.contributor).or_default().push(eligible);
            }
            Err(reason) => skipped.push(Skipped { declaration: declaration.id, reason }),
        }
    }
    (by_contributor, skipped)
}

/// The pool of a fund holding `fund` minor units under `rule`.
fn pool_of(fund: i64, rule: &Rule) -> Pool {
    let terms = rule.terms();
    let narrow = |minor: i128| i64::try_from(minor).expect("a share of at most 100% of the fund fits in i64");
    let reserve = narrow(terms.reserve_share.of_rounded_up(fund));
    let by_share = narrow(terms.pool_share.of_rounded_down(fund));
    let fixed = terms.pool_fixed.map_or(0, |fixed| fixed.minor());
    // Balances and amounts are far below i64::MAX / 2, so the sum cannot overflow.
    let amount = (by_share + fixed).min(fund - reserve);
    Pool { fund_balance: fund, reserve, by_share, fixed, amount }
}

/// Whether `declaration` is paid in this distribution, and at what weight.
fn eligibility(declaration: &Declaration, input: &AllocationInput<'_>) -> Result<Weight, SkipReason> {
    match declaration.status {
        DeclarationStatus::Pending => return Err(SkipReason::Pending),
        DeclarationStatus::Refused => return Err(SkipReason::Refused),
        DeclarationStatus::Validated => {}
    }
    if declaration.period != input.period {
        return Err(SkipReason::OtherPeriod);
    }
    if input.already_paid.contains(&declaration.id) {
        return Err(SkipReason::AlreadyPaid);
    }
    input.rule.weight(&declaration.category).ok_or(SkipReason::UnweightedCategory)
}

/// Applies the limits to a contributor's `share`, in the documented order.
fn limit(
    share: i128,
    eligible: &[Eligible<'_>],
    contributor: &Handle,
    input: &AllocationInput<'_>,
) -> ContributorTotal {
    let terms = input.rule.terms();
    let mut payable = share;
    let mut withheld = Withheld::default();
    let mut clip = |limit: Option<i128>, into: &mut i64| {
        if let Some(limit) = limit.map(|limit| limit.max(0))
            && payable > limit
        {
            *into = i64::try_from(payable - limit).expect("withheld is at most the pool");
            payable = limit;
        }
    };
    let unit_caps: Option<i128> = eligible.iter().map(|e| e.cap).sum();
    clip(unit_caps, &mut withheld.cap_per_unit);
    clip(terms.cap_per_contributor.map(|cap| i128::from(cap.minor())), &mut withheld.cap_per_contributor);
    clip(input.ceiling_room.get(contributor).map(|room| i128::from(*room)), &mut withheld.account_ceiling);
    if let Some(minimum) = terms.minimum_payout
        && payable > 0
        && payable < i128::from(minimum.minor())
    {
        withheld.minimum_payout = i64::try_from(payable).expect("below the minimum payout");
        payable = 0;
    }
    let narrow = |minor: i128| i64::try_from(minor).expect("a share is at most the pool");
    ContributorTotal { share: narrow(share), amount: narrow(payable), withheld }
}

/// Totals the lines and checks every invariant the allocation promises.
fn assemble(
    period: Period,
    pool: Pool,
    lines: Vec<AllocationLine>,
    skipped: Vec<Skipped>,
    by_contributor: BTreeMap<Handle, ContributorTotal>,
) -> Allocation {
    let mut by_commons: BTreeMap<_, i64> = BTreeMap::new();
    let mut by_category: BTreeMap<_, i64> = BTreeMap::new();
    for line in &lines {
        add_to(&mut by_commons, &line.commons, line.amount);
        add_to(&mut by_category, &line.category, line.amount);
    }
    let distributed: i64 = lines.iter().map(|line| line.amount).sum();
    let mut withheld = Withheld::default();
    for total in by_contributor.values() {
        withheld.add(&total.withheld);
        assert_eq!(total.share, total.amount + total.withheld.total(), "a contributor's share is paid or withheld");
    }
    let unallocated = if lines.is_empty() { pool.amount } else { 0 };
    assert_eq!(by_contributor.values().map(|t| t.amount).sum::<i64>(), distributed, "contributors sum to the lines");
    assert_eq!(distributed + withheld.total() + unallocated, pool.amount, "the pool is paid, withheld or unallocated");
    let fund_after = pool.fund_balance - distributed;
    assert!(fund_after >= pool.reserve && pool.reserve >= 0, "the fund keeps its reserve");
    Allocation {
        period,
        pool,
        lines,
        skipped,
        by_contributor,
        by_commons,
        by_category,
        distributed,
        withheld,
        unallocated,
        fund_after,
    }
}

/// Adds `amount` to `key`'s total, cloning the key only the first time it is seen.
fn add_to<K: Ord + Clone>(totals: &mut BTreeMap<K, i64>, key: &K, amount: i64) {
    match totals.get_mut(key) {
        Some(total) => *total += amount,
        None => {
            totals.insert(key.clone(), amount);
        }
    }
}
