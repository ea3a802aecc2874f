//! The write-ahead log made durable behind the writer's commits.
//!
//! The writing connection runs with `synchronous = NORMAL`: a commit writes its frames to the log
//! and returns without waiting for the disk. [`WalFlush`] then makes them durable, on the writer's
//! flushing thread, with the `fdatasync` that `synchronous = FULL` would have run inside the
//! commit. SQLite recovers the log up to its last whole commit, so what a flush covers survives a
//! power cut, and what it does not is lost from its end only: never a batch without the ones
//! before it. (`NORMAL` still syncs the log before each checkpoint copies it back, and the
//! database file after.)
//!
//! The log is one file for as long as the writing connection is open: SQLite deletes it only when
//! the last connection closes. The flush keeps its own descriptor on it, and checks each time that
//! the path still names that file, so that it never syncs one SQLite has replaced. SQLite takes no
//! lock on the log file itself (a WAL database locks its `-shm` file), so this descriptor cannot
//! release one when it closes.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::LogFlush;

/// Syncs a database's write-ahead log (`PATH-wal`).
#[derive(Debug)]
pub(super) struct WalFlush {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl WalFlush {
    /// The log of the database file at `database`.
    pub(super) fn of(database: &std::path::Path) -> Self {
        let mut path = database.as_os_str().to_owned();
        path.push("-wal");
        Self { path: PathBuf::from(path), file: Mutex::new(None) }
    }
}

impl LogFlush for WalFlush {
    fn flush(&self) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let named = std::fs::metadata(&self.path)?;
        let same = match file.as_ref() {
            Some(open) => {
                let held = open.metadata()?;
                (held.dev(), held.ino()) == (named.dev(), named.ino())
            }
            None => false,
        };
        if !same {
            *file = Some(File::open(&self.path)?);
        }
        file.as_ref().expect("opened above").sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::WalFlush;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{LogFlush, Store};

    #[tokio::test]
    async fn a_database_on_disk_is_flushed_behind_its_writer_and_one_in_memory_is_not() {
        let dir = tempfile::TempDir::new().unwrap();
        let on_disk = SqliteStore::open(&format!("sqlite://{}/ledger.db", dir.path().display())).await.unwrap();
        on_disk.log_flush().expect("a log to flush").flush().expect("the log synced");
        on_disk.close().await;
        let in_memory = SqliteStore::open("sqlite::memory:").await.unwrap();
        assert!(in_memory.log_flush().is_none(), "an in-memory database has no log on disk");
        in_memory.close().await;
    }

    #[test]
    fn syncs_the_log_of_its_database_and_follows_it_when_replaced() {
        let dir = tempfile::TempDir::new().unwrap();
        let database = dir.path().join("ledger.db");
        let flush = WalFlush::of(&database);
        let missing = flush.flush().expect_err("no log yet");
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        std::fs::write(dir.path().join("ledger.db-wal"), b"frames").unwrap();
        flush.flush().expect("the log synced");
        std::fs::remove_file(dir.path().join("ledger.db-wal")).unwrap();
        std::fs::write(dir.path().join("ledger.db-wal"), b"new frames").unwrap();
        flush.flush().expect("the new log synced");
        let held = flush.file.lock().unwrap().as_ref().unwrap().metadata().unwrap();
        let named = std::fs::metadata(dir.path().join("ledger.db-wal")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(held.ino(), named.ino(), "the flush holds the log the path names now");
    }
}
