//! Distributions' rows in SQLite: read for the writer's state (with what proposing or approving
//! one needs besides) and for `GetDistribution`, written in the batch's transaction.

use ledger_core::chamber::{DistributionRecord, RuleRecord};
use ledger_core::command::References;
use ledger_core::names::{DistributionId, UnitCode};
use ledger_core::state::{Changes, State};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{INSERT_ROWS_MAX, chamber, db};
use crate::store::distribution_rows::{
    DistributionRow, LineRow, PLAN_DECLARATIONS_MAX, PLAN_RULES_MAX, approvals_column, companions_of,
    distribution_columns, distribution_from_rows, plan_companions,
};
use crate::store::rows::absent;
use crate::store::rule_rows::{RuleRow, rule_from_row};
use crate::store::{DeclarationFilter, StoreError};

pub(super) async fn read(
    conn: &mut SqliteConnection,
    id: DistributionId,
) -> Result<Option<DistributionRecord>, StoreError> {
    let sql = concat!("SELECT ", distribution_columns!(), " FROM distributions WHERE id = ?");
    let row: Option<DistributionRow> =
        sqlx::query_as(sql).bind(id.as_bytes().as_slice()).fetch_optional(&mut *conn).await.map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT l.declaration, d.contributor, d.commons, d.category, d.quantity, l.weight, l.amount
         FROM distribution_lines l JOIN declarations d ON d.id = l.declaration
         WHERE l.distribution = ? ORDER BY l.declaration",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_all(conn)
    .await
    .map_err(db)?;
    distribution_from_rows(row, lines).map(Some)
}

/// Every rule proposed for `unit`'s fund.
async fn rules_of(conn: &mut SqliteConnection, unit: &UnitCode) -> Result<Vec<RuleRecord>, StoreError> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT id, unit, terms, proposer, approvals, version FROM rules WHERE unit = ? ORDER BY id LIMIT ?",
    )
    .bind(unit.as_str())
    .bind(i64::from(PLAN_RULES_MAX))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(rule_from_row).collect()
}

/// Loads the distributions `refs` names and, for each (unit, period) planned, every declaration
/// of the period and every rule of the unit, keeping what `state` holds already (it is newer).
/// Returns what else the loader must bring: funds, units, lines' declarations, contributors.
pub(super) async fn load(
    conn: &mut SqliteConnection,
    state: &mut State,
    refs: &References,
) -> Result<References, StoreError> {
    let mut extra = References::default();
    for id in &refs.distributions {
        if !state.distributions.contains_key(id)
            && let Some(record) = read(conn, *id).await?
        {
            state.distributions.insert(*id, record);
        }
        if let Some(record) = state.distributions.get(id) {
            companions_of(record, &mut extra);
        }
    }
    for (unit, period) in &refs.distribution_plans {
        let filter = DeclarationFilter { period: Some(*period), ..Default::default() };
        let declarations = chamber::list_declarations(conn, &filter, None, PLAN_DECLARATIONS_MAX).await?;
        plan_companions(unit, &declarations, &mut extra);
        for declaration in declarations {
            state.declarations.entry(declaration.id).or_insert(declaration);
        }
        for record in rules_of(conn, unit).await? {
            state.rules.entry(record.id).or_insert(record);
        }
    }
    for id in &extra.declarations {
        if !state.declarations.contains_key(id)
            && let Some(declaration) = chamber::read_declaration(conn, *id).await?
        {
            state.declarations.insert(*id, declaration);
        }
    }
    Ok(extra)
}

/// Writes the distributions proposed, approved or executed: a new one with its lines, a known
/// one's approvals and status (nothing else of it ever changes).
pub(super) async fn write(conn: &mut SqliteConnection, state: &State, changes: &Changes) -> Result<(), StoreError> {
    for id in &changes.distributions {
        let record = state.distributions.get(id).ok_or_else(|| absent("distribution", id))?;
        let known: Option<(String,)> = sqlx::query_as("SELECT status FROM distributions WHERE id = ?")
            .bind(id.as_bytes().as_slice())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        let sql = concat!(
            "INSERT INTO distributions (",
            distribution_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET approvals = excluded.approvals, status = excluded.status"
        );
        sqlx::query(sql)
            .bind(id.as_bytes().as_slice())
            .bind(record.unit.as_str())
            .bind(record.period.to_string())
            .bind(record.rule.as_bytes().as_slice())
            .bind(i64::from(record.rule_version))
            .bind(record.pool.fund_balance)
            .bind(record.pool.reserve)
            .bind(record.pool.by_share)
            .bind(record.pool.fixed)
            .bind(record.pool.amount)
            .bind(record.distributed)
            .bind(record.proposer.as_str())
            .bind(approvals_column(record))
            .bind(record.status.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        if known.is_some() {
            continue;
        }
        for chunk in record.lines.chunks(INSERT_ROWS_MAX) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO distribution_lines (distribution, declaration, amount, weight) ",
            );
            insert.push_values(chunk, |mut row, line| {
                row.push_bind(id.as_bytes().to_vec())
                    .push_bind(line.declaration.as_bytes().to_vec())
                    .push_bind(line.amount)
                    .push_bind(i64::from(line.weight.thousandths()));
            });
            insert.build().execute(&mut *conn).await.map_err(db)?;
        }
    }
    Ok(())
}
