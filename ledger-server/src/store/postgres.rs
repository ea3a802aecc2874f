//! The PostgreSQL backend: one database, served by any number of `ledgerd` replicas at once.
//!
//! # Locking
//!
//! Every batch is one `READ COMMITTED` transaction that starts by locking the single row of
//! `ledger_head` (`SELECT ... FOR UPDATE`), the seq and hash of the last entry. Whichever replica
//! holds that lock is the only one appending, so the sequence stays gapless and the chain unbroken;
//! the others wait for it at `begin`, and when they get it they read the head the winner left
//! (under `READ COMMITTED` a row lock that waited returns the row's newest version, and every later
//! statement of the batch sees everything committed before it). Every read of the batch happens
//! after that lock, so the balances a batch checks limits against are the committed ones: a
//! stronger isolation level would add nothing but serialization failures.
//!
//! The batch then locks the accounts it loads (`FOR UPDATE`, in handle order within each
//! statement). Accounts the writer still holds from its own last commit (`writer/warm.rs`) are not
//! read again: the head it found under its lock is the one that commit left, so no entry, hence no
//! change, has been committed since; their upsert at the end of the batch locks them. Locks are
//! not taken in one global order across a batch. That cannot deadlock, because every transaction
//! that locks accounts holds the head lock first, and two transactions never both hold it: a batch
//! waiting for an account lock would be waiting for a transaction that does not exist. The account
//! locks make any writer that comes without the head lock (a repair script, a future path) wait for
//! the batch instead of racing it; such a writer also changes the ledger without an entry, which
//! the writer's held accounts cannot see.
//!
//! What can still fail is retried by the writer from scratch: a serialization failure or deadlock
//! (a distributed engine running it `SERIALIZABLE`), a wait for the head cut off by the statement
//! timeout (`57014`, as the statement's own timer fires before `lock_timeout`, which is set too
//! for engines that bound lock waits only that way), a unique key taken by a concurrent writer,
//! and any lost connection (see [`StoreError::is_retryable`]).
//!
//! # Portability
//!
//! Only SQL that CockroachDB and YugabyteDB also speak: plain tables with CHECK constraints,
//! `SELECT ... FOR UPDATE`, `INSERT ... ON CONFLICT ... DO UPDATE`, `= ANY($1)` and multi-array
//! `UNNEST` for set-wise statements, `SET LOCAL plan_cache_mode` (PostgreSQL 12, CockroachDB 23.2,
//! YugabyteDB 2.25), and no sequences, triggers, advisory locks or LISTEN/NOTIFY.
//! sqlx's migrator serialises migrations with an advisory lock; it is turned off here, and a
//! migration that loses a race with another replica starting at the same moment (transactional
//! DDL: it fails whole) is simply run again, which then finds it applied.
//!
//! The schema is in `migrations/postgres`, embedded in the binary and applied by
//! [`PostgresStore::open`]. Rows read back are validated exactly as for SQLite (`super::rows`).

mod agreements;
mod chamber;
mod distributions;
mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ledger_core::account::{Account, RoleSet, Unit};
use ledger_core::amount::Amount;
use ledger_core::chamber::{Commons, CommonsName, Declaration, DistributionRecord, RuleBook, RuleRecord};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::References;
use ledger_core::invoice::Invoice;
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::PublicKey;
use ledger_core::names::{DeclarationId, DistributionId, Handle, RequestId, RuleId, UnitCode};
use ledger_core::state::{Changes, Identity, KeyOwner, State};
use ledger_core::transfer::Transfer;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, SqlSafeStr, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::AgreementRecord;
use super::DeclarationFilter;
use super::InvoiceFilter;
use super::clearing_rows::runs_to_write;
use super::distribution_rows;
use super::rows::{
    AccountRow, CheckpointRow, JournalRow, PostingRow, TransferRow, UnitRow, absent, account_from_row, check_continues,
    check_request_id, checkpoint_from_row, corrupt, entries_as_stored, entries_from_rows, entry_from_rows,
    group_postings, hash_from_row, history_handles, history_rows, int, key_from_row, key_owner_from_row, meta_from_row,
    roles_from_row, seq_from_row, signatures_bytes, transfer_from_row, unit_from_row,
};
use super::unit_cache::UnitCache;
use super::{BatchTx, HistoryFilter, HistoryRow, LedgerMeta, PendingEntry, Store, StoreError, StoreOptions, StoredRun};

mod clearing_runs;
mod invoices;

/// The first migration, embedded (see the SQLite backend for why not `sqlx::migrate!`).
const MIGRATION_0001: &str = include_str!("../../migrations/postgres/0001_init.sql");
/// Signed checkpoints.
const MIGRATION_0002: &str = include_str!("../../migrations/postgres/0002_checkpoints.sql");
/// Transfer workflows: the `transfers` projection.
const MIGRATION_0003: &str = include_str!("../../migrations/postgres/0003_workflows.sql");
/// Every transfer kind (`import`, and those of the chamber and the clearing house).
const MIGRATION_0004: &str = include_str!("../../migrations/postgres/0004_transfer_kinds.sql");
/// Invoices: the `invoices` projection.
const MIGRATION_0005: &str = include_str!("../../migrations/postgres/0005_invoices.sql");
/// The chamber of the commons: its registry and declarations.
const MIGRATION_0006: &str = include_str!("../../migrations/postgres/0006_chamber.sql");
/// Applied clearing runs, their set-offs and credit postings.
const MIGRATION_0007: &str = include_str!("../../migrations/postgres/0007_clearing_runs.sql");
/// Businesses' agreements with the chamber.
const MIGRATION_0008: &str = include_str!("../../migrations/postgres/0008_agreements.sql");
/// Remuneration rules and the quorum that adopts them.
const MIGRATION_0009: &str = include_str!("../../migrations/postgres/0009_rules.sql");
/// Distributions of the commons fund, and which distribution paid each declaration.
const MIGRATION_0010: &str = include_str!("../../migrations/postgres/0010_distributions.sql");
/// Indexes a payment does not need: none on postings by account, pending transfers only.
const MIGRATION_0011: &str = include_str!("../../migrations/postgres/0011_lean_indexes.sql");
/// A posting's and a transfer's accounts checked with their unit, one foreign key each.
const MIGRATION_0012: &str = include_str!("../../migrations/postgres/0012_unit_keys.sql");

/// How many times start-up runs the migrations when a replica starting at the same moment makes
/// them fail. A run that lost a race finds the other's migrations applied, but the other may still
/// be applying later ones, so it may lose again: once per migration at worst, plus waiting.
const MIGRATE_ATTEMPTS_MAX: u32 = 20;

/// Pause between two runs of the migrations, so the replica that is ahead can finish.
const MIGRATE_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The writer's transaction: `READ COMMITTED`, so that statements after the head lock see every
/// batch committed before it.
///
/// Its reads are planned for their own arguments. The writing connection lives as long as the
/// process and prepares each statement once; after five runs PostgreSQL may keep one plan for any
/// arguments, chosen from the table sizes of that moment, and keeps it until the table is next
/// analysed. Chosen while the ledger was being set up, that plan scanned the whole journal for a
/// batch's request ids (24 ms a batch after 30,000 payments). Its writes keep the cached plans
/// ([`PLAN_WRITES`]): their shape does not depend on the data, and planning them for each batch's
/// arrays cost more than the reads' planning saves.
const BEGIN_BATCH: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL plan_cache_mode = force_custom_plan";

/// Said before a batch's writes (see [`BEGIN_BATCH`]).
const PLAN_WRITES: &str = "SET LOCAL plan_cache_mode = auto";

/// A read of several statements: one snapshot for all of them.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// A ledger stored in a PostgreSQL (or wire-compatible) database.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    /// Connections for reads.
    pool: PgPool,
    /// The writer's own connection, outside the pool (see [`Writing`]).
    writing: Arc<Mutex<Writing>>,
    /// Units already read.
    units: Arc<UnitCache>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, which
    /// must exist) and brings its schema up to date. An unreachable database fails at once with
    /// the cause, rather than after the pool's reconnection attempts.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<PostgresStore, StoreError> {
        let timeout_ms = options.statement_timeout_ms.to_string();
        let connect = PgConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("database url: {error}")))?
            .application_name("ledgerd")
            .options([
                ("statement_timeout", timeout_ms.as_str()),
                ("lock_timeout", timeout_ms.as_str()),
                ("idle_in_transaction_session_timeout", timeout_ms.as_str()),
            ]);
        let place = format!(
            "PostgreSQL at {}:{} (database {:?}, user {:?})",
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or(connect.get_username()),
            connect.get_username()
        );
        let acquire_timeout = Duration::from_millis(options.acquire_timeout_ms);
        let mut conn = match tokio::time::timeout(acquire_timeout, PgConnection::connect_with(&connect)).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(error)) => return Err(StoreError::Unavailable(format!("cannot connect to {place}: {error}"))),
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot connect to {place}: no answer within {} ms",
                    options.acquire_timeout_ms
                )));
            }
        };
        migrate(&mut conn).await?;
        // Connections are opened lazily from here on, the writer's by its first batch; a failed
        // close only means the server hung up. The writer's is one of `connections_max` (at least
        // 2, so at least one is left for reads).
        let _ = conn.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(options.connections_max.saturating_sub(1).max(1))
            .acquire_timeout(acquire_timeout)
            .connect_lazy_with(connect.clone());
        let writing = Writing { conn: None, in_transaction: false, connect, acquire_timeout, closed: false };
        Ok(PostgresStore { pool, writing: Arc::new(Mutex::new(writing)), units: Arc::default() })
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        self.pool.close().await;
        let mut writing = self.writing.lock().await;
        writing.closed = true;
        if let Some(conn) = writing.conn.take() {
            // A failed close only means the server hung up; an open transaction is rolled back.
            let _ = conn.close().await;
        }
    }

    /// Starts a read transaction: its statements all see one snapshot.
    async fn read(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin_with(BEGIN_READ).await.map_err(db)
    }
}

fn migrator() -> Migrator {
    let mut migrator = Migrator::with_migrations(vec![
        Migration::new(1, "init".into(), MigrationType::Simple, MIGRATION_0001.into_sql_str(), false),
        Migration::new(2, "checkpoints".into(), MigrationType::Simple, MIGRATION_0002.into_sql_str(), false),
        Migration::new(3, "workflows".into(), MigrationType::Simple, MIGRATION_0003.into_sql_str(), false),
        Migration::new(4, "transfer_kinds".into(), MigrationType::Simple, MIGRATION_0004.into_sql_str(), false),
        Migration::new(5, "invoices".into(), MigrationType::Simple, MIGRATION_0005.into_sql_str(), false),
        Migration::new(6, "chamber".into(), MigrationType::Simple, MIGRATION_0006.into_sql_str(), false),
        Migration::new(7, "clearing_runs".into(), MigrationType::Simple, MIGRATION_0007.into_sql_str(), false),
        Migration::new(8, "agreements".into(), MigrationType::Simple, MIGRATION_0008.into_sql_str(), false),
        Migration::new(9, "rules".into(), MigrationType::Simple, MIGRATION_0009.into_sql_str(), false),
        Migration::new(10, "distributions".into(), MigrationType::Simple, MIGRATION_0010.into_sql_str(), false),
        Migration::new(11, "lean_indexes".into(), MigrationType::Simple, MIGRATION_0011.into_sql_str(), false),
        Migration::new(12, "unit_keys".into(), MigrationType::Simple, MIGRATION_0012.into_sql_str(), false),
    ]);
    // sqlx would take an advisory lock, which CockroachDB and YugabyteDB lack; see the module doc.
    migrator.set_locking(false);
    migrator
}

async fn migrate(conn: &mut PgConnection) -> Result<(), StoreError> {
    let migrator = migrator();
    let mut attempt = 1;
    loop {
        match migrator.run(&mut *conn).await {
            Ok(()) => return Ok(()),
            Err(MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _))
                if attempt < MIGRATE_ATTEMPTS_MAX =>
            {
                tracing::info!(%error, attempt, "schema migration failed, as when another replica migrates at the same time; looking again");
                attempt += 1;
                tokio::time::sleep(MIGRATE_RETRY_PAUSE).await;
            }
            Err(error) => return Err(migrate_error(error)),
        }
    }
}

fn migrate_error(error: MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => db(error),
        // A schema this binary does not know (newer, edited, half-applied) is not ours to touch.
        other => StoreError::Corrupt(format!("schema migration: {other}")),
    }
}

/// Maps a sqlx error by its SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html):
/// a lost race becomes `Conflict`, what says the stored data is wrong becomes `Corrupt`, and
/// anything about reaching the database (IO, pool, shutdown, timeouts) becomes `Unavailable`.
fn db(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            match code.as_ref() {
                // serialization_failure, deadlock_detected, lock_not_available, unique_violation.
                "40001" | "40P01" | "55P03" | "23505" => StoreError::Conflict(error.to_string()),
                // data_corrupted, index_corrupted; integrity and data exceptions.
                "XX001" | "XX002" => StoreError::Corrupt(error.to_string()),
                code if code.starts_with("23") || code.starts_with("22") => StoreError::Corrupt(error.to_string()),
                _ => StoreError::Unavailable(error.to_string()),
            }
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => StoreError::Corrupt(error.to_string()),
        _ => StoreError::Unavailable(error.to_string()),
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn close(&self) {
        PostgresStore::close(self).await;
    }

    async fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        read_meta(&mut *self.pool.acquire().await.map_err(db)?).await
    }

    async fn begin(&self) -> Result<Box<dyn BatchTx>, StoreError> {
        let mut writing = Arc::clone(&self.writing).lock_owned().await;
        writing.settle().await?;
        // Set first: whatever fails from here, the next batch rolls it back, or connects again if
        // the connection cannot.
        writing.in_transaction = true;
        sqlx::raw_sql(BEGIN_BATCH).execute(writing.conn()?).await.map_err(db)?;
        // First and before any read: the lock that makes this batch the only one appending.
        let head = lock_head(writing.conn()?).await?;
        Ok(Box::new(PostgresBatch { writing, head }))
    }

    async fn key_owner(&self, key: &PublicKey) -> Result<Option<(KeyOwner, RoleSet)>, StoreError> {
        let row: Option<(String, bool, Option<i16>)> = sqlx::query_as(
            "SELECT k.handle, k.revoked, i.roles
             FROM keys k LEFT JOIN identities i ON i.handle = k.handle
             WHERE k.public_key = $1",
        )
        .bind(key.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some((handle, revoked, roles)) = row else {
            return Ok(None);
        };
        let owner = key_owner_from_row(key, handle, i64::from(revoked))?;
        // The foreign key from `keys` guarantees the identity row; its absence is corruption.
        let roles = roles.ok_or_else(|| corrupt(format!("key {key}: its holder {} has no identity", owner.handle)))?;
        let roles = roles_from_row(&owner.handle, i64::from(roles))?;
        Ok(Some((owner, roles)))
    }

    async fn identity(&self, handle: &Handle) -> Result<Option<Identity>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut identities = read_identities(&mut conn, &[handle.as_str()]).await?;
        Ok(identities.remove(handle))
    }

    async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
        if let Some(unit) = self.units.get(code) {
            return Ok(Some(unit));
        }
        let row: Option<(String, i16, String)> = sqlx::query_as("SELECT code, scale, name FROM units WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        let unit = row.map(unit_row).transpose()?;
        if let Some(unit) = &unit {
            self.units.keep(unit);
        }
        Ok(unit)
    }

    async fn units(&self, after: Option<&UnitCode>, limit: u32) -> Result<Vec<Unit>, StoreError> {
        // Every unit code is non-empty, so "" sorts before all of them.
        let rows: Vec<(String, i16, String)> =
            sqlx::query_as("SELECT code, scale, name FROM units WHERE code > $1 ORDER BY code LIMIT $2")
                .bind(after.map_or("", UnitCode::as_str))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter().map(unit_row).collect()
    }

    async fn account(&self, handle: &Handle) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
             FROM accounts WHERE handle = $1",
        )
        .bind(handle.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(account_from_row).transpose()
    }

    async fn accounts(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<Account>, StoreError> {
        // Every handle is non-empty, so "" sorts before all of them.
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
             FROM accounts WHERE handle > $1 ORDER BY handle LIMIT $2",
        )
        .bind(after.map_or("", Handle::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(account_from_row).collect()
    }

    async fn balances(&self, unit: Option<&UnitCode>) -> Result<(u64, Vec<Account>), StoreError> {
        let mut tx = self.read().await?;
        let head: i64 =
            sqlx::query_scalar("SELECT seq FROM ledger_head WHERE id = 1").fetch_one(&mut *tx).await.map_err(db)?;
        let head = u64::try_from(head).map_err(|_| corrupt(format!("journal head {head} is negative")))?;
        // `unit = $1 OR $1 IS NULL` would keep one statement but hide the index from the planner.
        let rows: Vec<AccountRow> = match unit {
            Some(unit) => sqlx::query_as(
                "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
                 FROM accounts WHERE unit = $1 ORDER BY unit, handle",
            )
            .bind(unit.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?,
            None => sqlx::query_as(
                "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
                 FROM accounts ORDER BY unit, handle",
            )
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?,
        };
        tx.commit().await.map_err(db)?;
        let accounts = rows.into_iter().map(account_from_row).collect::<Result<_, _>>()?;
        Ok((head, accounts))
    }

    async fn history(
        &self,
        handle: &Handle,
        before_seq: Option<u64>,
        filter: &HistoryFilter,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        let before = before_seq.map_or(i64::MAX, int);
        let (from_ms, to_ms) = filter.range_ms();
        let mut tx = self.read().await?;
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT j.seq, j.timestamp_ms, j.kind, j.command, j.signatures, j.prev_hash, j.hash
             FROM account_entries a JOIN journal j ON j.seq = a.seq
             WHERE a.handle = $1 AND a.seq < $2
               AND ($4 = '' OR strpos($4, ',' || j.kind || ',') > 0)
               AND j.timestamp_ms >= $5 AND j.timestamp_ms < $6
             ORDER BY a.seq DESC LIMIT $3",
        )
        .bind(handle.as_str())
        .bind(before)
        .bind(i64::from(limit))
        .bind(filter.kinds_text())
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let seqs: Vec<i64> = rows.iter().map(|row| row.0).collect();
        let postings = read_postings(&mut tx, &seqs).await?;
        tx.commit().await.map_err(db)?;
        history_rows(handle, rows, postings)
    }

    async fn entries(&self, from_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT seq, timestamp_ms, kind, command, signatures, prev_hash, hash
             FROM journal WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(int(from_seq))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let postings = read_postings_of(&mut tx, &rows).await?;
        tx.commit().await.map_err(db)?;
        entries_from_rows(rows, postings)
    }

    async fn entry_by_request(&self, id: RequestId) -> Result<Option<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let mut found = read_entries_by_request(&mut tx, &[id]).await?;
        tx.commit().await.map_err(db)?;
        Ok(found.remove(&id))
    }

    async fn entries_as_stored(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT seq, timestamp_ms, kind, command, signatures, prev_hash, hash
             FROM journal WHERE seq BETWEEN $1 AND $2 ORDER BY seq LIMIT $3",
        )
        .bind(int(from_seq))
        .bind(int(to_seq))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let postings = read_postings_of(&mut tx, &rows).await?;
        tx.commit().await.map_err(db)?;
        entries_as_stored(rows, postings)
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO checkpoints (seq, hash, timestamp_ms, signer, signature)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(int(checkpoint.seq))
        .bind(checkpoint.hash.0.as_slice())
        .bind(checkpoint.timestamp_ms)
        .bind(checkpoint.signer.as_bytes().as_slice())
        .bind(checkpoint.signature.as_bytes().as_slice())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn checkpoints(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<CheckpointRow> = sqlx::query_as(
            "SELECT c.seq, c.hash, c.timestamp_ms, c.signer, c.signature, m.ledger_id
             FROM checkpoints c CROSS JOIN ledger_meta m
             WHERE c.seq BETWEEN $1 AND $2 ORDER BY c.seq LIMIT $3",
        )
        .bind(int(from_seq))
        .bind(int(to_seq))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(checkpoint_from_row).collect()
    }

    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let row: Option<CheckpointRow> = sqlx::query_as(
            "SELECT c.seq, c.hash, c.timestamp_ms, c.signer, c.signature, m.ledger_id
             FROM checkpoints c CROSS JOIN ledger_meta m
             ORDER BY c.seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(checkpoint_from_row).transpose()
    }

    async fn agreement(&self, business: &Handle) -> Result<Option<AgreementRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        agreements::read(&mut conn, business).await
    }

    async fn agreements(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<AgreementRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        agreements::list(&mut conn, after, limit).await
    }

    async fn commons(&self, name: &CommonsName) -> Result<Option<Commons>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        chamber::read_commons(&mut conn, name).await
    }

    async fn list_commons(&self, after: Option<&CommonsName>, limit: u32) -> Result<Vec<Commons>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        chamber::list_commons(&mut conn, after, limit).await
    }

    async fn declaration(&self, id: DeclarationId) -> Result<Option<Declaration>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        chamber::read_declaration(&mut conn, id).await
    }

    async fn declarations(
        &self,
        filter: &DeclarationFilter,
        after: Option<DeclarationId>,
        limit: u32,
    ) -> Result<Vec<Declaration>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        chamber::list_declarations(&mut conn, filter, after, limit).await
    }

    async fn rule(&self, id: RuleId) -> Result<Option<RuleRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        rules::read_rule(&mut conn, id).await
    }

    async fn rules(&self, after: Option<RuleId>, limit: u32) -> Result<Vec<RuleRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        rules::list_rules(&mut conn, after, limit).await
    }

    async fn rule_book(&self) -> Result<RuleBook, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        rules::read_rule_book(&mut conn).await
    }

    async fn distribution(&self, id: DistributionId) -> Result<Option<DistributionRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        distributions::read(&mut conn, id).await
    }

    async fn transfer(&self, id: RequestId) -> Result<Option<Transfer>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Ok(read_transfers(&mut conn, &[id]).await?.pop())
    }

    async fn pending_requests(
        &self,
        handle: &Handle,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Transfer>, StoreError> {
        let rows: Vec<TransferRow> = sqlx::query_as(
            "SELECT id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses,
                    reversed_by
             FROM transfers
             WHERE kind = 'request' AND status = 'pending' AND (payer = $1 OR payee = $1) AND id > $2
             ORDER BY id LIMIT $3",
        )
        .bind(handle.as_str())
        .bind(after.map_or_else(Vec::new, |id| id.as_bytes().to_vec()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(transfer_from_row).collect()
    }

    async fn clearing_run(&self, id: RequestId) -> Result<Option<StoredRun>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        clearing_runs::read(&mut conn, id).await
    }

    async fn invoice(&self, id: RequestId) -> Result<Option<Invoice>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Ok(invoices::read(&mut conn, &[id]).await?.pop())
    }

    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Invoice>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        invoices::list(&mut conn, filter, after, limit).await
    }
}

/// The writer's connection, held between batches rather than taken from the pool: a pooled
/// connection goes back through a task queued on the runtime, so each batch's `begin` waited for
/// the request tasks ahead of it, and then for a ping.
///
/// It is opened by the first batch, so on the writer's thread: its socket is then served by the
/// writer's own runtime, and a batch's round trips do not wait for busy request workers.
#[derive(Debug)]
struct Writing {
    /// `None` until the first batch, after a failure that left it unusable, and once closed.
    conn: Option<PgConnection>,
    /// Set by a batch's `BEGIN`, cleared by its commit. Still set when a batch was dropped without
    /// committing: the next batch rolls that transaction back first.
    in_transaction: bool,
    connect: PgConnectOptions,
    /// Longest a connection attempt may take.
    acquire_timeout: Duration,
    /// Set by [`PostgresStore::close`]: no connection is opened again.
    closed: bool,
}

impl Writing {
    fn conn(&mut self) -> Result<&mut PgConnection, StoreError> {
        self.conn.as_mut().ok_or_else(|| StoreError::Unavailable("the writing connection is closed".into()))
    }

    /// Rolls back the transaction of a batch dropped without committing, if any. A connection that
    /// cannot roll back (the server ended the session, the network failed) is let go.
    async fn roll_back(&mut self) {
        if self.in_transaction {
            self.in_transaction = false;
            if let Some(conn) = self.conn.as_mut()
                && let Err(error) = sqlx::query("ROLLBACK").execute(conn).await
            {
                tracing::debug!(%error, "the writing connection could not roll back; it will be replaced");
                self.conn = None;
            }
        }
    }

    /// Leaves an open connection with no transaction on it, connecting again if needed.
    async fn settle(&mut self) -> Result<(), StoreError> {
        self.roll_back().await;
        if self.conn.is_none() {
            if self.closed {
                return Err(StoreError::Unavailable("the store is closed".into()));
            }
            let connecting = tokio::time::timeout(self.acquire_timeout, PgConnection::connect_with(&self.connect));
            self.conn = Some(match connecting.await {
                Ok(connected) => connected.map_err(db)?,
                Err(_) => return Err(StoreError::Unavailable("no writing connection within the timeout".into())),
            });
        }
        Ok(())
    }
}

/// The writer's transaction: holds the writing connection, and the head lock from
/// [`Store::begin`] until commit. Dropped without committing, it has its transaction rolled back
/// by a task of its own (a drop cannot wait for the database), so that other replicas get the head
/// at once, not when this writer's next batch starts.
struct PostgresBatch {
    writing: OwnedMutexGuard<Writing>,
    /// Seq and hash of the last entry, as locked at `begin` and moved by `append`.
    head: (u64, EntryHash),
}

impl Drop for PostgresBatch {
    fn drop(&mut self) {
        if !self.writing.in_transaction {
            return;
        }
        // Locks the connection once this guard has let go of it; if the next batch locks it first,
        // its `begin` rolls back instead. Outside a runtime, that is left to the next batch.
        let writing = Arc::clone(OwnedMutexGuard::mutex(&self.writing));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { writing.lock().await.roll_back().await });
        }
    }
}

#[async_trait]
impl BatchTx for PostgresBatch {
    async fn head(&mut self) -> Result<(u64, EntryHash), StoreError> {
        Ok(self.head)
    }

    async fn meta(&mut self) -> Result<Option<LedgerMeta>, StoreError> {
        read_meta(self.writing.conn()?).await
    }

    async fn load(&mut self, state: &mut State, refs: &References) -> Result<(), StoreError> {
        // A distribution proposed or approved brings more than its command names.
        let with_companions;
        let refs = if refs.distributions.is_empty() && refs.distribution_plans.is_empty() {
            refs
        } else {
            let mut all = refs.clone();
            all.extend(distribution_rows::load(self.writing.conn()?, state, refs).await?);
            all.dedup();
            with_companions = all;
            &with_companions
        };
        let conn = self.writing.conn()?;
        let mut units: BTreeSet<&str> =
            refs.units.iter().filter(|code| !state.units.contains_key(*code)).map(UnitCode::as_str).collect();

        let handles: BTreeSet<&str> =
            refs.handles.iter().filter(|handle| !state.accounts.contains_key(*handle)).map(Handle::as_str).collect();
        let accounts = lock_accounts(conn, &handles).await?;
        let account_units: Vec<String> = accounts
            .iter()
            .filter(|account| !state.units.contains_key(&account.unit))
            .map(|account| account.unit.as_str().to_owned())
            .collect();
        for account in accounts {
            state.accounts.insert(account.handle.clone(), account);
        }
        units.extend(account_units.iter().map(String::as_str));

        let handles: Vec<&str> = refs
            .handles
            .iter()
            .filter(|handle| !state.identities.contains_key(*handle))
            .map(Handle::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        load_identities(conn, state, &handles).await?;

        let keys: BTreeSet<&PublicKey> = refs.keys.iter().filter(|key| !state.keys.contains_key(*key)).collect();
        for (key, owner) in read_key_owners(conn, &keys).await? {
            state.keys.insert(key, owner);
        }
        // Checked even for a key already held: the owner's identity must come with it.
        let holders: BTreeSet<String> = refs
            .keys
            .iter()
            .filter_map(|key| state.keys.get(key))
            .filter(|owner| !state.identities.contains_key(&owner.handle))
            .map(|owner| owner.handle.as_str().to_owned())
            .collect();
        let holders: Vec<&str> = holders.iter().map(String::as_str).collect();
        load_identities(conn, state, &holders).await?;

        let codes: Vec<&str> = units.into_iter().collect();
        if !codes.is_empty() {
            let rows: Vec<(String, i16, String)> =
                sqlx::query_as("SELECT code, scale, name FROM units WHERE code = ANY($1)")
                    .bind(&codes)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db)?;
            for row in rows {
                let unit = unit_row(row)?;
                state.units.insert(unit.code.clone(), unit);
            }
        }

        let ids: Vec<RequestId> =
            refs.transfers.iter().filter(|id| !state.transfers.contains_key(*id)).copied().collect();
        for transfer in read_transfers(conn, &ids).await? {
            state.transfers.insert(transfer.id, transfer);
        }
        let ids: Vec<RequestId> =
            refs.invoices.iter().filter(|id| !state.invoices.contains_key(*id)).copied().collect();
        for invoice in invoices::read(conn, &ids).await? {
            state.invoices.insert(invoice.id, invoice);
        }
        load_chamber(&mut *conn, state, refs).await?;
        agreements::load(&mut *conn, state, &refs.agreements).await?;
        rules::load(conn, state, refs).await
    }

    async fn find_request(&mut self, id: RequestId) -> Result<Option<Entry>, StoreError> {
        Ok(read_entries_by_request(self.writing.conn()?, &[id]).await?.remove(&id))
    }

    async fn find_requests(&mut self, ids: &[RequestId]) -> Result<HashMap<RequestId, Entry>, StoreError> {
        read_entries_by_request(self.writing.conn()?, ids).await
    }

    async fn append(&mut self, entries: &[PendingEntry], state: &State, changes: &Changes) -> Result<(), StoreError> {
        check_continues(self.head, entries)?;
        let conn = self.writing.conn()?;
        sqlx::query(PLAN_WRITES).execute(&mut *conn).await.map_err(db)?;
        // Projections first: postings reference their accounts and units by foreign key.
        if changes.genesis {
            let (Some(ledger_id), Some(node_key)) = (state.ledger_id, state.node_key) else {
                return Err(corrupt("append: genesis without a ledger id and node key in the state".into()));
            };
            // A plain insert: a second genesis violates the single-row key and fails the batch.
            sqlx::query("INSERT INTO ledger_meta (id, ledger_id, node_key) VALUES (1, $1, $2)")
                .bind(ledger_id.as_bytes().as_slice())
                .bind(node_key.as_bytes().as_slice())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
        }
        for code in &changes.units {
            let unit = state.units.get(code).ok_or_else(|| absent("unit", code))?;
            sqlx::query(
                "INSERT INTO units (code, scale, name) VALUES ($1, $2, $3)
                 ON CONFLICT (code) DO UPDATE SET scale = excluded.scale, name = excluded.name",
            )
            .bind(unit.code.as_str())
            .bind(i16::from(unit.scale.places()))
            .bind(unit.name.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }
        let accounts = changes
            .accounts
            .iter()
            .map(|handle| state.accounts.get(handle).ok_or_else(|| absent("account", handle)))
            .collect::<Result<Vec<_>, _>>()?;
        write_accounts(conn, &accounts).await?;
        // Identities before keys: a key references its holder's identity.
        write_identities(conn, state, &changes.identities).await?;
        write_keys(conn, state, &changes.keys).await?;
        let transfers = changes
            .transfers
            .iter()
            .map(|id| state.transfers.get(id).ok_or_else(|| absent("transfer", id)))
            .collect::<Result<Vec<_>, _>>()?;
        write_transfers(conn, &transfers).await?;
        let changed_invoices = changes
            .invoices
            .iter()
            .map(|id| state.invoices.get(id).ok_or_else(|| absent("invoice", id)))
            .collect::<Result<Vec<_>, _>>()?;
        invoices::write(conn, &changed_invoices).await?;
        write_chamber(&mut *conn, state, changes).await?;
        agreements::write(&mut *conn, state, &changes.agreements).await?;
        rules::write(&mut *conn, state, changes).await?;
        // After rules and declarations: a distribution names its rule and its lines' declarations.
        distributions::write(&mut *conn, state, changes).await?;
        write_entries(conn, entries).await?;
        // After the entries: a run's row names its entry.
        for run in runs_to_write(entries, state, changes)? {
            clearing_runs::write(conn, &run).await?;
        }
        if let Some(last) = entries.last() {
            let head = (last.entry.seq, last.entry.hash);
            sqlx::query("UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(int(head.0))
                .bind(head.1.0.as_slice())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            self.head = head;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        sqlx::query("COMMIT").execute(self.writing.conn()?).await.map_err(db)?;
        self.writing.in_transaction = false;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Statements of the writer's transaction.

/// The ledger's identity and head, in one statement so that both come from one snapshot.
async fn read_meta(conn: &mut PgConnection) -> Result<Option<LedgerMeta>, StoreError> {
    /// Ledger id, node key, and the head's seq and hash.
    type MetaRow = (Vec<u8>, Vec<u8>, i64, Vec<u8>);
    let row: Option<MetaRow> = sqlx::query_as(
        "SELECT m.ledger_id, m.node_key, h.seq, h.hash
         FROM ledger_meta m CROSS JOIN ledger_head h
         WHERE m.id = 1 AND h.id = 1",
    )
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(|(ledger_id, node_key, seq, hash)| {
        let head = (seq != 0).then_some((seq, hash));
        let (seq, hash) = head.unzip();
        meta_from_row((ledger_id, node_key, seq, hash))
    })
    .transpose()
}

/// Locks the chain head and reads it.
async fn lock_head(conn: &mut PgConnection) -> Result<(u64, EntryHash), StoreError> {
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as("SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE")
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    match row {
        None => Err(corrupt("ledger_head has no row: the schema is not this ledger's".into())),
        Some((0, hash)) if hash == EntryHash::GENESIS_PREV.0 => Ok((0, EntryHash::GENESIS_PREV)),
        Some((seq, hash)) => Ok((seq_from_row(seq)?, hash_from_row(seq, "hash", &hash)?)),
    }
}

/// Reads and locks the accounts of `handles` (absent ones stay absent), in handle order.
async fn lock_accounts(conn: &mut PgConnection, handles: &BTreeSet<&str>) -> Result<Vec<Account>, StoreError> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let handles: Vec<&str> = handles.iter().copied().collect();
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
         FROM accounts WHERE handle = ANY($1) ORDER BY handle FOR UPDATE",
    )
    .bind(&handles)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(account_from_row).collect()
}

/// Loads the identities of `handles` into `state`, each with the owner record of its active keys
/// (never replacing a key record `state` already holds).
async fn load_identities(conn: &mut PgConnection, state: &mut State, handles: &[&str]) -> Result<(), StoreError> {
    for (handle, identity) in read_identities(conn, handles).await? {
        for key in &identity.keys {
            state.keys.entry(*key).or_insert_with(|| KeyOwner { handle: handle.clone(), revoked: false });
        }
        state.identities.insert(handle, identity);
    }
    Ok(())
}

/// Owner records of `keys`; unknown keys are absent.
async fn read_key_owners(
    conn: &mut PgConnection,
    keys: &BTreeSet<&PublicKey>,
) -> Result<Vec<(PublicKey, KeyOwner)>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let bytes: Vec<&[u8]> = keys.iter().map(|key| key.as_bytes().as_slice()).collect();
    let rows: Vec<(Vec<u8>, String, bool)> =
        sqlx::query_as("SELECT public_key, handle, revoked FROM keys WHERE public_key = ANY($1)")
            .bind(&bytes)
            .fetch_all(conn)
            .await
            .map_err(db)?;
    rows.into_iter()
        .map(|(key, handle, revoked)| {
            let key = key_from_row("keys", &key)?;
            Ok((key, key_owner_from_row(&key, handle, i64::from(revoked))?))
        })
        .collect()
}

/// Upserts the identities of `handles` in one statement: opening members in bulk makes one each.
async fn write_identities(
    conn: &mut PgConnection,
    state: &State,
    handles: &BTreeSet<Handle>,
) -> Result<(), StoreError> {
    if handles.is_empty() {
        return Ok(());
    }
    let roles = handles
        .iter()
        .map(|handle| {
            let identity = state.identities.get(handle).ok_or_else(|| absent("identity", handle))?;
            Ok(i16::from(identity.roles.bits()))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    sqlx::query(
        "INSERT INTO identities (handle, roles) SELECT * FROM UNNEST($1::TEXT[], $2::SMALLINT[])
         ON CONFLICT (handle) DO UPDATE SET roles = excluded.roles",
    )
    .bind(handles.iter().map(Handle::as_str).collect::<Vec<_>>())
    .bind(roles)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Upserts the owner records of `keys` in one statement.
async fn write_keys(conn: &mut PgConnection, state: &State, keys: &BTreeSet<PublicKey>) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let owners =
        keys.iter().map(|key| state.keys.get(key).ok_or_else(|| absent("key", key))).collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO keys (public_key, handle, revoked)
         SELECT * FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::BOOLEAN[])
         ON CONFLICT (public_key) DO UPDATE SET handle = excluded.handle, revoked = excluded.revoked",
    )
    .bind(keys.iter().map(|key| key.as_bytes().as_slice()).collect::<Vec<_>>())
    .bind(owners.iter().map(|owner| owner.handle.as_str()).collect::<Vec<_>>())
    .bind(owners.iter().map(|owner| owner.revoked).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes transfers created or changed (a request answered, a payment reversed) in one statement
/// (arrays bound as single parameters): an import makes thousands in one entry.
async fn write_transfers(conn: &mut PgConnection, transfers: &[&Transfer]) -> Result<(), StoreError> {
    if transfers.is_empty() {
        return Ok(());
    }
    let id_bytes = |id: RequestId| id.as_bytes().to_vec();
    sqlx::query(
        "INSERT INTO transfers
         (id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses, reversed_by)
         SELECT * FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::BIGINT[],
                              $8::TEXT[], $9::BIGINT[], $10::BIGINT[], $11::BYTEA[], $12::BYTEA[])
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, reversed_by = excluded.reversed_by",
    )
    .bind(transfers.iter().map(|t| id_bytes(t.id)).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.status.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.payer.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.payee.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.unit.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.amount.minor()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.memo.as_str()).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.created_ms).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.expires_at_ms).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.reverses.map(id_bytes)).collect::<Vec<_>>())
    .bind(transfers.iter().map(|t| t.reversed_by.map(id_bytes)).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The transfers with these ids (those that do not exist are absent), in one statement.
async fn read_transfers(conn: &mut PgConnection, ids: &[RequestId]) -> Result<Vec<Transfer>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Vec<u8>> = ids.iter().map(|id| id.as_bytes().to_vec()).collect();
    let rows: Vec<TransferRow> = sqlx::query_as(
        "SELECT id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses, reversed_by
         FROM transfers WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(transfer_from_row).collect()
}

/// Upserts accounts in one statement: a batch of payments changes two accounts each.
async fn write_accounts(conn: &mut PgConnection, accounts: &[&Account]) -> Result<(), StoreError> {
    if accounts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO accounts (handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status)
         SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[],
                              $7::BIGINT[], $8::BIGINT[], $9::TEXT[])
         ON CONFLICT (handle) DO UPDATE SET
             kind = excluded.kind, unit = excluded.unit, name = excluded.name,
             balance = excluded.balance, credit_limit = excluded.credit_limit,
             ceiling = excluded.ceiling, soft_limit = excluded.soft_limit, status = excluded.status",
    )
    .bind(accounts.iter().map(|a| a.handle.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.unit.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.balance).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.limits.credit_limit.minor()).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.limits.ceiling.map(Amount::minor)).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.limits.soft_limit.map(Amount::minor)).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.status.as_str()).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes the entries: journal rows, postings and per-handle history rows, one statement per
/// table whatever the batch size (arrays bound as single parameters), so each is one round trip
/// and one cached prepared statement.
async fn write_entries(conn: &mut PgConnection, entries: &[PendingEntry]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let journal = entries.iter().map(|pending| &pending.entry);
    sqlx::query(
        "INSERT INTO journal (seq, request_id, timestamp_ms, kind, command, signatures, prev_hash, hash)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BIGINT[], $4::TEXT[], $5::BYTEA[], $6::BYTEA[],
                              $7::BYTEA[], $8::BYTEA[])",
    )
    .bind(journal.clone().map(|entry| int(entry.seq)).collect::<Vec<_>>())
    .bind(entries.iter().map(|pending| pending.request_id.as_bytes().as_slice()).collect::<Vec<_>>())
    .bind(journal.clone().map(|entry| entry.timestamp_ms).collect::<Vec<_>>())
    .bind(journal.clone().map(|entry| entry.kind.as_str()).collect::<Vec<_>>())
    .bind(journal.clone().map(|entry| entry.command_bytes.as_slice()).collect::<Vec<_>>())
    .bind(journal.clone().map(signatures_bytes).collect::<Vec<_>>())
    .bind(journal.clone().map(|entry| entry.prev_hash.0.as_slice()).collect::<Vec<_>>())
    .bind(journal.map(|entry| entry.hash.0.as_slice()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(db)?;

    let mut postings = PostingColumns::default();
    for pending in entries {
        let seq = int(pending.entry.seq);
        for (idx, (posting, after)) in pending.entry.postings.iter().zip(&pending.balances_after).enumerate() {
            let idx = i32::try_from(idx)
                .map_err(|_| corrupt(format!("append: entry {seq} has more postings than can be numbered")))?;
            postings.seq.push(seq);
            postings.idx.push(idx);
            postings.account.push(posting.account.as_str());
            postings.unit.push(posting.unit.as_str());
            postings.delta.push(posting.delta);
            postings.balance_after.push(*after);
        }
    }
    if !postings.seq.is_empty() {
        sqlx::query(
            "INSERT INTO postings (seq, idx, account, unit, delta, balance_after)
             SELECT * FROM UNNEST($1::BIGINT[], $2::INTEGER[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[])",
        )
        .bind(postings.seq)
        .bind(postings.idx)
        .bind(postings.account)
        .bind(postings.unit)
        .bind(postings.delta)
        .bind(postings.balance_after)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }

    let (mut handles, mut seqs): (Vec<&str>, Vec<i64>) = (Vec::new(), Vec::new());
    for pending in entries {
        for handle in history_handles(pending) {
            handles.push(handle);
            seqs.push(int(pending.entry.seq));
        }
    }
    if !handles.is_empty() {
        sqlx::query("INSERT INTO account_entries (handle, seq) SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[])")
            .bind(handles)
            .bind(seqs)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// The columns of posting rows about to be written.
#[derive(Default)]
struct PostingColumns<'a> {
    seq: Vec<i64>,
    idx: Vec<i32>,
    account: Vec<&'a str>,
    unit: Vec<&'a str>,
    delta: Vec<i64>,
    balance_after: Vec<i64>,
}

// ---------------------------------------------------------------------------------------------
// Reads shared by the store and the writer's transaction.

/// Roles and active keys of each of `handles` that has an identity, in one statement.
async fn read_identities(conn: &mut PgConnection, handles: &[&str]) -> Result<HashMap<Handle, Identity>, StoreError> {
    if handles.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i16, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT i.handle, i.roles, k.public_key
         FROM identities i LEFT JOIN keys k ON k.handle = i.handle AND NOT k.revoked
         WHERE i.handle = ANY($1)",
    )
    .bind(handles)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    let mut identities: HashMap<Handle, Identity> = HashMap::new();
    for (handle, roles, key) in rows {
        let handle = Handle::parse(&handle).map_err(|error| corrupt(format!("identities: {error}")))?;
        let roles = roles_from_row(&handle, i64::from(roles))?;
        let key = key.map(|bytes| key_from_row(&format!("identity {handle}"), &bytes)).transpose()?;
        let identity = identities.entry(handle).or_insert_with(|| Identity { roles, keys: BTreeSet::new() });
        identity.keys.extend(key);
    }
    Ok(identities)
}

/// Posting rows of the entries `seqs`, in entry then posting order.
/// The postings of journal rows read in seq order, in one statement.
async fn read_postings_of(conn: &mut PgConnection, rows: &[JournalRow]) -> Result<Vec<PostingRow>, StoreError> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(Vec::new());
    };
    sqlx::query_as(
        "SELECT seq, account, unit, delta, balance_after FROM postings
         WHERE seq BETWEEN $1 AND $2 ORDER BY seq, idx",
    )
    .bind(first.0)
    .bind(last.0)
    .fetch_all(conn)
    .await
    .map_err(db)
}

async fn read_postings(conn: &mut PgConnection, seqs: &[i64]) -> Result<Vec<PostingRow>, StoreError> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT seq, account, unit, delta, balance_after FROM postings
         WHERE seq = ANY($1) ORDER BY seq, idx",
    )
    .bind(seqs)
    .fetch_all(conn)
    .await
    .map_err(db)
}

/// The entries made by any of `ids`, each checked against the request id its signed bytes name.
async fn read_entries_by_request(
    conn: &mut PgConnection,
    ids: &[RequestId],
) -> Result<HashMap<RequestId, Entry>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let bytes: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
    // The request id, then a journal row.
    type RequestJournalRow = (Vec<u8>, i64, i64, String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
    let rows: Vec<RequestJournalRow> = sqlx::query_as(
        "SELECT request_id, seq, timestamp_ms, kind, command, signatures, prev_hash, hash
         FROM journal WHERE request_id = ANY($1)",
    )
    .bind(&bytes)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let seqs: Vec<i64> = rows.iter().map(|row| row.1).collect();
    let mut postings: BTreeMap<i64, Vec<PostingRow>> = group_postings(read_postings(conn, &seqs).await?);
    let mut found = HashMap::with_capacity(rows.len());
    for (request_id, seq, timestamp_ms, kind, command, signatures, prev_hash, hash) in rows {
        let own = postings.remove(&seq).unwrap_or_default();
        let entry = entry_from_rows((seq, timestamp_ms, kind, command, signatures, prev_hash, hash), &own)?;
        let id = ids
            .iter()
            .find(|id| id.as_bytes().as_slice() == request_id.as_slice())
            .copied()
            .ok_or_else(|| corrupt(format!("entry {seq}: found under a request id nobody asked for")))?;
        found.insert(id, check_request_id(entry, id)?);
    }
    Ok(found)
}

/// A unit row as PostgreSQL types it (`SMALLINT` scale).
fn unit_row((code, scale, name): (String, i16, String)) -> Result<Unit, StoreError> {
    let row: UnitRow = (code, i64::from(scale), name);
    unit_from_row(row)
}

/// Loads the commons and declarations `refs` names that `state` does not hold yet.
async fn load_chamber(conn: &mut PgConnection, state: &mut State, refs: &References) -> Result<(), StoreError> {
    for name in &refs.commons {
        if !state.commons.contains_key(name)
            && let Some(commons) = chamber::read_commons(conn, name).await?
        {
            state.commons.insert(name.clone(), commons);
        }
    }
    for id in &refs.declarations {
        if !state.declarations.contains_key(id)
            && let Some(declaration) = chamber::read_declaration(conn, *id).await?
        {
            state.declarations.insert(*id, declaration);
        }
    }
    Ok(())
}

/// Writes the commons registered and the declarations made or decided: commons first, since a
/// declaration references its commons.
async fn write_chamber(conn: &mut PgConnection, state: &State, changes: &Changes) -> Result<(), StoreError> {
    for name in &changes.commons {
        let commons = state.commons.get(name).ok_or_else(|| absent("commons", name))?;
        chamber::write_commons(conn, commons).await?;
    }
    for id in &changes.declarations {
        let declaration = state.declarations.get(id).ok_or_else(|| absent("declaration", id))?;
        chamber::write_declaration(conn, declaration).await?;
    }
    Ok(())
}
