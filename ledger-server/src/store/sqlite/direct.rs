//! rusqlite on sqlx's own SQLite connections, where sqlx's way costs more than SQLite's work: it
//! hands every statement to the connection's worker thread and every row back over a channel
//! (~40 µs a row on a busy server). [`SqliteConnection::lock_handle`] takes the connection from
//! sqlx's worker for the while, and rusqlite drives the same handle, inside whatever transaction
//! the connection has open.

use sqlx::sqlite::SqliteConnection;

use super::{SQLITE_CONSTRAINT, SQLITE_CORRUPT, SQLITE_MISMATCH, SQLITE_NOTADB, db};
use crate::store::StoreError;

/// Most statements the writing connection keeps prepared: a multi-row insert for each number of
/// rows up to `INSERT_ROWS_MAX` into each of the five tables a payment writes, and a few more.
const STATEMENTS_KEPT: usize = 512;

/// Runs `work` on the raw handle of `conn`, which sqlx's worker leaves alone meanwhile. `work`
/// blocks the thread it runs on: the writer's own, or a blocking section on the runtime.
pub(super) async fn with_handle<T>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let mut locked = conn.lock_handle().await.map_err(db)?;
    // SAFETY: the handle is sqlx's open connection, locked for us until `locked` drops, after
    // `direct`. `from_handle` does not take ownership: dropping `direct` finalizes the statements
    // it prepared and leaves the connection open, inside its transaction if one is open.
    let direct = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) };
    let result = direct.and_then(|direct| work(&direct));
    drop(locked);
    result.map_err(direct_error)
}

/// As [`with_handle`], with the rusqlite connection `kept` from one call to the next, and with it
/// the statements it prepared (`prepare_cached`). Prepared anew for every batch, a payment's
/// multi-row inserts took an eighth of the writer's time, parsing the same SQL again.
///
/// `kept` must only ever be used here, with `conn`: it is made on the first call from `conn`'s
/// handle, which stays the same for as long as `conn` is open. Its owner drops it before `conn`
/// closes (dropping it finalizes its statements; the handle stays open).
pub(super) async fn with_kept<T>(
    conn: &mut SqliteConnection,
    kept: &mut Option<rusqlite::Connection>,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Result<T, StoreError> {
    let mut locked = conn.lock_handle().await.map_err(db)?;
    let direct = match kept {
        Some(direct) => direct,
        None => {
            // SAFETY: as in `with_handle`; used only while `locked` is held, here.
            let direct =
                unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }.map_err(direct_error)?;
            direct.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
            kept.insert(direct)
        }
    };
    let result = work(direct);
    drop(locked);
    result.map_err(direct_error)
}

/// Classified as [`db`] classifies sqlx's errors: a result code that says the data is wrong is
/// corruption, anything else leaves the store unavailable.
fn direct_error(error: rusqlite::Error) -> StoreError {
    let corrupt = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => {
            matches!(failure.extended_code & 0xff, SQLITE_CORRUPT | SQLITE_CONSTRAINT | SQLITE_MISMATCH | SQLITE_NOTADB)
        }
        _ => false,
    };
    if corrupt { StoreError::Corrupt(error.to_string()) } else { StoreError::Unavailable(error.to_string()) }
}
