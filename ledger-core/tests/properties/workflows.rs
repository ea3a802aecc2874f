//! Property 4: payments, payment requests (accepted, rejected, expired) and reversals, in any
//! order and signed by anyone, keep the ledger whole. After every command: balances sum to zero
//! and stay within their limits; every balance is exactly what the committed transfers moved; a
//! refusal changes nothing; a request is accepted only by its payer, while pending and before its
//! expiry; a transfer is reversed at most once, and never a reversal. The journal of the run
//! replays to the live state, expiry decisions included.

use std::collections::HashMap;

use ledger_core::account::AccountKind;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, Memo, Reason, RequestId};
use ledger_core::replay::Replayer;
use ledger_core::state::State;
use ledger_core::transfer::{TransferKind, TransferStatus};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{amount, handle, ledger_id, request_id, scale, secret, unit_code};

/// Members, by index into [`MEMBERS`]; their keys are `secret(10 + i)`.
const MEMBERS: [&str; 3] = ["a", "b", "c"];
/// Each member's credit limit, in minor units.
const CREDIT_LIMIT: i64 = 5_000;
/// The first entry's timestamp.
const START_MS: i64 = 1_700_000_000_000;

/// Who signs a command about an existing transfer.
#[derive(Clone, Copy, Debug)]
enum Signer {
    Payer,
    Payee,
    Treasurer,
    Stranger,
}

#[derive(Clone, Debug)]
enum Op {
    Pay { from: usize, to: usize, minor: i64 },
    Request { payee: usize, payer: usize, minor: i64, lifetime_ms: i64 },
    Accept { pick: Index, by: Signer },
    Reject { pick: Index, by: Signer },
    Reverse { pick: Index, by: Signer },
    Wait { ms: i64 },
}

fn signer() -> impl Strategy<Value = Signer> {
    prop_oneof![4 => Just(Signer::Payer), 3 => Just(Signer::Payee), 2 => Just(Signer::Treasurer), 1 => Just(Signer::Stranger)]
}

fn op() -> impl Strategy<Value = Op> {
    let member = 0..MEMBERS.len();
    let minor = prop_oneof![1..=2_000_i64, Just(CREDIT_LIMIT), 4_000..=9_000_i64];
    prop_oneof![
        3 => (member.clone(), member.clone(), minor.clone()).prop_map(|(from, to, minor)| Op::Pay { from, to, minor }),
        4 => (member.clone(), member, minor, prop_oneof![Just(1_i64), 1..=50_i64, Just(0)])
            .prop_map(|(payee, payer, minor, lifetime_ms)| Op::Request { payee, payer, minor, lifetime_ms }),
        4 => (any::<Index>(), signer()).prop_map(|(pick, by)| Op::Accept { pick, by }),
        2 => (any::<Index>(), signer()).prop_map(|(pick, by)| Op::Reject { pick, by }),
        3 => (any::<Index>(), signer()).prop_map(|(pick, by)| Op::Reverse { pick, by }),
        1 => (1..=40_i64).prop_map(|ms| Op::Wait { ms }),
    ]
}

fn member_key(i: usize) -> &'static SecretKey {
    secret(10 + i as u8)
}

fn admin_key() -> &'static SecretKey {
    secret(2)
}

/// The ledger: its state, the clock, the entries sealed so far, and transfer ids in creation order.
struct Ledger {
    state: State,
    now_ms: i64,
    entries: Vec<Entry>,
    transfers: Vec<RequestId>,
    next_id: u128,
}

impl Ledger {
    fn new() -> Self {
        let mut ledger =
            Ledger { state: State::new(), now_ms: START_MS, entries: Vec::new(), transfers: Vec::new(), next_id: 0 };
        let node = secret(1);
        let genesis = Command::Genesis { admin_key: admin_key().public_key(), node_key: node.public_key() };
        ledger.apply(genesis, node).expect("genesis").expect("genesis applies");
        let unit = Command::CreateUnit { code: unit_code("COMMUN"), scale: scale(2), name: DisplayName::default() };
        ledger.apply(unit, admin_key()).expect("unit").expect("the unit is created");
        for (i, member) in MEMBERS.iter().enumerate() {
            let open = Command::OpenAccount {
                handle: handle(member),
                unit: unit_code("COMMUN"),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: member_key(i).public_key(),
                credit_limit: amount(CREDIT_LIMIT),
                ceiling: None,
                soft_limit: None,
            };
            ledger.apply(open, admin_key()).expect("account").expect("the account opens");
        }
        ledger
    }

    /// Applies at the clock's time, sealing an entry when accepted (its id) or checking that a
    /// refusal changed nothing (none); the clock moves 1 ms.
    fn apply(&mut self, command: Command, key: &SecretKey) -> Result<Option<RequestId>, TestCaseError> {
        self.next_id += 1;
        self.now_ms += 1;
        let id = request_id(self.next_id);
        let signed = SignedCommand::sign(ledger_id(7), id, command, key);
        let before = self.state.clone();
        match self.state.apply(&signed, self.now_ms) {
            Ok(applied) => {
                self.state.take_changes();
                let prev_hash = self.entries.last().map_or(EntryHash::GENESIS_PREV, |entry| entry.hash);
                self.entries.push(Entry::seal(
                    self.entries.len() as u64 + 1,
                    self.now_ms,
                    signed.command.entry_kind(),
                    signed.signing_bytes(),
                    signed.signatures.clone(),
                    applied.postings,
                    prev_hash,
                ));
                if self.state.transfers.contains_key(&id) {
                    self.transfers.push(id);
                }
                Ok(Some(id))
            }
            Err(refusal) => {
                prop_assert!(self.state == before, "the refused {signed:?} changed the state ({refusal})");
                prop_assert_eq!(self.state.take_changes(), Default::default());
                Ok(None)
            }
        }
    }

    fn key_for(&self, id: RequestId, by: Signer) -> &'static SecretKey {
        let transfer = &self.state.transfers[&id];
        let index = |h: &Handle| MEMBERS.iter().position(|m| *m == h.as_str()).expect("a member");
        let (payer, payee) = (index(&transfer.payer), index(&transfer.payee));
        match by {
            Signer::Payer => member_key(payer),
            Signer::Payee => member_key(payee),
            Signer::Treasurer => admin_key(),
            Signer::Stranger => member_key((0..MEMBERS.len()).find(|i| *i != payer && *i != payee).unwrap_or(payer)),
        }
    }

    /// Runs one op; checks what must hold of it whether it was accepted or refused.
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let picked = |pick: &Index, ids: &[RequestId]| (!ids.is_empty()).then(|| ids[pick.index(ids.len())]);
        match op {
            Op::Wait { ms } => self.now_ms += ms,
            Op::Pay { from, to, minor } => {
                let command = Command::Pay {
                    payer: handle(MEMBERS[*from]),
                    payee: handle(MEMBERS[*to]),
                    unit: unit_code("COMMUN"),
                    amount: amount(*minor),
                    memo: Memo::default(),
                };
                self.apply(command, member_key(*from))?;
            }
            Op::Request { payee, payer, minor, lifetime_ms } => {
                let command = Command::RequestPayment {
                    payee: handle(MEMBERS[*payee]),
                    payer: handle(MEMBERS[*payer]),
                    unit: unit_code("COMMUN"),
                    amount: amount(*minor),
                    memo: Memo::default(),
                    lifetime_ms: *lifetime_ms,
                };
                let created = self.apply(command, member_key(*payee))?;
                if let Some(id) = created {
                    let request = &self.state.transfers[&id];
                    prop_assert_eq!(request.status, TransferStatus::Pending);
                    prop_assert_eq!(request.expires_at_ms, Some(self.now_ms + lifetime_ms));
                }
                prop_assert_eq!(created.is_some(), *lifetime_ms > 0 && payer != payee, "request {:?}", op);
            }
            Op::Accept { pick, by } | Op::Reject { pick, by } => {
                let requests: Vec<RequestId> = self
                    .transfers
                    .iter()
                    .copied()
                    .filter(|id| self.state.transfers[id].kind == TransferKind::Request)
                    .collect();
                let Some(id) = picked(pick, &requests) else { return Ok(()) };
                let before = self.state.transfers[&id].clone();
                let key = self.key_for(id, *by);
                let accept = matches!(op, Op::Accept { .. });
                let command = if accept {
                    Command::AcceptRequest {
                        request: id,
                        payer: before.payer.clone(),
                        payee: before.payee.clone(),
                        unit: before.unit.clone(),
                        amount: before.amount,
                    }
                } else {
                    Command::RejectRequest { request: id, payer: before.payer.clone() }
                };
                let done = self.apply(command, key)?.is_some();
                let by_payer = key.public_key() == self.key_for(id, Signer::Payer).public_key();
                if done {
                    prop_assert!(by_payer, "answered by someone else than the payer: {op:?}");
                    prop_assert_eq!(before.status, TransferStatus::Pending);
                    let after = &self.state.transfers[&id];
                    if accept {
                        prop_assert!(!before.expired_at(self.now_ms), "accepted after expiry");
                        prop_assert_eq!(after.status, TransferStatus::Committed);
                    } else {
                        prop_assert_eq!(after.status, TransferStatus::Rejected);
                    }
                } else if by_payer && before.status == TransferStatus::Pending && !accept {
                    return Err(TestCaseError::fail(format!("the payer could not reject a pending request: {op:?}")));
                }
            }
            Op::Reverse { pick, by } => {
                let Some(id) = picked(pick, &self.transfers) else { return Ok(()) };
                let before = self.state.transfers[&id].clone();
                let command = Command::Reverse {
                    transfer: id,
                    payer: before.payee.clone(),
                    payee: before.payer.clone(),
                    unit: before.unit.clone(),
                    amount: before.amount,
                    reason: Reason::parse("correction").expect("valid"),
                };
                if let Some(reversal) = self.apply(command, self.key_for(id, *by))? {
                    prop_assert!(matches!(by, Signer::Payee | Signer::Treasurer), "reversed by {by:?}");
                    prop_assert_eq!(before.status, TransferStatus::Committed);
                    prop_assert!(before.kind != TransferKind::Reversal, "a reversal was reversed");
                    prop_assert_eq!(before.reversed_by, None, "reversed twice");
                    prop_assert_eq!(self.state.transfers[&id].reversed_by, Some(reversal));
                    prop_assert_eq!(self.state.transfers[&reversal].reverses, Some(id));
                }
            }
        }
        self.check()
    }

    /// Invariants, and every balance equal to what the committed transfers moved.
    fn check(&self) -> Result<(), TestCaseError> {
        self.state.check_invariants(true).map_err(TestCaseError::fail)?;
        let mut moved: HashMap<&str, i64> = HashMap::new();
        let mut reversals: HashMap<RequestId, usize> = HashMap::new();
        for transfer in self.state.transfers.values() {
            if transfer.status == TransferStatus::Committed {
                *moved.entry(transfer.payer.as_str()).or_default() -= transfer.amount.minor();
                *moved.entry(transfer.payee.as_str()).or_default() += transfer.amount.minor();
            }
            if let Some(original) = transfer.reverses {
                *reversals.entry(original).or_default() += 1;
            }
        }
        for member in MEMBERS {
            let balance = self.state.accounts[&handle(member)].balance;
            prop_assert_eq!(balance, moved.get(member).copied().unwrap_or(0), "balance of {}", member);
        }
        prop_assert!(reversals.values().all(|count| *count == 1), "a transfer reversed more than once");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn requests_and_reversals_keep_the_ledger_whole(ops in proptest::collection::vec(op(), 1..60)) {
        let mut ledger = Ledger::new();
        for op in &ops {
            ledger.step(op)?;
        }
        let mut replayer = Replayer::new();
        for entry in &ledger.entries {
            replayer.push(entry).map_err(|error| TestCaseError::fail(error.to_string()))?;
        }
        // The replay keeps transfers in its archive: compare them there, the rest in the state.
        for (id, transfer) in &ledger.state.transfers {
            let replayed = replayer.transfer(*id).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert!(replayed.as_ref() == Some(transfer), "transfer {} does not replay", id);
        }
        let (mut replayed, mut live) = (replayer.state().clone(), ledger.state.clone());
        replayed.transfers.clear();
        live.transfers.clear();
        prop_assert!(replayed == live, "the journal does not replay to the live state");
    }
}
