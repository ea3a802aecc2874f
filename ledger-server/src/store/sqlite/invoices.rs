//! The `invoices` projection in SQLite: read by id for the writer, listed for the API, written
//! back from the batch's state. An import changes a thousand invoices in one entry and a clearing
//! run up to hundreds of thousands, so reads and writes take one statement whatever their number:
//! the ids or rows travel as one bound JSON array read back with `json_each` (no limit on bound
//! parameters applies, and sqlx hands one statement, not thousands, to its worker thread).

use ledger_core::invoice::Invoice;
use ledger_core::names::RequestId;
use sqlx::sqlite::SqliteConnection;

use super::batch_reads::json_hex;
use super::db;
use crate::store::rows::{InvoiceRow, invoice_from_row};
use crate::store::{InvoiceFilter, StoreError};

/// The invoices with these ids (those that do not exist are absent).
pub(super) async fn read(conn: &mut SqliteConnection, ids: &[RequestId]) -> Result<Vec<Invoice>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<InvoiceRow> = sqlx::query_as(
        "SELECT id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms
         FROM invoices WHERE id IN (SELECT unhex(value) FROM json_each(?))",
    )
    .bind(json_hex(ids.iter().map(|id| id.as_bytes().as_slice())))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(invoice_from_row).collect()
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
    if invoices.is_empty() {
        return Ok(());
    }
    // Each row a JSON array of the columns in order, the id in hex; a missing due date is null.
    type Row<'a> = (String, &'a str, &'a str, &'a str, i64, i64, Option<String>, &'a str, &'a str, i64);
    let rows: Vec<Row<'_>> = invoices
        .iter()
        .map(|invoice| {
            (
                hex::encode(invoice.id.as_bytes()),
                invoice.creditor.as_str(),
                invoice.debtor.as_str(),
                invoice.unit.as_str(),
                invoice.amount.minor(),
                invoice.remaining.minor(),
                invoice.due.map(|due| due.to_string()),
                invoice.reference.as_str(),
                invoice.status.as_str(),
                invoice.created_ms,
            )
        })
        .collect();
    let rows = serde_json::to_string(&rows).expect("numbers and texts serialise");
    // What changes after creation is what remains (a clearing run, on up to hundreds of thousands
    // of invoices) or the status (an answer, on one). SQLite rewrites every index on a column an
    // UPDATE assigns, whether its value changes or not, and all three indexes hold the status: so
    // the status is assigned apart, only where it changed, which made a run of 184,000 set-offs
    // several times faster. `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the
    // INSERT, not to a join.
    sqlx::query(
        "INSERT INTO invoices (id, creditor, debtor, unit, amount, remaining, due, reference, status, created_ms)
         SELECT unhex(value ->> 0), value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
                value ->> 6, value ->> 7, value ->> 8, value ->> 9
         FROM json_each(?) WHERE true
         ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining",
    )
    .bind(&rows)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE invoices SET status = changed.value ->> 8
         FROM json_each(?) AS changed
         WHERE invoices.id = unhex(changed.value ->> 0) AND invoices.status <> changed.value ->> 8",
    )
    .bind(&rows)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
