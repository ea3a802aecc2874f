//! `ledgerctl pay`: a payment, signed by the payer, committed at once or refused.

use clap::Args;
use ledger_core::command::Command;
use ledger_core::names::{Handle, Memo, RequestId};
use serde::Serialize;

use super::{Context, fetch_unit, fresh_request_id, non_empty, parse, server_unit, user_positive_amount};
use crate::error::CliError;
use crate::output::{self, Render};
use crate::proto;
use crate::table;

/// `pay`.
#[derive(Debug, Args)]
pub struct PayArgs {
    /// The paying account (its key signs).
    payer: Handle,
    /// The receiving account.
    payee: Handle,
    /// Positive amount in the payer's unit, at most its scale's decimals ("30", "12.50").
    amount: String,
    /// Note to the payee.
    #[arg(long, value_parser = parse::memo)]
    memo: Option<Memo>,
    /// The transfer id (a UUID). Sending the same id again returns the first result, so a
    /// retry after a lost answer never pays twice. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// A transfer as printed.
#[derive(Debug, Serialize)]
pub struct TransferView {
    /// The transfer id.
    pub(crate) id: String,
    /// payment, request or reversal.
    pub(crate) kind: String,
    /// pending, committed, rejected or expired.
    pub(crate) status: String,
    /// Paying account.
    pub(crate) payer: String,
    /// Receiving account.
    pub(crate) payee: String,
    /// Amount at the unit's scale.
    pub(crate) amount: String,
    /// Unit code.
    pub(crate) unit: String,
    /// Note to the payee.
    pub(crate) memo: String,
    /// Journal entry of this answer (for a read: the one that created the transfer).
    pub(crate) seq: u64,
    /// When that entry was made, milliseconds since the Unix epoch.
    pub(crate) timestamp_ms: i64,
    /// For example: the payer crossed its soft limit.
    pub(crate) warnings: Vec<String>,
    /// A request: from this instant on it can no longer be accepted.
    pub(crate) expires_at_ms: Option<i64>,
    /// A reversal: the transfer it undoes.
    pub(crate) reverses: Option<String>,
    /// The reversal that undid it.
    pub(crate) reversed_by: Option<String>,
    /// A payment or accepted request to a business: the levy posted with it to the fund.
    pub(crate) levy: Option<String>,
}

impl From<proto::Transfer> for TransferView {
    fn from(transfer: proto::Transfer) -> Self {
        Self {
            id: transfer.id,
            kind: transfer.kind,
            status: transfer.status,
            payer: transfer.payer,
            payee: transfer.payee,
            amount: transfer.amount,
            unit: transfer.unit,
            memo: transfer.memo,
            seq: transfer.seq,
            timestamp_ms: transfer.timestamp_ms,
            warnings: transfer.warnings,
            expires_at_ms: (transfer.expires_at_ms != 0).then_some(transfer.expires_at_ms),
            reverses: non_empty(&transfer.reverses),
            reversed_by: non_empty(&transfer.reversed_by),
            levy: non_empty(&transfer.levy),
        }
    }
}

impl Render for TransferView {
    fn table(&self) -> String {
        let mut fields = vec![
            ("transfer", self.id.clone()),
            ("kind", self.kind.clone()),
            ("status", self.status.clone()),
            ("payer", self.payer.clone()),
            ("payee", self.payee.clone()),
            ("amount", format!("{} {}", self.amount, self.unit)),
            ("memo", self.memo.clone()),
            ("seq", self.seq.to_string()),
            ("time", table::timestamp(self.timestamp_ms)),
        ];
        if let Some(expires_at_ms) = self.expires_at_ms {
            fields.push(("expires", table::timestamp(expires_at_ms)));
        }
        if let Some(reverses) = &self.reverses {
            fields.push(("reverses", reverses.clone()));
        }
        if let Some(reversed_by) = &self.reversed_by {
            fields.push(("reversed by", reversed_by.clone()));
        }
        if let Some(levy) = &self.levy {
            fields.push(("levy", format!("{levy} {} to the commons fund", self.unit)));
        }
        table::fields(&fields)
    }
}

/// Runs `pay`.
pub async fn run(args: PayArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    // The amount's scale is the payer's unit's, which only the server knows.
    let payer = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: args.payer.as_str().to_owned() })
        .await?
        .into_inner();
    let unit = server_unit(&payer.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amount = user_positive_amount(&args.amount, scale)?;
    let memo = args.memo.unwrap_or_default();
    let request_id = args.id.unwrap_or_else(fresh_request_id);
    let signed = client.sign(
        request_id,
        Command::Pay {
            payer: args.payer.clone(),
            payee: args.payee.clone(),
            unit: unit.clone(),
            amount,
            memo: memo.clone(),
        },
    );
    let transfer = client
        .transfers_commands()
        .create_payment(proto::CreatePaymentRequest {
            request_id: signed.request_id,
            payer: args.payer.as_str().to_owned(),
            payee: args.payee.as_str().to_owned(),
            unit: unit.as_str().to_owned(),
            amount: amount.format(scale),
            memo: memo.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    for warning in &transfer.warnings {
        output::warn(warning);
    }
    ctx.emit(&TransferView::from(transfer))
}
