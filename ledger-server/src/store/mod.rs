//! Storage behind one trait: the journal and its projections, over sqlx.
//!
//! Every backend implements [`Store`] (reads) and [`BatchTx`] (the writer's one transaction per
//! batch). The writer never writes anything but through a `BatchTx`, and every projection row is
//! written in the same transaction as the entries it projects.

pub mod sqlite;

use async_trait::async_trait;
use ledger_core::account::{Account, RoleSet, Unit};
use ledger_core::command::References;
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::PublicKey;
use ledger_core::names::{Handle, LedgerId, RequestId, UnitCode};
use ledger_core::state::{Changes, Identity, KeyOwner, State};

/// A storage failure. The message is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the transaction failed; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database holds something that breaks an invariant (corruption, tampering).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
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

/// Reads, each consistent on its own.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The ledger's identity and head; none before the genesis entry.
    async fn meta(&self) -> Result<Option<LedgerMeta>, StoreError>;
    /// Starts the writer's transaction for one batch.
    async fn begin(&self) -> Result<Box<dyn BatchTx>, StoreError>;
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
    /// Entries that touched `handle`, newest first, with seq below `before_seq`, at most `limit`.
    async fn history(
        &self,
        handle: &Handle,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError>;
    /// Entries with seq ≥ `from_seq`, in order, at most `limit`.
    async fn entries(&self, from_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError>;
    /// The entry made by a request id.
    async fn entry_by_request(&self, id: RequestId) -> Result<Option<Entry>, StoreError>;
}

/// The writer's transaction for one batch. Dropping it without [`BatchTx::commit`] rolls back.
#[async_trait]
pub trait BatchTx: Send {
    /// Seq and hash of the last entry; `(0, EntryHash::GENESIS_PREV)` on an empty journal.
    async fn head(&mut self) -> Result<(u64, EntryHash), StoreError>;
    /// Loads into `state` what `refs` names and `state` does not hold yet: for each handle its
    /// account and identity (roles, active keys, and the owner record of each of those keys);
    /// for each unit the unit; for each key its owner record and that owner's identity; and the
    /// unit of every account loaded. What does not exist stays absent. Never overwrites what
    /// `state` already holds (earlier commands of the batch may have changed it).
    async fn load(&mut self, state: &mut State, refs: &References) -> Result<(), StoreError>;
    /// The entry made by a request id, if any.
    async fn find_request(&mut self, id: RequestId) -> Result<Option<Entry>, StoreError>;
    /// Appends the entries (in order, seq continuing the head) and writes back, from `state`,
    /// everything `changes` names: ledger meta on genesis, units, accounts, identities, keys.
    async fn append(&mut self, entries: &[PendingEntry], state: &State, changes: &Changes) -> Result<(), StoreError>;
    /// Commits durably.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Opens the store a database URL names: `sqlite://PATH` (created on first use).
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        return Ok(std::sync::Arc::new(sqlite::SqliteStore::open(url).await?));
    }
    Err(StoreError::Unavailable(format!("unsupported database URL {url:?}: this build serves sqlite:// databases")))
}
