//! Contributions to the commons fund applied to a ledger: a levy posted in the payment's own
//! entry and rounded down, limits judged after both the payment and its levy, a reversal that
//! gives the levy back, one-off contributions by the business, and a collect that posts each
//! recurring contribution at most once and reports, never forces, what does not fit. Every entry
//! is sealed onto a chain and replayed by the `Replayer`, so the verifier agrees with `apply`.

use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale};
use ledger_core::chamber::{Agreement, BasisPoints, CollectOutcome, Period, collection_id, levy_id, levy_reversal_id};
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes};
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, Reason, RequestId, UnitCode};
use ledger_core::refusal::Refusal;
use ledger_core::replay::Replayer;
use ledger_core::state::{Applied, State};
use ledger_core::transfer::TransferKind;

/// 2026-03-01T00:00:00Z: every entry of these tests is stamped in March 2026 or just after.
const MARCH_2026_MS: i64 = 1_772_323_200_000;

const ADMIN: u8 = 2;
const ALICE: u8 = 3;
const BAKERY: u8 = 4;
const CAFE: u8 = 5;

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn handle(text: &str) -> Handle {
    Handle::parse(text).unwrap()
}

fn unit() -> UnitCode {
    UnitCode::parse("COMMUN").unwrap()
}

fn minor(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap()
}

fn period(text: &str) -> Period {
    Period::parse(text).unwrap()
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
    /// Alice (member, credit 1000.00), the bakery (business, credit 10.00) and the café
    /// (business, credit 0, ceiling 100.00); no agreement yet.
    fn new() -> Self {
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
            ("alice", ALICE, AccountKind::Member, 100_000, None),
            ("bakery", BAKERY, AccountKind::Business, 1_000, None),
            ("cafe", CAFE, AccountKind::Business, 0, Some(minor(10_000))),
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
        ledger
    }

    /// Signs with `seed`, checks the bytes decode back, applies, and on success seals the entry
    /// and replays it.
    fn apply(&mut self, command: Command, seed: u8) -> Result<(RequestId, Applied), Refusal> {
        self.next += 1;
        self.apply_as(RequestId::from_uuid(uuid::Uuid::from_u128(self.next)), command, seed)
    }

    fn apply_as(&mut self, request_id: RequestId, command: Command, seed: u8) -> Result<(RequestId, Applied), Refusal> {
        let signed = SignedCommand::sign(self.id, request_id, command.clone(), &key(seed));
        let (_, _, decoded) = decode_signing_bytes(&signed.signing_bytes()).unwrap();
        assert_eq!(decoded, command, "the signed bytes decode back to the command");
        let timestamp_ms = MARCH_2026_MS + 1_000 * self.next as i64;
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

    fn balance(&self, name: &str) -> i64 {
        self.state.accounts[&handle(name)].balance
    }

    fn agree(&mut self, business: &str, levy_points: u32, recurring: Option<i64>, from: &str) {
        let agreement = Agreement::new(
            handle(business),
            BasisPoints::new(levy_points).unwrap(),
            recurring.map(minor),
            period(from),
        )
        .unwrap();
        self.apply(Command::SetAgreement { agreement }, ADMIN).unwrap();
    }

    fn pay(&mut self, payer: (&str, u8), payee: &str, amount: i64) -> Result<(RequestId, Applied), Refusal> {
        let pay = Command::Pay {
            payer: handle(payer.0),
            payee: handle(payee),
            unit: unit(),
            amount: minor(amount),
            memo: Memo::default(),
        };
        self.apply(pay, payer.1)
    }

    fn collect(&mut self, month: &str, businesses: &[&str]) -> Result<Applied, Refusal> {
        let collect = Command::Collect {
            unit: unit(),
            period: period(month),
            businesses: businesses.iter().map(|b| handle(b)).collect(),
        };
        self.apply(collect, ADMIN).map(|(_, applied)| applied)
    }
}

fn posting(account: &str, delta: i64) -> Posting {
    Posting { account: handle(account), unit: unit(), delta }
}

#[test]
fn a_levy_is_posted_in_the_payment_entry_rounded_down() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 150, None, "2026-03");
    // 1.5 % of 10.99 is 0.16485: the fund receives 0.16, never 0.17.
    let (id, applied) = ledger.pay(("alice", ALICE), "bakery", 1_099).unwrap();
    assert_eq!(applied.postings, [posting("alice", -1_099), posting("bakery", 1_083), posting("fund-commun", 16)]);
    assert_eq!((ledger.balance("bakery"), ledger.balance("fund-commun")), (1_083, 16));
    let levy = &ledger.state.transfers[&levy_id(id)];
    assert_eq!(
        (levy.kind, levy.amount, &levy.payer, &levy.payee),
        (TransferKind::Levy, minor(16), &handle("bakery"), &handle("fund-commun"))
    );
    // 1.5 % of 0.66 is 0.0099: nothing, and no levy transfer.
    let (small, applied) = ledger.pay(("alice", ALICE), "bakery", 66).unwrap();
    assert_eq!(applied.postings, [posting("alice", -66), posting("bakery", 66)]);
    assert!(!ledger.state.transfers.contains_key(&levy_id(small)));
    // A payment to a member pays no levy.
    ledger.pay(("bakery", BAKERY), "alice", 100).unwrap();
    assert_eq!(ledger.balance("fund-commun"), 16);
}

#[test]
fn an_agreement_levies_nothing_before_its_first_period() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 1_000, None, "2026-04");
    let (_, applied) = ledger.pay(("alice", ALICE), "bakery", 1_000).unwrap();
    assert_eq!(applied.postings.len(), 2);
    assert_eq!(ledger.balance("fund-commun"), 0);
}

#[test]
fn limits_are_judged_after_the_payment_and_its_levy() {
    let mut ledger = Ledger::new();
    ledger.agree("cafe", 5_000, None, "2026-03");
    ledger.pay(("alice", ALICE), "cafe", 9_900).unwrap();
    assert_eq!(ledger.balance("cafe"), 4_950);
    // 60.00 alone would take the café to 109.50, past its ceiling of 100.00; less its 50 % levy
    // it reaches 79.50.
    ledger.pay(("alice", ALICE), "cafe", 6_000).unwrap();
    assert_eq!((ledger.balance("cafe"), ledger.balance("fund-commun")), (7_950, 7_950));
    // 42.00 less its levy still takes it to 100.50: refused, nothing moves.
    let refused = ledger.pay(("alice", ALICE), "cafe", 4_200).unwrap_err();
    assert!(matches!(&refused, Refusal::CeilingExceeded { account, .. } if *account == handle("cafe")), "{refused:?}");
}

#[test]
fn a_reversal_gives_the_levy_back_in_its_own_entry() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 250, None, "2026-03");
    let (payment, _) = ledger.pay(("alice", ALICE), "bakery", 4_000).unwrap();
    assert_eq!(ledger.balance("fund-commun"), 100);
    let reverse = Command::Reverse {
        transfer: payment,
        payer: handle("bakery"),
        payee: handle("alice"),
        unit: unit(),
        amount: minor(4_000),
        reason: Reason::parse("refund").unwrap(),
    };
    let (reversal, applied) = ledger.apply(reverse, BAKERY).unwrap();
    assert_eq!(applied.postings, [posting("bakery", -3_900), posting("alice", 4_000), posting("fund-commun", -100)]);
    assert_eq!((ledger.balance("alice"), ledger.balance("bakery"), ledger.balance("fund-commun")), (0, 0, 0));
    let levy = &ledger.state.transfers[&levy_id(payment)];
    assert_eq!(levy.reversed_by, Some(levy_reversal_id(reversal)));
    let back = &ledger.state.transfers[&levy_reversal_id(reversal)];
    assert_eq!((back.kind, back.reverses, back.amount), (TransferKind::Reversal, Some(levy.id), minor(100)));
}

#[test]
fn a_business_contributes_once_off_within_its_limits() {
    let mut ledger = Ledger::new();
    let contribute = |business: &str, amount| Command::Contribute {
        business: handle(business),
        unit: unit(),
        amount: minor(amount),
        memo: Memo::parse("for the garden").unwrap(),
    };
    let (id, applied) = ledger.apply(contribute("bakery", 700), BAKERY).unwrap();
    assert_eq!(applied.postings, [posting("bakery", -700), posting("fund-commun", 700)]);
    assert_eq!(ledger.state.transfers[&id].kind, TransferKind::Contribution);
    // Only the business signs its contribution; a member is no business; the limit holds.
    assert!(matches!(ledger.apply(contribute("bakery", 100), ADMIN), Err(Refusal::NotAuthorised(_))));
    assert_eq!(ledger.apply(contribute("alice", 100), ALICE).unwrap_err(), Refusal::NotABusiness(handle("alice")));
    let refused = ledger.apply(contribute("bakery", 301), BAKERY).unwrap_err();
    assert_eq!(refused.reason(), "CREDIT_LIMIT_EXCEEDED");
}

#[test]
fn collect_posts_each_recurring_contribution_once_and_reports_what_does_not_fit() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 0, Some(800), "2026-02");
    ledger.agree("cafe", 100, Some(500), "2026-02");
    // A member cannot hold an agreement; only a treasurer sets one or collects.
    let member = Agreement::new(handle("alice"), BasisPoints::new(100).unwrap(), None, period("2026-02")).unwrap();
    assert_eq!(
        ledger.apply(Command::SetAgreement { agreement: member.clone() }, ADMIN).unwrap_err(),
        Refusal::NotABusiness(handle("alice"))
    );
    assert!(matches!(
        ledger.apply(Command::SetAgreement { agreement: member }, BAKERY),
        Err(Refusal::NotAuthorised(_))
    ));
    let collect = Command::Collect { unit: unit(), period: period("2026-02"), businesses: vec![handle("bakery")] };
    assert!(matches!(ledger.apply(collect, BAKERY), Err(Refusal::NotAuthorised(_))));

    // The café has no credit: its 5.00 does not fit and is reported, the bakery's 8.00 moves.
    let applied = ledger.collect("2026-02", &["alice", "bakery", "cafe"]).unwrap();
    assert_eq!(applied.postings, [posting("bakery", -800), posting("fund-commun", 800)]);
    let outcomes: Vec<_> = applied.collection.iter().map(|line| (line.business.as_str(), &line.outcome)).collect();
    assert!(matches!(outcomes[0], ("alice", CollectOutcome::NotCollectable { reason: "NO_AGREEMENT", .. })));
    assert_eq!(outcomes[1], ("bakery", &CollectOutcome::Collected(minor(800))));
    assert!(matches!(outcomes[2], ("cafe", CollectOutcome::NotCollectable { reason: "CREDIT_LIMIT_EXCEEDED", .. })));
    assert!(!ledger.state.transfers.contains_key(&collection_id(&handle("cafe"), period("2026-02"))));

    // Once the café has the money, a second collect posts the café's only.
    ledger.pay(("alice", ALICE), "cafe", 1_000).unwrap();
    let fund_before = ledger.balance("fund-commun");
    let applied = ledger.collect("2026-02", &["bakery", "cafe"]).unwrap();
    assert_eq!(applied.collection[0].outcome, CollectOutcome::AlreadyCollected);
    assert_eq!(applied.collection[1].outcome, CollectOutcome::Collected(minor(500)));
    assert_eq!(applied.postings, [posting("cafe", -500), posting("fund-commun", 500)]);
    assert_eq!(ledger.balance("fund-commun"), fund_before + 500);

    // A third posts nothing; a period before the agreements is not due; a future one not begun.
    let applied = ledger.collect("2026-02", &["bakery", "cafe"]).unwrap();
    assert!(applied.postings.is_empty());
    assert!(applied.collection.iter().all(|line| line.outcome == CollectOutcome::AlreadyCollected));
    let applied = ledger.collect("2026-01", &["bakery"]).unwrap();
    assert!(matches!(applied.collection[0].outcome, CollectOutcome::NotCollectable { reason: "NOTHING_DUE", .. }));
    assert_eq!(ledger.collect("2026-05", &["bakery"]).unwrap_err(), Refusal::PeriodNotStarted(period("2026-05")));
    // Businesses out of order are refused by `apply`, and their bytes do not even decode.
    let unordered = Command::Collect {
        unit: unit(),
        period: period("2026-02"),
        businesses: vec![handle("cafe"), handle("bakery")],
    };
    let signed =
        SignedCommand::sign(ledger.id, RequestId::from_uuid(uuid::Uuid::from_u128(999)), unordered, &key(ADMIN));
    assert!(decode_signing_bytes(&signed.signing_bytes()).is_err());
    assert_eq!(ledger.state.apply(&signed, MARCH_2026_MS + 999_000).unwrap_err().reason(), "INVALID_COLLECT_SIZE");
}

#[test]
fn collecting_from_a_frozen_business_is_reported_not_forced() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 0, Some(200), "2026-03");
    let freeze = Command::SetStatus {
        handle: handle("bakery"),
        status: ledger_core::account::AccountStatus::Frozen,
        reason: Reason::parse("audit").unwrap(),
    };
    ledger.apply(freeze, ADMIN).unwrap();
    let applied = ledger.collect("2026-03", &["bakery"]).unwrap();
    assert!(applied.postings.is_empty());
    assert!(matches!(applied.collection[0].outcome, CollectOutcome::NotCollectable { reason: "ACCOUNT_FROZEN", .. }));
}

#[test]
fn an_accepted_request_to_a_business_pays_its_levy_in_the_acceptance_entry() {
    let mut ledger = Ledger::new();
    ledger.agree("bakery", 1_000, None, "2026-03");
    let ask = Command::RequestPayment {
        payee: handle("bakery"),
        payer: handle("alice"),
        unit: unit(),
        amount: minor(2_345),
        memo: Memo::default(),
        lifetime_ms: 60_000,
    };
    let (request, applied) = ledger.apply(ask, BAKERY).unwrap();
    assert!(applied.postings.is_empty(), "nothing moves, and nothing is levied, until the payer accepts");
    let accept = Command::AcceptRequest {
        request,
        payer: handle("alice"),
        payee: handle("bakery"),
        unit: unit(),
        amount: minor(2_345),
    };
    let (_, applied) = ledger.apply(accept, ALICE).unwrap();
    // 10 % of 23.45 is 2.345: 2.34.
    assert_eq!(applied.postings, [posting("alice", -2_345), posting("bakery", 2_111), posting("fund-commun", 234)]);
    assert_eq!(ledger.state.transfers[&levy_id(request)].amount, minor(234));
}
