//! Applied clearing runs in PostgreSQL: written after the batch's entries (a run names its
//! entry), arrays bound as single parameters, read back by id with their set-offs and credit
//! postings in the signed order. A run's set-offs go in statements of at most
//! [`SET_OFFS_PER_STATEMENT`], so that no statement of a run at the largest size the core accepts
//! comes near `statement_timeout`.

use ledger_core::names::RequestId;
use sqlx::postgres::PgConnection;

use super::db;
use crate::store::clearing_rows::{CreditRow, RunRow, SetOffRow, credit_rows, run_from_rows, set_off_rows};
use crate::store::rows::int;
use crate::store::{StoreError, StoredRun};

/// The most set-off rows one statement inserts: tens of milliseconds each, however large the
/// run, far from `statement_timeout` (5 s by default).
const SET_OFFS_PER_STATEMENT: usize = 20_000;

/// Writes one run: its row, its set-offs and its credit postings.
pub(super) async fn write(conn: &mut PgConnection, stored: &StoredRun) -> Result<(), StoreError> {
    let run = &stored.run;
    let id = run.id.as_bytes().as_slice();
    sqlx::query("INSERT INTO clearing_runs (id, seq, unit, signer, timestamp_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(int(stored.seq))
        .bind(run.unit.as_str())
        .bind(run.signer.as_str())
        .bind(run.timestamp_ms)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let set_offs: Vec<_> = set_off_rows(run).collect();
    for chunk in set_offs.chunks(SET_OFFS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO clearing_set_offs (run, idx, invoice, debtor, creditor, remaining_before, set_off)
             SELECT $1, * FROM UNNEST($2::INTEGER[], $3::BYTEA[], $4::TEXT[], $5::TEXT[], $6::BIGINT[],
                                      $7::BIGINT[])",
        )
        .bind(id)
        .bind(chunk.iter().map(|(index, _)| *index as i32).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, line)| line.invoice.as_bytes().as_slice()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, line)| line.debtor.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, line)| line.creditor.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, line)| line.remaining_before).collect::<Vec<_>>())
        .bind(chunk.iter().map(|(_, line)| line.set_off).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    if !run.credit.is_empty() {
        let credit: Vec<_> = credit_rows(run).collect();
        sqlx::query(
            "INSERT INTO clearing_credit (run, idx, account, balance_before, delta)
             SELECT $1, * FROM UNNEST($2::INTEGER[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[])",
        )
        .bind(id)
        .bind(credit.iter().map(|(index, _)| *index as i32).collect::<Vec<_>>())
        .bind(credit.iter().map(|(_, line)| line.account.as_str()).collect::<Vec<_>>())
        .bind(credit.iter().map(|(_, line)| line.balance_before).collect::<Vec<_>>())
        .bind(credit.iter().map(|(_, line)| line.delta).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// One run by id, if applied.
pub(super) async fn read(conn: &mut PgConnection, id: RequestId) -> Result<Option<StoredRun>, StoreError> {
    let id = id.as_bytes().as_slice();
    let run: Option<RunRow> =
        sqlx::query_as("SELECT id, seq, unit, signer, timestamp_ms FROM clearing_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let Some(run) = run else { return Ok(None) };
    let set_offs: Vec<SetOffRow> = sqlx::query_as(
        "SELECT invoice, debtor, creditor, remaining_before, set_off FROM clearing_set_offs
         WHERE run = $1 ORDER BY idx",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let credit: Vec<CreditRow> =
        sqlx::query_as("SELECT account, balance_before, delta FROM clearing_credit WHERE run = $1 ORDER BY idx")
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    run_from_rows(run, set_offs, credit).map(Some)
}
