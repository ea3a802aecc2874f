//! A declaration is paid at most once: within one distribution, and across distributions.

use std::collections::BTreeSet;

use ledger_core::chamber::DeclarationStatus;
use ledger_core::names::DeclarationId;
use proptest::prelude::*;

use crate::support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every declaration is either in one line or skipped once; a line is only ever for a
    /// validated declaration of the period, weighed by the rule and not paid before.
    #[test]
    fn each_declaration_has_one_line_or_one_reason(case in any_case()) {
        let allocation = case.allocate();
        let lined: Vec<DeclarationId> = allocation.lines.iter().map(|line| line.declaration).collect();
        let skipped: Vec<DeclarationId> = allocation.skipped.iter().map(|s| s.declaration).collect();
        let mut all: Vec<DeclarationId> = lined.iter().chain(&skipped).copied().collect();
        all.sort();
        let mut given: Vec<DeclarationId> = case.declarations.iter().map(|d| d.id).collect();
        given.sort();
        prop_assert_eq!(all, given);
        for line in &allocation.lines {
            let declaration = case.declarations.iter().find(|d| d.id == line.declaration).expect("a given declaration");
            prop_assert_eq!(declaration.status, DeclarationStatus::Validated);
            prop_assert_eq!(declaration.period, period());
            prop_assert!(!case.already_paid.contains(&line.declaration));
            prop_assert!(case.rule.weight(&declaration.category).is_some());
            prop_assert_eq!(&line.contributor, &declaration.contributor);
            prop_assert_eq!(line.quantity, declaration.quantity);
        }
    }

    /// Executing a distribution settles its lines: the next one, from what the fund then holds,
    /// pays none of them again.
    #[test]
    fn a_second_distribution_pays_no_declaration_again(case in any_case(), contribution in 0..=1_000_000_i64) {
        let first = case.allocate();
        let mut next = case.clone();
        next.already_paid.extend(first.lines.iter().map(|line| line.declaration));
        next.fund_balance = (first.fund_after + contribution).min(ledger_core::amount::BALANCE_MAX);
        let second = next.allocate();
        let paid_first: BTreeSet<DeclarationId> = first.lines.iter().map(|line| line.declaration).collect();
        prop_assert!(second.lines.iter().all(|line| !paid_first.contains(&line.declaration)));
        // Nothing new was declared, so nothing is left to pay.
        prop_assert!(second.lines.is_empty());
        prop_assert_eq!(second.distributed, 0);
    }
}
