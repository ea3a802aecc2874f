//! `ledgerctl request|accept|reject|requests`: payment requests. The payee asks, the payer
//! accepts (value moves then, within the payer's limits) or rejects; a member lists the pending
//! requests it pays or receives.

use clap::Args;
use ledger_core::command::Command;
use ledger_core::names::{Handle, Memo, RequestId};
use ledger_core::transfer::{Answer, answer_id};
use serde::Serialize;

use super::pay::TransferView;
use super::{Context, fetch_unit, fresh_request_id, parse, server_unit, user_positive_amount};
use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, Render};
use crate::proto;
use crate::table::{self, Align, Table};

/// How long a request stays open when `--expires` is not given: one week.
const LIFETIME_DEFAULT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 200;
/// The most pages `requests` follows, so a server that keeps sending tokens cannot loop it.
const LIST_PAGES_MAX: usize = 1_000;

/// `request`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The account that asks and will receive (its key signs).
    payee: Handle,
    /// The account asked to pay.
    payer: Handle,
    /// Positive amount in the payee's unit, at most its scale's decimals.
    amount: String,
    /// Note to the payer.
    #[arg(long, value_parser = parse::memo)]
    memo: Option<Memo>,
    /// How long the payer has to accept: a number with ms, s, m, h or d (default 7d, at most
    /// 366d), counted from when the server records the request.
    #[arg(long, value_name = "DURATION", value_parser = parse::lifetime_ms)]
    expires: Option<i64>,
    /// The transfer id (a UUID); sending it again returns the first result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `accept` and `reject`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The request's transfer id.
    #[arg(value_parser = parse::request_id)]
    transfer: RequestId,
}

/// `requests`.
#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// The account whose pending requests to list, paid or received.
    handle: Handle,
}

/// Runs `request`.
pub async fn request(args: RequestArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    // The amount's scale is the payee's unit's, which only the server knows.
    let payee = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: args.payee.as_str().to_owned() })
        .await?
        .into_inner();
    let unit = server_unit(&payee.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amount = user_positive_amount(&args.amount, scale)?;
    let memo = args.memo.unwrap_or_default();
    let lifetime_ms = args.expires.unwrap_or(LIFETIME_DEFAULT_MS);
    let signed = client.sign(
        args.id.unwrap_or_else(fresh_request_id),
        Command::RequestPayment {
            payee: args.payee.clone(),
            payer: args.payer.clone(),
            unit: unit.clone(),
            amount,
            memo: memo.clone(),
            lifetime_ms,
        },
    );
    let transfer = client
        .transfers_commands()
        .request_payment(proto::RequestPaymentRequest {
            request_id: signed.request_id,
            payee: args.payee.as_str().to_owned(),
            payer: args.payer.as_str().to_owned(),
            unit: unit.as_str().to_owned(),
            amount: amount.format(scale),
            memo: memo.as_str().to_owned(),
            lifetime_ms,
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&TransferView::from(transfer))
}

/// Runs `accept` or `reject`. The answer's request id is derived from the request's id, so
/// answering twice sends the same command and gets the first result back.
pub async fn answer(args: AnswerArgs, answer: Answer, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let request = get_transfer(&client, args.transfer).await?;
    let payer = Handle::parse(&request.payer)
        .map_err(|error| CliError::Failed(format!("the server sent a bad payer: {error}")))?;
    let request_id = answer_id(args.transfer, answer);
    let mut wire = proto::AnswerRequestRequest {
        request_id: String::new(),
        transfer: args.transfer.to_string(),
        payer: payer.as_str().to_owned(),
        ..Default::default()
    };
    let command = match answer {
        Answer::Reject => Command::RejectRequest { request: args.transfer, payer },
        Answer::Accept => {
            let payee = Handle::parse(&request.payee)
                .map_err(|error| CliError::Failed(format!("the server sent a bad payee: {error}")))?;
            let unit = server_unit(&request.unit)?;
            let (_, scale) = fetch_unit(&client, &unit).await?;
            let amount = super::server_amount("amount", &request.amount, scale)?;
            wire.payee = payee.as_str().to_owned();
            wire.unit = unit.as_str().to_owned();
            wire.amount = amount.format(scale);
            Command::AcceptRequest { request: args.transfer, payer, payee, unit, amount }
        }
    };
    let signed = client.sign(request_id, command);
    wire.request_id = signed.request_id;
    wire.signatures = signed.signatures;
    let transfers = client.transfers_commands();
    let transfer = match answer {
        Answer::Accept => transfers.clone().accept_request(wire).await?,
        Answer::Reject => transfers.clone().reject_request(wire).await?,
    }
    .into_inner();
    for warning in &transfer.warnings {
        output::warn(warning);
    }
    ctx.emit(&TransferView::from(transfer))
}

/// Reads a transfer (its payer, payee, treasurers and auditors may).
pub async fn get_transfer(client: &Client, id: RequestId) -> Result<proto::Transfer, CliError> {
    let transfer =
        client.transfers().get_transfer(proto::GetTransferRequest { name: id.to_string() }).await?.into_inner();
    Ok(transfer)
}

/// Pending requests as printed.
#[derive(Debug, Serialize)]
pub struct RequestsView {
    /// The account listed.
    account: String,
    /// Ordered by transfer id.
    requests: Vec<TransferView>,
}

impl Render for RequestsView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("TRANSFER", Align::Left),
            ("DIRECTION", Align::Left),
            ("WITH", Align::Left),
            ("AMOUNT", Align::Right),
            ("STATUS", Align::Left),
            ("EXPIRES", Align::Left),
            ("MEMO", Align::Left),
        ]);
        for request in &self.requests {
            let (direction, with) =
                if request.payer == self.account { ("to pay", &request.payee) } else { ("to receive", &request.payer) };
            table.row(vec![
                request.id.clone(),
                direction.to_owned(),
                with.clone(),
                format!("{} {}", request.amount, request.unit),
                request.status.clone(),
                request.expires_at_ms.map(table::timestamp).unwrap_or_default(),
                request.memo.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs `requests`.
pub async fn list(args: RequestsArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut requests = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let page = client
            .transfers()
            .list_payment_requests(proto::ListPaymentRequestsRequest {
                parent: args.handle.as_str().to_owned(),
                page_size: LIST_PAGE_SIZE,
                page_token: page_token.clone(),
            })
            .await?
            .into_inner();
        requests.extend(page.requests.into_iter().map(TransferView::from));
        if page.next_page_token.is_empty() {
            return ctx.emit(&RequestsView { account: args.handle.to_string(), requests });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the list of requests did not end after {LIST_PAGES_MAX} pages")))
}
