//! Property 1: random command sequences run against `State::apply` and against the independent
//! model. After every command the two agree on accepting or refusing it (and on the reason, among
//! the reasons that hold), and the state keeps its invariants: balances of each unit sum to zero,
//! every balance is within its limits, a refusal changes nothing, `take_changes` names everything
//! that changed, and applying on only the part of the state the command references (as the
//! server's writer does) gives the same result.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use ledger_core::account::{AccountKind, Role};
use ledger_core::amount::{Amount, BALANCE_MAX};
use ledger_core::command::SignedCommand;
use ledger_core::names::Handle;
use ledger_core::refusal::Refusal;
use ledger_core::state::{Applied, Changes, State, Warning};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::model::{Model, Predicted};
use crate::scenario::{Scenario, scenario};

/// One accepted command and what `apply` made of it.
pub struct Accepted {
    pub signed: SignedCommand,
    pub applied: Applied,
}

/// The end of a run: the live state (changes taken) and every command it accepted, in order.
pub struct Run {
    pub state: State,
    pub accepted: Vec<Accepted>,
    /// For each command: its kind and `ACCEPTED` or the refusal reason.
    pub outcomes: Vec<(&'static str, &'static str)>,
}

/// The scenario's setup then its ops, checking the model against the state after each command.
pub fn drive(scenario: &Scenario) -> Result<Run, TestCaseError> {
    let ledger = scenario.ledger_id();
    let setup = scenario.setup();
    let mut model = Model::default();
    let mut state = State::new();
    let mut run = Run { state: State::new(), accepted: Vec::new(), outcomes: Vec::new() };
    for (step, op) in setup.iter().chain(&scenario.ops).enumerate() {
        let (signed, forged) = model.build(op, ledger, step);
        let predicted = model.step(&signed, forged);
        let before = state.clone();
        // The timestamp the entry would get if accepted, as `replay::journal` seals it.
        let timestamp_ms = ENTRY_TIMESTAMP_BASE_MS + run.accepted.len() as i64 + 1;
        let result = verify_and_apply(&mut state, &signed, timestamp_ms);
        let changes = state.take_changes();
        check_partial_agrees(&before, &state, &changes, (&signed, timestamp_ms), &result, step)?;
        let kind = signed.command.entry_kind().as_str();
        match (predicted, result) {
            (Ok(predicted), Ok(applied)) => {
                check_applied(&before, &state, &changes, &signed, &predicted, &applied)?;
                run.outcomes.push((kind, "ACCEPTED"));
                if !applied.warnings.is_empty() {
                    run.outcomes.push((kind, "SOFT_LIMIT_CROSSED"));
                }
                run.accepted.push(Accepted { signed, applied });
            }
            (Err(reasons), Err(refusal)) => {
                prop_assert!(
                    reasons.contains(&refusal.reason()),
                    "step {step}: refused with {} ({refusal}), but the model expected one of {reasons:?}\n{signed:?}",
                    refusal.reason()
                );
                prop_assert_eq!(&changes, &Changes::default(), "step {}: a refusal recorded changes", step);
                prop_assert!(state == before, "step {step}: the refused {signed:?} changed the state");
                run.outcomes.push((kind, refusal.reason()));
            }
            (Ok(_), Err(refusal)) => {
                return Err(TestCaseError::fail(format!(
                    "step {step}: refused with {} ({refusal}) but the model accepts\n{signed:?}",
                    refusal.reason()
                )));
            }
            (Err(reasons), Ok(_)) => {
                return Err(TestCaseError::fail(format!(
                    "step {step}: accepted but the model refuses with {reasons:?}\n{signed:?}"
                )));
            }
        }
        if step < setup.len() {
            prop_assert_eq!(run.outcomes[step].1, "ACCEPTED", "setup step {} must apply", step);
        }
        check_matches_model(&model, &state, step)?;
        check_invariants(&state, step)?;
    }
    run.state = state;
    Ok(run)
}

/// The timestamp of the first entry of a run's journal; entry `seq` is stamped this plus `seq`.
pub const ENTRY_TIMESTAMP_BASE_MS: i64 = 1_700_000_000_000;

/// What the server does: signatures first, then `apply`.
fn verify_and_apply(state: &mut State, signed: &SignedCommand, timestamp_ms: i64) -> Result<Applied, Refusal> {
    signed.verify_signatures()?;
    state.apply(signed, timestamp_ms)
}

/// The part of `full` a writer loads for `signed`: the accounts and identities of the handles
/// the command references, the keys it references and its signers' keys with their holders'
/// identities, the units it references and the unit of every account loaded. (`State`'s
/// documentation names the references and the signers only; without the units of the accounts,
/// `SetLimits` on the part is refused with `UNIT_NOT_FOUND`.)
fn partial(full: &State, signed: &SignedCommand, timestamp_ms: i64) -> State {
    let mut part = match (full.ledger_id, full.node_key) {
        (Some(ledger), Some(node)) => State::for_ledger(ledger, node),
        _ => State::new(),
    };
    let refs = signed.references(timestamp_ms);
    let mut units = refs.units.clone();
    for handle in &refs.handles {
        if let Some(account) = full.accounts.get(handle) {
            units.push(account.unit.clone());
            part.accounts.insert(handle.clone(), account.clone());
        }
        if let Some(identity) = full.identities.get(handle) {
            part.identities.insert(handle.clone(), identity.clone());
        }
    }
    for key in refs.keys.iter().chain(signed.signers()) {
        if let Some(owner) = full.keys.get(key) {
            part.keys.insert(*key, owner.clone());
            if let Some(identity) = full.identities.get(&owner.handle) {
                part.identities.insert(owner.handle.clone(), identity.clone());
            }
        }
    }
    for code in &units {
        if let Some(unit) = full.units.get(code) {
            part.units.insert(code.clone(), unit.clone());
        }
    }
    for id in &refs.transfers {
        if let Some(transfer) = full.transfers.get(id) {
            part.transfers.insert(*id, transfer.clone());
        }
    }
    part
}

/// Applying on the part of the state the command references gives the same answer as on the
/// whole, and leaves the same values in everything it changed: what the writer writes back.
fn check_partial_agrees(
    before: &State,
    after: &State,
    changes: &Changes,
    (signed, timestamp_ms): (&SignedCommand, i64),
    result: &Result<Applied, Refusal>,
    step: usize,
) -> Result<(), TestCaseError> {
    let mut part = partial(before, signed, timestamp_ms);
    let part_result = verify_and_apply(&mut part, signed, timestamp_ms);
    let part_changes = part.take_changes();
    match (result, &part_result) {
        (Ok(whole), Ok(partial)) => prop_assert_eq!(whole, partial),
        (Err(whole), Err(partial)) => prop_assert_eq!(whole.reason(), partial.reason()),
        _ => {
            return Err(TestCaseError::fail(format!(
                "step {step}: on the whole state {result:?}, on the referenced part {part_result:?}\n{signed:?}"
            )));
        }
    }
    prop_assert_eq!(&part_changes, changes, "step {}: changes on the part", step);
    for h in &changes.accounts {
        prop_assert_eq!(part.accounts.get(h), after.accounts.get(h), "account {}", h);
    }
    for h in &changes.identities {
        prop_assert_eq!(part.identities.get(h), after.identities.get(h), "identity {}", h);
    }
    for k in &changes.keys {
        prop_assert_eq!(part.keys.get(k), after.keys.get(k), "key {}", k);
    }
    for u in &changes.units {
        prop_assert_eq!(part.units.get(u), after.units.get(u), "unit {}", u);
    }
    for t in &changes.transfers {
        prop_assert_eq!(part.transfers.get(t), after.transfers.get(t), "transfer {}", t);
    }
    if changes.genesis {
        prop_assert_eq!((part.ledger_id, part.node_key), (after.ledger_id, after.node_key));
    }
    Ok(())
}

/// What an accepted command did agrees with the model and is fully named by `changes`.
fn check_applied(
    before: &State,
    after: &State,
    changes: &Changes,
    signed: &SignedCommand,
    predicted: &Predicted,
    applied: &Applied,
) -> Result<(), TestCaseError> {
    let postings: Vec<(String, i64)> =
        applied.postings.iter().map(|p| (p.account.as_str().to_owned(), p.delta)).collect();
    prop_assert_eq!(&postings, &predicted.postings);
    // Postings conserve value per unit, name the account's own unit, and are exactly the
    // balance changes.
    let mut per_unit: BTreeMap<&str, i128> = BTreeMap::new();
    let mut per_account: BTreeMap<&Handle, i64> = BTreeMap::new();
    for posting in &applied.postings {
        *per_unit.entry(posting.unit.as_str()).or_default() += i128::from(posting.delta);
        *per_account.entry(&posting.account).or_default() += posting.delta;
        prop_assert_eq!(&after.accounts[&posting.account].unit, &posting.unit);
    }
    prop_assert!(per_unit.values().all(|sum| *sum == 0), "postings {postings:?} do not conserve");
    for (handle, account) in &after.accounts {
        let was = before.accounts.get(handle).map_or(0, |a| a.balance);
        let posted = per_account.get(handle).copied().unwrap_or(0);
        prop_assert_eq!(account.balance - was, posted, "balance change of {} vs postings", handle);
    }
    let warned: Vec<&Handle> =
        applied.warnings.iter().map(|Warning::SoftLimitCrossed { account, .. }| account).collect();
    let expected: Vec<&str> = predicted.soft_warning.iter().map(String::as_str).collect();
    prop_assert_eq!(warned.iter().map(|h| h.as_str()).collect::<Vec<_>>(), expected, "soft limit warnings");
    // Whatever differs is named in the changes, or a store would not write it back.
    prop_assert!(before.accounts.keys().all(|h| after.accounts.contains_key(h)));
    for (h, account) in &after.accounts {
        if before.accounts.get(h) != Some(account) {
            prop_assert!(changes.accounts.contains(h), "account {h} changed unrecorded by {signed:?}");
        }
    }
    for (h, identity) in &after.identities {
        if before.identities.get(h) != Some(identity) {
            prop_assert!(changes.identities.contains(h), "identity {h} changed unrecorded by {signed:?}");
        }
    }
    for (k, owner) in &after.keys {
        if before.keys.get(k) != Some(owner) {
            prop_assert!(changes.keys.contains(k), "key {k} changed unrecorded by {signed:?}");
        }
    }
    for (code, unit) in &after.units {
        if before.units.get(code) != Some(unit) {
            prop_assert!(changes.units.contains(code), "unit {code} changed unrecorded");
        }
    }
    if before.ledger_id != after.ledger_id || before.node_key != after.node_key {
        prop_assert!(changes.genesis);
    }
    Ok(())
}

/// The state holds exactly what the model holds.
fn check_matches_model(model: &Model, state: &State, step: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.ledger_id, model.ledger);
    prop_assert_eq!(state.node_key, model.node_key);
    for (code, unit) in &state.units {
        prop_assert_eq!(code, &unit.code, "unit stored under another code");
    }
    let units: BTreeMap<&str, u8> = state.units.iter().map(|(c, u)| (c.as_str(), u.scale.places())).collect();
    let model_units: BTreeMap<&str, u8> = model.units.iter().map(|(c, s)| (c.as_str(), *s)).collect();
    prop_assert_eq!(units, model_units, "units at step {}", step);
    let handles: BTreeSet<&str> = state.accounts.keys().map(Handle::as_str).collect();
    let model_handles: BTreeSet<&str> = model.accounts.keys().map(String::as_str).collect();
    prop_assert_eq!(handles, model_handles, "accounts at step {}", step);
    for (h, account) in &state.accounts {
        let m = &model.accounts[h.as_str()];
        prop_assert_eq!(&account.handle, h);
        prop_assert_eq!(account.unit.as_str(), m.unit.as_str());
        prop_assert_eq!(account.kind, m.kind);
        prop_assert_eq!(account.balance, m.balance, "balance of {} at step {}", h, step);
        prop_assert_eq!(account.limits.credit_limit.minor(), m.credit);
        prop_assert_eq!(account.limits.ceiling.map(Amount::minor), m.ceiling);
        prop_assert_eq!(account.limits.soft_limit.map(Amount::minor), m.soft);
        prop_assert_eq!(account.status, m.status, "status of {} at step {}", h, step);
    }
    let identities: BTreeSet<&str> = state.identities.keys().map(Handle::as_str).collect();
    let model_identities: BTreeSet<&str> = model.identities.keys().map(String::as_str).collect();
    prop_assert_eq!(identities, model_identities, "identities at step {}", step);
    for (h, identity) in &state.identities {
        let m = &model.identities[h.as_str()];
        for role in Role::ALL {
            prop_assert_eq!(identity.roles.has(role), m.roles.contains(&role), "{:?} of {}", role, h);
        }
        prop_assert_eq!(&identity.keys, &m.keys, "keys of {} at step {}", h, step);
    }
    prop_assert_eq!(state.keys.len(), model.keys.len());
    for (key, owner) in &state.keys {
        let (handle, revoked) = &model.keys[key];
        prop_assert_eq!(owner.handle.as_str(), handle.as_str());
        prop_assert_eq!(owner.revoked, *revoked);
    }
    Ok(())
}

/// The ledger's invariants, computed from the state alone.
fn check_invariants(state: &State, step: usize) -> Result<(), TestCaseError> {
    let mut sums: HashMap<&str, i128> = HashMap::new();
    for account in state.accounts.values() {
        *sums.entry(account.unit.as_str()).or_default() += i128::from(account.balance);
        let floor = -account.limits.credit_limit.minor();
        let top = account.limits.ceiling.map_or(BALANCE_MAX, Amount::minor);
        prop_assert!(
            floor <= account.balance && account.balance <= top,
            "step {step}: {} has {} outside {floor}..={top}",
            account.handle,
            account.balance
        );
        if account.kind == AccountKind::System {
            prop_assert_eq!(account.balance, 0, "a system account moved");
        } else {
            prop_assert!(state.identities.contains_key(&account.handle), "{} has no identity", account.handle);
        }
    }
    for (unit, sum) in sums {
        prop_assert_eq!(sum, 0, "step {}: balances of {} do not sum to zero", step, unit);
    }
    prop_assert_eq!(state.check_invariants(true), Ok(()));
    // The key registry and the identities agree: a key is active exactly where it is held.
    for (key, owner) in &state.keys {
        let held = state.identities[&owner.handle].keys.contains(key);
        prop_assert_eq!(held, !owner.revoked, "key {} of {}", key, owner.handle);
    }
    for (handle, identity) in &state.identities {
        prop_assert!(!identity.keys.is_empty(), "{handle} has no key left");
        for key in &identity.keys {
            prop_assert_eq!(&state.keys[key].handle, handle);
        }
    }
    prop_assert!(
        state.identities.values().any(|i| i.roles.has(Role::Admin) && !i.keys.is_empty()),
        "step {step}: no admin remains"
    );
    Ok(())
}

/// How many random ledgers the model test runs.
const CASES: u32 = 128;

/// Outcomes every run of the property must see at least once, so the generator is known to reach
/// them: each comes up 20 times or more per 64 cases. `any` counts a reason for every kind.
const MUST_SEE: &[(&str, &str)] = &[
    ("payment", "ACCEPTED"),
    ("payment", "SOFT_LIMIT_CROSSED"),
    ("payment", "CREDIT_LIMIT_EXCEEDED"),
    ("payment", "CEILING_EXCEEDED"),
    ("payment", "ACCOUNT_FROZEN"),
    ("payment", "ACCOUNT_CLOSED"),
    ("payment", "ACCOUNT_NOT_FOUND"),
    ("payment", "SAME_ACCOUNT"),
    ("payment", "UNIT_MISMATCH"),
    ("payment", "NOT_AUTHORISED"),
    ("payment", "BAD_SIGNATURE"),
    ("payment", "UNKNOWN_KEY"),
    ("payment", "WRONG_LEDGER"),
    ("limits", "ACCEPTED"),
    ("limits", "LIMITS_EXCLUDE_BALANCE"),
    ("status", "ACCEPTED"),
    ("role", "ACCEPTED"),
    ("key", "ACCEPTED"),
    ("account", "ACCEPTED"),
    ("any", "KEY_REVOKED"),
    ("any", "ROLE_NOT_HELD"),
    ("any", "LAST_KEY"),
    ("any", "HANDLE_TAKEN"),
];

#[test]
fn payments_conserve_value_and_respect_limits_as_the_model_predicts() {
    let mut runner = TestRunner::new(Config { cases: CASES, ..Config::default() });
    let seen: RefCell<BTreeMap<(&str, &str), usize>> = RefCell::default();
    let result = runner.run(&scenario(30..=60), |scenario| {
        let run = drive(&scenario)?;
        let mut seen = seen.borrow_mut();
        for (kind, reason) in run.outcomes {
            *seen.entry((kind, reason)).or_default() += 1;
            *seen.entry(("any", reason)).or_default() += 1;
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let seen = seen.into_inner();
    eprintln!("outcomes over {CASES} runs: {seen:?}");
    for outcome in MUST_SEE {
        assert!(seen.contains_key(outcome), "never saw {outcome:?}: {seen:?}");
    }
}
