//! Bad input gets a clear error and changes nothing.

use ledger_tests::{Backend, Ledgerd, on_both_backends};

fn head(ledger: &Ledgerd) -> u64 {
    ledger.trial_balance()["as_of_seq"].as_u64().expect("as_of_seq")
}

fn malformed_amounts_are_refused_and_nothing_is_written(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    let before = head(&ledger);
    for (amount, says) in [
        ("1e3", "not a plain decimal"),
        ("12.345", "more decimals"),
        ("-5", ""),
        ("0", "greater than zero"),
        ("abc", "not a plain decimal"),
        ("99999999999999999999999", "larger than"),
    ] {
        let run = ledger.ctl(&alice, &["pay", "alice", "bob", "--", amount]);
        assert_eq!(run.code, 2, "{amount}: {run:?}");
        let message = format!("{}{}", run.stdout, run.stderr);
        assert!(message.contains(says), "{amount}: the message should say {says:?}: {run:?}");
    }
    assert_eq!(head(&ledger), before, "nothing was written");
    assert_eq!(ledger.balance("alice"), "0.00");
}

fn malformed_handles_and_oversized_memos_are_refused(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    let before = head(&ledger);
    let (_, public) = ledger.new_key("someone");
    let long = "a".repeat(200);
    for handle in ["Alice", "al ice", long.as_str()] {
        let run = ledger.admin(&["account", "open", handle, "--unit", "COMMUN", "--public-key", &public]);
        assert_eq!(run.code, 2, "{handle}: {run:?}");
        assert!(run.stderr.contains("handle"), "{run:?}");
        let run = ledger.ctl(&alice, &["pay", "alice", handle, "1"]);
        assert_eq!(run.code, 2, "{handle}: {run:?}");
    }
    let memo = "m".repeat(300);
    let run = ledger.ctl(&alice, &["pay", "alice", "bob", "1", "--memo", &memo]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("memo"), "{run:?}");
    assert_eq!(head(&ledger), before, "nothing was written");
}

fn unknown_units_and_accounts_are_not_found(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let before = head(&ledger);
    let (_, public) = ledger.new_key("carol");
    let run = ledger.admin(&["account", "open", "carol", "--unit", "NOPE", "--public-key", &public]);
    assert_eq!(run.json()["error"]["code"], "NOT_FOUND", "{run:?}");
    assert_eq!(run.code, 1);
    let run = ledger.ctl(&alice, &["pay", "alice", "nobody", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["error"]["code"], "NOT_FOUND", "{run:?}");
    assert_eq!(head(&ledger), before, "nothing was written");
}

on_both_backends!(
    malformed_amounts_are_refused_and_nothing_is_written,
    malformed_handles_and_oversized_memos_are_refused,
    unknown_units_and_accounts_are_not_found,
);
