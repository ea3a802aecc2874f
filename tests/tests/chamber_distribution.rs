//! A whole period of the chamber end to end, through `ledgerctl` and `ledgerd`: a levied payment
//! and a collect feed the fund, members declare work and a steward validates it, a rule is
//! adopted by a quorum of two, and the period's distribution is proposed, has no effect until a
//! second treasurer approves it, then moves exactly the dry run's lines in one entry. Each
//! declaration is paid once; members can neither approve nor read a distribution; the trial
//! balance sums to zero and the journal verifies.

use std::path::PathBuf;

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// The example rule of the README: 50 % of the fund shared, 10 % kept, gardening 1, care 1.5.
const RULE: &str = include_str!("../../examples/rule.toml");

struct Community {
    ledger: Ledgerd,
    alice: PathBuf,
    bob: PathBuf,
    carol: PathBuf,
    tess: PathBuf,
}

fn open_business(ledger: &Ledgerd, handle: &str, credit_limit: &str) -> PathBuf {
    let (key, public) = ledger.new_key(handle);
    let args = ["account", "open", handle, "--unit", "COMMUN", "--public-key", &public, "--kind", "business"];
    ledger.admin(&[&args[..], &["--credit-limit", credit_limit]].concat()).ok_json();
    key
}

/// November 2026: alice pays the bakery 50.00 (a 10 % levy: 5.00 to the fund), the bakery's
/// recurring 20.00 is collected (fund 25.00); alice declares 3 hours of gardening and carol 2 of
/// care, bob (steward of the garden) validates both; a third declaration stays pending. The
/// quorum is 2: the admin and tess are the treasurers.
fn community(backend: Backend) -> (Community, Vec<String>) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let carol = ledger.open_member("carol", "COMMUN", "100");
    let tess = ledger.open_member("tess", "COMMUN", "0");
    let bakery = open_business(&ledger, "bakery", "100");
    ledger.admin(&["role", "grant", "tess", "treasurer"]).ok_json();
    ledger
        .admin(&["chamber", "agreement", "set", "bakery", "--levy", "10", "--recurring", "20", "--from", "2026-11"])
        .ok_json();
    let paid = ledger.ctl(&alice, &["pay", "alice", "bakery", "50"]).ok_json();
    assert_eq!(paid["levy"], "5.00", "{paid}");
    let collected = ledger.admin(&["chamber", "collect", "--period", "2026-11"]).ok_json();
    assert_eq!(collected["totals"]["COMMUN"], "20.00", "{collected}");
    assert_eq!(ledger.admin(&["chamber", "collect", "--period", "2026-11"]).ok_json()["totals"]["COMMUN"], "0.00");
    assert_eq!(ledger.balance("fund-commun"), "25.00");
    drop(bakery);

    ledger
        .admin(&[
            "chamber",
            "commons",
            "add",
            "jardin-partage",
            "--kind",
            "garden",
            "--description",
            "",
            "--steward",
            "bob",
        ])
        .ok_json();
    let mut validated = Vec::new();
    for (key, who, quantity, category) in [(&alice, "alice", "3", "gardening"), (&carol, "carol", "2", "care")] {
        let declared = ledger
            .ctl(
                key,
                &["chamber", "declare", "jardin-partage", quantity, "--category", category, "--period", "2026-11"],
            )
            .ok_json();
        assert_eq!(declared["contributor"], who);
        let id = declared["id"].as_str().unwrap().to_owned();
        // Only a steward of the garden validates.
        ledger.ctl(&carol, &["chamber", "validate", &id]).refused("NOT_AUTHORISED");
        ledger.ctl(&bob, &["chamber", "validate", &id]).ok_json();
        validated.push(id);
    }
    ledger
        .ctl(&alice, &["chamber", "declare", "jardin-partage", "1", "--category", "care", "--period", "2026-11"])
        .ok_json();

    ledger.admin(&["chamber", "quorum", "set", "2"]).ok_json();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rule_file = dir.path().join("rule.toml");
    std::fs::write(&rule_file, RULE).expect("write the rule file");
    let proposed = ledger.admin(&["chamber", "rule", "propose", rule_file.to_str().unwrap()]).ok_json();
    assert_eq!(proposed["status"], "proposed", "a rule without quorum has no effect yet");
    ledger.admin(&DISTRIBUTE).refused("NO_RULE_IN_FORCE");
    let rule = proposed["id"].as_str().unwrap().to_owned();
    ledger.ctl(&tess, &["chamber", "rule", "approve", &rule]).ok_json();
    validated.sort();
    (Community { ledger, alice, bob, carol, tess }, validated)
}

const DISTRIBUTE: [&str; 6] = ["chamber", "distribute", "--period", "2026-11", "--unit", "COMMUN"];

/// (contributor, amount) of each line.
fn lines(document: &Value) -> Vec<(String, String)> {
    document["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| (l["contributor"].as_str().unwrap().to_owned(), l["amount"].as_str().unwrap().to_owned()))
        .collect()
}

fn named(document: &Value, field: &str) -> Vec<(String, String)> {
    document[field]
        .as_array()
        .expect("totals")
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["amount"].as_str().unwrap().to_owned()))
        .collect()
}

fn pair(name: &str, amount: &str) -> (String, String) {
    (name.to_owned(), amount.to_owned())
}

fn a_full_period_ends_with_the_dry_run_paid_once_and_the_books_balanced(backend: Backend) {
    let (community, validated) = community(backend);
    let ledger = &community.ledger;

    // The dry run: reserve ⌈2.50⌉, pool 12.50 shared 3 points to 3 (2 hours × 1.5).
    let plan = ledger.admin(&[&DISTRIBUTE[..], &["--dry-run"]].concat()).ok_json();
    assert_eq!((plan["pool"].as_str(), plan["distributed"].as_str()), (Some("12.50"), Some("12.50")));
    let mut planned = lines(&plan);
    planned.sort();
    assert_eq!(planned, [pair("alice", "6.25"), pair("carol", "6.25")]);
    assert_eq!(plan["lines_digest"].as_str().map(str::len), Some(64));

    // A member may not propose; the admin's proposal waits for a second treasurer.
    ledger.ctl(&community.alice, &DISTRIBUTE).refused("NOT_AUTHORISED");
    let proposed = ledger.admin(&DISTRIBUTE).ok_json();
    assert_eq!((proposed["status"].as_str(), proposed["quorum"].as_u64()), (Some("proposed"), Some(2)));
    assert_eq!(proposed["approvals"], serde_json::json!(["admin"]));
    assert_eq!(lines(&proposed), lines(&plan), "the proposal is the dry run");
    let id = proposed["id"].as_str().unwrap().to_owned();
    assert_eq!(ledger.balance("fund-commun"), "25.00", "nothing moved without the quorum");
    assert_eq!(ledger.balance("alice"), "-50.00");

    // The proposer counts once; members may neither approve nor read it.
    ledger.admin(&["chamber", "distribution", "approve", &id]).refused("DISTRIBUTION_ALREADY_APPROVED");
    ledger.ctl(&community.bob, &["chamber", "distribution", "approve", &id]).refused("NOT_AUTHORISED");
    ledger.ctl(&community.carol, &["chamber", "distribution", "show", &id]).refused("NOT_AUTHORISED");

    // The second treasurer's approval executes it, in its own entry.
    let executed = ledger.ctl(&community.tess, &["chamber", "distribution", "approve", &id]).ok_json();
    assert_eq!(executed["status"], "executed", "{executed}");
    assert_eq!(executed["approvals"], serde_json::json!(["admin", "tess"]));
    assert_eq!(ledger.balance("fund-commun"), "12.50");
    assert_eq!(ledger.balance("alice"), "-43.75");
    assert_eq!(ledger.balance("carol"), "6.25");
    let history = ledger.admin(&["history", "carol", "--limit", "1"]).ok_json();
    let newest = &history["items"][0];
    assert_eq!((newest["seq"].as_u64(), newest["amount"].as_str()), (executed["seq"].as_u64(), Some("6.25")));
    assert_eq!(newest["kind"], "distribution-approval");

    // `show` gives the totals per contributor, commons and category.
    let shown = ledger.admin(&["chamber", "distribution", "show", &id]).ok_json();
    assert_eq!(named(&shown, "by_contributor"), [pair("alice", "6.25"), pair("carol", "6.25")]);
    assert_eq!(named(&shown, "by_commons"), [pair("jardin-partage", "12.50")]);
    assert_eq!(named(&shown, "by_category"), [pair("care", "6.25"), pair("gardening", "6.25")]);
    assert_eq!((shown["distributed"].as_str(), shown["kept_in_fund"].as_str()), (Some("12.50"), Some("0.00")));

    // Each declaration is paid once: it says by which distribution, and nothing is left to pay.
    let listed = ledger.admin(&["chamber", "declarations", "--status", "validated"]).ok_json()["declarations"].clone();
    let paid: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_owned(), d["paid_by"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(paid, validated.iter().map(|v| (v.clone(), id.clone())).collect::<Vec<_>>());
    ledger.ctl(&community.tess, &["chamber", "distribution", "approve", &id]).refused("DISTRIBUTION_ALREADY_EXECUTED");
    ledger.admin(&DISTRIBUTE).refused("NOTHING_TO_DISTRIBUTE");
    let replan = ledger.admin(&[&DISTRIBUTE[..], &["--dry-run"]].concat()).ok_json();
    assert!(replan["lines"].as_array().unwrap().is_empty());
    assert!(replan["skipped"].as_array().unwrap().iter().any(|s| s["reason"] == "already-paid"), "{replan}");

    let trial = ledger.trial_balance();
    assert_eq!(trial["units"][0]["total"], "0.00", "{trial}");
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn a_proposal_gone_stale_before_its_approval_is_refused_and_can_be_proposed_again(backend: Backend) {
    let (community, _) = community(backend);
    let ledger = &community.ledger;
    let first = ledger.admin(&DISTRIBUTE).ok_json();
    let second = ledger.ctl(&community.tess, &DISTRIBUTE).ok_json();
    assert_eq!(lines(&first), lines(&second));
    // The first executes; the second's declarations are paid by then.
    let first_id = first["id"].as_str().unwrap();
    ledger.ctl(&community.tess, &["chamber", "distribution", "approve", first_id]).ok_json();
    let refused = ledger
        .admin(&["chamber", "distribution", "approve", second["id"].as_str().unwrap()])
        .refused("DECLARATION_ALREADY_PAID");
    assert!(refused["error"]["message"].as_str().unwrap().contains(first_id), "{refused}");
    assert_eq!(ledger.balance("fund-commun"), "12.50", "paid once");
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

on_both_backends!(
    a_full_period_ends_with_the_dry_run_paid_once_and_the_books_balanced,
    a_proposal_gone_stale_before_its_approval_is_refused_and_can_be_proposed_again,
);
