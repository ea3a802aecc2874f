//! `ledgerctl chamber commons add|list|show`: the commons registry.

use clap::{Args, Subcommand};
use ledger_core::chamber::{Commons, CommonsKind, CommonsName, Description, RulesOfUse, Stewards};
use ledger_core::command::Command;
use ledger_core::names::{Handle, RequestId};
use serde::Serialize;

use super::super::{Context, fresh_request_id, parse};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 200;
/// The most pages `list` follows, so a server that keeps sending tokens cannot loop it.
const LIST_PAGES_MAX: usize = 1_000;

/// `chamber commons`.
#[derive(Debug, Subcommand)]
pub enum CommonsCommand {
    /// Registers a commons with its stewards (treasurer).
    Add(AddCommonsArgs),
    /// Lists the registry.
    List,
    /// Shows one commons.
    Show(ShowCommonsArgs),
}

/// `chamber commons add`.
#[derive(Debug, Args)]
pub struct AddCommonsArgs {
    /// Registry name, a slug such as `jardin-partage`.
    #[arg(value_parser = CommonsName::parse)]
    name: CommonsName,
    /// What sort of commons: garden, third-place, software, isp...
    #[arg(long, value_parser = CommonsKind::parse)]
    kind: CommonsKind,
    /// What it is.
    #[arg(long, value_parser = |text: &str| Description::parse(text))]
    description: Description,
    /// How it may be used.
    #[arg(long, value_parser = |text: &str| RulesOfUse::parse(text))]
    rules: Option<RulesOfUse>,
    /// A steward (an account's handle); repeat for several.
    #[arg(long = "steward", required = true)]
    stewards: Vec<Handle>,
    /// The request id (a UUID); sending it again returns the first result. Default: a fresh one.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber commons show`.
#[derive(Debug, Args)]
pub struct ShowCommonsArgs {
    /// Registry name.
    name: String,
}

/// A commons as printed.
#[derive(Debug, Serialize)]
pub struct CommonsView {
    name: String,
    kind: String,
    description: String,
    rules_of_use: String,
    stewards: Vec<String>,
}

impl From<proto::Commons> for CommonsView {
    fn from(commons: proto::Commons) -> Self {
        Self {
            name: commons.name,
            kind: commons.kind,
            description: commons.description,
            rules_of_use: commons.rules_of_use,
            stewards: commons.stewards,
        }
    }
}

impl Render for CommonsView {
    fn table(&self) -> String {
        [
            format!("name          {}", self.name),
            format!("kind          {}", self.kind),
            format!("description   {}", self.description),
            format!("rules of use  {}", self.rules_of_use),
            format!("stewards      {}", self.stewards.join(", ")),
        ]
        .join("\n")
    }
}

/// The registry as printed.
#[derive(Debug, Serialize)]
pub struct CommonsListView {
    commons: Vec<CommonsView>,
}

impl Render for CommonsListView {
    fn table(&self) -> String {
        let mut table = Table::new(&[("NAME", Align::Left), ("KIND", Align::Left), ("STEWARDS", Align::Left)]);
        for commons in &self.commons {
            table.row(vec![commons.name.clone(), commons.kind.clone(), commons.stewards.join(",")]);
        }
        table.render()
    }
}

/// Runs a `chamber commons` verb.
pub async fn run(command: CommonsCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        CommonsCommand::Add(args) => add(args, ctx).await,
        CommonsCommand::List => list(ctx).await,
        CommonsCommand::Show(args) => show(args, ctx).await,
    }
}

async fn add(args: AddCommonsArgs, ctx: &Context) -> Result<(), CliError> {
    let stewards = Stewards::new(args.stewards).map_err(|error| CliError::Usage(error.to_string()))?;
    let commons = Commons {
        name: args.name,
        kind: args.kind,
        description: args.description,
        rules_of_use: args.rules.unwrap_or_default(),
        stewards,
    };
    let wire = proto::Commons {
        name: commons.name.to_string(),
        kind: commons.kind.to_string(),
        description: commons.description.as_str().to_owned(),
        rules_of_use: commons.rules_of_use.as_str().to_owned(),
        stewards: commons.stewards.iter().map(Handle::to_string).collect(),
    };
    let client = ctx.connect().await?;
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), Command::AddCommons { commons });
    let added = client
        .chamber_commands()
        .add_commons(proto::AddCommonsRequest {
            request_id: signed.request_id,
            commons: Some(wire),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    ctx.emit(&CommonsView::from(added))
}

async fn show(args: ShowCommonsArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let commons = client.chamber().get_commons(proto::GetCommonsRequest { name: args.name }).await?.into_inner();
    ctx.emit(&CommonsView::from(commons))
}

async fn list(ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut commons = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let page = client
            .chamber()
            .list_commons(proto::ListCommonsRequest { page_size: LIST_PAGE_SIZE, page_token: page_token.clone() })
            .await?
            .into_inner();
        commons.extend(page.commons.into_iter().map(CommonsView::from));
        if page.next_page_token.is_empty() {
            return ctx.emit(&CommonsListView { commons });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the registry did not end after {LIST_PAGES_MAX} pages")))
}
