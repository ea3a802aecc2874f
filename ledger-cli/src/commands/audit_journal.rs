//! The journal export file: JSON lines, one record per line, in journal order.
//!
//! # Layout
//!
//! ```text
//! {"record":"checkpoint","ledger_id":"<uuid>","seq":N,"hash":"<hex>","timestamp_ms":T,
//!  "signer":"<hex node key>","signature":"<hex>"}
//! {"record":"entry","seq":N,"kind":"payment","timestamp_ms":T,"command":"<hex>",
//!  "signatures":[{"public_key":"<hex>","signature":"<hex>"}],
//!  "postings":[{"account":"alice","unit":"COMMUN","delta":-1250}],
//!  "prev_hash":"<hex>","hash":"<hex>"}
//! ```
//!
//! Every byte string is lowercase hex: `command` holds the canonical signed bytes of the command
//! (ledger-core `command.rs`), hashes are 32 bytes, keys 32, signatures 64. `delta` is an integer
//! in minor units of its unit, exactly what the entry hash covers, so no scale is needed to
//! check it. A checkpoint line comes before the entry it vouches for, so a reader checks it
//! without keeping every hash. A file of checkpoint lines alone is what `audit checkpoint --out`
//! writes and `audit verify --checkpoint` reads.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ledger_core::audit::Record;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::EntryKind;
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::{Handle, LedgerId, UnitCode};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::proto;

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase", deny_unknown_fields)]
enum Line {
    Entry(EntryLine),
    Checkpoint(CheckpointLine),
}

/// A journal entry.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    seq: u64,
    kind: String,
    timestamp_ms: i64,
    /// Hex of the canonical signed command bytes.
    command: String,
    signatures: Vec<SignatureLine>,
    postings: Vec<PostingLine>,
    prev_hash: String,
    hash: String,
}

/// One signature and the key it names.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureLine {
    public_key: String,
    signature: String,
}

/// One posting, in minor units.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostingLine {
    account: String,
    unit: String,
    delta: i64,
}

/// A signed checkpoint.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    ledger_id: String,
    seq: u64,
    hash: String,
    timestamp_ms: i64,
    signer: String,
    signature: String,
}

/// The line of a streamed entry.
pub fn entry_line(entry: &proto::ExportedEntry) -> String {
    let line = Line::Entry(EntryLine {
        seq: entry.seq,
        kind: entry.kind.clone(),
        timestamp_ms: entry.timestamp_ms,
        command: hex::encode(&entry.command),
        signatures: entry
            .signatures
            .iter()
            .map(|s| SignatureLine { public_key: hex::encode(&s.public_key), signature: hex::encode(&s.signature) })
            .collect(),
        postings: entry
            .postings
            .iter()
            .map(|p| PostingLine { account: p.account.clone(), unit: p.unit.clone(), delta: p.delta })
            .collect(),
        prev_hash: hex::encode(&entry.prev_hash),
        hash: hex::encode(&entry.hash),
    });
    serde_json::to_string(&line).expect("strings and integers serialise")
}

/// The line of a core entry: what an export of it holds (for tools that build journals offline).
pub fn entry_line_of(entry: &Entry) -> String {
    let line = Line::Entry(EntryLine {
        seq: entry.seq,
        kind: entry.kind.as_str().to_owned(),
        timestamp_ms: entry.timestamp_ms,
        command: hex::encode(&entry.command_bytes),
        signatures: entry
            .signatures
            .iter()
            .map(|(key, signature)| SignatureLine { public_key: key.to_hex(), signature: signature.to_hex() })
            .collect(),
        postings: entry
            .postings
            .iter()
            .map(|p| PostingLine { account: p.account.to_string(), unit: p.unit.to_string(), delta: p.delta })
            .collect(),
        prev_hash: entry.prev_hash.to_hex(),
        hash: entry.hash.to_hex(),
    });
    serde_json::to_string(&line).expect("strings and integers serialise")
}

/// The line of a checkpoint.
pub fn checkpoint_line(checkpoint: &Checkpoint) -> String {
    let line = Line::Checkpoint(CheckpointLine {
        ledger_id: checkpoint.ledger_id.to_string(),
        seq: checkpoint.seq,
        hash: checkpoint.hash.to_hex(),
        timestamp_ms: checkpoint.timestamp_ms,
        signer: checkpoint.signer.to_hex(),
        signature: checkpoint.signature.to_hex(),
    });
    serde_json::to_string(&line).expect("strings and integers serialise")
}

/// A record of the file, from its line; the error names the line.
pub fn parse_line(number: usize, text: &str) -> Result<Record, String> {
    let bad = |what: String| format!("line {number}: {what}");
    let line: Line = serde_json::from_str(text).map_err(|error| bad(error.to_string()))?;
    match line {
        Line::Entry(entry) => entry_record(entry).map(Record::Entry).map_err(bad),
        Line::Checkpoint(checkpoint) => checkpoint_record(checkpoint).map(Record::Checkpoint).map_err(bad),
    }
}

/// A streamed entry as a core entry, checked by nobody yet.
pub fn entry_from_wire(wire: &proto::ExportedEntry) -> Result<Entry, String> {
    let bad = |what: String| format!("entry {}: {what}", wire.seq);
    let signatures = wire
        .signatures
        .iter()
        .map(|s| {
            let key = PublicKey::from_bytes(&s.public_key).map_err(|e| bad(e.to_string()))?;
            let signature = Signature::from_bytes(&s.signature).map_err(|e| bad(e.to_string()))?;
            Ok((key, signature))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let postings = wire
        .postings
        .iter()
        .map(|p| posting(&p.account, &p.unit, p.delta).map_err(&bad))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Entry {
        seq: wire.seq,
        timestamp_ms: wire.timestamp_ms,
        kind: EntryKind::parse(&wire.kind).ok_or_else(|| bad(format!("unknown kind {:?}", wire.kind)))?,
        command_bytes: wire.command.clone(),
        signatures,
        postings,
        prev_hash: EntryHash::from_bytes(&wire.prev_hash).ok_or_else(|| bad("prev_hash is not 32 bytes".into()))?,
        hash: EntryHash::from_bytes(&wire.hash).ok_or_else(|| bad("hash is not 32 bytes".into()))?,
    })
}

/// A checkpoint from the server.
pub fn checkpoint_from_wire(wire: &proto::Checkpoint) -> Result<Checkpoint, String> {
    let bad = |what: &str| format!("checkpoint at entry {}: {what}", wire.seq);
    Ok(Checkpoint {
        ledger_id: LedgerId::parse(&wire.ledger_id).map_err(|_| bad("bad ledger id"))?,
        seq: wire.seq,
        hash: EntryHash::from_bytes(&wire.hash).ok_or_else(|| bad("hash is not 32 bytes"))?,
        timestamp_ms: wire.timestamp_ms,
        signer: PublicKey::from_bytes(&wire.signer).map_err(|_| bad("bad signer key"))?,
        signature: Signature::from_bytes(&wire.signature).map_err(|_| bad("signature is not 64 bytes"))?,
    })
}

/// Every checkpoint in a file of checkpoint lines (an export's entry lines are skipped, so an
/// older export serves as well).
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|error| CliError::Usage(format!("cannot open checkpoint file {}: {error}", path.display())))?;
    let mut checkpoints = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|error| CliError::Failed(format!("cannot read {}: {error}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(index + 1, &line) {
            Ok(Record::Checkpoint(checkpoint)) => checkpoints.push(checkpoint),
            Ok(Record::Entry(_)) => {}
            Err(error) => return Err(CliError::Usage(format!("{}: {error}", path.display()))),
        }
    }
    Ok(checkpoints)
}

fn entry_record(line: EntryLine) -> Result<Entry, String> {
    let signatures = line
        .signatures
        .iter()
        .map(|s| {
            let key = public_key(&s.public_key)?;
            let signature = Signature::parse(&s.signature).map_err(|e| e.to_string())?;
            Ok((key, signature))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let postings =
        line.postings.iter().map(|p| posting(&p.account, &p.unit, p.delta)).collect::<Result<Vec<_>, String>>()?;
    Ok(Entry {
        seq: line.seq,
        timestamp_ms: line.timestamp_ms,
        kind: EntryKind::parse(&line.kind).ok_or_else(|| format!("unknown kind {:?}", line.kind))?,
        command_bytes: hex::decode(&line.command).map_err(|_| "command is not hex".to_owned())?,
        signatures,
        postings,
        prev_hash: hash(&line.prev_hash, "prev_hash")?,
        hash: hash(&line.hash, "hash")?,
    })
}

fn checkpoint_record(line: CheckpointLine) -> Result<Checkpoint, String> {
    Ok(Checkpoint {
        ledger_id: LedgerId::parse(&line.ledger_id).map_err(|e| e.to_string())?,
        seq: line.seq,
        hash: hash(&line.hash, "hash")?,
        timestamp_ms: line.timestamp_ms,
        signer: PublicKey::parse(&line.signer).map_err(|e| e.to_string())?,
        signature: Signature::parse(&line.signature).map_err(|e| e.to_string())?,
    })
}

/// Keys remembered per thread by [`public_key`]; past this it forgets them all.
const KEYS_CACHED_MAX: usize = 65_536;

thread_local! {
    /// Keys already parsed, by their hex text: a ledger has far fewer keys than entries, and
    /// checking that 32 bytes are a curve point costs a square root.
    static KEYS: RefCell<HashMap<String, PublicKey>> = RefCell::new(HashMap::new());
}

/// A signer's key from its hex text, validated once per thread and key.
fn public_key(text: &str) -> Result<PublicKey, String> {
    KEYS.with_borrow_mut(|keys| {
        if let Some(key) = keys.get(text) {
            return Ok(*key);
        }
        let key = PublicKey::parse(text).map_err(|e| e.to_string())?;
        if keys.len() >= KEYS_CACHED_MAX {
            keys.clear();
        }
        keys.insert(text.to_owned(), key);
        Ok(key)
    })
}

fn posting(account: &str, unit: &str, delta: i64) -> Result<Posting, String> {
    Ok(Posting {
        account: Handle::parse(account).map_err(|e| e.to_string())?,
        unit: UnitCode::parse(unit).map_err(|e| e.to_string())?,
        delta,
    })
}

fn hash(text: &str, what: &str) -> Result<EntryHash, String> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| EntryHash::from_bytes(&bytes))
        .ok_or_else(|| format!("{what} is not 32 hex bytes"))
}

#[cfg(test)]
mod tests {
    use ledger_core::keys::SecretKey;

    use super::*;

    #[test]
    fn a_checkpoint_line_round_trips() {
        let ledger = LedgerId::from_uuid(uuid::Uuid::from_u128(5));
        let checkpoint = Checkpoint::sign(ledger, 3, EntryHash([7; 32]), 99, &SecretKey::from_seed([1; 32]));
        let line = checkpoint_line(&checkpoint);
        assert_eq!(parse_line(1, &line), Ok(Record::Checkpoint(checkpoint)));
        assert!(parse_line(4, "{\"record\":\"entry\"}").unwrap_err().starts_with("line 4: "));
    }
}
