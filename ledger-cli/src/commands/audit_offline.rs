//! `ledgerctl audit statement --journal` and `audit balance-at --journal`: an account's
//! statement and balance computed from an export file that is verified on the way, and held to
//! checkpoints kept outside the server, so neither needs the server to be honest.
//!
//! The export streams through the same replay as `audit verify --journal` (memory bounded by the
//! ledger's accounts); after each entry the account's history line is taken from the replayed
//! state, read the way the server's history reads it ([`ledger_core::history`]), so the result is
//! the online command's, line for line. Nothing is printed unless the whole export verifies and
//! reaches every held checkpoint: an entry after the period can still prove the file forged.

use std::path::Path;

use ledger_core::amount::{Scale, format_minor};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::SignedCommand;
use ledger_core::history;
use ledger_core::journal::Entry;
use ledger_core::names::Handle;
use ledger_core::replay::Replayer;

use super::audit_statement::{BalanceAtView, Point, StatementView, assemble, check_period};
use super::verify::replay_file;
use crate::error::CliError;
use crate::proto;

/// The statement of `handle` between `from_ms` and `to_ms`, from the export at `journal`.
pub fn statement(
    journal: &Path,
    held: &[Checkpoint],
    handle: &Handle,
    (from_ms, to_ms): (Option<i64>, Option<i64>),
) -> Result<StatementView, CliError> {
    check_period(from_ms, to_ms)?;
    require_checkpoint(held)?;
    let mut opening = 0;
    let mut lines = Vec::new();
    let (replayer, _) = replay_file(journal, held, |entry, signed, replayer| {
        let Some((item, balance_after)) = history_line(handle, entry, signed, replayer) else { return };
        if to_ms.is_some_and(|to| item.timestamp_ms > to) {
            return;
        }
        if from_ms.is_some_and(|from| item.timestamp_ms < from) {
            // As online: the period opens after the last movement before it.
            if let Some(balance) = balance_after {
                opening = balance;
                lines.clear();
            }
            return;
        }
        lines.push(item);
    })?;
    let (unit, scale) = account_unit(&replayer, handle)?;
    assemble(handle, unit, scale, (from_ms, to_ms), opening, lines)
}

/// The balance of `handle` at `point`, from the export at `journal`.
pub fn balance_at(
    journal: &Path,
    held: &[Checkpoint],
    handle: &Handle,
    point: Point,
) -> Result<BalanceAtView, CliError> {
    require_checkpoint(held)?;
    let mut last = (0, 0);
    let (replayer, _) = replay_file(journal, held, |entry, signed, replayer| {
        if let Some((item, Some(balance))) = history_line(handle, entry, signed, replayer)
            && point.reached(&item)
        {
            last = (balance, item.seq);
        }
    })?;
    let (unit, scale) = account_unit(&replayer, handle)?;
    Ok(BalanceAtView::new(handle, unit, scale, last.0, last.1))
}

/// Without a checkpoint held outside the server, an export proves nothing about its tail: the
/// server could have left out its latest entries.
fn require_checkpoint(held: &[Checkpoint]) -> Result<(), CliError> {
    if held.is_empty() {
        return Err(CliError::Usage(
            "--checkpoint holds no checkpoint: keep one with `audit checkpoint --out FILE` to check the export against"
                .into(),
        ));
    }
    Ok(())
}

/// `entry`, just replayed, as a line of `handle`'s history, and the balance after it in minor
/// units when it moved the balance; none when the entry is not in that history.
fn history_line(
    handle: &Handle,
    entry: &Entry,
    signed: &SignedCommand,
    replayer: &Replayer,
) -> Option<(proto::HistoryItem, Option<i64>)> {
    let state = replayer.state();
    let delta = entry.postings.iter().filter(|p| &p.account == handle).map(|p| p.delta).reduce(|a, b| a + b);
    if delta.is_none() && !history::handles(replayer.last_changes(), state).contains(handle) {
        return None;
    }
    // An entry that posts to the account leaves it, and its unit, in the state.
    let moved = delta.map(|delta| {
        let account = &state.accounts[handle];
        (delta, account.balance, state.units[&account.unit].scale)
    });
    let format = |minor: i64, scale: Scale| format_minor(i128::from(minor), scale);
    let item = proto::HistoryItem {
        seq: entry.seq,
        timestamp_ms: entry.timestamp_ms,
        kind: entry.kind.as_str().to_owned(),
        id: signed.request_id.to_string(),
        amount: moved.map(|(delta, _, scale)| format(delta, scale)).unwrap_or_default(),
        balance_after: moved.map(|(_, balance, scale)| format(balance, scale)).unwrap_or_default(),
        counterparty: history::counterparty(&signed.command, handle).map(Handle::to_string).unwrap_or_default(),
        memo: history::memo(&signed.command).to_owned(),
        ..Default::default()
    };
    Some((item, moved.map(|(_, balance, _)| balance)))
}

/// The unit and scale of `handle`'s account in the replayed ledger.
fn account_unit(replayer: &Replayer, handle: &Handle) -> Result<(String, Scale), CliError> {
    let state = replayer.state();
    let account =
        state.accounts.get(handle).ok_or_else(|| CliError::Usage(format!("the journal opens no account {handle}")))?;
    Ok((account.unit.to_string(), state.units[&account.unit].scale))
}
