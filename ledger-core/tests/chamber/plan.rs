//! Planning a distribution from the ledger: the adopted rule in force (never a proposed one), the
//! fund's balance, the declarations of the unit's contributors and their accounts' room below
//! their ceilings. Non-zero pools here; the end-to-end dry run covers an empty fund.

use std::collections::{BTreeMap, BTreeSet};

use ledger_core::account::{Account, AccountKind, AccountStatus, Limits};
use ledger_core::chamber::{Period, Plan, PlanError, PlanInput, RuleRecord, RuleTerms, plan};
use ledger_core::names::{DisplayName, Handle, RuleId, UnitCode};

use crate::support::{amount, declaration, handle, period, rate, rule, terms};

fn unit() -> UnitCode {
    UnitCode::parse("COMMUN").unwrap()
}

fn account(handle: Handle, unit: UnitCode, balance: i64, ceiling: Option<i64>) -> Account {
    Account {
        handle,
        kind: AccountKind::Member,
        unit,
        name: DisplayName::default(),
        balance,
        limits: Limits { credit_limit: amount(0), ceiling: ceiling.map(amount), soft_limit: None },
        status: AccountStatus::Active,
    }
}

fn fund(balance: i64) -> Account {
    Account { kind: AccountKind::System, ..account(Handle::fund_of(&unit()), unit(), balance, None) }
}

/// Half the fund in the pool, a tenth kept, gardening weighs 1.
fn half(share: u32) -> RuleTerms {
    RuleTerms { pool_share: rate(share), reserve_share: rate(1_000), ..terms(&[("gardening", 1_000)]) }
}

fn record(n: u128, terms: RuleTerms, version: Option<u32>) -> RuleRecord {
    RuleRecord {
        id: RuleId::from_uuid(uuid::Uuid::from_u128(n)),
        unit: unit(),
        rule: rule(terms),
        proposer: handle("tom"),
        approvals: BTreeSet::from([handle("tom")]),
        version,
    }
}

fn accounts() -> BTreeMap<Handle, Account> {
    let other = UnitCode::parse("HOUR").unwrap();
    [
        account(handle("alice"), unit(), 0, None),
        // bob may receive 10.00 more before his ceiling.
        account(handle("bob"), unit(), 500, Some(1_500)),
        account(handle("carol"), other, 0, None),
    ]
    .into_iter()
    .map(|account| (account.handle.clone(), account))
    .collect()
}

fn run(fund_balance: i64, rules: &[RuleRecord]) -> Result<Plan, PlanError> {
    let declarations = [
        declaration(1, "alice", "gardening", 2_000),
        declaration(2, "bob", "gardening", 1_000),
        // carol's account holds another unit: another fund pays her.
        declaration(3, "carol", "gardening", 5_000),
    ];
    let (unit, fund, accounts) = (unit(), fund(fund_balance), accounts());
    plan(&PlanInput {
        unit: &unit,
        period: period(),
        fund: &fund,
        rules,
        declarations: &declarations,
        accounts: &accounts,
    })
}

#[test]
fn a_proposed_rule_has_no_effect() {
    assert_eq!(run(10_000, &[record(1, half(5_000), None)]), Err(PlanError::NoRuleInForce(period())));
    assert_eq!(run(10_000, &[]), Err(PlanError::NoRuleInForce(period())));
}

#[test]
fn the_pool_is_shared_among_the_units_contributors_within_their_ceilings() {
    let plan = run(10_000, &[record(1, half(5_000), Some(1)), record(2, half(9_000), None)]).unwrap();
    assert_eq!((plan.rule, plan.version), (RuleId::from_uuid(uuid::Uuid::from_u128(1)), 1));
    let allocation = &plan.allocation;
    assert_eq!((allocation.pool.reserve, allocation.pool.amount), (1_000, 5_000));
    let lines: Vec<(&str, i64)> = allocation.lines.iter().map(|l| (l.contributor.as_str(), l.amount)).collect();
    // 5000 × 2/3 = 3333.33 and 5000 × 1/3 = 1666.67: bob's larger remainder takes the last unit,
    // then his ceiling keeps all but 1000 in the fund.
    assert_eq!(lines, [("alice", 3_333), ("bob", 1_000)]);
    assert_eq!(allocation.withheld.account_ceiling, 667);
    assert_eq!(allocation.distributed, 4_333);
    assert_eq!(allocation.fund_after, 10_000 - 4_333);
    assert!(allocation.lines.iter().all(|l| l.contributor.as_str() != "carol"));
}

#[test]
fn the_latest_adopted_version_in_force_is_the_one_used() {
    let march = Period::parse("2026-03").unwrap();
    let rules = [
        record(1, half(5_000), Some(1)),
        record(2, RuleTerms { effective_from: march, ..half(2_000) }, Some(2)),
        record(3, RuleTerms { effective_from: Period::parse("2026-04").unwrap(), ..half(9_000) }, Some(3)),
    ];
    let plan = run(10_000, &rules).unwrap();
    assert_eq!(plan.version, 2);
    assert_eq!(plan.allocation.pool.amount, 2_000);
    assert_eq!(plan.allocation.distributed, 2_000, "alice 1333, bob 667: both within limits");
}

#[test]
fn a_rule_adopted_for_another_units_fund_is_not_in_force() {
    let hour = RuleRecord { unit: UnitCode::parse("HOUR").unwrap(), ..record(1, half(5_000), Some(1)) };
    assert_eq!(run(10_000, std::slice::from_ref(&hour)), Err(PlanError::NoRuleInForce(period())));
    let plan = run(10_000, &[hour, record(2, half(2_000), Some(2))]).unwrap();
    assert_eq!((plan.version, plan.allocation.pool.amount), (2, 2_000));
}

#[test]
fn an_empty_fund_still_lists_every_line_at_zero() {
    let plan = run(0, &[record(1, half(5_000), Some(1))]).unwrap();
    let lines: Vec<(&str, i64)> = plan.allocation.lines.iter().map(|l| (l.contributor.as_str(), l.amount)).collect();
    assert_eq!(lines, [("alice", 0), ("bob", 0)]);
    assert_eq!(plan.allocation.distributed, 0);
}

#[test]
fn only_the_units_own_fund_is_planned() {
    let (unit, accounts) = (unit(), accounts());
    let rules = [record(1, half(5_000), Some(1))];
    let not_fund = account(handle("alice"), unit.clone(), 100, None);
    let input = PlanInput {
        unit: &unit,
        period: period(),
        fund: &not_fund,
        rules: &rules,
        declarations: &[],
        accounts: &accounts,
    };
    assert_eq!(plan(&input), Err(PlanError::NotTheFund(handle("alice"))));
}
