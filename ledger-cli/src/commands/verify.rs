//! `ledgerctl audit verify`: fetch the journal, replay it in ledger-core and compare the result
//! with the balances the server reports, so a treasurer need not trust the server.
//!
//! The replay checks the hash chain, the gapless sequence, every signature, that each signer held
//! the needed role at that point, conservation per entry, limits after every entry, and that each
//! entry's recorded postings are exactly what its command produces. The server's trial balance is
//! read first and the journal replayed up to the sequence number it reflects, so entries
//! committed meanwhile do not cause false alarms.

use ledger_core::amount::{format_minor, parse_signed_minor};
use ledger_core::command::EntryKind;
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::{Handle, UnitCode};
use ledger_core::replay::Replayer;
use serde::Serialize;

use crate::client::Client;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;

/// Entries asked for per page.
const PAGE_SIZE: i32 = 1000;

/// The summary of a journal that verified.
#[derive(Debug, Serialize)]
pub struct VerifyView {
    /// Always true: a failure is an error document instead.
    verified: bool,
    /// Entries replayed.
    entries: u64,
    /// Sequence number of the last entry replayed.
    head_seq: u64,
    /// Hash of the last entry replayed, hex.
    head_hash: String,
    /// Units in the ledger.
    units: usize,
    /// Accounts in the ledger, whose balances all matched the server's.
    accounts: usize,
}

impl Render for VerifyView {
    fn table(&self) -> String {
        format!(
            "journal verified: {} entries, {} units, {} accounts; balances match the server\nhead seq {} hash {}",
            self.entries, self.units, self.accounts, self.head_seq, self.head_hash
        )
    }
}

/// Replays the server's journal and compares balances.
pub async fn verify(client: &Client) -> Result<VerifyView, CliError> {
    let trial =
        client.audit().get_trial_balance(proto::GetTrialBalanceRequest { unit: String::new() }).await?.into_inner();
    let head_seq = trial.as_of_seq;
    let mut replayer = Replayer::new();
    let mut page_token = String::new();
    'pages: loop {
        let page = client
            .audit()
            .list_entries(proto::ListEntriesRequest { from_seq: 1, page_size: PAGE_SIZE, page_token })
            .await?
            .into_inner();
        for wire in page.entries {
            if wire.seq > head_seq {
                break 'pages;
            }
            let entry = entry_from_wire(&replayer, wire)?;
            replayer.push(&entry).map_err(|error| invalid("JOURNAL_INVALID", error.to_string()))?;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let (replayed_seq, head_hash) = replayer.head();
    if replayed_seq != head_seq {
        return Err(invalid(
            "JOURNAL_INVALID",
            format!("the server reports entries up to {head_seq} but its journal ends at {replayed_seq}"),
        ));
    }
    let accounts = compare_balances(&replayer, &trial)?;
    Ok(VerifyView {
        verified: true,
        entries: replayer.entries(),
        head_seq,
        head_hash: head_hash.to_hex(),
        units: replayer.state().units.len(),
        accounts,
    })
}

/// Checks that every balance the server reports equals the replayed one, and that it reports
/// every replayed account. Returns how many accounts were compared.
fn compare_balances(replayer: &Replayer, trial: &proto::TrialBalance) -> Result<usize, CliError> {
    let state = replayer.state();
    let mut compared = 0;
    for unit in &trial.units {
        for reported in &unit.accounts {
            let replayed = Handle::parse(&reported.account)
                .ok()
                .and_then(|handle| state.accounts.get(&handle))
                .ok_or_else(|| {
                    invalid(
                        "BALANCE_MISMATCH",
                        format!("the server reports account {} that the journal never opened", reported.account),
                    )
                })?;
            let scale = state.units.get(&replayed.unit).map(|u| u.scale).ok_or_else(|| {
                invalid(
                    "BALANCE_MISMATCH",
                    format!("account {} holds a unit the journal never created", reported.account),
                )
            })?;
            let expected = format_minor(i128::from(replayed.balance), scale);
            if expected != reported.balance {
                return Err(invalid(
                    "BALANCE_MISMATCH",
                    format!(
                        "the server reports {} for {} but the journal gives {expected}",
                        reported.balance, reported.account
                    ),
                ));
            }
            compared += 1;
        }
    }
    if compared != state.accounts.len() {
        return Err(invalid(
            "BALANCE_MISMATCH",
            format!("the server reports {compared} accounts but the journal has {}", state.accounts.len()),
        ));
    }
    Ok(compared)
}

/// Rebuilds a core entry from the wire. Posting amounts are decimal strings, read at the scale of
/// their unit as the replay so far knows it (a unit is always created before it is posted to).
fn entry_from_wire(replayer: &Replayer, wire: proto::JournalEntry) -> Result<Entry, CliError> {
    let seq = wire.seq;
    let bad = |what: String| invalid("JOURNAL_INVALID", format!("entry {seq}: {what}"));
    let kind = EntryKind::parse(&wire.kind).ok_or_else(|| bad(format!("unknown kind {:?}", wire.kind)))?;
    let signatures = wire
        .signatures
        .iter()
        .map(|s| {
            let key = PublicKey::from_bytes(&s.public_key).map_err(|e| bad(e.to_string()))?;
            let signature = Signature::from_bytes(&s.signature).map_err(|e| bad(e.to_string()))?;
            Ok((key, signature))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let postings = wire
        .postings
        .iter()
        .map(|p| {
            let account = Handle::parse(&p.account).map_err(|e| bad(e.to_string()))?;
            let unit = UnitCode::parse(&p.unit).map_err(|e| bad(e.to_string()))?;
            let scale = replayer
                .state()
                .units
                .get(&unit)
                .map(|u| u.scale)
                .ok_or_else(|| bad(format!("posting in unit {unit}, which does not exist at that point")))?;
            let delta = parse_signed_minor(&p.amount, scale).map_err(|e| bad(e.to_string()))?;
            Ok(Posting { account, unit, delta })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let hash =
        |bytes: &[u8], what: &str| EntryHash::from_bytes(bytes).ok_or_else(|| bad(format!("{what} is not 32 bytes")));
    Ok(Entry {
        seq,
        timestamp_ms: wire.timestamp_ms,
        kind,
        command_bytes: wire.command,
        signatures,
        postings,
        prev_hash: hash(&wire.prev_hash, "prev_hash")?,
        hash: hash(&wire.hash, "hash")?,
    })
}

fn invalid(reason: &'static str, message: String) -> CliError {
    CliError::Audit { reason, message }
}
