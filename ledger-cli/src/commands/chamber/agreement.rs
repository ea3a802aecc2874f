//! `ledgerctl chamber agreement set|show|list`: businesses' agreements with the chamber.

use clap::{Args, Subcommand};
use ledger_core::chamber::{Agreement, BasisPoints, Period};
use ledger_core::command::Command;
use ledger_core::names::{Handle, RequestId};
use serde::Serialize;

use super::super::{Context, fetch_unit, fresh_request_id, non_empty, parse, server_unit, user_positive_amount};
use crate::client::Client;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 200;
/// The most pages a listing follows, so a server that keeps sending tokens cannot loop it.
const LIST_PAGES_MAX: usize = 1_000;

/// `chamber agreement`.
#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Sets or replaces a business's agreement (treasurer).
    Set(SetAgreementArgs),
    /// Shows a business's agreement.
    Show(ShowAgreementArgs),
    /// Lists every agreement.
    List,
}

/// `chamber agreement set`.
#[derive(Debug, Args)]
pub struct SetAgreementArgs {
    /// The business (an account of kind business).
    business: Handle,
    /// Levy on every payment it receives, in percent with at most two decimals ("1.5" is 150
    /// basis points).
    #[arg(long, value_parser = BasisPoints::parse_percent)]
    levy: Option<BasisPoints>,
    /// Recurring contribution per period (month), in the business's unit.
    #[arg(long, value_name = "AMOUNT")]
    recurring: Option<String>,
    /// First period (YYYY-MM) the terms apply to. Default: the current month (UTC).
    #[arg(long, value_name = "PERIOD", value_parser = Period::parse)]
    from: Option<Period>,
    /// The request id (a UUID); sending it again returns the first result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber agreement show`.
#[derive(Debug, Args)]
pub struct ShowAgreementArgs {
    /// The business.
    business: Handle,
}

/// An agreement as printed.
#[derive(Debug, Serialize)]
pub struct AgreementView {
    business: String,
    unit: String,
    /// Percent with two decimals: "1.50".
    levy_percent: String,
    levy_basis_points: u32,
    /// Per period; none if absent.
    recurring: Option<String>,
    effective_from: String,
    /// The entry that set it (`set` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
}

impl From<proto::Agreement> for AgreementView {
    fn from(agreement: proto::Agreement) -> Self {
        Self {
            business: agreement.business,
            unit: agreement.unit,
            levy_percent: agreement.levy_percent,
            levy_basis_points: agreement.levy_basis_points,
            recurring: non_empty(&agreement.recurring),
            effective_from: agreement.effective_from,
            seq: (agreement.seq != 0).then_some(agreement.seq),
        }
    }
}

impl Render for AgreementView {
    fn table(&self) -> String {
        let mut fields = vec![
            ("business", self.business.clone()),
            ("levy", format!("{}%", self.levy_percent)),
            (
                "recurring",
                self.recurring.as_ref().map_or("none".to_owned(), |a| format!("{a} {} per period", self.unit)),
            ),
            ("from", self.effective_from.clone()),
        ];
        if let Some(seq) = self.seq {
            fields.push(("seq", seq.to_string()));
        }
        table::fields(&fields)
    }
}

/// Every agreement as printed.
#[derive(Debug, Serialize)]
pub struct AgreementListView {
    agreements: Vec<AgreementView>,
}

impl Render for AgreementListView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("BUSINESS", Align::Left),
            ("LEVY %", Align::Right),
            ("RECURRING", Align::Right),
            ("UNIT", Align::Left),
            ("FROM", Align::Left),
        ]);
        for agreement in &self.agreements {
            table.row(vec![
                agreement.business.clone(),
                agreement.levy_percent.clone(),
                agreement.recurring.clone().unwrap_or_default(),
                agreement.unit.clone(),
                agreement.effective_from.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs a `chamber agreement` verb.
pub async fn run(command: AgreementCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        AgreementCommand::Set(args) => set(args, ctx).await,
        AgreementCommand::Show(args) => {
            let client = ctx.connect().await?;
            let name = args.business.to_string();
            let agreement = client.chamber().get_agreement(proto::GetAgreementRequest { name }).await?.into_inner();
            ctx.emit(&AgreementView::from(agreement))
        }
        AgreementCommand::List => {
            let client = ctx.connect().await?;
            let agreements = list_all(&client).await?.into_iter().map(AgreementView::from).collect();
            ctx.emit(&AgreementListView { agreements })
        }
    }
}

async fn set(args: SetAgreementArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    // The recurring amount's scale is the business's unit's, which only the server knows.
    let business = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: args.business.as_str().to_owned() })
        .await?
        .into_inner();
    let unit = server_unit(&business.unit)?;
    let (_, scale) = fetch_unit(&client, &unit).await?;
    let recurring = args.recurring.as_deref().map(|text| user_positive_amount(text, scale)).transpose()?;
    let from = match args.from {
        Some(period) => period,
        None => current_period()?,
    };
    let levy = args.levy.unwrap_or(BasisPoints::ZERO);
    let agreement = Agreement::new(args.business.clone(), levy, recurring, from)
        .map_err(|error| CliError::Usage(format!("{error} (give --levy, --recurring or both)")))?;
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), Command::SetAgreement { agreement });
    let set = client
        .chamber_commands()
        .set_agreement(proto::SetAgreementRequest {
            request_id: signed.request_id,
            business: args.business.to_string(),
            levy_basis_points: levy.points(),
            recurring: recurring.map(|amount| amount.format(scale)).unwrap_or_default(),
            effective_from: from.to_string(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&AgreementView::from(set))
}

/// Every agreement, page by page.
pub(super) async fn list_all(client: &Client) -> Result<Vec<proto::Agreement>, CliError> {
    let mut agreements = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let page = client
            .chamber()
            .list_agreements(proto::ListAgreementsRequest { page_size: LIST_PAGE_SIZE, page_token: page_token.clone() })
            .await?
            .into_inner();
        agreements.extend(page.agreements);
        if page.next_page_token.is_empty() {
            return Ok(agreements);
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the agreements did not end after {LIST_PAGES_MAX} pages")))
}

/// This month (UTC), by this machine's clock.
fn current_period() -> Result<Period, CliError> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_millis()).ok())
        .ok_or_else(|| CliError::Failed("the clock is before 1970".into()))?;
    Period::of_timestamp_ms(now_ms).ok_or_else(|| CliError::Failed("the clock is outside years 1000 to 9999".into()))
}
