//! `ledgerctl audit export`: the journal as JSON lines (see [`super::audit_journal`]), streamed
//! from the server and written as it arrives, so neither side holds the journal in memory.
//! `--from-seq N` appends entries from N on to an earlier export, to bring it up to date.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Context;
use super::audit_journal::{checkpoint_from_wire, checkpoint_line, entry_line};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;

/// What an export wrote.
#[derive(Debug, Serialize)]
pub struct ExportView {
    /// The file written.
    file: String,
    /// First sequence number asked for.
    from_seq: u64,
    /// Entries written.
    entries: u64,
    /// Checkpoints written.
    checkpoints: u64,
    /// Sequence number of the last entry written (0 if none).
    last_seq: u64,
    /// Hash of the last entry written, hex (empty if none).
    last_hash: String,
}

impl Render for ExportView {
    fn table(&self) -> String {
        format!(
            "exported {} entries and {} checkpoints from seq {} to {} (last seq {}, hash {})",
            self.entries, self.checkpoints, self.from_seq, self.file, self.last_seq, self.last_hash
        )
    }
}

/// Streams the journal from `from_seq` (1 if none, the file then being replaced) into `out`
/// (appended to when `from_seq` is given).
pub async fn export(ctx: &Context, out: &Path, from_seq: Option<u64>) -> Result<ExportView, CliError> {
    let client = ctx.connect().await?;
    let mut stream = client
        .audit()
        .export_journal(proto::ExportJournalRequest { from_seq: from_seq.unwrap_or(1) })
        .await?
        .into_inner();
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(from_seq.is_some())
        .truncate(from_seq.is_none())
        .open(out)
        .map_err(|error| write_error(out, &error))?;
    let mut file = BufWriter::new(file);
    let mut view = ExportView {
        file: out.display().to_string(),
        from_seq: from_seq.unwrap_or(1),
        entries: 0,
        checkpoints: 0,
        last_seq: 0,
        last_hash: String::new(),
    };
    while let Some(chunk) = stream.message().await? {
        for checkpoint in &chunk.checkpoints {
            let checkpoint = checkpoint_from_wire(checkpoint)
                .map_err(|error| CliError::Failed(format!("the server sent a bad checkpoint: {error}")))?;
            writeln!(file, "{}", checkpoint_line(&checkpoint)).map_err(|error| write_error(out, &error))?;
            view.checkpoints += 1;
        }
        for entry in &chunk.entries {
            writeln!(file, "{}", entry_line(entry)).map_err(|error| write_error(out, &error))?;
            view.entries += 1;
            view.last_seq = entry.seq;
            view.last_hash = hex::encode(&entry.hash);
        }
    }
    file.flush().map_err(|error| write_error(out, &error))?;
    file.get_ref().sync_all().map_err(|error| write_error(out, &error))?;
    Ok(view)
}

/// Asks the server to sign its head now, and keeps the checkpoint in `out` (appended, one line
/// per checkpoint) when given.
pub async fn checkpoint(ctx: &Context, out: Option<PathBuf>) -> Result<CheckpointView, CliError> {
    let client = ctx.connect().await?;
    let wire = client.audit().create_checkpoint(proto::CreateCheckpointRequest {}).await?.into_inner();
    let checkpoint = checkpoint_from_wire(&wire)
        .map_err(|error| CliError::Failed(format!("the server sent a bad checkpoint: {error}")))?;
    let ledger = client.accounts().get_ledger(proto::GetLedgerRequest {}).await?.into_inner();
    let node_key = ledger_core::keys::PublicKey::parse(&ledger.node_public_key)
        .map_err(|error| CliError::Failed(format!("the server sent a bad node key: {error}")))?;
    // Checked now, so a treasurer never keeps a checkpoint that would not hold later.
    checkpoint
        .verify(client.ledger_id(), node_key)
        .map_err(|error| CliError::Audit { reason: "CHECKPOINT_MISMATCH", message: error.to_string() })?;
    let line = checkpoint_line(&checkpoint);
    if let Some(path) = &out {
        let mut file =
            OpenOptions::new().create(true).append(true).open(path).map_err(|error| write_error(path, &error))?;
        writeln!(file, "{line}").and_then(|()| file.sync_all()).map_err(|error| write_error(path, &error))?;
    }
    Ok(CheckpointView {
        ledger_id: checkpoint.ledger_id.to_string(),
        seq: checkpoint.seq,
        hash: checkpoint.hash.to_hex(),
        timestamp_ms: checkpoint.timestamp_ms,
        signer: checkpoint.signer.to_hex(),
        signature: checkpoint.signature.to_hex(),
        file: out.map(|path| path.display().to_string()),
    })
}

/// A checkpoint as printed.
#[derive(Debug, Serialize)]
pub struct CheckpointView {
    /// Ledger id.
    ledger_id: String,
    /// Sequence number of the entry vouched for.
    seq: u64,
    /// Its hash, hex.
    hash: String,
    /// When the server signed, milliseconds since the Unix epoch.
    timestamp_ms: i64,
    /// The node key, hex.
    signer: String,
    /// The signature, hex.
    signature: String,
    /// Where it was kept.
    file: Option<String>,
}

impl Render for CheckpointView {
    fn table(&self) -> String {
        let kept = self.file.as_ref().map(|file| format!("\nkept in {file}")).unwrap_or_default();
        format!("checkpoint at seq {} hash {}\nsigned by {}{kept}", self.seq, self.hash, self.signer)
    }
}

fn write_error(path: &Path, error: &std::io::Error) -> CliError {
    CliError::Failed(format!("cannot write {}: {error}", path.display()))
}
