//! Signed checkpoints of the chain's head, on demand and every `checkpoint_interval_ms`.
//!
//! A checkpoint changes no state, so it does not go through the writer: it signs a head that is
//! already committed, and the store keeps at most one per entry (several replicas may sign the
//! same head; the first stored wins, the others are just as valid).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ledger_core::checkpoint::Checkpoint;
use ledger_core::keys::SecretKey;
use ledger_core::names::LedgerId;

use crate::store::{Store, StoreError};

/// Signs the head with the node key.
pub struct Checkpointer {
    /// Where the head is read and checkpoints are kept.
    store: Arc<dyn Store>,
    /// The ledger the checkpoints are about.
    ledger_id: LedgerId,
    /// The node key, named by the genesis entry.
    node: SecretKey,
}

impl Checkpointer {
    /// A checkpointer for `ledger_id`, signing with `node`.
    pub fn new(store: Arc<dyn Store>, ledger_id: LedgerId, node: SecretKey) -> Self {
        Self { store, ledger_id, node }
    }

    /// The checkpoint of the current head: the one already stored if the head has not moved since,
    /// else a new one, stored before it is returned. None on an empty journal.
    pub async fn at_head(&self) -> Result<Option<Checkpoint>, StoreError> {
        let Some(meta) = self.store.meta().await? else { return Ok(None) };
        if meta.head_seq == 0 {
            return Ok(None);
        }
        if let Some(latest) = self.store.latest_checkpoint().await?
            && latest.seq >= meta.head_seq
        {
            return Ok(Some(latest));
        }
        let checkpoint = Checkpoint::sign(self.ledger_id, meta.head_seq, meta.head_hash, now_ms(), &self.node);
        self.store.save_checkpoint(&checkpoint).await?;
        // Another replica may have stored its own for this entry first: hand out the stored one.
        let stored = self.store.checkpoints(meta.head_seq, meta.head_seq, 1).await?;
        Ok(stored.into_iter().next().or(Some(checkpoint)))
    }

    /// Signs the head every `interval_ms` while it moves, until the process stops. Failures are
    /// logged and the next tick tries again: a missed checkpoint loses nothing.
    pub async fn run_every(self: Arc<Self>, interval_ms: u64) {
        let mut ticks = tokio::time::interval(Duration::from_millis(interval_ms));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.at_head().await {
                Ok(Some(checkpoint)) => tracing::debug!(seq = checkpoint.seq, "checkpoint"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "could not sign a checkpoint; trying again later"),
            }
        }
    }
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
