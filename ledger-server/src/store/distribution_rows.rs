//! Distributions' stored rows (`distributions`, `distribution_lines` joined with their
//! declarations) to domain types and back, the same for every backend; and what loading a
//! distribution, or planning one, brings into the writer's state besides.

use std::collections::BTreeSet;

use ledger_core::chamber::{
    AllocationLine, Category, CommonsName, Declaration, DistributionRecord, DistributionStatus, Period, Pool, Quantity,
    RuleRecord, Weight,
};
use ledger_core::command::References;
use ledger_core::names::{DeclarationId, DistributionId, Handle, RuleId, UnitCode};
use ledger_core::state::State;

use super::StoreError;
use super::chamber_rows::declaration_id_from_row;
use super::rows::corrupt;

/// `id, unit, period, rule, rule_version, fund_balance, reserve, pool_by_share, pool_fixed, pool,
/// distributed, proposer, approvals, status` of `distributions`, in that order in every backend.
pub(super) type DistributionRow =
    (Vec<u8>, String, String, Vec<u8>, i64, i64, i64, i64, i64, i64, i64, String, String, String);

/// The columns of [`DistributionRow`], as a literal for `concat!`.
macro_rules! distribution_columns {
    () => {
        "id, unit, period, rule, rule_version, fund_balance, reserve, pool_by_share, pool_fixed, pool, distributed, \
         proposer, approvals, status"
    };
}
pub(super) use distribution_columns;

/// `declaration, contributor, commons, category, quantity, weight, amount`: a line joined with its
/// declaration.
pub(super) type LineRow = (Vec<u8>, String, String, String, i64, i64, i64);

/// The most declarations a plan reads for one period, one more than a plan may allocate, so a
/// period past the bound is refused by the planner rather than silently cut.
pub(super) const PLAN_DECLARATIONS_MAX: u32 = ledger_core::chamber::DECLARATIONS_MAX as u32 + 1;

/// The most rules a plan reads for one unit.
pub(super) const PLAN_RULES_MAX: u32 = 10_000;

pub(super) fn distribution_from_rows(
    row: DistributionRow,
    lines: Vec<LineRow>,
) -> Result<DistributionRecord, StoreError> {
    let (
        id,
        unit,
        period,
        rule,
        rule_version,
        fund_balance,
        reserve,
        by_share,
        fixed,
        pool,
        distributed,
        proposer,
        approvals,
        status,
    ) = row;
    let id = DistributionId::from_uuid(uuid::Uuid::from_bytes(
        id.try_into().map_err(|_| corrupt("distributions: an id is not 16 bytes".to_owned()))?,
    ));
    let bad = |what: String| corrupt(format!("distribution {id}: {what}"));
    let rule = RuleId::from_uuid(uuid::Uuid::from_bytes(
        rule.try_into().map_err(|_| bad("the rule id is not 16 bytes".into()))?,
    ));
    let approvals = approvals
        .split(',')
        .map(|text| Handle::parse(text).map_err(|error| bad(error.to_string())))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let lines = lines.into_iter().map(|line| line_from_row(line, &bad)).collect::<Result<Vec<_>, _>>()?;
    let sum: i64 = lines.iter().map(|line| line.amount).sum();
    if sum != distributed {
        return Err(bad(format!("its lines sum to {sum}, not {distributed}")));
    }
    Ok(DistributionRecord {
        id,
        unit: UnitCode::parse(&unit).map_err(|error| bad(error.to_string()))?,
        period: Period::parse(&period).map_err(|error| bad(error.to_string()))?,
        rule,
        rule_version: u32::try_from(rule_version).map_err(|_| bad(format!("rule version {rule_version}")))?,
        pool: Pool { fund_balance, reserve, by_share, fixed, amount: pool },
        lines,
        distributed,
        proposer: Handle::parse(&proposer).map_err(|error| bad(error.to_string()))?,
        approvals,
        status: DistributionStatus::parse(&status).ok_or_else(|| bad(format!("unknown status {status:?}")))?,
    })
}

fn line_from_row(row: LineRow, bad: &impl Fn(String) -> StoreError) -> Result<AllocationLine, StoreError> {
    let (declaration, contributor, commons, category, quantity, weight, amount) = row;
    Ok(AllocationLine {
        declaration: declaration_id_from_row(&declaration)?,
        contributor: Handle::parse(&contributor).map_err(|error| bad(error.to_string()))?,
        commons: CommonsName::parse(&commons).map_err(|error| bad(error.to_string()))?,
        category: Category::parse(&category).map_err(|error| bad(error.to_string()))?,
        quantity: u64::try_from(quantity)
            .ok()
            .and_then(Quantity::from_thousandths)
            .ok_or_else(|| bad(format!("quantity {quantity} out of range")))?,
        weight: u32::try_from(weight)
            .ok()
            .and_then(Weight::from_thousandths)
            .ok_or_else(|| bad(format!("weight {weight} out of range")))?,
        amount,
    })
}

/// The reads a backend answers for [`load`].
pub(super) trait DistributionReads {
    /// A distribution with its lines.
    async fn distribution(&mut self, id: DistributionId) -> Result<Option<DistributionRecord>, StoreError>;
    /// Every declaration of `period` (at most [`PLAN_DECLARATIONS_MAX`]).
    async fn declarations_of(&mut self, period: Period) -> Result<Vec<Declaration>, StoreError>;
    /// One declaration.
    async fn declaration(&mut self, id: DeclarationId) -> Result<Option<Declaration>, StoreError>;
    /// Every rule proposed for `unit`'s fund (at most [`PLAN_RULES_MAX`]).
    async fn rules_of(&mut self, unit: &UnitCode) -> Result<Vec<RuleRecord>, StoreError>;
}

/// Loads the distributions `refs` names and, for each (unit, period) planned, every declaration
/// of the period and every rule of the unit, keeping what `state` holds already (it is newer).
/// Returns what else the loader must bring: funds, units, lines' declarations, contributors.
pub(super) async fn load(
    reads: &mut impl DistributionReads,
    state: &mut State,
    refs: &References,
) -> Result<References, StoreError> {
    let mut extra = References::default();
    for id in &refs.distributions {
        if !state.distributions.contains_key(id)
            && let Some(record) = reads.distribution(*id).await?
        {
            state.distributions.insert(*id, record);
        }
        if let Some(record) = state.distributions.get(id) {
            companions_of(record, &mut extra);
        }
    }
    for (unit, period) in &refs.distribution_plans {
        let declarations = reads.declarations_of(*period).await?;
        plan_companions(unit, &declarations, &mut extra);
        for declaration in declarations {
            state.declarations.entry(declaration.id).or_insert(declaration);
        }
        for record in reads.rules_of(unit).await? {
            state.rules.entry(record.id).or_insert(record);
        }
    }
    for id in &extra.declarations {
        if !state.declarations.contains_key(id)
            && let Some(declaration) = reads.declaration(*id).await?
        {
            state.declarations.insert(*id, declaration);
        }
    }
    Ok(extra)
}

/// What a loaded distribution brings along: its fund and unit, its lines' declarations and
/// their contributors. Declarations are named for the loader to read; the record's lines name
/// their contributors already.
fn companions_of(record: &DistributionRecord, extra: &mut References) {
    extra.handles.push(Handle::fund_of(&record.unit));
    extra.units.push(record.unit.clone());
    extra.declarations.extend(record.lines.iter().map(|line| line.declaration));
    extra.handles.extend(record.lines.iter().map(|line| line.contributor.clone()));
}

/// What a plan of `unit` brings along besides the declarations of its period: the fund, and
/// every contributor of `declarations`.
fn plan_companions(unit: &UnitCode, declarations: &[Declaration], extra: &mut References) {
    extra.handles.push(Handle::fund_of(unit));
    extra.units.push(unit.clone());
    extra.handles.extend(declarations.iter().map(|declaration| declaration.contributor.clone()));
}
