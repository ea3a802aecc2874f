//! `ledgerctl audit statement` and `audit balance-at`: an account's movements between two times
//! and its balance at a time or entry, from its history (each movement keeps the balance right
//! after it, so no replay is needed; `audit verify` proves those balances against the journal).
//! With `--journal`, `audit_offline.rs` builds the same views from a verified export instead,
//! through [`assemble`] and [`BalanceAtView::new`].
//!
//! Times are UTC: `2026-11-30`, `2026-11-30T10:00:00Z` (or with a space), or milliseconds since
//! the Unix epoch. A statement covers entries with `from ≤ time ≤ to`; its opening balance is the
//! balance after the last movement before `from`, and it checks that the opening balance plus
//! every amount is the closing balance.

use ledger_core::amount::{Scale, format_minor, parse_signed_minor};
use ledger_core::names::Handle;
use serde::Serialize;

use super::Context;
use crate::client::Client;
use crate::error::CliError;
use crate::output::{self, Render};
use crate::proto;
use crate::table::{self, Align, Table, or_dash};

/// History items asked for per page.
const PAGE_SIZE: i32 = 1000;

/// One movement of the account (or another entry that touched it, without an amount).
#[derive(Debug, Serialize)]
struct Line {
    /// Journal sequence number.
    seq: u64,
    /// Milliseconds since the Unix epoch.
    timestamp_ms: i64,
    /// UTC time, `YYYY-MM-DD HH:MM:SSZ`.
    time: String,
    /// Entry kind.
    kind: String,
    /// Request id (a payment's transfer id).
    id: String,
    /// Signed change of the balance.
    amount: Option<String>,
    /// Balance after the entry.
    balance_after: Option<String>,
    /// The other account of a payment.
    counterparty: Option<String>,
    /// Note of a payment.
    memo: String,
}

/// A statement.
#[derive(Debug, Serialize)]
pub struct StatementView {
    /// Handle.
    account: String,
    /// Unit of the account.
    unit: String,
    /// Start, milliseconds since the Unix epoch (none: from the first entry).
    from_ms: Option<i64>,
    /// End, inclusive (none: to the last entry).
    to_ms: Option<i64>,
    /// Balance before the first line.
    opening_balance: String,
    /// Balance after the last line.
    closing_balance: String,
    /// Every entry in the period, oldest first.
    entries: Vec<Line>,
}

impl Render for StatementView {
    fn table(&self) -> String {
        let mut table = Table::new(&[
            ("SEQ", Align::Right),
            ("TIME", Align::Left),
            ("KIND", Align::Left),
            ("AMOUNT", Align::Right),
            ("BALANCE", Align::Right),
            ("COUNTERPARTY", Align::Left),
            ("MEMO", Align::Left),
        ]);
        for line in &self.entries {
            table.row(vec![
                line.seq.to_string(),
                line.time.clone(),
                line.kind.clone(),
                or_dash(line.amount.as_deref()),
                or_dash(line.balance_after.as_deref()),
                or_dash(line.counterparty.as_deref()),
                line.memo.clone(),
            ]);
        }
        format!(
            "statement of {} ({})\nopening balance {}\n{}\nclosing balance {}",
            self.account,
            self.unit,
            self.opening_balance,
            table.render(),
            self.closing_balance
        )
    }
}

impl StatementView {
    /// The statement as CSV (RFC 4180, comma, CRLF): a header, an opening row, one row per
    /// entry, a closing row. Text that a spreadsheet would read as a formula is quoted with a
    /// leading apostrophe.
    pub fn csv(&self) -> String {
        let mut rows = vec!["seq,time,kind,id,counterparty,memo,amount,balance_after".to_owned()];
        let first_time = self.from_ms.map(table::timestamp).unwrap_or_default();
        rows.push(format!(",{first_time},opening,,,,,{}", self.opening_balance));
        for line in &self.entries {
            rows.push(
                [
                    line.seq.to_string(),
                    line.time.clone(),
                    cell(&line.kind),
                    cell(&line.id),
                    cell(line.counterparty.as_deref().unwrap_or_default()),
                    cell(&line.memo),
                    line.amount.clone().unwrap_or_default(),
                    line.balance_after.clone().unwrap_or_default(),
                ]
                .join(","),
            );
        }
        let last_time = self.to_ms.map(table::timestamp).unwrap_or_default();
        rows.push(format!(",{last_time},closing,,,,,{}", self.closing_balance));
        rows.join("\r\n")
    }
}

/// A text cell: quoted when it holds a comma, quote or line break; a leading `= + - @` made
/// inert so a memo never runs as a formula.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// An account's balance at a point.
#[derive(Debug, Serialize)]
pub struct BalanceAtView {
    /// Handle.
    account: String,
    /// Unit.
    unit: String,
    /// Balance then.
    balance: String,
    /// Sequence number of the last movement at or before the point (0: none, the balance is 0).
    as_of_seq: u64,
}

impl Render for BalanceAtView {
    fn table(&self) -> String {
        format!("{} {} {} (as of seq {})", self.account, self.balance, self.unit, self.as_of_seq)
    }
}

/// Where `balance-at` looks.
#[derive(Clone, Copy, Debug)]
pub enum Point {
    /// After every entry at or before this time (milliseconds).
    Time(i64),
    /// After every entry up to this sequence number.
    Seq(u64),
}

/// Builds the statement of `handle` between `from_ms` and `to_ms`.
pub async fn statement(
    ctx: &Context,
    handle: &Handle,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
) -> Result<StatementView, CliError> {
    check_period(from_ms, to_ms)?;
    let client = ctx.connect().await?;
    let (unit, scale) = account_unit(&client, handle).await?;
    let mut lines = Vec::new();
    let mut opening = 0;
    let mut pages = Pages::new(handle);
    'pages: while let Some(items) = pages.next(&client).await? {
        for item in items {
            if to_ms.is_some_and(|to| item.timestamp_ms > to) {
                continue;
            }
            if from_ms.is_some_and(|from| item.timestamp_ms < from) {
                if let Some(balance) = minor(&item.balance_after, scale)? {
                    opening = balance;
                    break 'pages;
                }
                continue;
            }
            lines.push(item);
        }
    }
    lines.reverse();
    assemble(handle, unit, scale, (from_ms, to_ms), opening, lines)
}

/// Refuses a period that ends before it starts.
pub fn check_period(from_ms: Option<i64>, to_ms: Option<i64>) -> Result<(), CliError> {
    match (from_ms, to_ms) {
        (Some(from), Some(to)) if from > to => Err(CliError::Usage("--from is after --to".into())),
        _ => Ok(()),
    }
}

/// The statement of `handle` over `(from_ms, to_ms)` that opens at `opening` (minor units) and
/// holds the history `lines`, oldest first; checks that the movements lead from the opening to
/// the closing balance.
pub fn assemble(
    handle: &Handle,
    unit: String,
    scale: Scale,
    (from_ms, to_ms): (Option<i64>, Option<i64>),
    opening: i64,
    lines: Vec<proto::HistoryItem>,
) -> Result<StatementView, CliError> {
    let mut closing = opening;
    let mut running = i128::from(opening);
    for item in &lines {
        if let (Some(amount), Some(after)) = (minor(&item.amount, scale)?, minor(&item.balance_after, scale)?) {
            running += i128::from(amount);
            closing = after;
        }
    }
    if running != i128::from(closing) {
        return Err(CliError::Audit {
            reason: "BALANCE_MISMATCH",
            message: format!(
                "{handle}: opening balance {} plus the movements gives {}, but the closing balance is {}",
                format_minor(i128::from(opening), scale),
                format_minor(running, scale),
                format_minor(i128::from(closing), scale)
            ),
        });
    }
    Ok(StatementView {
        account: handle.to_string(),
        unit,
        from_ms,
        to_ms,
        opening_balance: format_minor(i128::from(opening), scale),
        closing_balance: format_minor(i128::from(closing), scale),
        entries: lines.into_iter().map(line).collect(),
    })
}

/// The balance of `handle` at `point`.
pub async fn balance_at(ctx: &Context, handle: &Handle, point: Point) -> Result<BalanceAtView, CliError> {
    let client = ctx.connect().await?;
    let (unit, scale) = account_unit(&client, handle).await?;
    let mut pages = Pages::new(handle);
    while let Some(items) = pages.next(&client).await? {
        for item in items {
            if let (true, Some(balance)) = (point.reached(&item), minor(&item.balance_after, scale)?) {
                return Ok(BalanceAtView::new(handle, unit, scale, balance, item.seq));
            }
        }
    }
    Ok(BalanceAtView::new(handle, unit, scale, 0, 0))
}

impl Point {
    /// Whether the history line `item` is at or before the point.
    pub fn reached(self, item: &proto::HistoryItem) -> bool {
        match self {
            Point::Time(at) => item.timestamp_ms <= at,
            Point::Seq(seq) => item.seq <= seq,
        }
    }
}

impl BalanceAtView {
    /// `balance` (minor units) of `handle` as of entry `as_of_seq`.
    pub fn new(handle: &Handle, unit: String, scale: Scale, balance: i64, as_of_seq: u64) -> Self {
        let balance = format_minor(i128::from(balance), scale);
        Self { account: handle.to_string(), unit, balance, as_of_seq }
    }
}

/// Pages of an account's history, newest first.
struct Pages {
    handle: String,
    token: Option<String>,
}

impl Pages {
    fn new(handle: &Handle) -> Self {
        Self { handle: handle.to_string(), token: Some(String::new()) }
    }

    async fn next(&mut self, client: &Client) -> Result<Option<Vec<proto::HistoryItem>>, CliError> {
        let Some(page_token) = self.token.take() else { return Ok(None) };
        let page = client
            .accounts()
            .list_history(proto::ListHistoryRequest {
                parent: self.handle.clone(),
                page_size: PAGE_SIZE,
                page_token,
                ..Default::default()
            })
            .await?
            .into_inner();
        self.token = (!page.next_page_token.is_empty()).then_some(page.next_page_token);
        Ok(Some(page.items))
    }
}

/// The unit and scale of an account.
async fn account_unit(client: &Client, handle: &Handle) -> Result<(String, Scale), CliError> {
    let account = client
        .accounts()
        .get_account(proto::GetAccountRequest { name: handle.as_str().to_owned() })
        .await?
        .into_inner();
    let code = super::server_unit(&account.unit)?;
    let (_, scale) = super::fetch_unit(client, &code).await?;
    Ok((account.unit, scale))
}

/// A decimal the server sent, in minor units; none when empty.
pub fn minor(text: &str, scale: Scale) -> Result<Option<i64>, CliError> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_signed_minor(text, scale)
        .map(Some)
        .map_err(|error| CliError::Failed(format!("the server sent a bad amount {text:?}: {error}")))
}

fn line(item: proto::HistoryItem) -> Line {
    Line {
        seq: item.seq,
        timestamp_ms: item.timestamp_ms,
        time: table::timestamp(item.timestamp_ms),
        kind: item.kind,
        id: item.id,
        amount: super::non_empty(&item.amount),
        balance_after: super::non_empty(&item.balance_after),
        counterparty: super::non_empty(&item.counterparty),
        memo: item.memo,
    }
}

/// Prints a statement as CSV on stdout.
pub fn print_csv(view: &StatementView) -> Result<(), CliError> {
    output::raw(&view.csv())
}

/// Parses a time flag: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` (or a space for `T`), or
/// milliseconds since the Unix epoch; always UTC.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || format!("{text:?} is not a UTC time such as 2026-11-30, 2026-11-30T10:00:00Z or milliseconds");
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time.strip_suffix('Z').ok_or_else(bad)?)),
        None => (text, None),
    };
    let numbers = |part: &str, sep: char, count: usize| -> Result<Vec<i64>, String> {
        let fields: Vec<i64> =
            part.split(sep).map(|field| field.parse::<i64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
        if fields.len() == count { Ok(fields) } else { Err(bad()) }
    };
    let ymd = numbers(date, '-', 3)?;
    let (year, month, day) = (ymd[0], ymd[1], ymd[2]);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let seconds_of_day = match time {
        None => 0,
        Some(time) => {
            let hms = numbers(time, ':', 3)?;
            if !(0..24).contains(&hms[0]) || !(0..60).contains(&hms[1]) || !(0..61).contains(&hms[2]) {
                return Err(bad());
            }
            hms[0] * 3600 + hms[1] * 60 + hms[2]
        }
    };
    Ok((days_from_civil(year, month, day) * 86_400 + seconds_of_day) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Ok(951_782_400_000));
        assert_eq!(parse_time("2025-12-31 23:59:59Z"), Ok(1_767_225_599_000));
        assert_eq!(parse_time("1767225599999"), Ok(1_767_225_599_999));
        assert!(parse_time("2025-13-01").is_err());
        assert!(parse_time("2025-12-31T10:00:00").is_err());
    }

    #[test]
    fn csv_cells_are_quoted_and_inert() {
        assert_eq!(cell("bread"), "bread");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "'=1+1");
    }
}
