//! The store contract: what every storage backend must do, written as functions over
//! `Arc<dyn Store>` so every backend runs the very same ones: `contract!` makes each a test on a
//! fresh SQLite file and a test on a fresh PostgreSQL database (created from
//! `LEDGER_TEST_POSTGRES_URL` and dropped at the end; skipped, saying so, when it is unset).
//!
//! Entries are built with ledger-core exactly as the writer builds them (sign, load, apply, seal,
//! append, commit), and a whole-ledger [`State`] applied in step serves as the model the store is
//! compared with.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ledger_core::account::{Account, AccountKind, Role, RoleSet};
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{
    Agreement, BasisPoints, Category, Commons, CommonsKind, CommonsName, DeclarationStatus, Description,
    DistributionStatus, Note, Period, Quantity, Quorum, Rule, RuleBook, RuleTerms, RulesOfUse, Stewards, Weight,
    levy_id, lines_digest,
};
use ledger_core::checkpoint::Checkpoint;
use ledger_core::command::{Command, References, SignedCommand, admin_handle};
use ledger_core::invoice::{ImportedInvoice, InvoiceStatus, imported_id};
use ledger_core::journal::{Entry, EntryHash};
use ledger_core::keys::SecretKey;
use ledger_core::names::Reference;
use ledger_core::names::{
    DeclarationId, DisplayName, DistributionId, Handle, LedgerId, Memo, RequestId, RuleId, UnitCode,
};
use ledger_core::state::{Changes, State};
use ledger_core::transfer::TransferKind;
use ledger_server::store::postgres::PostgresStore;
use ledger_server::store::sqlite::SqliteStore;
use ledger_server::store::{
    DeclarationFilter, HistoryFilter, InvoiceFilter, LedgerMeta, PendingEntry, Store, StoreError, StoreOptions,
};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tempfile::TempDir;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// A small ledger driven like the writer drives the store.

/// What happens to a batch's transaction at the end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Commit,
    /// Dropped without commit: must write nothing.
    Drop,
}

struct Ledger {
    ledger_id: LedgerId,
    node: SecretKey,
    admin: SecretKey,
    alice: SecretKey,
    bob: SecretKey,
    /// The whole ledger, applied in step with what the store committed.
    model: State,
    /// Every committed entry, in order.
    entries: Vec<Entry>,
    /// Request ids of committed entries, parallel to `entries`.
    requests: Vec<RequestId>,
    next_request: u128,
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).expect("a valid handle")
}

fn commun() -> UnitCode {
    UnitCode::parse("COMMUN").expect("a valid unit code")
}

fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).expect("an amount in range")
}

const TIMESTAMP_MS: i64 = 1_750_000_000_000;

impl Ledger {
    fn new() -> Self {
        Self {
            ledger_id: LedgerId::from_uuid(Uuid::new_v4()),
            node: SecretKey::from_seed([1; 32]),
            admin: SecretKey::from_seed([2; 32]),
            alice: SecretKey::from_seed([3; 32]),
            bob: SecretKey::from_seed([4; 32]),
            model: State::new(),
            entries: Vec::new(),
            requests: Vec::new(),
            next_request: 1,
        }
    }

    fn sign(&mut self, command: Command, key: &SecretKey) -> SignedCommand {
        let request_id = RequestId::from_uuid(Uuid::from_u128(self.next_request));
        self.next_request += 1;
        SignedCommand::sign(self.ledger_id, request_id, command, key)
    }

    fn genesis(&mut self) -> SignedCommand {
        let command = Command::Genesis { admin_key: self.admin.public_key(), node_key: self.node.public_key() };
        let node = self.node.clone();
        self.sign(command, &node)
    }

    fn create_unit(&mut self) -> SignedCommand {
        let command = Command::CreateUnit {
            code: commun(),
            scale: Scale::new(2).expect("a valid scale"),
            name: DisplayName::parse("Commun").expect("a valid name"),
        };
        let admin = self.admin.clone();
        self.sign(command, &admin)
    }

    fn open_account(&mut self, name: &str, key: &SecretKey, credit_limit: i64) -> SignedCommand {
        let command = Command::OpenAccount {
            handle: handle(name),
            unit: commun(),
            kind: AccountKind::Member,
            name: DisplayName::parse(name).expect("a valid name"),
            public_key: key.public_key(),
            credit_limit: amount(credit_limit),
            ceiling: Some(amount(1_000_000)),
            soft_limit: Some(amount(credit_limit / 2)),
        };
        let admin = self.admin.clone();
        self.sign(command, &admin)
    }

    fn pay(&mut self, payer: &str, payee: &str, minor: i64, signer: &SecretKey) -> SignedCommand {
        let command = Command::Pay {
            payer: handle(payer),
            payee: handle(payee),
            unit: commun(),
            amount: amount(minor),
            memo: Memo::parse("bread").expect("a valid memo"),
        };
        self.sign(command, signer)
    }

    /// Genesis; the COMMUN unit; alice and bob opened in one batch; alice pays bob 25.00.
    /// Entries 1 to 5.
    async fn populate(store: &dyn Store) -> Self {
        let mut ledger = Ledger::new();
        let genesis = ledger.genesis();
        ledger.batch(store, vec![genesis], Outcome::Commit).await;
        let unit = ledger.create_unit();
        ledger.batch(store, vec![unit], Outcome::Commit).await;
        let (alice, bob) = (ledger.alice.clone(), ledger.bob.clone());
        let open_alice = ledger.open_account("alice", &alice, 10_000);
        let open_bob = ledger.open_account("bob", &bob, 0);
        ledger.batch(store, vec![open_alice, open_bob], Outcome::Commit).await;
        let pay = ledger.pay("alice", "bob", 2_500, &alice);
        ledger.batch(store, vec![pay], Outcome::Commit).await;
        ledger
    }

    /// Runs one batch as the writer does: loads what each command needs into a partial state,
    /// applies, seals, appends, then commits or drops. Every command must be accepted.
    async fn batch(&mut self, store: &dyn Store, commands: Vec<SignedCommand>, outcome: Outcome) -> Vec<Entry> {
        let mut tx = store.begin().await.expect("begin");
        let (mut seq, mut prev_hash) = tx.head().await.expect("head");
        let mut state = match store.meta().await.expect("meta") {
            Some(meta) => State::for_ledger(meta.ledger_id, meta.node_key),
            None => State::new(),
        };
        let mut model = self.model.clone();
        let mut pending = Vec::new();
        let mut all_changes = Changes::default();
        for signed in &commands {
            assert_eq!(tx.find_request(signed.request_id).await.expect("find request"), None);
            let timestamp_ms = TIMESTAMP_MS + seq as i64 + 1;
            let mut refs = signed.references(timestamp_ms);
            refs.keys.extend(signed.signers().copied());
            tx.load(&mut state, &refs).await.expect("load");
            let applied = state.apply(signed, timestamp_ms).expect("the store loaded everything the command needs");
            model.apply(signed, timestamp_ms).expect("the model accepts it too");
            model.take_changes();
            let changes = state.take_changes();
            let touched = changes.accounts.iter().chain(&changes.identities).cloned().collect();
            let balances_after =
                applied.postings.iter().map(|posting| state.accounts[&posting.account].balance).collect();
            seq += 1;
            let entry = Entry::seal(
                seq,
                TIMESTAMP_MS + seq as i64,
                signed.command.entry_kind(),
                signed.signing_bytes(),
                signed.signatures.clone(),
                applied.postings,
                prev_hash,
            );
            prev_hash = entry.hash;
            all_changes.merge(changes);
            pending.push(PendingEntry { entry, request_id: signed.request_id, touched, balances_after });
        }
        tx.append(&pending, &state, &all_changes).await.expect("append");
        let entries: Vec<Entry> = pending.iter().map(|p| p.entry.clone()).collect();
        match outcome {
            Outcome::Commit => {
                tx.commit().await.expect("commit");
                self.model = model;
                self.entries.extend(entries.iter().cloned());
                self.requests.extend(pending.iter().map(|p| p.request_id));
            }
            Outcome::Drop => drop(tx),
        }
        entries
    }
}

/// Everything a store shows of a ledger, to compare two views of it.
async fn snapshot(store: &dyn Store) -> (Option<LedgerMeta>, Vec<Entry>, (u64, Vec<Account>)) {
    let meta = store.meta().await.expect("meta");
    let entries = store.entries(1, 1_000).await.expect("entries");
    let balances = store.balances(None).await.expect("balances");
    (meta, entries, balances)
}

// ---------------------------------------------------------------------------------------------
// The contract, one function per behaviour.

/// Before genesis there is no meta and an empty head; after it, meta names the ledger and head.
pub async fn genesis_sets_meta_and_head(store: Arc<dyn Store>) {
    assert_eq!(store.meta().await.expect("meta"), None);
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.head().await.expect("head"), (0, EntryHash::GENESIS_PREV));
    drop(tx);
    assert_eq!(store.entries(1, 10).await.expect("entries"), Vec::<Entry>::new());

    let ledger = Ledger::populate(store.as_ref()).await;
    let meta = store.meta().await.expect("meta").expect("meta after genesis");
    let last = ledger.entries.last().expect("entries");
    assert_eq!(meta.ledger_id, ledger.ledger_id);
    assert_eq!(meta.node_key, ledger.node.public_key());
    assert_eq!((meta.head_seq, meta.head_hash), (5, last.hash));
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.head().await.expect("head"), (5, last.hash));
}

/// `load` into an empty state reproduces the model: accounts, identities, keys and units; what
/// does not exist stays absent.
pub async fn load_reproduces_the_state(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    let model = &ledger.model;
    let ghost = handle("ghost");
    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References {
        handles: vec![admin_handle(), handle("alice"), handle("bob"), handle("fund-commun"), ghost.clone()],
        units: vec![commun(), UnitCode::parse("NOPE").expect("a valid code")],
        keys: vec![SecretKey::from_seed([9; 32]).public_key()],
        transfers: model.transfers.keys().copied().chain([RequestId::from_uuid(Uuid::from_u128(404))]).collect(),
        invoices: Vec::new(),
        ..References::default()
    };
    let mut tx = store.begin().await.expect("begin");
    tx.load(&mut state, &refs).await.expect("load");
    assert_eq!(state.accounts, model.accounts);
    assert_eq!(state.identities, model.identities);
    assert_eq!(state.keys, model.keys);
    assert!(!model.transfers.is_empty(), "the contract ledger has transfers");
    assert_eq!(state.transfers, model.transfers);
    for (id, transfer) in &model.transfers {
        assert_eq!(store.transfer(*id).await.expect("transfer").as_ref(), Some(transfer));
    }
    assert_eq!(state.units, model.units);
    assert!(!state.accounts.contains_key(&ghost) && !state.identities.contains_key(&ghost));
    assert_eq!(state.check_invariants(true), Ok(()));
}

/// A key brings its owner record and the owner's identity (not its account); an account brings
/// its unit; nothing `state` holds is overwritten.
pub async fn load_follows_references(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    let alice = handle("alice");
    let mut tx = store.begin().await.expect("begin");

    let mut by_key = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { keys: vec![ledger.alice.public_key()], ..References::default() };
    tx.load(&mut by_key, &refs).await.expect("load");
    assert_eq!(by_key.keys.get(&ledger.alice.public_key()), ledger.model.keys.get(&ledger.alice.public_key()));
    assert_eq!(by_key.identities.get(&alice), ledger.model.identities.get(&alice));
    assert!(by_key.accounts.is_empty() && by_key.units.is_empty());

    let mut by_handle = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { handles: vec![handle("bob")], ..References::default() };
    tx.load(&mut by_handle, &refs).await.expect("load");
    assert_eq!(by_handle.units.get(&commun()), ledger.model.units.get(&commun()));
    assert_eq!(by_handle.keys.get(&ledger.bob.public_key()), ledger.model.keys.get(&ledger.bob.public_key()));

    let mut changed = ledger.model.clone();
    changed.accounts.get_mut(&alice).expect("alice").balance = 42;
    changed.identities.get_mut(&alice).expect("alice").roles = RoleSet::default().with(Role::Auditor);
    let before = changed.clone();
    let refs = References {
        handles: vec![alice.clone()],
        units: vec![commun()],
        keys: vec![ledger.alice.public_key()],
        transfers: Vec::new(),
        invoices: Vec::new(),
        ..References::default()
    };
    tx.load(&mut changed, &refs).await.expect("load");
    assert_eq!(changed, before, "load must not overwrite what the state holds");
}

/// Invoices: created in the same batch as the entries that made them, loaded back by id (an
/// unknown id stays absent), changed by a later batch, and listed by unit, status and party in
/// id order, page by page.
pub async fn invoices_are_written_loaded_and_listed(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (alice, bob) = (ledger.alice.clone(), ledger.bob.clone());
    let issue = Command::IssueInvoice {
        creditor: handle("alice"),
        debtor: handle("bob"),
        unit: commun(),
        amount: amount(1_250),
        due: Some(ledger_core::date::Date::parse("2026-12-31").expect("a date")),
        reference: Reference::parse("INV-7").expect("a reference"),
    };
    let issue = ledger.sign(issue, &alice);
    let issued = issue.request_id;
    let rows: Vec<ImportedInvoice> = (0..3)
        .map(|i| ImportedInvoice {
            id: imported_id(ledger.ledger_id, &format!("OLD-{i}")),
            creditor: handle(if i == 1 { "bob" } else { "alice" }),
            debtor: handle(if i == 1 { "alice" } else { "bob" }),
            amount: amount(100 * (i + 1)),
            due: None,
            reference: Reference::default(),
        })
        .collect();
    let admin = ledger.admin.clone();
    let import = ledger.sign(Command::ImportInvoices { unit: commun(), invoices: rows.clone() }, &admin);
    ledger.batch(store.as_ref(), vec![issue, import], Outcome::Commit).await;
    let accept = Command::AcceptInvoice {
        invoice: issued,
        debtor: handle("bob"),
        creditor: handle("alice"),
        unit: commun(),
        amount: amount(1_250),
    };
    let accept = ledger.sign(accept, &bob);
    ledger.batch(store.as_ref(), vec![accept], Outcome::Commit).await;

    let model = &ledger.model;
    assert_eq!(model.invoices.len(), 4);
    assert_eq!(model.invoices[&issued].status, InvoiceStatus::Accepted);
    let ghost = RequestId::from_uuid(Uuid::from_u128(404));
    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs =
        References { invoices: model.invoices.keys().copied().chain([ghost]).collect(), ..References::default() };
    let mut tx = store.begin().await.expect("begin");
    tx.load(&mut state, &refs).await.expect("load");
    drop(tx);
    assert_eq!(state.invoices, model.invoices);
    for (id, invoice) in &model.invoices {
        assert_eq!(store.invoice(*id).await.expect("invoice").as_ref(), Some(invoice));
    }
    assert_eq!(store.invoice(ghost).await.expect("invoice"), None);

    let mut by_id: Vec<RequestId> = model.invoices.keys().copied().collect();
    by_id.sort_unstable();
    let ids = |invoices: Vec<ledger_core::invoice::Invoice>| invoices.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let all = InvoiceFilter::default();
    assert_eq!(ids(store.invoices(&all, None, 100).await.expect("list")), by_id);
    // Page by page: two, then the rest after the last id seen.
    let first = ids(store.invoices(&all, None, 2).await.expect("list"));
    let rest = ids(store.invoices(&all, Some(first[1]), 100).await.expect("list"));
    assert_eq!([first, rest].concat(), by_id);
    // Bob is creditor of one imported invoice only; every invoice involves alice.
    let bob_creditor = rows[1].id;
    let as_party = |party: &str| InvoiceFilter { party: Some(handle(party)), ..InvoiceFilter::default() };
    assert_eq!(ids(store.invoices(&as_party("alice"), None, 100).await.expect("list")), by_id);
    assert_eq!(ids(store.invoices(&as_party("fund-commun"), None, 100).await.expect("list")), Vec::new());
    let issued_only = InvoiceFilter { status: Some(InvoiceStatus::Issued), ..InvoiceFilter::default() };
    assert_eq!(ids(store.invoices(&issued_only, None, 100).await.expect("list")), Vec::new());
    let accepted_in_commun =
        InvoiceFilter { unit: Some(commun()), status: Some(InvoiceStatus::Accepted), party: Some(handle("bob")) };
    assert_eq!(ids(store.invoices(&accepted_in_commun, None, 100).await.expect("list")), by_id);
    let other_unit = InvoiceFilter { unit: Some(UnitCode::parse("HOUR").expect("a code")), ..InvoiceFilter::default() };
    assert_eq!(ids(store.invoices(&other_unit, None, 100).await.expect("list")), Vec::new());
    assert!(by_id.contains(&bob_creditor));
}

/// Clearing runs: written after their entry in the same batch (here the second entry of it),
/// read back by id with set-offs and credit postings in the signed order; the invoices and
/// balances they changed are written back too; an unknown run is absent.
pub async fn clearing_runs_round_trip(store: Arc<dyn Store>) {
    use ledger_core::clearing::settlement::{CreditPosting, SetOffLine};
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (alice, admin) = (ledger.alice.clone(), ledger.admin.clone());
    let rows: Vec<ImportedInvoice> = [("ab", "bob", "alice", 30_000), ("ba", "alice", "bob", 20_000)]
        .into_iter()
        .map(|(external, creditor, debtor, minor)| ImportedInvoice {
            id: imported_id(ledger.ledger_id, external),
            creditor: handle(creditor),
            debtor: handle(debtor),
            amount: amount(minor),
            due: None,
            reference: Reference::default(),
        })
        .collect();
    let import = ledger.sign(Command::ImportInvoices { unit: commun(), invoices: rows.clone() }, &admin);
    ledger.batch(store.as_ref(), vec![import], Outcome::Commit).await;
    // Alice owes bob 300.00 and is owed 200.00: 200.00 sets off, and 50.00 more of her debt is
    // paid through her mutual credit.
    let run = Command::ClearingRun {
        unit: commun(),
        set_offs: vec![
            SetOffLine { invoice: rows[0].id, amount: amount(25_000) },
            SetOffLine { invoice: rows[1].id, amount: amount(20_000) },
        ],
        credit: vec![
            CreditPosting { account: handle("alice"), delta: -5_000 },
            CreditPosting { account: handle("bob"), delta: 5_000 },
        ],
    };
    let pay = ledger.pay("alice", "bob", 100, &alice);
    let run = ledger.sign(run, &admin);
    let run_id = run.request_id;
    let entries = ledger.batch(store.as_ref(), vec![pay, run], Outcome::Commit).await;

    let stored = store.clearing_run(run_id).await.expect("read").expect("the run is stored");
    assert_eq!(stored.seq, entries[1].seq);
    assert_eq!(&stored.run, &ledger.model.clearing_runs[&run_id]);
    assert_eq!(stored.run.credit[0].balance_before, -2_600, "after the payment earlier in the batch");
    assert_eq!(store.clearing_run(RequestId::from_uuid(Uuid::from_u128(404))).await.expect("read"), None);
    for row in &rows {
        assert_eq!(store.invoice(row.id).await.expect("invoice").as_ref(), ledger.model.invoices.get(&row.id));
    }
    assert_eq!(store.invoice(rows[1].id).await.expect("invoice").expect("stored").remaining, amount(0));
    let alice_account = store.account(&handle("alice")).await.expect("account").expect("stored");
    assert_eq!(alice_account.balance, -7_600);
}

/// Single reads: key owners with roles, identities, units and accounts, with paging.
pub async fn reads_the_directory(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    let model = &ledger.model;
    let (admin, alice) = (admin_handle(), handle("alice"));

    let (owner, roles) = store.key_owner(&ledger.admin.public_key()).await.expect("key owner").expect("admin key");
    assert_eq!(owner, model.keys[&ledger.admin.public_key()]);
    assert_eq!(roles, model.identities[&admin].roles);
    assert!(roles.has(Role::Admin) && roles.has(Role::Treasurer));
    assert_eq!(store.key_owner(&SecretKey::from_seed([9; 32]).public_key()).await.expect("key owner"), None);
    assert_eq!(store.identity(&alice).await.expect("identity").as_ref(), model.identities.get(&alice));
    assert_eq!(store.identity(&handle("ghost")).await.expect("identity"), None);
    assert_eq!(store.unit(&commun()).await.expect("unit").as_ref(), model.units.get(&commun()));
    assert_eq!(store.units(None, 10).await.expect("units"), vec![model.units[&commun()].clone()]);
    assert_eq!(store.units(Some(&commun()), 10).await.expect("units"), vec![]);
    assert_eq!(store.account(&alice).await.expect("account").as_ref(), model.accounts.get(&alice));
    assert_eq!(store.account(&admin).await.expect("account"), None, "admin has no account");

    let page = store.accounts(None, 2).await.expect("accounts");
    let names: Vec<&str> = page.iter().map(|a| a.handle.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    let rest = store.accounts(Some(&page[1].handle), 10).await.expect("accounts");
    assert_eq!(rest, vec![model.accounts[&handle("fund-commun")].clone()]);
}

/// Balances come with the head they reflect, ordered by unit then handle, and sum to zero.
pub async fn balances_sum_to_zero(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    let (head, accounts) = store.balances(None).await.expect("balances");
    assert_eq!(head, 5);
    let names: Vec<&str> = accounts.iter().map(|a| a.handle.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "fund-commun"]);
    assert_eq!(accounts.iter().map(|a| i128::from(a.balance)).sum::<i128>(), 0);
    for account in &accounts {
        assert_eq!(Some(account), ledger.model.accounts.get(&account.handle));
    }
    assert_eq!(accounts[0].balance, -2_500);
    assert_eq!(store.balances(Some(&commun())).await.expect("balances"), (head, accounts));
    let other = UnitCode::parse("HOUR").expect("a valid code");
    assert_eq!(store.balances(Some(&other)).await.expect("balances"), (5, vec![]));
}

/// An account's history is newest first, with its delta and balance after when it moved, and
/// pages with `before_seq`.
pub async fn history_is_newest_first(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let alice_key = ledger.alice.clone();
    let pay = ledger.pay("alice", "bob", 1_000, &alice_key);
    ledger.batch(store.as_ref(), vec![pay], Outcome::Commit).await;
    let alice = handle("alice");

    let history = store.history(&alice, None, &HistoryFilter::default(), 10).await.expect("history");
    let seqs: Vec<u64> = history.iter().map(|row| row.entry.seq).collect();
    assert_eq!(seqs, [6, 5, 3]);
    let moves: Vec<_> = history.iter().map(|row| (row.delta, row.balance_after)).collect();
    assert_eq!(moves, [(Some(-1_000), Some(-3_500)), (Some(-2_500), Some(-2_500)), (None, None)]);
    for row in &history {
        assert_eq!(row.entry, ledger.entries[row.entry.seq as usize - 1]);
    }

    let page = store.history(&alice, Some(6), &HistoryFilter::default(), 1).await.expect("history");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].entry.seq, 5);
    assert_eq!(store.history(&alice, Some(3), &HistoryFilter::default(), 10).await.expect("history"), vec![]);

    let bob = store.history(&handle("bob"), None, &HistoryFilter::default(), 10).await.expect("history");
    assert_eq!(bob[0].delta, Some(1_000));
    assert_eq!(bob[0].balance_after, Some(3_500));
    let admin = store.history(&admin_handle(), None, &HistoryFilter::default(), 10).await.expect("history");
    let seqs: Vec<u64> = admin.iter().map(|row| row.entry.seq).collect();
    assert_eq!(seqs, [1], "genesis touched the admin identity");
    let fund = store.history(&handle("fund-commun"), None, &HistoryFilter::default(), 10).await.expect("history");
    assert_eq!(fund.iter().map(|row| row.entry.seq).collect::<Vec<_>>(), [2]);
}

/// Entries read back equal what was appended, in order, from any seq; and by request id.
pub async fn entries_round_trip(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    assert_eq!(store.entries(1, 100).await.expect("entries"), ledger.entries);
    assert_eq!(store.entries(0, 100).await.expect("entries"), ledger.entries);
    assert_eq!(store.entries(3, 2).await.expect("entries"), ledger.entries[2..4]);
    assert_eq!(store.entries(6, 10).await.expect("entries"), vec![]);
    assert_eq!(store.entries(1, 0).await.expect("entries"), vec![]);

    for (entry, request) in ledger.entries.iter().zip(&ledger.requests) {
        assert_eq!(store.entry_by_request(*request).await.expect("by request").as_ref(), Some(entry));
    }
    let unknown = RequestId::from_uuid(Uuid::from_u128(999));
    assert_eq!(store.entry_by_request(unknown).await.expect("by request"), None);
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.find_request(ledger.requests[4]).await.expect("find").as_ref(), Some(&ledger.entries[4]));
    assert_eq!(tx.find_request(unknown).await.expect("find"), None);
    // A batch's look-up: the recorded requests among any, each with its entry.
    let asked = [ledger.requests[1], unknown, ledger.requests[3]];
    let found = tx.find_requests(&asked).await.expect("find all");
    assert_eq!(found.len(), 2);
    assert_eq!(found.get(&ledger.requests[1]), Some(&ledger.entries[1]));
    assert_eq!(found.get(&ledger.requests[3]), Some(&ledger.entries[3]));
    assert_eq!(tx.find_requests(&[]).await.expect("find none"), std::collections::HashMap::new());
}

/// A transaction dropped without commit writes nothing and releases the write lock.
pub async fn dropped_batch_writes_nothing(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let before = snapshot(store.as_ref()).await;
    let bob_key = ledger.bob.clone();
    let pay = ledger.pay("bob", "alice", 500, &bob_key);
    let request = pay.request_id;
    ledger.batch(store.as_ref(), vec![pay.clone()], Outcome::Drop).await;
    assert_eq!(snapshot(store.as_ref()).await, before);
    assert_eq!(store.entry_by_request(request).await.expect("by request"), None);
    assert_eq!(store.history(&handle("bob"), Some(6), &HistoryFilter::default(), 10).await.expect("history").len(), 2);

    // The next batch gets the lock and the same seq.
    let entries = ledger.batch(store.as_ref(), vec![pay], Outcome::Commit).await;
    assert_eq!(entries[0].seq, 6);
    assert_eq!(store.entries(1, 100).await.expect("entries"), ledger.entries);
}

/// `append` refuses entries that do not continue the chain, and the refusal writes nothing.
pub async fn append_refuses_a_broken_chain(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    let before = snapshot(store.as_ref()).await;
    let replayed = PendingEntry {
        entry: ledger.entries[4].clone(),
        request_id: RequestId::from_uuid(Uuid::from_u128(777)),
        touched: vec![],
        balances_after: vec![0, 0],
    };
    let mut tx = store.begin().await.expect("begin");
    let state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let result = tx.append(&[replayed], &state, &Changes::default()).await;
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    drop(tx);
    assert_eq!(snapshot(store.as_ref()).await, before);
}

/// Keys registered and revoked, and roles granted, are written back and read back.
pub async fn keys_and_roles_are_written_back(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (alice, bob) = (handle("alice"), handle("bob"));
    let alice_key = ledger.alice.clone();
    let admin = ledger.admin.clone();
    let new_key = SecretKey::from_seed([5; 32]);
    let register =
        ledger.sign(Command::RegisterKey { handle: alice.clone(), public_key: new_key.public_key() }, &alice_key);
    let revoke =
        ledger.sign(Command::RevokeKey { handle: alice.clone(), public_key: alice_key.public_key() }, &new_key);
    let grant = ledger.sign(Command::GrantRole { handle: bob.clone(), role: Role::Auditor }, &admin);
    ledger.batch(store.as_ref(), vec![register, revoke, grant], Outcome::Commit).await;

    let identity = store.identity(&alice).await.expect("identity").expect("alice");
    assert_eq!(identity.keys, BTreeSet::from([new_key.public_key()]));
    let (owner, _) = store.key_owner(&alice_key.public_key()).await.expect("key owner").expect("old key");
    assert!(owner.revoked && owner.handle == alice);
    let (_, roles) = store.key_owner(&ledger.bob.public_key()).await.expect("key owner").expect("bob key");
    assert!(roles.has(Role::Auditor));

    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References {
        handles: vec![alice.clone(), bob.clone()],
        keys: vec![alice_key.public_key()],
        ..References::default()
    };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(
        state.identities,
        ledger
            .model
            .identities
            .iter()
            .filter(|(h, _)| **h != admin_handle())
            .map(|(h, i)| (h.clone(), i.clone()))
            .collect()
    );
    assert_eq!(
        state.keys,
        ledger.model.keys.iter().filter(|(_, o)| o.handle != admin_handle()).map(|(k, o)| (*k, o.clone())).collect()
    );
    let seqs: Vec<u64> = store
        .history(&alice, None, &HistoryFilter::default(), 10)
        .await
        .expect("history")
        .iter()
        .map(|r| r.entry.seq)
        .collect();
    assert_eq!(seqs, [7, 6, 5, 3]);
}

/// Batches larger than any internal chunking round-trip whole: a hundred accounts opened in one
/// batch, then a hundred payments in another.
pub async fn large_batches_round_trip(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let members: Vec<(String, SecretKey)> =
        (0..100u8).map(|i| (format!("member-{i}"), SecretKey::from_seed([100 + i; 32]))).collect();
    let opens = members.iter().map(|(name, key)| ledger.open_account(name, key, 1_000)).collect();
    ledger.batch(store.as_ref(), opens, Outcome::Commit).await;
    let pays = members
        .iter()
        .enumerate()
        .map(|(i, (name, key))| {
            let payee = &members[(i + 1) % members.len()].0;
            ledger.pay(name, payee, 10 + i as i64, key)
        })
        .collect();
    ledger.batch(store.as_ref(), pays, Outcome::Commit).await;

    assert_eq!(store.entries(1, 1_000).await.expect("entries"), ledger.entries);
    let (head, accounts) = store.balances(None).await.expect("balances");
    assert_eq!(head, 205);
    assert_eq!(accounts.len(), 103);
    for account in &accounts {
        assert_eq!(Some(account), ledger.model.accounts.get(&account.handle));
    }
    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { handles: ledger.model.accounts.keys().cloned().collect(), ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.accounts, ledger.model.accounts);
    assert_eq!(state.check_invariants(true), Ok(()));
    // member-7 was opened by entry 13, was paid 16 by member-6 in entry 112 and paid 17 in 113.
    let history = store.history(&handle("member-7"), None, &HistoryFilter::default(), 10).await.expect("history");
    assert_eq!(history.iter().map(|row| row.entry.seq).collect::<Vec<_>>(), [113, 112, 13]);
    assert_eq!(history[0].balance_after, Some(16 - 17));
}

/// Checkpoints are kept one per entry (the first stored wins) and read back by range and latest;
/// entries read as stored equal those committed, within the bounds asked for.
pub async fn checkpoints_and_stored_entries_round_trip(store: Arc<dyn Store>) {
    let ledger = Ledger::populate(store.as_ref()).await;
    assert_eq!(store.latest_checkpoint().await.expect("latest"), None);
    let at = |seq: usize, timestamp_ms: i64| {
        let entry = &ledger.entries[seq - 1];
        Checkpoint::sign(ledger.ledger_id, entry.seq, entry.hash, timestamp_ms, &ledger.node)
    };
    let (second, fourth) = (at(2, 10), at(4, 20));
    store.save_checkpoint(&fourth).await.expect("save");
    store.save_checkpoint(&second).await.expect("save");
    // Another replica signing entry 4 later changes nothing.
    store.save_checkpoint(&at(4, 30)).await.expect("save again");
    assert_eq!(store.checkpoints(1, 5, 10).await.expect("checkpoints"), [second, fourth]);
    assert_eq!(store.checkpoints(3, 5, 10).await.expect("checkpoints"), [fourth]);
    assert_eq!(store.checkpoints(1, 5, 1).await.expect("checkpoints"), [second]);
    assert_eq!(store.latest_checkpoint().await.expect("latest"), Some(fourth));
    fourth.verify(ledger.ledger_id, ledger.node.public_key()).expect("a stored checkpoint still verifies");
    assert_eq!(store.entries_as_stored(1, 5, 100).await.expect("entries"), ledger.entries);
    assert_eq!(store.entries_as_stored(2, 3, 100).await.expect("entries"), ledger.entries[1..3]);
    assert_eq!(store.entries_as_stored(2, 5, 2).await.expect("entries"), ledger.entries[1..3]);
}

/// A commons registered, declarations made then validated and refused: the registry and the
/// declarations read back as the model holds them, listings filter and page, and `load` brings
/// back what the writer needs to decide on a declaration.
pub async fn chamber_round_trips(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (admin, alice, bob) = (ledger.admin.clone(), ledger.alice.clone(), ledger.bob.clone());
    let garden = CommonsName::parse("jardin-partage").expect("a valid name");
    let commons = Commons {
        name: garden.clone(),
        kind: CommonsKind::parse("garden").expect("a valid kind"),
        description: Description::parse("Le jardin").expect("a valid description"),
        rules_of_use: RulesOfUse::parse("").expect("empty rules"),
        stewards: Stewards::new([handle("bob"), handle("alice")]).expect("stewards"),
    };
    let add = ledger.sign(Command::AddCommons { commons: commons.clone() }, &admin);
    ledger.batch(store.as_ref(), vec![add], Outcome::Commit).await;
    let declare = |period: &str, quantity: &str| Command::Declare {
        contributor: handle("alice"),
        commons: garden.clone(),
        category: Category::parse("gardening").expect("a valid category"),
        quantity: Quantity::parse(quantity).expect("a valid quantity"),
        period: Period::parse(period).expect("a valid period"),
        note: Note::parse("weeding").expect("a valid note"),
    };
    let (first, second, third) = (
        ledger.sign(declare("2026-10", "2.5"), &alice),
        ledger.sign(declare("2026-11", "1"), &alice),
        ledger.sign(declare("2026-11", "0.125"), &alice),
    );
    let ids: Vec<DeclarationId> =
        [&first, &second, &third].iter().map(|signed| DeclarationId::from_uuid(signed.request_id.uuid())).collect();
    ledger.batch(store.as_ref(), vec![first, second, third], Outcome::Commit).await;
    let validate = ledger.sign(Command::ValidateDeclaration { declaration: ids[0], commons: garden.clone() }, &bob);
    let refuse = ledger.sign(Command::RefuseDeclaration { declaration: ids[1], commons: garden.clone() }, &bob);
    ledger.batch(store.as_ref(), vec![validate, refuse], Outcome::Commit).await;

    assert_eq!(store.commons(&garden).await.expect("commons"), Some(commons.clone()));
    assert_eq!(store.list_commons(None, 10).await.expect("list"), [commons]);
    assert_eq!(store.list_commons(Some(&garden), 10).await.expect("list"), []);
    let all = store.declarations(&DeclarationFilter::default(), None, 10).await.expect("declarations");
    assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    for declaration in &all {
        assert_eq!(Some(declaration), ledger.model.declarations.get(&declaration.id));
    }
    let statuses: Vec<DeclarationStatus> = all.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [DeclarationStatus::Validated, DeclarationStatus::Refused, DeclarationStatus::Pending]);
    let november = DeclarationFilter {
        period: Some(Period::parse("2026-11").expect("a valid period")),
        status: Some(DeclarationStatus::Pending),
        ..DeclarationFilter::default()
    };
    assert_eq!(store.declarations(&november, None, 10).await.expect("declarations"), all[2..]);
    let by_bob = DeclarationFilter { contributor: Some(handle("bob")), ..DeclarationFilter::default() };
    assert_eq!(store.declarations(&by_bob, None, 10).await.expect("declarations"), []);
    let page = store.declarations(&DeclarationFilter::default(), Some(ids[0]), 1).await.expect("declarations");
    assert_eq!(page, all[1..2]);

    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { commons: vec![garden.clone()], declarations: ids.clone(), ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.commons, ledger.model.commons);
    assert_eq!(state.declarations, ledger.model.declarations);
}

/// A business's agreement set then replaced: the store keeps the newest terms with the
/// business's unit, lists them, and `load` brings back what a payment to the business needs; a
/// payment then posts its levy, whose transfer is stored with the payment's.
pub async fn agreements_round_trip(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (admin, alice) = (ledger.admin.clone(), ledger.alice.clone());
    let bakery_key = SecretKey::from_seed([5; 32]);
    let open = Command::OpenAccount {
        handle: handle("bakery"),
        unit: commun(),
        kind: AccountKind::Business,
        name: DisplayName::parse("Bakery").expect("a valid name"),
        public_key: bakery_key.public_key(),
        credit_limit: amount(0),
        ceiling: None,
        soft_limit: None,
    };
    let open = ledger.sign(open, &admin);
    ledger.batch(store.as_ref(), vec![open], Outcome::Commit).await;
    assert_eq!(store.agreement(&handle("bakery")).await.expect("agreement"), None);
    let terms = |points, recurring: Option<i64>| {
        let from = Period::parse("2025-01").expect("a valid period");
        let levy = BasisPoints::new(points).expect("a valid rate");
        Agreement::new(handle("bakery"), levy, recurring.map(amount), from).expect("valid terms")
    };
    let first = ledger.sign(Command::SetAgreement { agreement: terms(150, Some(5_000)) }, &admin);
    ledger.batch(store.as_ref(), vec![first], Outcome::Commit).await;
    let stored = store.agreement(&handle("bakery")).await.expect("agreement").expect("set");
    assert_eq!((stored.agreement.clone(), stored.unit.clone()), (terms(150, Some(5_000)), commun()));
    let second = ledger.sign(Command::SetAgreement { agreement: terms(200, None) }, &admin);
    ledger.batch(store.as_ref(), vec![second], Outcome::Commit).await;
    let listed = store.agreements(None, 10).await.expect("agreements");
    assert_eq!(listed.iter().map(|record| record.agreement.clone()).collect::<Vec<_>>(), [terms(200, None)]);
    assert_eq!(store.agreements(Some(&handle("bakery")), 10).await.expect("agreements"), []);

    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { agreements: vec![handle("bakery"), handle("alice")], ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.agreements, ledger.model.agreements);

    // 2 % of 12.34 is 0.2468: 0.24 to the fund, in the payment's entry.
    let pay = ledger.pay("alice", "bakery", 1_234, &alice);
    let payment = pay.request_id;
    let entries = ledger.batch(store.as_ref(), vec![pay], Outcome::Commit).await;
    let fund = Handle::fund_of(&commun());
    let fund_posting = entries[0].postings.iter().find(|posting| posting.account == fund).expect("a levy posting");
    assert_eq!(fund_posting.delta, 24);
    let levy = store.transfer(levy_id(payment)).await.expect("transfer").expect("the levy is stored");
    assert_eq!((levy.kind, levy.amount, levy.payer), (TransferKind::Levy, amount(24), handle("bakery")));
    assert_eq!(store.account(&fund).await.expect("fund").expect("exists").balance, 24);
    assert_eq!(store.account(&handle("bakery")).await.expect("bakery").expect("exists").balance, 1_210);
}
/// The quorum set and rules proposed, approved and adopted (some in one batch, so the rule book
/// is loaded once and carried along): rules, the quorum and the count of adopted rules read back
/// as the model holds them, listings page, and `load` brings back what the writer needs.
pub async fn rule_book_round_trips(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (admin, bob) = (ledger.admin.clone(), ledger.bob.clone());
    assert_eq!(store.rule_book().await.expect("rule book"), RuleBook::default());
    let rule = |share: u32, from: &str| {
        Rule::new(RuleTerms {
            effective_from: Period::parse(from).expect("a valid period"),
            pool_share: BasisPoints::new(share).expect("a valid rate"),
            pool_fixed: Some(amount(1_000)),
            reserve_share: BasisPoints::new(1_000).expect("a valid rate"),
            weights: [(Category::parse("care").expect("a category"), Weight::parse("1.5").expect("a weight"))].into(),
            cap_per_unit: Some(amount(2_000)),
            cap_per_contributor: None,
            minimum_payout: Some(amount(100)),
        })
        .expect("a valid rule")
    };
    let grant = ledger.sign(Command::GrantRole { handle: handle("bob"), role: Role::Treasurer }, &admin);
    let quorum = ledger.sign(Command::SetQuorum { quorum: Quorum::new(2).expect("a quorum") }, &admin);
    let first = ledger.sign(Command::ProposeRule { unit: commun(), rule: rule(5_000, "2026-01") }, &admin);
    let second = ledger.sign(Command::ProposeRule { unit: commun(), rule: rule(2_500, "2026-06") }, &admin);
    let (a, b) = (RuleId::from_uuid(first.request_id.uuid()), RuleId::from_uuid(second.request_id.uuid()));
    ledger.batch(store.as_ref(), vec![grant, quorum, first, second], Outcome::Commit).await;
    assert_eq!(store.rule_book().await.expect("rule book").quorum.approvals(), 2);
    assert_eq!(store.rule(a).await.expect("rule").as_ref(), ledger.model.rules.get(&a));
    assert_eq!(store.rule(a).await.expect("rule").expect("stored").version, None);

    let approve_b = ledger.sign(Command::ApproveRule { rule: b }, &bob);
    let approve_a = ledger.sign(Command::ApproveRule { rule: a }, &bob);
    ledger.batch(store.as_ref(), vec![approve_b, approve_a], Outcome::Commit).await;
    let book = store.rule_book().await.expect("rule book");
    assert_eq!((book.quorum.approvals(), book.adopted), (2, 2));
    let mut ids = [a, b];
    ids.sort();
    let all = store.rules(None, 10).await.expect("rules");
    assert_eq!(all.iter().map(|record| record.id).collect::<Vec<_>>(), ids);
    for record in &all {
        assert_eq!(Some(record), ledger.model.rules.get(&record.id));
    }
    assert_eq!(store.rule(b).await.expect("rule").expect("stored").version, Some(1));
    assert_eq!(store.rule(a).await.expect("rule").expect("stored").version, Some(2));
    assert_eq!(store.rules(Some(ids[0]), 1).await.expect("rules"), all[1..]);
    assert_eq!(store.rule(RuleId::from_uuid(Uuid::from_u128(999))).await.expect("rule"), None);

    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { rules: vec![a, b], rule_book: true, ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.rules, ledger.model.rules);
    assert_eq!(state.rule_book, ledger.model.rule_book);
}

/// A distribution proposed below the quorum, then approved and executed in a later batch: each
/// batch's partial state holds what planning and executing need only because `load` brings it
/// (the period's declarations, the unit's rules, the contributors, the fund); the record, its
/// lines, the declarations' `paid_by` and the balances read back as the model holds them.
pub async fn distributions_round_trip(store: Arc<dyn Store>) {
    let mut ledger = Ledger::populate(store.as_ref()).await;
    let (admin, alice, bob) = (ledger.admin.clone(), ledger.alice.clone(), ledger.bob.clone());
    let bakery = SecretKey::from_seed([9; 32]);
    let garden = CommonsName::parse("garden").expect("a valid name");
    let june = Period::parse("2025-06").expect("a valid period");
    let commons = Commons {
        name: garden.clone(),
        kind: CommonsKind::parse("garden").expect("a valid kind"),
        description: Description::parse("").expect("empty"),
        rules_of_use: RulesOfUse::parse("").expect("empty"),
        stewards: Stewards::new([handle("bob")]).expect("stewards"),
    };
    let add = ledger.sign(Command::AddCommons { commons }, &admin);
    let open = ledger.sign(
        Command::OpenAccount {
            handle: handle("bakery"),
            unit: commun(),
            kind: AccountKind::Business,
            name: DisplayName::default(),
            public_key: bakery.public_key(),
            credit_limit: amount(10_000),
            ceiling: None,
            soft_limit: None,
        },
        &admin,
    );
    let give = ledger.sign(
        Command::Contribute {
            business: handle("bakery"),
            unit: commun(),
            amount: amount(3_001),
            memo: Memo::default(),
        },
        &bakery,
    );
    let declare = |contributor: &str, quantity: &str| Command::Declare {
        contributor: handle(contributor),
        commons: garden.clone(),
        category: Category::parse("care").expect("a category"),
        quantity: Quantity::parse(quantity).expect("a quantity"),
        period: june,
        note: Note::default(),
    };
    let (by_alice, by_bob) = (ledger.sign(declare("alice", "2"), &alice), ledger.sign(declare("bob", "1"), &bob));
    let declarations = [by_alice.request_id, by_bob.request_id].map(|id| DeclarationId::from_uuid(id.uuid()));
    let validate = declarations
        .map(|declaration| ledger.sign(Command::ValidateDeclaration { declaration, commons: garden.clone() }, &bob));
    let rule = Rule::new(RuleTerms {
        effective_from: Period::parse("2025-01").expect("a valid period"),
        pool_share: BasisPoints::new(10_000).expect("a rate"),
        pool_fixed: None,
        reserve_share: BasisPoints::new(0).expect("a rate"),
        weights: [(Category::parse("care").expect("a category"), Weight::parse("1").expect("a weight"))].into(),
        cap_per_unit: None,
        cap_per_contributor: None,
        minimum_payout: None,
    })
    .expect("a valid rule");
    let propose_rule = ledger.sign(Command::ProposeRule { unit: commun(), rule }, &admin);
    let [validate_alice, validate_bob] = validate;
    let setup = vec![add, open, give, by_alice, by_bob, validate_alice, validate_bob, propose_rule];
    ledger.batch(store.as_ref(), setup, Outcome::Commit).await;

    let grant = ledger.sign(Command::GrantRole { handle: handle("bob"), role: Role::Treasurer }, &admin);
    let quorum = ledger.sign(Command::SetQuorum { quorum: Quorum::new(2).expect("a quorum") }, &admin);
    ledger.batch(store.as_ref(), vec![grant, quorum], Outcome::Commit).await;
    let plan = ledger.model.plan_distribution(&commun(), june).expect("a plan");
    // 30.01 shared 2 to 1: 20.01 and 10.00 (alice's larger remainder takes the last unit).
    let amounts: Vec<(Handle, i64)> = plan.allocation.lines.iter().map(|l| (l.contributor.clone(), l.amount)).collect();
    let mut expected = vec![(handle("alice"), 2_001), (handle("bob"), 1_000)];
    expected.sort();
    let mut sorted = amounts.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    let propose = ledger.sign(
        Command::ProposeDistribution {
            unit: commun(),
            period: june,
            rule: plan.rule,
            distributed: plan.allocation.distributed,
            lines_digest: lines_digest(&plan.allocation.lines),
        },
        &admin,
    );
    let id = DistributionId::from_uuid(propose.request_id.uuid());
    ledger.batch(store.as_ref(), vec![propose], Outcome::Commit).await;
    let stored = store.distribution(id).await.expect("distribution").expect("stored");
    assert_eq!(Some(&stored), ledger.model.distributions.get(&id));
    assert_eq!(stored.status, DistributionStatus::Proposed);

    let approve = ledger.sign(Command::ApproveDistribution { distribution: id }, &bob);
    ledger.batch(store.as_ref(), vec![approve], Outcome::Commit).await;
    let stored = store.distribution(id).await.expect("distribution").expect("stored");
    assert_eq!(Some(&stored), ledger.model.distributions.get(&id));
    assert_eq!(stored.status, DistributionStatus::Executed);
    for declaration in declarations {
        let read = store.declaration(declaration).await.expect("declaration").expect("stored");
        assert_eq!((read.paid_by, Some(&read)), (Some(id), ledger.model.declarations.get(&declaration)));
    }
    for name in ["alice", "bob", "fund-commun"] {
        let account = store.account(&handle(name)).await.expect("account").expect("stored");
        assert_eq!(Some(&account), ledger.model.accounts.get(&handle(name)), "{name}");
    }
    assert_eq!(store.distribution(DistributionId::from_uuid(Uuid::from_u128(999))).await.expect("read"), None);

    // Loading a distribution brings its lines' declarations, contributors and fund; loading a
    // plan brings every declaration of the period and every rule of the unit.
    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { distributions: vec![id], ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.distributions.get(&id), ledger.model.distributions.get(&id));
    for declaration in declarations {
        assert_eq!(state.declarations.get(&declaration), ledger.model.declarations.get(&declaration));
    }
    for name in ["alice", "bob", "fund-commun"] {
        assert!(state.accounts.contains_key(&handle(name)), "{name} loaded");
    }
    let mut state = State::for_ledger(ledger.ledger_id, ledger.node.public_key());
    let refs = References { distribution_plans: vec![(commun(), june)], rule_book: true, ..References::default() };
    store.begin().await.expect("begin").load(&mut state, &refs).await.expect("load");
    assert_eq!(state.declarations.len(), 2);
    assert_eq!(state.rules, ledger.model.rules);
    let replanned = state.plan_distribution(&commun(), june).expect("the loaded state plans");
    assert!(replanned.allocation.lines.is_empty(), "every declaration is paid");
    assert_eq!(replanned.allocation.skipped.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// SQLite.

fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn fresh() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    // A directory that does not exist yet: opening creates it.
    let store = SqliteStore::open(&url(&dir.path().join("data/ledger.db"))).await.expect("open");
    (dir, store)
}

/// Generates, for each contract function, one test on a fresh SQLite file (`mod sqlite`) and one
/// on a fresh PostgreSQL database (`mod postgres`).
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, store) = fresh().await;
                    super::$name(Arc::new(store)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::on_postgres(super::$name).await;
                }
            )*
        }
    };
}

contract!(
    genesis_sets_meta_and_head,
    load_reproduces_the_state,
    load_follows_references,
    reads_the_directory,
    balances_sum_to_zero,
    history_is_newest_first,
    entries_round_trip,
    dropped_batch_writes_nothing,
    append_refuses_a_broken_chain,
    keys_and_roles_are_written_back,
    large_batches_round_trip,
    checkpoints_and_stored_entries_round_trip,
    invoices_are_written_loaded_and_listed,
    chamber_round_trips,
    clearing_runs_round_trip,
    agreements_round_trip,
    rule_book_round_trips,
    distributions_round_trip,
);

#[tokio::test]
async fn sqlite_reopening_keeps_everything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir.path().join("ledger.db"));
    let store = SqliteStore::open(&url).await.expect("open");
    let mut ledger = Ledger::populate(&store).await;
    let before = snapshot(&store).await;
    store.close().await;

    let store = SqliteStore::open(&url).await.expect("reopen");
    assert_eq!(snapshot(&store).await, before);
    let alice_key = ledger.alice.clone();
    let pay = ledger.pay("alice", "bob", 100, &alice_key);
    let entries = ledger.batch(&store, vec![pay], Outcome::Commit).await;
    assert_eq!(entries[0].seq, 6);
    assert_eq!(entries[0].prev_hash, ledger.entries[4].hash);
    assert_eq!(store.entries(1, 100).await.expect("entries"), ledger.entries);
}

#[tokio::test]
async fn sqlite_writers_serialise_at_begin() {
    let (dir, store) = fresh().await;
    let ledger = Ledger::populate(&store).await;
    let first = store.begin().await.expect("begin");
    // While one batch holds the write lock a second cannot even start, so the head it reads
    // cannot move under it; it waits (here, less than the busy timeout) instead.
    let second = tokio::time::timeout(Duration::from_millis(300), store.begin()).await;
    assert!(second.is_err(), "a second batch started while the first held the write lock");
    // Readers are not blocked by the writer (WAL).
    assert_eq!(store.entries(1, 100).await.expect("entries"), ledger.entries);
    drop(first);
    let mut second = store.begin().await.expect("begin once the first ended");
    assert_eq!(second.head().await.expect("head").0, 5);

    let mut conn = raw(&dir.path().join("data/ledger.db")).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.expect("pragma");
    assert_eq!(mode, "wal");
}

/// Opens the file behind the store's back, as an attacker with disk access would.
async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path)).await.expect("raw connection")
}

fn assert_corrupt_entry<T: std::fmt::Debug>(result: Result<T, StoreError>, seq: u64) {
    match result {
        Err(StoreError::Corrupt(message)) => {
            assert!(message.contains(&format!("entry {seq}")), "{message}");
        }
        other => panic!("expected corruption of entry {seq}, got {other:?}"),
    }
}

#[tokio::test]
async fn sqlite_tampered_postings_are_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&url(&path)).await.expect("open");
    let ledger = Ledger::populate(&store).await;

    // Double the payment on both sides: still balanced, but no longer what was hashed.
    let mut conn = raw(&path).await;
    let changed =
        sqlx::query("UPDATE postings SET delta = delta * 2 WHERE seq = 5").execute(&mut conn).await.expect("tamper");
    assert_eq!(changed.rows_affected(), 2);

    assert_corrupt_entry(store.entries(1, 100).await, 5);
    assert_corrupt_entry(store.history(&handle("alice"), None, &HistoryFilter::default(), 10).await, 5);
    assert_corrupt_entry(store.entry_by_request(ledger.requests[4]).await, 5);
    // Entries before it still read.
    assert_eq!(store.entries(1, 4).await.expect("entries"), ledger.entries[..4]);
}

#[tokio::test]
async fn sqlite_tampered_commands_are_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&url(&path)).await.expect("open");
    let ledger = Ledger::populate(&store).await;

    // Flip the last byte of the payment's signed command (its memo).
    let mut conn = raw(&path).await;
    let (mut command,): (Vec<u8>,) =
        sqlx::query_as("SELECT command FROM journal WHERE seq = 5").fetch_one(&mut conn).await.expect("read");
    *command.last_mut().expect("non-empty") ^= 0x01;
    sqlx::query("UPDATE journal SET command = ? WHERE seq = 5").bind(command).execute(&mut conn).await.expect("tamper");

    assert_corrupt_entry(store.entries(1, 100).await, 5);
    let mut tx = store.begin().await.expect("begin");
    assert_corrupt_entry(tx.find_request(ledger.requests[4]).await, 5);
}

#[tokio::test]
async fn sqlite_tampered_request_index_is_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&url(&path)).await.expect("open");
    let ledger = Ledger::populate(&store).await;

    // Point another request id at the payment: its signed bytes still name the original one.
    let forged = RequestId::from_uuid(Uuid::from_u128(4242));
    let mut conn = raw(&path).await;
    sqlx::query("UPDATE journal SET request_id = ? WHERE seq = 5")
        .bind(forged.as_bytes().as_slice())
        .execute(&mut conn)
        .await
        .expect("tamper");

    assert_corrupt_entry(store.entry_by_request(forged).await, 5);
    assert_eq!(store.entry_by_request(ledger.requests[4]).await.expect("by request"), None);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL.

/// A database of its own for one test, on the server `LEDGER_TEST_POSTGRES_URL` names.
struct TestDatabase {
    /// The server, connected to its maintenance database.
    server: PgConnectOptions,
    /// The test's database.
    name: String,
}

impl TestDatabase {
    /// Creates an empty database with a random name; none (saying so on stderr, past the test
    /// harness's capture) when `LEDGER_TEST_POSTGRES_URL` is unset. An unreachable server fails.
    async fn create() -> Option<TestDatabase> {
        let Ok(url) = std::env::var("LEDGER_TEST_POSTGRES_URL") else {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "skipped: LEDGER_TEST_POSTGRES_URL is unset");
            return None;
        };
        let server: PgConnectOptions = url.parse().expect("LEDGER_TEST_POSTGRES_URL is a postgres:// URL");
        let name = format!("ledger_test_{}", Uuid::new_v4().simple());
        let mut conn =
            server.connect().await.unwrap_or_else(|error| panic!("connect to LEDGER_TEST_POSTGRES_URL: {error}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        Some(TestDatabase { server, name })
    }

    fn options(&self) -> PgConnectOptions {
        self.server.clone().database(&self.name)
    }

    /// A store on the test database, as one `ledgerd` replica would open it.
    async fn open(&self) -> PostgresStore {
        self.open_with(&StoreOptions::default()).await
    }

    async fn open_with(&self, options: &StoreOptions) -> PostgresStore {
        let url = self.options().to_url_lossy().to_string();
        PostgresStore::open(&url, options).await.expect("open")
    }

    /// A connection behind the store's back, as an attacker with database access would have.
    async fn raw(&self) -> PgConnection {
        self.options().connect().await.expect("raw connection")
    }
}

impl Drop for TestDatabase {
    /// Drops the database, also when the test panicked. On a thread of its own with a runtime of
    /// its own, since the test's runtime may be the one unwinding. A session the test left behind
    /// may still be connecting, so a failed drop is tried again.
    fn drop(&mut self) {
        let (server, sql) = (self.server.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let mut last_error = None;
                for _ in 0..DROP_ATTEMPTS_MAX {
                    let attempt = async {
                        let mut conn = server.connect().await?;
                        sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut conn).await
                    };
                    match attempt.await {
                        Ok(_) => return Ok(()),
                        Err(error) => last_error = Some(error),
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(last_error.expect("an attempt failed"))
            })
        });
        let outcome = dropped.join().expect("the drop thread does not panic");
        if let Err(error) = outcome {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "test database {} was not dropped: {error}", self.name);
            assert!(std::thread::panicking(), "test database {} was not dropped: {error}", self.name);
        }
    }
}

/// How many times a test database's drop is tried.
const DROP_ATTEMPTS_MAX: u32 = 3;

/// Runs a contract function on a fresh PostgreSQL database, which is then dropped.
async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(database) = TestDatabase::create().await else { return };
    let store = database.open().await;
    test(Arc::new(store.clone())).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_replicas_serialise_at_begin() {
    let Some(database) = TestDatabase::create().await else { return };
    // Two stores on one database: two `ledgerd` replicas.
    let (one, two) = (database.open().await, database.open().await);
    let mut ledger = Ledger::populate(&one).await;
    let first = one.begin().await.expect("begin");
    // While one replica's batch holds the chain head, the other's cannot start: the head it
    // would read could still move.
    let second = tokio::time::timeout(Duration::from_millis(300), two.begin()).await;
    assert!(second.is_err(), "a second batch started while the first held the chain head");
    // Readers are not blocked by the writer.
    assert_eq!(two.entries(1, 100).await.expect("entries"), ledger.entries);
    drop(first);
    let mut second = two.begin().await.expect("begin once the first ended");
    assert_eq!(second.head().await.expect("head").0, 5);
    drop(second);

    // What one replica commits, the other's next batch continues.
    let alice = ledger.alice.clone();
    let pay = ledger.pay("alice", "bob", 100, &alice);
    ledger.batch(&one, vec![pay], Outcome::Commit).await;
    let pay = ledger.pay("alice", "bob", 200, &alice);
    let entries = ledger.batch(&two, vec![pay], Outcome::Commit).await;
    assert_eq!(entries[0].seq, 7);
    assert_eq!(entries[0].prev_hash, ledger.entries[5].hash);
    assert_eq!(snapshot(&one).await, snapshot(&two).await);
    assert_eq!(one.account(&handle("alice")).await.expect("account").expect("alice").balance, -2_800);
    one.close().await;
    two.close().await;
}

#[tokio::test]
async fn postgres_reopening_keeps_everything() {
    let Some(database) = TestDatabase::create().await else { return };
    let store = database.open().await;
    let mut ledger = Ledger::populate(&store).await;
    let before = snapshot(&store).await;
    store.close().await;
    // Opening runs the migrations again: they find the schema applied and change nothing.
    let store = database.open().await;
    assert_eq!(snapshot(&store).await, before);
    let alice = ledger.alice.clone();
    let pay = ledger.pay("alice", "bob", 100, &alice);
    assert_eq!(ledger.batch(&store, vec![pay], Outcome::Commit).await[0].seq, 6);
    store.close().await;
}

#[tokio::test]
async fn postgres_tampered_rows_are_detected() {
    let Some(database) = TestDatabase::create().await else { return };
    let store = database.open().await;
    let ledger = Ledger::populate(&store).await;
    let mut conn = database.raw().await;
    // Double the payment on both sides: still balanced, but no longer what was hashed.
    let changed =
        sqlx::query("UPDATE postings SET delta = delta * 2 WHERE seq = 5").execute(&mut conn).await.expect("tamper");
    assert_eq!(changed.rows_affected(), 2);
    assert_corrupt_entry(store.entries(1, 100).await, 5);
    assert_corrupt_entry(store.history(&handle("alice"), None, &HistoryFilter::default(), 10).await, 5);
    assert_corrupt_entry(store.entry_by_request(ledger.requests[4]).await, 5);
    let mut tx = store.begin().await.expect("begin");
    assert_corrupt_entry(tx.find_request(ledger.requests[4]).await, 5);
    drop(tx);

    // Point another request id at an entry: its signed bytes still name the original one.
    let forged = RequestId::from_uuid(Uuid::from_u128(4242));
    sqlx::query("UPDATE journal SET request_id = $1 WHERE seq = 4")
        .bind(forged.as_bytes().as_slice())
        .execute(&mut conn)
        .await
        .expect("tamper");
    assert_corrupt_entry(store.entry_by_request(forged).await, 4);
    assert_eq!(store.entry_by_request(ledger.requests[3]).await.expect("by request"), None);
    store.close().await;
}

#[tokio::test]
async fn postgres_a_head_held_too_long_fails_retryably_and_an_idle_holder_lets_go() {
    let Some(database) = TestDatabase::create().await else { return };
    // Two replicas: one with the default timeouts (5 s), one with 300 ms.
    let patient = database.open().await;
    let hasty = database.open_with(&StoreOptions { statement_timeout_ms: 300, ..StoreOptions::default() }).await;
    Ledger::populate(&patient).await;

    // A replica gives up waiting for the head after its statement timeout, and may try again.
    let held = patient.begin().await.expect("begin");
    match hasty.begin().await {
        Err(error) => assert!(error.is_retryable(), "{error}"),
        Ok(_) => panic!("a second batch got the head while the first held it"),
    }
    drop(held);

    // A batch left idle (a stalled or vanished replica) holds the head no longer than its timeout:
    // the server ends its session, and the other replica gets the head well within its own.
    let mut idle = hasty.begin().await.expect("begin");
    let mut next = tokio::time::timeout(Duration::from_secs(3), patient.begin())
        .await
        .expect("the idle batch let go of the head")
        .expect("begin");
    assert_eq!(next.head().await.expect("head").0, 5);
    drop(next);
    match idle.find_request(RequestId::from_uuid(Uuid::from_u128(1))).await {
        Err(error @ StoreError::Unavailable(_)) => assert!(error.is_retryable()),
        other => panic!("expected the idle batch to be gone, got {other:?}"),
    }
    drop(idle);
    patient.close().await;
    hasty.close().await;
}

#[tokio::test]
async fn postgres_a_killed_connection_is_unavailable_writes_nothing_and_the_store_recovers() {
    let Some(database) = TestDatabase::create().await else { return };
    let store = database.open().await;
    let mut ledger = Ledger::populate(&store).await;
    let before = snapshot(&store).await;
    let mut tx = store.begin().await.expect("begin");
    let mut admin = database.raw().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert!(killed.contains(&true));
    match tx.find_request(ledger.requests[0]).await {
        Err(error @ StoreError::Unavailable(_)) => assert!(error.is_retryable()),
        other => panic!("expected unavailable, got {other:?}"),
    }
    drop(tx);
    // Nothing partial, and the pool reconnects by itself.
    assert_eq!(snapshot(&store).await, before);
    let alice = ledger.alice.clone();
    let pay = ledger.pay("alice", "bob", 100, &alice);
    assert_eq!(ledger.batch(&store, vec![pay], Outcome::Commit).await[0].seq, 6);
    store.close().await;
}

#[tokio::test]
async fn postgres_unreachable_server_is_unavailable() {
    // Port 1: nothing listens there. Opening fails at once, as unavailable, naming where it looked.
    let options = StoreOptions { acquire_timeout_ms: 2_000, ..StoreOptions::default() };
    match PostgresStore::open("postgres://postgres@127.0.0.1:1/ledger", &options).await {
        Err(StoreError::Unavailable(message)) => assert!(message.contains("127.0.0.1:1"), "{message}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
}
