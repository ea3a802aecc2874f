//! Settings of `ledgerd`, from (highest first) command-line flags, `LEDGER_*` environment
//! variables, an optional TOML file (`--config`), and defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::grpc::ApiLimits;
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
}

/// The optional configuration file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<String>,
    data_dir: Option<PathBuf>,
    batch_size_max: Option<usize>,
    queue_len_max: Option<usize>,
    page_size_max: Option<u32>,
    message_bytes_max: Option<usize>,
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
    /// API bounds.
    pub api: ApiLimits,
}

/// The largest batch accepted from configuration: beyond it one transaction holds the write lock
/// too long for other callers' latency.
const BATCH_SIZE_MAX_LIMIT: usize = 10_000;

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
        };
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
        Ok(Config {
            listen: args.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
            database,
            data_dir,
            writer,
            api,
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
        std::fs::write(&file, "data_dir = \"/srv/ledger\"\nbatch_size_max = 50\nlisten = \"0.0.0.0:6000\"\n").unwrap();
        let args = ConfigArgs {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let config = Config::resolve(&args).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.data_dir, PathBuf::from("/srv/ledger"));
        assert_eq!(config.database, "sqlite:///srv/ledger/ledger.db");
        assert_eq!(config.writer.batch_size_max, 50);
        std::fs::write(&file, "unknown_key = 1\n").unwrap();
        assert!(Config::resolve(&args).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
