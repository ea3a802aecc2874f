//! Planning one period's distribution of one unit's fund: which adopted rule is in force, which
//! declarations count, how much room each contributor's account has, and then [`allocate`].
//! A dry run serves the plan as it is; a proposed distribution is this plan, planned again from
//! the ledger's state when the proposal is applied, and executed as planned.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::{Account, AccountStatus};
use crate::names::{DeclarationId, Handle, RuleId, UnitCode};

use super::allocate::{AllocationError, AllocationInput, allocate};
use super::allocation::{Allocation, SkipReason, Skipped};
use super::declaration::{Declaration, DeclarationStatus};
use super::period::Period;
use super::rule::{Rule, rule_in_force};
use super::rule_book::RuleRecord;

/// What a plan reads.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// The unit whose fund is distributed.
    pub unit: &'a UnitCode,
    /// The period distributed.
    pub period: Period,
    /// The fund account (`fund-<unit>`), for its balance.
    pub fund: &'a Account,
    /// Every rule proposed or adopted, in any order: only those adopted for `unit` count.
    pub rules: &'a [RuleRecord],
    /// The declarations to consider, in any order. Those whose contributor holds no account of
    /// `unit` are another fund's to pay and are left out before allocating.
    pub declarations: &'a [Declaration],
    /// The contributors' accounts, by handle (others may be present).
    pub accounts: &'a BTreeMap<Handle, Account>,
}

/// A planned distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The rule in force for the period.
    pub rule: RuleId,
    /// Its version (order of adoption).
    pub version: u32,
    /// The allocation it gives.
    pub allocation: Allocation,
}

/// Why no plan could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no adopted rule is in force for {0}: a rule counts only once a quorum of treasurers approved it")]
    NoRuleInForce(Period),
    #[error("{0} is not the commons fund of the unit distributed")]
    NotTheFund(Handle),
    #[error(transparent)]
    Allocation(#[from] AllocationError),
}

/// Plans `input.period`'s distribution (see the module documentation).
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, PlanError> {
    if input.fund.handle != Handle::fund_of(input.unit) || input.fund.unit != *input.unit {
        return Err(PlanError::NotTheFund(input.fund.handle.clone()));
    }
    let mut adopted: Vec<&RuleRecord> =
        input.rules.iter().filter(|record| record.version.is_some() && record.unit == *input.unit).collect();
    adopted.sort_by_key(|record| record.version);
    let rules: Vec<Rule> = adopted.iter().map(|record| record.rule.clone()).collect();
    let in_force = rule_in_force(&rules, input.period).ok_or(PlanError::NoRuleInForce(input.period))?;
    let place = rules.iter().position(|rule| std::ptr::eq(rule, in_force)).expect("picked among these rules");
    let record = adopted[place];

    let of_unit = |handle: &Handle| input.accounts.get(handle).is_some_and(|account| account.unit == *input.unit);
    let declarations = input.declarations.iter().filter(|declaration| of_unit(&declaration.contributor)).cloned();
    // A frozen or closed account can receive nothing, and settling its work at zero would be
    // unfair: its validated, unpaid declarations wait for a later distribution of the period.
    let waits = |declaration: &Declaration| {
        declaration.status == DeclarationStatus::Validated
            && declaration.paid_by.is_none()
            && input.accounts[&declaration.contributor].status != AccountStatus::Active
    };
    let (waiting, declarations): (Vec<Declaration>, Vec<Declaration>) = declarations.partition(waits);
    let contributors: BTreeSet<&Handle> = declarations.iter().map(|declaration| &declaration.contributor).collect();
    let ceiling_room: BTreeMap<Handle, i64> = contributors
        .into_iter()
        .filter_map(|handle| {
            let account = &input.accounts[handle];
            // Both within ±BALANCE_MAX: the difference fits in i64.
            account.limits.ceiling.map(|ceiling| (handle.clone(), ceiling.minor() - account.balance))
        })
        .collect();
    // Settled by an earlier distribution: the declaration says so itself.
    let already_paid: BTreeSet<DeclarationId> = declarations
        .iter()
        .filter(|declaration| declaration.paid_by.is_some())
        .map(|declaration| declaration.id)
        .collect();
    let mut allocation = allocate(&AllocationInput {
        period: input.period,
        fund_balance: input.fund.balance,
        rule: in_force,
        declarations: &declarations,
        already_paid: &already_paid,
        ceiling_room: &ceiling_room,
    })?;
    allocation.skipped.extend(
        waiting
            .iter()
            .map(|declaration| Skipped { declaration: declaration.id, reason: SkipReason::ContributorInactive }),
    );
    allocation.skipped.sort_by_key(|skipped| skipped.declaration);
    Ok(Plan { rule: record.id, version: record.version.expect("adopted"), allocation })
}
