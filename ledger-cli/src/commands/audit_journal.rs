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

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

use ledger_core::audit::Record;
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::EntryKind;
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::{PublicKey, Signature};
use ledger_core::names::{Handle, LedgerId, UnitCode};
use serde::{Deserialize, Serialize};

use super::audit_hex;
use super::audit_lines::Lines;
use crate::error::CliError;
use crate::proto;

/// One line of the file.
#[derive(Debug, Serialize)]
#[serde(tag = "record", rename_all = "lowercase")]
enum Line {
    Entry(EntryLine),
    Checkpoint(CheckpointLine),
}

/// A journal entry.
#[derive(Debug, Serialize)]
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
#[derive(Debug, Serialize)]
struct SignatureLine {
    public_key: String,
    signature: String,
}

/// One posting, in minor units.
#[derive(Debug, Serialize)]
struct PostingLine {
    account: String,
    unit: String,
    delta: i64,
}

/// A signed checkpoint.
#[derive(Debug, Serialize)]
struct CheckpointLine {
    ledger_id: String,
    seq: u64,
    hash: String,
    timestamp_ms: i64,
    signer: String,
    signature: String,
}

/// A line as read: the fields of either record, the text ones borrowed from the line. serde reads
/// a tagged enum ([`Line`]) by first copying the whole line into a generic tree, an allocation per
/// field; this reads it in one pass, and [`LineIn::entry`] and [`LineIn::checkpoint`] hold each
/// record to its own fields. Hex and names never need escapes, so a line that escapes one is
/// refused rather than copied.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineIn<'a> {
    record: &'a str,
    seq: u64,
    timestamp_ms: i64,
    hash: &'a str,
    kind: Option<&'a str>,
    command: Option<&'a str>,
    #[serde(borrow)]
    signatures: Option<Vec<SignatureIn<'a>>>,
    #[serde(borrow)]
    postings: Option<Vec<PostingIn<'a>>>,
    prev_hash: Option<&'a str>,
    ledger_id: Option<&'a str>,
    signer: Option<&'a str>,
    signature: Option<&'a str>,
}

/// A [`SignatureLine`] as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureIn<'a> {
    public_key: &'a str,
    signature: &'a str,
}

/// A [`PostingLine`] as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostingIn<'a> {
    #[serde(borrow)]
    account: Cow<'a, str>,
    #[serde(borrow)]
    unit: Cow<'a, str>,
    delta: i64,
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

/// A record of the file, from its line (without its line break); the error names the line.
pub fn parse_line(number: usize, text: &(impl AsRef<[u8]> + ?Sized)) -> Result<Record, String> {
    let bad = |what: String| format!("line {number}: {what}");
    let line: LineIn<'_> = serde_json::from_slice(text.as_ref()).map_err(|error| bad(error.to_string()))?;
    match line.record {
        "entry" => line.entry().map(Record::Entry).map_err(bad),
        "checkpoint" => line.checkpoint().map(Record::Checkpoint).map_err(bad),
        other => Err(bad(format!("unknown record {other:?}, expected \"entry\" or \"checkpoint\""))),
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
    for (number, line) in Lines::new(BufReader::new(file)) {
        let line = line.map_err(|error| CliError::Failed(format!("cannot read {}: {error}", path.display())))?;
        match parse_line(number, &line) {
            Ok(Record::Checkpoint(checkpoint)) => checkpoints.push(checkpoint),
            Ok(Record::Entry(_)) => {}
            Err(error) => return Err(CliError::Usage(format!("{}: {error}", path.display()))),
        }
    }
    Ok(checkpoints)
}

impl LineIn<'_> {
    /// The entry this line holds, if it has an entry's fields and no others.
    fn entry(self) -> Result<Entry, String> {
        let checkpoint_fields = [
            ("ledger_id", self.ledger_id.is_some()),
            ("signer", self.signer.is_some()),
            ("signature", self.signature.is_some()),
        ];
        refuse_fields(&checkpoint_fields, "an entry")?;
        let signatures = required(self.signatures, "signatures")?
            .iter()
            .map(|s| Ok((public_key(s.public_key)?, signature(s.signature)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let postings = required(self.postings, "postings")?
            .iter()
            .map(|p| posting(&p.account, &p.unit, p.delta))
            .collect::<Result<Vec<_>, String>>()?;
        let kind = required(self.kind, "kind")?;
        Ok(Entry {
            seq: self.seq,
            timestamp_ms: self.timestamp_ms,
            kind: EntryKind::parse(kind).ok_or_else(|| format!("unknown kind {kind:?}"))?,
            command_bytes: audit_hex::decode(required(self.command, "command")?)
                .map_err(|_| "command is not hex".to_owned())?,
            signatures,
            postings,
            prev_hash: hash(required(self.prev_hash, "prev_hash")?, "prev_hash")?,
            hash: hash(self.hash, "hash")?,
        })
    }

    /// The checkpoint this line holds, if it has a checkpoint's fields and no others.
    fn checkpoint(self) -> Result<Checkpoint, String> {
        let entry_fields = [
            ("kind", self.kind.is_some()),
            ("command", self.command.is_some()),
            ("signatures", self.signatures.is_some()),
            ("postings", self.postings.is_some()),
            ("prev_hash", self.prev_hash.is_some()),
        ];
        refuse_fields(&entry_fields, "a checkpoint")?;
        Ok(Checkpoint {
            ledger_id: LedgerId::parse(required(self.ledger_id, "ledger_id")?).map_err(|e| e.to_string())?,
            seq: self.seq,
            hash: hash(self.hash, "hash")?,
            timestamp_ms: self.timestamp_ms,
            signer: PublicKey::parse(required(self.signer, "signer")?).map_err(|e| e.to_string())?,
            signature: Signature::parse(required(self.signature, "signature")?).map_err(|e| e.to_string())?,
        })
    }
}

/// A field a record needs.
fn required<T>(field: Option<T>, name: &str) -> Result<T, String> {
    field.ok_or_else(|| format!("missing field `{name}`"))
}

/// Refuses a field of the other kind of record.
fn refuse_fields(present: &[(&str, bool)], record: &str) -> Result<(), String> {
    match present.iter().find(|(_, present)| *present) {
        Some((name, _)) => Err(format!("unknown field `{name}` in {record} line")),
        None => Ok(()),
    }
}

/// Keys remembered per thread by [`public_key`]; past this it forgets them all.
const KEYS_CACHED_MAX: usize = 65_536;

thread_local! {
    /// Keys already checked, by their bytes: a ledger has far fewer keys than entries, and
    /// checking that 32 bytes are a curve point costs a square root.
    static KEYS: RefCell<HashMap<[u8; 32], PublicKey>> = RefCell::new(HashMap::new());
}

/// A signer's key from its hex text, validated once per thread and key.
fn public_key(text: &str) -> Result<PublicKey, String> {
    let mut bytes = [0; 32];
    if audit_hex::decode_into(text, &mut bytes).is_err() {
        // Not the plain hex an export writes: the parser of keys says what is wrong, if anything.
        return PublicKey::parse(text).map_err(|e| e.to_string());
    }
    KEYS.with_borrow_mut(|keys| {
        if let Some(key) = keys.get(&bytes) {
            return Ok(*key);
        }
        let key = PublicKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
        if keys.len() >= KEYS_CACHED_MAX {
            keys.clear();
        }
        keys.insert(bytes, key);
        Ok(key)
    })
}

/// A signature from its hex text, decoded straight into its 64 bytes.
fn signature(text: &str) -> Result<Signature, String> {
    let mut bytes = [0; 64];
    match audit_hex::decode_into(text, &mut bytes) {
        Ok(()) => Signature::from_bytes(&bytes).map_err(|e| e.to_string()),
        // Not the plain hex an export writes: the parser of signatures says what is wrong, if anything.
        Err(_) => Signature::parse(text).map_err(|e| e.to_string()),
    }
}

fn posting(account: &str, unit: &str, delta: i64) -> Result<Posting, String> {
    Ok(Posting {
        account: Handle::parse(account).map_err(|e| e.to_string())?,
        unit: UnitCode::parse(unit).map_err(|e| e.to_string())?,
        delta,
    })
}

fn hash(text: &str, what: &str) -> Result<EntryHash, String> {
    let mut bytes = [0; 32];
    audit_hex::decode_into(text, &mut bytes).map_err(|_| format!("{what} is not 32 hex bytes"))?;
    Ok(EntryHash(bytes))
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
        // A checkpoint line holding an entry's field is refused, as is an unknown record.
        let mixed = line.replacen('{', "{\"kind\":\"payment\",", 1);
        assert_eq!(parse_line(2, &mixed), Err("line 2: unknown field `kind` in a checkpoint line".into()));
        let other = line.replace("\"checkpoint\"", "\"note\"");
        assert!(parse_line(2, &other).unwrap_err().starts_with("line 2: unknown record \"note\""));
    }

    #[test]
    fn an_entry_line_round_trips() {
        let key = SecretKey::from_seed([2; 32]);
        let signature = key.sign(b"command");
        let entry = Entry {
            seq: 7,
            timestamp_ms: 1_767_225_600_007,
            kind: EntryKind::Payment,
            command_bytes: b"command".to_vec(),
            signatures: vec![(key.public_key(), signature)],
            postings: vec![
                Posting {
                    account: Handle::parse("alice").unwrap(),
                    unit: UnitCode::parse("COMMUN").unwrap(),
                    delta: -5,
                },
                Posting { account: Handle::parse("bob").unwrap(), unit: UnitCode::parse("COMMUN").unwrap(), delta: 5 },
            ],
            prev_hash: EntryHash([3; 32]),
            hash: EntryHash([4; 32]),
        };
        let line = entry_line_of(&entry);
        assert_eq!(parse_line(1, &line), Ok(Record::Entry(entry)));
        let missing = line.replace("\"prev_hash\"", "\"signer\"");
        assert_eq!(parse_line(3, &missing), Err("line 3: unknown field `signer` in an entry line".into()));
        let short = line.replace(&"04".repeat(32), "04");
        assert_eq!(parse_line(3, &short), Err("line 3: hash is not 32 hex bytes".into()));
    }
}
