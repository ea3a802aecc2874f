//! The foundation scenario: a unit, two members, a payment that fits and one that does not.

use ledger_tests::{Backend, Ledgerd, on_both_backends};

fn payment_within_limit_commits_and_payment_past_limit_is_refused(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");

    let paid = ledger.ctl(&alice, &["pay", "alice", "bob", "30", "--memo", "vegetables"]).ok_json();
    assert_eq!(paid["status"], "committed");
    assert!(paid["id"].as_str().is_some_and(|id| id.len() == 36), "{paid}");
    assert_eq!(ledger.balance("alice"), "-30.00");
    assert_eq!(ledger.balance("bob"), "30.00");

    let refused = ledger.ctl(&alice, &["pay", "alice", "bob", "80"]).refused("CREDIT_LIMIT_EXCEEDED");
    assert_eq!(refused["error"]["code"], "FAILED_PRECONDITION");
    assert_eq!(ledger.balance("alice"), "-30.00");
    assert_eq!(ledger.balance("bob"), "30.00");

    let trial = ledger.trial_balance();
    let commun = &trial["units"][0];
    assert_eq!(commun["unit"], "COMMUN");
    assert_eq!(commun["total"], "0.00");
    let balances: Vec<(String, String)> = commun["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| (a["account"].as_str().unwrap().to_owned(), a["balance"].as_str().unwrap().to_owned()))
        .collect();
    assert!(balances.contains(&("alice".into(), "-30.00".into())), "{balances:?}");
    assert!(balances.contains(&("bob".into(), "30.00".into())), "{balances:?}");
}

fn the_same_transfer_id_twice_commits_once_and_a_different_payload_is_refused(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    let id = "6f1c1a52-5d0c-4d38-9a55-0b8f3f1f6b11";

    let first = ledger.ctl(&alice, &["pay", "alice", "bob", "10", "--id", id]).ok_json();
    let again = ledger.ctl(&alice, &["pay", "alice", "bob", "10", "--id", id]).ok_json();
    assert_eq!(first["id"], id);
    assert_eq!(again["id"], id);
    assert_eq!(first["seq"], again["seq"], "the replay returns the original entry");
    assert_eq!(ledger.balance("alice"), "-10.00");

    let reused = ledger.ctl(&alice, &["pay", "alice", "bob", "11", "--id", id]).refused("REQUEST_ID_REUSED");
    assert_eq!(reused["error"]["code"], "ALREADY_EXISTS");
    assert_eq!(ledger.balance("alice"), "-10.00");
}

fn history_lists_payments_newest_first_with_running_balance(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    for amount in ["1", "2", "3"] {
        ledger.ctl(&alice, &["pay", "alice", "bob", amount, "--memo", &format!("paid {amount}")]).ok_json();
    }
    let history = ledger.ctl(&alice, &["history", "alice", "--limit", "2"]).ok_json();
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["amount"], "-3.00");
    assert_eq!(items[0]["balance_after"], "-6.00");
    assert_eq!(items[0]["counterparty"], "bob");
    assert_eq!(items[0]["memo"], "paid 3");
    assert_eq!(items[1]["amount"], "-2.00");
    let token = history["next_page_token"].as_str().expect("a next page");
    let rest = ledger.ctl(&alice, &["history", "alice", "--limit", "10", "--page-token", token]).ok_json();
    let rest = rest["items"].as_array().expect("items");
    assert_eq!(rest[0]["amount"], "-1.00");
    assert_eq!(rest.last().expect("the opening entry")["kind"], "account");
}

on_both_backends!(
    payment_within_limit_commits_and_payment_past_limit_is_refused,
    the_same_transfer_id_twice_commits_once_and_a_different_payload_is_refused,
    history_lists_payments_newest_first_with_running_balance,
);
