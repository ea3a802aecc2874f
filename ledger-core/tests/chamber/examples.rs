//! Hand-made allocations with known answers.

use ledger_core::chamber::{AllocationError, DeclarationStatus, RuleTerms, SkipReason, Withheld, allocate};

use crate::support::*;

fn amounts(case: &Case) -> Vec<(String, i64)> {
    case.allocate().lines.iter().map(|line| (line.contributor.to_string(), line.amount)).collect()
}

#[test]
fn a_pool_of_100_over_three_equal_shares_is_33_34_33_33_33_33() {
    let declarations = vec![
        declaration(3, "cy", "garden", 1_000),
        declaration(1, "ana", "garden", 1_000),
        declaration(2, "bea", "garden", 1_000),
    ];
    let case = Case::new(10_000, rule(terms(&[("garden", 1_000)])), declarations);
    // The three remainders are equal: the extra minor unit goes to the first handle.
    assert_eq!(amounts(&case), [("ana".into(), 3_334), ("bea".into(), 3_333), ("cy".into(), 3_333)]);
    let allocation = case.allocate();
    assert_eq!(allocation.distributed, 10_000);
    assert_eq!(allocation.fund_after, 0);
    assert_eq!(allocation.by_commons.values().copied().collect::<Vec<_>>(), [10_000]);
}

#[test]
fn one_contributors_three_declarations_split_by_declaration_id() {
    let declarations = vec![
        declaration(9, "ana", "garden", 1_000),
        declaration(7, "ana", "garden", 1_000),
        declaration(8, "ana", "garden", 1_000),
    ];
    let allocation = Case::new(10_000, rule(terms(&[("garden", 1_000)])), declarations).allocate();
    let lines: Vec<_> = allocation.lines.iter().map(|line| (line.declaration, line.amount)).collect();
    assert_eq!(lines, [(id(7), 3_334), (id(8), 3_333), (id(9), 3_333)]);
}

#[test]
fn weights_and_quantities_multiply() {
    // 2 hours of care at weight 1.5 (3 points) against 1 hour of code at weight 1 (1 point).
    let declarations = vec![declaration(1, "ana", "care", 2_000), declaration(2, "bea", "code", 1_000)];
    let case = Case::new(1_000, rule(terms(&[("care", 1_500), ("code", 1_000)])), declarations);
    assert_eq!(amounts(&case), [("ana".into(), 750), ("bea".into(), 250)]);
    let allocation = case.allocate();
    assert_eq!(allocation.lines[0].weight.thousandths(), 1_500);
    assert_eq!(allocation.by_category[&category("care")], 750);
}

#[test]
fn the_pool_is_a_share_plus_a_fixed_amount_within_what_the_fund_may_give() {
    let one = vec![declaration(1, "ana", "garden", 1_000)];
    // 10% of 1000.00 plus 50.00, with 85% kept: 150.00 of the 150.00 available.
    let pool = Case::new(100_000, rule(with_pool(1_000, Some(5_000), 8_500)), one.clone()).allocate().pool;
    assert_eq!((pool.reserve, pool.by_share, pool.fixed, pool.amount), (85_000, 10_000, 5_000, 15_000));
    // With 90% kept, only 100.00 is available: the fixed amount is cut.
    let allocation = Case::new(100_000, rule(with_pool(1_000, Some(5_000), 9_000)), one).allocate();
    assert_eq!(allocation.pool.amount, 10_000);
    assert_eq!(allocation.fund_after, 90_000);
}

#[test]
fn the_reserve_is_rounded_up_and_the_share_down() {
    let pool =
        Case::new(5, rule(with_pool(5_000, None, 5_000)), vec![declaration(1, "ana", "garden", 1_000)]).allocate().pool;
    // 50% of 0.05 is 0.025: the fund keeps 0.03 and shares 0.02.
    assert_eq!((pool.reserve, pool.by_share, pool.amount), (3, 2, 2));
}

#[test]
fn a_cap_per_unit_of_work_withholds_the_excess() {
    let declarations = vec![declaration(1, "ana", "garden", 1_000), declaration(2, "bea", "garden", 3_000)];
    let capped = RuleTerms { cap_per_unit: Some(amount(2_000)), ..terms(&[("garden", 1_000)]) };
    let allocation = Case::new(10_000, rule(capped), declarations).allocate();
    // Shares 25.00 and 75.00; at most 20.00 an hour: 20.00 and 60.00.
    assert_eq!(allocation.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [2_000, 6_000]);
    assert_eq!(allocation.withheld, Withheld { cap_per_unit: 2_000, ..Withheld::default() });
    assert_eq!(allocation.by_contributor[&handle("bea")].withheld.cap_per_unit, 1_500);
    assert_eq!(allocation.distributed, 8_000);
    assert_eq!(allocation.fund_after, 2_000);
}

#[test]
fn a_capped_declaration_leaves_its_excess_to_the_same_contributors_other_work() {
    // One hour at weight 10 and ten hours at weight 1: equal points, 50.00 each by points, but
    // the first may earn at most 10.00 (one hour at 10.00), so the other ten hours take 90.00.
    let declarations = vec![declaration(1, "ana", "care", 1_000), declaration(2, "ana", "code", 10_000)];
    let capped = RuleTerms { cap_per_unit: Some(amount(1_000)), ..terms(&[("care", 10_000), ("code", 1_000)]) };
    let allocation = Case::new(10_000, rule(capped), declarations).allocate();
    assert_eq!(allocation.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [1_000, 9_000]);
    assert_eq!(allocation.withheld.total(), 0);
}

#[test]
fn a_cap_per_contributor_and_an_account_ceiling_withhold_the_excess() {
    let declarations = vec![declaration(1, "ana", "garden", 1_000), declaration(2, "bea", "garden", 1_000)];
    let capped = RuleTerms { cap_per_contributor: Some(amount(3_000)), ..terms(&[("garden", 1_000)]) };
    let mut case = Case::new(10_000, rule(capped), declarations);
    case.ceiling_room.insert(handle("bea"), 1_200);
    let allocation = case.allocate();
    assert_eq!(allocation.by_contributor[&handle("ana")].amount, 3_000);
    assert_eq!(allocation.by_contributor[&handle("bea")].amount, 1_200);
    let expected = Withheld { cap_per_contributor: 4_000, account_ceiling: 1_800, ..Withheld::default() };
    assert_eq!(allocation.withheld, expected);
    assert_eq!(allocation.fund_after, 10_000 - 4_200);
}

#[test]
fn a_minimum_payout_zeroes_a_small_share() {
    let declarations = vec![declaration(1, "ana", "garden", 1_000), declaration(2, "bea", "garden", 19_000)];
    let with_minimum = RuleTerms { minimum_payout: Some(amount(1_000)), ..terms(&[("garden", 1_000)]) };
    let allocation = Case::new(10_000, rule(with_minimum), declarations).allocate();
    // 5.00 is below the 10.00 minimum: ana's line stays, at zero, and the 5.00 stays in the fund.
    assert_eq!(allocation.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [0, 9_500]);
    assert_eq!(allocation.withheld, Withheld { minimum_payout: 500, ..Withheld::default() });
    assert_eq!(allocation.by_contributor[&handle("ana")].share, 500);
    assert_eq!(allocation.fund_after, 500);
}

#[test]
fn every_skipped_declaration_says_why() {
    let mut pending = declaration(1, "ana", "garden", 1_000);
    pending.status = DeclarationStatus::Pending;
    let mut refused = declaration(2, "ana", "garden", 1_000);
    refused.status = DeclarationStatus::Refused;
    let mut earlier = declaration(3, "ana", "garden", 1_000);
    earlier.period = other_period();
    let paid = declaration(4, "ana", "garden", 1_000);
    let unweighted = declaration(5, "ana", "cooking", 1_000);
    let mut case =
        Case::new(10_000, rule(terms(&[("garden", 1_000)])), vec![unweighted, paid, earlier, refused, pending]);
    case.already_paid.insert(id(4));
    let allocation = case.allocate();
    let reasons: Vec<_> = allocation.skipped.iter().map(|s| (s.declaration, s.reason)).collect();
    assert_eq!(
        reasons,
        [
            (id(1), SkipReason::Pending),
            (id(2), SkipReason::Refused),
            (id(3), SkipReason::OtherPeriod),
            (id(4), SkipReason::AlreadyPaid),
            (id(5), SkipReason::UnweightedCategory),
        ]
    );
    // Nobody's work to share: the pool stays in the fund, reported as unallocated.
    assert!(allocation.lines.is_empty());
    assert_eq!((allocation.distributed, allocation.unallocated, allocation.fund_after), (0, 10_000, 10_000));
}

#[test]
fn bad_inputs_are_refused_precisely() {
    let twice = vec![declaration(1, "ana", "garden", 1_000), declaration(1, "bea", "garden", 2_000)];
    let case = Case::new(10_000, rule(terms(&[("garden", 1_000)])), twice);
    assert_eq!(allocate(&case.input()), Err(AllocationError::DuplicateDeclaration(id(1))));

    let case = Case::new(-1, rule(terms(&[("garden", 1_000)])), vec![]);
    assert_eq!(allocate(&case.input()), Err(AllocationError::NegativeFund(-1)));

    let later = RuleTerms { effective_from: period().next().expect("a later month"), ..terms(&[("garden", 1_000)]) };
    let case = Case::new(10_000, rule(later), vec![]);
    assert_eq!(
        allocate(&case.input()),
        Err(AllocationError::RuleNotInForce { effective_from: period().next().unwrap(), period: period() })
    );
}

/// Garden-only terms with a given pool share, fixed amount and reserve share.
fn with_pool(share: u32, fixed: Option<i64>, reserve: u32) -> RuleTerms {
    RuleTerms {
        pool_share: rate(share),
        pool_fixed: fixed.map(amount),
        reserve_share: rate(reserve),
        ..terms(&[("garden", 1_000)])
    }
}
