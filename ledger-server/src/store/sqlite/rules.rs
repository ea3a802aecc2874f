//! The rule book's rows in SQLite: rules and the quorum, read for the writer's state and for
//! listings, written in the batch's transaction.

use ledger_core::chamber::{RuleBook, RuleRecord};
use ledger_core::command::References;
use ledger_core::names::RuleId;
use ledger_core::state::{Changes, State};
use sqlx::SqliteConnection;

use super::db;
use crate::store::StoreError;
use crate::store::rows::absent;
use crate::store::rule_rows::{
    RuleRow, adopted_from_row, approvals_text, quorum_from_row, rule_from_row, version_value,
};

pub(super) async fn read_rule(conn: &mut SqliteConnection, id: RuleId) -> Result<Option<RuleRecord>, StoreError> {
    let row: Option<RuleRow> =
        sqlx::query_as("SELECT id, unit, terms, proposer, approvals, version FROM rules WHERE id = ?")
            .bind(id.as_bytes().as_slice())
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    row.map(rule_from_row).transpose()
}

/// Rules in id order after `after`.
pub(super) async fn list_rules(
    conn: &mut SqliteConnection,
    after: Option<RuleId>,
    limit: u32,
) -> Result<Vec<RuleRecord>, StoreError> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT id, unit, terms, proposer, approvals, version FROM rules WHERE id > ? ORDER BY id LIMIT ?",
    )
    .bind(after.map_or_else(Vec::new, |id| id.as_bytes().to_vec()))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(rule_from_row).collect()
}

/// The quorum (1 until set) and the last version given.
pub(super) async fn read_rule_book(conn: &mut SqliteConnection) -> Result<RuleBook, StoreError> {
    let quorum: Option<(i64,)> = sqlx::query_as("SELECT approvals FROM rule_quorum WHERE singleton = 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let (max,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM rules").fetch_one(&mut *conn).await.map_err(db)?;
    Ok(RuleBook {
        quorum: quorum.map(|(approvals,)| quorum_from_row(approvals)).transpose()?.unwrap_or_default(),
        adopted: adopted_from_row(max)?,
    })
}

/// Loads the rule book and the rules `refs` names that `state` does not hold yet.
pub(super) async fn load(conn: &mut SqliteConnection, state: &mut State, refs: &References) -> Result<(), StoreError> {
    if refs.rule_book && state.rule_book.is_none() {
        state.rule_book = Some(read_rule_book(conn).await?);
    }
    for id in &refs.rules {
        if !state.rules.contains_key(id)
            && let Some(record) = read_rule(conn, *id).await?
        {
            state.rules.insert(*id, record);
        }
    }
    Ok(())
}

/// Writes the quorum set and the rules proposed, approved or adopted: only approvals and the
/// version of a rule ever change.
pub(super) async fn write(conn: &mut SqliteConnection, state: &State, changes: &Changes) -> Result<(), StoreError> {
    if changes.quorum {
        let book = state.rule_book.ok_or_else(|| absent("rule book", "quorum"))?;
        sqlx::query(
            "INSERT INTO rule_quorum (singleton, approvals) VALUES (1, ?)
             ON CONFLICT (singleton) DO UPDATE SET approvals = excluded.approvals",
        )
        .bind(i64::from(book.quorum.approvals()))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    for id in &changes.rules {
        let record = state.rules.get(id).ok_or_else(|| absent("rule", id))?;
        sqlx::query(
            "INSERT INTO rules (id, unit, terms, effective_from, proposer, approvals, version)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET approvals = excluded.approvals, version = excluded.version",
        )
        .bind(record.id.as_bytes().as_slice())
        .bind(record.unit.as_str())
        .bind(record.rule.to_canonical_bytes())
        .bind(record.rule.effective_from().to_string())
        .bind(record.proposer.as_str())
        .bind(approvals_text(&record.approvals))
        .bind(version_value(record))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}
