//! `ledgerctl balance`: an account's balance, limits and what it may still pay.

use clap::Args;
use ledger_core::names::Handle;
use serde::Serialize;

use super::{Context, non_empty};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, or_dash};

/// `balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// The account's handle.
    handle: Handle,
}

/// A balance as printed; `null` for a limit that is not set.
#[derive(Debug, Serialize)]
struct BalanceView {
    /// Handle.
    account: String,
    /// Unit code.
    unit: String,
    /// Signed balance at the unit's scale.
    balance: String,
    /// How far below zero it may go.
    credit_limit: String,
    /// How far above zero it may go.
    ceiling: Option<String>,
    /// Warning threshold below zero.
    soft_limit: Option<String>,
    /// What may still be paid: balance + credit limit.
    available: String,
    /// Sequence number of the last entry reflected.
    as_of_seq: u64,
}

impl From<proto::Balance> for BalanceView {
    fn from(balance: proto::Balance) -> Self {
        Self {
            ceiling: non_empty(&balance.ceiling),
            soft_limit: non_empty(&balance.soft_limit),
            account: balance.account,
            unit: balance.unit,
            balance: balance.balance,
            credit_limit: balance.credit_limit,
            available: balance.available,
            as_of_seq: balance.as_of_seq,
        }
    }
}

impl Render for BalanceView {
    fn table(&self) -> String {
        table::fields(&[
            ("account", self.account.clone()),
            ("balance", format!("{} {}", self.balance, self.unit)),
            ("available", self.available.clone()),
            ("credit limit", self.credit_limit.clone()),
            ("ceiling", or_dash(self.ceiling.as_deref())),
            ("soft limit", or_dash(self.soft_limit.as_deref())),
            ("as of seq", self.as_of_seq.to_string()),
        ])
    }
}

/// Runs `balance`.
pub async fn run(args: BalanceArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let balance = client
        .accounts()
        .get_balance(proto::GetBalanceRequest { name: args.handle.as_str().to_owned() })
        .await?
        .into_inner();
    ctx.emit(&BalanceView::from(balance))
}
