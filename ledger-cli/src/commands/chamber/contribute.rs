//! `ledgerctl chamber contribute`: a one-off contribution from a business to its unit's fund,
//! signed by the business.

use clap::Args;
use ledger_core::command::Command;
use ledger_core::names::{Handle, Memo, RequestId};

use super::super::pay::TransferView;
use super::super::{Context, fetch_unit, fresh_request_id, parse, server_unit, user_positive_amount};
use crate::error::CliError;
use crate::output;
use crate::proto;

/// `chamber contribute`.
#[derive(Debug, Args)]
pub struct ContributeArgs {
    /// The contributing business (its key signs).
    business: Handle,
    /// Positive amount in the business's unit.
    amount: String,
    /// Note.
    #[arg(long, value_parser = parse::memo)]
    memo: Option<Memo>,
    /// The transfer id (a UUID); sending it again returns the first result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// Runs `chamber contribute`.
pub async fn run(args: ContributeArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let business = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: args.business.as_str().to_owned() })
        .await?
        .into_inner();
    let unit = server_unit(&business.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amount = user_positive_amount(&args.amount, scale)?;
    let memo = args.memo.unwrap_or_default();
    let command =
        Command::Contribute { business: args.business.clone(), unit: unit.clone(), amount, memo: memo.clone() };
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), command);
    let transfer = client
        .chamber_commands()
        .contribute(proto::ContributeRequest {
            request_id: signed.request_id,
            business: args.business.to_string(),
            unit: unit.to_string(),
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
