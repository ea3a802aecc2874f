//! The `invoices` projection in PostgreSQL: read by id for the writer, listed for the API, written
//! back from the batch's state, arrays bound as single parameters: one statement for an import,
//! statements of at most [`INVOICES_PER_STATEMENT`] invoices for a clearing run of hundreds of
//! thousands, so that none comes near `statement_timeout`.

use ledger_core::invoice::Invoice;
use ledger_core::names::RequestId;
use sqlx::postgres::PgConnection;

use super::db;
use crate::store::rows::{InvoiceRow, invoice_from_row};
use crate::store::{InvoiceFilter, StoreError};

/// The most invoices one statement reads or writes: tens of milliseconds each, however large the
/// run, far from `statement_timeout` (5 s by default).
const INVOICES_PER_STATEMENT: usize = 20_000;

/// The invoices with these ids (those that do not exist are absent).
pub(super) async fn read(conn: &mut PgConnection, ids: &[RequestId]) -> Result<Vec<Invoice>, StoreError> {
    let mut invoices = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(INVOICES_PER_STATEMENT) {
        let chunk: Vec<&[u8]> = chunk.iter().map(|id| id.as_bytes().as_slice()).collect();
        let rows: Vec<InvoiceRow> = sqlx::query_as(
            "SELECT id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms
             FROM invoices WHERE id = ANY($1)",
        )
        .bind(&chunk)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for row in rows {
            invoices.push(invoice_from_row(row)?);
        }
    }
    Ok(invoices)
}

/// A page of invoices passing `filter`, by id after `after`.
pub(super) async fn list(
    conn: &mut PgConnection,
    filter: &InvoiceFilter,
    after: Option<RequestId>,
    limit: u32,
) -> Result<Vec<Invoice>, StoreError> {
    // An empty text stands for "any": no unit code, status or handle is empty.
    let rows: Vec<InvoiceRow> = sqlx::query_as(
        "SELECT id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms
         FROM invoices
         WHERE ($1 = '' OR unit = $1) AND ($2 = '' OR status = $2)
           AND ($3 = '' OR creditor = $3 OR debtor = $3) AND id > $4
         ORDER BY id LIMIT $5",
    )
    .bind(filter.unit.as_ref().map_or("", |unit| unit.as_str()))
    .bind(filter.status.map_or("", |status| status.as_str()))
    .bind(filter.party.as_ref().map_or("", |party| party.as_str()))
    .bind(after.map_or_else(Vec::new, |id| id.as_bytes().to_vec()))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(invoice_from_row).collect()
}

/// Upserts invoices; what changes after creation is the status and what remains.
pub(super) async fn write(conn: &mut PgConnection, invoices: &[&Invoice]) -> Result<(), StoreError> {
    for invoices in invoices.chunks(INVOICES_PER_STATEMENT) {
        write_chunk(&mut *conn, invoices).await?;
    }
    Ok(())
}

async fn write_chunk(conn: &mut PgConnection, invoices: &[&Invoice]) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO invoices (id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms)
         SELECT * FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[],
                              $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BIGINT[])
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, remaining = excluded.remaining",
    )
    .bind(invoices.iter().map(|i| i.id.as_bytes().as_slice()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.creditor.as_str()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.debtor.as_str()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.amount.minor()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.remaining.minor()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.due.map(|due| due.to_string())).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.status.as_str()).collect::<Vec<_>>())
    .bind(invoices.iter().map(|i| i.created_ms).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
