//! Concurrent payments racing for one account's credit.

use ledger_tests::{Backend, Ledgerd, finish, on_both_backends};

fn two_hundred_concurrent_payments_commit_exactly_as_many_as_the_credit_allows(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "1000");
    ledger.open_member("carol", "COMMUN", "1000");

    // 200 payments of 0.75 from alice: only floor(100 / 0.75) = 133 fit under her credit limit.
    let children: Vec<_> = (0..200)
        .map(|i| {
            let payee = if i % 2 == 0 { "bob" } else { "carol" };
            ledger.spawn_ctl(&alice, &["pay", "alice", payee, "0.75"])
        })
        .collect();
    let runs: Vec<_> = children.into_iter().map(finish).collect();
    let committed = runs.iter().filter(|run| run.code == 0).count();
    for run in runs.iter().filter(|run| run.code != 0) {
        run.refused("CREDIT_LIMIT_EXCEEDED");
    }
    assert_eq!(committed, 133);
    assert_eq!(ledger.balance("alice"), "-99.75");
    assert_eq!(ledger.trial_balance()["units"][0]["total"], "0.00");

    // The journal replays to the same balances, with a gapless sequence and a valid chain.
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["verified"], true, "{verified}");
    // genesis, unit, three accounts, 133 payments
    assert_eq!(verified["entries"], 1 + 1 + 3 + 133, "{verified}");
}

on_both_backends!(two_hundred_concurrent_payments_commit_exactly_as_many_as_the_credit_allows,);
