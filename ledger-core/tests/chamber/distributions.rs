//! Distributions as commands: a treasurer proposes the plan they reviewed (its rule, amount and
//! lines' digest), the ledger plans again and refuses anything else; the approval that reaches
//! the quorum moves exactly the planned lines from the fund in one entry, pays each declaration
//! once, and the fund never goes below zero. Every accepted entry is sealed onto a chain and
//! replayed by the verifier; every refusal changes nothing.

use ledger_core::account::{AccountKind, AccountStatus, Role};
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{
    Category, Commons, CommonsKind, CommonsName, Description, DistributionStatus, Note, Period, Plan, Quantity, Quorum,
    RuleTerms, RulesOfUse, SkipReason, Stewards, distribution_transfer_id, lines_digest,
};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes};
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::SecretKey;
use ledger_core::names::{
    DeclarationId, DisplayName, DistributionId, Handle, LedgerId, Memo, Reason, RequestId, RuleId, UnitCode,
};
use ledger_core::refusal::Refusal;
use ledger_core::replay::Replayer;
use ledger_core::state::{Applied, State};
use ledger_core::transfer::TransferKind;
use proptest::prelude::*;

use crate::support::{rate, rule, terms};

/// 2026-03-15T00:00:00Z: every entry is stamped in the period distributed (support's `period()`).
const MID_MARCH_2026_MS: i64 = 1_773_532_800_000;

/// Admin (also treasurer) 2; treasurers tom 3, tess 4; members ana 5, ben 6 (ceiling 10.00);
/// business bakery 7.
const ADMIN: u8 = 2;
const TOM: u8 = 3;
const TESS: u8 = 4;
const ANA: u8 = 5;
const BEN: u8 = 6;
const BAKERY: u8 = 7;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

fn unit() -> UnitCode {
    UnitCode::parse("COMMUN").unwrap()
}

fn march() -> Period {
    crate::support::period()
}

fn minor(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap()
}

fn garden() -> CommonsName {
    CommonsName::parse("garden").unwrap()
}

/// A ledger whose every accepted command is also sealed onto a chain and replayed.
struct Ledger {
    state: State,
    replayer: Replayer,
    id: LedgerId,
    next: u128,
    head: (u64, EntryHash),
}

impl Ledger {
    /// The accounts above, the garden (steward tom), and a fund holding `fund` minor units given
    /// by the bakery; no rule yet.
    fn new(fund: i64) -> Self {
        let mut ledger = Ledger {
            state: State::new(),
            replayer: Replayer::new(),
            id: LedgerId::from_uuid(uuid::Uuid::from_u128(11)),
            next: 0,
            head: (0, EntryHash::GENESIS_PREV),
        };
        let genesis = Command::Genesis { admin_key: key(ADMIN).public_key(), node_key: key(1).public_key() };
        ledger.apply(genesis, 1).unwrap();
        let create = Command::CreateUnit { code: unit(), scale: Scale::new(2).unwrap(), name: DisplayName::default() };
        ledger.apply(create, ADMIN).unwrap();
        for (name, seed, kind, credit, ceiling) in [
            ("tom", TOM, AccountKind::Member, 0, None),
            ("tess", TESS, AccountKind::Member, 0, None),
            ("ana", ANA, AccountKind::Member, 0, None),
            ("ben", BEN, AccountKind::Member, 0, Some(minor(1_000))),
            ("bakery", BAKERY, AccountKind::Business, 100_000_000, None),
        ] {
            let open = Command::OpenAccount {
                handle: handle(name),
                unit: unit(),
                kind,
                name: DisplayName::default(),
                public_key: key(seed).public_key(),
                credit_limit: minor(credit),
                ceiling,
                soft_limit: None,
            };
            ledger.apply(open, ADMIN).unwrap();
        }
        for treasurer in ["tom", "tess"] {
            ledger.apply(Command::GrantRole { handle: handle(treasurer), role: Role::Treasurer }, ADMIN).unwrap();
        }
        let commons = Commons {
            name: garden(),
            kind: CommonsKind::parse("garden").unwrap(),
            description: Description::parse("The shared garden").unwrap(),
            rules_of_use: RulesOfUse::parse("Tools back by night.").unwrap(),
            stewards: Stewards::new([handle("tom")]).unwrap(),
        };
        ledger.apply(Command::AddCommons { commons }, ADMIN).unwrap();
        if fund > 0 {
            ledger.give(fund);
        }
        ledger
    }

    fn apply(&mut self, command: Command, seed: u8) -> Result<(RequestId, Applied), Refusal> {
        self.next += 1;
        let request_id = RequestId::from_uuid(uuid::Uuid::from_u128(self.next));
        let signed = SignedCommand::sign(self.id, request_id, command.clone(), &key(seed));
        let (_, _, decoded) = decode_signing_bytes(&signed.signing_bytes()).unwrap();
        assert_eq!(decoded, command, "the signed bytes decode back to the command");
        let timestamp_ms = MID_MARCH_2026_MS + 1_000 * self.next as i64;
        self.state.take_changes();
        let before = self.state.clone();
        match self.state.apply(&signed, timestamp_ms) {
            Ok(applied) => {
                let entry = Entry::seal(
                    self.head.0 + 1,
                    timestamp_ms,
                    command.entry_kind(),
                    signed.signing_bytes(),
                    signed.signatures.clone(),
                    applied.postings.clone(),
                    self.head.1,
                );
                self.head = (entry.seq, entry.hash);
                self.replayer.push(&entry).expect("the verifier replays what apply accepted");
                self.state.check_invariants(true).unwrap();
                Ok((request_id, applied))
            }
            Err(refusal) => {
                assert_eq!(self.state, before, "a refusal changes nothing");
                Err(refusal)
            }
        }
    }

    /// The bakery gives `amount` minor units to the fund.
    fn give(&mut self, amount: i64) {
        let give = Command::Contribute {
            business: handle("bakery"),
            unit: unit(),
            amount: minor(amount),
            memo: Memo::default(),
        };
        self.apply(give, BAKERY).unwrap();
    }

    /// `contributor` declares `thousandths` of `category` work in March; tom validates it.
    fn validated(&mut self, contributor: (&str, u8), category: &str, thousandths: u64) -> DeclarationId {
        let declare = Command::Declare {
            contributor: handle(contributor.0),
            commons: garden(),
            category: Category::parse(category).unwrap(),
            quantity: Quantity::from_thousandths(thousandths).unwrap(),
            period: march(),
            note: Note::default(),
        };
        let (id, _) = self.apply(declare, contributor.1).unwrap();
        let declaration = DeclarationId::from_uuid(id.uuid());
        self.apply(Command::ValidateDeclaration { declaration, commons: garden() }, TOM).unwrap();
        declaration
    }

    /// Adopts (quorum 1, by the admin) a rule sharing `pool_share` basis points of the fund.
    fn adopt(&mut self, pool_share: u32) -> RuleId {
        let terms = RuleTerms { pool_share: rate(pool_share), ..terms(&[("gardening", 1_000), ("care", 2_000)]) };
        let propose = Command::ProposeRule { unit: unit(), rule: rule(terms) };
        let (id, _) = self.apply(propose, ADMIN).unwrap();
        RuleId::from_uuid(id.uuid())
    }

    fn plan(&self) -> Plan {
        self.state.plan_distribution(&unit(), march()).unwrap()
    }

    /// The proposal a treasurer signs after reviewing `plan`.
    fn proposal(plan: &Plan) -> Command {
        Command::ProposeDistribution {
            unit: unit(),
            period: march(),
            rule: plan.rule,
            distributed: plan.allocation.distributed,
            lines_digest: lines_digest(&plan.allocation.lines),
        }
    }

    fn propose(&mut self, seed: u8) -> Result<(DistributionId, Applied), Refusal> {
        let command = Self::proposal(&self.plan());
        self.apply(command, seed).map(|(id, applied)| (DistributionId::from_uuid(id.uuid()), applied))
    }

    fn approve(&mut self, distribution: DistributionId, seed: u8) -> Result<Applied, Refusal> {
        self.apply(Command::ApproveDistribution { distribution }, seed).map(|(_, applied)| applied)
    }

    fn balance(&self, name: &str) -> i64 {
        self.state.accounts[&handle(name)].balance
    }
}

fn posting(account: &str, delta: i64) -> Posting {
    Posting { account: handle(account), unit: unit(), delta }
}

#[test]
fn with_a_quorum_of_one_the_proposal_executes_exactly_the_plan_reviewed() {
    let mut ledger = Ledger::new(9_000);
    ledger.adopt(10_000);
    let ana = ledger.validated(("ana", ANA), "gardening", 2_000);
    let ben = ledger.validated(("ben", BEN), "care", 500);
    let plan = ledger.plan();
    // Points: ana 2 × 1 = 2, ben 0.5 × 2 = 1: 6000 and 3000, ben's ceiling keeps 2000 of his.
    let lines: Vec<(DeclarationId, i64)> = plan.allocation.lines.iter().map(|l| (l.declaration, l.amount)).collect();
    let mut expected = vec![(ana, 6_000), (ben, 1_000)];
    expected.sort();
    assert_eq!(lines, expected);

    let (id, applied) = ledger.propose(TOM).unwrap();
    assert_eq!(applied.postings, [posting("fund-commun", -7_000), posting("ana", 6_000), posting("ben", 1_000)]);
    assert_eq!((ledger.balance("fund-commun"), ledger.balance("ana"), ledger.balance("ben")), (2_000, 6_000, 1_000));
    let record = &ledger.state.distributions[&id];
    assert_eq!(record.status, DistributionStatus::Executed);
    assert_eq!(record.lines, plan.allocation.lines, "the dry run and the executed distribution are identical");
    assert_eq!(record.distributed, 7_000);
    for (declaration, contributor, amount) in [(ana, "ana", 6_000), (ben, "ben", 1_000)] {
        assert_eq!(ledger.state.declarations[&declaration].paid_by, Some(id));
        let transfer = &ledger.state.transfers[&distribution_transfer_id(id, &handle(contributor))];
        assert_eq!(
            (transfer.kind, &transfer.payer, &transfer.payee, transfer.amount),
            (TransferKind::Distribution, &handle("fund-commun"), &handle(contributor), minor(amount))
        );
    }
    // Everything is paid: a second distribution of March has nothing left to pay.
    let again = Ledger::proposal(&plan);
    assert_eq!(ledger.apply(again, TOM).unwrap_err(), Refusal::NothingToDistribute { unit: unit(), period: march() });
}

#[test]
fn a_later_distribution_of_the_period_pays_only_what_was_validated_since() {
    let mut ledger = Ledger::new(10_000);
    ledger.adopt(5_000);
    ledger.validated(("ana", ANA), "gardening", 1_000);
    ledger.propose(TOM).unwrap();
    assert_eq!(ledger.balance("ana"), 5_000);
    let late = ledger.validated(("ana", ANA), "gardening", 1_000);
    let plan = ledger.plan();
    assert_eq!(plan.allocation.lines.len(), 1);
    assert_eq!(plan.allocation.lines[0].declaration, late);
    let (_, applied) = ledger.propose(TESS).unwrap();
    assert_eq!(applied.postings, [posting("fund-commun", -2_500), posting("ana", 2_500)]);
}

#[test]
fn below_the_quorum_nothing_moves_and_the_approval_that_reaches_it_executes() {
    let mut ledger = Ledger::new(9_000);
    ledger.adopt(10_000);
    ledger.validated(("ana", ANA), "gardening", 1_000);
    ledger.apply(Command::SetQuorum { quorum: Quorum::new(2).unwrap() }, ADMIN).unwrap();
    let (id, applied) = ledger.propose(TOM).unwrap();
    assert!(applied.postings.is_empty());
    assert_eq!(ledger.state.distributions[&id].status, DistributionStatus::Proposed);
    assert_eq!(ledger.balance("fund-commun"), 9_000);
    // The proposer counted once already; a member may not approve.
    assert_eq!(
        ledger.approve(id, TOM).unwrap_err(),
        Refusal::DistributionAlreadyApproved { distribution: id, by: handle("tom") }
    );
    assert!(matches!(ledger.approve(id, ANA).unwrap_err(), Refusal::NotAuthorised(_)));
    // Contributions arriving meanwhile do not change what was approved.
    ledger.give(1_000);
    let applied = ledger.approve(id, TESS).unwrap();
    assert_eq!(applied.postings, [posting("fund-commun", -9_000), posting("ana", 9_000)]);
    assert_eq!(ledger.state.distributions[&id].status, DistributionStatus::Executed);
    assert_eq!(ledger.approve(id, ADMIN).unwrap_err(), Refusal::DistributionAlreadyExecuted(id));
}

#[test]
fn a_proposal_whose_declarations_another_distribution_paid_can_no_longer_execute() {
    let mut ledger = Ledger::new(9_000);
    ledger.adopt(5_000);
    let ana = ledger.validated(("ana", ANA), "gardening", 1_000);
    ledger.apply(Command::SetQuorum { quorum: Quorum::new(2).unwrap() }, ADMIN).unwrap();
    let (first, _) = ledger.propose(TOM).unwrap();
    let (second, _) = ledger.propose(TESS).unwrap();
    ledger.approve(first, TESS).unwrap();
    assert_eq!(
        ledger.approve(second, TOM).unwrap_err(),
        Refusal::DeclarationAlreadyPaid { declaration: ana, by: first }
    );
    assert_eq!(ledger.balance("fund-commun"), 4_500, "paid once");
}

#[test]
fn a_proposal_other_than_the_plan_of_its_moment_is_refused() {
    let mut ledger = Ledger::new(9_000);
    let no_rule = Command::ProposeDistribution {
        unit: unit(),
        period: march(),
        rule: RuleId::from_uuid(uuid::Uuid::from_u128(1)),
        distributed: 0,
        lines_digest: [0; 32],
    };
    assert!(matches!(ledger.apply(no_rule, TOM).unwrap_err(), Refusal::NoDistributionPlan(_)));
    ledger.adopt(10_000);
    ledger.validated(("ana", ANA), "gardening", 1_000);
    let plan = ledger.plan();
    let reviewed = Ledger::proposal(&plan);
    let Command::ProposeDistribution { rule, distributed, lines_digest, .. } = reviewed.clone() else { unreachable!() };

    let more = Command::ProposeDistribution {
        unit: unit(),
        period: march(),
        rule,
        distributed: distributed + 1,
        lines_digest,
    };
    assert!(matches!(ledger.apply(more, TOM).unwrap_err(), Refusal::DistributionChanged { .. }));
    let other_lines =
        Command::ProposeDistribution { unit: unit(), period: march(), rule, distributed, lines_digest: [7; 32] };
    assert!(matches!(ledger.apply(other_lines, TOM).unwrap_err(), Refusal::DistributionChanged { .. }));
    let other_rule = Command::ProposeDistribution {
        unit: unit(),
        period: march(),
        rule: RuleId::from_uuid(uuid::Uuid::from_u128(99)),
        distributed,
        lines_digest,
    };
    assert!(matches!(ledger.apply(other_rule, TOM).unwrap_err(), Refusal::DistributionChanged { .. }));
    let april = Command::ProposeDistribution {
        unit: unit(),
        period: Period::parse("2026-04").unwrap(),
        rule,
        distributed,
        lines_digest,
    };
    assert_eq!(ledger.apply(april, TOM).unwrap_err(), Refusal::PeriodNotStarted(Period::parse("2026-04").unwrap()));
    assert!(matches!(ledger.apply(reviewed.clone(), ANA).unwrap_err(), Refusal::NotAuthorised(_)));

    // The fund grew since the review: the plan reviewed is stale, and refused.
    ledger.give(1_000);
    assert!(matches!(ledger.apply(reviewed, TOM).unwrap_err(), Refusal::DistributionChanged { .. }));
    assert!(ledger.state.distributions.is_empty());
    assert_eq!(ledger.balance("fund-commun"), 10_000);
}

#[test]
fn a_proposal_id_is_used_once() {
    let mut ledger = Ledger::new(9_000);
    ledger.adopt(5_000);
    ledger.validated(("ana", ANA), "gardening", 1_000);
    let (id, _) = ledger.propose(TOM).unwrap();
    let command = Ledger::proposal(&ledger.plan());
    let signed = SignedCommand::sign(ledger.id, RequestId::from_uuid(id.uuid()), command, &key(TESS));
    let before = ledger.state.clone();
    assert_eq!(ledger.state.apply(&signed, MID_MARCH_2026_MS + 999_000).unwrap_err(), Refusal::DistributionExists(id));
    assert_eq!(ledger.state, before);
}

#[test]
fn a_frozen_contributors_work_waits_unpaid_for_a_later_distribution() {
    let mut ledger = Ledger::new(9_000);
    ledger.adopt(10_000);
    let ana = ledger.validated(("ana", ANA), "gardening", 1_000);
    let ben = ledger.validated(("ben", BEN), "gardening", 1_000);
    let freeze = |status| Command::SetStatus { handle: handle("ben"), status, reason: Reason::parse("keys").unwrap() };
    ledger.apply(freeze(AccountStatus::Frozen), ADMIN).unwrap();
    let plan = ledger.plan();
    assert_eq!(plan.allocation.lines.iter().map(|l| l.declaration).collect::<Vec<_>>(), [ana]);
    assert!(
        plan.allocation.skipped.iter().any(|s| s.declaration == ben && s.reason == SkipReason::ContributorInactive)
    );
    let (_, applied) = ledger.propose(TOM).unwrap();
    assert_eq!(applied.postings, [posting("fund-commun", -9_000), posting("ana", 9_000)]);
    assert_eq!(ledger.state.declarations[&ben].paid_by, None, "not settled at zero");
    // Active again, ben is paid by the next distribution of the period.
    ledger.apply(freeze(AccountStatus::Active), ADMIN).unwrap();
    ledger.give(500);
    let (_, applied) = ledger.propose(TESS).unwrap();
    assert_eq!(applied.postings, [posting("fund-commun", -500), posting("ben", 500)]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For any fund, share and validated work: the executed distribution moves exactly the lines
    /// of the dry run before it, the postings sum to zero, the fund never goes below zero, and
    /// every declaration paid is marked paid by it.
    #[test]
    fn the_executed_distribution_is_the_dry_run(
        fund in 0_i64..=5_000_000,
        share in 1_u32..=10_000,
        work in proptest::collection::vec((0_usize..2, prop_oneof![Just("gardening"), Just("care")], 1_u64..=50_000), 1..8),
    ) {
        let mut ledger = Ledger::new(fund);
        ledger.adopt(share);
        for (who, category, thousandths) in work {
            let contributor = [("ana", ANA), ("ben", BEN)][who];
            ledger.validated(contributor, category, thousandths);
        }
        let plan = ledger.plan();
        let before = ledger.balance("fund-commun");
        let (id, applied) = ledger.propose(TOM).unwrap();
        prop_assert_eq!(&ledger.state.distributions[&id].lines, &plan.allocation.lines);
        prop_assert_eq!(applied.postings.iter().map(|p| p.delta).sum::<i64>(), 0);
        prop_assert_eq!(ledger.balance("fund-commun"), before - plan.allocation.distributed);
        prop_assert!(ledger.balance("fund-commun") >= 0);
        for (contributor, total) in &plan.allocation.by_contributor {
            prop_assert_eq!(ledger.balance(contributor.as_str()), total.amount);
        }
        for line in &plan.allocation.lines {
            prop_assert_eq!(ledger.state.declarations[&line.declaration].paid_by, Some(id));
        }
    }
}
