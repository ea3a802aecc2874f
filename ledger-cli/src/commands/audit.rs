//! `ledgerctl audit`: the trial balance here; export, verify, checkpoints and statements in the
//! `audit_*` files and `verify.rs`, statements checked against an export in `audit_offline.rs`.
//! Everything but the offline commands (`--journal`) needs a treasurer's, an auditor's or an
//! admin's key, and nothing here changes the ledger.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::names::{Handle, UnitCode};
use serde::Serialize;

use super::Context;
use super::audit_statement::{Point, parse_time};
use super::{audit_export, audit_journal, audit_offline, audit_statement, verify};
use crate::error::CliError;
use crate::output::{Mode, Render};
use crate::proto;
use crate::table::{Align, Table};

/// Audits.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every account's balance per unit, and their sum (always zero).
    TrialBalance {
        /// Only this unit.
        #[arg(long)]
        unit: Option<UnitCode>,
    },
    /// Replay the whole journal locally and check every hash, signature, role, limit and balance:
    /// the server's, or an export file's (offline, no key needed).
    Verify {
        /// An export file to check instead of the server's journal.
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// A file of checkpoints kept outside the server (`audit checkpoint --out`); repeatable.
        #[arg(long, value_name = "FILE")]
        checkpoint: Vec<PathBuf>,
    },
    /// Write the journal as JSON lines (hex bytes, amounts in minor units), streamed.
    Export {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Append entries from this sequence number on, to bring an earlier export up to date.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        from_seq: Option<u64>,
    },
    /// Have the server sign its chain's head now, and keep the checkpoint.
    Checkpoint {
        /// Append the checkpoint to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// An account's opening balance, every entry, and closing balance over a period.
    ///
    /// From the server's history, it is as trustworthy as the server. With --journal and
    /// --checkpoint it is trustless: computed from an export that is verified on the way and
    /// must match checkpoints you kept (no server, no key needed).
    Statement {
        /// The account.
        handle: Handle,
        #[command(flatten)]
        offline: Offline,
        /// Start (UTC): 2026-11-30, 2026-11-30T10:00:00Z or milliseconds.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        from: Option<i64>,
        /// End, inclusive (UTC).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        to: Option<i64>,
        /// csv, or json (default: --output).
        #[arg(long, value_enum)]
        format: Option<StatementFormat>,
    },
    /// An account's balance at a time or after an entry.
    ///
    /// From the server's history, it is as trustworthy as the server. With --journal and
    /// --checkpoint it is trustless: computed from an export that is verified on the way and
    /// must match checkpoints you kept (no server, no key needed).
    BalanceAt {
        /// The account.
        handle: Handle,
        #[command(flatten)]
        offline: Offline,
        /// After every entry up to this time (UTC).
        #[arg(long, value_name = "TIME", value_parser = parse_time, required_unless_present = "seq", conflicts_with = "seq")]
        at: Option<i64>,
        /// After every entry up to this sequence number.
        #[arg(long, value_name = "N")]
        seq: Option<u64>,
    },
}

/// Where a statement or balance comes from when it must not trust the server.
#[derive(Debug, Args)]
pub struct Offline {
    /// Compute it from this export file, verified entry by entry as `audit verify --journal`
    /// does, instead of the server's history.
    #[arg(long, value_name = "FILE", requires = "checkpoint")]
    journal: Option<PathBuf>,
    /// With --journal: a file of checkpoints kept outside the server (`audit checkpoint --out`)
    /// that the export must reach and match; repeatable.
    #[arg(long, value_name = "FILE", requires = "journal")]
    checkpoint: Vec<PathBuf>,
}

/// How a statement is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatementFormat {
    /// Comma-separated, for spreadsheets.
    Csv,
    /// One JSON document.
    Json,
}

/// The trial balance as printed.
#[derive(Debug, Serialize)]
struct TrialBalanceView {
    /// One section per unit.
    units: Vec<UnitView>,
    /// Sequence number of the last entry reflected.
    as_of_seq: u64,
}

/// One unit's balances.
#[derive(Debug, Serialize)]
struct UnitView {
    /// Unit code.
    unit: String,
    /// Sum of every balance: zero unless the ledger is broken.
    total: String,
    /// Whether `total` is zero, said explicitly.
    balanced: bool,
    /// Sum of positive balances.
    positive: String,
    /// Sum of negative balances: the credit outstanding.
    negative: String,
    /// Every account of the unit.
    accounts: Vec<AccountView>,
}

/// One account's balance.
#[derive(Debug, Serialize)]
struct AccountView {
    /// Handle.
    account: String,
    /// Signed balance.
    balance: String,
    /// Whether it is below minus its soft limit.
    past_soft_limit: bool,
}

impl From<proto::TrialBalance> for TrialBalanceView {
    fn from(trial: proto::TrialBalance) -> Self {
        Self {
            units: trial
                .units
                .into_iter()
                .map(|unit| UnitView {
                    balanced: unit.total.chars().all(|c| c == '0' || c == '.'),
                    unit: unit.unit,
                    total: unit.total,
                    positive: unit.positive,
                    negative: unit.negative,
                    accounts: unit
                        .accounts
                        .into_iter()
                        .map(|account| AccountView {
                            account: account.account,
                            balance: account.balance,
                            past_soft_limit: account.past_soft_limit,
                        })
                        .collect(),
                })
                .collect(),
            as_of_seq: trial.as_of_seq,
        }
    }
}

impl Render for TrialBalanceView {
    fn table(&self) -> String {
        let mut sections = Vec::new();
        for unit in &self.units {
            let mut table =
                Table::new(&[("ACCOUNT", Align::Left), ("BALANCE", Align::Right), ("SOFT LIMIT", Align::Left)]);
            for account in &unit.accounts {
                let past = if account.past_soft_limit { "past" } else { "" };
                table.row(vec![account.account.clone(), account.balance.clone(), past.to_owned()]);
            }
            let sum = if unit.balanced { "Σ = 0" } else { "Σ ≠ 0: THE LEDGER IS BROKEN" };
            sections.push(format!(
                "unit {}  total {} ({sum})  positive {}  negative {}\n{}",
                unit.unit,
                unit.total,
                unit.positive,
                unit.negative,
                table.render()
            ));
        }
        sections.push(format!("as of seq {}", self.as_of_seq));
        sections.join("\n\n")
    }
}

/// Runs an `audit` verb.
pub async fn run(command: AuditCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        AuditCommand::TrialBalance { unit } => {
            let client = ctx.connect().await?;
            let trial = client
                .audit()
                .get_trial_balance(proto::GetTrialBalanceRequest {
                    unit: unit.map(|code| code.as_str().to_owned()).unwrap_or_default(),
                })
                .await?
                .into_inner();
            ctx.emit(&TrialBalanceView::from(trial))
        }
        AuditCommand::Verify { journal, checkpoint } => {
            let held = read_checkpoints(&checkpoint)?;
            match journal {
                Some(path) => ctx.emit(&verify::verify_file(&path, &held)?),
                None => ctx.emit(&verify::verify(&ctx.connect().await?, held).await?),
            }
        }
        AuditCommand::Export { out, from_seq } => ctx.emit(&audit_export::export(ctx, &out, from_seq).await?),
        AuditCommand::Checkpoint { out } => ctx.emit(&audit_export::checkpoint(ctx, out).await?),
        AuditCommand::Statement { handle, offline, from, to, format } => {
            let view = match offline.journal {
                Some(journal) => {
                    audit_offline::statement(&journal, &read_checkpoints(&offline.checkpoint)?, &handle, (from, to))?
                }
                None => audit_statement::statement(ctx, &handle, from, to).await?,
            };
            match format {
                Some(StatementFormat::Csv) => audit_statement::print_csv(&view),
                Some(StatementFormat::Json) => crate::output::emit(Mode::Json, &view),
                None => ctx.emit(&view),
            }
        }
        AuditCommand::BalanceAt { handle, offline, at, seq } => {
            let point = match (at, seq) {
                (Some(at), _) => Point::Time(at),
                (None, Some(seq)) => Point::Seq(seq),
                (None, None) => return Err(CliError::Usage("give --at TIME or --seq N".into())),
            };
            match offline.journal {
                Some(journal) => {
                    let held = read_checkpoints(&offline.checkpoint)?;
                    ctx.emit(&audit_offline::balance_at(&journal, &held, &handle, point)?)
                }
                None => ctx.emit(&audit_statement::balance_at(ctx, &handle, point).await?),
            }
        }
    }
}

/// Every checkpoint in the files given with --checkpoint.
fn read_checkpoints(paths: &[PathBuf]) -> Result<Vec<Checkpoint>, CliError> {
    let mut held = Vec::new();
    for path in paths {
        held.extend(audit_journal::read_checkpoints(path)?);
    }
    Ok(held)
}
