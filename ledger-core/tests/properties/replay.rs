//! Property 2: the journal of a random run, sealed as the server's writer seals it, replays to
//! the live state; and tampering with any one entry makes replay fail at exactly that entry.

use ledger_core::audit::{AuditError, AuditOptions, Record, audit};
use ledger_core::command::EntryKind;
use ledger_core::journal::{Entry, EntryHash, JournalError, Posting};
use ledger_core::keys::Signature;
use ledger_core::replay::{ReplayError, Replayer};
use ledger_core::state::State;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::run::{ENTRY_TIMESTAMP_BASE_MS, Run, drive};
use crate::scenario::scenario;
use crate::support::{handle, public, unit_code};

/// Seals every accepted command of `run` into a hash chain, as `ledger-server`'s writer does.
fn journal(run: &Run) -> Vec<Entry> {
    let mut prev_hash = EntryHash::GENESIS_PREV;
    let mut entries = Vec::with_capacity(run.accepted.len());
    for (i, accepted) in run.accepted.iter().enumerate() {
        let seq = i as u64 + 1;
        let entry = Entry::seal(
            seq,
            ENTRY_TIMESTAMP_BASE_MS + seq as i64,
            accepted.signed.command.entry_kind(),
            accepted.signed.signing_bytes(),
            accepted.signed.signatures.clone(),
            accepted.applied.postings.clone(),
            prev_hash,
        );
        prev_hash = entry.hash;
        entries.push(entry);
    }
    entries
}

/// Pushes `entries` in order: the index of the first one refused and the error, if any.
fn replay(entries: &[Entry]) -> (Replayer, Option<(usize, ReplayError)>) {
    let mut replayer = Replayer::new();
    for (i, entry) in entries.iter().enumerate() {
        if let Err(error) = replayer.push(entry) {
            return (replayer, Some((i, error)));
        }
    }
    (replayer, None)
}

/// Audits `entries` on two threads in small chunks, so that chunk borders fall everywhere.
fn audit_parallel(entries: &[Entry]) -> (Replayer, Result<u64, AuditError<()>>) {
    let mut replayer = Replayer::new();
    let options = AuditOptions { threads: 2, chunk_len: 3 };
    let result =
        audit(entries.iter().cloned(), |entry| Ok(Record::Entry(entry)), &[], &mut replayer, options, |_, _, _| {});
    (replayer, result)
}

/// Whether the replay rebuilt `live`: its state, and every transfer from the replay's archive.
fn rebuilt_is(replayer: &mut Replayer, live: &State) -> bool {
    let transfers_agree =
        live.transfers.iter().all(|(id, transfer)| replayer.transfer(*id).is_ok_and(|t| t.as_ref() == Some(transfer)));
    let (mut rebuilt, mut live) = (replayer.state().clone(), live.clone());
    rebuilt.transfers.clear();
    live.transfers.clear();
    transfers_agree && rebuilt == live
}

/// The sequence number a replay error names.
fn failed_seq(error: &ReplayError) -> u64 {
    match error {
        ReplayError::Chain(
            JournalError::HashMismatch { seq }
            | JournalError::BrokenChain { seq }
            | JournalError::Unbalanced { seq, .. }
            | JournalError::TooManyPostings { seq, .. },
        ) => *seq,
        ReplayError::Chain(JournalError::Gap { expected, .. }) => *expected,
        ReplayError::Decode { seq, .. }
        | ReplayError::KindMismatch { seq, .. }
        | ReplayError::Refused { seq, .. }
        | ReplayError::PostingsMismatch { seq }
        | ReplayError::Invariant { seq, .. }
        | ReplayError::RequestReused { seq, .. }
        | ReplayError::Archive { seq, .. } => *seq,
    }
}

/// Recomputes the hash chain from entry `from` on, as someone rewriting the journal would, so
/// that only the checks beyond the chain can catch the change.
fn rechain(entries: &mut [Entry], from: usize) {
    for i in from..entries.len() {
        if i > 0 {
            entries[i].prev_hash = entries[i - 1].hash;
        }
        entries[i].hash = entries[i].compute_hash();
    }
}

const KINDS: [EntryKind; 8] = [
    EntryKind::Genesis,
    EntryKind::Unit,
    EntryKind::Account,
    EntryKind::Limits,
    EntryKind::Status,
    EntryKind::Role,
    EntryKind::Key,
    EntryKind::Payment,
];

/// One way of tampering with an entry. Returns the index of the first entry changed.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// Flip bits of a command byte, leaving the hashes as they were.
    CommandByte,
    /// Flip bits of a command byte and rewrite the hash chain.
    CommandByteRechained,
    /// Change a posting's delta (or add one), leaving the hashes.
    PostingDelta,
    /// Move value between the entry's postings (or add a balanced pair), keeping them
    /// balanced, and rewrite the chain.
    PostingsRechained,
    /// Drop an entry that is not the last.
    Drop,
    /// Swap an entry with the next one.
    Swap,
    /// Flip bits of a signature and rewrite the chain.
    SignatureRechained,
    /// Record another key as the signer and rewrite the chain.
    SignerRechained,
    /// Record another entry kind and rewrite the chain.
    KindRechained,
    /// Point `prev_hash` elsewhere and recompute the entry's own hash.
    PrevHash,
}

const TAMPERS: [Tamper; 10] = [
    Tamper::CommandByte,
    Tamper::CommandByteRechained,
    Tamper::PostingDelta,
    Tamper::PostingsRechained,
    Tamper::Drop,
    Tamper::Swap,
    Tamper::SignatureRechained,
    Tamper::SignerRechained,
    Tamper::KindRechained,
    Tamper::PrevHash,
];

/// Applies `tamper` at the entry `at` picks; `byte` and `bits` choose what changes. Returns the
/// index of the entry replay must fail at.
fn tamper(entries: &mut Vec<Entry>, tamper: Tamper, at: Index, byte: Index, bits: u8) -> usize {
    let n = entries.len();
    match tamper {
        Tamper::CommandByte | Tamper::CommandByteRechained => {
            let i = at.index(n);
            let bytes = &mut entries[i].command_bytes;
            let b = byte.index(bytes.len());
            bytes[b] ^= bits;
            if matches!(tamper, Tamper::CommandByteRechained) {
                rechain(entries, i);
            }
            i
        }
        Tamper::PostingDelta => {
            let i = at.index(n);
            let entry = &mut entries[i];
            match entry.postings.first_mut() {
                Some(posting) => posting.delta += i64::from(bits),
                None => entry.postings.push(Posting {
                    account: handle("m0"),
                    unit: unit_code("COMMUN"),
                    delta: i64::from(bits),
                }),
            }
            i
        }
        Tamper::PostingsRechained => {
            let i = at.index(n);
            let entry = &mut entries[i];
            if entry.postings.len() >= 2 {
                entry.postings[0].delta -= i64::from(bits);
                entry.postings[1].delta += i64::from(bits);
            } else {
                for (account, delta) in [("m0", -i64::from(bits)), ("m1", i64::from(bits))] {
                    entry.postings.push(Posting { account: handle(account), unit: unit_code("COMMUN"), delta });
                }
            }
            rechain(entries, i);
            i
        }
        Tamper::Drop => {
            let i = at.index(n - 1);
            entries.remove(i);
            i
        }
        Tamper::Swap => {
            let i = at.index(n - 1);
            entries.swap(i, i + 1);
            i
        }
        Tamper::SignatureRechained => {
            let i = at.index(n);
            let (key, signature) = entries[i].signatures[0];
            let mut bytes = *signature.as_bytes();
            bytes[byte.index(64)] ^= bits;
            let forged = Signature::from_bytes(&bytes).expect("64 bytes");
            entries[i].signatures[0] = (key, forged);
            rechain(entries, i);
            i
        }
        Tamper::SignerRechained => {
            let i = at.index(n);
            let (key, signature) = entries[i].signatures[0];
            let other = if key == public(3) { 4 } else { 3 };
            entries[i].signatures[0] = (public(other), signature);
            rechain(entries, i);
            i
        }
        Tamper::KindRechained => {
            let i = at.index(n);
            let kind = entries[i].kind;
            let others: Vec<EntryKind> = KINDS.into_iter().filter(|k| *k != kind).collect();
            entries[i].kind = others[byte.index(others.len())];
            rechain(entries, i);
            i
        }
        Tamper::PrevHash => {
            let i = at.index(n);
            entries[i].prev_hash.0[byte.index(32)] ^= bits;
            entries[i].hash = entries[i].compute_hash();
            i
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replaying_the_journal_rebuilds_the_live_state(scenario in scenario(30..=60)) {
        let run = drive(&scenario)?;
        let entries = journal(&run);
        let (mut replayer, failure) = replay(&entries);
        prop_assert!(failure.is_none(), "replay of an untouched journal failed: {failure:?}");
        prop_assert_eq!(replayer.entries(), entries.len() as u64);
        let last = entries.last().expect("the setup always commits");
        prop_assert_eq!(replayer.head(), (last.seq, last.hash));
        let rebuilt = replayer.state();
        prop_assert_eq!(rebuilt.ledger_id, run.state.ledger_id);
        prop_assert_eq!(&rebuilt.units, &run.state.units);
        prop_assert_eq!(&rebuilt.accounts, &run.state.accounts);
        prop_assert_eq!(&rebuilt.identities, &run.state.identities);
        prop_assert_eq!(&rebuilt.keys, &run.state.keys);
        prop_assert!(rebuilt_is(&mut replayer, &run.state), "rebuilt state differs from the live state");
        let (mut audited, result) = audit_parallel(&entries);
        prop_assert!(result.is_ok(), "parallel audit of an untouched journal failed: {result:?}");
        prop_assert!(rebuilt_is(&mut audited, &run.state), "the parallel audit rebuilt another state");
    }

    #[test]
    fn tampering_with_one_entry_fails_replay_at_that_entry(
        scenario in scenario(15..=40),
        picks in proptest::array::uniform10((any::<Index>(), any::<Index>(), 1..=255_u8)),
    ) {
        let run = drive(&scenario)?;
        let entries = journal(&run);
        for (kind, (at, byte, bits)) in TAMPERS.into_iter().zip(picks) {
            let mut tampered = entries.clone();
            let i = tamper(&mut tampered, kind, at, byte, bits);
            let (_, failure) = replay(&tampered);
            let Some((index, error)) = failure else {
                return Err(TestCaseError::fail(format!(
                    "{kind:?} at entry {} went unnoticed", i + 1
                )));
            };
            prop_assert_eq!(
                (index, failed_seq(&error)),
                (i, i as u64 + 1),
                "{:?} at entry {} failed as {:?}", kind, i + 1, error
            );
            match audit_parallel(&tampered).1 {
                Err(AuditError::Replay(parallel)) => prop_assert_eq!(parallel, error),
                other => return Err(TestCaseError::fail(format!("parallel audit of {kind:?} gave {other:?}"))),
            }
        }
    }
}
