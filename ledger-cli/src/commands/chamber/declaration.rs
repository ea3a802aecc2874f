//! `ledgerctl chamber declare|validate|refuse|declarations`: declarations of work.

use clap::Args;
use ledger_core::chamber::{Category, CommonsName, Decision, DeclarationStatus, Note, Period, Quantity, decision_id};
use ledger_core::command::Command;
use ledger_core::names::{DeclarationId, Handle, RequestId};
use serde::Serialize;

use super::super::{Context, fresh_request_id, parse};
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{Align, Table};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: i32 = 200;
/// The most pages `declarations` follows, so a server that keeps sending tokens cannot loop it.
const LIST_PAGES_MAX: usize = 1_000;

/// `chamber declare`.
#[derive(Debug, Args)]
pub struct DeclareArgs {
    /// The commons the work was for.
    #[arg(value_parser = CommonsName::parse)]
    commons: CommonsName,
    /// How much work (hours, sessions...): a positive decimal with at most 3 decimals.
    #[arg(value_parser = Quantity::parse)]
    quantity: Quantity,
    /// The kind of work, which the remuneration rule weighs.
    #[arg(long, value_parser = Category::parse)]
    category: Category,
    /// The month the work was done in, YYYY-MM.
    #[arg(long, value_parser = Period::parse)]
    period: Period,
    /// A note for the stewards.
    #[arg(long, value_parser = |text: &str| Note::parse(text))]
    note: Option<Note>,
    /// The contributor, when the key holder's handle is not meant (it must still sign).
    #[arg(long = "as", value_name = "HANDLE")]
    contributor: Option<Handle>,
    /// The declaration id (a UUID); sending it again returns the first result. Default: fresh.
    #[arg(long, value_name = "UUID", value_parser = parse::request_id)]
    id: Option<RequestId>,
}

/// `chamber validate` and `chamber refuse`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The declaration's id.
    #[arg(value_parser = DeclarationId::parse)]
    declaration: DeclarationId,
}

/// `chamber declarations`.
#[derive(Debug, Args)]
pub struct DeclarationsArgs {
    /// Only for this commons.
    #[arg(long, value_parser = CommonsName::parse)]
    commons: Option<CommonsName>,
    /// Only of this month, YYYY-MM.
    #[arg(long, value_parser = Period::parse)]
    period: Option<Period>,
    /// Only with this status: pending, validated or refused.
    #[arg(long, value_parser = status)]
    status: Option<DeclarationStatus>,
    /// Only by this contributor.
    #[arg(long)]
    contributor: Option<Handle>,
}

fn status(text: &str) -> Result<DeclarationStatus, String> {
    DeclarationStatus::parse(text).ok_or_else(|| format!("{text:?}: use pending, validated or refused"))
}

/// A declaration as printed.
#[derive(Debug, Serialize)]
pub struct DeclarationView {
    id: String,
    contributor: String,
    commons: String,
    category: String,
    quantity: String,
    period: String,
    note: String,
    status: String,
    /// The executed distribution that paid it, once paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_by: Option<String>,
}

impl From<proto::Declaration> for DeclarationView {
    fn from(d: proto::Declaration) -> Self {
        Self {
            id: d.id,
            contributor: d.contributor,
            commons: d.commons,
            category: d.category,
            quantity: d.quantity,
            period: d.period,
            note: d.note,
            status: d.status,
            paid_by: (!d.paid_by.is_empty()).then_some(d.paid_by),
        }
    }
}

impl Render for DeclarationView {
    fn table(&self) -> String {
        [
            format!("declaration  {}", self.id),
            format!("contributor  {}", self.contributor),
            format!("commons      {}", self.commons),
            format!("work         {} of {} in {}", self.quantity, self.category, self.period),
            format!("note         {}", self.note),
            match &self.paid_by {
                Some(distribution) => format!("status       {}, paid by distribution {distribution}", self.status),
                None => format!("status       {}", self.status),
            },
        ]
        .join("\n")
    }
}

/// Declarations as printed.
#[derive(Debug, Serialize)]
pub struct DeclarationsView {
    /// Ordered by id.
    declarations: Vec<DeclarationView>,
}

impl Render for DeclarationsView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("DECLARATION", Align::Left),
            ("CONTRIBUTOR", Align::Left),
            ("COMMONS", Align::Left),
            ("CATEGORY", Align::Left),
            ("QUANTITY", Align::Right),
            ("PERIOD", Align::Left),
            ("STATUS", Align::Left),
        ]);
        for d in &self.declarations {
            table.row(vec![
                d.id.clone(),
                d.contributor.clone(),
                d.commons.clone(),
                d.category.clone(),
                d.quantity.clone(),
                d.period.clone(),
                d.status.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs `declare`: the contributor is `--as`, or else the holder of the key.
pub async fn declare(args: DeclareArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let contributor = match args.contributor {
        Some(handle) => handle,
        None => {
            let me = client.accounts().who_am_i(proto::WhoAmIRequest {}).await?.into_inner();
            Handle::parse(&me.handle)
                .map_err(|error| CliError::Failed(format!("the server sent a bad handle: {error}")))?
        }
    };
    let note = args.note.unwrap_or_default();
    let wire = proto::DeclareRequest {
        request_id: String::new(),
        contributor: contributor.to_string(),
        commons: args.commons.to_string(),
        category: args.category.to_string(),
        quantity: args.quantity.format(),
        period: args.period.to_string(),
        note: note.as_str().to_owned(),
        signatures: Vec::new(),
    };
    let command = Command::Declare {
        contributor,
        commons: args.commons,
        category: args.category,
        quantity: args.quantity,
        period: args.period,
        note,
    };
    let signed = client.sign(args.id.unwrap_or_else(fresh_request_id), command);
    let request = proto::DeclareRequest { request_id: signed.request_id, signatures: signed.signatures, ..wire };
    let declared = client.chamber_commands().declare(request).await?.into_inner();
    ctx.emit(&DeclarationView::from(declared))
}

/// Runs `validate` or `refuse`. The steward signs the declaration's commons, read first; the
/// request id is derived from the declaration's, so deciding twice sends the same command and
/// gets the first result back.
pub async fn decide(args: DecideArgs, decision: Decision, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let declaration = client
        .chamber()
        .get_declaration(proto::GetDeclarationRequest { name: args.declaration.to_string() })
        .await?
        .into_inner();
    let commons = CommonsName::parse(&declaration.commons)
        .map_err(|error| CliError::Failed(format!("the server sent a bad commons: {error}")))?;
    let command = match decision {
        Decision::Validate => Command::ValidateDeclaration { declaration: args.declaration, commons: commons.clone() },
        Decision::Refuse => Command::RefuseDeclaration { declaration: args.declaration, commons: commons.clone() },
    };
    let signed = client.sign(decision_id(args.declaration, decision), command);
    let request = proto::DecideDeclarationRequest {
        request_id: signed.request_id,
        declaration: args.declaration.to_string(),
        commons: commons.to_string(),
        signatures: signed.signatures,
    };
    let chamber = client.chamber_commands();
    let decided = match decision {
        Decision::Validate => chamber.clone().validate_declaration(request).await?,
        Decision::Refuse => chamber.clone().refuse_declaration(request).await?,
    }
    .into_inner();
    ctx.emit(&DeclarationView::from(decided))
}

/// Runs `declarations`.
pub async fn list(args: DeclarationsArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let text = |value: Option<String>| value.unwrap_or_default();
    let filter = proto::ListDeclarationsRequest {
        commons: text(args.commons.map(|c| c.to_string())),
        period: text(args.period.map(|p| p.to_string())),
        status: text(args.status.map(|s| s.as_str().to_owned())),
        contributor: text(args.contributor.map(|h| h.to_string())),
        page_size: LIST_PAGE_SIZE,
        page_token: String::new(),
    };
    let mut declarations = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let request = proto::ListDeclarationsRequest { page_token: page_token.clone(), ..filter.clone() };
        let page = client.chamber().list_declarations(request).await?.into_inner();
        declarations.extend(page.declarations.into_iter().map(DeclarationView::from));
        if page.next_page_token.is_empty() {
            return ctx.emit(&DeclarationsView { declarations });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the list of declarations did not end after {LIST_PAGES_MAX} pages")))
}
