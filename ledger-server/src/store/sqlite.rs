//! The SQLite backend: the embedded default, one file owned by one `ledgerd` process.
//!
//! The database runs in WAL mode so reads never wait for the writer. A batch's commit returns once
//! its frames are in the log, and the writer's flushing thread then makes them durable
//! (`wal_flush`) before anyone is told of the batch; every other connection runs with
//! `synchronous = FULL`. The writer's transaction starts with `BEGIN IMMEDIATE`:
//! it takes the write lock when the batch starts, so the head it reads cannot move under it and a
//! second writer waits (up to the busy timeout) instead of failing at commit.
//!
//! The schema is in `migrations/sqlite`, embedded in the binary and applied by [`SqliteStore::open`].
//! Everything read back from disk is validated into the domain types; an entry read back is
//! checked (hash and conservation) before it is returned, so tampering surfaces as
//! [`StoreError::Corrupt`] naming the entry.

mod agreements;
mod batch_reads;
mod chamber;
mod direct;
mod distributions;
mod payment_rows;
mod rules;
mod wal_checkpoints;
mod wal_flush;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ledger_core::account::{Account, RoleSet, Unit};
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
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, SqlSafeStr, Sqlite, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::AgreementRecord;
use super::DeclarationFilter;
use super::InvoiceFilter;
use super::clearing_rows::runs_to_write;
use super::distribution_rows;
use super::rows::{
    AccountRow, CheckpointRow, JournalRow, MetaRow, PostingRow, TransferRow, UnitRow, absent, account_from_row,
    check_continues, check_request_id, checkpoint_from_row, corrupt, entries_as_stored, entries_from_rows,
    entry_from_rows, hash_from_row, history_rows, int, key_from_row, key_owner_from_row, meta_from_row, roles_from_row,
    seq_from_row, transfer_from_row, unit_from_row,
};
use super::unit_cache::UnitCache;
use super::{BatchTx, HistoryFilter, HistoryRow, LedgerMeta, LogFlush, PendingEntry, Store, StoreError, StoredRun};

/// Most connections the readers' pool opens.
const READERS_MAX: u32 = 8;

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// Page cache of the writing connection, in KiB (SQLite's default, kept by readers, is 2 MiB): a
/// batch of payments touches pages all over the accounts and their histories.
const WRITER_CACHE_KIB: u32 = 65_536;

/// How long a caller waits for a free connection before the store reports itself unavailable.
const ACQUIRE_TIMEOUT_MS: u64 = 10_000;

/// Most rows in one multi-row INSERT. At 12 columns at most that is 768 bound parameters, far
/// below SQLite's limit of 32766; the statement for each number of rows is prepared once and kept
/// by the writing connection. Each run of a statement builds the look-up table of every
/// `CHECK (column IN (...))` of more than two values again (accounts have two such checks,
/// transfers three, counting the upsert's): at one row a run that cost more than the rows' own
/// inserts. 256 rows did no better than 64.
const INSERT_ROWS_MAX: usize = 64;

mod clearing_runs;
mod invoices;

/// The first migration, embedded. `sqlx::migrate!` would do the same but needs sqlx's `macros`
/// feature, which the workspace does not enable; version and description follow the file name
/// (`0001_init.sql`) exactly as the macro would, so switching to it later changes nothing stored.
const MIGRATION_0001: &str = include_str!("../../migrations/sqlite/0001_init.sql");
/// Signed checkpoints.
const MIGRATION_0002: &str = include_str!("../../migrations/sqlite/0002_checkpoints.sql");
/// Transfer workflows: the `transfers` projection.
const MIGRATION_0003: &str = include_str!("../../migrations/sqlite/0003_workflows.sql");
/// Every transfer kind (`import`, and those of the chamber and the clearing house).
const MIGRATION_0004: &str = include_str!("../../migrations/sqlite/0004_transfer_kinds.sql");
/// Invoices: the `invoices` projection.
const MIGRATION_0005: &str = include_str!("../../migrations/sqlite/0005_invoices.sql");
/// The chamber of the commons: its registry and declarations.
const MIGRATION_0006: &str = include_str!("../../migrations/sqlite/0006_chamber.sql");
/// Applied clearing runs, their set-offs and credit postings.
const MIGRATION_0007: &str = include_str!("../../migrations/sqlite/0007_clearing_runs.sql");
/// Businesses' agreements with the chamber.
const MIGRATION_0008: &str = include_str!("../../migrations/sqlite/0008_agreements.sql");
/// Remuneration rules and the quorum that adopts them.
const MIGRATION_0009: &str = include_str!("../../migrations/sqlite/0009_rules.sql");
/// Distributions of the commons fund, and which distribution paid each declaration.
const MIGRATION_0010: &str = include_str!("../../migrations/sqlite/0010_distributions.sql");
/// Indexes a payment does not need: none on postings by account, pending transfers only.
const MIGRATION_0011: &str = include_str!("../../migrations/sqlite/0011_lean_indexes.sql");

// SQLite primary result codes (the low byte of an extended code) that mean the data itself is
// wrong rather than the database being out of reach. See https://www.sqlite.org/rescode.html.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_CONSTRAINT: i32 = 19;
const SQLITE_MISMATCH: i32 = 20;
const SQLITE_NOTADB: i32 = 26;

/// A ledger stored in one SQLite file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Connections that only read.
    pool: SqlitePool,
    /// The one connection every write goes through: the writer's batches and the checkpoints
    /// (whose rows the next flush of the log makes durable, or the next checkpoint of the log,
    /// which syncs it first, within `wal_checkpoints::CHECKPOINT_INTERVAL`).
    /// SQLite lets one connection write at a time anyway, and a connection that alone writes keeps
    /// its page cache from one batch to the next; a connection that finds the file changed by
    /// another drops its whole cache and reads every page again. Held open rather than pooled: a
    /// pooled connection goes back to its pool through a task of the runtime, so each batch
    /// waited for the request tasks before it could begin.
    writing: Arc<Mutex<Writing>>,
    /// Units already read.
    units: Arc<UnitCache>,
    /// Makes the writing connection's commits durable; `None` without a write-ahead log (an
    /// in-memory database), where the connection commits with `synchronous = FULL`.
    wal: Option<Arc<wal_flush::WalFlush>>,
}

impl SqliteStore {
    /// Opens (creating it and its directory if missing) the database at `url`, such as
    /// `sqlite://ledger-data/ledger.db` (relative) or `sqlite:///var/lib/ledger/ledger.db`, and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| StoreError::Unavailable(format!("database url {url:?}: {error}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS));
        // SQLite creates the file but not its directory. Blocking, but only once at start-up.
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            create_dir(dir)?;
        }
        let mut writing = SqliteConnection::connect_with(
            &options
                .clone()
                .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                // A commit does not wait for the disk: the writer's flushing thread syncs the
                // log behind it (`wal_flush`), while the next batch is built.
                .synchronous(SqliteSynchronous::Normal)
                // A multi-row statement inside a transaction keeps the pages it changes in a
                // statement journal, to undo itself alone if it fails; on disk that doubled the
                // pages a batch writes.
                .pragma("temp_store", "memory")
                // Checkpoints run on a connection of their own (`wal_checkpoints`); this one
                // only finishes theirs now and then, so that the log starts over.
                .pragma("wal_autocheckpoint", wal_checkpoints::WRITER_CHECKPOINT_PAGES.to_string()),
        )
        .await
        .map_err(db)?;
        migrator().run(&mut writing).await.map_err(migrate_error)?;
        let journal_mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut writing).await.map_err(db)?;
        let wal = if journal_mode.eq_ignore_ascii_case("wal") {
            Some(Arc::new(wal_flush::WalFlush::of(options.get_filename())))
        } else {
            // No log to flush behind the writer (an in-memory database keeps none on disk): each
            // commit is made as durable as it can be on its own.
            sqlx::query("PRAGMA synchronous = FULL").execute(&mut writing).await.map_err(db)?;
            None
        };
        let writing = Arc::new(Mutex::new(Writing { direct: None, conn: Some(writing), in_transaction: false }));
        wal_checkpoints::spawn(options.clone(), Arc::downgrade(&writing));
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS_MAX)
            .acquire_timeout(Duration::from_millis(ACQUIRE_TIMEOUT_MS))
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(SqliteStore { pool, writing, units: Arc::default(), wal })
    }

    /// Closes every connection, waiting for those in use, after copying the write-ahead log back.
    pub async fn close(&self) {
        self.pool.close().await;
        let mut writing = self.writing.lock().await;
        if let Err(error) = writing.settle().await {
            tracing::warn!(%error, "rolling back before closing");
        }
        // Its statements finalized before the connection they were prepared on closes.
        writing.direct = None;
        if let Some(mut conn) = writing.conn.take() {
            // The whole log copied back and emptied, so the next start has none to read: the last
            // connection to close would do it, but the checkpoints' own may close after this one.
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await {
                tracing::warn!(%error, "checkpointing the write-ahead log before closing");
            }
            if let Err(error) = conn.close().await {
                tracing::warn!(%error, "closing the writing connection");
            }
        }
    }

    /// Starts a read transaction: its statements all see one snapshot.
    async fn read(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin().await.map_err(db)
    }
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(|error| StoreError::Unavailable(format!("cannot create directory {}: {error}", dir.display())))
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
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
    ])
}

fn migrate_error(error: MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => db(error),
        // A schema this binary does not know (newer, edited, half-applied) is not ours to touch.
        other => StoreError::Corrupt(format!("schema migration: {other}")),
    }
}

/// Maps a sqlx error: what says the stored data is wrong becomes `Corrupt`, anything about
/// reaching the database (IO, locks, pool, closed connections) becomes `Unavailable`.
fn db(error: sqlx::Error) -> StoreError {
    let corrupt = match &error {
        sqlx::Error::Database(database) => {
            database.code().and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| {
                matches!(code & 0xff, SQLITE_CORRUPT | SQLITE_CONSTRAINT | SQLITE_MISMATCH | SQLITE_NOTADB)
            })
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => true,
        _ => false,
    };
    if corrupt { StoreError::Corrupt(error.to_string()) } else { StoreError::Unavailable(error.to_string()) }
}

#[async_trait]
impl Store for SqliteStore {
    async fn close(&self) {
        SqliteStore::close(self).await;
    }

    async fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        read_meta(&mut *self.pool.acquire().await.map_err(db)?).await
    }

    fn log_flush(&self) -> Option<Arc<dyn LogFlush>> {
        self.wal.clone().map(|wal| wal as Arc<dyn LogFlush>)
    }

    async fn begin(&self) -> Result<Box<dyn BatchTx>, StoreError> {
        let mut writing = Arc::clone(&self.writing).lock_owned().await;
        writing.settle().await?;
        // Set first: if `BEGIN` fails half-way, the next user rolls back whatever it left.
        writing.in_transaction = true;
        // With the head, in one hand-over to and from sqlx's worker (see `payment_rows`).
        let row = writing
            .with_direct(|direct| {
                direct.execute_batch("BEGIN IMMEDIATE")?;
                let mut statement = direct.prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?;
                let mut rows = statement.query([])?;
                rows.next()?.map(|row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))).transpose()
            })
            .await?;
        Ok(Box::new(SqliteBatch { writing, head: head_from_row(row)? }))
    }

    async fn key_owner(&self, key: &PublicKey) -> Result<Option<(KeyOwner, RoleSet)>, StoreError> {
        let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT k.handle, k.revoked, i.roles
             FROM keys k LEFT JOIN identities i ON i.handle = k.handle
             WHERE k.public_key = ?",
        )
        .bind(key.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some((handle, revoked, roles)) = row else {
            return Ok(None);
        };
        let owner = key_owner_from_row(key, handle, revoked)?;
        // The foreign key from `keys` guarantees the identity row; its absence is corruption.
        let roles = roles.ok_or_else(|| corrupt(format!("key {key}: its holder {} has no identity", owner.handle)))?;
        let roles = roles_from_row(&owner.handle, roles)?;
        Ok(Some((owner, roles)))
    }

    async fn identity(&self, handle: &Handle) -> Result<Option<Identity>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        read_identity(&mut conn, handle).await
    }

    async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
        if let Some(unit) = self.units.get(code) {
            return Ok(Some(unit));
        }
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let unit = read_unit(&mut conn, code).await?;
        if let Some(unit) = &unit {
            self.units.keep(unit);
        }
        Ok(unit)
    }

    async fn units(&self, after: Option<&UnitCode>, limit: u32) -> Result<Vec<Unit>, StoreError> {
        // Every unit code is non-empty, so "" sorts before all of them.
        let rows: Vec<UnitRow> =
            sqlx::query_as("SELECT code, scale, name FROM units WHERE code > ? ORDER BY code LIMIT ?")
                .bind(after.map_or("", UnitCode::as_str))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter().map(unit_from_row).collect()
    }

    async fn account(&self, handle: &Handle) -> Result<Option<Account>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        read_account(&mut conn, handle).await
    }

    async fn accounts(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<Account>, StoreError> {
        // Every handle is non-empty, so "" sorts before all of them.
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
             FROM accounts WHERE handle > ? ORDER BY handle LIMIT ?",
        )
        .bind(after.map_or("", Handle::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(account_from_row).collect()
    }

    async fn balances(&self, unit: Option<&UnitCode>) -> Result<(u64, Vec<Account>), StoreError> {
        // Every account in one answer (a trial balance): through sqlx's row channel 100,000
        // accounts took over a second, so they are read by rusqlite on a pooled connection, on a
        // blocking thread rather than one of the runtime's workers.
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let unit = unit.map(|code| code.as_str().to_owned());
        let (head, rows) = tokio::task::spawn_blocking(move || {
            let read = direct::with_handle(&mut conn, |direct| read_balances(direct, unit.as_deref()));
            tokio::runtime::Handle::current().block_on(read)
        })
        .await
        .map_err(|error| StoreError::Unavailable(format!("reading balances: {error}")))??;
        let head = u64::try_from(head).map_err(|_| corrupt(format!("journal head {head} is negative")))?;
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
        let kinds = filter.kinds_text();
        let (from_ms, to_ms) = filter.range_ms();
        let mut tx = self.read().await?;
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT j.seq, j.timestamp_ms, j.kind, j.command, j.signatures, j.prev_hash, j.hash
             FROM account_entries a JOIN journal j ON j.seq = a.seq
             WHERE a.handle = ?1 AND a.seq < ?2
               AND (?4 = '' OR instr(?4, ',' || j.kind || ',') > 0)
               AND j.timestamp_ms >= ?5 AND j.timestamp_ms < ?6
             ORDER BY a.seq DESC LIMIT ?3",
        )
        .bind(handle.as_str())
        .bind(before)
        .bind(i64::from(limit))
        .bind(&kinds)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        // The same selection again, inside the same snapshot, for the postings of those entries.
        let postings: Vec<PostingRow> = sqlx::query_as(
            "SELECT seq, account, unit, delta, balance_after FROM postings
             WHERE seq IN (SELECT a.seq FROM account_entries a JOIN journal j ON j.seq = a.seq
                           WHERE a.handle = ?1 AND a.seq < ?2
                             AND (?4 = '' OR instr(?4, ',' || j.kind || ',') > 0)
                             AND j.timestamp_ms >= ?5 AND j.timestamp_ms < ?6
                           ORDER BY a.seq DESC LIMIT ?3)
             ORDER BY seq, idx",
        )
        .bind(handle.as_str())
        .bind(before)
        .bind(i64::from(limit))
        .bind(&kinds)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        history_rows(handle, rows, postings)
    }

    async fn entries(&self, from_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let entries = read_entries(&mut tx, int(from_seq), i64::from(limit)).await?;
        tx.commit().await.map_err(db)?;
        Ok(entries)
    }

    async fn entry_by_request(&self, id: RequestId) -> Result<Option<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let entry = read_entry_by_request(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(entry)
    }

    async fn entries_as_stored(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.read().await?;
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT seq, timestamp_ms, kind, command, signatures, prev_hash, hash
             FROM journal WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?",
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
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(int(checkpoint.seq))
        .bind(checkpoint.hash.0.as_slice())
        .bind(checkpoint.timestamp_ms)
        .bind(checkpoint.signer.as_bytes().as_slice())
        .bind(checkpoint.signature.as_bytes().as_slice())
        .execute(self.writing.lock().await.settled().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn checkpoints(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<CheckpointRow> = sqlx::query_as(
            "SELECT c.seq, c.hash, c.timestamp_ms, c.signer, c.signature, m.ledger_id
             FROM checkpoints c CROSS JOIN ledger_meta m
             WHERE c.seq BETWEEN ? AND ? ORDER BY c.seq LIMIT ?",
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
        read_transfer(&mut conn, id).await
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
             WHERE kind = 'request' AND status = 'pending' AND (payer = ?1 OR payee = ?1) AND id > ?2
             ORDER BY id LIMIT ?3",
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

/// The writing connection, and whether a transaction is open on it.
#[derive(Debug)]
struct Writing {
    /// rusqlite on `conn`'s handle, kept with the statements it prepared ([`Writing::with_direct`]).
    /// Declared before `conn`, so that it is dropped first, finalizing them before `conn` closes.
    direct: Option<rusqlite::Connection>,
    /// `None` once the store is closed.
    conn: Option<SqliteConnection>,
    /// Set by `BEGIN IMMEDIATE`, cleared by its commit. Still set when a batch was dropped
    /// without committing: the next user of the connection rolls that transaction back first.
    in_transaction: bool,
}

impl Writing {
    fn conn(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        self.conn.as_mut().ok_or_else(|| StoreError::Unavailable("the store is closed".into()))
    }

    /// Runs `work` on the writing connection through rusqlite, in one hand-over from sqlx's
    /// worker, with the statements prepared by earlier calls (`direct::with_kept`).
    async fn with_direct<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self.conn.as_mut().ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
        direct::with_kept(conn, &mut self.direct, work).await
    }

    /// Rolls back the transaction of a batch dropped without committing, if any. Its failure is
    /// only logged: a failed `COMMIT` may have rolled back already ("no transaction is active"),
    /// and if a transaction is still open the next `BEGIN IMMEDIATE` fails and sets the flag again.
    async fn settle(&mut self) -> Result<(), StoreError> {
        if self.in_transaction {
            if let Err(error) = sqlx::query("ROLLBACK").execute(self.conn()?).await {
                tracing::debug!(%error, "rolling back a batch that did not commit");
            }
            self.in_transaction = false;
        }
        Ok(())
    }

    /// The connection, with no transaction left open on it.
    async fn settled(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        self.settle().await?;
        self.conn()
    }
}

/// The writer's transaction: holds the writing connection, and the write lock from
/// `BEGIN IMMEDIATE` until commit. Dropped without committing, it leaves its transaction to be
/// rolled back by the connection's next user (a drop cannot wait for the database).
struct SqliteBatch {
    writing: OwnedMutexGuard<Writing>,
    /// Seq and hash of the last entry, as read at `begin` and moved by `append`: nothing else
    /// writes while the transaction holds the write lock.
    head: (u64, EntryHash),
}

#[async_trait]
impl BatchTx for SqliteBatch {
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
        let handles: Vec<&Handle> =
            refs.handles.iter().filter(|handle| !state.accounts.contains_key(*handle)).collect();
        let mut units: BTreeSet<&UnitCode> = refs.units.iter().collect();
        let accounts = batch_reads::accounts(conn, &handles).await?;
        let account_units: Vec<UnitCode> = accounts.iter().map(|account| account.unit.clone()).collect();
        for account in accounts {
            state.accounts.insert(account.handle.clone(), account);
        }

        let handles: Vec<&Handle> =
            refs.handles.iter().filter(|handle| !state.identities.contains_key(*handle)).collect();
        load_identities(conn, state, &handles).await?;

        let keys: Vec<&PublicKey> = refs.keys.iter().filter(|key| !state.keys.contains_key(*key)).collect();
        for (key, owner) in batch_reads::key_owners(conn, &keys).await? {
            state.keys.insert(key, owner);
        }
        // Checked even for a key already held: the owner's identity must come with it.
        let holders: BTreeSet<Handle> = refs
            .keys
            .iter()
            .filter_map(|key| state.keys.get(key))
            .filter(|owner| !state.identities.contains_key(&owner.handle))
            .map(|owner| owner.handle.clone())
            .collect();
        load_identities(conn, state, &holders.iter().collect::<Vec<_>>()).await?;

        units.extend(&account_units);
        let codes: Vec<&UnitCode> = units.into_iter().filter(|code| !state.units.contains_key(*code)).collect();
        for unit in batch_reads::units(conn, &codes).await? {
            state.units.insert(unit.code.clone(), unit);
        }
        let ids: Vec<RequestId> =
            refs.transfers.iter().filter(|id| !state.transfers.contains_key(*id)).copied().collect();
        for transfer in batch_reads::transfers(conn, &ids).await? {
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
        read_entry_by_request(self.writing.conn()?, id).await
    }

    async fn find_requests(&mut self, ids: &[RequestId]) -> Result<HashMap<RequestId, Entry>, StoreError> {
        let conn = self.writing.conn()?;
        let mut found = HashMap::new();
        for id in batch_reads::recorded_requests(conn, ids).await? {
            if let Some(entry) = read_entry_by_request(conn, id).await? {
                found.insert(id, entry);
            }
        }
        Ok(found)
    }

    async fn append(&mut self, entries: &[PendingEntry], state: &State, changes: &Changes) -> Result<(), StoreError> {
        check_continues(self.head, entries)?;
        let conn = self.writing.conn()?;
        // Projections first: postings reference their accounts and units by foreign key.
        if changes.genesis {
            write_meta(conn, state).await?;
        }
        for code in &changes.units {
            let unit = state.units.get(code).ok_or_else(|| absent("unit", code))?;
            write_unit(conn, unit).await?;
        }
        // Identities before keys: a key references its holder's identity.
        for handle in &changes.identities {
            let identity = state.identities.get(handle).ok_or_else(|| absent("identity", handle))?;
            write_identity(conn, handle, identity).await?;
        }
        for key in &changes.keys {
            let owner = state.keys.get(key).ok_or_else(|| absent("key", key))?;
            write_key(conn, key, owner).await?;
        }
        let accounts = changes
            .accounts
            .iter()
            .map(|handle| state.accounts.get(handle).ok_or_else(|| absent("account", handle)))
            .collect::<Result<Vec<_>, _>>()?;
        let transfers = changes
            .transfers
            .iter()
            .map(|id| state.transfers.get(id).ok_or_else(|| absent("transfer", id)))
            .collect::<Result<Vec<_>, _>>()?;
        // Before what names accounts (invoices, agreements, the chamber's rows), in one hand-over.
        payment_rows::write(&mut self.writing, &accounts, &transfers, entries).await?;
        let conn = self.writing.conn()?;
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
        // After the entries: a run's row names its entry.
        for run in runs_to_write(entries, state, changes)? {
            clearing_runs::write(conn, &run).await?;
        }
        if let Some(last) = entries.last() {
            self.head = (last.entry.seq, last.entry.hash);
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let mut writing = self.writing;
        sqlx::query("COMMIT").execute(writing.conn()?).await.map_err(db)?;
        writing.in_transaction = false;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Writes. Each takes the transaction's connection.

async fn write_meta(conn: &mut SqliteConnection, state: &State) -> Result<(), StoreError> {
    let (Some(ledger_id), Some(node_key)) = (state.ledger_id, state.node_key) else {
        return Err(corrupt("append: genesis without a ledger id and node key in the state".into()));
    };
    // A plain insert: a second genesis violates the single-row key and fails the batch.
    sqlx::query("INSERT INTO ledger_meta (id, ledger_id, node_key) VALUES (1, ?, ?)")
        .bind(ledger_id.as_bytes().as_slice())
        .bind(node_key.as_bytes().as_slice())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

async fn write_unit(conn: &mut SqliteConnection, unit: &Unit) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO units (code, scale, name) VALUES (?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET scale = excluded.scale, name = excluded.name",
    )
    .bind(unit.code.as_str())
    .bind(i64::from(unit.scale.places()))
    .bind(unit.name.as_str())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes an identity's roles; its keys are rows of `keys`, written from `changes.keys`.
async fn write_identity(conn: &mut SqliteConnection, handle: &Handle, identity: &Identity) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO identities (handle, roles) VALUES (?, ?)
         ON CONFLICT (handle) DO UPDATE SET roles = excluded.roles",
    )
    .bind(handle.as_str())
    .bind(i64::from(identity.roles.bits()))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn write_key(conn: &mut SqliteConnection, key: &PublicKey, owner: &KeyOwner) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO keys (public_key, handle, revoked) VALUES (?, ?, ?)
         ON CONFLICT (public_key) DO UPDATE SET handle = excluded.handle, revoked = excluded.revoked",
    )
    .bind(key.as_bytes().as_slice())
    .bind(owner.handle.as_str())
    .bind(i64::from(owner.revoked))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The head and the account rows of `unit` (of every unit when none), as one snapshot.
fn read_balances(direct: &rusqlite::Connection, unit: Option<&str>) -> rusqlite::Result<(i64, Vec<AccountRow>)> {
    // Rolled back when dropped: it only reads.
    let snapshot = direct.unchecked_transaction()?;
    let head = snapshot.query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |row| row.get(0))?;
    let mut accounts = snapshot.prepare(
        "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
         FROM accounts WHERE ?1 IS NULL OR unit = ?1 ORDER BY unit, handle",
    )?;
    let rows = accounts
        .query_map([unit], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<AccountRow>>>()?;
    Ok((head, rows))
}

// ---------------------------------------------------------------------------------------------
// Reads shared by the store and the writer's transaction.

/// The ledger's identity and head, in one statement so that both come from one snapshot.
async fn read_meta(conn: &mut SqliteConnection) -> Result<Option<LedgerMeta>, StoreError> {
    let row: Option<MetaRow> = sqlx::query_as(
        "SELECT m.ledger_id, m.node_key, j.seq, j.hash
         FROM ledger_meta m
         LEFT JOIN journal j ON j.seq = (SELECT MAX(seq) FROM journal)
         WHERE m.id = 1",
    )
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(meta_from_row).transpose()
}

/// The head from the journal's last row (seq and hash), or before the first entry if none.
fn head_from_row(row: Option<(i64, Vec<u8>)>) -> Result<(u64, EntryHash), StoreError> {
    match row {
        None => Ok((0, EntryHash::GENESIS_PREV)),
        Some((seq, hash)) => Ok((seq_from_row(seq)?, hash_from_row(seq, "hash", &hash)?)),
    }
}

async fn read_unit(conn: &mut SqliteConnection, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
    let row: Option<UnitRow> = sqlx::query_as("SELECT code, scale, name FROM units WHERE code = ?")
        .bind(code.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(unit_from_row).transpose()
}

async fn read_account(conn: &mut SqliteConnection, handle: &Handle) -> Result<Option<Account>, StoreError> {
    let row: Option<AccountRow> = sqlx::query_as(
        "SELECT handle, kind, unit, name, balance, credit_limit, ceiling, soft_limit, status
         FROM accounts WHERE handle = ?",
    )
    .bind(handle.as_str())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(account_from_row).transpose()
}

/// Roles and active keys of a handle, in one statement so they come from one snapshot.
async fn read_identity(conn: &mut SqliteConnection, handle: &Handle) -> Result<Option<Identity>, StoreError> {
    let rows: Vec<(i64, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT i.roles, k.public_key
         FROM identities i LEFT JOIN keys k ON k.handle = i.handle AND k.revoked = 0
         WHERE i.handle = ?",
    )
    .bind(handle.as_str())
    .fetch_all(conn)
    .await
    .map_err(db)?;
    let Some((roles, _)) = rows.first() else {
        return Ok(None);
    };
    let roles = roles_from_row(handle, *roles)?;
    let keys = rows
        .iter()
        .filter_map(|(_, key)| key.as_deref())
        .map(|bytes| key_from_row(&format!("identity {handle}"), bytes))
        .collect::<Result<_, _>>()?;
    Ok(Some(Identity { roles, keys }))
}

/// Loads the identities of `handles` into `state`, each with the owner record of its active keys
/// (never replacing a key record `state` already holds).
async fn load_identities(
    conn: &mut SqliteConnection,
    state: &mut State,
    handles: &[&Handle],
) -> Result<(), StoreError> {
    for (handle, identity) in batch_reads::identities(conn, handles).await? {
        for key in &identity.keys {
            state.keys.entry(*key).or_insert_with(|| KeyOwner { handle: handle.clone(), revoked: false });
        }
        state.identities.insert(handle, identity);
    }
    Ok(())
}

async fn read_transfer(conn: &mut SqliteConnection, id: RequestId) -> Result<Option<Transfer>, StoreError> {
    let row: Option<TransferRow> = sqlx::query_as(
        "SELECT id, kind, status, payer, payee, unit, amount, memo, created_ms, expires_at_ms, reverses, reversed_by
         FROM transfers WHERE id = ?",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(transfer_from_row).transpose()
}

async fn read_entries(conn: &mut SqliteConnection, from_seq: i64, limit: i64) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<JournalRow> = sqlx::query_as(
        "SELECT seq, timestamp_ms, kind, command, signatures, prev_hash, hash
         FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?",
    )
    .bind(from_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let postings = read_postings_of(conn, &rows).await?;
    entries_from_rows(rows, postings)
}

/// The postings of journal rows read in seq order, in one statement.
async fn read_postings_of(conn: &mut SqliteConnection, rows: &[JournalRow]) -> Result<Vec<PostingRow>, StoreError> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(Vec::new());
    };
    sqlx::query_as(
        "SELECT seq, account, unit, delta, balance_after FROM postings
         WHERE seq BETWEEN ? AND ? ORDER BY seq, idx",
    )
    .bind(first.0)
    .bind(last.0)
    .fetch_all(conn)
    .await
    .map_err(db)
}

async fn read_entry_by_request(conn: &mut SqliteConnection, id: RequestId) -> Result<Option<Entry>, StoreError> {
    let row: Option<JournalRow> = sqlx::query_as(
        "SELECT seq, timestamp_ms, kind, command, signatures, prev_hash, hash
         FROM journal WHERE request_id = ?",
    )
    .bind(id.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let postings: Vec<PostingRow> = sqlx::query_as(
        "SELECT seq, account, unit, delta, balance_after FROM postings
         WHERE seq = ? ORDER BY idx",
    )
    .bind(row.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    check_request_id(entry_from_rows(row, &postings)?, id).map(Some)
}

/// Loads the commons and declarations `refs` names that `state` does not hold yet.
async fn load_chamber(conn: &mut SqliteConnection, state: &mut State, refs: &References) -> Result<(), StoreError> {
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
async fn write_chamber(conn: &mut SqliteConnection, state: &State, changes: &Changes) -> Result<(), StoreError> {
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
