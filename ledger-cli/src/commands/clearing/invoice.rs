//! `ledgerctl clearing invoice issue|accept|reject|list|import`: invoices on the server. The
//! creditor issues, the debtor accepts (the invoice is then open for clearing) or rejects; a
//! treasurer imports existing trade credit (`invoice_import`). No verb here moves a balance.

use clap::{Args, Subcommand};
use ledger_core::command::Command;
use ledger_core::date::{Date, DateError};
use ledger_core::invoice::{InvoiceStatus, answer_id};
use ledger_core::names::{Handle, NameError, Reference, RequestId};
use ledger_core::transfer::Answer;
use serde::Serialize;

use super::invoice_import::{self, ImportArgs};
use crate::client::Client;
use crate::commands::{Context, fetch_unit, fresh_request_id, non_empty, parse, server_unit, user_positive_amount};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 500;
/// The most pages `list` follows, so a server that keeps sending tokens cannot loop it.
const LIST_PAGES_MAX: usize = 1_000;

/// `clearing invoice`.
#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Invoices DEBTOR for AMOUNT, signed by the creditor with --key; it awaits the debtor.
    Issue(IssueArgs),
    /// Accepts an invoice, signed by its debtor: it is then open for clearing.
    Accept(AnswerArgs),
    /// Rejects an invoice, signed by its debtor.
    Reject(AnswerArgs),
    /// Shows one invoice and what remains of it: its parties, treasurers and auditors.
    Show(ShowArgs),
    /// Lists invoices: a member sees its own, treasurers and auditors all.
    List(ListArgs),
    /// Imports existing trade credit from a CSV file as accepted invoices (treasurer).
    Import(ImportArgs),
}

/// `clearing invoice issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The account owed, which issues (its key signs).
    creditor: Handle,
    /// The account that owes.
    debtor: Handle,
    /// Positive amount in the creditor's unit, at most its scale's decimals.
    amount: String,
    /// When it falls due, YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = due_date)]
    due: Option<Date>,
    /// The creditor's reference (an invoice number, an order).
    #[arg(long = "ref", value_name = "TEXT", value_parser = reference)]
    reference: Option<Reference>,
    /// The invoice id (a UUID); sending it again returns the first result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `clearing invoice accept` and `reject`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The invoice id.
    #[arg(value_parser = parse::request_id)]
    invoice: RequestId,
}

/// `clearing invoice show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The invoice id.
    #[arg(value_parser = parse::request_id)]
    invoice: RequestId,
}

/// `clearing invoice list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only invoices in this unit.
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
    /// Only invoices in this status: issued, accepted or rejected.
    #[arg(long, value_parser = status)]
    status: Option<InvoiceStatus>,
    /// Only invoices where this account is the creditor or the debtor.
    #[arg(long, value_name = "HANDLE")]
    party: Option<Handle>,
}

fn due_date(text: &str) -> Result<Date, DateError> {
    Date::parse(text)
}

fn reference(text: &str) -> Result<Reference, NameError> {
    Reference::parse(text)
}

fn status(text: &str) -> Result<InvoiceStatus, String> {
    InvoiceStatus::parse(text).ok_or_else(|| format!("{text:?} is not one of issued, accepted, rejected"))
}

/// Runs an invoice verb.
pub async fn run(command: InvoiceCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        InvoiceCommand::Issue(args) => issue(args, ctx).await,
        InvoiceCommand::Accept(args) => answer(args, Answer::Accept, ctx).await,
        InvoiceCommand::Reject(args) => answer(args, Answer::Reject, ctx).await,
        InvoiceCommand::Show(args) => {
            let client = ctx.connect().await?;
            ctx.emit(&InvoiceView::from(get_invoice(&client, args.invoice).await?))
        }
        InvoiceCommand::List(args) => list(args, ctx).await,
        InvoiceCommand::Import(args) => invoice_import::run(args, ctx).await,
    }
}

/// An invoice as printed.
#[derive(Debug, Serialize)]
pub struct InvoiceView {
    /// The invoice id.
    id: String,
    /// issued, accepted or rejected.
    status: String,
    /// Who is owed.
    creditor: String,
    /// Who owes.
    debtor: String,
    /// Amount at the unit's scale.
    amount: String,
    /// What is still owed.
    remaining: String,
    /// Unit code.
    unit: String,
    /// Due date, YYYY-MM-DD.
    due: Option<String>,
    /// The creditor's reference.
    reference: String,
    /// When it was created, milliseconds since the Unix epoch.
    created_ms: i64,
    /// The journal entry of this answer; none when read back.
    seq: Option<u64>,
}

impl From<proto::Invoice> for InvoiceView {
    fn from(invoice: proto::Invoice) -> Self {
        Self {
            id: invoice.id,
            status: invoice.status,
            creditor: invoice.creditor,
            debtor: invoice.debtor,
            amount: invoice.amount,
            remaining: invoice.remaining,
            unit: invoice.unit,
            due: non_empty(&invoice.due),
            reference: invoice.reference,
            created_ms: invoice.created_ms,
            seq: (invoice.seq != 0).then_some(invoice.seq),
        }
    }
}

impl Render for InvoiceView {
    fn table(&self) -> String {
        let mut fields = vec![
            ("invoice", self.id.clone()),
            ("status", self.status.clone()),
            ("creditor", self.creditor.clone()),
            ("debtor", self.debtor.clone()),
            ("amount", format!("{} {}", self.amount, self.unit)),
            ("remaining", format!("{} {}", self.remaining, self.unit)),
            ("due", table::or_dash(self.due.as_deref())),
            ("reference", self.reference.clone()),
            ("created", table::timestamp(self.created_ms)),
        ];
        if let Some(seq) = self.seq {
            fields.push(("seq", seq.to_string()));
        }
        table::fields(&fields)
    }
}

/// Runs `issue`.
async fn issue(args: IssueArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    // The amount's scale is the creditor's unit's, which only the server knows.
    let creditor = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: args.creditor.as_str().to_owned() })
        .await?
        .into_inner();
    let unit = server_unit(&creditor.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let amount = user_positive_amount(&args.amount, scale)?;
    let reference = args.reference.unwrap_or_default();
    let signed = client.sign(
        args.id.unwrap_or_else(fresh_request_id),
        Command::IssueInvoice {
            creditor: args.creditor.clone(),
            debtor: args.debtor.clone(),
            unit: unit.clone(),
            amount,
            due: args.due,
            reference: reference.clone(),
        },
    );
    let invoice = client
        .clearing_commands()
        .issue_invoice(proto::IssueInvoiceRequest {
            request_id: signed.request_id,
            creditor: args.creditor.as_str().to_owned(),
            debtor: args.debtor.as_str().to_owned(),
            unit: unit.as_str().to_owned(),
            amount: amount.format(scale),
            due: args.due.map(|due| due.to_string()).unwrap_or_default(),
            reference: reference.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&InvoiceView::from(invoice))
}

/// Runs `accept` or `reject`. The answer's request id is derived from the invoice id, so answering
/// twice sends the same command and gets the first result back.
async fn answer(args: AnswerArgs, answer: Answer, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let invoice = get_invoice(&client, args.invoice).await?;
    let debtor = Handle::parse(&invoice.debtor)
        .map_err(|error| CliError::Failed(format!("the server sent a bad debtor: {error}")))?;
    let mut wire = proto::AnswerInvoiceRequest {
        invoice: args.invoice.to_string(),
        debtor: debtor.as_str().to_owned(),
        ..Default::default()
    };
    let command = match answer {
        Answer::Reject => Command::RejectInvoice { invoice: args.invoice, debtor },
        Answer::Accept => {
            let creditor = Handle::parse(&invoice.creditor)
                .map_err(|error| CliError::Failed(format!("the server sent a bad creditor: {error}")))?;
            let unit = server_unit(&invoice.unit)?;
            let (_, scale) = fetch_unit(&client, &unit).await?;
            let amount = crate::commands::server_amount("amount", &invoice.amount, scale)?;
            wire.creditor = creditor.as_str().to_owned();
            wire.unit = unit.as_str().to_owned();
            wire.amount = amount.format(scale);
            Command::AcceptInvoice { invoice: args.invoice, debtor, creditor, unit, amount }
        }
    };
    let signed = client.sign(answer_id(args.invoice, answer), command);
    wire.request_id = signed.request_id;
    wire.signatures = signed.signatures;
    let mut clearing = client.clearing_commands();
    let invoice = match answer {
        Answer::Accept => clearing.accept_invoice(wire).await?,
        Answer::Reject => clearing.reject_invoice(wire).await?,
    }
    .into_inner();
    ctx.emit(&InvoiceView::from(invoice))
}

/// Reads an invoice (its parties, treasurers and auditors may).
async fn get_invoice(client: &Client, id: RequestId) -> Result<proto::Invoice, CliError> {
    Ok(client.clearing().get_invoice(proto::GetInvoiceRequest { name: id.to_string() }).await?.into_inner())
}

/// Invoices as listed.
#[derive(Debug, Serialize)]
pub struct InvoicesView {
    /// Ordered by invoice id.
    invoices: Vec<InvoiceView>,
}

impl Render for InvoicesView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("INVOICE", Align::Left),
            ("STATUS", Align::Left),
            ("CREDITOR", Align::Left),
            ("DEBTOR", Align::Left),
            ("AMOUNT", Align::Right),
            ("REMAINING", Align::Right),
            ("DUE", Align::Left),
            ("REFERENCE", Align::Left),
        ]);
        for invoice in &self.invoices {
            table.row(vec![
                invoice.id.clone(),
                invoice.status.clone(),
                invoice.creditor.clone(),
                invoice.debtor.clone(),
                format!("{} {}", invoice.amount, invoice.unit),
                format!("{} {}", invoice.remaining, invoice.unit),
                table::or_dash(invoice.due.as_deref()),
                invoice.reference.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs `list`, following pages to the end.
async fn list(args: ListArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut invoices = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let page = client
            .clearing()
            .list_invoices(proto::ListInvoicesRequest {
                unit: args.unit.clone().unwrap_or_default(),
                status: args.status.map(|status| status.as_str().to_owned()).unwrap_or_default(),
                party: args.party.as_ref().map(|party| party.as_str().to_owned()).unwrap_or_default(),
                page_size: LIST_PAGE_SIZE,
                page_token: page_token.clone(),
            })
            .await?
            .into_inner();
        invoices.extend(page.invoices.into_iter().map(InvoiceView::from));
        if page.next_page_token.is_empty() {
            return ctx.emit(&InvoicesView { invoices });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the list of invoices did not end after {LIST_PAGES_MAX} pages")))
}
