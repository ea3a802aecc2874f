//! `ledgerctl audit trial-balance`: every balance per unit and their sum (treasurer, auditor).

use clap::Subcommand;
use ledger_core::names::UnitCode;
use serde::Serialize;

use super::Context;
use crate::error::CliError;
use crate::output::Render;
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
    /// Replay the whole journal locally and check every hash, signature, role, limit and balance.
    Verify,
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
            sections.push(format!(
                "unit {}  total {}  positive {}  negative {}\n{}",
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
    let client = ctx.connect().await?;
    match command {
        AuditCommand::TrialBalance { unit } => {
            let trial = client
                .audit()
                .get_trial_balance(proto::GetTrialBalanceRequest {
                    unit: unit.map(|code| code.as_str().to_owned()).unwrap_or_default(),
                })
                .await?
                .into_inner();
            ctx.emit(&TrialBalanceView::from(trial))
        }
        AuditCommand::Verify => ctx.emit(&super::verify::verify(&client).await?),
    }
}
