//! The durable-commit ceiling of SQLite on this machine, with the settings `ledgerd` uses (WAL,
//! `synchronous = FULL`, `BEGIN IMMEDIATE`): commits/s of one small row each, and rows/s in
//! batches. Ledger figures read as a fraction of these (see BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release -p ledger-server --example sqlite_ceiling [-- DIR]
//! ```

use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

/// How long each measurement runs.
const WINDOW: Duration = Duration::from_secs(3);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sqlx::Error> {
    let dir = match std::env::args().nth(1) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir(),
    };
    let path = dir.join(format!("sqlite-ceiling-{}.db", std::process::id()));
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL) STRICT").execute(&mut conn).await?;
    let payload = vec![7u8; 200];

    println!("sqlite durable commits in {} (WAL, synchronous=FULL)", path.display());
    for batch in [1usize, 100, 1_000, 10_000] {
        let mut rows = 0u64;
        let mut commits = 0u64;
        let started = Instant::now();
        while started.elapsed() < WINDOW {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
            for _ in 0..batch {
                sqlx::query("INSERT INTO rows (payload) VALUES (?)").bind(&payload).execute(&mut conn).await?;
            }
            sqlx::query("COMMIT").execute(&mut conn).await?;
            rows += batch as u64;
            commits += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "batch {batch:>6}: {:>9.0} commits/s {:>10.0} rows/s",
            commits as f64 / seconds,
            rows as f64 / seconds
        );
    }
    conn.close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
