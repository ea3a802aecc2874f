//! `ledgerd`: serves a Commons Ledger over gRPC.
//!
//! `ledgerd` serves (creating the ledger on first start); `ledgerd init --admin-public-key KEY`
//! only creates it, with an admin key the operator holds. Exit codes: 0 done, 1 failed,
//! 2 usage or configuration error.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ledger_core::keys::PublicKey;
use ledger_server::bootstrap::{self, AdminKey};
use ledger_server::checkpointer::Checkpointer;
use ledger_server::config::{Config, ConfigArgs};
use ledger_server::verifier::Verifier;
use ledger_server::{grpc, store, writer};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(name = "ledgerd", version, about = "Commons Ledger server")]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Serve the ledger (the default); creates it on first start.
    Run,
    /// Create the ledger with an admin key you hold, then exit.
    Init {
        /// Hex ed25519 public key of the first admin (`ledgerctl key new` prints one).
        #[arg(long)]
        admin_public_key: String,
    },
}

/// How long shutdown waits for the writer to finish its last batch.
const WRITER_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let config = match Config::resolve(&cli.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ledgerd: configuration error: {error:#}");
            return ExitCode::from(2);
        }
    };
    let admin = match &cli.command {
        Some(Sub::Init { admin_public_key }) => match PublicKey::parse(admin_public_key) {
            Ok(key) => Some(AdminKey::Given(key)),
            Err(error) => {
                eprintln!("ledgerd: --admin-public-key: {error}");
                return ExitCode::from(2);
            }
        },
        Some(Sub::Run) | None => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ledgerd: start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(config, admin)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "ledgerd failed");
            eprintln!("ledgerd: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Serves, or with `init_admin` only initialises.
async fn run(config: Config, init_admin: Option<AdminKey>) -> anyhow::Result<()> {
    bootstrap::ensure_data_dir(&config.data_dir)?;
    let store = store::open_with(&config.database, &config.store).await.context("open database")?;
    // After the database: a server joining a ledger that exists is given its node key, never makes one.
    let node = bootstrap::node_key_for(store.as_ref(), &config.data_dir).await?;
    let closing = store.clone();
    // From here on everything reads through the writer's `reads`, which answer only with what is
    // durable.
    let (writer, writer_task, store) = writer::spawn(store, config.writer);
    let only_init = init_admin.is_some();
    let boot = bootstrap::ensure_genesis(
        store.as_ref(),
        &writer,
        &config.data_dir,
        &node,
        init_admin.unwrap_or(AdminKey::Generate),
    )
    .await?;
    if let Some(path) = &boot.admin_key_file {
        tracing::warn!(path = %path.display(), "created the first admin key (admin and treasurer roles); keep it safe");
    }
    if only_init {
        drop(writer);
        writer_task.await.context("writer task")?;
        println!("initialised ledger {}", boot.meta.ledger_id);
        return Ok(());
    }
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listen on {}", config.listen))?;
    let addr = listener.local_addr().context("read the bound address")?;
    tracing::info!(%addr, ledger_id = %boot.meta.ledger_id, database = %redact(&config.database), "listening");
    // Scripts and tests read the bound address from this line (port 0 picks a free port).
    println!("listening on {addr}");
    let checkpointer = Arc::new(Checkpointer::new(store.clone(), boot.meta.ledger_id, node.clone()));
    if config.checkpoint_interval_ms > 0 {
        tokio::spawn(checkpointer.clone().run_every(config.checkpoint_interval_ms));
    }
    let context = Arc::new(grpc::Context {
        store,
        writer,
        verifier: Verifier::spawn(),
        ledger_id: boot.meta.ledger_id,
        node_key: node.public_key(),
        limits: config.api,
        checkpointer,
    });
    grpc::serve(listener, context, shutdown_signal()).await.context("serve gRPC")?;
    // The server has stopped taking requests and drained those in flight; the writer stops once
    // the last handle is gone, after committing and answering its final batch.
    match tokio::time::timeout(WRITER_DRAIN_TIMEOUT, writer_task).await {
        Ok(joined) => joined.context("writer task")?,
        Err(_) => tracing::error!("the writer did not stop in time"),
    }
    // On SQLite this also copies the write-ahead log back, so the next start has none to read.
    closing.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM; stop with SIGINT");
            let _ = interrupt.await;
            return;
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The database URL without a password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://…{}", &url[..scheme_end], &url[at..]),
        _ => url.to_owned(),
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal: a log file or a journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if std::env::var("LEDGER_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
