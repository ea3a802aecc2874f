//! Settings of `ledgerd`, from (highest first) command-line flags, `LEDGER_*` environment
//! variables, an optional TOML file (`--config`), and defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::grpc::ApiLimits;
use crate::store::StoreOptions;
use crate::writer::WriterConfig;

/// Flags and environment variables shared by every `ledgerd` subcommand.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Address to serve gRPC on; port 0 picks a free port (printed on stdout).
    #[arg(long, env = "LEDGER_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Database URL; default `sqlite://<data-dir>/ledger.db`.
    #[arg(long, env = "LEDGER_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Directory for the database, the node key and the first admin key.
    #[arg(long, env = "LEDGER_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// TOML file with the same settings (snake_case keys: listen, database, data_dir, ...).
    #[arg(long, env = "LEDGER_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Most commands committed in one database transaction.
    #[arg(long, env = "LEDGER_BATCH_SIZE_MAX", global = true)]
    pub batch_size_max: Option<usize>,
    /// Most times a batch is run again after a lost race or a dropped connection [default: 3].
    #[arg(long, env = "LEDGER_BATCH_RETRIES_MAX", global = true)]
    pub batch_retries_max: Option<u32>,
    /// Most connections to a PostgreSQL database [default: 8].
    #[arg(long, env = "LEDGER_DATABASE_CONNECTIONS_MAX", global = true)]
    pub database_connections_max: Option<u32>,
    /// Longest a PostgreSQL statement (or lock wait) may take before it fails [default: 5000].
    #[arg(long, env = "LEDGER_DATABASE_STATEMENT_TIMEOUT_MS", global = true)]
    pub database_statement_timeout_ms: Option<u64>,
    /// Longest a request waits for a PostgreSQL connection, reconnecting included [default: 5000].
    #[arg(long, env = "LEDGER_DATABASE_ACQUIRE_TIMEOUT_MS", global = true)]
    pub database_acquire_timeout_ms: Option<u64>,
    /// How often the node key signs a checkpoint of the chain's head, when it moved; 0: only on
    /// demand [default: 60000].
    #[arg(long, env = "LEDGER_CHECKPOINT_INTERVAL_MS", global = true)]
    pub checkpoint_interval_ms: Option<u64>,
}

/// The optional configuration file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<String>,
    data_dir: Option<PathBuf>,
    batch_size_max: Option<usize>,
    batch_retries_max: Option<u32>,
    database_connections_max: Option<u32>,
    database_statement_timeout_ms: Option<u64>,
    database_acquire_timeout_ms: Option<u64>,
    queue_len_max: Option<usize>,
    page_size_max: Option<u32>,
    message_bytes_max: Option<usize>,
    checkpoint_interval_ms: Option<u64>,
}

/// The resolved settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// gRPC listen address.
    pub listen: SocketAddr,
    /// Database URL.
    pub database: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Writer bounds.
    pub writer: WriterConfig,
    /// Database connection bounds.
    pub store: StoreOptions,
    /// API bounds.
    pub api: ApiLimits,
    /// How often a checkpoint of the head is signed (when it moved); 0: only on demand.
    pub checkpoint_interval_ms: u64,
}

/// The largest batch accepted from configuration: beyond it one transaction holds the write lock
/// too long for other callers' latency.
const BATCH_SIZE_MAX_LIMIT: usize = 10_000;

/// The most retries accepted: beyond it a batch that cannot commit holds its callers for minutes.
const BATCH_RETRIES_MAX_LIMIT: u32 = 100;

/// The most connections accepted from one process (PostgreSQL's own default maximum is 100).
const DATABASE_CONNECTIONS_MAX_LIMIT: u32 = 1_000;

/// The longest timeout accepted: an hour.
const TIMEOUT_MS_LIMIT: u64 = 3_600_000;

/// Default time between checkpoints: a minute, so a treasurer's copy is never far behind.
const CHECKPOINT_INTERVAL_MS_DEFAULT: u64 = 60_000;

/// The shortest time between checkpoints accepted: more often only fills the table.
const CHECKPOINT_INTERVAL_MS_MIN: u64 = 100;

impl Config {
    /// Resolves flags and environment (already in `args`) over the file over the defaults.
    pub fn resolve(args: &ConfigArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("ledger-data"));
        let database = args
            .database
            .clone()
            .or(file.database)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("ledger.db").display()));
        let defaults = WriterConfig::default();
        let writer = WriterConfig {
            batch_size_max: args.batch_size_max.or(file.batch_size_max).unwrap_or(defaults.batch_size_max),
            queue_len_max: file.queue_len_max.unwrap_or(defaults.queue_len_max),
            batch_retries_max: args.batch_retries_max.or(file.batch_retries_max).unwrap_or(defaults.batch_retries_max),
        };
        let store_defaults = StoreOptions::default();
        let store = StoreOptions {
            connections_max: args
                .database_connections_max
                .or(file.database_connections_max)
                .unwrap_or(store_defaults.connections_max),
            statement_timeout_ms: args
                .database_statement_timeout_ms
                .or(file.database_statement_timeout_ms)
                .unwrap_or(store_defaults.statement_timeout_ms),
            acquire_timeout_ms: args
                .database_acquire_timeout_ms
                .or(file.database_acquire_timeout_ms)
                .unwrap_or(store_defaults.acquire_timeout_ms),
        };
        anyhow::ensure!(
            writer.batch_retries_max <= BATCH_RETRIES_MAX_LIMIT,
            "batch_retries_max must be at most {BATCH_RETRIES_MAX_LIMIT}"
        );
        // The writer holds one connection for its batch; reads need at least one more.
        anyhow::ensure!(
            (2..=DATABASE_CONNECTIONS_MAX_LIMIT).contains(&store.connections_max),
            "database_connections_max must be within 2..={DATABASE_CONNECTIONS_MAX_LIMIT}"
        );
        for (name, value) in [
            ("database_statement_timeout_ms", store.statement_timeout_ms),
            ("database_acquire_timeout_ms", store.acquire_timeout_ms),
        ] {
            anyhow::ensure!((1..=TIMEOUT_MS_LIMIT).contains(&value), "{name} must be within 1..={TIMEOUT_MS_LIMIT}");
        }
        anyhow::ensure!(
            (1..=BATCH_SIZE_MAX_LIMIT).contains(&writer.batch_size_max),
            "batch_size_max must be within 1..={BATCH_SIZE_MAX_LIMIT}"
        );
        anyhow::ensure!(writer.queue_len_max >= 1, "queue_len_max must be at least 1");
        let api_defaults = ApiLimits::default();
        let api = ApiLimits {
            page_size_max: file.page_size_max.unwrap_or(api_defaults.page_size_max),
            message_bytes_max: file.message_bytes_max.unwrap_or(api_defaults.message_bytes_max),
            ..api_defaults
        };
        let checkpoint_interval_ms =
            args.checkpoint_interval_ms.or(file.checkpoint_interval_ms).unwrap_or(CHECKPOINT_INTERVAL_MS_DEFAULT);
        anyhow::ensure!(
            checkpoint_interval_ms == 0
                || (CHECKPOINT_INTERVAL_MS_MIN..=TIMEOUT_MS_LIMIT * 24).contains(&checkpoint_interval_ms),
            "checkpoint_interval_ms must be 0 (on demand only) or within {CHECKPOINT_INTERVAL_MS_MIN}..={}",
            TIMEOUT_MS_LIMIT * 24
        );
        Ok(Config {
            listen: args.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
            database,
            data_dir,
            writer,
            store,
            api,
            checkpoint_interval_ms,
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parse config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("ledgerd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ledgerd.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/ledger\"\nbatch_size_max = 50\nlisten = \"0.0.0.0:6000\"\n\
             database_connections_max = 4\ndatabase_statement_timeout_ms = 900\nbatch_retries_max = 2\n",
        )
        .unwrap();
        let args = ConfigArgs {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            database_connections_max: Some(16),
            ..Default::default()
        };
        let config = Config::resolve(&args).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.data_dir, PathBuf::from("/srv/ledger"));
        assert_eq!(config.database, "sqlite:///srv/ledger/ledger.db");
        assert_eq!(config.writer.batch_size_max, 50);
        assert_eq!(config.writer.batch_retries_max, 2);
        assert_eq!(config.store.connections_max, 16);
        assert_eq!(config.store.statement_timeout_ms, 900);
        assert_eq!(config.store.acquire_timeout_ms, StoreOptions::default().acquire_timeout_ms);
        std::fs::write(&file, "unknown_key = 1\n").unwrap();
        assert!(Config::resolve(&args).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
