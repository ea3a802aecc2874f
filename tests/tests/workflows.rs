//! Transfer workflows end to end: account lifecycle, soft limits, payment requests, reversals.

use std::io::{BufRead, BufReader};

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// A ledger with unit COMMUN (2 decimals) and members alice and bob, each with a credit limit
/// of 100; returns their key files.
fn two_members(backend: Backend) -> (Ledgerd, std::path::PathBuf, std::path::PathBuf) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    (ledger, alice, bob)
}

/// The history items of `handle`, newest first, read by the admin.
fn history(ledger: &Ledgerd, handle: &str) -> Vec<Value> {
    let doc = ledger.admin(&["history", handle, "--limit", "100"]).ok_json();
    doc["items"].as_array().expect("items").clone()
}

fn a_frozen_account_neither_pays_nor_receives_until_unfrozen(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let frozen = ledger.admin(&["account", "freeze", "alice", "--reason", "lost key reported"]).ok_json();
    assert_eq!(frozen["status"], "frozen");

    ledger.ctl(&alice, &["pay", "alice", "bob", "5"]).refused("ACCOUNT_FROZEN");
    ledger.ctl(&bob, &["pay", "bob", "alice", "5"]).refused("ACCOUNT_FROZEN");
    assert_eq!(ledger.balance("alice"), "0.00");

    // Freezing twice says so rather than writing a second entry.
    ledger.admin(&["account", "freeze", "alice", "--reason", "again"]).refused("STATUS_UNCHANGED");
    // Only a treasurer changes a status.
    ledger.ctl(&alice, &["account", "unfreeze", "alice", "--reason", "mine"]).refused("NOT_AUTHORISED");

    ledger.admin(&["account", "unfreeze", "alice", "--reason", "key replaced"]).ok_json();
    ledger.ctl(&alice, &["pay", "alice", "bob", "5"]).ok_json();
    assert_eq!(ledger.balance("alice"), "-5.00");

    let items = history(&ledger, "alice");
    let statuses: Vec<&str> = items
        .iter()
        .filter(|item| item["kind"] == "status")
        .map(|item| item["description"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["status set to active (key replaced)", "status set to frozen (lost key reported)"]);
}

fn closing_needs_a_zero_balance_and_is_for_good(backend: Backend) {
    let (ledger, alice, _bob) = two_members(backend);
    ledger.ctl(&alice, &["pay", "alice", "bob", "10"]).ok_json();
    let refused = ledger.admin(&["account", "close", "alice", "--reason", "moved away"]).refused("BALANCE_NOT_ZERO");
    assert_eq!(refused["error"]["code"], "FAILED_PRECONDITION");
    assert_eq!(ledger.admin(&["account", "show", "alice"]).ok_json()["status"], "active");

    let (carol, carol_public) = ledger.new_key("carol");
    ledger.admin(&["account", "open", "carol", "--unit", "COMMUN", "--public-key", &carol_public]).ok_json();
    let closed = ledger.admin(&["account", "close", "carol", "--reason", "moved away"]).ok_json();
    assert_eq!(closed["status"], "closed");
    ledger.ctl(&alice, &["pay", "alice", "carol", "1"]).refused("ACCOUNT_CLOSED");
    ledger.ctl(&carol, &["pay", "carol", "alice", "1"]).refused("ACCOUNT_CLOSED");
    ledger.admin(&["account", "unfreeze", "carol", "--reason", "back"]).refused("ACCOUNT_CLOSED");
    let items = history(&ledger, "carol");
    assert_eq!(items[0]["kind"], "status");
    assert_eq!(items[0]["description"], "status set to closed (moved away)");
}

fn limit_changes_carry_their_reason_and_soft_limits_warn_on_stderr(backend: Backend) {
    let (ledger, alice, _bob) = two_members(backend);
    ledger
        .admin(&["account", "set-limit", "alice", "--soft-limit", "20", "--reason", "new member, go gently"])
        .ok_json();
    let items = history(&ledger, "alice");
    assert_eq!(items[0]["kind"], "limits");
    assert!(items[0]["description"].as_str().unwrap().ends_with("(new member, go gently)"), "{:?}", items[0]);

    let quiet = ledger.ctl(&alice, &["pay", "alice", "bob", "15"]);
    assert_eq!(quiet.ok_json()["warnings"], Value::Array(vec![]));
    assert!(!quiet.stderr.contains("warning"), "{quiet:?}");

    let crossed = ledger.ctl(&alice, &["pay", "alice", "bob", "10"]);
    let doc = crossed.ok_json();
    assert_eq!(doc["status"], "committed");
    assert!(crossed.stderr.contains("warning: alice is past its soft limit"), "{crossed:?}");
    assert_eq!(doc["warnings"].as_array().expect("warnings").len(), 1);
    assert_eq!(ledger.balance("alice"), "-25.00");
}

/// Bob asks alice for `amount`, open for a week; returns the transfer id.
fn bob_asks_alice(ledger: &Ledgerd, bob: &std::path::Path, amount: &str) -> String {
    let doc = ledger.ctl(bob, &["request", "bob", "alice", amount, "--memo", "market stall"]).ok_json();
    assert_eq!(doc["kind"], "request");
    assert_eq!(doc["status"], "pending");
    doc["id"].as_str().expect("an id").to_owned()
}

fn a_request_accepted_commits_once_and_a_second_accept_returns_the_first_result(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let id = bob_asks_alice(&ledger, &bob, "12.50");
    assert_eq!(ledger.balance("alice"), "0.00", "nothing moves before acceptance");

    // Both sides see it pending; a stranger does not see alice's list.
    for (key, handle) in [(&alice, "alice"), (&bob, "bob")] {
        let listed = ledger.ctl(key, &["requests", handle]).ok_json();
        let requests = listed["requests"].as_array().expect("requests");
        assert_eq!(requests.len(), 1, "{listed}");
        assert_eq!(requests[0]["id"], id.as_str());
        assert_eq!(requests[0]["amount"], "12.50");
    }
    ledger.ctl(&bob, &["requests", "alice"]).refused("NOT_AUTHORISED");
    // Only the payer accepts.
    ledger.ctl(&bob, &["accept", &id]).refused("NOT_AUTHORISED");

    let accepted = ledger.ctl(&alice, &["accept", &id]).ok_json();
    assert_eq!(accepted["status"], "committed");
    let again = ledger.ctl(&alice, &["accept", &id]).ok_json();
    assert_eq!(again["status"], "committed");
    assert_eq!(again["seq"], accepted["seq"], "the second accept is the first one's result");
    assert_eq!(ledger.balance("alice"), "-12.50");
    assert_eq!(ledger.balance("bob"), "12.50");
    ledger.ctl(&alice, &["reject", &id]).refused("REQUEST_NOT_PENDING");
    assert_eq!(ledger.ctl(&alice, &["requests", "alice"]).ok_json()["requests"], Value::Array(vec![]));

    let kinds: Vec<String> =
        history(&ledger, "alice").iter().map(|item| item["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds[..2], ["acceptance", "request"]);
}

fn a_rejected_request_moves_nothing_and_cannot_be_accepted(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let id = bob_asks_alice(&ledger, &bob, "5");
    let rejected = ledger.ctl(&alice, &["reject", &id]).ok_json();
    assert_eq!(rejected["status"], "rejected");
    let refused = ledger.ctl(&alice, &["accept", &id]).refused("REQUEST_NOT_PENDING");
    assert_eq!(refused["error"]["code"], "FAILED_PRECONDITION");
    assert_eq!(ledger.balance("alice"), "0.00");
    assert_eq!(history(&ledger, "bob")[0]["kind"], "rejection");
}

fn an_expired_request_cannot_be_accepted(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    // One millisecond after its entry: any later entry, such as the acceptance, is past it.
    let doc = ledger.ctl(&bob, &["request", "bob", "alice", "5", "--expires", "1ms"]).ok_json();
    assert_eq!(doc["kind"], "request");
    let id = doc["id"].as_str().expect("an id").to_owned();
    let read = ledger.ctl(&alice, &["requests", "alice"]).ok_json();
    assert_eq!(read["requests"][0]["status"], "expired");
    ledger.ctl(&alice, &["accept", &id]).refused("REQUEST_EXPIRED");
    assert_eq!(ledger.balance("alice"), "0.00");
    // Usage errors are caught before anything is sent.
    assert_eq!(ledger.ctl(&bob, &["request", "bob", "alice", "1", "--expires", "367d"]).code, 2);
    assert_eq!(ledger.ctl(&bob, &["request", "bob", "alice", "1", "--expires", "soon"]).code, 2);
}

fn acceptance_checks_the_payers_limit_at_that_moment(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let id = bob_asks_alice(&ledger, &bob, "80");
    ledger.ctl(&alice, &["pay", "alice", "bob", "30"]).ok_json();
    let refused = ledger.ctl(&alice, &["accept", &id]).refused("CREDIT_LIMIT_EXCEEDED");
    assert_eq!(refused["error"]["code"], "FAILED_PRECONDITION");
    assert_eq!(ledger.balance("alice"), "-30.00");
    // Still pending: once the limit allows it, the same accept goes through.
    ledger.admin(&["account", "set-limit", "alice", "--credit-limit", "200", "--reason", "seasonal"]).ok_json();
    ledger.ctl(&alice, &["accept", &id]).ok_json();
    assert_eq!(ledger.balance("alice"), "-110.00");
}

fn reversals_by_payee_and_treasurer_once_each_never_by_a_stranger(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let carol = ledger.open_member("carol", "COMMUN", "100");
    let first = ledger.ctl(&alice, &["pay", "alice", "bob", "20"]).ok_json()["id"].as_str().unwrap().to_owned();
    let second = ledger.ctl(&alice, &["pay", "alice", "bob", "7"]).ok_json()["id"].as_str().unwrap().to_owned();

    // A stranger may not even read it; the payer may read it but not reverse it alone.
    ledger.ctl(&carol, &["reverse", &first, "--reason", "mine now"]).refused("NOT_AUTHORISED");
    ledger.ctl(&alice, &["reverse", &first, "--reason", "I changed my mind"]).refused("NOT_AUTHORISED");

    // The payee refunds.
    let refund = ledger.ctl(&bob, &["reverse", &first, "--reason", "goods returned"]).ok_json();
    assert_eq!(refund["kind"], "reversal");
    assert_eq!(refund["payer"], "bob");
    assert_eq!(refund["payee"], "alice");
    assert_eq!(refund["reverses"], first.as_str());
    assert_eq!(ledger.balance("alice"), "-7.00");
    let refund_id = refund["id"].as_str().unwrap().to_owned();
    ledger.ctl(&bob, &["reverse", &first, "--reason", "again"]).refused("ALREADY_REVERSED");
    ledger.admin(&["reverse", &refund_id, "--reason", "undo the undo"]).refused("NOT_REVERSIBLE");

    // A treasurer corrects.
    let correction = ledger.admin(&["reverse", &second, "--reason", "entered twice"]).ok_json();
    assert_eq!(correction["status"], "committed");
    ledger.admin(&["reverse", &second, "--reason", "again"]).refused("ALREADY_REVERSED");
    assert_eq!(ledger.balance("alice"), "0.00");
    assert_eq!(ledger.balance("bob"), "0.00");

    // Nothing was deleted or edited: the payments stay in the journal, the reversals follow.
    let kinds: Vec<String> =
        history(&ledger, "bob").iter().map(|item| item["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds[..4], ["reversal", "reversal", "payment", "payment"]);
    assert_eq!(history(&ledger, "bob")[0]["memo"], "entered twice");
}

fn a_reversal_respects_limits_and_a_treasurer_raises_the_limit_first_with_a_reason(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    let paid = ledger.ctl(&alice, &["pay", "alice", "bob", "60"]).ok_json()["id"].as_str().unwrap().to_owned();
    // Bob spends what he received and more: a refund of 60 would take him to -150.
    ledger.ctl(&bob, &["pay", "bob", "alice", "150"]).ok_json();
    assert_eq!(ledger.balance("bob"), "-90.00");
    ledger.ctl(&bob, &["reverse", &paid, "--reason", "refund"]).refused("CREDIT_LIMIT_EXCEEDED");
    ledger.admin(&["reverse", &paid, "--reason", "correction"]).refused("CREDIT_LIMIT_EXCEEDED");
    assert_eq!(ledger.balance("bob"), "-90.00");

    ledger
        .admin(&["account", "set-limit", "bob", "--credit-limit", "150", "--reason", "room for the correction"])
        .ok_json();
    ledger.admin(&["reverse", &paid, "--reason", "correction"]).ok_json();
    assert_eq!(ledger.balance("bob"), "-150.00");
    assert_eq!(ledger.trial_balance()["units"][0]["total"], "0.00");
}

/// Writes a `pay-many` file in the ledger's data directory.
fn batch_file(ledger: &Ledgerd, name: &str, text: &str) -> String {
    let path = ledger.data_dir.join(name);
    std::fs::write(&path, text).expect("write the batch file");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn an_atomic_batch_with_one_bad_payment_commits_nothing(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    ledger.open_member("carol", "COMMUN", "100");
    let (alice_key, bob_key) = (alice.to_str().unwrap(), bob.to_str().unwrap());
    // A market day: three payments signed by their payers; the third breaks bob's limit.
    let text = format!(
        "payer,payee,amount,memo,key\nalice,bob,30,veg,{alice_key}\nbob,carol,10,bread,{bob_key}\nbob,carol,150,oops,{bob_key}\n"
    );
    let file = batch_file(&ledger, "market.csv", &text);
    let refused = ledger.admin(&["pay-many", &file, "--atomic"]).refused("CREDIT_LIMIT_EXCEEDED");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("payment 3 of 3 ("), "names the first refused payment: {message}");
    for handle in ["alice", "bob", "carol"] {
        assert_eq!(ledger.balance(handle), "0.00", "{handle}: nothing committed");
    }

    // The same day without the bad line commits as a whole.
    let text = format!("alice,bob,30,veg,{alice_key}\nbob,carol,10,bread,{bob_key}\n");
    let file = batch_file(&ledger, "fixed.csv", &text);
    let done = ledger.admin(&["pay-many", &file, "--atomic"]).ok_json();
    let results = done["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["transfer"]["status"] == "committed"), "{done}");
    assert_eq!(ledger.balance("bob"), "20.00");
}

fn a_non_atomic_batch_commits_the_good_payments_and_reports_each_refusal(backend: Backend) {
    let (ledger, alice, _bob) = two_members(backend);
    let text = "alice,bob,10\nalice,nobody,5\nalice,bob,500\nalice,bob,2.5\n";
    let file = batch_file(&ledger, "day.csv", text);
    let run = ledger.ctl(&alice, &["pay-many", &file]);
    let doc = run.ok_json();
    let results = doc["results"].as_array().expect("results");
    let outcome: Vec<&str> =
        results.iter().map(|r| r["transfer"]["status"].as_str().or(r["error"]["reason"].as_str()).unwrap()).collect();
    assert_eq!(outcome, ["committed", "ACCOUNT_NOT_FOUND", "CREDIT_LIMIT_EXCEEDED", "committed"]);
    assert!(run.stderr.contains("payment 3 refused: CREDIT_LIMIT_EXCEEDED"), "{run:?}");
    assert_eq!(ledger.balance("alice"), "-12.50");
    // A payment signed by someone else than its payer is refused on its own too.
    let file = batch_file(&ledger, "forged.csv", "bob,alice,1\n");
    let doc = ledger.ctl(&alice, &["pay-many", &file]).ok_json();
    assert_eq!(doc["results"][0]["error"]["reason"], "NOT_AUTHORISED");
}

/// The sequence numbers of the JSON lines a `feed` printed.
fn feed_seqs(run: &ledger_tests::Run) -> Vec<u64> {
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("one JSON document per line")["seq"].as_u64().unwrap())
        .collect()
}

fn the_feed_follows_new_entries_and_resumes_without_gap_or_duplicate(backend: Backend) {
    let (mut ledger, alice, bob) = two_members(backend);
    // Entries so far: genesis 1, unit 2, alice opened 3, bob opened 4. Alice follows her account
    // from the start while three payments are made: her opening, then each payment.
    let follower = ledger.spawn_ctl(&alice, &["feed", "alice", "--limit", "4"]);
    for amount in ["1", "2", "3"] {
        ledger.ctl(&alice, &["pay", "alice", "bob", amount]).ok_json();
    }
    let followed = ledger_tests::finish(follower);
    assert_eq!(feed_seqs(&followed), [3, 5, 6, 7]);
    let first: Value = serde_json::from_str(followed.stdout.lines().nth(1).unwrap()).unwrap();
    assert_eq!(first["kind"], "payment");
    assert_eq!(first["postings"][0]["amount"], "-1.00");

    // The whole journal, read in two sittings: the second resumes after the last seq seen.
    let part = feed_seqs(&ledger.admin(&["feed", "--limit", "3"]));
    let rest = feed_seqs(&ledger.admin(&["feed", "--from-seq", &(part[2] + 1).to_string(), "--limit", "4"]));
    let all: Vec<u64> = part.into_iter().chain(rest).collect();
    assert_eq!(all, (1..=7).collect::<Vec<u64>>());

    // A member follows only its own account.
    ledger.ctl(&bob, &["feed", "alice", "--limit", "1"]).refused("NOT_AUTHORISED");
    ledger.ctl(&bob, &["feed", "--limit", "1"]).refused("NOT_AUTHORISED");

    // A feed still waiting for entries does not hold up a graceful shutdown: it ends, unavailable.
    let mut waiting = ledger.spawn_ctl(&alice, &["feed", "alice", "--from-seq", "8"]);
    ledger.ctl(&alice, &["pay", "alice", "bob", "4"]).ok_json();
    let mut first = String::new();
    BufReader::new(waiting.stdout.as_mut().expect("piped")).read_line(&mut first).expect("the new entry");
    assert_eq!(serde_json::from_str::<Value>(&first).unwrap()["seq"], 8, "{first}");
    ledger.stop();
    let ended = ledger_tests::finish(waiting);
    assert_eq!(ended.code, 1, "{ended:?}");
    assert_eq!(ended.json()["error"]["code"], "UNAVAILABLE", "{ended:?}");
}

fn history_filters_by_kind_and_time_and_pages_stay_stable_while_entries_arrive(backend: Backend) {
    let (ledger, alice, bob) = two_members(backend);
    for amount in ["1", "2", "3"] {
        ledger.ctl(&alice, &["pay", "alice", "bob", amount]).ok_json();
    }
    bob_asks_alice(&ledger, &bob, "4");
    ledger.admin(&["account", "freeze", "alice", "--reason", "audit"]).ok_json();
    ledger.admin(&["account", "unfreeze", "alice", "--reason", "audit done"]).ok_json();

    let amounts = |doc: &Value| -> Vec<String> {
        doc["items"].as_array().unwrap().iter().map(|i| i["amount"].as_str().unwrap().to_owned()).collect()
    };
    let first = ledger.ctl(&alice, &["history", "alice", "--kind", "payment", "--limit", "2"]).ok_json();
    assert_eq!(amounts(&first), ["-3.00", "-2.00"]);
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    // A new payment arrives between the pages: the next page goes on below the last seq seen.
    ledger.ctl(&alice, &["pay", "alice", "bob", "5"]).ok_json();
    let second = ledger
        .ctl(&alice, &["history", "alice", "--kind", "payment", "--limit", "2", "--page-token", &token])
        .ok_json();
    assert_eq!(amounts(&second), ["-1.00"]);
    assert_eq!(second["next_page_token"], "");

    let kinds = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["history", "alice"];
        all.extend_from_slice(args);
        let doc = ledger.ctl(&alice, &all).ok_json();
        doc["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(kinds(&["--kind", "status", "--kind", "request"]), ["status", "status", "request"]);
    assert_eq!(kinds(&["--from", "2000-01-01", "--kind", "account"]), ["account"]);
    assert!(kinds(&["--to", "2000-01-01"]).is_empty());
    assert!(kinds(&["--from", "9999-01-01"]).is_empty());
    assert_eq!(ledger.ctl(&alice, &["history", "alice", "--kind", "gift"]).code, 2);
    assert_eq!(ledger.ctl(&alice, &["history", "alice", "--from", "tomorrow"]).code, 2);
}

on_both_backends!(
    a_frozen_account_neither_pays_nor_receives_until_unfrozen,
    closing_needs_a_zero_balance_and_is_for_good,
    limit_changes_carry_their_reason_and_soft_limits_warn_on_stderr,
    a_request_accepted_commits_once_and_a_second_accept_returns_the_first_result,
    a_rejected_request_moves_nothing_and_cannot_be_accepted,
    an_expired_request_cannot_be_accepted,
    acceptance_checks_the_payers_limit_at_that_moment,
    reversals_by_payee_and_treasurer_once_each_never_by_a_stranger,
    a_reversal_respects_limits_and_a_treasurer_raises_the_limit_first_with_a_reason,
    an_atomic_batch_with_one_bad_payment_commits_nothing,
    a_non_atomic_batch_commits_the_good_payments_and_reports_each_refusal,
    the_feed_follows_new_entries_and_resumes_without_gap_or_duplicate,
    history_filters_by_kind_and_time_and_pages_stay_stable_while_entries_arrive,
);
