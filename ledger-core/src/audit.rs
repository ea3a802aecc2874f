//! The audit of a whole journal on every core, in memory bounded by the ledger's size (accounts,
//! keys, units), not by the journal's length: chunks travel through bounded channels, and what
//! grows with the journal (transfers, the request ids used) is the [`Replayer`]'s
//! [`crate::archive::Archive`], which a verifier keeps on disk (`ledgerctl audit verify` does).
//!
//! # Layout
//!
//! ```text
//! reader thread      items (lines of an export, pages of a stream) → chunks of `chunk_len`
//!   │ chunk k goes to worker k mod n (bounded channels)
//! n worker threads   parse, then what each entry proves alone: hash, conservation, decoding,
//!   │                kind, signatures in one batch per chunk (`replay::check_alone`,
//!   │                `entry_signatures`)
//! the caller's thread takes chunk k from worker k mod n, so in journal order: sequence, link to
//!                    the previous hash, request ids not used before, keys and roles at that
//!                    point, limits (`Replayer`), and the checkpoints it was given; then the
//!                    caller's `observe`
//! ```
//!
//! Since chunks come back in the order they went out, the first error in journal order is the
//! one reported, whichever thread found it; every thread stops once the caller returns.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::command::SignedCommand;
use crate::entry_signatures::SignatureChecker;
use crate::journal::Entry;
use crate::replay::{ReplayError, Replayer, check_alone, signature_refused};

/// One record of a journal export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A journal entry.
    Entry(Entry),
    /// A checkpoint the server signed.
    Checkpoint(Checkpoint),
}

/// How to spread the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Entries per chunk: per signature batch, and per message between threads.
    pub chunk_len: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        Self { threads, chunk_len: 1024 }
    }
}

/// Why an audit failed: the first thing wrong, in journal order.
#[derive(Debug, thiserror::Error)]
pub enum AuditError<E> {
    /// An item could not be read or parsed.
    #[error(transparent)]
    Read(E),
    /// An entry failed replay.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A checkpoint does not hold.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Chunks in flight per worker, each way: bounds memory whatever the journal's length.
const CHUNKS_QUEUED_MAX: usize = 2;

/// A record after the worker's checks.
#[expect(clippy::large_enum_variant, reason = "nearly every record is an entry; boxing would allocate per entry")]
enum Checked<E> {
    /// The entry, and its decoded command or why it failed on its own.
    Entry(Entry, Result<SignedCommand, ReplayError>),
    Checkpoint(Checkpoint),
    Unreadable(E),
}

/// Audits the journal `items` yields, in order, replaying it onto `replayer` (normally a new one)
/// and holding it to `held` (checkpoints kept outside the server) and to the checkpoints found
/// among the records. `parse` turns one item into a record on a worker thread. `observe` is
/// called on the caller's thread after each entry is replayed, in journal order, with the entry,
/// its command and the replayer just after it; what it sees is trusted only once the whole audit
/// succeeds, since a later entry or checkpoint may still fail. On success the replayer holds the
/// whole ledger's state and head, and the number of checkpoints checked against the chain is
/// returned.
pub fn audit<I, T, E, P, O>(
    items: I,
    parse: P,
    held: &[Checkpoint],
    replayer: &mut Replayer,
    options: AuditOptions,
    mut observe: O,
) -> Result<u64, AuditError<E>>
where
    I: Iterator<Item = T> + Send,
    T: Send,
    E: Send,
    P: Fn(T) -> Result<Record, E> + Sync,
    O: FnMut(&Entry, &SignedCommand, &Replayer),
{
    let threads = options.threads.max(1);
    let chunk_len = options.chunk_len.max(1);
    let mut checkpoints = Checkpoints::new(held);
    std::thread::scope(|scope| {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (work_tx, work_rx) = sync_channel::<Vec<T>>(CHUNKS_QUEUED_MAX);
            let (done_tx, done_rx) = sync_channel::<Vec<Checked<E>>>(CHUNKS_QUEUED_MAX);
            let parse = &parse;
            scope.spawn(move || work(work_rx, done_tx, parse));
            to_workers.push(work_tx);
            from_workers.push(done_rx);
        }
        scope.spawn(move || read(items, to_workers, chunk_len));
        // Returning drops the receivers, which stops the workers, which stops the reader.
        sequence(from_workers, replayer, &mut checkpoints, &mut observe)
    })?;
    checkpoints.finish(replayer)
}

/// Cuts the items into chunks and deals them to the workers in turn.
fn read<I: Iterator<Item = T>, T>(items: I, workers: Vec<SyncSender<Vec<T>>>, chunk_len: usize) {
    let mut items = items.peekable();
    for worker in workers.iter().cycle() {
        let chunk: Vec<T> = items.by_ref().take(chunk_len).collect();
        if chunk.is_empty() || worker.send(chunk).is_err() {
            return;
        }
        if items.peek().is_none() {
            return;
        }
    }
}

/// Parses and checks chunks until the reader or the caller hangs up.
fn work<T, E, P>(chunks: Receiver<Vec<T>>, done: SyncSender<Vec<Checked<E>>>, parse: &P)
where
    P: Fn(T) -> Result<Record, E>,
{
    let signatures = SignatureChecker::new();
    for chunk in chunks {
        let mut checked: Vec<Checked<E>> = chunk
            .into_iter()
            .map(|item| match parse(item) {
                Ok(Record::Entry(entry)) => {
                    let alone = check_alone(&entry);
                    Checked::Entry(entry, alone)
                }
                Ok(Record::Checkpoint(checkpoint)) => Checked::Checkpoint(checkpoint),
                Err(error) => Checked::Unreadable(error),
            })
            .collect();
        let passed: Vec<&Entry> = checked
            .iter()
            .filter_map(|record| match record {
                Checked::Entry(entry, Ok(_)) => Some(entry),
                _ => None,
            })
            .collect();
        let mut verdicts = signatures.check(&passed).into_iter();
        for record in &mut checked {
            if let Checked::Entry(entry, alone @ Ok(_)) = record
                && let Err(error) = verdicts.next().expect("one verdict per entry that passed alone")
            {
                *alone = Err(signature_refused(entry.seq, error));
            }
        }
        if done.send(checked).is_err() {
            return;
        }
    }
}

/// Takes the chunks back in the order they were dealt and replays them.
fn sequence<E>(
    workers: Vec<Receiver<Vec<Checked<E>>>>,
    replayer: &mut Replayer,
    checkpoints: &mut Checkpoints,
    observe: &mut dyn FnMut(&Entry, &SignedCommand, &Replayer),
) -> Result<(), AuditError<E>> {
    for worker in workers.iter().cycle() {
        // A worker hangs up only once the reader has no more chunks for it; the chunk order makes
        // the first worker without a chunk the end of the journal.
        let Ok(chunk) = worker.recv() else { return Ok(()) };
        for record in chunk {
            match record {
                Checked::Entry(entry, alone) => {
                    replayer.check_seq(&entry)?;
                    let signed = alone?;
                    replayer.push_checked(&entry, &signed)?;
                    checkpoints.reached(replayer)?;
                    observe(&entry, &signed, replayer);
                }
                Checked::Checkpoint(checkpoint) => checkpoints.add(checkpoint, replayer)?,
                Checked::Unreadable(error) => return Err(AuditError::Read(error)),
            }
        }
    }
    Ok(())
}

/// The checkpoints not yet reached, by sequence number.
struct Checkpoints {
    pending: BTreeMap<u64, Vec<Checkpoint>>,
    /// How many were checked against the chain.
    checked: u64,
}

impl Checkpoints {
    fn new(held: &[Checkpoint]) -> Self {
        let mut pending: BTreeMap<u64, Vec<Checkpoint>> = BTreeMap::new();
        for checkpoint in held {
            pending.entry(checkpoint.seq).or_default().push(*checkpoint);
        }
        Self { pending, checked: 0 }
    }

    /// A checkpoint met in the journal: checked at once if it is about the head, else kept for
    /// when its entry comes. One about an earlier entry cannot be checked without keeping every
    /// hash, so an export lists each checkpoint before the entry it vouches for.
    fn add<E>(&mut self, checkpoint: Checkpoint, replayer: &Replayer) -> Result<(), AuditError<E>> {
        let (head, _) = replayer.head();
        if checkpoint.seq < head {
            return Err(CheckpointError::Misplaced { seq: checkpoint.seq, head }.into());
        }
        self.pending.entry(checkpoint.seq).or_default().push(checkpoint);
        if checkpoint.seq == head {
            self.reached(replayer)?;
        }
        Ok(())
    }

    /// Checks the checkpoints of the entry just replayed.
    fn reached(&mut self, replayer: &Replayer) -> Result<(), CheckpointError> {
        let (seq, hash) = replayer.head();
        let Some(checkpoints) = self.pending.remove(&seq) else { return Ok(()) };
        for checkpoint in checkpoints {
            verify_signature(&checkpoint, replayer)?;
            if checkpoint.hash != hash {
                return Err(CheckpointError::HashDiffers { seq, found: hash, signed: checkpoint.hash });
            }
            self.checked += 1;
        }
        Ok(())
    }

    /// After the last entry: a valid checkpoint beyond it means the journal was cut short.
    fn finish<E>(self, replayer: &Replayer) -> Result<u64, AuditError<E>> {
        let (head, _) = replayer.head();
        match self.pending.into_values().flatten().next() {
            Some(checkpoint) => {
                verify_signature(&checkpoint, replayer)?;
                Err(CheckpointError::Truncated { seq: checkpoint.seq, head }.into())
            }
            None => Ok(self.checked),
        }
    }
}

/// Checks a checkpoint's signature under the node key and ledger the genesis entry named.
fn verify_signature(checkpoint: &Checkpoint, replayer: &Replayer) -> Result<(), CheckpointError> {
    let state = replayer.state();
    match (state.ledger_id, state.node_key) {
        (Some(ledger_id), Some(node_key)) => checkpoint.verify(ledger_id, node_key),
        // Nothing replayed yet: an empty journal below a checkpoint.
        _ => Err(CheckpointError::Truncated { seq: checkpoint.seq, head: 0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::{Amount, Scale};
    use crate::command::Command;
    use crate::journal::EntryHash;
    use crate::keys::SecretKey;
    use crate::names::{DisplayName, Handle, LedgerId, Memo, RequestId, UnitCode};
    use crate::state::State;

    const LEDGER: u128 = 77;

    /// A journal of a genesis, a unit, two accounts and `payments` payments, and the node key.
    fn journal(payments: usize) -> (Vec<Entry>, SecretKey) {
        let node = SecretKey::from_seed([1; 32]);
        let admin = SecretKey::from_seed([2; 32]);
        let alice = SecretKey::from_seed([3; 32]);
        let bob = SecretKey::from_seed([4; 32]);
        let unit = UnitCode::parse("COMMUN").unwrap();
        let open = |name: &str, key: &SecretKey| Command::OpenAccount {
            handle: Handle::parse(name).unwrap(),
            unit: unit.clone(),
            kind: crate::account::AccountKind::Member,
            name: DisplayName::default(),
            public_key: key.public_key(),
            credit_limit: Amount::from_minor(1_000_000).unwrap(),
            ceiling: None,
            soft_limit: None,
        };
        let mut commands = vec![
            (Command::Genesis { admin_key: admin.public_key(), node_key: node.public_key() }, node.clone()),
            (
                Command::CreateUnit { code: unit.clone(), scale: Scale::new(2).unwrap(), name: DisplayName::default() },
                admin.clone(),
            ),
            (open("alice", &alice), admin.clone()),
            (open("bob", &bob), admin.clone()),
        ];
        for i in 0..payments {
            let pay = Command::Pay {
                payer: Handle::parse("alice").unwrap(),
                payee: Handle::parse("bob").unwrap(),
                unit: unit.clone(),
                amount: Amount::from_minor(1 + i as i64).unwrap(),
                memo: Memo::default(),
            };
            commands.push((pay, alice.clone()));
        }
        let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(LEDGER));
        let mut state = State::new();
        let mut entries: Vec<Entry> = Vec::new();
        for (i, (command, key)) in commands.into_iter().enumerate() {
            let request = RequestId::from_uuid(uuid::Uuid::from_u128(i as u128 + 1));
            let signed = crate::command::SignedCommand::sign(ledger_id, request, command, &key);
            let applied = state.apply(&signed, 1_000 + i as i64).unwrap();
            let prev = entries.last().map_or(EntryHash::GENESIS_PREV, |e| e.hash);
            let kind = signed.command.entry_kind();
            entries.push(Entry::seal(
                i as u64 + 1,
                1_000 + i as i64,
                kind,
                signed.signing_bytes(),
                signed.signatures,
                applied.postings,
                prev,
            ));
        }
        (entries, node)
    }

    fn run(records: Vec<Record>, held: &[Checkpoint]) -> Result<u64, AuditError<()>> {
        let options = AuditOptions { threads: 2, chunk_len: 2 };
        audit(records.into_iter(), Ok, held, &mut Replayer::new(), options, |_, _, _| {})
    }

    fn checkpoint(entries: &[Entry], seq: u64, node: &SecretKey) -> Checkpoint {
        let entry = &entries[seq as usize - 1];
        Checkpoint::sign(LedgerId::from_uuid(uuid::Uuid::from_u128(LEDGER)), seq, entry.hash, 5, node)
    }

    #[test]
    fn the_observer_sees_every_entry_in_journal_order_with_the_state_after_it() {
        let (entries, _) = journal(9);
        let bob = Handle::parse("bob").unwrap();
        let mut seen = Vec::new();
        let options = AuditOptions { threads: 3, chunk_len: 2 };
        let records = entries.iter().cloned().map(Record::Entry);
        let mut replayer = Replayer::new();
        audit(records, Ok::<_, ()>, &[], &mut replayer, options, |entry, signed, after| {
            let touches_bob = crate::history::handles(after.last_changes(), after.state()).contains(&bob);
            let balance = after.state().accounts.get(&bob).map(|account| account.balance);
            seen.push((entry.seq, signed.command.entry_kind(), touches_bob, balance));
        })
        .unwrap();
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), (1..=entries.len() as u64).collect::<Vec<_>>());
        assert!(seen.iter().zip(&entries).all(|(s, entry)| s.1 == entry.kind));
        // Bob's history: his account opened, then every payment to him (1 + 2 + ... + 9 minor).
        assert_eq!(seen.iter().filter(|s| s.2).count(), 10);
        assert_eq!(seen.last().unwrap().3, Some(45));
    }

    #[test]
    fn checkpoints_in_the_journal_and_held_ones_are_checked_against_the_chain() {
        let (entries, node) = journal(6);
        let mut records: Vec<Record> = entries.iter().cloned().map(Record::Entry).collect();
        records.insert(5, Record::Checkpoint(checkpoint(&entries, 6, &node)));
        let held = [checkpoint(&entries, 10, &node), checkpoint(&entries, 3, &node)];
        assert_eq!(run(records, &held).unwrap(), 3);
    }

    #[test]
    fn a_cut_journal_a_forged_checkpoint_and_a_late_one_are_refused() {
        let (entries, node) = journal(6);
        let records = |n: usize| entries[..n].iter().cloned().map(Record::Entry).collect::<Vec<_>>();
        let held = [checkpoint(&entries, 9, &node)];
        let cut = run(records(7), &held).unwrap_err();
        assert!(matches!(cut, AuditError::Checkpoint(CheckpointError::Truncated { seq: 9, head: 7 })), "{cut:?}");

        let stranger = SecretKey::from_seed([9; 32]);
        let forged = run(records(10), &[checkpoint(&entries, 9, &stranger)]).unwrap_err();
        assert!(matches!(forged, AuditError::Checkpoint(CheckpointError::WrongSigner { seq: 9, .. })), "{forged:?}");

        let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(LEDGER));
        let elsewhere = Checkpoint::sign(ledger_id, 9, EntryHash([1; 32]), 5, &node);
        let moved = run(records(10), &[elsewhere]);
        assert!(matches!(moved, Err(AuditError::Checkpoint(CheckpointError::HashDiffers { seq: 9, .. }))));

        let mut late = records(10);
        late.push(Record::Checkpoint(checkpoint(&entries, 4, &node)));
        let late = run(late, &[]).unwrap_err();
        assert!(matches!(late, AuditError::Checkpoint(CheckpointError::Misplaced { seq: 4, head: 10 })), "{late:?}");
    }
}
