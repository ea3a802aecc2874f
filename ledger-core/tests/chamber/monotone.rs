//! More validated work never earns its contributor less, all else equal.

use ledger_core::chamber::{Declaration, DeclarationStatus, Quantity};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::support::*;

/// The indices of declarations this case's allocation pays (or zeroes by a limit).
fn eligible(case: &Case) -> Vec<usize> {
    let lined: Vec<_> = case.allocate().lines.iter().map(|line| line.declaration).collect();
    case.declarations.iter().enumerate().filter(|(_, d)| lined.contains(&d.id)).map(|(i, _)| i).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, max_global_rejects: 1 << 16, ..ProptestConfig::default() })]

    #[test]
    fn a_larger_quantity_never_earns_less(
        case in prop_oneof![any_case(), tie_prone_case()],
        pick in any::<Index>(),
        extra in prop_oneof![1..=10_u64, 1..=40_000_u64],
    ) {
        let eligible = eligible(&case);
        prop_assume!(!eligible.is_empty());
        let index = *pick.get(&eligible);
        let contributor = case.declarations[index].contributor.clone();
        let before = case.allocate();
        let mut more = case.clone();
        let grown = (case.declarations[index].quantity.thousandths() + extra).min(Quantity::MAX.thousandths());
        more.declarations[index].quantity = Quantity::from_thousandths(grown).expect("positive and bounded");
        let after = more.allocate();
        let (before, after) = (&before.by_contributor[&contributor], &after.by_contributor[&contributor]);
        prop_assert!(after.share >= before.share, "share fell from {} to {}", before.share, after.share);
        prop_assert!(after.amount >= before.amount, "payout fell from {} to {}", before.amount, after.amount);
    }

    #[test]
    fn one_more_declaration_never_earns_less(
        case in prop_oneof![any_case(), tie_prone_case()],
        contributor in select(CONTRIBUTORS.to_vec()),
        category_name in select(CATEGORIES.to_vec()),
        thousandths in prop_oneof![1..=10_u64, 1..=40_000_u64],
        n in any::<u128>(),
    ) {
        prop_assume!(case.declarations.iter().all(|d| d.id != id(n)));
        let contributor = handle(contributor);
        let before = case.paid_to(&contributor);
        let mut more = case.clone();
        let extra = Declaration { contributor: contributor.clone(), status: DeclarationStatus::Validated, ..declaration(n, "ana", category_name, thousandths) };
        more.declarations.push(extra);
        let after = more.paid_to(&contributor);
        prop_assert!(after >= before, "payout fell from {} to {}", before, after);
    }
}

/// Largest remainder applied to each declaration on its own, the method this crate does not use:
/// `total` over `points`, extra units to the largest remainders, ties to the earlier index.
fn per_declaration_rounding(total: i128, points: &[i128]) -> Vec<i128> {
    let sum: i128 = points.iter().sum();
    let mut shares: Vec<i128> = points.iter().map(|p| total * p / sum).collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(total * points[i] % sum), i));
    let left = (total - shares.iter().sum::<i128>()) as usize;
    for &i in &order[..left] {
        shares[i] += 1;
    }
    shares
}

/// Ana declares 2.000 and 1.500 hours, Bea 0.500; a pool of 100 minor units. When Ana's first
/// declaration grows to 2.001, rounding each declaration on its own would cost her a unit (her
/// second line's remainder falls just below Bea's); rounding per contributor cannot.
#[test]
fn growing_work_keeps_the_remainder_unit_that_per_declaration_rounding_would_lose() {
    assert_eq!(per_declaration_rounding(100, &[2_000, 1_500, 500]), [50, 38, 12]);
    assert_eq!(per_declaration_rounding(100, &[2_001, 1_500, 500]), [50, 37, 13]);

    let rule = rule(terms(&[("garden", 1_000)]));
    let before = vec![
        declaration(1, "ana", "garden", 2_000),
        declaration(2, "ana", "garden", 1_500),
        declaration(3, "bea", "garden", 500),
    ];
    let mut after = before.clone();
    after[0].quantity = Quantity::from_thousandths(2_001).expect("positive and bounded");
    let ana = handle("ana");
    assert_eq!(Case::new(100, rule.clone(), before).paid_to(&ana), 88);
    assert_eq!(Case::new(100, rule, after).paid_to(&ana), 88);
}

/// Ana declares one hour of care (weight 10) and ten hours of code (weight 1), at most 10.00 an
/// hour, and is alone in a pool of 100.00. Clipping each line to its cap after sharing by points
/// would pay her 60.00, and only 53.33 once her care grows to two hours: more work, less pay.
/// Capping her total by the sum of her lines' caps and filling the lines up to their caps pays
/// 100.00 both times.
#[test]
fn growing_capped_work_never_lowers_the_payout_where_clipping_each_line_would() {
    // (points, cap) per line, in minor units: the line-by-line method, for comparison.
    let clip_each_line = |lines: &[(i64, i64)], pool: i64| -> i64 {
        let points: i64 = lines.iter().map(|(p, _)| p).sum();
        lines.iter().map(|(p, cap)| (pool * p / points).min(*cap)).sum()
    };
    assert_eq!(clip_each_line(&[(10, 1_000), (10, 10_000)], 10_000), 6_000);
    assert_eq!(clip_each_line(&[(20, 2_000), (10, 10_000)], 10_000), 5_333);

    let capped = ledger_core::chamber::RuleTerms {
        cap_per_unit: Some(amount(1_000)),
        ..terms(&[("care", 10_000), ("code", 1_000)])
    };
    let rule = rule(capped);
    let before = vec![declaration(1, "ana", "care", 1_000), declaration(2, "ana", "code", 10_000)];
    let mut after = before.clone();
    after[0].quantity = Quantity::from_thousandths(2_000).expect("positive and bounded");
    let ana = handle("ana");
    assert_eq!(Case::new(10_000, rule.clone(), before).paid_to(&ana), 10_000);
    let grown = Case::new(10_000, rule, after).allocate();
    assert_eq!(grown.by_contributor[&ana].amount, 10_000);
    assert_eq!(grown.lines.iter().map(|line| line.amount).collect::<Vec<_>>(), [2_000, 8_000]);
}
