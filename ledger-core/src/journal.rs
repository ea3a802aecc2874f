//! Journal entries: postings, the hash chain, and the checks made when an entry is built and when
//! it is read back.
//!
//! # Entry hash (version 1)
//!
//! ```text
//! sha256( "commons-ledger/entry/v1" 0x00
//!         seq u64 | timestamp_ms i64 | kind text | prev_hash 32 bytes
//!         command bytes (length-prefixed signed bytes, see `crate::command`)
//!         u32 count, then per signature: public key 32 bytes | signature 64 bytes
//!         u32 count, then per posting: account text | unit text | delta i64 )
//! ```
//!
//! The first entry (seq 1) has a `prev_hash` of 32 zero bytes.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::canonical::Encoder;
use crate::command::EntryKind;
use crate::keys::{PublicKey, Signature};
use crate::names::{Handle, UnitCode};

/// The domain tag of entry hashes.
pub const ENTRY_DOMAIN: &[u8] = b"commons-ledger/entry/v1\0";

/// The most postings one entry may carry: an import batch ([`crate::import`]) posts the net change
/// of every account its rows move, at most two a row. Everything else posts two at most.
pub const POSTINGS_MAX: usize = 2 * crate::import::IMPORT_ROWS_MAX;

/// A SHA-256 hash in the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EntryHash(pub [u8; 32]);

impl EntryHash {
    /// The `prev_hash` of the first entry.
    pub const GENESIS_PREV: EntryHash = EntryHash([0; 32]);

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// From 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", self.to_hex())
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One account's signed change inside an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    /// Account.
    pub account: Handle,
    /// Unit of the account.
    pub unit: UnitCode,
    /// Change of its balance in minor units (negative: debit).
    pub delta: i64,
}

/// One state change in the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Gapless sequence number, from 1.
    pub seq: u64,
    /// When the writer appended it, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// What kind of change.
    pub kind: EntryKind,
    /// The signed canonical bytes of the command.
    pub command_bytes: Vec<u8>,
    /// Signatures that authorised it.
    pub signatures: Vec<(PublicKey, Signature)>,
    /// Balance changes; they sum to zero per unit.
    pub postings: Vec<Posting>,
    /// Hash of the previous entry.
    pub prev_hash: EntryHash,
    /// Hash of this entry.
    pub hash: EntryHash,
}

/// What is wrong with a journal read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("entry {seq}: its hash does not match its content")]
    HashMismatch { seq: u64 },
    #[error("entry {seq}: prev_hash does not match the hash of entry {}", seq - 1)]
    BrokenChain { seq: u64 },
    #[error("expected entry {expected}, found entry {found}")]
    Gap { expected: u64, found: u64 },
    #[error("entry {seq}: postings of unit {unit} sum to {sum}, not zero")]
    Unbalanced { seq: u64, unit: String, sum: i128 },
    #[error("entry {seq}: {count} postings, more than {POSTINGS_MAX}")]
    TooManyPostings { seq: u64, count: usize },
}

impl Entry {
    /// Builds an entry and its hash. Panics if the postings do not conserve value: that is a bug
    /// in whoever built them, never an input error.
    pub fn seal(
        seq: u64,
        timestamp_ms: i64,
        kind: EntryKind,
        command_bytes: Vec<u8>,
        signatures: Vec<(PublicKey, Signature)>,
        postings: Vec<Posting>,
        prev_hash: EntryHash,
    ) -> Self {
        let mut entry = Entry {
            seq,
            timestamp_ms,
            kind,
            command_bytes,
            signatures,
            postings,
            prev_hash,
            hash: EntryHash::default(),
        };
        if let Err(error) = check_postings(seq, &entry.postings) {
            panic!("built an entry that breaks conservation: {error}");
        }
        entry.hash = entry.compute_hash();
        entry
    }

    /// The hash of the entry's content (everything but `hash` itself).
    pub fn compute_hash(&self) -> EntryHash {
        let mut out = Encoder::with_domain(ENTRY_DOMAIN);
        out.u64(self.seq)
            .i64(self.timestamp_ms)
            .text(self.kind.as_str())
            .fixed(&self.prev_hash.0)
            .bytes(&self.command_bytes);
        out.u32(self.signatures.len() as u32);
        for (key, signature) in &self.signatures {
            out.fixed(key.as_bytes()).fixed(signature.as_bytes());
        }
        out.u32(self.postings.len() as u32);
        for posting in &self.postings {
            out.text(posting.account.as_str()).text(posting.unit.as_str()).i64(posting.delta);
        }
        EntryHash(Sha256::digest(out.finish()).into())
    }

    /// Checks an entry read back: its hash and conservation of its postings.
    pub fn check(&self) -> Result<(), JournalError> {
        if self.compute_hash() != self.hash {
            return Err(JournalError::HashMismatch { seq: self.seq });
        }
        check_postings(self.seq, &self.postings)
    }
}

/// Checks that postings sum to zero per unit and are bounded in number.
pub fn check_postings(seq: u64, postings: &[Posting]) -> Result<(), JournalError> {
    if postings.len() > POSTINGS_MAX {
        return Err(JournalError::TooManyPostings { seq, count: postings.len() });
    }
    let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
    for posting in postings {
        *sums.entry(posting.unit.as_str()).or_default() += i128::from(posting.delta);
    }
    match sums.into_iter().find(|(_, sum)| *sum != 0) {
        Some((unit, sum)) => Err(JournalError::Unbalanced { seq, unit: unit.to_owned(), sum }),
        None => Ok(()),
    }
}

/// Follows a chain of entries read back in order: each entry checks, sequence numbers have no
/// gap, and each `prev_hash` is the previous entry's hash. `previous` is the entry before the
/// first one given (none when starting at seq 1).
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: EntryHash,
}

impl ChainVerifier {
    /// Starts at the first entry of a ledger.
    pub fn from_genesis() -> Self {
        Self { next_seq: 1, prev_hash: EntryHash::GENESIS_PREV }
    }

    /// Starts after an entry already trusted.
    pub fn after(seq: u64, hash: EntryHash) -> Self {
        Self { next_seq: seq + 1, prev_hash: hash }
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &Entry) -> Result<(), JournalError> {
        self.check_seq(entry)?;
        entry.check()?;
        self.link(entry)
    }

    /// Checks that `entry` is the one expected next (no gap, no repeat).
    pub fn check_seq(&self, entry: &Entry) -> Result<(), JournalError> {
        if entry.seq != self.next_seq {
            return Err(JournalError::Gap { expected: self.next_seq, found: entry.seq });
        }
        Ok(())
    }

    /// Chains the next entry whose own content was checked elsewhere ([`Entry::check`], as the
    /// parallel audit does): its sequence number and its link to the previous hash.
    pub fn link(&mut self, entry: &Entry) -> Result<(), JournalError> {
        self.check_seq(entry)?;
        if entry.prev_hash != self.prev_hash {
            return Err(JournalError::BrokenChain { seq: entry.seq });
        }
        self.next_seq += 1;
        self.prev_hash = entry.hash;
        Ok(())
    }

    /// The hash of the last entry checked.
    pub fn head(&self) -> (u64, EntryHash) {
        (self.next_seq - 1, self.prev_hash)
    }
}
