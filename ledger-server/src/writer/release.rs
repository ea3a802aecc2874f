//! A batch's answers, given once what it committed is durable.
//!
//! Where the store's commit is durable on its own (PostgreSQL), a batch is released as soon as it
//! is done. Where it is not (SQLite, see `store::sqlite::wal_flush`), batches go to a thread of
//! their own that flushes the log and then releases them, while the writer goes on with the next
//! batch: the disk's wait overlaps the next batch's work instead of stopping it. Batches that
//! wait together share one flush. Either way a batch is released whole and in order: its
//! callers' answers, the readers it held back ([`Durability`]), and the live feed's wake-up.

use std::sync::Arc;
use std::sync::mpsc;

use tokio::sync::{oneshot, watch};

use super::Outcome;
use crate::store::LogFlush;
use crate::store::durable_reads::{Durability, raise};

/// One batch's answers and what it committed.
pub(super) struct Done {
    /// Each caller's answer.
    pub answers: Vec<(oneshot::Sender<Outcome>, Outcome)>,
    /// The highest sequence number the batch committed, if any.
    pub last_seq: Option<u64>,
    /// Commits begun by the end of the batch: this batch's and every one before.
    pub commits: u64,
}

/// Tells everyone waiting on a durable batch.
pub(super) struct Release {
    /// The last sequence number durable, for the live feed.
    pub head: watch::Sender<u64>,
    /// Readers waiting for the commits they saw.
    pub durability: Arc<Durability>,
}

impl Release {
    fn release(&self, done: Done) {
        // Readers first: a caller that reads once answered does not wait.
        self.durability.durable_up_to(done.commits);
        if let Some(seq) = done.last_seq {
            raise(&self.head, seq);
        }
        for (reply, answer) in done.answers {
            // A caller that went away no longer needs its answer; the commit stands.
            let _ = reply.send(answer);
        }
    }
}

/// Where the writer hands each batch it is done with.
pub(super) enum Releaser {
    /// Released at once: the commit was durable.
    Now(Release),
    /// Released by the flushing thread after its flush.
    AfterFlush(mpsc::Sender<Done>),
}

impl Releaser {
    /// A releaser for a store whose commits `log` makes durable (`None`: they are already), and
    /// the flushing thread if one was started (it ends once the releaser is dropped).
    pub fn new(log: Option<Arc<dyn LogFlush>>, release: Release) -> (Self, Option<std::thread::JoinHandle<()>>) {
        let Some(log) = log else {
            return (Releaser::Now(release), None);
        };
        let (batches, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ledger-flush".into())
            .spawn(move || flush_and_release(log.as_ref(), &done, &release))
            .expect("the flushing thread starts");
        (Releaser::AfterFlush(batches), Some(thread))
    }

    /// Hands over a batch the writer is done with.
    pub fn hand_over(&self, done: Done) {
        match self {
            Releaser::Now(release) => release.release(done),
            // Fails only if the flushing thread is gone, which stops the process (`flush_or_stop`).
            Releaser::AfterFlush(batches) => {
                let _ = batches.send(done);
            }
        }
    }
}

fn flush_and_release(log: &dyn LogFlush, batches: &mpsc::Receiver<Done>, release: &Release) {
    while let Ok(first) = batches.recv() {
        let waiting: Vec<Done> = std::iter::once(first).chain(batches.try_iter()).collect();
        flush_or_stop(log);
        for done in waiting {
            release.release(done);
        }
    }
    // The writer has stopped (or failed between a commit and its hand-over): what it committed is
    // made durable before the readers it held back are let through.
    flush_or_stop(log);
    release.durability.durable_up_to(release.durability.begun());
}

/// A failed flush leaves unknown what of the log is on disk, and a later flush can succeed
/// without writing what the failed one lost (the kernel may have dropped those pages). Nothing
/// committed since the last good flush may be reported, so the server stops at once, as
/// PostgreSQL does on a failed fsync; at its next start SQLite recovers the log up to its last
/// whole, durable commit, and callers not yet answered retry with their request ids.
fn flush_or_stop(log: &dyn LogFlush) {
    if let Err(error) = log.flush() {
        tracing::error!(%error, "flushing the write-ahead log failed; stopping the server");
        eprintln!("ledgerd: flushing the write-ahead log failed: {error}; stopping");
        std::process::abort();
    }
}
