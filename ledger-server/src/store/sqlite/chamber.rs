//! The chamber's rows in SQLite: the commons registry and declarations, read for the writer's
//! state and for listings, written in the batch's transaction.

use ledger_core::chamber::{Commons, CommonsName, Declaration};
use ledger_core::names::DeclarationId;
use sqlx::SqliteConnection;

use super::db;
use crate::store::DeclarationFilter;
use crate::store::StoreError;
use crate::store::chamber_rows::{
    CommonsRow, DeclarationRow, commons_from_row, declaration_from_row, quantity_value, stewards_text,
};

pub(super) async fn read_commons(
    conn: &mut SqliteConnection,
    name: &CommonsName,
) -> Result<Option<Commons>, StoreError> {
    let row: Option<CommonsRow> =
        sqlx::query_as("SELECT name, kind, description, rules_of_use, stewards FROM commons WHERE name = ?")
            .bind(name.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    row.map(commons_from_row).transpose()
}

pub(super) async fn list_commons(
    conn: &mut SqliteConnection,
    after: Option<&CommonsName>,
    limit: u32,
) -> Result<Vec<Commons>, StoreError> {
    let rows: Vec<CommonsRow> = sqlx::query_as(
        "SELECT name, kind, description, rules_of_use, stewards FROM commons WHERE name > ? ORDER BY name LIMIT ?",
    )
    .bind(after.map_or("", CommonsName::as_str))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(commons_from_row).collect()
}

pub(super) async fn read_declaration(
    conn: &mut SqliteConnection,
    id: DeclarationId,
) -> Result<Option<Declaration>, StoreError> {
    let row: Option<DeclarationRow> = sqlx::query_as(
        "SELECT id, contributor, commons, category, quantity, period, note, status, paid_by FROM declarations WHERE id = ?",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(declaration_from_row).transpose()
}

pub(super) async fn list_declarations(
    conn: &mut SqliteConnection,
    filter: &DeclarationFilter,
    after: Option<DeclarationId>,
    limit: u32,
) -> Result<Vec<Declaration>, StoreError> {
    let rows: Vec<DeclarationRow> = sqlx::query_as(
        "SELECT id, contributor, commons, category, quantity, period, note, status, paid_by FROM declarations
         WHERE (?1 IS NULL OR commons = ?1) AND (?2 IS NULL OR period = ?2) AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR contributor = ?4) AND id > ?5
         ORDER BY id LIMIT ?6",
    )
    .bind(filter.commons.as_ref().map(CommonsName::as_str))
    .bind(filter.period.map(|period| period.to_string()))
    .bind(filter.status.map(|status| status.as_str()))
    .bind(filter.contributor.as_ref().map(|handle| handle.as_str()))
    .bind(after.map_or_else(Vec::new, |id| id.as_bytes().to_vec()))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(declaration_from_row).collect()
}

/// Registers a commons; a commons never changes once registered.
pub(super) async fn write_commons(conn: &mut SqliteConnection, commons: &Commons) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO commons (name, kind, description, rules_of_use, stewards) VALUES (?, ?, ?, ?, ?)")
        .bind(commons.name.as_str())
        .bind(commons.kind.as_str())
        .bind(commons.description.as_str())
        .bind(commons.rules_of_use.as_str())
        .bind(stewards_text(&commons.stewards))
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Writes a declaration made, decided or paid: only its status and `paid_by` ever change.
pub(super) async fn write_declaration(
    conn: &mut SqliteConnection,
    declaration: &Declaration,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO declarations (id, contributor, commons, category, quantity, period, note, status, paid_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, paid_by = excluded.paid_by",
    )
    .bind(declaration.id.as_bytes().as_slice())
    .bind(declaration.contributor.as_str())
    .bind(declaration.commons.as_str())
    .bind(declaration.category.as_str())
    .bind(quantity_value(declaration.quantity))
    .bind(declaration.period.to_string())
    .bind(declaration.note.as_str())
    .bind(declaration.status.as_str())
    .bind(declaration.paid_by.map(|id| id.as_bytes().to_vec()))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
