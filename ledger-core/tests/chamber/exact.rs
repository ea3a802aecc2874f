//! The pool is taken from the fund exactly as documented, and shared to the last minor unit.

use std::collections::BTreeMap;

use ledger_core::names::Handle;
use proptest::prelude::*;

use crate::support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_pool_is_the_share_plus_the_fixed_amount_within_what_the_reserve_leaves(case in any_case()) {
        let pool = case.allocate().pool;
        let terms = case.rule.terms();
        let fund = i128::from(case.fund_balance);
        let reserve = (fund * i128::from(terms.reserve_share.points()) + 9_999) / 10_000;
        let by_share = fund * i128::from(terms.pool_share.points()) / 10_000;
        let fixed = i128::from(terms.pool_fixed.map_or(0, |fixed| fixed.minor()));
        prop_assert_eq!(i128::from(pool.reserve), reserve);
        prop_assert_eq!(i128::from(pool.by_share), by_share);
        prop_assert_eq!(i128::from(pool.amount), (by_share + fixed).min(fund - reserve));
        prop_assert!(pool.amount >= 0 && pool.amount <= case.fund_balance);
    }

    #[test]
    fn the_lines_sum_exactly_to_what_is_distributed(case in any_case()) {
        let allocation = case.allocate();
        let lines: i64 = allocation.lines.iter().map(|line| line.amount).sum();
        prop_assert_eq!(lines, allocation.distributed);
        prop_assert_eq!(
            allocation.distributed + allocation.withheld.total() + allocation.unallocated,
            allocation.pool.amount
        );
        prop_assert!(allocation.unallocated == 0 || allocation.lines.is_empty());
        prop_assert_eq!(allocation.by_commons.values().sum::<i64>(), allocation.distributed);
        prop_assert_eq!(allocation.by_category.values().sum::<i64>(), allocation.distributed);
        let mut per_contributor: BTreeMap<Handle, i64> = BTreeMap::new();
        for line in &allocation.lines {
            *per_contributor.entry(line.contributor.clone()).or_default() += line.amount;
        }
        let reported: BTreeMap<Handle, i64> =
            allocation.by_contributor.iter().map(|(handle, total)| (handle.clone(), total.amount)).collect();
        prop_assert_eq!(per_contributor, reported);
        prop_assert_eq!(allocation.fund_after, case.fund_balance - allocation.distributed);
    }

    /// Checked against the definition, not the code: every contributor's share is the floor of
    /// its exact share or one more, the extra units go to the largest remainders (equal ones to
    /// the smaller handle), and the shares add up to the pool.
    #[test]
    fn contributor_shares_are_the_largest_remainder_rounding_of_their_points(case in any_case()) {
        let allocation = case.allocate();
        prop_assume!(!allocation.lines.is_empty());
        let mut points: BTreeMap<Handle, i128> = BTreeMap::new();
        for line in &allocation.lines {
            *points.entry(line.contributor.clone()).or_default() +=
                i128::from(line.quantity.thousandths()) * i128::from(line.weight.thousandths());
        }
        let total_points: i128 = points.values().sum();
        let pool = i128::from(allocation.pool.amount);
        let shares: i128 = allocation.by_contributor.values().map(|total| i128::from(total.share)).sum();
        prop_assert_eq!(shares, pool);
        // (remainder, handle, got the extra unit) per contributor.
        let mut rounded = Vec::new();
        for (handle, points) in &points {
            let share = i128::from(allocation.by_contributor[handle].share);
            let floor = pool * points / total_points;
            prop_assert!(share == floor || share == floor + 1, "{} got {} for a floor of {}", handle, share, floor);
            rounded.push((pool * points % total_points, handle.clone(), share == floor + 1));
        }
        for (remainder, handle, extra) in &rounded {
            for (other_remainder, other, other_extra) in &rounded {
                let ranks_above = remainder > other_remainder || (remainder == other_remainder && handle < other);
                prop_assert!(!(ranks_above && !extra && *other_extra), "{} ranks above {} but lost the extra unit", handle, other);
            }
        }
    }

    /// Without a cap per unit of work, each contributor's payout is split among their
    /// declarations by largest remainder on points: every line is the floor of its exact part or
    /// one more.
    #[test]
    fn a_contributors_payout_is_split_among_their_declarations_by_points(case in any_case()) {
        prop_assume!(case.rule.terms().cap_per_unit.is_none());
        let allocation = case.allocate();
        for (contributor, total) in &allocation.by_contributor {
            let lines: Vec<_> = allocation.lines.iter().filter(|line| &line.contributor == contributor).collect();
            let points = |line: &ledger_core::chamber::AllocationLine| {
                i128::from(line.quantity.thousandths()) * i128::from(line.weight.thousandths())
            };
            let all_points: i128 = lines.iter().map(|line| points(line)).sum();
            for line in lines {
                let floor = i128::from(total.amount) * points(line) / all_points;
                let amount = i128::from(line.amount);
                prop_assert!(amount == floor || amount == floor + 1, "line {} for a floor of {}", amount, floor);
            }
        }
    }
}
