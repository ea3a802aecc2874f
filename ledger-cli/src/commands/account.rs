//! `ledgerctl account open|show|list|set-limit|freeze|unfreeze|close`.

use clap::{Args, Subcommand, ValueEnum};
use ledger_core::account::{AccountKind, AccountStatus};
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::Command;
use ledger_core::keys::PublicKey;
use ledger_core::names::{DisplayName, Handle, Reason, UnitCode};
use serde::Serialize;

use super::{Context, fetch_unit, fresh_request_id, non_empty, parse, server_amount, server_unit, user_amount};
use crate::client::Client;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table::{self, Align, Table, or_dash};

/// The page size asked for when listing; the server may send fewer.
const LIST_PAGE_SIZE: u32 = 200;
/// The most pages `account list` follows, so a server that keeps sending tokens cannot make it
/// loop forever.
const LIST_PAGES_MAX: usize = 10_000;

/// Accounts.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Opens an account with its holder's key. Treasurer.
    Open(OpenArgs),
    /// Shows an account (balance and limits only where you may see them).
    Show {
        /// The account's handle.
        handle: Handle,
    },
    /// Lists the directory, following pages to the end.
    List {
        /// Stop after this many accounts.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
    },
    /// Changes an account's limits, keeping those not given. Treasurer.
    SetLimit(SetLimitArgs),
    /// Freezes an account: it neither pays nor receives until unfrozen. Treasurer.
    Freeze(StatusArgs),
    /// Lets a frozen account pay and receive again. Treasurer.
    Unfreeze(StatusArgs),
    /// Closes an account for good; only a zero balance can be closed. Treasurer.
    Close(StatusArgs),
}

/// `account freeze|unfreeze|close`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The account's handle.
    handle: Handle,
    /// Why (kept in the journal, shown in history).
    #[arg(long, value_parser = parse::reason)]
    reason: Reason,
}

/// `account open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Handle: lowercase letters, digits and '-' (alice, jardin-partage).
    handle: Handle,
    /// Unit the account holds.
    #[arg(long)]
    unit: UnitCode,
    /// The holder's ed25519 public key, hex (from `ledgerctl key new`).
    #[arg(long, value_parser = parse::public_key)]
    public_key: PublicKey,
    /// Member or business.
    #[arg(long, value_enum, default_value_t = KindArg::Member)]
    kind: KindArg,
    /// How far below zero the balance may go.
    #[arg(long, value_name = "AMOUNT", default_value = "0")]
    credit_limit: String,
    /// How far above zero the balance may go (default: no ceiling).
    #[arg(long, value_name = "AMOUNT")]
    ceiling: Option<String>,
    /// Below minus this, payments commit with a warning (default: none).
    #[arg(long, value_name = "AMOUNT")]
    soft_limit: Option<String>,
    /// Display name.
    #[arg(long, value_parser = parse::display_name)]
    name: Option<DisplayName>,
}

/// `account set-limit`: at least one limit must change.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("limits")
        .required(true)
        .multiple(true)
        .args(["credit_limit", "ceiling", "soft_limit"])
))]
pub struct SetLimitArgs {
    /// The account's handle.
    handle: Handle,
    /// New credit limit.
    #[arg(long, value_name = "AMOUNT")]
    credit_limit: Option<String>,
    /// New ceiling, or `none` to remove it.
    #[arg(long, value_name = "AMOUNT|none")]
    ceiling: Option<String>,
    /// New soft limit, or `none` to remove it.
    #[arg(long, value_name = "AMOUNT|none")]
    soft_limit: Option<String>,
    /// Why the limits change (kept in the journal).
    #[arg(long, value_parser = parse::reason)]
    reason: Reason,
}

/// The kinds of account a treasurer opens (system accounts are opened by the ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// A person, association or co-operative.
    Member,
    /// A member with a contribution agreement.
    Business,
}

impl From<KindArg> for AccountKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Member => AccountKind::Member,
            KindArg::Business => AccountKind::Business,
        }
    }
}

/// An account as printed; `null` where the proto sends an empty string (none, or hidden).
#[derive(Debug, Serialize)]
pub struct AccountView {
    /// Handle.
    handle: String,
    /// member, business or system.
    kind: String,
    /// Unit code.
    unit: String,
    /// Display name.
    display_name: String,
    /// active, frozen or closed.
    status: String,
    /// Balance, when visible.
    balance: Option<String>,
    /// Credit limit, when visible.
    credit_limit: Option<String>,
    /// Ceiling, when set and visible.
    ceiling: Option<String>,
    /// Soft limit, when set and visible.
    soft_limit: Option<String>,
    /// Roles of the holder.
    roles: Vec<String>,
    /// Hex public keys of the holder.
    public_keys: Vec<String>,
}

impl From<proto::Account> for AccountView {
    fn from(account: proto::Account) -> Self {
        Self {
            balance: non_empty(&account.balance),
            credit_limit: non_empty(&account.credit_limit),
            ceiling: non_empty(&account.ceiling),
            soft_limit: non_empty(&account.soft_limit),
            handle: account.handle,
            kind: account.kind,
            unit: account.unit,
            display_name: account.display_name,
            status: account.status,
            roles: account.roles,
            public_keys: account.public_keys,
        }
    }
}

impl Render for AccountView {
    fn table(&self) -> String {
        table::fields(&[
            ("account", self.handle.clone()),
            ("name", self.display_name.clone()),
            ("kind", self.kind.clone()),
            ("unit", self.unit.clone()),
            ("status", self.status.clone()),
            ("balance", or_dash(self.balance.as_deref())),
            ("credit limit", or_dash(self.credit_limit.as_deref())),
            ("ceiling", or_dash(self.ceiling.as_deref())),
            ("soft limit", or_dash(self.soft_limit.as_deref())),
            ("roles", or_dash(Some(&self.roles.join(", ")))),
            ("public keys", or_dash(Some(&self.public_keys.join(", ")))),
        ])
    }
}

/// The directory as printed.
#[derive(Debug, Serialize)]
struct AccountListView {
    /// Accounts in the server's order.
    accounts: Vec<AccountView>,
}

impl Render for AccountListView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("ACCOUNT", Align::Left),
            ("KIND", Align::Left),
            ("UNIT", Align::Left),
            ("STATUS", Align::Left),
            ("BALANCE", Align::Right),
            ("NAME", Align::Left),
        ]);
        for account in &self.accounts {
            table.row(vec![
                account.handle.clone(),
                account.kind.clone(),
                account.unit.clone(),
                account.status.clone(),
                or_dash(account.balance.as_deref()),
                account.display_name.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs an `account` verb.
pub async fn run(command: AccountCommand, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let account = match command {
        AccountCommand::Open(args) => open(&client, args).await?,
        AccountCommand::Show { handle } => get(&client, &handle).await?,
        AccountCommand::List { limit } => return ctx.emit(&list(&client, limit).await?),
        AccountCommand::SetLimit(args) => set_limit(&client, args).await?,
        AccountCommand::Freeze(args) => set_status(&client, args, AccountStatus::Frozen).await?,
        AccountCommand::Unfreeze(args) => set_status(&client, args, AccountStatus::Active).await?,
        AccountCommand::Close(args) => set_status(&client, args, AccountStatus::Closed).await?,
    };
    ctx.emit(&AccountView::from(account))
}

async fn open(client: &Client, args: OpenArgs) -> Result<proto::Account, CliError> {
    let (_, scale) = fetch_unit(client, &args.unit).await?;
    let credit_limit = user_amount(Some("--credit-limit"), &args.credit_limit, scale)?;
    let ceiling = optional_amount("--ceiling", args.ceiling.as_deref(), scale)?;
    let soft_limit = optional_amount("--soft-limit", args.soft_limit.as_deref(), scale)?;
    let kind = AccountKind::from(args.kind);
    let name = args.name.unwrap_or_default();
    let signed = client.sign(
        fresh_request_id(),
        Command::OpenAccount {
            handle: args.handle.clone(),
            unit: args.unit.clone(),
            kind,
            name: name.clone(),
            public_key: args.public_key,
            credit_limit,
            ceiling,
            soft_limit,
        },
    );
    let account = client
        .accounts_commands()
        .open_account(proto::OpenAccountRequest {
            request_id: signed.request_id,
            handle: args.handle.as_str().to_owned(),
            unit: args.unit.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            display_name: name.as_str().to_owned(),
            public_key: args.public_key.to_hex(),
            credit_limit: credit_limit.format(scale),
            ceiling: format_optional(ceiling, scale),
            soft_limit: format_optional(soft_limit, scale),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(account)
}

async fn get(client: &Client, handle: &Handle) -> Result<proto::Account, CliError> {
    let account = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: handle.as_str().to_owned() })
        .await?
        .into_inner();
    Ok(account)
}

async fn list(client: &Client, limit: Option<u32>) -> Result<AccountListView, CliError> {
    let wanted = limit.map_or(usize::MAX, |limit| limit as usize);
    let mut accounts = Vec::new();
    let mut page_token = String::new();
    for _ in 0..LIST_PAGES_MAX {
        let remaining = u32::try_from(wanted - accounts.len()).unwrap_or(u32::MAX);
        let page = client
            .accounts()
            .list_accounts(proto::ListAccountsRequest {
                page_size: remaining.min(LIST_PAGE_SIZE) as i32,
                page_token: page_token.clone(),
            })
            .await?
            .into_inner();
        accounts.extend(page.accounts.into_iter().map(AccountView::from));
        accounts.truncate(wanted);
        if page.next_page_token.is_empty() || accounts.len() == wanted {
            return Ok(AccountListView { accounts });
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the directory did not end after {LIST_PAGES_MAX} pages; use --limit")))
}

async fn set_limit(client: &Client, args: SetLimitArgs) -> Result<proto::Account, CliError> {
    if args.credit_limit.is_none() && args.ceiling.is_none() && args.soft_limit.is_none() {
        return Err(CliError::Usage("nothing to change: give --credit-limit, --ceiling or --soft-limit".into()));
    }
    // The command replaces all three limits, so the ones not given are read back first. A
    // hidden credit limit means hidden limits: an empty ceiling would then not mean "none".
    let current = get(client, &args.handle).await?;
    if current.credit_limit.is_empty() {
        return Err(CliError::Failed(format!("the limits of {} are not visible to this key", args.handle)));
    }
    let (_, scale) = fetch_unit(client, &server_unit(&current.unit)?).await?;
    let credit_limit = match args.credit_limit.as_deref() {
        Some(text) => user_amount(Some("--credit-limit"), text, scale)?,
        None => server_amount("credit limit", &current.credit_limit, scale)?,
    };
    let ceiling = limit_change(("--ceiling", "ceiling"), args.ceiling.as_deref(), &current.ceiling, scale)?;
    let soft_limit =
        limit_change(("--soft-limit", "soft limit"), args.soft_limit.as_deref(), &current.soft_limit, scale)?;
    let signed = client.sign(
        fresh_request_id(),
        Command::SetLimits {
            handle: args.handle.clone(),
            credit_limit,
            ceiling,
            soft_limit,
            reason: args.reason.clone(),
        },
    );
    let account = client
        .accounts_commands()
        .set_limits(proto::SetLimitsRequest {
            request_id: signed.request_id,
            handle: args.handle.as_str().to_owned(),
            credit_limit: credit_limit.format(scale),
            ceiling: format_optional(ceiling, scale),
            soft_limit: format_optional(soft_limit, scale),
            reason: args.reason.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(account)
}

async fn set_status(client: &Client, args: StatusArgs, status: AccountStatus) -> Result<proto::Account, CliError> {
    let signed = client.sign(
        fresh_request_id(),
        Command::SetStatus { handle: args.handle.clone(), status, reason: args.reason.clone() },
    );
    let account = client
        .accounts_commands()
        .set_status(proto::SetStatusRequest {
            request_id: signed.request_id,
            handle: args.handle.as_str().to_owned(),
            status: status.as_str().to_owned(),
            reason: args.reason.as_str().to_owned(),
            signatures: signed.signatures,
        })
        .await?
        .into_inner();
    Ok(account)
}

/// An optional limit the user typed.
fn optional_amount(flag: &str, text: Option<&str>, scale: Scale) -> Result<Option<Amount>, CliError> {
    text.map(|text| user_amount(Some(flag), text, scale)).transpose()
}

/// The new value of an optional limit: the one typed (`none` removes it), else the current one.
/// The flag and the limit's name are for messages.
fn limit_change(
    (flag, what): (&str, &str),
    typed: Option<&str>,
    current: &str,
    scale: Scale,
) -> Result<Option<Amount>, CliError> {
    match typed {
        Some("none") => Ok(None),
        Some(text) => user_amount(Some(flag), text, scale).map(Some),
        None if current.is_empty() => Ok(None),
        None => server_amount(what, current, scale).map(Some),
    }
}

/// An optional amount on the wire: empty for none.
fn format_optional(amount: Option<Amount>, scale: Scale) -> String {
    amount.map(|a| a.format(scale)).unwrap_or_default()
}
