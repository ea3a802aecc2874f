//! Storage behind one trait: the journal and its projections, over sqlx.
//!
//! Every backend implements [`Store`] (reads) and [`BatchTx`] (the writer's one transaction per
//! batch). The writer never writes anything but through a `BatchTx`, and every projection row is
//! written in the same transaction as the entries it projects. Nothing outside this module knows
//! which backend it talks to: [`open`] picks one from the database URL.
//!
//! # Layout
//!
//! - [`sqlite`]: the embedded default, one file owned by one `ledgerd`.
//! - [`postgres`]: PostgreSQL, safe with several `ledgerd` replicas on one database.
//! - `rows`: stored rows to domain types, validated the same way for every backend.
//! - `chamber_rows`: the same for the chamber's commons and declarations.
//! - `clearing_rows`: the same for applied clearing runs.
//! - `agreement_rows`: the same for businesses' agreements ([`AgreementRecord`]).
//! - `rule_rows`: the same for the rule book's rules and quorum.
//! - `unit_cache`: units read once and kept, since a unit never changes.
//! - [`durable_reads`]: reads answered only once what they saw is on disk.

mod agreement_rows;
mod chamber_rows;
mod clearing_rows;
mod distribution_rows;
pub mod durable_reads;
pub mod postgres;
mod rows;
mod rule_rows;
pub mod sqlite;
mod unit_cache;

use std::collections::HashMap;
use std::sync::Arc;

pub use agreement_rows::AgreementRecord;
use async_trait::async_trait;
use ledger_core::account::{Account, RoleSet, Unit};
use ledger_core::chamber::{
    Commons, CommonsName, Declaration, DeclarationStatus, DistributionRecord, Period, RuleBook, RuleRecord,
};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::clearing::settlement::AppliedRun;
use ledger_core::command::{EntryKind, References};
use ledger_core::invoice::{Invoice, InvoiceStatus};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::PublicKey;
use ledger_core::names::{DeclarationId, DistributionId, Handle, LedgerId, RequestId, RuleId, UnitCode};
use ledger_core::state::{Changes, Identity, KeyOwner, State};
use ledger_core::transfer::Transfer;

/// A storage failure. The message is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the transaction failed. A transaction that failed
    /// before its commit wrote nothing; one whose commit was cut off may or may not have committed,
    /// which a retry finds out (request ids make every command idempotent).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The transaction lost a race with another writer (serialization failure, deadlock, lock
    /// timeout, a unique key taken first) and was rolled back; running it again may succeed.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// The database holds something that breaks an invariant (corruption, tampering).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether running the transaction again from scratch may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Conflict(_) => true,
            StoreError::Corrupt(_) => false,
        }
    }
}

/// The ledger's identity and the head of its chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerMeta {
    /// Ledger id.
    pub ledger_id: LedgerId,
    /// The server's key, named by the genesis entry.
    pub node_key: PublicKey,
    /// Sequence number of the last entry.
    pub head_seq: u64,
    /// Hash of the last entry.
    pub head_hash: EntryHash,
}

/// An entry ready to append, with what the projections need beyond the entry itself.
#[derive(Clone, Debug)]
pub struct PendingEntry {
    /// The sealed entry.
    pub entry: Entry,
    /// Its request id (also inside `entry.command_bytes`), for idempotency look-ups.
    pub request_id: RequestId,
    /// Every handle whose account or identity the entry changed, for per-account history.
    pub touched: Vec<Handle>,
    /// Balance of each posting's account right after this entry, parallel to `entry.postings`.
    pub balances_after: Vec<i64>,
}

/// One line of an account's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// The entry.
    pub entry: Entry,
    /// Change of this account's balance, if it moved.
    pub delta: Option<i64>,
    /// Balance after the entry, if it moved.
    pub balance_after: Option<i64>,
}

/// Which entries of an account's history to read. Pages stay stable while entries arrive: they
/// go by sequence number, newest first, and the same filter is sent with every page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<EntryKind>,
    /// Only entries stamped at or after this instant (milliseconds since the Unix epoch).
    pub from_ms: Option<i64>,
    /// Only entries stamped before this instant.
    pub to_ms: Option<i64>,
}

impl HistoryFilter {
    /// The kinds as `,kind,kind,` (empty for every kind), matched in SQL with `',' || kind || ','`.
    pub(crate) fn kinds_text(&self) -> String {
        if self.kinds.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = self.kinds.iter().map(|kind| kind.as_str()).collect();
        format!(",{},", names.join(","))
    }

    /// The time range as a half-open interval of milliseconds.
    pub(crate) fn range_ms(&self) -> (i64, i64) {
        (self.from_ms.unwrap_or(i64::MIN), self.to_ms.unwrap_or(i64::MAX))
    }
}

/// Which invoices to list; every filter given must hold. Pages go by invoice id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Only this unit's.
    pub unit: Option<UnitCode>,
    /// Only those in this status.
    pub status: Option<InvoiceStatus>,
    /// Only those where this handle is the creditor or the debtor.
    pub party: Option<Handle>,
}
/// An applied clearing run and the entry that applied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRun {
    /// Sequence number of its entry.
    pub seq: u64,
    /// What it did.
    pub run: AppliedRun,
}

/// Which declarations to list: every filter set must match. Pages go by declaration id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclarationFilter {
    /// Only for this commons.
    pub commons: Option<CommonsName>,
    /// Only of this period.
    pub period: Option<Period>,
    /// Only with this status.
    pub status: Option<DeclarationStatus>,
    /// Only by this contributor.
    pub contributor: Option<Handle>,
}

/// Reads, each consistent on its own.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The ledger's identity and head; none before the genesis entry.
    async fn meta(&self) -> Result<Option<LedgerMeta>, StoreError>;
    /// Closes every connection, waiting for those in use; called once the writer has stopped.
    async fn close(&self);
    /// Starts the writer's transaction for one batch.
    async fn begin(&self) -> Result<Box<dyn BatchTx>, StoreError>;
    /// What makes a batch durable after [`BatchTx::commit`], for a backend whose commit does not
    /// wait for the disk; `None` (the default) when the commit itself is durable.
    fn log_flush(&self) -> Option<Arc<dyn LogFlush>> {
        None
    }
    /// Whose a key is, with the holder's roles.
    async fn key_owner(&self, key: &PublicKey) -> Result<Option<(KeyOwner, RoleSet)>, StoreError>;
    /// Roles and active keys of a handle.
    async fn identity(&self, handle: &Handle) -> Result<Option<Identity>, StoreError>;
    /// One unit.
    async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>, StoreError>;
    /// Units ordered by code, after `after`, at most `limit`.
    async fn units(&self, after: Option<&UnitCode>, limit: u32) -> Result<Vec<Unit>, StoreError>;
    /// One account.
    async fn account(&self, handle: &Handle) -> Result<Option<Account>, StoreError>;
    /// Accounts ordered by handle, after `after`, at most `limit`.
    async fn accounts(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<Account>, StoreError>;
    /// Every account (of one unit, or all) ordered by unit then handle, and the head sequence
    /// number they reflect, read in one consistent snapshot.
    async fn balances(&self, unit: Option<&UnitCode>) -> Result<(u64, Vec<Account>), StoreError>;
    /// Entries that touched `handle` and pass `filter`, newest first, with seq below
    /// `before_seq`, at most `limit`.
    async fn history(
        &self,
        handle: &Handle,
        before_seq: Option<u64>,
        filter: &HistoryFilter,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError>;
    /// Entries with seq ≥ `from_seq`, in order, at most `limit`.
    async fn entries(&self, from_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError>;
    /// The entry made by a request id.
    async fn entry_by_request(&self, id: RequestId) -> Result<Option<Entry>, StoreError>;
    /// One transfer (payment, request or reversal) and where it stands.
    async fn transfer(&self, id: RequestId) -> Result<Option<Transfer>, StoreError>;
    /// Pending requests where `handle` is the payer or the payee, ordered by id, with id after
    /// `after`, at most `limit`.
    async fn pending_requests(
        &self,
        handle: &Handle,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Transfer>, StoreError>;
    /// One invoice and where it stands.
    async fn invoice(&self, id: RequestId) -> Result<Option<Invoice>, StoreError>;
    /// Invoices passing `filter`, ordered by id, with id after `after`, at most `limit`.
    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Invoice>, StoreError>;
    /// One applied clearing run, with its set-offs and credit postings in the signed order.
    async fn clearing_run(&self, id: RequestId) -> Result<Option<StoredRun>, StoreError>;
    /// One commons of the registry.
    async fn commons(&self, name: &CommonsName) -> Result<Option<Commons>, StoreError>;
    /// Commons ordered by name, after `after`, at most `limit`.
    async fn list_commons(&self, after: Option<&CommonsName>, limit: u32) -> Result<Vec<Commons>, StoreError>;
    /// One declaration.
    async fn declaration(&self, id: DeclarationId) -> Result<Option<Declaration>, StoreError>;
    /// Declarations passing `filter`, ordered by id, with id after `after`, at most `limit`.
    async fn declarations(
        &self,
        filter: &DeclarationFilter,
        after: Option<DeclarationId>,
        limit: u32,
    ) -> Result<Vec<Declaration>, StoreError>;
    /// The agreement of a business, with its unit.
    async fn agreement(&self, business: &Handle) -> Result<Option<AgreementRecord>, StoreError>;
    /// Agreements ordered by business, after `after`, at most `limit`.
    async fn agreements(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<AgreementRecord>, StoreError>;
    /// One remuneration rule, proposed or adopted.
    async fn rule(&self, id: RuleId) -> Result<Option<RuleRecord>, StoreError>;
    /// Rules ordered by id, after `after`, at most `limit`.
    async fn rules(&self, after: Option<RuleId>, limit: u32) -> Result<Vec<RuleRecord>, StoreError>;
    /// The quorum (1 until set) and how many rules have been adopted.
    async fn rule_book(&self) -> Result<RuleBook, StoreError>;
    /// A distribution with its lines.
    async fn distribution(&self, id: DistributionId) -> Result<Option<DistributionRecord>, StoreError>;
    /// Entries with seq in `from_seq..=to_seq`, in order, at most `limit`, exactly as stored: not
    /// checked, so that an auditor sees a tampered entry for themselves instead of a refusal.
    async fn entries_as_stored(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError>;
    /// Stores a checkpoint; one already stored for its entry wins (it is just as valid).
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
    /// Checkpoints with seq in `from_seq..=to_seq`, in order, at most `limit`.
    async fn checkpoints(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError>;
    /// The checkpoint with the highest seq.
    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;
}

/// The writer's transaction for one batch. Dropping it without [`BatchTx::commit`] rolls back.
#[async_trait]
pub trait BatchTx: Send {
    /// Seq and hash of the last entry; `(0, EntryHash::GENESIS_PREV)` on an empty journal.
    async fn head(&mut self) -> Result<(u64, EntryHash), StoreError>;
    /// As [`Store::meta`], read inside this transaction, on its connection.
    async fn meta(&mut self) -> Result<Option<LedgerMeta>, StoreError>;
    /// Loads into `state` what `refs` names and `state` does not hold yet: for each handle its
    /// account and identity (roles, active keys, and the owner record of each of those keys);
    /// for each unit the unit; for each key its owner record and that owner's identity; and the
    /// unit of every account loaded; for each transfer and invoice its record; for each commons
    /// and each declaration its record; for each business in `refs.agreements` its agreement.
    /// What does not exist stays absent. Never overwrites what `state` already holds: what earlier
    /// commands of the batch changed, or what the writer kept from its last commit.
    async fn load(&mut self, state: &mut State, refs: &References) -> Result<(), StoreError>;
    /// The entry made by a request id, if any.
    async fn find_request(&mut self, id: RequestId) -> Result<Option<Entry>, StoreError>;
    /// The entries made by any of these request ids (those never seen are absent). Backends where
    /// a statement costs a network round trip answer this in one go.
    async fn find_requests(&mut self, ids: &[RequestId]) -> Result<HashMap<RequestId, Entry>, StoreError> {
        let mut found = HashMap::new();
        for id in ids {
            if let Some(entry) = self.find_request(*id).await? {
                found.insert(*id, entry);
            }
        }
        Ok(found)
    }
    /// Appends the entries (in order, seq continuing the head) and writes back, from `state`,
    /// everything `changes` names: ledger meta on genesis, units, accounts, identities, keys,
    /// transfers, invoices, commons, declarations, and (after the entries, which they name)
    /// clearing runs.
    async fn append(&mut self, entries: &[PendingEntry], state: &State, changes: &Changes) -> Result<(), StoreError>;
    /// Commits: the batch is visible to readers on return, and durable too unless the store has
    /// a [`Store::log_flush`].
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Makes durable every batch committed before it is called (blocking: it waits for the disk).
pub trait LogFlush: Send + Sync {
    /// Flushes what the commits wrote; an error means they may not survive a power cut.
    fn flush(&self) -> std::io::Result<()>;
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

impl Backend {
    /// The backend of a database URL, by its scheme; none for an unknown scheme.
    pub fn of(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// Bounds of the connection to a database server (PostgreSQL; the SQLite backend keeps its own,
/// fitted to one local file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections this process opens: the writer's plus concurrent readers.
    pub connections_max: u32,
    /// Longest one statement may run, lock waits included, before it fails (and its batch is
    /// retried); also how long a transaction may sit idle before the server ends it, so a replica
    /// that vanished mid-batch cannot hold the chain head for long.
    pub statement_timeout_ms: u64,
    /// Longest a caller waits for a connection, reconnecting included, before the store reports
    /// itself unavailable; also bounds the first connection at start-up.
    pub acquire_timeout_ms: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { connections_max: 8, statement_timeout_ms: 5_000, acquire_timeout_ms: 5_000 }
    }
}

/// Opens the store a database URL names, with default bounds: see [`open_with`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &StoreOptions::default()).await
}

/// Opens the store a database URL names and brings its schema up to date: `sqlite://PATH`
/// (created on first use) or `postgres://USER@HOST:PORT/DATABASE` (the database must exist).
pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => Ok(Arc::new(sqlite::SqliteStore::open(url).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(postgres::PostgresStore::open(url, options).await?)),
        // Only the scheme is repeated: the rest of a URL may hold a password.
        None => Err(StoreError::Unavailable(format!(
            "unsupported database URL scheme {:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE",
            url.split_once("://").map_or("", |(scheme, _)| scheme)
        ))),
    }
}
