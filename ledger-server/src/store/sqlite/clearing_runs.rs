//! Applied clearing runs in SQLite: written after the batch's entries (a run names its entry),
//! read back by id with their set-offs and credit postings in the signed order.

use ledger_core::names::RequestId;
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Sqlite};

use super::{INSERT_ROWS_MAX, db};
use crate::store::clearing_rows::{CreditRow, RunRow, SetOffRow, credit_rows, run_from_rows, set_off_rows};
use crate::store::rows::int;
use crate::store::{StoreError, StoredRun};

/// Writes one run: its row, then its set-offs and credit postings in multi-row statements.
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
    let set_offs: Vec<_> = set_off_rows(run).collect();
    for chunk in set_offs.chunks(INSERT_ROWS_MAX) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO clearing_set_offs (run, idx, invoice, debtor, creditor, remaining_before, set_off) ",
        );
        insert.push_values(chunk, |mut row, (index, line)| {
            row.push_bind(id)
                .push_bind(*index)
                .push_bind(line.invoice.as_bytes().to_vec())
                .push_bind(line.debtor.as_str())
                .push_bind(line.creditor.as_str())
                .push_bind(line.remaining_before)
                .push_bind(line.set_off);
        });
        insert.build().execute(&mut *conn).await.map_err(db)?;
    }
    let credit: Vec<_> = credit_rows(run).collect();
    for chunk in credit.chunks(INSERT_ROWS_MAX) {
        let mut insert =
            QueryBuilder::<Sqlite>::new("INSERT INTO clearing_credit (run, idx, account, balance_before, delta) ");
        insert.push_values(chunk, |mut row, (index, line)| {
            row.push_bind(id)
                .push_bind(*index)
                .push_bind(line.account.as_str())
                .push_bind(line.balance_before)
                .push_bind(line.delta);
        });
        insert.build().execute(&mut *conn).await.map_err(db)?;
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
