//! `ledgerctl history`: the entries that touched an account, newest first, one page at a time.

use clap::Args;
use ledger_core::command::EntryKind;
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
    /// Continue from this token, printed by the previous page (give the same filters again).
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
    /// Only entries of this kind (payment, request, acceptance, rejection, reversal, status,
    /// limits, account, role, key, unit, genesis); repeat for several.
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    kinds: Vec<EntryKind>,
    /// Only entries at or after this time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time_ms)]
    from: Option<i64>,
    /// Only entries before this time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time_ms)]
    to: Option<i64>,
}

fn parse_kind(text: &str) -> Result<EntryKind, String> {
    EntryKind::parse(text).ok_or_else(|| {
        let names: Vec<&str> = EntryKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("{text:?} is not an entry kind: use {}", names.join(", "))
    })
}

/// A UTC date or date and time, as milliseconds since the Unix epoch.
pub fn parse_time_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z').ok_or_else(bad)?)),
        None => (text, None),
    };
    let numbers = |part: &str, count: usize| -> Result<Vec<i64>, String> {
        let fields: Vec<i64> = part
            .split(if count == 3 && part.contains('-') { '-' } else { ':' })
            .map(|field| field.parse::<i64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if fields.len() == count { Ok(fields) } else { Err(bad()) }
    };
    let ymd = numbers(date, 3)?;
    let (year, month, day) = (ymd[0], ymd[1], ymd[2]);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let seconds_of_day = match time {
        None => 0,
        Some(time) => {
            let hms = numbers(time, 3)?;
            if !(0..24).contains(&hms[0]) || !(0..60).contains(&hms[1]) || !(0..60).contains(&hms[2]) {
                return Err(bad());
            }
            hms[0] * 3600 + hms[1] * 60 + hms[2]
        }
    };
    Ok((days_from_civil(year, month, day) * 86_400 + seconds_of_day) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
            kinds: args.kinds.iter().map(|kind| kind.as_str().to_owned()).collect(),
            from_ms: args.from.unwrap_or(0),
            to_ms: args.to.unwrap_or(0),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc_milliseconds() {
        assert_eq!(parse_time_ms("1970-01-01"), Ok(0));
        assert_eq!(parse_time_ms("2000-03-01T00:00:01Z"), Ok(951_868_801_000));
        assert_eq!(parse_time_ms("2026-11-30T10:00:00Z"), Ok(1_796_032_800_000));
        for bad in ["2026-13-01", "2026-11-30T10:00:00", "yesterday", "2026-11", "1969-12-31", "2026-11-30T24:00:00Z"] {
            assert!(parse_time_ms(bad).is_err(), "{bad}");
        }
    }
}
