//! Replay: rebuild the state from a journal, checking every entry as it goes (hash chain,
//! signatures, authorisation at that point, conservation, limits, and that the recorded postings
//! are exactly what the command produces).

use crate::command::SignedCommand;
use crate::command::decode_signing_bytes;
use crate::journal::{ChainVerifier, Entry, EntryHash, JournalError};
use crate::refusal::Refusal;
use crate::state::State;

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
}

impl Default for Replayer {
    fn default() -> Self {
        Self::new()
    }
}

impl Replayer {
    /// Starts from an empty ledger.
    pub fn new() -> Self {
        Self { state: State::new(), chain: ChainVerifier::from_genesis(), entries: 0 }
    }

    /// Checks and applies the next entry.
    pub fn push(&mut self, entry: &Entry) -> Result<(), ReplayError> {
        let seq = entry.seq;
        self.chain.push(entry)?;
        let (ledger_id, request_id, command) = decode_signing_bytes(&entry.command_bytes)
            .map_err(|error| ReplayError::Decode { seq, message: error.0 })?;
        if command.entry_kind() != entry.kind {
            return Err(ReplayError::KindMismatch {
                seq,
                recorded: entry.kind.as_str(),
                actual: command.entry_kind().as_str(),
            });
        }
        let signed = SignedCommand { ledger_id, request_id, command, signatures: entry.signatures.clone() };
        signed.verify_signatures().map_err(|error| ReplayError::Refused { seq, refusal: error.into() })?;
        let applied =
            self.state.apply(&signed, entry.timestamp_ms).map_err(|refusal| ReplayError::Refused { seq, refusal })?;
        if applied.postings != entry.postings {
            return Err(ReplayError::PostingsMismatch { seq });
        }
        self.state.check_invariants(true).map_err(|message| ReplayError::Invariant { seq, message })?;
        self.state.take_changes();
        self.entries += 1;
        Ok(())
    }

    /// The state rebuilt so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Entries replayed, and the last sequence number and hash.
    pub fn head(&self) -> (u64, EntryHash) {
        self.chain.head()
    }

    /// How many entries were replayed.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}
