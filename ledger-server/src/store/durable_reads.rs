//! Reads answered only once what they saw is on disk.
//!
//! On SQLite the writer commits a batch without waiting for the disk, and a thread of its own
//! flushes the write-ahead log behind it (see `crate::writer`), so that the writer builds the next
//! batch while the disk works. Readers see a batch from its commit, before it is durable: a power
//! cut then would lose a batch someone had been shown. So no read is answered before what it
//! could have seen is durable. [`Durability`] counts the commits begun and those flushed;
//! [`DurableReads`] waits, after each read, until every commit begun before the read ended is
//! flushed. That wait is a flush or two under load (a few milliseconds) and nothing when the
//! writer is idle; a unit, which never changes, is read without it once known durable. The
//! writer answers its own callers the same way, after their batch's flush.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use ledger_core::account::{Account, RoleSet, Unit};
use ledger_core::chamber::{Commons, CommonsName, Declaration, DistributionRecord, RuleBook, RuleRecord};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::invoice::Invoice;
use ledger_core::journal::Entry;
use ledger_core::keys::PublicKey;
use ledger_core::names::{DeclarationId, DistributionId, Handle, RequestId, RuleId, UnitCode};
use ledger_core::state::{Identity, KeyOwner};
use ledger_core::transfer::Transfer;
use tokio::sync::watch;

use super::{
    AgreementRecord, BatchTx, DeclarationFilter, HistoryFilter, HistoryRow, InvoiceFilter, LedgerMeta, LogFlush, Store,
    StoreError, StoredRun,
};

/// How far the writer's commits are durable.
#[derive(Debug)]
pub struct Durability {
    /// Commits begun, counted before each one starts: a reader that saw a commit's rows finds it
    /// counted.
    begun: AtomicU64,
    /// How many of the commits begun are durable, in the order they began.
    durable: watch::Sender<u64>,
}

impl Default for Durability {
    fn default() -> Self {
        Self { begun: AtomicU64::new(0), durable: watch::Sender::new(0) }
    }
}

impl Durability {
    /// Counts a commit about to start; call it before the commit, never after.
    pub fn commit_begins(&self) {
        self.begun.fetch_add(1, Ordering::SeqCst);
    }

    /// How many commits have begun.
    pub fn begun(&self) -> u64 {
        self.begun.load(Ordering::SeqCst)
    }

    /// Says the first `commits` commits begun are durable (or failed, which leaves nothing to
    /// flush).
    pub fn durable_up_to(&self, commits: u64) {
        raise(&self.durable, commits);
    }

    /// Waits until every commit begun so far is durable.
    pub async fn settled(&self) {
        let begun = self.begun();
        if *self.durable.borrow() >= begun {
            return;
        }
        // The sender lives in `self`, so the wait cannot end but by the count being reached.
        let _ = self.durable.subscribe().wait_for(|durable| *durable >= begun).await;
    }
}

/// Raises a watched count to `to`, waking its watchers only if it rose: a count that never goes
/// back (commits durable, the last sequence number released).
pub(crate) fn raise(count: &watch::Sender<u64>, to: u64) {
    count.send_if_modified(|current| {
        let newer = to > *current;
        *current = (*current).max(to);
        newer
    });
}

/// A store whose reads wait until what they read is durable; see the module's documentation.
pub struct DurableReads {
    store: Arc<dyn Store>,
    durability: Arc<Durability>,
    /// Units read once they were durable. A unit never changes nor goes away, so these are
    /// answered without waiting: every payment reads its unit (for the amount's scale) before
    /// it reaches the writer, and under load it waited for a flush each time.
    durable_units: std::sync::RwLock<HashSet<UnitCode>>,
}

impl DurableReads {
    /// Reads of `store`, settled against the commits `durability` counts (the writer's).
    pub fn of(store: Arc<dyn Store>, durability: Arc<Durability>) -> Arc<dyn Store> {
        Arc::new(Self { store, durability, durable_units: Default::default() })
    }
}

/// Reads through the store, then waits until whatever the read could have seen is durable.
macro_rules! settled {
    ($self:ident . $read:ident ( $($arg:expr),* )) => {{
        let read = $self.store.$read($($arg),*).await;
        $self.durability.settled().await;
        read
    }};
}

#[async_trait]
impl Store for DurableReads {
    async fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        settled!(self.meta())
    }

    async fn close(&self) {
        self.store.close().await;
    }

    async fn begin(&self) -> Result<Box<dyn BatchTx>, StoreError> {
        self.store.begin().await
    }

    fn log_flush(&self) -> Option<Arc<dyn LogFlush>> {
        self.store.log_flush()
    }

    async fn key_owner(&self, key: &PublicKey) -> Result<Option<(KeyOwner, RoleSet)>, StoreError> {
        settled!(self.key_owner(key))
    }

    async fn identity(&self, handle: &Handle) -> Result<Option<Identity>, StoreError> {
        settled!(self.identity(handle))
    }

    async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
        if self.durable_units.read().is_ok_and(|units| units.contains(code)) {
            return self.store.unit(code).await;
        }
        let unit = settled!(self.unit(code))?;
        if unit.is_some()
            && let Ok(mut units) = self.durable_units.write()
        {
            units.insert(code.clone());
        }
        Ok(unit)
    }

    async fn units(&self, after: Option<&UnitCode>, limit: u32) -> Result<Vec<Unit>, StoreError> {
        settled!(self.units(after, limit))
    }

    async fn account(&self, handle: &Handle) -> Result<Option<Account>, StoreError> {
        settled!(self.account(handle))
    }

    async fn accounts(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<Account>, StoreError> {
        settled!(self.accounts(after, limit))
    }

    async fn balances(&self, unit: Option<&UnitCode>) -> Result<(u64, Vec<Account>), StoreError> {
        settled!(self.balances(unit))
    }

    async fn history(
        &self,
        handle: &Handle,
        before_seq: Option<u64>,
        filter: &HistoryFilter,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        settled!(self.history(handle, before_seq, filter, limit))
    }

    async fn entries(&self, from_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        settled!(self.entries(from_seq, limit))
    }

    async fn entry_by_request(&self, id: RequestId) -> Result<Option<Entry>, StoreError> {
        settled!(self.entry_by_request(id))
    }

    async fn transfer(&self, id: RequestId) -> Result<Option<Transfer>, StoreError> {
        settled!(self.transfer(id))
    }

    async fn pending_requests(
        &self,
        handle: &Handle,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Transfer>, StoreError> {
        settled!(self.pending_requests(handle, after, limit))
    }

    async fn invoice(&self, id: RequestId) -> Result<Option<Invoice>, StoreError> {
        settled!(self.invoice(id))
    }

    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        after: Option<RequestId>,
        limit: u32,
    ) -> Result<Vec<Invoice>, StoreError> {
        settled!(self.invoices(filter, after, limit))
    }

    async fn clearing_run(&self, id: RequestId) -> Result<Option<StoredRun>, StoreError> {
        settled!(self.clearing_run(id))
    }

    async fn commons(&self, name: &CommonsName) -> Result<Option<Commons>, StoreError> {
        settled!(self.commons(name))
    }

    async fn list_commons(&self, after: Option<&CommonsName>, limit: u32) -> Result<Vec<Commons>, StoreError> {
        settled!(self.list_commons(after, limit))
    }

    async fn declaration(&self, id: DeclarationId) -> Result<Option<Declaration>, StoreError> {
        settled!(self.declaration(id))
    }

    async fn declarations(
        &self,
        filter: &DeclarationFilter,
        after: Option<DeclarationId>,
        limit: u32,
    ) -> Result<Vec<Declaration>, StoreError> {
        settled!(self.declarations(filter, after, limit))
    }

    async fn agreement(&self, business: &Handle) -> Result<Option<AgreementRecord>, StoreError> {
        settled!(self.agreement(business))
    }

    async fn agreements(&self, after: Option<&Handle>, limit: u32) -> Result<Vec<AgreementRecord>, StoreError> {
        settled!(self.agreements(after, limit))
    }

    async fn rule(&self, id: RuleId) -> Result<Option<RuleRecord>, StoreError> {
        settled!(self.rule(id))
    }

    async fn rules(&self, after: Option<RuleId>, limit: u32) -> Result<Vec<RuleRecord>, StoreError> {
        settled!(self.rules(after, limit))
    }

    async fn rule_book(&self) -> Result<RuleBook, StoreError> {
        settled!(self.rule_book())
    }

    async fn distribution(&self, id: DistributionId) -> Result<Option<DistributionRecord>, StoreError> {
        settled!(self.distribution(id))
    }

    async fn entries_as_stored(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        settled!(self.entries_as_stored(from_seq, to_seq, limit))
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        // A write of what was read through here, so of entries already durable.
        self.store.save_checkpoint(checkpoint).await
    }

    async fn checkpoints(&self, from_seq: u64, to_seq: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError> {
        settled!(self.checkpoints(from_seq, to_seq, limit))
    }

    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        settled!(self.latest_checkpoint())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Durability;

    #[tokio::test]
    async fn a_read_waits_for_every_commit_begun_before_it_ended() {
        let durability = Arc::new(Durability::default());
        durability.settled().await; // nothing begun: nothing to wait for
        durability.commit_begins();
        durability.commit_begins();
        let waiting = tokio::spawn({
            let durability = durability.clone();
            async move { durability.settled().await }
        });
        durability.durable_up_to(1);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "one of the two commits is still not durable");
        durability.durable_up_to(2);
        waiting.await.expect("settled once both are durable");
        durability.durable_up_to(1); // an older count never moves it back
        durability.settled().await;
    }
}
