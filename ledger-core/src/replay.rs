//! Replay: rebuild the state from a journal, checking every entry as it goes (hash chain,
//! signatures, authorisation at that point, conservation, limits, that the recorded postings
//! are exactly what the command produces, and that no request id is used twice).
//!
//! The checks fall in two groups. Those that need nothing but the entry ([`check_alone`]: its
//! hash, the balance of its postings, its command decoding, its kind, and its signatures through
//! [`SignatureChecker`]) can run on many entries at once on other threads, as
//! [`crate::audit`] does. Those that need the state before the entry (sequence, link to the
//! previous hash, request ids used before, keys and roles at that point, limits) run in order in
//! [`Replayer`].
//!
//! The [`Replayer`] holds every account, identity, key and unit, which grow with the ledger, and
//! leaves what grows with the journal to an [`Archive`]: the request ids used so far, and the
//! transfers. Before each entry it loads the transfers the entry references; the next entry moves
//! those it created or changed into the archive. So between entries its state holds only the
//! transfers of the last entry (what [`crate::history::handles`] reads), and its memory is the
//! ledger's plus the archive's.

use std::collections::HashMap;

use crate::archive::{Archive, ArchiveError, MemoryArchive};
use crate::command::{SignatureError, SignedCommand, decode_signing_bytes};
use crate::entry_signatures::SignatureChecker;
use crate::journal::{ChainVerifier, Entry, EntryHash, JournalError};
use crate::names::{RequestId, UnitCode};
use crate::refusal::Refusal;
use crate::state::{Changes, State};
use crate::transfer::Transfer;

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
    /// The server commits a request id once, so a second entry with it was put there by hand.
    #[error("entry {seq}: request id {id} was already used by entry {first}")]
    RequestReused { seq: u64, id: RequestId, first: u64 },
    #[error("entry {seq}: the replay's archive failed: {error}")]
    Archive { seq: u64, error: ArchiveError },
}

/// Replays entries in order: the ledger's accounts, keys and units in memory, the transfers and
/// request ids in an [`Archive`].
pub struct Replayer {
    /// Every account, identity, key and unit; only the last entry's transfers.
    state: State,
    /// Every transfer but the last entry's, and every request id used.
    archive: Box<dyn Archive + Send>,
    chain: ChainVerifier,
    entries: u64,
    /// What the last entry changed.
    changes: Changes,
    /// The sequence number of the last entry.
    changes_seq: u64,
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
    /// Starts from an empty ledger, with an archive in memory.
    pub fn new() -> Self {
        Self::with_archive(Box::new(MemoryArchive::new()))
    }

    /// Starts from an empty ledger, keeping transfers and request ids in `archive` (normally
    /// empty: a request id it already holds counts as used).
    pub fn with_archive(archive: Box<dyn Archive + Send>) -> Self {
        Self {
            state: State::new(),
            archive,
            chain: ChainVerifier::from_genesis(),
            entries: 0,
            changes: Changes::default(),
            changes_seq: 0,
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
    /// the previous hash, that no earlier entry used its request id, the signers' keys and roles
    /// at this point, that its postings are
    /// exactly what the command produces, and that every account it touched is within its limits
    /// and every unit it touched still sums to zero.
    pub fn push_checked(&mut self, entry: &Entry, signed: &SignedCommand) -> Result<(), ReplayError> {
        let seq = entry.seq;
        self.chain.link(entry)?;
        let archive_failed = |error| ReplayError::Archive { seq, error };
        if let Some(first) = self.archive.note_request(signed.request_id, seq).map_err(archive_failed)? {
            return Err(ReplayError::RequestReused { seq, id: signed.request_id, first });
        }
        self.archive_last_transfers().map_err(archive_failed)?;
        self.load_transfer(signed).map_err(archive_failed)?;
        let applied =
            self.state.apply(signed, entry.timestamp_ms).map_err(|refusal| ReplayError::Refused { seq, refusal })?;
        if applied.postings != entry.postings {
            return Err(ReplayError::PostingsMismatch { seq });
        }
        self.changes = self.state.take_changes();
        self.changes_seq = seq;
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

    /// Moves the transfers the last entry created or changed into the archive, and drops those it
    /// only read: the state holds no transfer before the next entry loads its own.
    fn archive_last_transfers(&mut self) -> Result<(), ArchiveError> {
        for id in &self.changes.transfers {
            if let Some(transfer) = self.state.transfers.remove(id) {
                self.archive.put_transfer(transfer, self.changes_seq)?;
            }
        }
        self.state.transfers.clear();
        // Nothing later reads an applied run's record; only the server's store keeps them.
        self.state.clearing_runs.clear();
        Ok(())
    }

    /// Loads the transfers `signed` reads from the archive: the one it acts on, a reversed
    /// payment's levy, a collect's earlier collections ([`crate::command::Command::references`]).
    /// Its own request id, also among [`SignedCommand::references`], names the transfer it may
    /// create, and that id was just found unused, so no transfer has it.
    fn load_transfer(&mut self, signed: &SignedCommand) -> Result<(), ArchiveError> {
        for id in signed.command.references().transfers {
            if let Some(transfer) = self.archive.transfer(id)? {
                self.state.transfers.insert(id, transfer);
            }
        }
        Ok(())
    }

    /// The transfer with id `id` as replayed so far, from the state or the archive.
    pub fn transfer(&mut self, id: RequestId) -> Result<Option<Transfer>, ArchiveError> {
        match self.state.transfers.get(&id) {
            Some(transfer) => Ok(Some(transfer.clone())),
            None => self.archive.transfer(id),
        }
    }

    /// The state rebuilt so far: every account, identity, key and unit, and in
    /// [`State::transfers`] only the transfers the last entry read, created or changed (the
    /// others are in the archive: [`Replayer::transfer`]).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AccountKind, AccountStatus};
    use crate::amount::{Amount, Scale};
    use crate::command::Command;
    use crate::keys::SecretKey;
    use crate::names::{DisplayName, Handle, LedgerId, Memo, Reason};
    use crate::transfer::{Answer, TransferStatus, answer_id};

    /// Builds a valid journal the way the server does: signs, applies on a whole state, seals.
    struct Journal {
        state: State,
        entries: Vec<Entry>,
        admin: SecretKey,
        alice: SecretKey,
        bob: SecretKey,
    }

    fn handle(name: &str) -> Handle {
        Handle::parse(name).unwrap()
    }

    fn unit() -> UnitCode {
        UnitCode::parse("COMMUN").unwrap()
    }

    fn id(n: u128) -> RequestId {
        RequestId::from_uuid(uuid::Uuid::from_u128(n))
    }

    impl Journal {
        /// A genesis, a unit, and the accounts of alice and bob.
        fn new() -> Self {
            let node = SecretKey::from_seed([1; 32]);
            let mut journal = Journal {
                state: State::new(),
                entries: Vec::new(),
                admin: SecretKey::from_seed([2; 32]),
                alice: SecretKey::from_seed([3; 32]),
                bob: SecretKey::from_seed([4; 32]),
            };
            journal.push(
                Command::Genesis { admin_key: journal.admin.public_key(), node_key: node.public_key() },
                id(1),
                &node,
            );
            let create =
                Command::CreateUnit { code: unit(), scale: Scale::new(2).unwrap(), name: DisplayName::default() };
            journal.admin(create, id(2));
            for (name, key, n) in [("alice", journal.alice.public_key(), 3), ("bob", journal.bob.public_key(), 4)] {
                let open = Command::OpenAccount {
                    handle: handle(name),
                    unit: unit(),
                    kind: AccountKind::Member,
                    name: DisplayName::default(),
                    public_key: key,
                    credit_limit: Amount::from_minor(100_000).unwrap(),
                    ceiling: None,
                    soft_limit: None,
                };
                journal.admin(open, id(n));
            }
            journal
        }

        fn push(&mut self, command: Command, request: RequestId, key: &SecretKey) {
            let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(77));
            let signed = SignedCommand::sign(ledger_id, request, command, key);
            let seq = self.entries.len() as u64 + 1;
            let timestamp_ms = 1_000 + seq as i64;
            let applied = self.state.apply(&signed, timestamp_ms).unwrap();
            self.state.take_changes();
            let prev = self.entries.last().map_or(EntryHash::GENESIS_PREV, |entry| entry.hash);
            let kind = signed.command.entry_kind();
            let bytes = signed.signing_bytes();
            self.entries.push(Entry::seal(seq, timestamp_ms, kind, bytes, signed.signatures, applied.postings, prev));
        }

        fn admin(&mut self, command: Command, request: RequestId) {
            let admin = self.admin.clone();
            self.push(command, request, &admin);
        }

        fn pay(&mut self, request: RequestId, minor: i64) {
            let pay = Command::Pay {
                payer: handle("alice"),
                payee: handle("bob"),
                unit: unit(),
                amount: Amount::from_minor(minor).unwrap(),
                memo: Memo::default(),
            };
            let alice = self.alice.clone();
            self.push(pay, request, &alice);
        }

        fn set_status(&mut self, request: RequestId, status: AccountStatus) {
            let reason = Reason::parse("review").unwrap();
            self.admin(Command::SetStatus { handle: handle("bob"), status, reason }, request);
        }

        /// Appends a copy of entry `seq` (same command bytes, same signatures, same postings) with
        /// the next sequence number, linked and hashed as a tamperer would.
        fn copy_to_the_end(&mut self, seq: u64) {
            let original = self.entries[seq as usize - 1].clone();
            let last = self.entries.last().unwrap();
            let copy = Entry::seal(
                last.seq + 1,
                last.timestamp_ms + 1,
                original.kind,
                original.command_bytes,
                original.signatures,
                original.postings,
                last.hash,
            );
            self.entries.push(copy);
        }
    }

    fn replay(entries: &[Entry]) -> (Replayer, Result<(), ReplayError>) {
        let mut replayer = Replayer::new();
        let result = entries.iter().try_for_each(|entry| replayer.push(entry));
        (replayer, result)
    }

    #[test]
    fn a_copied_entry_is_caught_naming_both_entries() {
        // A freeze copied after the unfreeze would apply cleanly: only its request id gives it away.
        let mut journal = Journal::new();
        journal.set_status(id(10), AccountStatus::Frozen);
        journal.set_status(id(11), AccountStatus::Active);
        journal.pay(id(12), 250);
        let freeze = 5;
        journal.copy_to_the_end(freeze);
        let (_, result) = replay(&journal.entries);
        let error = result.unwrap_err();
        assert_eq!(error, ReplayError::RequestReused { seq: 8, id: id(10), first: freeze });
        assert_eq!(error.to_string(), format!("entry 8: request id {} was already used by entry 5", id(10)),);

        // A copied payment would move value twice.
        let mut journal = Journal::new();
        journal.pay(id(10), 250);
        journal.pay(id(11), 300);
        journal.copy_to_the_end(5);
        let (_, result) = replay(&journal.entries);
        assert_eq!(result, Err(ReplayError::RequestReused { seq: 7, id: id(10), first: 5 }));
    }

    #[test]
    fn a_copied_genesis_is_caught_by_its_request_id() {
        let mut journal = Journal::new();
        journal.copy_to_the_end(1);
        let (_, result) = replay(&journal.entries);
        assert_eq!(result, Err(ReplayError::RequestReused { seq: 5, id: id(1), first: 1 }));
    }

    #[test]
    fn accepted_requests_and_reversals_replay_with_their_transfers_from_the_archive() {
        let mut journal = Journal::new();
        journal.pay(id(10), 700);
        let ask = Command::RequestPayment {
            payee: handle("bob"),
            payer: handle("alice"),
            unit: unit(),
            amount: Amount::from_minor(400).unwrap(),
            memo: Memo::default(),
            lifetime_ms: 60_000,
        };
        let bob = journal.bob.clone();
        journal.push(ask.clone(), id(11), &bob);
        journal.push(ask, id(12), &bob);
        // Payments in between, so that the transfers answered below come from the archive.
        for n in 13..20 {
            journal.pay(id(n), 1);
        }
        let amount = Amount::from_minor(400).unwrap();
        let accept = Command::AcceptRequest {
            request: id(11),
            payer: handle("alice"),
            payee: handle("bob"),
            unit: unit(),
            amount,
        };
        let alice = journal.alice.clone();
        journal.push(accept, answer_id(id(11), Answer::Accept), &alice);
        let reject = Command::RejectRequest { request: id(12), payer: handle("alice") };
        journal.push(reject, answer_id(id(12), Answer::Reject), &alice);
        let refund = Command::Reverse {
            transfer: id(10),
            payer: handle("bob"),
            payee: handle("alice"),
            unit: unit(),
            amount: Amount::from_minor(700).unwrap(),
            reason: Reason::parse("refund").unwrap(),
        };
        journal.push(refund, id(20), &bob);

        let mut replayer = Replayer::new();
        for entry in &journal.entries {
            replayer.push(entry).unwrap();
            // Between entries the state holds only what the last one touched.
            assert!(replayer.state().transfers.len() <= 2, "entry {}", entry.seq);
        }
        let (mut state, mut replayed) = (replayer.state().clone(), State::clone(&journal.state));
        assert_eq!(state.accounts, replayed.accounts);
        for (id, transfer) in &journal.state.transfers {
            assert_eq!(replayer.transfer(*id).unwrap().as_ref(), Some(transfer), "transfer {id}");
        }
        assert_eq!(replayer.transfer(id(10)).unwrap().unwrap().reversed_by, Some(id(20)));
        assert_eq!(replayer.transfer(id(11)).unwrap().unwrap().status, TransferStatus::Committed);
        assert_eq!(replayer.transfer(id(12)).unwrap().unwrap().status, TransferStatus::Rejected);
        state.transfers.clear();
        replayed.transfers.clear();
        assert_eq!(state, replayed);
    }
}
