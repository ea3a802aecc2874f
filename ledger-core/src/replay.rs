//! Replay: rebuild the state from a journal, checking every entry as it goes (hash chain,
//! signatures, authorisation at that point, conservation, limits, and that the recorded postings
//! are exactly what the command produces).
//!
//! The checks fall in two groups. Those that need nothing but the entry ([`check_alone`]: its
//! hash, the balance of its postings, its command decoding, its kind, and its signatures through
//! [`SignatureChecker`]) can run on many entries at once on other threads, as
//! [`crate::audit`] does. Those that need the state before the entry (sequence, link to the
//! previous hash, keys and roles at that point, limits) run in order in [`Replayer`].

use std::collections::HashMap;

use crate::command::{SignatureError, SignedCommand, decode_signing_bytes};
use crate::entry_signatures::SignatureChecker;
use crate::journal::{ChainVerifier, Entry, EntryHash, JournalError};
use crate::names::UnitCode;
use crate::refusal::Refusal;
use crate::state::{Changes, State};

/// Why a journal failed replay, naming the entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Chain(#[from] JournalError),
    #[error("entry {seq}: command bytes do not decode: {message}")]
    Decode { seq: u64, message: String },
    #[error("entry {seq}: kind {recorded} does not match its command ({actual})")]
    KindMismatch { seq: u64, recorded: &'static str, actual: &'static str },
    #[error("entry {seq}: the command was not valid at that point: {refusal}")]
    Refused { seq: u64, refusal: Refusal },
    #[error("entry {seq}: recorded postings differ from what the command produces")]
    PostingsMismatch { seq: u64 },
    #[error("entry {seq}: invariant broken after it: {message}")]
    Invariant { seq: u64, message: String },
}

/// Replays entries in order on a whole-ledger state.
pub struct Replayer {
    state: State,
    chain: ChainVerifier,
    entries: u64,
    /// What the last entry changed.
    changes: Changes,
    /// Sum of every balance per unit, kept from the postings: zero after every entry.
    sums: HashMap<UnitCode, i128>,
}

impl Default for Replayer {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks what an entry proves on its own: its hash, its postings' balance and bound, that its
/// command bytes decode, and that its kind is its command's. Signatures are checked apart
/// ([`SignatureChecker`]), so they can be batched. Returns the decoded command.
pub fn check_alone(entry: &Entry) -> Result<SignedCommand, ReplayError> {
    let seq = entry.seq;
    entry.check()?;
    let (ledger_id, request_id, command) =
        decode_signing_bytes(&entry.command_bytes).map_err(|error| ReplayError::Decode { seq, message: error.0 })?;
    if command.entry_kind() != entry.kind {
        return Err(ReplayError::KindMismatch {
            seq,
            recorded: entry.kind.as_str(),
            actual: command.entry_kind().as_str(),
        });
    }
    Ok(SignedCommand { ledger_id, request_id, command, signatures: entry.signatures.clone() })
}

/// A signature failure of entry `seq` as a replay error.
pub fn signature_refused(seq: u64, error: SignatureError) -> ReplayError {
    ReplayError::Refused { seq, refusal: error.into() }
}

impl Replayer {
    /// Starts from an empty ledger.
    pub fn new() -> Self {
        Self {
            state: State::new(),
            chain: ChainVerifier::from_genesis(),
            entries: 0,
            changes: Changes::default(),
            sums: HashMap::new(),
        }
    }

    /// Checks and applies the next entry.
    pub fn push(&mut self, entry: &Entry) -> Result<(), ReplayError> {
        self.check_seq(entry)?;
        let signed = check_alone(entry)?;
        let signatures = SignatureChecker::new().check(&[entry]).pop().expect("one result per entry");
        signatures.map_err(|error| signature_refused(entry.seq, error))?;
        self.push_checked(entry, &signed)
    }

    /// Checks that `entry` is the one expected next; a missing entry is named before anything
    /// else about the one found in its place.
    pub fn check_seq(&self, entry: &Entry) -> Result<(), ReplayError> {
        Ok(self.chain.check_seq(entry)?)
    }

    /// Applies the next entry, whose [`check_alone`] and signatures passed: checks its link to
    /// the previous hash, the signers' keys and roles at this point, that its postings are
    /// exactly what the command produces, and that every account it touched is within its limits
    /// and every unit it touched still sums to zero.
    pub fn push_checked(&mut self, entry: &Entry, signed: &SignedCommand) -> Result<(), ReplayError> {
        let seq = entry.seq;
        self.chain.link(entry)?;
        let applied =
            self.state.apply(signed, entry.timestamp_ms).map_err(|refusal| ReplayError::Refused { seq, refusal })?;
        if applied.postings != entry.postings {
            return Err(ReplayError::PostingsMismatch { seq });
        }
        self.changes = self.state.take_changes();
        // Only what this entry touched can have broken an invariant: checking just that keeps
        // replay linear in the journal, whatever the number of accounts.
        for handle in &self.changes.accounts {
            let account = &self.state.accounts[handle];
            if !account.limits.admits(account.balance) {
                let message = format!("{handle} has balance {} outside its limits", account.balance);
                return Err(ReplayError::Invariant { seq, message });
            }
        }
        for posting in &entry.postings {
            *self.sums.entry(posting.unit.clone()).or_default() += i128::from(posting.delta);
        }
        for posting in &entry.postings {
            let sum = self.sums[&posting.unit];
            if sum != 0 {
                let message = format!("balances of {} sum to {sum}", posting.unit);
                return Err(ReplayError::Invariant { seq, message });
            }
        }
        self.entries += 1;
        Ok(())
    }

    /// The state rebuilt so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What the last entry replayed changed (for [`crate::history::handles`]).
    pub fn last_changes(&self) -> &Changes {
        &self.changes
    }

    /// The last sequence number and hash.
    pub fn head(&self) -> (u64, EntryHash) {
        self.chain.head()
    }

    /// How many entries were replayed.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}
