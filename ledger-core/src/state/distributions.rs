//! Applying `ProposeDistribution` and `ApproveDistribution` (see `crate::chamber::distribution`
//! for what they mean). A proposal is planned again here from the state of its moment and
//! refused unless it is the plan its treasurer signed; the approval that reaches the quorum
//! (possibly the proposal itself) executes the planned lines in its own entry. On refusal
//! nothing changes: no approval is counted, nothing moves.

use std::collections::BTreeMap;

use super::contributions::committed;
use super::{Applied, State};
use crate::account::Account;
use crate::amount::{Amount, format_minor};
use crate::chamber::{
    Declaration, DistributionRecord, DistributionStatus, Period, Plan, PlanInput, RuleRecord, distribution_transfer_id,
    lines_digest, plan,
};
use crate::names::{DistributionId, Handle, Memo, RuleId, UnitCode};
use crate::refusal::Refusal;
use crate::transfer::TransferKind;

/// What a treasurer signed when proposing a distribution.
pub(super) struct SignedPlan<'a> {
    /// The proposal's id.
    pub id: DistributionId,
    /// Whose fund.
    pub unit: &'a UnitCode,
    /// The period paid.
    pub period: Period,
    /// The rule in force, as reviewed.
    pub rule: RuleId,
    /// What it moves from the fund, in minor units.
    pub distributed: i64,
    /// The digest of the lines reviewed.
    pub lines_digest: &'a [u8; 32],
}

impl State {
    /// The distribution of `unit`'s fund for `period` as a proposal applied now would plan it:
    /// from this state's rules of the unit, declarations of the period, their contributors'
    /// accounts and the fund (see [`crate::chamber::plan()`]).
    pub fn plan_distribution(&self, unit: &UnitCode, period: Period) -> Result<Plan, Refusal> {
        let fund = self.account(&Handle::fund_of(unit))?;
        let rules: Vec<RuleRecord> = self.rules.values().filter(|record| record.unit == *unit).cloned().collect();
        let declarations: Vec<Declaration> =
            self.declarations.values().filter(|declaration| declaration.period == period).cloned().collect();
        let accounts: BTreeMap<Handle, Account> = declarations
            .iter()
            .filter_map(|declaration| self.accounts.get(&declaration.contributor))
            .map(|account| (account.handle.clone(), account.clone()))
            .collect();
        plan(&PlanInput { unit, period, fund, rules: &rules, declarations: &declarations, accounts: &accounts })
            .map_err(|error| Refusal::NoDistributionPlan(error.to_string()))
    }

    /// `ProposeDistribution` by the treasurer `proposer`: the proposal is its first approval.
    pub(super) fn propose_distribution(
        &mut self,
        signed: &SignedPlan<'_>,
        proposer: Handle,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        if self.distributions.contains_key(&signed.id) {
            return Err(Refusal::DistributionExists(signed.id));
        }
        let scale = self.unit(signed.unit)?.scale;
        if Period::of_timestamp_ms(timestamp_ms).is_some_and(|now| signed.period > now) {
            return Err(Refusal::PeriodNotStarted(signed.period));
        }
        let planned = self.plan_distribution(signed.unit, signed.period)?;
        let allocation = planned.allocation;
        if allocation.lines.is_empty() {
            return Err(Refusal::NothingToDistribute { unit: signed.unit.clone(), period: signed.period });
        }
        if planned.rule != signed.rule {
            let what =
                format!("the rule in force is {} (version {}), not {}", planned.rule, planned.version, signed.rule);
            return Err(Refusal::DistributionChanged { what });
        }
        if allocation.distributed != signed.distributed {
            let what = format!(
                "it distributes {}, not {}",
                format_minor(i128::from(allocation.distributed), scale),
                format_minor(i128::from(signed.distributed), scale)
            );
            return Err(Refusal::DistributionChanged { what });
        }
        if lines_digest(&allocation.lines) != *signed.lines_digest {
            return Err(Refusal::DistributionChanged { what: "its lines differ".into() });
        }
        let record = DistributionRecord {
            id: signed.id,
            unit: signed.unit.clone(),
            period: signed.period,
            rule: planned.rule,
            rule_version: planned.version,
            pool: allocation.pool,
            lines: allocation.lines,
            distributed: allocation.distributed,
            proposer: proposer.clone(),
            approvals: [proposer].into(),
            status: DistributionStatus::Proposed,
        };
        self.executed_if_quorum(record, timestamp_ms)
    }

    /// `ApproveDistribution` by the treasurer `approver`: once per treasurer, and only while
    /// proposed.
    pub(super) fn approve_distribution(
        &mut self,
        id: DistributionId,
        approver: Handle,
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        let mut record = self.distributions.get(&id).cloned().ok_or(Refusal::UnknownDistribution(id))?;
        if record.status == DistributionStatus::Executed {
            return Err(Refusal::DistributionAlreadyExecuted(id));
        }
        if record.approvals.contains(&approver) {
            return Err(Refusal::DistributionAlreadyApproved { distribution: id, by: approver });
        }
        record.approvals.insert(approver);
        self.executed_if_quorum(record, timestamp_ms)
    }

    /// Records `record`, executing it first if its approvals reach the quorum now.
    fn executed_if_quorum(&mut self, mut record: DistributionRecord, timestamp_ms: i64) -> Result<Applied, Refusal> {
        // `approvals` holds at most `Quorum::MAX` handles, far below `u32::MAX`.
        let approvals = u32::try_from(record.approvals.len()).unwrap_or(u32::MAX);
        let applied = if approvals >= self.rule_book_or_default().quorum.approvals() {
            let applied = self.execute(&record, timestamp_ms)?;
            record.status = DistributionStatus::Executed;
            applied
        } else {
            Applied::default()
        };
        self.changes.distributions.insert(record.id);
        self.distributions.insert(record.id, record);
        Ok(applied)
    }

    /// Moves `record`'s lines from the fund: every declaration still unpaid, every payee able to
    /// take its amount (an active account of the unit, within its ceiling), the fund never below
    /// zero. Checks everything before changing anything.
    fn execute(&mut self, record: &DistributionRecord, timestamp_ms: i64) -> Result<Applied, Refusal> {
        for line in &record.lines {
            let declaration =
                self.declarations.get(&line.declaration).ok_or(Refusal::UnknownDeclaration(line.declaration))?;
            if let Some(by) = declaration.paid_by {
                return Err(Refusal::DeclarationAlreadyPaid { declaration: line.declaration, by });
            }
        }
        let fund = Handle::fund_of(&record.unit);
        let payouts: Vec<(Handle, Amount)> = record
            .payouts()
            .into_iter()
            .map(|(contributor, minor)| {
                let amount = Amount::from_minor(minor).ok_or(Refusal::NoDistributionPlan(format!(
                    "{contributor}'s part, {minor} minor units, is not an amount"
                )))?;
                Ok((contributor, amount))
            })
            .collect::<Result<_, Refusal>>()?;
        let moves: Vec<(&Handle, &Handle, Amount)> =
            payouts.iter().map(|(contributor, amount)| (&fund, contributor, *amount)).collect();
        // `move_net` judges the fund (no credit limit: never below zero) and every payee.
        let applied = if moves.is_empty() { Applied::default() } else { self.move_net(&record.unit, &moves)? };
        let memo = Memo::parse(&format!("distribution for {}", record.period)).expect("short and printable");
        for (contributor, amount) in &payouts {
            let id = distribution_transfer_id(record.id, contributor);
            let transfer = committed(
                id,
                TransferKind::Distribution,
                &fund,
                contributor,
                &record.unit,
                *amount,
                memo.clone(),
                timestamp_ms,
            );
            self.insert_transfer(transfer);
        }
        for line in &record.lines {
            let declaration = Declaration { paid_by: Some(record.id), ..self.declarations[&line.declaration].clone() };
            self.insert_declaration(declaration);
        }
        Ok(applied)
    }
}
