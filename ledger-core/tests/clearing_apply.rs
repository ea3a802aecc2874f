//! Applying clearing runs in the state: a planned run applies in one entry and replays; every
//! tampered or stale run is refused with its reason and changes nothing.

use std::collections::HashMap;

use ledger_core::account::{AccountKind, AccountStatus};
use ledger_core::amount::{Amount, Scale};
use ledger_core::clearing::run::{RunPlan, plan, plan_with_credit};
use ledger_core::clearing::settlement::{CreditPosting, SET_OFFS_MAX, SetOffLine};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes, signing_bytes};
use ledger_core::invoice::{IMPORT_ROWS_MAX, ImportedInvoice, Invoice, imported_id};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Reason, Reference, RequestId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::replay::Replayer;
use ledger_core::state::{Applied, State};
use ledger_core::transfer::TransferKind;

fn h(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

fn commun() -> UnitCode {
    UnitCode::parse("COMMUN").unwrap()
}

fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap()
}

/// A ledger with unit COMMUN and members alice, bob, carol (credit limit 100.00, no ceiling),
/// whose entries are kept so the journal can be replayed.
struct Ledger {
    state: State,
    id: LedgerId,
    admin: SecretKey,
    alice: SecretKey,
    entries: Vec<Entry>,
    next: u128,
}

impl Ledger {
    fn new() -> Self {
        let node = SecretKey::from_seed([1; 32]);
        let mut ledger = Ledger {
            state: State::new(),
            id: LedgerId::from_uuid(uuid::Uuid::from_u128(7)),
            admin: SecretKey::from_seed([2; 32]),
            alice: SecretKey::from_seed([3; 32]),
            entries: Vec::new(),
            next: 0,
        };
        let genesis = Command::Genesis { admin_key: ledger.admin.public_key(), node_key: node.public_key() };
        ledger.apply(genesis, &node).unwrap();
        for code in ["COMMUN", "HOUR"] {
            let code = UnitCode::parse(code).unwrap();
            ledger
                .as_admin(Command::CreateUnit { code, scale: Scale::new(2).unwrap(), name: DisplayName::default() })
                .unwrap();
        }
        for (index, handle) in ["alice", "bob", "carol"].into_iter().enumerate() {
            let key = if handle == "alice" {
                ledger.alice.public_key()
            } else {
                SecretKey::from_seed([10 + index as u8; 32]).public_key()
            };
            ledger
                .as_admin(Command::OpenAccount {
                    handle: h(handle),
                    unit: commun(),
                    kind: AccountKind::Member,
                    name: DisplayName::default(),
                    public_key: key,
                    credit_limit: amount(10_000),
                    ceiling: None,
                    soft_limit: None,
                })
                .unwrap();
        }
        ledger
    }

    fn apply(&mut self, command: Command, key: &SecretKey) -> Result<Applied, Refusal> {
        self.next += 1;
        let request = RequestId::from_uuid(uuid::Uuid::from_u128(self.next));
        let signed = SignedCommand::sign(self.id, request, command, key);
        let timestamp_ms = 1_000 * self.next as i64;
        let applied = self.state.apply(&signed, timestamp_ms)?;
        self.state.take_changes();
        let prev = self.entries.last().map_or(EntryHash::GENESIS_PREV, |entry| entry.hash);
        let seq = self.entries.len() as u64 + 1;
        let kind = signed.command.entry_kind();
        let bytes = signed.signing_bytes();
        let postings = applied.postings.clone();
        self.entries.push(Entry::seal(seq, timestamp_ms, kind, bytes, signed.signatures, postings, prev));
        Ok(applied)
    }

    fn as_admin(&mut self, command: Command) -> Result<Applied, Refusal> {
        let admin = self.admin.clone();
        self.apply(command, &admin)
    }

    /// Imports accepted invoices `(external id, debtor, creditor, minor)`.
    fn invoices(&mut self, rows: &[(&str, &str, &str, i64)]) {
        let invoices = rows
            .iter()
            .map(|(external, debtor, creditor, minor)| ImportedInvoice {
                id: self.invoice_id(external),
                creditor: h(creditor),
                debtor: h(debtor),
                amount: amount(*minor),
                due: None,
                reference: Reference::default(),
            })
            .collect();
        self.as_admin(Command::ImportInvoices { unit: commun(), invoices }).unwrap();
    }

    fn invoice_id(&self, external: &str) -> RequestId {
        imported_id(self.id, external)
    }

    fn open_invoices(&self) -> Vec<Invoice> {
        self.state.invoices.values().cloned().collect()
    }

    fn remaining(&self, external: &str) -> i64 {
        self.state.invoices[&self.invoice_id(external)].remaining.minor()
    }

    fn balance(&self, handle: &str) -> i64 {
        self.state.accounts[&h(handle)].balance
    }

    /// Refusal expected; the state must not change.
    fn refused(&mut self, command: Command) -> Refusal {
        let before = self.state.clone();
        let refusal = self.as_admin(command).expect_err("refused");
        assert!(before == self.state, "refused with {refusal}, yet the state changed");
        refusal
    }

    fn replays(&self) {
        let mut replayer = Replayer::new();
        for entry in &self.entries {
            replayer.push(entry).unwrap();
        }
    }
}

/// The command a treasurer signs over a plan.
fn run_of(plan: &RunPlan) -> Command {
    Command::ClearingRun {
        unit: commun(),
        set_offs: plan.touched.iter().map(|s| SetOffLine { invoice: s.invoice, amount: amount(s.set_off) }).collect(),
        credit: plan.credit.clone(),
    }
}

fn set_offs(ledger: &Ledger, lines: &[(&str, i64)]) -> Vec<SetOffLine> {
    lines
        .iter()
        .map(|(external, minor)| SetOffLine { invoice: ledger.invoice_id(external), amount: amount(*minor) })
        .collect()
}

fn triangle() -> Ledger {
    let mut ledger = Ledger::new();
    ledger.invoices(&[("ab", "alice", "bob", 10_000), ("bc", "bob", "carol", 6_000), ("ca", "carol", "alice", 8_000)]);
    ledger
}

#[test]
fn a_planned_triangle_applies_in_one_entry_moves_no_balance_and_replays() {
    let mut ledger = triangle();
    let planned = plan(&ledger.open_invoices()).unwrap();
    assert_eq!(planned.set_off, 18_000);
    let applied = ledger.as_admin(run_of(&planned)).unwrap();
    assert!(applied.postings.is_empty(), "set-off alone moves no balance");
    assert_eq!((ledger.remaining("ab"), ledger.remaining("bc"), ledger.remaining("ca")), (4_000, 0, 2_000));
    assert_eq!((ledger.balance("alice"), ledger.balance("bob"), ledger.balance("carol")), (0, 0, 0));
    let run = RequestId::from_uuid(uuid::Uuid::from_u128(ledger.next));
    let record = &ledger.state.clearing_runs[&run];
    assert_eq!((record.signer.as_str(), record.set_off(), record.debt_before()), ("admin", 18_000, 24_000));
    ledger.replays();

    // The same set-offs again, under another request id: the invoices no longer have it.
    let refusal = ledger.refused(run_of(&planned));
    assert_eq!(refusal.reason(), "SET_OFF_EXCEEDS_REMAINING", "{refusal}");
    let again = Command::ClearingRun { unit: commun(), set_offs: set_offs(&ledger, &[("bc", 1)]), credit: vec![] };
    assert_eq!(ledger.refused(again).reason(), "INVOICE_NOT_OPEN");
}

#[test]
fn tampered_runs_are_refused_and_change_nothing() {
    let mut ledger = triangle();
    let too_much = set_offs(&ledger, &[("ab", 10_001), ("bc", 10_001), ("ca", 10_001)]);
    let refusal = ledger.refused(Command::ClearingRun { unit: commun(), set_offs: too_much, credit: vec![] });
    assert!(matches!(refusal, Refusal::SetOffTooLarge { .. }), "{refusal}");

    let one_side = set_offs(&ledger, &[("ab", 5_000)]);
    let refusal = ledger.refused(Command::ClearingRun { unit: commun(), set_offs: one_side, credit: vec![] });
    assert_eq!(refusal.reason(), "NET_POSITION_CHANGED", "{refusal}");

    let twice = set_offs(&ledger, &[("ab", 100), ("bc", 100), ("ca", 50), ("ca", 50)]);
    let refusal = ledger.refused(Command::ClearingRun { unit: commun(), set_offs: twice, credit: vec![] });
    assert_eq!(refusal.reason(), "DUPLICATE_SET_OFF");

    let cycle = set_offs(&ledger, &[("ab", 100), ("bc", 100), ("ca", 100)]);
    let hour = UnitCode::parse("HOUR").unwrap();
    let refusal = ledger.refused(Command::ClearingRun { unit: hour, set_offs: cycle.clone(), credit: vec![] });
    assert!(matches!(refusal, Refusal::InvoiceUnitMismatch { .. }), "{refusal}");

    let zero = set_offs(&ledger, &[("ab", 0)]);
    assert_eq!(
        ledger.refused(Command::ClearingRun { unit: commun(), set_offs: zero, credit: vec![] }).reason(),
        "INVALID_AMOUNT"
    );
    let none = Command::ClearingRun { unit: commun(), set_offs: vec![], credit: vec![] };
    assert_eq!(ledger.refused(none).reason(), "INVALID_CLEARING_SIZE");

    // Credit that does not balance, or that changes a net position, is refused too.
    let unbalanced = vec![CreditPosting { account: h("alice"), delta: -100 }];
    let run = Command::ClearingRun { unit: commun(), set_offs: cycle.clone(), credit: unbalanced };
    assert_eq!(ledger.refused(run).reason(), "CREDIT_NOT_BALANCED");
    let shifted =
        vec![CreditPosting { account: h("alice"), delta: -100 }, CreditPosting { account: h("bob"), delta: 100 }];
    let run = Command::ClearingRun { unit: commun(), set_offs: cycle.clone(), credit: shifted };
    assert_eq!(ledger.refused(run).reason(), "NET_POSITION_CHANGED");

    // Only a treasurer applies a run.
    let alice = ledger.alice.clone();
    let before = ledger.state.clone();
    let refusal =
        ledger.apply(Command::ClearingRun { unit: commun(), set_offs: cycle, credit: vec![] }, &alice).unwrap_err();
    assert!(matches!(refusal, Refusal::NotAuthorised(_)), "{refusal}");
    assert!(before == ledger.state);
}

#[test]
fn a_chain_clears_through_credit_within_limits_and_no_further() {
    let mut ledger = Ledger::new();
    // alice owes bob 500.00; she may go 100.00 below zero, so credit settles 100.00 of it.
    ledger.invoices(&[("ab", "alice", "bob", 50_000)]);
    assert_eq!(plan(&ledger.open_invoices()).unwrap().set_off, 0, "a chain does not clear without credit");
    let planned = plan_with_credit(&ledger.open_invoices(), &ledger.state.accounts).unwrap();
    assert_eq!(planned.set_off, 10_000);
    let credit: Vec<(&str, i64)> = planned.credit.iter().map(|c| (c.account.as_str(), c.delta)).collect();
    assert_eq!(credit, [("alice", -10_000), ("bob", 10_000)]);

    // Asking for more than her limit allows is refused, naming the limit.
    let greedy = Command::ClearingRun {
        unit: commun(),
        set_offs: set_offs(&ledger, &[("ab", 10_001)]),
        credit: vec![
            CreditPosting { account: h("alice"), delta: -10_001 },
            CreditPosting { account: h("bob"), delta: 10_001 },
        ],
    };
    assert_eq!(ledger.refused(greedy).reason(), "CREDIT_LIMIT_EXCEEDED");

    let applied = ledger.as_admin(run_of(&planned)).unwrap();
    assert_eq!(applied.postings.len(), 2);
    assert_eq!((ledger.balance("alice"), ledger.balance("bob"), ledger.remaining("ab")), (-10_000, 10_000, 40_000));
    let clearing: Vec<_> = ledger.state.transfers.values().filter(|t| t.kind == TransferKind::Clearing).collect();
    assert_eq!(clearing.len(), 1);
    assert_eq!((clearing[0].payer.as_str(), clearing[0].amount.minor()), ("alice", 10_000));

    // No headroom left: a second credit run moves nothing.
    let again = plan_with_credit(&ledger.open_invoices(), &ledger.state.accounts).unwrap();
    assert_eq!((again.set_off, again.credit.len()), (0, 0));
    ledger.replays();
}

#[test]
fn a_frozen_account_has_no_credit_headroom() {
    let mut ledger = Ledger::new();
    ledger.invoices(&[("ab", "alice", "bob", 5_000)]);
    let reason = Reason::parse("review").unwrap();
    ledger.as_admin(Command::SetStatus { handle: h("bob"), status: AccountStatus::Frozen, reason }).unwrap();
    let planned = plan_with_credit(&ledger.open_invoices(), &ledger.state.accounts).unwrap();
    assert_eq!(planned.set_off, 0, "bob may receive nothing while frozen");
    let forced = Command::ClearingRun {
        unit: commun(),
        set_offs: set_offs(&ledger, &[("ab", 1_000)]),
        credit: vec![
            CreditPosting { account: h("alice"), delta: -1_000 },
            CreditPosting { account: h("bob"), delta: 1_000 },
        ],
    };
    assert_eq!(ledger.refused(forced).reason(), "ACCOUNT_FROZEN");
    let empty: HashMap<Handle, ledger_core::account::Account> = HashMap::new();
    assert_eq!(plan_with_credit(&ledger.open_invoices(), &empty).unwrap().set_off, 0);
}

#[test]
fn a_run_at_the_bound_applies_in_one_entry_and_one_set_off_more_is_refused_changing_nothing() {
    let mut ledger = Ledger::new();
    // Pairs of equal invoices alice → bob and bob → alice, one pair more than a run may clear:
    // each pair clears whole and changes no net position.
    let pairs = SET_OFFS_MAX / 2 + 1;
    let rows: Vec<ImportedInvoice> = (0..2 * pairs)
        .map(|index| {
            let (debtor, creditor) = if index % 2 == 0 { ("alice", "bob") } else { ("bob", "alice") };
            ImportedInvoice {
                id: ledger.invoice_id(&format!("pair-{index}")),
                creditor: h(creditor),
                debtor: h(debtor),
                amount: amount(100 + (index / 2) as i64),
                due: None,
                reference: Reference::default(),
            }
        })
        .collect();
    for chunk in rows.chunks(IMPORT_ROWS_MAX) {
        ledger.as_admin(Command::ImportInvoices { unit: commun(), invoices: chunk.to_vec() }).unwrap();
    }
    let line = |row: &ImportedInvoice| SetOffLine { invoice: row.id, amount: row.amount };

    // One set-off more than the bound: refused for its size alone, before any line is read.
    let over = Command::ClearingRun {
        unit: commun(),
        set_offs: rows[..=SET_OFFS_MAX].iter().map(line).collect(),
        credit: vec![],
    };
    let bytes = signing_bytes(ledger.id, RequestId::from_uuid(uuid::Uuid::from_u128(u128::MAX)), &over);
    let error = decode_signing_bytes(&bytes).expect_err("a count over the bound does not decode");
    assert!(error.to_string().contains(&format!("{} set-offs (at most {SET_OFFS_MAX})", SET_OFFS_MAX + 1)), "{error}");
    let refusal = ledger.refused(over);
    assert!(
        matches!(refusal, Refusal::ClearingRunSize { count, max: SET_OFFS_MAX, .. } if count == SET_OFFS_MAX + 1),
        "{refusal}"
    );
    assert_eq!(refusal.reason(), "INVALID_CLEARING_SIZE");

    // Exactly the bound: one entry clears every pair but the last, which stays whole.
    let entries_before = ledger.entries.len();
    let at_bound = Command::ClearingRun {
        unit: commun(),
        set_offs: rows[..SET_OFFS_MAX].iter().map(line).collect(),
        credit: vec![],
    };
    let applied = ledger.as_admin(at_bound).unwrap();
    assert!(applied.postings.is_empty());
    assert_eq!(ledger.entries.len(), entries_before + 1);
    let run = RequestId::from_uuid(uuid::Uuid::from_u128(ledger.next));
    assert_eq!(ledger.state.clearing_runs[&run].set_offs.len(), SET_OFFS_MAX);
    assert!(rows[..SET_OFFS_MAX].iter().all(|row| ledger.state.invoices[&row.id].remaining.is_zero()));
    assert!(rows[SET_OFFS_MAX..].iter().all(|row| ledger.state.invoices[&row.id].remaining == row.amount));
    assert_eq!((ledger.balance("alice"), ledger.balance("bob")), (0, 0));
    ledger.replays();
}
