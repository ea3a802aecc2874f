//! Builders for declarations and rules, and strategies for random allocation inputs.

use std::collections::{BTreeMap, BTreeSet};

use ledger_core::amount::Amount;
use ledger_core::chamber::{
    Allocation, AllocationInput, BasisPoints, Category, CommonsName, Declaration, DeclarationStatus, Note, Period,
    Quantity, Rule, RuleTerms, Weight, allocate,
};
use ledger_core::names::{DeclarationId, Handle};
use proptest::prelude::*;
use proptest::sample::select;
use uuid::Uuid;

/// The period every test distributes.
pub fn period() -> Period {
    Period::parse("2026-03").expect("a valid period")
}

/// The period before it, whose declarations are never paid in `period()`.
pub fn other_period() -> Period {
    Period::parse("2026-02").expect("a valid period")
}

pub fn handle(text: &str) -> Handle {
    Handle::parse(text).expect("test handles are valid")
}

pub fn category(text: &str) -> Category {
    Category::parse(text).expect("test categories are valid")
}

pub fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).expect("test amounts are within range")
}

pub fn rate(points: u32) -> BasisPoints {
    BasisPoints::new(points).expect("test rates are within 0..=10000")
}

pub fn id(n: u128) -> DeclarationId {
    DeclarationId::from_uuid(Uuid::from_u128(n))
}

/// A validated declaration of `thousandths` of work in `category` for the garden, in `period()`.
pub fn declaration(n: u128, contributor: &str, category_name: &str, thousandths: u64) -> Declaration {
    Declaration {
        id: id(n),
        contributor: handle(contributor),
        commons: CommonsName::parse("garden").expect("a valid name"),
        category: category(category_name),
        quantity: Quantity::from_thousandths(thousandths).expect("test quantities are positive and bounded"),
        period: period(),
        note: Note::default(),
        status: DeclarationStatus::Validated,
        paid_by: None,
    }
}

/// Terms that put the whole fund in the pool, keep no reserve, and weigh `weights` (thousandths).
pub fn terms(weights: &[(&str, u32)]) -> RuleTerms {
    RuleTerms {
        effective_from: period(),
        pool_share: BasisPoints::WHOLE,
        pool_fixed: None,
        reserve_share: BasisPoints::ZERO,
        weights: weights
            .iter()
            .map(|(name, w)| (category(name), Weight::from_thousandths(*w).expect("test weights are valid")))
            .collect(),
        cap_per_unit: None,
        cap_per_contributor: None,
        minimum_payout: None,
    }
}

pub fn rule(terms: RuleTerms) -> Rule {
    Rule::new(terms).expect("test rules are valid")
}

/// Everything an allocation reads, owned, so strategies can produce it.
#[derive(Clone, Debug)]
pub struct Case {
    pub fund_balance: i64,
    pub rule: Rule,
    pub declarations: Vec<Declaration>,
    pub already_paid: BTreeSet<DeclarationId>,
    pub ceiling_room: BTreeMap<Handle, i64>,
}

impl Case {
    pub fn new(fund_balance: i64, rule: Rule, declarations: Vec<Declaration>) -> Self {
        Self { fund_balance, rule, declarations, already_paid: BTreeSet::new(), ceiling_room: BTreeMap::new() }
    }

    pub fn input(&self) -> AllocationInput<'_> {
        AllocationInput {
            period: period(),
            fund_balance: self.fund_balance,
            rule: &self.rule,
            declarations: &self.declarations,
            already_paid: &self.already_paid,
            ceiling_room: &self.ceiling_room,
        }
    }

    /// The allocation; every generated case is a valid input.
    pub fn allocate(&self) -> Allocation {
        allocate(&self.input()).expect("generated inputs are valid")
    }

    /// What `contributor` receives, zero if nothing.
    pub fn paid_to(&self, contributor: &Handle) -> i64 {
        self.allocate().by_contributor.get(contributor).map_or(0, |total| total.amount)
    }
}

pub const CONTRIBUTORS: [&str; 4] = ["ana", "bea", "cy", "dan"];
pub const CATEGORIES: [&str; 3] = ["care", "code", "garden"];
const COMMONS: [&str; 2] = ["fablab", "garden"];

/// Amounts from one minor unit to large, with small ones favoured so caps bind often.
fn some_amount(max: i64) -> impl Strategy<Value = Option<Amount>> {
    proptest::option::of(prop_oneof![1..=200_i64, 1..=max].prop_map(amount))
}

/// Rates with the bounds favoured.
fn any_rate() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0_u32), Just(10_000_u32), 0..=10_000_u32]
}

/// Valid rules of every shape: with or without a share, a fixed amount, a reserve, each cap.
pub fn any_rule() -> impl Strategy<Value = Rule> {
    let weights = proptest::collection::btree_map(select(CATEGORIES.to_vec()), 1..=5_000_u32, 1..=3);
    (any_rate(), any_rate(), some_amount(5_000_000), weights, some_amount(50_000), some_amount(2_000_000))
        .prop_flat_map(|(share, reserve, fixed, weights, cap_per_unit, cap_per_contributor)| {
            let minimum_max = cap_per_contributor.map_or(100_000, |cap| cap.minor());
            let minimum = proptest::option::of((1..=minimum_max).prop_map(amount));
            (
                Just((
                    share,
                    reserve.min(10_000 - share).min(9_999),
                    fixed,
                    weights,
                    cap_per_unit,
                    cap_per_contributor,
                )),
                minimum,
            )
        })
        .prop_filter_map(
            "rule terms are valid",
            |((share, reserve, fixed, weights, cap_per_unit, cap_per_contributor), minimum)| {
                let weights = weights
                    .into_iter()
                    .map(|(name, w)| (category(name), Weight::from_thousandths(w).expect("within range")))
                    .collect();
                Rule::new(RuleTerms {
                    effective_from: other_period(),
                    pool_share: rate(share),
                    pool_fixed: fixed,
                    reserve_share: rate(reserve),
                    weights,
                    cap_per_unit,
                    cap_per_contributor,
                    minimum_payout: minimum,
                })
                .ok()
            },
        )
}

/// Declarations with distinct ids, mostly validated and of `period()`, over a few contributors,
/// categories and commons so that sharing, limits and ties all come up.
pub fn any_declarations(max: usize) -> impl Strategy<Value = Vec<Declaration>> {
    let quantity = prop_oneof![select(vec![1_000_u64, 2_000, 500]), 1..=40_000_u64];
    declarations_of(max, quantity)
}

/// Declarations as [`any_declarations`], with quantities drawn from `quantity`.
pub fn declarations_of(max: usize, quantity: impl Strategy<Value = u64>) -> impl Strategy<Value = Vec<Declaration>> {
    let status = prop_oneof![
        6 => Just(DeclarationStatus::Validated),
        1 => Just(DeclarationStatus::Pending),
        1 => Just(DeclarationStatus::Refused),
    ];
    let declaration_period = prop_oneof![7 => Just(period()), 1 => Just(other_period())];
    let fields = (
        select(CONTRIBUTORS.to_vec()),
        select(COMMONS.to_vec()),
        select(CATEGORIES.to_vec()),
        quantity,
        declaration_period,
        status,
    );
    (proptest::collection::btree_set(any::<u128>(), 0..=max), proptest::collection::vec(fields, max)).prop_map(
        |(ids, fields)| {
            ids.into_iter()
                .zip(fields)
                .map(|(n, (contributor, commons, category_name, thousandths, period, status))| Declaration {
                    id: id(n),
                    contributor: handle(contributor),
                    commons: CommonsName::parse(commons).expect("a valid name"),
                    category: category(category_name),
                    quantity: Quantity::from_thousandths(thousandths).expect("positive and bounded"),
                    period,
                    note: Note::default(),
                    status,
                    paid_by: None,
                })
                .collect()
        },
    )
}

/// Funds from empty to the largest balance, with ordinary sizes favoured.
pub fn any_fund() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0_i64), 0..=1_000_i64, 0..=10_000_000_i64, Just(ledger_core::amount::BALANCE_MAX)]
}

/// Complete random cases: some declarations already paid, some contributors near their ceiling.
pub fn any_case() -> impl Strategy<Value = Case> {
    case_of(any_fund(), any_declarations(24))
}

/// Cases where remainders often tie or nearly tie: small funds, few round quantities. Rounding
/// mistakes of one minor unit show up here.
pub fn tie_prone_case() -> impl Strategy<Value = Case> {
    let quantity = select(vec![500_u64, 1_000, 1_500, 2_000, 3_000]);
    case_of(1..=300_i64, declarations_of(8, quantity))
}

/// Complete cases from these funds and declarations.
fn case_of(
    fund: impl Strategy<Value = i64>,
    declarations: impl Strategy<Value = Vec<Declaration>>,
) -> impl Strategy<Value = Case> {
    (fund, any_rule(), declarations)
        .prop_flat_map(|(fund_balance, rule, declarations)| {
            let count = declarations.len();
            let paid = proptest::collection::vec(prop::bool::weighted(0.15), count);
            let room =
                proptest::collection::vec(proptest::option::weighted(0.3, -100..=2_000_000_i64), CONTRIBUTORS.len());
            (Just((fund_balance, rule, declarations)), paid, room)
        })
        .prop_map(|((fund_balance, rule, declarations), paid, room)| {
            let already_paid = declarations.iter().zip(paid).filter(|(_, paid)| *paid).map(|(d, _)| d.id).collect();
            let ceiling_room = CONTRIBUTORS
                .iter()
                .zip(room)
                .filter_map(|(name, room)| room.map(|room| (handle(name), room)))
                .collect();
            Case { fund_balance, rule, declarations, already_paid, ceiling_room }
        })
}
