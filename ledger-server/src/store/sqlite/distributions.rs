//! Distributions' rows in SQLite: read for the writer's state (with what proposing or approving
//! one needs besides) and for `GetDistribution`, written in the batch's transaction.

use ledger_core::chamber::{Declaration, DistributionRecord, Period, RuleRecord};
use ledger_core::names::{DeclarationId, DistributionId, UnitCode};
use ledger_core::state::{Changes, State};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{INSERT_ROWS_MAX, chamber, db};
use crate::store::distribution_rows::{
    DistributionReads, DistributionRow, LineRow, PLAN_DECLARATIONS_MAX, PLAN_RULES_MAX, distribution_columns,
    distribution_from_rows,
};
use crate::store::rows::absent;
use crate::store::rule_rows::{RuleRow, approvals_text, rule_from_row};
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

impl DistributionReads for SqliteConnection {
    async fn distribution(&mut self, id: DistributionId) -> Result<Option<DistributionRecord>, StoreError> {
        read(self, id).await
    }

    async fn declarations_of(&mut self, period: Period) -> Result<Vec<Declaration>, StoreError> {
        let filter = DeclarationFilter { period: Some(period), ..Default::default() };
        chamber::list_declarations(self, &filter, None, PLAN_DECLARATIONS_MAX).await
    }

    async fn declaration(&mut self, id: DeclarationId) -> Result<Option<Declaration>, StoreError> {
        chamber::read_declaration(self, id).await
    }

    async fn rules_of(&mut self, unit: &UnitCode) -> Result<Vec<RuleRecord>, StoreError> {
        let rows: Vec<RuleRow> = sqlx::query_as(
            "SELECT id, unit, terms, proposer, approvals, version FROM rules WHERE unit = ? ORDER BY id LIMIT ?",
        )
        .bind(unit.as_str())
        .bind(i64::from(PLAN_RULES_MAX))
        .fetch_all(self)
        .await
        .map_err(db)?;
        rows.into_iter().map(rule_from_row).collect()
    }
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
            .bind(approvals_text(&record.approvals))
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
