//! Checkpoints of the write-ahead log, off the writer's path.
//!
//! By default SQLite copies the log back into the database file (a checkpoint, with its own
//! fsync) inside the commit that takes the log past 1,000 pages, so every few batches one waited
//! for the pages of several. This task checkpoints instead, on a connection of its own, every
//! [`CHECKPOINT_INTERVAL`], in `PASSIVE` mode: it copies what no reader still needs, and never
//! waits for the writer nor makes it wait.
//!
//! The log starts over only when a write transaction begins with every frame copied, which a
//! writer that never pauses does not leave time for: checkpointed only from here, a log grew to
//! 2 GB in a million payments. So the writing connection still checkpoints, passively too, after
//! a commit that takes the log past [`WRITER_CHECKPOINT_PAGES`]: it finds nearly everything copied
//! already, copies the rest, and its next transaction starts the log over. The last connection to
//! close checkpoints whatever is left.

use std::sync::Weak;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor};
use tokio::sync::Mutex;

use super::Writing;

/// How often the log is copied back.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Pages in the log (64 MiB at 4 KiB) past which the writing connection checkpoints after its
/// commit (SQLite's `wal_autocheckpoint`), so that the log starts over.
pub(super) const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// Starts the task. It ends, closing its connection, when the store is closed or dropped
/// (`writing` then has no connection, or is gone).
pub(super) fn spawn(options: SqliteConnectOptions, writing: Weak<Mutex<Writing>>) {
    tokio::spawn(async move {
        let mut conn = None;
        let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(store) = writing.upgrade() else {
                break;
            };
            // Locked means a batch or a checkpoint row is being written: the store is open.
            let closed = store.try_lock().is_ok_and(|writing| writing.conn.is_none());
            drop(store);
            if closed {
                break;
            }
            if let Err(error) = checkpoint(&mut conn, &options).await {
                // The log only grows until a later tick succeeds; readers and the writer go on.
                tracing::warn!(%error, "checkpointing the write-ahead log");
                conn = None;
            }
        }
        if let Some(conn) = conn
            && let Err(error) = conn.close().await
        {
            tracing::debug!(%error, "closing the checkpoint connection");
        }
    });
}

async fn checkpoint(conn: &mut Option<SqliteConnection>, options: &SqliteConnectOptions) -> Result<(), sqlx::Error> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(SqliteConnection::connect_with(options).await?),
    };
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await?;
    Ok(())
}
