//! Agreements in SQLite: loaded for the businesses a batch touches, listed, and written in the
//! batch's transaction.

use std::collections::BTreeSet;

use ledger_core::names::Handle;
use ledger_core::state::State;
use sqlx::SqliteConnection;

use super::batch_reads::json_texts;
use super::db;
use crate::store::StoreError;
use crate::store::agreement_rows::{AgreementRecord, AgreementRow, agreement_from_row, agreement_values};
use crate::store::rows::absent;

pub(super) async fn read(
    conn: &mut SqliteConnection,
    business: &Handle,
) -> Result<Option<AgreementRecord>, StoreError> {
    let row: Option<AgreementRow> =
        sqlx::query_as("SELECT business, unit, levy_bp, recurring, effective_from FROM agreements WHERE business = ?")
            .bind(business.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    row.map(agreement_from_row).transpose()
}

pub(super) async fn list(
    conn: &mut SqliteConnection,
    after: Option<&Handle>,
    limit: u32,
) -> Result<Vec<AgreementRecord>, StoreError> {
    let rows: Vec<AgreementRow> = sqlx::query_as(
        "SELECT business, unit, levy_bp, recurring, effective_from FROM agreements WHERE business > ? ORDER BY business LIMIT ?",
    )
    .bind(after.map_or("", Handle::as_str))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(agreement_from_row).collect()
}

/// Loads the agreements of `businesses` that `state` does not hold yet; a business without one
/// stays absent (a payment to it pays no levy).
pub(super) async fn load(
    conn: &mut SqliteConnection,
    state: &mut State,
    businesses: &[Handle],
) -> Result<(), StoreError> {
    let wanted: Vec<&str> =
        businesses.iter().filter(|business| !state.agreements.contains_key(*business)).map(Handle::as_str).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    // One statement for the batch (every payee of every payment), as `batch_reads` does.
    let rows: Vec<AgreementRow> = sqlx::query_as(
        "SELECT business, unit, levy_bp, recurring, effective_from FROM agreements
         WHERE business IN (SELECT value FROM json_each(?))",
    )
    .bind(json_texts(wanted))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    for row in rows {
        let record = agreement_from_row(row)?;
        state.agreements.insert(record.agreement.business().clone(), record.agreement);
    }
    Ok(())
}

/// Writes the agreements set: the newest terms replace the row (the journal keeps every version).
pub(super) async fn write(
    conn: &mut SqliteConnection,
    state: &State,
    businesses: &BTreeSet<Handle>,
) -> Result<(), StoreError> {
    for business in businesses {
        let agreement = state.agreements.get(business).ok_or_else(|| absent("agreement", business))?;
        let unit = &state.accounts.get(business).ok_or_else(|| absent("account", business))?.unit;
        let (levy_bp, recurring, effective_from) = agreement_values(agreement);
        sqlx::query(
            "INSERT INTO agreements (business, unit, levy_bp, recurring, effective_from) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (business) DO UPDATE SET levy_bp = excluded.levy_bp, recurring = excluded.recurring,
                 effective_from = excluded.effective_from",
        )
        .bind(business.as_str())
        .bind(unit.as_str())
        .bind(levy_bp)
        .bind(recurring)
        .bind(effective_from)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}
