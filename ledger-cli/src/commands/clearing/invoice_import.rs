//! `ledgerctl clearing invoice import FILE.csv [--unit CODE]`: carries existing trade credit into
//! the ledger as accepted invoices, signed by a treasurer.
//!
//! - **Ids.** The file's `id` is the invoice's id in the books it comes from. The ledger id of
//!   each invoice is derived from it ([`imported_id`]: a UUID from SHA-256 of the ledger id and
//!   that text), so a row can never become two invoices; the external id is also kept as the
//!   reference when the file has no `ref` column.
//! - **All or nothing.** Every row is checked before anything is sent: its syntax, its amount at
//!   the unit's scale, and that both accounts exist; the first bad row rejects the file, naming
//!   its line. The server then checks every row again (accounts active and of the unit, ids not
//!   taken) and refuses a command whole, naming the row, which is reported as its line.
//! - **Size.** A command carries at most [`IMPORT_ROWS_MAX`] rows (its request stays far below the
//!   API's message limit), each command its own journal entry. A larger file is sent as several
//!   commands in file order; if one is refused, those before it stay imported, and the message
//!   says which lines.
//! - **Twice.** The request id of each command is derived from its content
//!   ([`import_request_id`]): importing the same file again (or retrying after a lost answer)
//!   sends the same commands, which the server answers with their first results: nothing is
//!   duplicated and the output says the invoices were already imported. A file that differs but
//!   repeats an id is refused (`INVOICE_EXISTS`, naming the line).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::Command;
use ledger_core::invoice::{IMPORT_ROWS_MAX, ImportedInvoice, import_request_id, imported_id};
use ledger_core::names::{Handle, Reference, UnitCode};
use serde::Serialize;

use super::invoice_csv::{self, ImportRow};
use crate::client::Client;
use crate::commands::{Context, fetch_unit};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table};

/// `clearing invoice import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file: header `id,debtor,creditor,amount`, optionally with `unit`, `due`
    /// (YYYY-MM-DD) and `ref` columns; one invoice per line, one unit per file.
    file: PathBuf,
    /// The unit of every invoice; needed unless the file has a `unit` column.
    #[arg(long, value_name = "CODE", value_parser = unit_code)]
    unit: Option<UnitCode>,
}

fn unit_code(text: &str) -> Result<UnitCode, ledger_core::names::NameError> {
    UnitCode::parse(text)
}

/// One imported invoice as printed.
#[derive(Debug, Serialize)]
struct ImportedView {
    /// Its line in the file.
    line: usize,
    /// The file's id.
    external_id: String,
    /// The ledger's id.
    id: String,
    /// The journal entry that created it.
    seq: u64,
    /// Whether it had been imported before (the same rows, sent again).
    already_imported: bool,
}

/// The result of an import.
#[derive(Debug, Serialize)]
struct ImportView {
    /// Unit of every invoice.
    unit: String,
    /// Invoices created by this run.
    imported: usize,
    /// Invoices of the file that an earlier run had imported.
    already_imported: usize,
    /// Every row, in file order.
    invoices: Vec<ImportedView>,
}

impl Render for ImportView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("LINE", Align::Right),
            ("EXTERNAL ID", Align::Left),
            ("INVOICE", Align::Left),
            ("SEQ", Align::Right),
            ("", Align::Left),
        ]);
        for invoice in &self.invoices {
            table.row(vec![
                invoice.line.to_string(),
                invoice.external_id.clone(),
                invoice.id.clone(),
                invoice.seq.to_string(),
                if invoice.already_imported { "already imported".to_owned() } else { String::new() },
            ]);
        }
        let summary = table::fields(&[
            ("unit", self.unit.clone()),
            ("imported", self.imported.to_string()),
            ("already imported", self.already_imported.to_string()),
        ]);
        format!("{summary}\n{}", table.render())
    }
}

/// Runs `import`.
pub async fn run(args: ImportArgs, ctx: &Context) -> Result<(), CliError> {
    let file = args.file.display().to_string();
    let rejected = |message: String| CliError::Usage(format!("{file}: {message}; nothing was imported"));
    let text =
        std::fs::read_to_string(&args.file).map_err(|error| CliError::Usage(format!("cannot read {file}: {error}")))?;
    let rows = invoice_csv::parse_import(&text).map_err(|error| rejected(error.to_string()))?;
    drop(text);
    let unit = file_unit(&rows, args.unit.as_ref()).map_err(rejected)?;

    let client = ctx.connect().await?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amounts = amounts(&rows, scale).map_err(rejected)?;
    check_accounts(&client, &rows).await.map_err(|error| not_imported(&file, error))?;

    let ledger_id = client.ledger_id();
    let mut invoices = Vec::with_capacity(rows.len());
    let (mut imported, mut already_imported) = (0, 0);
    for (index, chunk) in rows.chunks(IMPORT_ROWS_MAX).enumerate() {
        let first = index * IMPORT_ROWS_MAX;
        let command = Command::ImportInvoices {
            unit: unit.clone(),
            invoices: chunk
                .iter()
                .zip(&amounts[first..])
                .map(|(row, amount)| ImportedInvoice {
                    id: imported_id(ledger_id, &row.external_id),
                    creditor: row.creditor.clone(),
                    debtor: row.debtor.clone(),
                    amount: *amount,
                    due: row.due,
                    reference: reference_of(row),
                })
                .collect(),
        };
        let Command::ImportInvoices { invoices: sent, .. } = &command else { unreachable!("built just above") };
        let wire: Vec<proto::ImportedInvoice> = sent
            .iter()
            .map(|invoice| proto::ImportedInvoice {
                id: invoice.id.to_string(),
                creditor: invoice.creditor.as_str().to_owned(),
                debtor: invoice.debtor.as_str().to_owned(),
                amount: invoice.amount.format(scale),
                due: invoice.due.map(|due| due.to_string()).unwrap_or_default(),
                reference: invoice.reference.as_str().to_owned(),
            })
            .collect();
        let ids: Vec<String> = wire.iter().map(|invoice| invoice.id.clone()).collect();
        let signed = client.sign(import_request_id(ledger_id, &command), command);
        let answer = client
            .clearing_commands()
            .import_invoices(proto::ImportInvoicesRequest {
                request_id: signed.request_id,
                unit: unit.as_str().to_owned(),
                invoices: wire,
                signatures: signed.signatures,
            })
            .await
            .map_err(|status| chunk_refused(&file, status, chunk, &rows[..first]))?
            .into_inner();
        if answer.ids != ids {
            return Err(CliError::Failed(format!(
                "the server answered import entry {} with other invoices",
                answer.seq
            )));
        }
        if answer.replayed {
            already_imported += chunk.len();
        } else {
            imported += chunk.len();
        }
        invoices.extend(chunk.iter().zip(ids).map(|(row, id)| ImportedView {
            line: row.line,
            external_id: row.external_id.clone(),
            id,
            seq: answer.seq,
            already_imported: answer.replayed,
        }));
    }
    ctx.emit(&ImportView { unit: unit.to_string(), imported, already_imported, invoices })
}

/// The one unit of the file: `--unit`, the `unit` column, or both agreeing.
fn file_unit(rows: &[ImportRow], flag: Option<&UnitCode>) -> Result<UnitCode, String> {
    let mut unit: Option<(UnitCode, usize)> = flag.map(|unit| (unit.clone(), 0));
    for row in rows {
        match (&unit, &row.unit) {
            (_, None) => {}
            (None, Some(own)) => unit = Some((own.clone(), row.line)),
            (Some((unit, _)), Some(own)) if unit == own => {}
            (Some((unit, 0)), Some(own)) => {
                return Err(format!("line {}: unit {own}, but --unit is {unit}", row.line));
            }
            (Some((unit, line)), Some(own)) => {
                return Err(format!("line {}: unit {own}, but line {line} is in {unit}; one unit per file", row.line));
            }
        }
    }
    unit.map(|(unit, _)| unit).ok_or_else(|| "the file has no unit column: give --unit CODE".to_owned())
}

/// Every amount at the unit's scale.
fn amounts(rows: &[ImportRow], scale: Scale) -> Result<Vec<Amount>, String> {
    rows.iter()
        .map(|row| {
            Amount::parse_positive(&row.amount, scale).map_err(|error| format!("line {}: amount: {error}", row.line))
        })
        .collect()
}

/// The reference kept: the `ref` column, or else the external id (when it fits).
fn reference_of(row: &ImportRow) -> Reference {
    if row.reference.as_str().is_empty() {
        Reference::parse(&row.external_id).unwrap_or_default()
    } else {
        row.reference.clone()
    }
}

/// Checks that every account the file names exists, each once, so a mistyped handle rejects the
/// file before any of it is sent; an error names the first line with that handle.
async fn check_accounts(client: &Client, rows: &[ImportRow]) -> Result<(), CliError> {
    let mut first_line: BTreeMap<&Handle, usize> = BTreeMap::new();
    for row in rows {
        for handle in [&row.debtor, &row.creditor] {
            first_line.entry(handle).or_insert(row.line);
        }
    }
    let mut accounts = client.accounts();
    for (handle, line) in first_line {
        accounts
            .get_account(proto::GetAccountRequest { name: handle.as_str().to_owned() })
            .await
            .map_err(|status| at_line(line, status))?;
    }
    Ok(())
}

/// A refusal with the line it concerns in front of its message; code and reason unchanged.
fn at_line(line: usize, status: tonic::Status) -> CliError {
    let message = format!("line {line}: {}", status.message());
    CliError::from(tonic::Status::with_metadata(status.code(), message, status.metadata().clone()))
}

fn not_imported(file: &str, error: CliError) -> CliError {
    match error {
        CliError::Rpc(status) => {
            let message = format!("{file}: {}; nothing was imported", status.message());
            CliError::from(tonic::Status::with_metadata(status.code(), message, status.metadata().clone()))
        }
        other => other,
    }
}

/// The refusal of one command of the import: the row the server names (`invoice N of the
/// import ...`) becomes its line, and what the earlier commands imported is said.
fn chunk_refused(file: &str, status: tonic::Status, chunk: &[ImportRow], before: &[ImportRow]) -> CliError {
    let row = status
        .message()
        .strip_prefix("invoice ")
        .and_then(|rest| rest.split_once(" of the import"))
        .and_then(|(number, _)| number.parse::<usize>().ok())
        .and_then(|number| chunk.get(number.checked_sub(1)?));
    let place = row.map(|row| format!("line {}: ", row.line)).unwrap_or_default();
    let done = match (before.first(), before.last()) {
        (Some(first), Some(last)) => format!(
            "; lines {} to {} were imported before it (importing the corrected file again skips them)",
            first.line, last.line
        ),
        _ => "; nothing was imported".to_owned(),
    };
    let message = format!("{file}: {place}{}{done}", status.message());
    CliError::from(tonic::Status::with_metadata(status.code(), message, status.metadata().clone()))
}
