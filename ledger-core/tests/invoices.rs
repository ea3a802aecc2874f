//! Invoices in the state: issuing, accepting, rejecting and importing, who may do each, and
//! every refusal leaving the state as it was. Nothing here moves a balance.

use ledger_core::account::{AccountKind, AccountStatus};
use ledger_core::amount::{Amount, Scale};
use ledger_core::command::{Command, EntryKind, SignedCommand, decode_signing_bytes};
use ledger_core::date::Date;
use ledger_core::invoice::{IMPORT_ROWS_MAX, ImportedInvoice, InvoiceStatus, imported_id};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Reason, Reference, RequestId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::state::{Applied, State};

/// A ledger with unit COMMUN and members alice, bob and carol; the admin is also treasurer.
struct Ledger {
    state: State,
    id: LedgerId,
    admin: SecretKey,
    alice: SecretKey,
    bob: SecretKey,
    carol: SecretKey,
    next: u128,
}

fn h(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

fn commun() -> UnitCode {
    UnitCode::parse("COMMUN").unwrap()
}

fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap()
}

impl Ledger {
    fn new() -> Self {
        let node = SecretKey::from_seed([1; 32]);
        let mut ledger = Ledger {
            state: State::new(),
            id: LedgerId::from_uuid(uuid::Uuid::from_u128(7)),
            admin: SecretKey::from_seed([2; 32]),
            alice: SecretKey::from_seed([3; 32]),
            bob: SecretKey::from_seed([4; 32]),
            carol: SecretKey::from_seed([5; 32]),
            next: 0,
        };
        let genesis = Command::Genesis { admin_key: ledger.admin.public_key(), node_key: node.public_key() };
        ledger.apply(genesis, &node).unwrap();
        let unit = Command::CreateUnit { code: commun(), scale: Scale::new(2).unwrap(), name: DisplayName::default() };
        ledger.as_admin(unit).unwrap();
        for (handle, key) in
            [("alice", ledger.alice.clone()), ("bob", ledger.bob.clone()), ("carol", ledger.carol.clone())]
        {
            ledger
                .as_admin(Command::OpenAccount {
                    handle: h(handle),
                    unit: commun(),
                    kind: AccountKind::Member,
                    name: DisplayName::default(),
                    public_key: key.public_key(),
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
        self.state.apply(&signed, 1_000 * self.next as i64)
    }

    fn as_admin(&mut self, command: Command) -> Result<Applied, Refusal> {
        let admin = self.admin.clone();
        self.apply(command, &admin)
    }

    /// Alice invoices bob `minor` hundredths; the invoice's id.
    fn alice_invoices_bob(&mut self, minor: i64) -> RequestId {
        let alice = self.alice.clone();
        let applied = self.apply(issue("alice", "bob", minor), &alice).unwrap();
        assert!(applied.postings.is_empty(), "an invoice moves no balance");
        RequestId::from_uuid(uuid::Uuid::from_u128(self.next))
    }

    /// Refusal expected; the state must not change.
    fn refused(&mut self, command: Command, key: &SecretKey) -> Refusal {
        let before = self.state.clone();
        let refusal = self.apply(command, key).expect_err("refused");
        assert!(before == self.state, "refused with {refusal}, yet the state changed");
        refusal
    }
}

fn issue(creditor: &str, debtor: &str, minor: i64) -> Command {
    Command::IssueInvoice {
        creditor: h(creditor),
        debtor: h(debtor),
        unit: commun(),
        amount: amount(minor),
        due: Some(Date::parse("2026-12-31").unwrap()),
        reference: Reference::parse("INV-2026-001").unwrap(),
    }
}

fn accept(invoice: RequestId, minor: i64) -> Command {
    Command::AcceptInvoice { invoice, debtor: h("bob"), creditor: h("alice"), unit: commun(), amount: amount(minor) }
}

fn reject(invoice: RequestId) -> Command {
    Command::RejectInvoice { invoice, debtor: h("bob") }
}

fn row(ledger: &Ledger, external: &str, creditor: &str, debtor: &str, minor: i64) -> ImportedInvoice {
    ImportedInvoice {
        id: imported_id(ledger.id, external),
        creditor: h(creditor),
        debtor: h(debtor),
        amount: amount(minor),
        due: None,
        reference: Reference::parse(external).unwrap(),
    }
}

#[test]
fn an_issued_invoice_awaits_its_debtor_and_accepting_opens_it() {
    let mut ledger = Ledger::new();
    let id = ledger.alice_invoices_bob(12_50);
    let invoice = &ledger.state.invoices[&id];
    assert_eq!(invoice.status, InvoiceStatus::Issued);
    assert_eq!((invoice.amount, invoice.remaining), (amount(12_50), amount(12_50)));
    assert!(!invoice.is_open(), "only an accepted invoice takes part in clearing");

    let bob = ledger.bob.clone();
    let applied = ledger.apply(accept(id, 12_50), &bob).unwrap();
    assert!(applied.postings.is_empty());
    assert_eq!(ledger.state.invoices[&id].status, InvoiceStatus::Accepted);
    assert!(ledger.state.invoices[&id].is_open());
    assert!(ledger.state.accounts.values().all(|account| account.balance == 0), "no balance moved");
    assert_eq!(ledger.refused(accept(id, 12_50), &bob), Refusal::InvoiceNotIssued { id, status: "accepted" });
    assert_eq!(ledger.refused(reject(id), &bob), Refusal::InvoiceNotIssued { id, status: "accepted" });
}

#[test]
fn only_the_creditor_issues_and_only_the_debtor_answers() {
    let mut ledger = Ledger::new();
    let (alice, bob, carol) = (ledger.alice.clone(), ledger.bob.clone(), ledger.carol.clone());
    // Bob cannot invoice himself into alice's books as creditor, nor can the treasurer.
    assert!(matches!(ledger.refused(issue("alice", "bob", 100), &bob), Refusal::NotAuthorised(_)));
    let admin = ledger.admin.clone();
    assert!(matches!(ledger.refused(issue("alice", "bob", 100), &admin), Refusal::NotAuthorised(_)));

    let id = ledger.alice_invoices_bob(100);
    for key in [&alice, &carol, &admin] {
        assert!(matches!(ledger.refused(accept(id, 100), key), Refusal::NotAuthorised(_)));
        assert!(matches!(ledger.refused(reject(id), key), Refusal::NotAuthorised(_)));
    }
    assert_eq!(ledger.state.invoices[&id].status, InvoiceStatus::Issued);
}

#[test]
fn the_debtor_accepts_exactly_what_was_invoiced() {
    let mut ledger = Ledger::new();
    let bob = ledger.bob.clone();
    let id = ledger.alice_invoices_bob(100);
    assert_eq!(ledger.refused(accept(id, 99), &bob), Refusal::InvoiceMismatch(id));
    let wrong_creditor = Command::AcceptInvoice {
        invoice: id,
        debtor: h("bob"),
        creditor: h("carol"),
        unit: commun(),
        amount: amount(100),
    };
    assert_eq!(ledger.refused(wrong_creditor, &bob), Refusal::InvoiceMismatch(id));
    let unknown = RequestId::from_uuid(uuid::Uuid::from_u128(999));
    assert_eq!(ledger.refused(accept(unknown, 100), &bob), Refusal::UnknownInvoice(unknown));
}

#[test]
fn a_rejected_invoice_cannot_be_accepted() {
    let mut ledger = Ledger::new();
    let bob = ledger.bob.clone();
    let id = ledger.alice_invoices_bob(100);
    ledger.apply(reject(id), &bob).unwrap();
    assert_eq!(ledger.state.invoices[&id].status, InvoiceStatus::Rejected);
    assert!(!ledger.state.invoices[&id].is_open());
    assert_eq!(ledger.refused(accept(id, 100), &bob), Refusal::InvoiceNotIssued { id, status: "rejected" });
}

#[test]
fn an_invoice_needs_two_active_accounts_of_its_unit_and_an_amount() {
    let mut ledger = Ledger::new();
    let alice = ledger.alice.clone();
    assert_eq!(ledger.refused(issue("alice", "alice", 100), &alice), Refusal::SelfInvoice);
    assert_eq!(ledger.refused(issue("alice", "bob", 0), &alice), Refusal::ZeroInvoice);
    assert_eq!(ledger.refused(issue("alice", "dave", 100), &alice), Refusal::UnknownAccount(h("dave")));
    assert_eq!(ledger.refused(issue("alice", "fund-commun", 100), &alice), Refusal::SystemAccount(h("fund-commun")));
    let other = UnitCode::parse("HOUR").unwrap();
    ledger
        .as_admin(Command::CreateUnit {
            code: other.clone(),
            scale: Scale::new(0).unwrap(),
            name: DisplayName::default(),
        })
        .unwrap();
    let in_hours = Command::IssueInvoice {
        creditor: h("alice"),
        debtor: h("bob"),
        unit: other.clone(),
        amount: amount(1),
        due: None,
        reference: Reference::default(),
    };
    assert_eq!(
        ledger.refused(in_hours, &alice),
        Refusal::UnitMismatch { account: h("alice"), account_unit: commun(), unit: other }
    );

    // An account frozen after the invoice was issued cannot take it on.
    let id = ledger.alice_invoices_bob(100);
    let freeze = Command::SetStatus {
        handle: h("bob"),
        status: AccountStatus::Frozen,
        reason: Reason::parse("lost key").unwrap(),
    };
    ledger.as_admin(freeze).unwrap();
    let bob = ledger.bob.clone();
    assert_eq!(ledger.refused(accept(id, 100), &bob), Refusal::AccountFrozen(h("bob")));
    assert_eq!(ledger.refused(issue("alice", "bob", 5), &alice), Refusal::AccountFrozen(h("bob")));
}

#[test]
fn an_import_creates_accepted_invoices_all_or_none() {
    let mut ledger = Ledger::new();
    let rows = vec![row(&ledger, "A-1", "alice", "bob", 300), row(&ledger, "A-2", "bob", "carol", 200)];
    let import = Command::ImportInvoices { unit: commun(), invoices: rows.clone() };
    let applied = ledger.as_admin(import.clone()).unwrap();
    assert!(applied.postings.is_empty());
    for row in &rows {
        let invoice = &ledger.state.invoices[&row.id];
        assert_eq!((invoice.status, invoice.remaining), (InvoiceStatus::Accepted, row.amount));
    }
    // The same rows again: refused at the first, naming it, and nothing is added.
    let count = ledger.state.invoices.len();
    match ledger.as_admin(import) {
        Err(Refusal::InvoiceImportRow { row: 1, id, refusal }) => {
            assert_eq!(id, rows[0].id);
            assert_eq!(*refusal, Refusal::InvoiceExists(rows[0].id));
        }
        other => panic!("{other:?}"),
    }
    // One bad row (an unknown debtor) refuses the rows before it too.
    let mixed = vec![row(&ledger, "B-1", "alice", "bob", 100), row(&ledger, "B-2", "alice", "dave", 100)];
    let refusal = ledger.as_admin(Command::ImportInvoices { unit: commun(), invoices: mixed }).unwrap_err();
    assert_eq!(refusal.reason(), "ACCOUNT_NOT_FOUND");
    assert!(refusal.to_string().starts_with("invoice 2 of the import"), "{refusal}");
    // A duplicate inside one import, too.
    let twice = vec![row(&ledger, "C-1", "alice", "bob", 100), row(&ledger, "C-1", "alice", "bob", 100)];
    let refusal = ledger.as_admin(Command::ImportInvoices { unit: commun(), invoices: twice }).unwrap_err();
    assert_eq!((refusal.reason(), refusal.to_string().starts_with("invoice 2")), ("INVOICE_EXISTS", true));
    assert_eq!(ledger.state.invoices.len(), count);
}

#[test]
fn only_a_treasurer_imports_and_an_import_has_a_size() {
    let mut ledger = Ledger::new();
    let alice = ledger.alice.clone();
    let rows = vec![row(&ledger, "A-1", "alice", "bob", 300)];
    let import = Command::ImportInvoices { unit: commun(), invoices: rows };
    assert!(matches!(ledger.refused(import, &alice), Refusal::NotAuthorised(_)));
    let empty = Command::ImportInvoices { unit: commun(), invoices: Vec::new() };
    assert_eq!(ledger.as_admin(empty).unwrap_err(), Refusal::ImportSize { count: 0, max: IMPORT_ROWS_MAX });
    let many: Vec<_> = (0..=IMPORT_ROWS_MAX).map(|i| row(&ledger, &format!("X-{i}"), "alice", "bob", 1)).collect();
    let too_many = Command::ImportInvoices { unit: commun(), invoices: many };
    assert_eq!(
        ledger.as_admin(too_many).unwrap_err(),
        Refusal::ImportSize { count: IMPORT_ROWS_MAX + 1, max: IMPORT_ROWS_MAX }
    );
    assert!(ledger.state.invoices.is_empty());
}

#[test]
fn invoice_commands_round_trip_through_their_signed_bytes() {
    let ledger = Ledger::new();
    let id = RequestId::from_uuid(uuid::Uuid::from_u128(42));
    let commands = [
        (issue("alice", "bob", 100), EntryKind::Invoice),
        (accept(id, 100), EntryKind::InvoiceAcceptance),
        (reject(id), EntryKind::InvoiceRejection),
        (
            Command::ImportInvoices {
                unit: commun(),
                invoices: vec![row(&ledger, "A-1", "alice", "bob", 300), row(&ledger, "A-2", "bob", "carol", 1)],
            },
            EntryKind::InvoiceImport,
        ),
    ];
    for (command, kind) in commands {
        assert_eq!(command.entry_kind(), kind);
        assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
        let signed = SignedCommand::sign(ledger.id, id, command.clone(), &ledger.alice);
        let (ledger_id, request_id, decoded) = decode_signing_bytes(&signed.signing_bytes()).unwrap();
        assert_eq!((ledger_id, request_id, decoded), (ledger.id, id, command));
    }
}
