//! The `invoices` projection in SQLite: read by id for the writer, listed for the API, written
//! back from the batch's state. An import changes up to a thousand invoices in one entry, so
//! reads and writes go in multi-row statements.

use ledger_core::invoice::Invoice;
use ledger_core::names::RequestId;
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Sqlite};

use super::{INSERT_ROWS_MAX, db};
use crate::store::rows::{InvoiceRow, invoice_from_row};
use crate::store::{InvoiceFilter, StoreError};

/// The invoices with these ids (those that do not exist are absent).
pub(super) async fn read(conn: &mut SqliteConnection, ids: &[RequestId]) -> Result<Vec<Invoice>, StoreError> {
    let mut invoices = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(INSERT_ROWS_MAX) {
        let mut select = QueryBuilder::<Sqlite>::new(
            "SELECT id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms
             FROM invoices WHERE id IN (",
        );
        let mut list = select.separated(", ");
        for id in chunk {
            list.push_bind(id.as_bytes().as_slice());
        }
        select.push(")");
        let rows: Vec<InvoiceRow> = select.build_query_as().fetch_all(&mut *conn).await.map_err(db)?;
        for row in rows {
            invoices.push(invoice_from_row(row)?);
        }
    }
    Ok(invoices)
}

/// A page of invoices passing `filter`, by id after `after`.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    filter: &InvoiceFilter,
    after: Option<RequestId>,
    limit: u32,
) -> Result<Vec<Invoice>, StoreError> {
    // An empty text stands for "any": no unit code, status or handle is empty.
    let rows: Vec<InvoiceRow> = sqlx::query_as(
        "SELECT id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms
         FROM invoices
         WHERE (?1 = '' OR unit = ?1) AND (?2 = '' OR status = ?2)
           AND (?3 = '' OR creditor = ?3 OR debtor = ?3) AND id > ?4
         ORDER BY id LIMIT ?5",
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
pub(super) async fn write(conn: &mut SqliteConnection, invoices: &[&Invoice]) -> Result<(), StoreError> {
    for chunk in invoices.chunks(INSERT_ROWS_MAX) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO invoices
             (id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms) ",
        );
        upsert.push_values(chunk, |mut row, invoice| {
            row.push_bind(invoice.id.as_bytes().to_vec())
                .push_bind(invoice.creditor.as_str())
                .push_bind(invoice.debtor.as_str())
                .push_bind(invoice.unit.as_str())
                .push_bind(invoice.amount.minor())
                .push_bind(invoice.remaining.minor())
                .push_bind(invoice.due.map(|due| due.to_string()))
                .push_bind(invoice.reference.as_str())
                .push_bind(invoice.status.as_str())
                .push_bind(invoice.created_ms);
        });
        upsert.push(" ON CONFLICT (id) DO UPDATE SET status = excluded.status, remaining = excluded.remaining");
        upsert.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}
