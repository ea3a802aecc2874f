//! `ledgerctl audit verify`: replay the journal in ledger-core, from the server or from an export
//! file, so a treasurer need not trust the server, its operator or its database.
//!
//! The replay ([`ledger_core::audit`], on every core) checks the hash chain, the gapless
//! sequence, every signature against the key registered and valid at that point, that each
//! signer held the needed role at that point, conservation per entry and per unit, limits after
//! every entry, that each entry's recorded postings are exactly what its command produces, and
//! every checkpoint it is given. Online, the server's trial balance is read first and the journal
//! replayed up to the sequence number it reflects (so entries committed meanwhile cause no false
//! alarm), then every balance is compared with the replay. It also checks that no two entries
//! share a request id. The journal streams through in chunks, and the transfers and request ids,
//! which grow with the journal, go to temporary files ([`DiskArchive`]): memory grows with the
//! ledger's accounts, not with its entries.

use std::io::BufReader;
use std::path::Path;

use ledger_core::amount::format_minor;
use ledger_core::audit::{AuditError, AuditOptions, Record, audit};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::SignedCommand;
use ledger_core::journal::Entry;
use ledger_core::names::Handle;
use ledger_core::replay::{ReplayError, Replayer};
use serde::Serialize;

use super::audit_journal::{checkpoint_from_wire, entry_from_wire, parse_line};
use super::audit_lines::Lines;
use super::verify_archive::DiskArchive;
use crate::client::Client;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;

/// Bytes read from an export file at a time.
const FILE_BUFFER_BYTES: usize = 1 << 20;
/// Streamed chunks waiting for the replay.
const CHUNKS_QUEUED_MAX: usize = 4;

/// The summary of a journal that verified.
#[derive(Debug, Serialize)]
pub struct VerifyView {
    /// Always true: a failure is an error document instead.
    verified: bool,
    /// Where the journal came from: `server`, or the export file.
    source: String,
    /// Entries replayed.
    entries: u64,
    /// Sequence number of the last entry replayed.
    head_seq: u64,
    /// Hash of the last entry replayed, hex.
    head_hash: String,
    /// Units in the ledger.
    units: usize,
    /// Accounts in the ledger.
    accounts: usize,
    /// Signed checkpoints checked against the chain.
    checkpoints: u64,
    /// Online: every balance the server reports equals the replay's.
    balances_match_server: Option<bool>,
}

impl Render for VerifyView {
    fn table(&self) -> String {
        let server = match self.balances_match_server {
            Some(true) => "; balances match the server",
            _ => "",
        };
        format!(
            "journal verified ({}): {} entries, {} units, {} accounts, {} checkpoints{server}\nhead seq {} hash {}",
            self.source, self.entries, self.units, self.accounts, self.checkpoints, self.head_seq, self.head_hash
        )
    }
}

impl VerifyView {
    fn of(source: String, replayer: &Replayer, checkpoints: u64, balances_match_server: Option<bool>) -> Self {
        let (head_seq, head_hash) = replayer.head();
        Self {
            verified: true,
            source,
            entries: replayer.entries(),
            head_seq,
            head_hash: head_hash.to_hex(),
            units: replayer.state().units.len(),
            accounts: replayer.state().accounts.len(),
            checkpoints,
            balances_match_server,
        }
    }
}

/// Replays an export file, holding it to the checkpoints `held` besides its own.
pub fn verify_file(path: &Path, held: &[Checkpoint]) -> Result<VerifyView, CliError> {
    let (replayer, checkpoints) = replay_file(path, held, |_, _, _| {})?;
    Ok(VerifyView::of(path.display().to_string(), &replayer, checkpoints, None))
}

/// Replays an export file as [`verify_file`] does, calling `observe` after each entry in journal
/// order (see [`audit`]); returns the replayer and how many checkpoints were checked.
pub fn replay_file<O>(path: &Path, held: &[Checkpoint], observe: O) -> Result<(Replayer, u64), CliError>
where
    O: FnMut(&Entry, &SignedCommand, &Replayer),
{
    let file = std::fs::File::open(path)
        .map_err(|error| CliError::Usage(format!("cannot open journal file {}: {error}", path.display())))?;
    let lines = Lines::new(BufReader::with_capacity(FILE_BUFFER_BYTES, file));
    let parse = |(number, line): (usize, Result<Vec<u8>, String>)| parse_line(number, &line?);
    let mut replayer = replayer_on_disk()?;
    let checkpoints =
        audit(lines, parse, held, &mut replayer, AuditOptions::default(), observe).map_err(audit_failure)?;
    if replayer.entries() == 0 {
        return Err(invalid("JOURNAL_INVALID", format!("{} holds no entry", path.display())));
    }
    Ok((replayer, checkpoints))
}

/// Replays the server's journal and compares balances.
pub async fn verify(client: &Client, held: Vec<Checkpoint>) -> Result<VerifyView, CliError> {
    let trial =
        client.audit().get_trial_balance(proto::GetTrialBalanceRequest { unit: String::new() }).await?.into_inner();
    let head_seq = trial.as_of_seq;
    let mut replayer = replayer_on_disk()?;
    let mut stream = client.audit().export_journal(proto::ExportJournalRequest { from_seq: 1 }).await?.into_inner();
    let (chunks, queue) = tokio::sync::mpsc::channel::<Vec<Result<Record, String>>>(CHUNKS_QUEUED_MAX);
    let replay = tokio::task::spawn_blocking(move || {
        let mut queue = queue;
        let records = std::iter::from_fn(move || queue.blocking_recv()).flatten();
        let result = audit(records, |record| record, &held, &mut replayer, AuditOptions::default(), |_, _, _| {});
        (replayer, result)
    });
    'stream: while let Some(chunk) = stream.message().await? {
        let checkpoints = chunk
            .checkpoints
            .iter()
            .filter(|checkpoint| checkpoint.seq <= head_seq)
            .map(|checkpoint| checkpoint_from_wire(checkpoint).map(Record::Checkpoint));
        let entries = chunk
            .entries
            .iter()
            .take_while(|entry| entry.seq <= head_seq)
            .map(|entry| entry_from_wire(entry).map(Record::Entry));
        let records: Vec<_> = checkpoints.chain(entries).collect();
        let ended = chunk.entries.last().is_some_and(|entry| entry.seq >= head_seq);
        // A failed send means the replay stopped at a bad entry: its error says which.
        if chunks.send(records).await.is_err() || ended {
            break 'stream;
        }
    }
    drop(chunks);
    let (replayer, result) =
        replay.await.map_err(|error| CliError::Failed(format!("the replay stopped unexpectedly: {error}")))?;
    let checkpoints = result.map_err(audit_failure)?;
    let (replayed_seq, _) = replayer.head();
    if replayed_seq != head_seq {
        return Err(invalid(
            "JOURNAL_INVALID",
            format!("the server reports entries up to {head_seq} but its journal ends at {replayed_seq}"),
        ));
    }
    compare_balances(&replayer, &trial)?;
    Ok(VerifyView::of("server".into(), &replayer, checkpoints, Some(true)))
}

/// A new replayer whose archive is in temporary files.
fn replayer_on_disk() -> Result<Replayer, CliError> {
    let archive = DiskArchive::new().map_err(|error| CliError::Failed(error.to_string()))?;
    Ok(Replayer::with_archive(Box::new(archive)))
}

/// The audit's first failure as the CLI's error.
fn audit_failure(error: AuditError<String>) -> CliError {
    match error {
        // The verifier's own storage failed: nothing is known about the journal.
        AuditError::Replay(error @ ReplayError::Archive { .. }) => CliError::Failed(error.to_string()),
        AuditError::Read(message) => invalid("JOURNAL_INVALID", message),
        AuditError::Replay(error) => invalid("JOURNAL_INVALID", error.to_string()),
        AuditError::Checkpoint(error) => invalid("CHECKPOINT_MISMATCH", error.to_string()),
    }
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

fn invalid(reason: &'static str, message: String) -> CliError {
    CliError::Audit { reason, message }
}
