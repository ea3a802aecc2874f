//! `ledgerctl import transfers FILE.csv --unit CODE`: a community's history or opening balances
//! from another system, moved in by a treasurer ([`ledger_core::import`]).
//!
//! The whole file is read and checked first (a malformed row stops everything, naming its line,
//! before anything is sent). Then it goes in batches of `--batch-rows`, in file order, one call
//! and one journal entry each, every batch signed once over its rows and the file's SHA-256.
//! Batches are sent one after the other, so limits are judged in file order. A batch refused by
//! the server (a row past a limit, an unknown account) stops the import there: the batches before
//! it stay imported, and the message says from which line to run again once the file is fixed.
//! Running the same file again with the same `--batch-rows` is safe: each batch's request id is
//! derived from the file's hash and its first line, so a batch already imported answers with
//! its first result instead of moving value twice.
//!
//! # Layout
//!
//! - this file: the verb, batching, and its report;
//! - `transfer_csv`: reading and checking the file.

pub mod transfer_csv;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ledger_core::amount::format_minor;
use ledger_core::command::Command;
use ledger_core::import::{IMPORT_ROWS_MAX, ImportRow, RowIds, batch_id};
use ledger_core::names::UnitCode;
use serde::Serialize;

use super::{Context, fetch_unit};
use crate::error::CliError;
use crate::output::{self, Render};
use crate::proto;
use crate::table::{Align, Table};
use transfer_csv::TransferFile;

/// Moving history in from another system.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Imports transfers from a CSV file (`payer,payee,amount[,memo]`), as a treasurer.
    Transfers(TransfersArgs),
}

/// `import transfers`.
#[derive(Debug, Args)]
pub struct TransfersArgs {
    /// The file: a header `payer,payee,amount` or `payer,payee,amount,memo`, then one transfer a
    /// line, in the order they happened. Fields are not quoted: a memo cannot hold a comma.
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// The unit of every transfer.
    #[arg(long)]
    unit: UnitCode,
    /// Rows per batch (one signature, one call, one journal entry each), 1 to 10000.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=IMPORT_ROWS_MAX as i64))]
    batch_rows: u32,
    /// Skip the rows before this line of the file: to go on after a refused batch, once the rows
    /// from there on are fixed.
    #[arg(long, value_name = "LINE", default_value_t = 2)]
    from_line: u32,
}

/// Runs an `import` verb.
pub async fn run(command: ImportCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        ImportCommand::Transfers(args) => transfers(args, ctx).await,
    }
}

/// One batch as imported.
#[derive(Debug, Serialize)]
struct BatchView {
    first_line: u32,
    last_line: u32,
    seq: u64,
    rows: u32,
    total: String,
    /// Imported by an earlier run of the same file; nothing moved this time.
    replayed: bool,
}

/// What an import did.
#[derive(Debug, Serialize)]
struct ImportView {
    file: String,
    sha256: String,
    unit: String,
    rows: usize,
    total: String,
    batches: Vec<BatchView>,
}

impl Render for ImportView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("LINES", Align::Left),
            ("ENTRY", Align::Right),
            ("ROWS", Align::Right),
            ("TOTAL", Align::Right),
            ("", Align::Left),
        ]);
        for batch in &self.batches {
            table.row(vec![
                format!("{}-{}", batch.first_line, batch.last_line),
                batch.seq.to_string(),
                batch.rows.to_string(),
                format!("{} {}", batch.total, self.unit),
                if batch.replayed { "imported before".to_owned() } else { String::new() },
            ]);
        }
        format!(
            "{}\n{} transfers, {} {} in all, from {} (sha256 {})",
            table.render(),
            self.rows,
            self.total,
            self.unit,
            self.file,
            self.sha256
        )
    }
}

async fn transfers(args: TransfersArgs, ctx: &Context) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|error| CliError::Config(format!("cannot read {}: {error}", args.file.display())))?;
    let client = ctx.connect().await?;
    let (_, scale) = fetch_unit(&client, &args.unit).await?;
    let file = TransferFile::parse(&bytes, scale)
        .map_err(|error| CliError::Usage(format!("{}: {error}; nothing was imported", args.file.display())))?;
    let rows: Vec<_> = file.rows.iter().filter(|row| row.line >= args.from_line).collect();
    if rows.is_empty() {
        return Err(CliError::Usage(format!("{}: no rows from line {}", args.file.display(), args.from_line)));
    }
    let mut batches = Vec::new();
    for chunk in rows.chunks(args.batch_rows as usize) {
        let (first_line, last_line) = (chunk[0].line, chunk[chunk.len() - 1].line);
        let request_id = batch_id(&file.sha256, first_line);
        let command = Command::ImportTransfers {
            unit: args.unit.clone(),
            file_sha256: file.sha256,
            first_line,
            rows: chunk.iter().map(|row| row.transfer.clone()).collect::<Vec<ImportRow>>(),
            row_ids: RowIds::InTimeOrder,
        };
        let signed = client.sign(request_id, command);
        let request = proto::ImportTransfersRequest {
            request_id: signed.request_id,
            unit: args.unit.as_str().to_owned(),
            file_sha256: file.sha256.to_vec(),
            first_line,
            rows: chunk
                .iter()
                .map(|row| proto::ImportRow {
                    payer: row.transfer.payer.as_str().to_owned(),
                    payee: row.transfer.payee.as_str().to_owned(),
                    amount: row.transfer.amount.format(scale),
                    memo: row.transfer.memo.as_str().to_owned(),
                })
                .collect(),
            signatures: signed.signatures,
        };
        let answer = match client.transfers_commands().import_transfers(request).await {
            Ok(answer) => answer.into_inner(),
            Err(status) => {
                let done = match batches.last() {
                    Some(BatchView { last_line, .. }) => {
                        format!("lines {}-{last_line} are imported", rows[0].line)
                    }
                    None => "nothing was imported".to_owned(),
                };
                output::warn(&format!(
                    "the batch of lines {first_line}-{last_line} was refused and not imported; {done}; \
                     once the file is fixed, run again with --from-line {first_line}"
                ));
                return Err(status.into());
            }
        };
        for warning in &answer.warnings {
            output::warn(warning);
        }
        batches.push(BatchView {
            first_line,
            last_line,
            seq: answer.seq,
            rows: answer.rows,
            total: answer.total,
            replayed: answer.replayed,
        });
    }
    let total: i128 = rows.iter().map(|row| i128::from(row.transfer.amount.minor())).sum();
    ctx.emit(&ImportView {
        file: args.file.display().to_string(),
        sha256: hex::encode(file.sha256),
        unit: args.unit.as_str().to_owned(),
        rows: rows.len(),
        total: format_minor(total, scale),
        batches,
    })
}
