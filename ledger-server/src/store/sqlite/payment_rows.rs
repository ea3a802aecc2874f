//! The rows every payment writes (its two accounts, its transfer, its journal row, postings and
//! history rows), written with SQLite's own prepared statements on the writer's thread.
//!
//! Through sqlx each statement crossed to the connection's worker thread and back, and each bound
//! value was first copied into an argument list (in a profile of an import, a good share of the
//! writer's own time went to building those lists). Here the writer takes sqlx's connection
//! once for all of a batch's payment rows ([`SqliteConnection::lock_handle`]: sqlx's worker waits
//! meanwhile; each hand-over to and from that thread is a wait for a core on a busy server), and
//! rusqlite drives the same handle, inside the batch's transaction, with multi-row statements
//! ([`INSERT_ROWS_MAX`] says why not one row a run) prepared once for each number of rows and
//! kept from one batch to the next (`direct::with_kept`).

use ledger_core::account::Account;
use ledger_core::amount::Amount;
use ledger_core::journal::Posting;
use ledger_core::transfer::Transfer;
use rusqlite::{Statement, ToSql, params};

use super::{INSERT_ROWS_MAX, Writing};
use crate::store::rows::{history_handles, int, signatures_bytes};
use crate::store::{PendingEntry, StoreError};

/// Writes, in this order (transfers and postings name accounts by foreign key), the accounts and
/// transfers a batch created or changed, then its entries.
pub(super) async fn write(
    writing: &mut Writing,
    accounts: &[&Account],
    transfers: &[&Transfer],
    entries: &[PendingEntry],
) -> Result<(), StoreError> {
    if accounts.is_empty() && transfers.is_empty() && entries.is_empty() {
        return Ok(());
    }
    writing
        .with_direct(|direct| {
            write_accounts(direct, accounts)?;
            write_transfers(direct, transfers)?;
            write_entries(direct, entries)
        })
        .await
}

/// Upserts accounts: a batch of payments changes two accounts each.
fn write_accounts(direct: &rusqlite::Connection, accounts: &[&Account]) -> rusqlite::Result<()> {
    // An account's kind and unit never change once opened; leaving `unit` out of the update
    // keeps SQLite from rewriting `accounts_by_unit` for every balance a payment moves.
    let upsert = Insert {
        head: "INSERT INTO accounts \
               (handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status) VALUES ",
        columns: 9,
        tail: " ON CONFLICT (handle) DO UPDATE SET \
               name = excluded.name, balance = excluded.balance, credit_limit = excluded.credit_limit, \
               ceiling = excluded.ceiling, soft_limit = excluded.soft_limit, status = excluded.status",
    };
    upsert.run(direct, accounts, |statement, at, account| {
        bind(
            statement,
            at,
            params![
                account.handle.as_str(),
                account.kind.as_str(),
                account.unit.as_str(),
                account.name.as_str(),
                account.balance,
                account.limits.credit_limit.minor(),
                account.limits.ceiling.map(Amount::minor),
                account.limits.soft_limit.map(Amount::minor),
                account.status.as_str(),
            ],
        )
    })
}

/// Writes transfers created or changed (a request answered, a payment reversed): an import makes
/// thousands in one entry.
fn write_transfers(direct: &rusqlite::Connection, transfers: &[&Transfer]) -> rusqlite::Result<()> {
    let upsert = Insert {
        head: "INSERT INTO transfers (id, kind, status, payer, payee, unit, amount, memo, created_ms, \
               expires_at_ms, reverses, reversed_by) VALUES ",
        columns: 12,
        tail: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, reversed_by = excluded.reversed_by",
    };
    upsert.run(direct, transfers, |statement, at, transfer| {
        bind(
            statement,
            at,
            params![
                transfer.id.as_bytes().as_slice(),
                transfer.kind.as_str(),
                transfer.status.as_str(),
                transfer.payer.as_str(),
                transfer.payee.as_str(),
                transfer.unit.as_str(),
                transfer.amount.minor(),
                transfer.memo.as_str(),
                transfer.created_ms,
                transfer.expires_at_ms,
                transfer.reverses.as_ref().map(|id| id.as_bytes().as_slice()),
                transfer.reversed_by.as_ref().map(|id| id.as_bytes().as_slice()),
            ],
        )
    })
}

/// Seq, index, posting and balance after, of every posting of `entries`.
fn posting_rows(entries: &[PendingEntry]) -> Vec<(i64, i64, &Posting, i64)> {
    entries
        .iter()
        .flat_map(|pending| {
            let seq = int(pending.entry.seq);
            let balances = pending.entry.postings.iter().zip(&pending.balances_after);
            balances.enumerate().map(move |(idx, (posting, after))| (seq, int(idx as u64), posting, *after))
        })
        .collect()
}

/// Handle and seq of every history row (`account_entries`) of `entries`.
fn account_entry_rows(entries: &[PendingEntry]) -> Vec<(&str, i64)> {
    entries
        .iter()
        .flat_map(|pending| {
            let seq = int(pending.entry.seq);
            history_handles(pending).into_iter().map(move |handle| (handle, seq))
        })
        .collect()
}

/// Writes the entries: journal rows, postings, and per-handle history rows.
fn write_entries(direct: &rusqlite::Connection, entries: &[PendingEntry]) -> rusqlite::Result<()> {
    let journal = Insert {
        head: "INSERT INTO journal \
               (seq, request_id, timestamp_ms, kind, command, signatures, prev_hash, hash) VALUES ",
        columns: 8,
        tail: "",
    };
    journal.run(direct, entries, |statement, at, pending| {
        let entry = &pending.entry;
        bind(
            statement,
            at,
            params![
                int(entry.seq),
                pending.request_id.as_bytes().as_slice(),
                entry.timestamp_ms,
                entry.kind.as_str(),
                entry.command_bytes.as_slice(),
                signatures_bytes(entry),
                entry.prev_hash.0.as_slice(),
                entry.hash.0.as_slice(),
            ],
        )
    })?;
    let insert = Insert {
        head: "INSERT INTO postings (seq, idx, account, unit, delta, balance_after) VALUES ",
        columns: 6,
        tail: "",
    };
    insert.run(direct, &posting_rows(entries), |statement, at, (seq, idx, posting, balance_after)| {
        bind(
            statement,
            at,
            params![seq, idx, posting.account.as_str(), posting.unit.as_str(), posting.delta, balance_after],
        )
    })?;
    let insert = Insert { head: "INSERT INTO account_entries (handle, seq) VALUES ", columns: 2, tail: "" };
    let history = account_entry_rows(entries);
    insert.run(direct, &history, |statement, at, (handle, seq)| bind(statement, at, params![handle, seq]))
}

/// A multi-row INSERT: `head`, a `(?, …)` of `columns` parameters per row, then `tail`.
struct Insert {
    head: &'static str,
    columns: usize,
    tail: &'static str,
}

impl Insert {
    /// Inserts `rows`, [`INSERT_ROWS_MAX`] a run, each run with the statement kept for its number
    /// of rows. `bind_row` binds a row's values from the parameter index it is given.
    fn run<T>(
        &self,
        direct: &rusqlite::Connection,
        rows: &[T],
        mut bind_row: impl FnMut(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        for chunk in rows.chunks(INSERT_ROWS_MAX) {
            let mut statement = direct.prepare_cached(&self.sql(chunk.len()))?;
            for (index, row) in chunk.iter().enumerate() {
                bind_row(&mut statement, 1 + index * self.columns, row)?;
            }
            statement.raw_execute()?;
        }
        Ok(())
    }

    fn sql(&self, rows: usize) -> String {
        let row = format!("({})", vec!["?"; self.columns].join(", "));
        format!("{}{}{}", self.head, vec![row; rows].join(", "), self.tail)
    }
}

/// Binds `values` to consecutive parameters from `first` (1-based).
fn bind(statement: &mut Statement<'_>, first: usize, values: &[&dyn ToSql]) -> rusqlite::Result<()> {
    for (offset, value) in values.iter().enumerate() {
        statement.raw_bind_parameter(first + offset, value)?;
    }
    Ok(())
}
