//! The same inputs give the same allocation whatever their order, so a dry run and the executed
//! distribution are identical; a rule read back from its canonical bytes allocates the same.

use ledger_core::chamber::Rule;
use proptest::prelude::*;

use crate::support::*;

fn case_and_shuffled() -> impl Strategy<Value = (Case, Case)> {
    any_case().prop_flat_map(|case| {
        let declarations = Just(case.declarations.clone()).prop_shuffle();
        (Just(case), declarations).prop_map(|(case, declarations)| {
            let shuffled = Case { declarations, ..case.clone() };
            (case, shuffled)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_same_inputs_in_any_order_give_the_same_allocation((case, shuffled) in case_and_shuffled()) {
        let dry_run = case.allocate();
        prop_assert_eq!(&dry_run, &case.allocate());
        prop_assert_eq!(&dry_run, &shuffled.allocate());
    }

    #[test]
    fn a_rule_read_back_from_its_bytes_allocates_the_same(case in any_case()) {
        let bytes = case.rule.to_canonical_bytes();
        let read_back = Rule::from_canonical_bytes(&bytes).expect("a rule's own bytes decode");
        prop_assert_eq!(&read_back, &case.rule);
        let again = Case { rule: read_back, ..case.clone() };
        prop_assert_eq!(again.allocate(), case.allocate());
    }
}
