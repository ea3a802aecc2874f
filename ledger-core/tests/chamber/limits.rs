//! No cap, ceiling or minimum payout is ever broken, and the fund never falls below its reserve.

use ledger_core::chamber::{Declaration, Rule, allocate};
use proptest::prelude::*;

use crate::support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_limit_is_exceeded(case in any_case()) {
        let allocation = case.allocate();
        let terms = case.rule.terms();
        for line in &allocation.lines {
            prop_assert!(line.amount >= 0);
            if let Some(cap) = terms.cap_per_unit {
                let line_cap = i128::from(cap.minor()) * i128::from(line.quantity.thousandths()) / 1_000;
                prop_assert!(i128::from(line.amount) <= line_cap, "line {} above its cap {}", line.amount, line_cap);
            }
        }
        for (contributor, total) in &allocation.by_contributor {
            if let Some(cap) = terms.cap_per_contributor {
                prop_assert!(total.amount <= cap.minor(), "{} above the cap per contributor", contributor);
            }
            if let Some(room) = case.ceiling_room.get(contributor) {
                prop_assert!(total.amount <= (*room).max(0), "{} above its account's ceiling", contributor);
            }
            if let Some(minimum) = terms.minimum_payout {
                prop_assert!(total.amount == 0 || total.amount >= minimum.minor(), "{} below the minimum", contributor);
            }
            prop_assert_eq!(total.share, total.amount + total.withheld.total());
        }
        prop_assert!(allocation.fund_after >= allocation.pool.reserve);
        prop_assert!(allocation.pool.reserve >= 0);
    }

    /// Period after period, with contributions coming in and distributions going out, the fund
    /// stays at or above its reserve, so never below zero.
    #[test]
    fn the_fund_never_goes_negative_over_many_distributions(
        start in any_fund(),
        rule in any_rule(),
        rounds in proptest::collection::vec((0..=1_000_000_i64, any_declarations(8)), 1..6),
    ) {
        let mut case = Case::new(start, rule, Vec::new());
        for (round, (contribution, declarations)) in rounds.into_iter().enumerate() {
            case.fund_balance = (case.fund_balance + contribution).min(ledger_core::amount::BALANCE_MAX);
            // Fresh ids per round, so every round brings new work.
            case.declarations.extend(declarations.into_iter().map(|d| renumbered(d, round)));
            let allocation = allocate(&case.input()).expect("valid inputs");
            prop_assert!(allocation.fund_after >= allocation.pool.reserve && allocation.pool.reserve >= 0);
            case.already_paid.extend(allocation.lines.iter().map(|line| line.declaration));
            case.fund_balance = allocation.fund_after;
        }
    }
}

/// `declaration` with an id unique to `round`.
fn renumbered(mut declaration: Declaration, round: usize) -> Declaration {
    let n = declaration.id.uuid().as_u128() >> 8;
    declaration.id = id((n << 8) | round as u128);
    declaration
}

#[test]
fn a_rule_can_keep_nearly_everything() {
    let keep = Rule::new(ledger_core::chamber::RuleTerms {
        pool_share: rate(1),
        reserve_share: rate(9_999),
        ..terms(&[("garden", 1_000)])
    })
    .expect("a valid rule");
    let case = Case::new(1_000_000, keep, vec![declaration(1, "ana", "garden", 1_000)]);
    let allocation = case.allocate();
    assert_eq!((allocation.pool.reserve, allocation.distributed, allocation.fund_after), (999_900, 100, 999_900));
}

/// Everything at its largest at once: the fullest fund, the most declarations, each of the
/// largest quantity at the largest weight, with a cap per unit of work. The `i128` arithmetic
/// must hold and the pool must still be shared exactly.
#[test]
fn the_largest_inputs_do_not_overflow() {
    use ledger_core::amount::{AMOUNT_MAX, BALANCE_MAX};
    use ledger_core::chamber::{DECLARATIONS_MAX, Quantity, RuleTerms, Weight};

    let max = Quantity::MAX.thousandths();
    let declarations: Vec<Declaration> = (0..DECLARATIONS_MAX)
        .map(|n| declaration(n as u128, ["ana", "bea", "cy"][n % 3], "garden", max - (n % 7) as u64))
        .collect();
    let terms = RuleTerms { cap_per_unit: Some(amount(AMOUNT_MAX)), ..terms(&[("garden", Weight::MAX.thousandths())]) };
    let allocation = Case::new(BALANCE_MAX, rule(terms), declarations).allocate();
    assert_eq!(allocation.distributed, BALANCE_MAX);
    assert_eq!(allocation.lines.len(), DECLARATIONS_MAX);
    assert_eq!(allocation.fund_after, 0);
}
