//! `ledgerctl pay-many`: many payments in one call, from a CSV file, each signed by its payer;
//! with `--atomic` they commit all together or none does.
//!
//! The file has one payment a line: `payer,payee,amount[,memo[,key file]]`. The key file signs
//! that line's payment (default: `--key`), so a treasurer settling a market day can send the
//! payments its members signed. Empty lines, lines starting with `#` and a header line starting
//! with `payer,` are skipped. Fields are not quoted: a memo cannot hold a comma.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args;
use ledger_core::amount::Scale;
use ledger_core::command::Command;
use ledger_core::keys::SecretKey;
use ledger_core::names::{Handle, Memo, UnitCode};
use serde::Serialize;

use super::pay::TransferView;
use super::{Context, fetch_unit, fresh_request_id, server_unit, user_positive_amount};
use crate::auth::sign_command;
use crate::client::Client;
use crate::error::CliError;
use crate::keyfile;
use crate::output::{self, Render};
use crate::proto;
use crate::table::{Align, Table};

/// The most payments one file may hold (the server's bound on one call).
const PAYMENTS_MAX: usize = 1000;

/// `pay-many`.
#[derive(Debug, Args)]
pub struct PayManyArgs {
    /// CSV file: payer,payee,amount[,memo[,key file]] per line.
    file: PathBuf,
    /// Commit all payments or none: the first refusal refuses the whole file.
    #[arg(long)]
    atomic: bool,
}

/// One line of the file.
struct Line {
    payer: Handle,
    payee: Handle,
    amount: String,
    memo: Memo,
    key: Option<PathBuf>,
}

fn parse_file(path: &Path) -> Result<Vec<Line>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| CliError::Config(format!("cannot read {}: {error}", path.display())))?;
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("payer,") {
            continue;
        }
        let bad = |what: String| CliError::Usage(format!("{} line {}: {what}", path.display(), number + 1));
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !(3..=5).contains(&fields.len()) {
            return Err(bad("expected payer,payee,amount[,memo[,key file]]".into()));
        }
        lines.push(Line {
            payer: Handle::parse(fields[0]).map_err(|error| bad(error.to_string()))?,
            payee: Handle::parse(fields[1]).map_err(|error| bad(error.to_string()))?,
            amount: fields[2].to_owned(),
            memo: Memo::parse(fields.get(3).copied().unwrap_or_default()).map_err(|error| bad(error.to_string()))?,
            key: fields.get(4).filter(|key| !key.is_empty()).map(PathBuf::from),
        });
        if lines.len() > PAYMENTS_MAX {
            return Err(CliError::Usage(format!("{}: more than {PAYMENTS_MAX} payments", path.display())));
        }
    }
    if lines.is_empty() {
        return Err(CliError::Usage(format!("{}: no payments", path.display())));
    }
    Ok(lines)
}

/// One payment's result as printed: the transfer, or why it was refused.
#[derive(Debug, Serialize)]
struct ResultView {
    /// The committed transfer.
    transfer: Option<TransferView>,
    /// The refusal: code, reason, message.
    error: Option<ErrorView>,
}

#[derive(Debug, Serialize)]
struct ErrorView {
    code: String,
    reason: String,
    message: String,
}

/// The results, one per line of the file, in order.
#[derive(Debug, Serialize)]
struct BatchView {
    atomic: bool,
    results: Vec<ResultView>,
}

impl Render for BatchView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("#", Align::Right),
            ("TRANSFER", Align::Left),
            ("PAYER", Align::Left),
            ("PAYEE", Align::Left),
            ("AMOUNT", Align::Right),
            ("RESULT", Align::Left),
        ]);
        for (index, result) in self.results.iter().enumerate() {
            let row = match (&result.transfer, &result.error) {
                (Some(t), _) => vec![
                    t.id.clone(),
                    t.payer.clone(),
                    t.payee.clone(),
                    format!("{} {}", t.amount, t.unit),
                    t.status.clone(),
                ],
                (None, Some(e)) => vec![String::new(), String::new(), String::new(), String::new(), e.reason.clone()],
                (None, None) => vec![String::new(); 5],
            };
            table.row(std::iter::once((index + 1).to_string()).chain(row).collect());
        }
        table.render()
    }
}

/// Runs `pay-many`.
pub async fn run(args: PayManyArgs, ctx: &Context) -> Result<(), CliError> {
    let lines = parse_file(&args.file)?;
    let client = ctx.connect().await?;
    let mut keys: HashMap<PathBuf, SecretKey> = HashMap::new();
    let mut units: HashMap<Handle, (UnitCode, Scale)> = HashMap::new();
    let mut payments = Vec::with_capacity(lines.len());
    for line in lines {
        let (unit, scale) = match units.get(&line.payer) {
            Some(known) => known.clone(),
            None => {
                let known = payer_unit(&client, &line.payer).await?;
                units.insert(line.payer.clone(), known.clone());
                known
            }
        };
        let amount = user_positive_amount(&line.amount, scale)?;
        let command = Command::Pay {
            payer: line.payer.clone(),
            payee: line.payee.clone(),
            unit: unit.clone(),
            amount,
            memo: line.memo.clone(),
        };
        let request_id = fresh_request_id();
        let signed = match &line.key {
            None => client.sign(request_id, command),
            Some(path) => {
                if !keys.contains_key(path) {
                    keys.insert(path.clone(), keyfile::load(Some(path))?);
                }
                sign_command(client.ledger_id(), request_id, command, &keys[path])
            }
        };
        payments.push(proto::CreatePaymentRequest {
            request_id: signed.request_id,
            payer: line.payer.as_str().to_owned(),
            payee: line.payee.as_str().to_owned(),
            unit: unit.as_str().to_owned(),
            amount: amount.format(scale),
            memo: line.memo.as_str().to_owned(),
            signatures: signed.signatures,
        });
    }
    let response = client
        .transfers_commands()
        .create_transfers(proto::CreateTransfersRequest { payments, atomic: args.atomic })
        .await?
        .into_inner();
    let mut results = Vec::with_capacity(response.results.len());
    for (index, result) in response.results.into_iter().enumerate() {
        if let Some(error) = &result.error {
            output::warn(&format!("payment {} refused: {}: {}", index + 1, error.reason, error.message));
        }
        for warning in result.transfer.iter().flat_map(|t| &t.warnings) {
            output::warn(warning);
        }
        results.push(ResultView {
            transfer: result.transfer.map(TransferView::from),
            error: result.error.map(|e| ErrorView { code: e.code, reason: e.reason, message: e.message }),
        });
    }
    ctx.emit(&BatchView { atomic: args.atomic, results })
}

/// The unit of a payer's account and its scale.
async fn payer_unit(client: &Client, payer: &Handle) -> Result<(UnitCode, Scale), CliError> {
    let account =
        client.accounts().get_account(proto::GetAccountRequest { name: payer.as_str().to_owned() }).await?.into_inner();
    let unit = server_unit(&account.unit)?;
    let (_, scale) = fetch_unit(client, &unit).await?;
    Ok((unit, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_bad_lines_are_usage_errors() {
        let dir = tempfile_dir();
        let good = dir.join("good.csv");
        std::fs::write(
            &good,
            "payer,payee,amount,memo,key\n# market day\n\nalice,bob,12.50,bread\nbob,carol,3,,b.key\n",
        )
        .unwrap();
        let lines = parse_file(&good).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].memo.as_str(), "bread");
        assert_eq!(lines[1].key.as_deref(), Some(Path::new("b.key")));
        for bad in ["alice,bob\n", "Alice,bob,1\n", "alice,bob,1,m,k,extra\n", "# nothing\n"] {
            let path = dir.join("bad.csv");
            std::fs::write(&path, bad).unwrap();
            assert!(matches!(parse_file(&path), Err(CliError::Usage(_))), "{bad:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ledgerctl-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
