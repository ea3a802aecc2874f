//! `ledgerctl history`: the entries that touched an account, newest first, one page at a time.

use clap::Args;
use ledger_core::names::Handle;
use serde::Serialize;

use super::{Context, non_empty};
use crate::error::CliError;
use crate::output::{self, Mode, Render};
use crate::proto;
use crate::table::{self, Align, Table, or_dash};

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The account's handle.
    handle: Handle,
    /// Entries per page (default: the server's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: Option<u32>,
    /// Continue from this token, printed by the previous page.
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
}

/// One entry as printed; `null` for what did not apply (no amount when the balance did not move,
/// no counterparty outside payments).
#[derive(Debug, Serialize)]
struct ItemView {
    /// Journal sequence number.
    seq: u64,
    /// Milliseconds since the Unix epoch.
    timestamp_ms: i64,
    /// payment, account, limits, status, role, key, unit.
    kind: String,
    /// Request id of the entry (a payment's transfer id).
    id: String,
    /// Signed change of the balance.
    amount: Option<String>,
    /// Balance after the entry.
    balance_after: Option<String>,
    /// The other account of a payment.
    counterparty: Option<String>,
    /// Note of a payment.
    memo: String,
    /// One-line human description.
    description: String,
}

/// A page of history.
#[derive(Debug, Serialize)]
struct HistoryView {
    /// Newest first.
    items: Vec<ItemView>,
    /// Pass to `--page-token` for the next page; empty at the end.
    next_page_token: String,
}

impl From<proto::HistoryItem> for ItemView {
    fn from(item: proto::HistoryItem) -> Self {
        Self {
            amount: non_empty(&item.amount),
            balance_after: non_empty(&item.balance_after),
            counterparty: non_empty(&item.counterparty),
            seq: item.seq,
            timestamp_ms: item.timestamp_ms,
            kind: item.kind,
            id: item.id,
            memo: item.memo,
            description: item.description,
        }
    }
}

impl Render for HistoryView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("SEQ", Align::Right),
            ("TIME", Align::Left),
            ("KIND", Align::Left),
            ("AMOUNT", Align::Right),
            ("BALANCE", Align::Right),
            ("COUNTERPARTY", Align::Left),
            ("DESCRIPTION", Align::Left),
            ("MEMO", Align::Left),
        ]);
        for item in &self.items {
            table.row(vec![
                item.seq.to_string(),
                table::timestamp(item.timestamp_ms),
                item.kind.clone(),
                or_dash(item.amount.as_deref()),
                or_dash(item.balance_after.as_deref()),
                or_dash(item.counterparty.as_deref()),
                item.description.clone(),
                item.memo.clone(),
            ]);
        }
        table.render()
    }
}

/// Runs `history`.
pub async fn run(args: HistoryArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let page = client
        .accounts()
        .list_history(proto::ListHistoryRequest {
            parent: args.handle.as_str().to_owned(),
            page_size: args.limit.map_or(0, |limit| limit as i32),
            page_token: args.page_token.unwrap_or_default(),
        })
        .await?
        .into_inner();
    let view = HistoryView {
        items: page.items.into_iter().map(ItemView::from).collect(),
        next_page_token: page.next_page_token,
    };
    ctx.emit(&view)?;
    if ctx.mode == Mode::Table && !view.next_page_token.is_empty() {
        output::note(&format!("more entries: --page-token {}", view.next_page_token));
    }
    Ok(())
}
