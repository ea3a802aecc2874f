//! Applied clearing runs in SQLite: written after the batch's entries (a run names its entry),
//! read back by id with their set-offs and credit postings in the signed order.
//!
//! A run may set off hundreds of thousands of invoices in one entry, so each table is written in
//! one statement whatever the run's size: its rows travel as one bound JSON array of arrays, read
//! back with `json_each` (no limit on bound parameters applies, and sqlx hands one statement, not
//! thousands, to its worker thread).

use ledger_core::names::RequestId;
use sqlx::sqlite::SqliteConnection;

use super::db;
use crate::store::clearing_rows::{CreditRow, RunRow, SetOffRow, credit_rows, run_from_rows, set_off_rows};
use crate::store::rows::int;
use crate::store::{StoreError, StoredRun};

/// Writes one run: its row, then its set-offs and its credit postings, one statement each.
pub(super) async fn write(conn: &mut SqliteConnection, stored: &StoredRun) -> Result<(), StoreError> {
    let run = &stored.run;
    let id = run.id.as_bytes().as_slice();
    sqlx::query("INSERT INTO clearing_runs (id, seq, unit, signer, timestamp_ms) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(int(stored.seq))
        .bind(run.unit.as_str())
        .bind(run.signer.as_str())
        .bind(run.timestamp_ms)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    // Each row a JSON array: index, invoice id (hex), debtor, creditor, remaining before, set-off.
    let set_offs: Vec<(i64, String, &str, &str, i64, i64)> = set_off_rows(run)
        .map(|(index, line)| {
            let invoice = hex::encode(line.invoice.as_bytes());
            (index, invoice, line.debtor.as_str(), line.creditor.as_str(), line.remaining_before, line.set_off)
        })
        .collect();
    sqlx::query(
        "INSERT INTO clearing_set_offs (run, idx, invoice, debtor, creditor, remaining_before, set_off)
         SELECT ?1, value ->> 0, unhex(value ->> 1), value ->> 2, value ->> 3, value ->> 4, value ->> 5
         FROM json_each(?2)",
    )
    .bind(id)
    .bind(serde_json::to_string(&set_offs).expect("numbers and texts serialise"))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if !run.credit.is_empty() {
        // Each row: index, account, balance before, delta.
        let credit: Vec<(i64, &str, i64, i64)> = credit_rows(run)
            .map(|(index, line)| (index, line.account.as_str(), line.balance_before, line.delta))
            .collect();
        sqlx::query(
            "INSERT INTO clearing_credit (run, idx, account, balance_before, delta)
             SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?2)",
        )
        .bind(id)
        .bind(serde_json::to_string(&credit).expect("numbers and texts serialise"))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// One run by id, if applied.
pub(super) async fn read(conn: &mut SqliteConnection, id: RequestId) -> Result<Option<StoredRun>, StoreError> {
    let id = id.as_bytes().as_slice();
    let run: Option<RunRow> =
        sqlx::query_as("SELECT id, seq, unit, signer, timestamp_ms FROM clearing_runs WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let Some(run) = run else { return Ok(None) };
    let set_offs: Vec<SetOffRow> = sqlx::query_as(
        "SELECT invoice, debtor, creditor, remaining_before, set_off FROM clearing_set_offs
         WHERE run = ? ORDER BY idx",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let credit: Vec<CreditRow> =
        sqlx::query_as("SELECT account, balance_before, delta FROM clearing_credit WHERE run = ? ORDER BY idx")
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    run_from_rows(run, set_offs, credit).map(Some)
}
