//! `ledgerctl reverse`: undoes a committed payment or accepted request with a transfer back, by
//! its payee (a refund) or a treasurer (a correction). Both accounts' limits apply.

use clap::Args;
use ledger_core::command::Command;
use ledger_core::names::{Handle, Reason, RequestId};

use super::pay::TransferView;
use super::request::get_transfer;
use super::{Context, fetch_unit, fresh_request_id, parse, server_amount, server_unit};
use crate::error::CliError;
use crate::output;
use crate::proto;

/// `reverse`.
#[derive(Debug, Args)]
pub struct ReverseArgs {
    /// The transfer to undo.
    #[arg(value_parser = parse::request_id)]
    transfer: RequestId,
    /// Why (kept in the journal, shown in history).
    #[arg(long, value_parser = parse::reason)]
    reason: Reason,
    /// The reversal's own transfer id (a UUID); sending it again returns the first result.
    /// Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// Runs `reverse`.
pub async fn run(args: ReverseArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let original = get_transfer(&client, args.transfer).await?;
    let bad = |what: &str, error: String| CliError::Failed(format!("the server sent a bad {what}: {error}"));
    // The reversal pays back: the original payee pays the original payer.
    let payer = Handle::parse(&original.payee).map_err(|error| bad("payee", error.to_string()))?;
    let payee = Handle::parse(&original.payer).map_err(|error| bad("payer", error.to_string()))?;
    let unit = server_unit(&original.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amount = server_amount("amount", &original.amount, scale)?;
    let signed = client.sign(
        args.id.unwrap_or_else(fresh_request_id),
        Command::Reverse {
            transfer: args.transfer,
            payer: payer.clone(),
            payee: payee.clone(),
            unit: unit.clone(),
            amount,
            reason: args.reason.clone(),
        },
    );
    let transfer = client
        .transfers_commands()
        .reverse_transfer(proto::ReverseTransferRequest {
            request_id: signed.request_id,
            transfer: args.transfer.to_string(),
            payer: payer.as_str().to_owned(),
            payee: payee.as_str().to_owned(),
            unit: unit.as_str().to_owned(),
            amount: amount.format(scale),
            reason: args.reason.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    for warning in &transfer.warnings {
        output::warn(warning);
    }
    ctx.emit(&TransferView::from(transfer))
}
