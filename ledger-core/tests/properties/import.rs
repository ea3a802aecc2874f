//! Property 5: an import is exactly its rows paid one after the other. For any rows (within or
//! past limits, to the same account, any order): when every row would pass as a payment, the
//! import leaves every balance where those payments would, posts each account's net change once,
//! and makes one committed transfer per row; otherwise it is refused naming the line of the first
//! row a payment would refuse, with that payment's refusal, and changes nothing. The journal of
//! an import replays.

use ledger_core::account::AccountKind;
use ledger_core::command::{Command, SignedCommand};
use ledger_core::import::{ImportRow, RowIds};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Memo};
use ledger_core::refusal::Refusal;
use ledger_core::replay::Replayer;
use ledger_core::state::State;
use ledger_core::transfer::{TransferKind, TransferStatus};
use proptest::prelude::*;

use crate::support::{amount, handle, ledger_id, request_id, scale, secret, unit_code};

/// Members and their credit limits in minor units; `d` also has a ceiling of 3,000.
const MEMBERS: [(&str, i64); 4] = [("a", 5_000), ("b", 1_000), ("c", 0), ("d", 10_000)];
/// The file line of the first row.
const FIRST_LINE: u32 = 7;

fn member_key(i: usize) -> &'static SecretKey {
    secret(10 + i as u8)
}

fn admin_key() -> &'static SecretKey {
    secret(2)
}

/// A ledger with the members, and the journal that made it.
struct Ledger {
    state: State,
    entries: Vec<Entry>,
    next_id: u128,
}

impl Ledger {
    fn new() -> Self {
        let mut ledger = Ledger { state: State::new(), entries: Vec::new(), next_id: 0 };
        let node = secret(1);
        ledger.apply(Command::Genesis { admin_key: admin_key().public_key(), node_key: node.public_key() }, node);
        let unit = Command::CreateUnit { code: unit_code("COMMUN"), scale: scale(2), name: DisplayName::default() };
        ledger.apply(unit, admin_key());
        for (i, (member, credit)) in MEMBERS.iter().enumerate() {
            let open = Command::OpenAccount {
                handle: handle(member),
                unit: unit_code("COMMUN"),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: member_key(i).public_key(),
                credit_limit: amount(*credit),
                ceiling: (*member == "d").then(|| amount(3_000)),
                soft_limit: None,
            };
            ledger.apply(open, admin_key());
        }
        ledger
    }

    fn signed(&mut self, command: Command, key: &SecretKey) -> SignedCommand {
        self.next_id += 1;
        SignedCommand::sign(ledger_id(7), request_id(self.next_id), command, key)
    }

    /// Applies a command that must pass, sealing its entry.
    fn apply(&mut self, command: Command, key: &SecretKey) {
        let signed = self.signed(command, key);
        self.try_apply(&signed).expect("set-up commands apply");
    }

    fn try_apply(&mut self, signed: &SignedCommand) -> Result<Vec<(String, i64)>, Refusal> {
        let timestamp_ms = 1_700_000_000_000 + self.next_id as i64;
        let applied = self.state.apply(signed, timestamp_ms)?;
        self.state.take_changes();
        let prev_hash = self.entries.last().map_or(EntryHash::GENESIS_PREV, |entry| entry.hash);
        let postings = applied.postings.iter().map(|p| (p.account.as_str().to_owned(), p.delta)).collect();
        self.entries.push(Entry::seal(
            self.entries.len() as u64 + 1,
            timestamp_ms,
            signed.command.entry_kind(),
            signed.signing_bytes(),
            signed.signatures.clone(),
            applied.postings,
            prev_hash,
        ));
        Ok(postings)
    }

    fn balances(&self) -> Vec<i64> {
        MEMBERS.iter().map(|(member, _)| self.state.accounts[&handle(member)].balance).collect()
    }
}

fn rows() -> impl Strategy<Value = Vec<(usize, usize, i64)>> {
    let member = 0..MEMBERS.len();
    let minor = prop_oneof![1..=1_500_i64, Just(1_000), Just(5_000), 2_000..=6_000_i64];
    proptest::collection::vec((member.clone(), member, minor), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn an_import_is_its_rows_paid_in_order(
        rows in rows(),
        row_ids in prop_oneof![Just(RowIds::Hashed), Just(RowIds::InTimeOrder)],
    ) {
        let mut ledger = Ledger::new();
        let import_rows: Vec<ImportRow> = rows
            .iter()
            .map(|&(from, to, minor)| ImportRow {
                payer: handle(MEMBERS[from].0),
                payee: handle(MEMBERS[to].0),
                amount: amount(minor),
                memo: Memo::default(),
            })
            .collect();

        // The same rows as payments, each signed by its payer, on a copy.
        let mut paid = Ledger { state: ledger.state.clone(), entries: Vec::new(), next_id: 1_000 };
        let mut first_refused = None;
        let mut net: Vec<(String, i64)> = Vec::new();
        for (index, row) in import_rows.iter().enumerate() {
            let pay = Command::Pay {
                payer: row.payer.clone(),
                payee: row.payee.clone(),
                unit: unit_code("COMMUN"),
                amount: row.amount,
                memo: Memo::default(),
            };
            let signed = paid.signed(pay, member_key(rows[index].0));
            match paid.try_apply(&signed) {
                Ok(postings) => {
                    for (account, delta) in postings {
                        match net.iter_mut().find(|(seen, _)| *seen == account) {
                            Some((_, sum)) => *sum += delta,
                            None => net.push((account, delta)),
                        }
                    }
                }
                Err(refusal) => {
                    first_refused = Some((index, refusal));
                    break;
                }
            }
        }

        let before = ledger.state.clone();
        let import = Command::ImportTransfers {
            unit: unit_code("COMMUN"),
            file_sha256: [9; 32],
            first_line: FIRST_LINE,
            rows: import_rows.clone(),
            row_ids,
        };
        let signed = ledger.signed(import, admin_key());
        match (ledger.try_apply(&signed), first_refused) {
            (Ok(postings), None) => {
                prop_assert_eq!(ledger.balances(), paid.balances());
                net.retain(|(_, delta)| *delta != 0);
                prop_assert_eq!(postings, net);
                let timestamp_ms = ledger.entries.last().expect("the import's entry").timestamp_ms;
                for (index, row) in import_rows.iter().enumerate() {
                    let transfer = &ledger.state.transfers[&row_ids.row_id(signed.request_id, index, timestamp_ms)];
                    prop_assert_eq!((transfer.kind, transfer.status), (TransferKind::Import, TransferStatus::Committed));
                    prop_assert_eq!((&transfer.payer, &transfer.payee, transfer.amount), (&row.payer, &row.payee, row.amount));
                }
                let mut replayer = Replayer::new();
                for entry in &ledger.entries {
                    replayer.push(entry).map_err(|error| TestCaseError::fail(error.to_string()))?;
                }
                prop_assert_eq!(replayer.state().accounts.clone(), ledger.state.accounts.clone());
                // Each tag replays with the row ids its entry was committed with.
                prop_assert_eq!(replayer.state().transfers.clone(), ledger.state.transfers.clone());
            }
            (Err(refusal), Some((index, expected))) => {
                let line = FIRST_LINE + index as u32;
                prop_assert_eq!(refusal, Refusal::ImportRow { line, refusal: Box::new(expected) });
                prop_assert!(ledger.state == before, "a refused import changed the state");
            }
            (result, expected) => {
                return Err(TestCaseError::fail(format!("import gave {result:?}, payments refused {expected:?}")));
            }
        }
    }
}
