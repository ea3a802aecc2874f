//! The live feed: committed entries streamed in sequence order, for one account or all.
//!
//! Entries are always read from the store, in seq order, from the next one the subscriber has
//! not seen: never from the writer's memory. So a subscriber resuming from `last seen + 1` gets
//! every entry once, whatever happened in between, and entries written by another replica on the
//! same database arrive too. The writer only wakes followers when it commits
//! ([`crate::writer::WriterHandle::committed_head`]); a poll interval covers the other replicas.
//!
//! A feed ends, with `UNAVAILABLE`, when the server starts shutting down, so a graceful
//! shutdown never waits for subscribers.
//!
//! Each subscriber has a bounded queue. One slot is always kept free: when the subscriber has
//! not made room for [`LAG_TIMEOUT_MS`], that slot carries a `RESOURCE_EXHAUSTED` /
//! `FEED_LAGGING` status naming the sequence number to resume from, and the feed ends. Memory per
//! subscriber stays bounded however slowly it reads.

use std::time::Duration;

use ledger_core::command::decode_signing_bytes;
use ledger_core::journal::Entry;
use ledger_core::names::Handle;
use tokio::sync::{mpsc, watch};
use tonic::Status;

use super::Context;
use crate::convert::{self, Scales};
use crate::error::{REASON_HEADER, ServerError};
use crate::proto;

/// Entries queued for one subscriber, the slot kept for the lag status included.
pub const FEED_QUEUE_LEN: usize = 256;
/// Entries read from the store at a time.
const FEED_PAGE_LEN: u32 = 128;
/// How long a subscriber may leave its queue full before it is cut off.
pub const LAG_TIMEOUT_MS: u64 = 5_000;
/// How often the store is read without a wake-up, for entries of other replicas.
const POLL_INTERVAL_MS: u64 = 1_000;

/// The stream a subscriber reads.
pub type Feed = tokio_stream::wrappers::ReceiverStream<Result<proto::JournalEntry, Status>>;

/// Starts following the journal from `from_seq` for `account` (none: every entry). The caller
/// has checked that the reader may see that account, or every account.
pub fn follow(
    ctx: std::sync::Arc<Context>,
    mut stopping: watch::Receiver<bool>,
    account: Option<Handle>,
    from_seq: u64,
) -> Feed {
    let (queue, stream) = mpsc::channel(FEED_QUEUE_LEN);
    tokio::spawn(async move {
        let next = from_seq.max(1);
        let ended = tokio::select! {
            ended = pump(&ctx, account.as_ref(), next, &queue) => ended,
            _ = stopping.wait_for(|stopping| *stopping) => {
                Err(ServerError::Unavailable("the server is shutting down; resume from the next seq later".into()).into())
            }
        };
        if let Err(status) = ended {
            // The one slot kept free takes the final status, unless the subscriber left.
            let _ = queue.try_send(Err(status));
        }
    });
    Feed::new(stream)
}

/// Sends entries until the subscriber leaves (Ok) or the feed must end with a status (Err).
async fn pump(
    ctx: &Context,
    account: Option<&Handle>,
    mut next: u64,
    queue: &mpsc::Sender<Result<proto::JournalEntry, Status>>,
) -> Result<(), Status> {
    let mut head = ctx.writer.committed_head();
    let mut scales = Scales::load(ctx.store.as_ref()).await?;
    loop {
        let entries = ctx.store.entries(next, FEED_PAGE_LEN).await.map_err(ServerError::from)?;
        let full_page = entries.len() == FEED_PAGE_LEN as usize;
        for entry in entries {
            let seq = entry.seq;
            if account.is_none_or(|handle| names(&entry, handle)) {
                let message = match convert::journal_entry(&entry, &scales) {
                    Ok(message) => message,
                    // A unit created since the scales were read.
                    Err(_) => {
                        scales = Scales::load(ctx.store.as_ref()).await?;
                        convert::journal_entry(&entry, &scales)?
                    }
                };
                if !deliver(queue, message, seq, Duration::from_millis(LAG_TIMEOUT_MS)).await? {
                    return Ok(());
                }
            }
            next = seq + 1;
        }
        if full_page {
            continue;
        }
        tokio::select! {
            changed = head.changed() => {
                if changed.is_err() {
                    // The writer stopped: the server is shutting down.
                    return Err(ServerError::Unavailable("the server is shutting down; resume later".into()).into());
                }
            }
            () = tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)) => {}
            () = queue.closed() => return Ok(()),
        }
    }
}

/// Queues entry `seq` while keeping one slot free for a final status: true when queued, false
/// when the subscriber left, the lag status when it made no room for `lag_timeout`.
async fn deliver(
    queue: &mpsc::Sender<Result<proto::JournalEntry, Status>>,
    message: proto::JournalEntry,
    seq: u64,
    lag_timeout: Duration,
) -> Result<bool, Status> {
    match tokio::time::timeout(lag_timeout, queue.reserve_many(2)).await {
        Ok(Ok(permits)) => {
            if let Some(permit) = permits.into_iter().next() {
                permit.send(Ok(message));
            }
            Ok(true)
        }
        Ok(Err(_)) => Ok(false),
        Err(_) => Err(lagging(seq)),
    }
}

/// Whether an entry names `handle`: moves its balance or is about it.
fn names(entry: &Entry, handle: &Handle) -> bool {
    entry.postings.iter().any(|posting| &posting.account == handle)
        || decode_signing_bytes(&entry.command_bytes)
            .is_ok_and(|(_, _, command)| command.references().handles.contains(handle))
}

fn lagging(resume_from: u64) -> Status {
    let mut status = Status::resource_exhausted(format!(
        "this feed fell {FEED_QUEUE_LEN} entries behind for {LAG_TIMEOUT_MS} ms; resume with from_seq {resume_from}"
    ));
    status.metadata_mut().insert(REASON_HEADER, "FEED_LAGGING".parse().expect("ASCII"));
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> proto::JournalEntry {
        proto::JournalEntry { seq, ..Default::default() }
    }

    #[tokio::test]
    async fn a_subscriber_that_stops_reading_is_cut_off_with_where_to_resume() {
        let (queue, mut stream) = mpsc::channel(4);
        let patience = Duration::from_millis(50);
        for seq in 1..=3 {
            assert!(deliver(&queue, entry(seq), seq, patience).await.unwrap());
        }
        // Three queued, one slot kept: the fourth waits for room that never comes.
        let status = deliver(&queue, entry(4), 4, patience).await.unwrap_err();
        queue.try_send(Err(status)).expect("the kept slot takes the status");
        for seq in 1..=3 {
            assert_eq!(stream.recv().await.unwrap().unwrap().seq, seq);
        }
        let status = stream.recv().await.unwrap().unwrap_err();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(status.metadata().get(REASON_HEADER).unwrap(), "FEED_LAGGING");
        assert!(status.message().ends_with("resume with from_seq 4"), "{}", status.message());
    }

    #[tokio::test]
    async fn a_subscriber_that_left_ends_the_feed_quietly() {
        let (queue, stream) = mpsc::channel(4);
        drop(stream);
        assert!(!deliver(&queue, entry(1), 1, Duration::from_millis(50)).await.unwrap());
    }
}
