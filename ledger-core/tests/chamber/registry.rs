//! The chamber's commands applied to a ledger: a treasurer registers a commons, a member declares
//! work for it, and only a steward of that commons validates or refuses a pending declaration.
//! Every refusal changes nothing, and the commands' bytes decode back to themselves.

use ledger_core::account::{AccountKind, Role};
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{
    Category, Commons, CommonsKind, CommonsName, DeclarationStatus, Description, Note, Period, Quantity, RulesOfUse,
    Stewards,
};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DeclarationId, DisplayName, Handle, LedgerId, RequestId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::state::State;

struct Ledger {
    state: State,
    id: LedgerId,
    next: u128,
}

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

/// Admin (and treasurer) signs with seed 2; alice 3, bob 4, carol 5, dave 6.
const ADMIN: u8 = 2;
const MEMBERS: [(&str, u8); 4] = [("alice", 3), ("bob", 4), ("carol", 5), ("dave", 6)];

impl Ledger {
    /// A ledger with one unit and four members; dave is also a treasurer.
    fn new() -> Self {
        let mut ledger = Ledger { state: State::new(), id: LedgerId::from_uuid(uuid::Uuid::from_u128(7)), next: 0 };
        let genesis = Command::Genesis { admin_key: key(ADMIN).public_key(), node_key: key(1).public_key() };
        ledger.apply(genesis, 1).unwrap();
        let unit = UnitCode::parse("COMMUN").unwrap();
        let create =
            Command::CreateUnit { code: unit.clone(), scale: Scale::new(2).unwrap(), name: DisplayName::default() };
        ledger.apply(create, ADMIN).unwrap();
        for (name, seed) in MEMBERS {
            let open = Command::OpenAccount {
                handle: handle(name),
                unit: unit.clone(),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: key(seed).public_key(),
                credit_limit: Amount::ZERO,
                ceiling: None,
                soft_limit: None,
            };
            ledger.apply(open, ADMIN).unwrap();
        }
        ledger.apply(Command::GrantRole { handle: handle("dave"), role: Role::Treasurer }, ADMIN).unwrap();
        ledger
    }

    /// Signs with `seed`, round-trips the signed bytes, and applies; returns the request id too.
    fn apply(&mut self, command: Command, seed: u8) -> Result<RequestId, Refusal> {
        self.next += 1;
        let request_id = RequestId::from_uuid(uuid::Uuid::from_u128(self.next));
        let signed = SignedCommand::sign(self.id, request_id, command.clone(), &key(seed));
        let (_, _, decoded) = decode_signing_bytes(&signed.signing_bytes()).unwrap();
        assert_eq!(decoded, command, "the signed bytes decode back to the command");
        self.state.apply(&signed, 1_000 * self.next as i64).map(|_| request_id)
    }

    /// Applies a command that must be refused, and checks the state did not change.
    fn refused(&mut self, command: Command, seed: u8) -> Refusal {
        self.state.take_changes();
        let before = self.state.clone();
        let refusal = self.apply(command, seed).unwrap_err();
        assert_eq!(self.state, before, "a refusal changes nothing");
        refusal
    }
}

fn garden() -> CommonsName {
    CommonsName::parse("jardin-partage").unwrap()
}

fn add_garden(stewards: &[&str]) -> Command {
    Command::AddCommons {
        commons: Commons {
            name: garden(),
            kind: CommonsKind::parse("garden").unwrap(),
            description: Description::parse("Le jardin de la rue des Lilas").unwrap(),
            rules_of_use: RulesOfUse::parse("Outils rendus le soir.").unwrap(),
            stewards: Stewards::new(stewards.iter().map(|s| handle(s))).unwrap(),
        },
    }
}

fn declare(contributor: &str, commons: CommonsName) -> Command {
    Command::Declare {
        contributor: handle(contributor),
        commons,
        category: Category::parse("gardening").unwrap(),
        quantity: Quantity::parse("2.5").unwrap(),
        period: Period::parse("2026-11").unwrap(),
        note: Note::parse("Désherbage").unwrap(),
    }
}

fn validate(declaration: DeclarationId) -> Command {
    Command::ValidateDeclaration { declaration, commons: garden() }
}

fn refuse(declaration: DeclarationId) -> Command {
    Command::RefuseDeclaration { declaration, commons: garden() }
}

fn declaration_id(request: RequestId) -> DeclarationId {
    DeclarationId::from_uuid(request.uuid())
}

#[test]
fn only_a_treasurer_registers_a_commons_once_with_stewards_who_have_accounts() {
    let mut ledger = Ledger::new();
    assert!(matches!(ledger.refused(add_garden(&["bob"]), 3), Refusal::NotAuthorised(_)));
    assert_eq!(ledger.refused(add_garden(&["bob", "zoe"]), ADMIN), Refusal::UnknownAccount(handle("zoe")));
    ledger.apply(add_garden(&["bob"]), ADMIN).unwrap();
    assert_eq!(ledger.state.take_changes().commons.into_iter().collect::<Vec<_>>(), [garden()]);
    assert_eq!(ledger.refused(add_garden(&["carol"]), ADMIN), Refusal::CommonsExists(garden()));
    assert!(ledger.state.commons[&garden()].stewards.contains(&handle("bob")));
}

#[test]
fn a_member_declares_for_a_registered_commons_and_only_for_themselves() {
    let mut ledger = Ledger::new();
    ledger.apply(add_garden(&["bob"]), ADMIN).unwrap();
    let unknown = CommonsName::parse("fablab").unwrap();
    assert_eq!(ledger.refused(declare("alice", unknown.clone()), 3), Refusal::UnknownCommons(unknown));
    assert!(matches!(ledger.refused(declare("alice", garden()), 4), Refusal::NotAuthorised(_)));
    let request = ledger.apply(declare("alice", garden()), 3).unwrap();
    let declaration = &ledger.state.declarations[&declaration_id(request)];
    assert_eq!(declaration.status, DeclarationStatus::Pending);
    assert_eq!((declaration.contributor.as_str(), declaration.quantity.format()), ("alice", "2.500".to_owned()));
}

#[test]
fn only_a_steward_of_that_commons_validates_and_only_once() {
    let mut ledger = Ledger::new();
    ledger.apply(add_garden(&["bob"]), ADMIN).unwrap();
    let id = declaration_id(ledger.apply(declare("alice", garden()), 3).unwrap());
    // Another member, the contributor, a treasurer and the admin are no stewards of it.
    for seed in [5, 3, 6, ADMIN] {
        let refusal = ledger.refused(validate(id), seed);
        assert_eq!(refusal.reason(), "NOT_AUTHORISED");
        assert!(refusal.to_string().contains("steward of the declaration's commons"), "{refusal}");
    }
    let fablab = CommonsName::parse("fablab").unwrap();
    let other = Command::ValidateDeclaration { declaration: id, commons: fablab.clone() };
    assert_eq!(ledger.refused(other, 4), Refusal::DeclarationMismatch { id, commons: garden() });
    ledger.apply(validate(id), 4).unwrap();
    assert_eq!(ledger.state.declarations[&id].status, DeclarationStatus::Validated);
    assert_eq!(ledger.refused(validate(id), 4), Refusal::DeclarationNotPending { id, status: "validated" });
    assert_eq!(ledger.refused(refuse(id), 4), Refusal::DeclarationNotPending { id, status: "validated" });
}

#[test]
fn a_steward_refuses_a_pending_declaration_for_good() {
    let mut ledger = Ledger::new();
    ledger.apply(add_garden(&["bob", "carol"]), ADMIN).unwrap();
    let id = declaration_id(ledger.apply(declare("alice", garden()), 3).unwrap());
    ledger.apply(refuse(id), 5).unwrap();
    assert_eq!(ledger.state.declarations[&id].status, DeclarationStatus::Refused);
    assert_eq!(ledger.refused(validate(id), 4), Refusal::DeclarationNotPending { id, status: "refused" });
    let unknown = DeclarationId::from_uuid(uuid::Uuid::from_u128(999));
    assert_eq!(ledger.refused(validate(unknown), 4), Refusal::UnknownDeclaration(unknown));
}
