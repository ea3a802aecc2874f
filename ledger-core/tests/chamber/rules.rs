//! The rule book as commands: the admin sets the quorum, a treasurer proposes a rule (the first
//! approval), other treasurers approve it, each once; the approval that reaches the quorum adopts
//! it with the next version, and only adopted rules are ever in force. Refusals change nothing,
//! and a replay of the journal's commands reaches the same rule book.

use ledger_core::account::{AccountKind, Role};
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{Period, Quorum, RuleBook, RuleStatus, adopted_in_order, rule_in_force};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, RequestId, RuleId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::state::State;

use crate::support::{rate, rule, terms};

/// Admin (also a treasurer) signs with seed 2; treasurers tom 3, tess 4, tim 5; member mo 6.
const ADMIN: u8 = 2;
const TOM: u8 = 3;
const TESS: u8 = 4;
const TIM: u8 = 5;
const MO: u8 = 6;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

struct Ledger {
    state: State,
    id: LedgerId,
    next: u128,
    /// Every command accepted, to replay.
    journal: Vec<(SignedCommand, i64)>,
}

impl Ledger {
    fn new() -> Self {
        let mut ledger = Ledger {
            state: State::new(),
            id: LedgerId::from_uuid(uuid::Uuid::from_u128(11)),
            next: 0,
            journal: Vec::new(),
        };
        let genesis = Command::Genesis { admin_key: key(ADMIN).public_key(), node_key: key(1).public_key() };
        ledger.apply(genesis, 1).unwrap();
        let unit = UnitCode::parse("COMMUN").unwrap();
        let create =
            Command::CreateUnit { code: unit.clone(), scale: Scale::new(2).unwrap(), name: DisplayName::default() };
        ledger.apply(create, ADMIN).unwrap();
        for (name, seed) in [("tom", TOM), ("tess", TESS), ("tim", TIM), ("mo", MO)] {
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
            if name != "mo" {
                ledger.apply(Command::GrantRole { handle: handle(name), role: Role::Treasurer }, ADMIN).unwrap();
            }
        }
        ledger
    }

    fn apply(&mut self, command: Command, seed: u8) -> Result<RequestId, Refusal> {
        self.next += 1;
        let request_id = RequestId::from_uuid(uuid::Uuid::from_u128(self.next));
        let signed = SignedCommand::sign(self.id, request_id, command.clone(), &key(seed));
        let (_, _, decoded) = decode_signing_bytes(&signed.signing_bytes()).unwrap();
        assert_eq!(decoded, command, "the signed bytes decode back to the command");
        let at = 1_000 * self.next as i64;
        self.state.apply(&signed, at)?;
        self.journal.push((signed, at));
        Ok(request_id)
    }

    fn refused(&mut self, command: Command, seed: u8) -> Refusal {
        self.state.take_changes();
        let before = self.state.clone();
        let refusal = self.apply(command, seed).unwrap_err();
        assert_eq!(self.state, before, "a refusal changes nothing");
        refusal
    }

    fn propose(&mut self, from: &str, share: u32, seed: u8) -> RuleId {
        let terms = terms(&[("gardening", 1_000)]);
        let rule = rule(ledger_core::chamber::RuleTerms {
            effective_from: Period::parse(from).unwrap(),
            pool_share: rate(share),
            ..terms
        });
        let unit = UnitCode::parse("COMMUN").unwrap();
        RuleId::from_uuid(self.apply(Command::ProposeRule { unit, rule }, seed).unwrap().uuid())
    }

    fn quorum(&mut self, approvals: u32) {
        self.apply(Command::SetQuorum { quorum: Quorum::new(approvals).unwrap() }, ADMIN).unwrap();
    }

    fn status(&self, id: RuleId) -> (RuleStatus, Option<u32>, usize) {
        let record = &self.state.rules[&id];
        (record.status(), record.version, record.approvals.len())
    }
}

fn approve(rule: RuleId) -> Command {
    Command::ApproveRule { rule }
}

#[test]
fn until_a_quorum_is_set_a_treasurers_proposal_is_adopted_at_once() {
    let mut ledger = Ledger::new();
    assert_eq!(ledger.state.rule_book_or_default(), RuleBook { quorum: Quorum::DEFAULT, adopted: 0 });
    let id = ledger.propose("2026-01", 5_000, TOM);
    assert_eq!(ledger.status(id), (RuleStatus::Adopted, Some(1), 1));
    assert_eq!(ledger.refused(approve(id), TESS), Refusal::RuleAlreadyAdopted { rule: id, version: 1 });
}

#[test]
fn a_rule_is_adopted_by_the_approval_that_reaches_the_quorum_and_each_treasurer_counts_once() {
    let mut ledger = Ledger::new();
    ledger.quorum(3);
    let id = ledger.propose("2026-01", 5_000, TOM);
    assert_eq!(ledger.status(id), (RuleStatus::Proposed, None, 1));
    // The proposer's signature was the first approval: approving again is refused.
    assert_eq!(ledger.refused(approve(id), TOM), Refusal::RuleAlreadyApproved { rule: id, by: handle("tom") });
    ledger.apply(approve(id), TESS).unwrap();
    assert_eq!(ledger.refused(approve(id), TESS), Refusal::RuleAlreadyApproved { rule: id, by: handle("tess") });
    assert_eq!(ledger.status(id), (RuleStatus::Proposed, None, 2));
    // A rule without quorum has no effect.
    let period = Period::parse("2026-06").unwrap();
    assert!(rule_in_force(&adopted_in_order(ledger.state.rules.values()), period).is_none());
    ledger.apply(approve(id), TIM).unwrap();
    assert_eq!(ledger.status(id), (RuleStatus::Adopted, Some(1), 3));
    assert!(rule_in_force(&adopted_in_order(ledger.state.rules.values()), period).is_some());
    assert_eq!(ledger.refused(approve(id), ADMIN), Refusal::RuleAlreadyAdopted { rule: id, version: 1 });
}

#[test]
fn only_treasurers_propose_and_approve_and_only_an_admin_sets_the_quorum() {
    let mut ledger = Ledger::new();
    let set = Command::SetQuorum { quorum: Quorum::new(2).unwrap() };
    assert!(matches!(ledger.refused(set.clone(), TOM), Refusal::NotAuthorised(_)));
    ledger.apply(set, ADMIN).unwrap();
    let rule = rule(terms(&[("gardening", 1_000)]));
    let unit = UnitCode::parse("COMMUN").unwrap();
    let refused = ledger.refused(Command::ProposeRule { unit, rule: rule.clone() }, MO);
    let hour = UnitCode::parse("HOUR").unwrap();
    assert_eq!(ledger.refused(Command::ProposeRule { unit: hour.clone(), rule }, TOM), Refusal::UnknownUnit(hour));
    assert_eq!(refused.reason(), "NOT_AUTHORISED");
    let id = ledger.propose("2026-01", 5_000, TOM);
    assert_eq!(ledger.refused(approve(id), MO).reason(), "NOT_AUTHORISED");
    let unknown = RuleId::from_uuid(uuid::Uuid::from_u128(999));
    assert_eq!(ledger.refused(approve(unknown), TESS), Refusal::UnknownRule(unknown));
}

#[test]
fn versions_follow_the_order_of_adoption_not_of_proposal_and_pick_the_rule_in_force() {
    let mut ledger = Ledger::new();
    ledger.quorum(2);
    let first = ledger.propose("2026-01", 1_000, TOM);
    let second = ledger.propose("2026-01", 2_000, TESS);
    let later = ledger.propose("2026-06", 3_000, TIM);
    // The second proposal is adopted first, then the first: it is the newer version.
    ledger.apply(approve(second), TOM).unwrap();
    ledger.apply(approve(first), TIM).unwrap();
    assert_eq!(ledger.status(second).1, Some(1));
    assert_eq!(ledger.status(first).1, Some(2));
    assert_eq!(ledger.status(later), (RuleStatus::Proposed, None, 1));
    let share = |ledger: &Ledger, period: &str| {
        let adopted = adopted_in_order(ledger.state.rules.values());
        rule_in_force(&adopted, Period::parse(period).unwrap()).map(|rule| rule.terms().pool_share.points())
    };
    assert_eq!(share(&ledger, "2025-12"), None);
    assert_eq!(share(&ledger, "2026-03"), Some(1_000));
    // Not adopted yet: June is still under the January rule.
    assert_eq!(share(&ledger, "2026-07"), Some(1_000));
    ledger.apply(approve(later), ADMIN).unwrap();
    assert_eq!(ledger.status(later).1, Some(3));
    assert_eq!(share(&ledger, "2026-07"), Some(3_000));
    assert_eq!(ledger.state.rule_book_or_default().adopted, 3);
}

#[test]
fn a_lowered_quorum_judges_later_approvals_and_a_replay_reaches_the_same_rule_book() {
    let mut ledger = Ledger::new();
    ledger.quorum(3);
    let id = ledger.propose("2026-01", 5_000, TOM);
    ledger.apply(approve(id), TESS).unwrap();
    ledger.quorum(2);
    assert_eq!(ledger.status(id), (RuleStatus::Proposed, None, 2), "setting the quorum adopts nothing by itself");
    ledger.apply(approve(id), TIM).unwrap();
    assert_eq!(ledger.status(id), (RuleStatus::Adopted, Some(1), 3));
    let another = ledger.propose("2026-02", 5_000, TESS);
    ledger.apply(approve(another), TOM).unwrap();
    assert_eq!(ledger.status(another).1, Some(2));

    let mut replayed = State::new();
    for (signed, at) in &ledger.journal {
        replayed.apply(signed, *at).unwrap();
    }
    assert_eq!(replayed.rules, ledger.state.rules);
    assert_eq!(replayed.rule_book, ledger.state.rule_book);
    // The same proposal twice (a copied entry) is refused by its id.
    let (copy, at) = ledger.journal.iter().find(|(s, _)| matches!(s.command, Command::ProposeRule { .. })).unwrap();
    let first = RuleId::from_uuid(copy.request_id.uuid());
    assert_eq!(replayed.apply(copy, *at), Err(Refusal::RuleExists(first)));
}
