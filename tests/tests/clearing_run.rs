//! Clearing runs end to end, on both backends: a dry run plans the largest set-off and changes
//! nothing; an applied run reduces the invoices in one treasurer-signed entry (with credit, also
//! moving balances within their limits), reads back with `clearing show`, replays under its id,
//! and leaves a journal that audits clean.

use std::path::PathBuf;

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// `creditor` invoices `debtor` for `amount` and the debtor accepts; the invoice's id.
fn accepted(ledger: &Ledgerd, creditor: (&PathBuf, &str), debtor: (&PathBuf, &str), amount: &str) -> String {
    let issued = ledger.ctl(creditor.0, &["clearing", "invoice", "issue", creditor.1, debtor.1, amount]).ok_json();
    let id = issued["id"].as_str().expect("an id").to_owned();
    ledger.ctl(debtor.0, &["clearing", "invoice", "accept", &id]).ok_json();
    id
}

fn remaining(ledger: &Ledgerd, id: &str) -> String {
    let invoice = ledger.admin(&["clearing", "invoice", "show", id]).ok_json();
    invoice["remaining"].as_str().expect("remaining").to_owned()
}

fn audit_clean(ledger: &Ledgerd) {
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
    assert_eq!(ledger.trial_balance()["units"][0]["total"], "0.00");
}

fn a_dry_run_reports_the_largest_set_off_and_changes_nothing(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let carol = ledger.open_member("carol", "COMMUN", "100");
    // A cycle alice → bob → carol → alice (debtor → creditor), accepted by each debtor, plus an
    // invoice still awaiting its debtor, which takes no part.
    for (creditor_key, creditor, debtor_key, debtor, amount) in [
        (&bob, "bob", &alice, "alice", "100"),
        (&carol, "carol", &bob, "bob", "60.50"),
        (&alice, "alice", &carol, "carol", "80"),
    ] {
        let issued = ledger.ctl(creditor_key, &["clearing", "invoice", "issue", creditor, debtor, amount]).ok_json();
        let id = issued["id"].as_str().expect("an id");
        ledger.ctl(debtor_key, &["clearing", "invoice", "accept", id]).ok_json();
    }
    ledger.ctl(&alice, &["clearing", "invoice", "issue", "alice", "bob", "1000"]).ok_json();
    let head_before = ledger.trial_balance()["as_of_seq"].clone();

    let report = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--dry-run"]).ok_json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["invoices"], 3, "{report}");
    assert_eq!(
        (&report["debt_before"], &report["set_off"], &report["debt_after"], &report["share_percent"]),
        (&Value::from("240.50"), &Value::from("181.50"), &Value::from("59.00"), &Value::from("75.46"))
    );
    let touched = report["touched"].as_array().expect("touched");
    assert_eq!(touched.len(), 3);
    assert!(touched.iter().all(|t| t["set_off"] == "60.50"), "{report}");
    let alice_row = report["participants"].as_array().unwrap().iter().find(|p| p["account"] == "alice").unwrap();
    assert_eq!(
        (&alice_row["owes_before"], &alice_row["owes_after"], &alice_row["owed_before"], &alice_row["owed_after"]),
        (&Value::from("100.00"), &Value::from("39.50"), &Value::from("80.00"), &Value::from("19.50"))
    );

    // Nothing changed: no entry, every invoice still whole, no balance moved.
    assert_eq!(ledger.trial_balance()["as_of_seq"], head_before);
    let invoices = ledger.admin(&["clearing", "invoice", "list"]).ok_json();
    assert!(invoices["invoices"].as_array().unwrap().iter().all(|i| i["amount"] == i["remaining"]), "{invoices}");
    assert_eq!(ledger.balance("alice"), "0.00");

    // Only treasurers and auditors plan runs.
    ledger.ctl(&bob, &["clearing", "run", "--unit", "COMMUN", "--dry-run"]).refused("NOT_AUTHORISED");
    ledger.admin(&["clearing", "run", "--unit", "NOPE", "--dry-run"]).refused("UNIT_NOT_FOUND");
}

fn a_triangle_is_applied_in_one_entry_and_shown_and_replays_under_its_id(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let carol = ledger.open_member("carol", "COMMUN", "100");
    let ab = accepted(&ledger, (&bob, "bob"), (&alice, "alice"), "100");
    let bc = accepted(&ledger, (&carol, "carol"), (&bob, "bob"), "60.50");
    let ca = accepted(&ledger, (&alice, "alice"), (&carol, "carol"), "80");

    // An auditor may plan but not apply: only a treasurer signs a run.
    ledger.admin(&["role", "grant", "bob", "auditor"]).ok_json();
    ledger.ctl(&bob, &["clearing", "run", "--unit", "COMMUN"]).refused("NOT_AUTHORISED");
    assert_eq!(remaining(&ledger, &ab), "100.00");

    // The treasurer reviews a plan, then applies exactly that plan under a chosen id.
    let reviewed = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--dry-run"]);
    let plan = ledger.data_dir.join("plan.json");
    std::fs::write(&plan, &reviewed.stdout).expect("write the plan");
    let plan = plan.to_str().expect("a UTF-8 path");
    let run_id = "0b7a3c4e-1f2d-4a5b-8c6d-7e8f9a0b1c2d";
    let applied = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--plan", plan, "--id", run_id]).ok_json();
    assert_eq!(
        (&applied["run_id"], &applied["signer"], &applied["replayed"]),
        (&Value::from(run_id), &Value::from("admin"), &Value::from(false))
    );
    assert_eq!(
        (&applied["debt_before"], &applied["set_off"], &applied["debt_after"]),
        (&Value::from("240.50"), &Value::from("181.50"), &Value::from("59.00"))
    );
    assert_eq!(applied["touched"].as_array().unwrap().len(), 3);
    assert_eq!(
        (remaining(&ledger, &ab), remaining(&ledger, &bc), remaining(&ledger, &ca)),
        ("39.50".into(), "0.00".into(), "19.50".into())
    );
    for member in ["alice", "bob", "carol"] {
        assert_eq!(ledger.balance(member), "0.00", "a set-off moves no balance");
    }
    // Net positions (owed − owes) are what they were.
    for p in applied["participants"].as_array().unwrap() {
        let minor = |field: &str| p[field].as_str().unwrap().replace('.', "").parse::<i64>().unwrap();
        assert_eq!(minor("owed_before") - minor("owes_before"), minor("owed_after") - minor("owes_after"), "{p}");
    }

    // `clearing show` reads the same run back.
    let mut shown = ledger.admin(&["clearing", "show", run_id]).ok_json();
    let mut first = applied.clone();
    first["replayed"] = Value::Null;
    shown["replayed"] = Value::Null;
    assert_eq!(shown, first);
    // The entry is in each participant's history; a party reads the run, a stranger does not.
    let history = ledger.ctl(&carol, &["history", "carol", "--limit", "1"]).ok_json();
    assert_eq!(history["items"][0]["kind"], "clearing", "{history}");
    ledger.ctl(&carol, &["clearing", "show", run_id]).ok_json();
    let dave = ledger.open_member("dave", "COMMUN", "0");
    ledger.ctl(&dave, &["clearing", "show", run_id]).refused("NOT_AUTHORISED");

    // The same run under its id returns the first result; the same plan under another id is
    // refused, since its invoices no longer have what it sets off; a new plan finds nothing.
    let head = ledger.trial_balance()["as_of_seq"].clone();
    let again = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--plan", plan, "--id", run_id]).ok_json();
    assert_eq!((&again["replayed"], &again["seq"]), (&Value::from(true), &applied["seq"]));
    let twice = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--plan", plan]);
    let reason = twice.json()["error"]["reason"].clone();
    assert!(twice.code == 1 && (reason == "SET_OFF_EXCEEDS_REMAINING" || reason == "INVOICE_NOT_OPEN"), "{twice:?}");
    let more = ledger.admin(&["clearing", "run", "--unit", "COMMUN"]).ok_json();
    assert_eq!(more["set_off"], "0.00", "{more}");
    assert_eq!(ledger.trial_balance()["as_of_seq"], head, "nothing more was written");
    audit_clean(&ledger);
}

fn a_chain_clears_with_credit_within_every_limit(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    // Carol may not go below zero: no headroom to pay anything through credit.
    let carol = ledger.open_member("carol", "COMMUN", "0");
    let ab = accepted(&ledger, (&bob, "bob"), (&alice, "alice"), "500");
    let cb = accepted(&ledger, (&bob, "bob"), (&carol, "carol"), "50");

    let plain = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--dry-run"]).ok_json();
    assert_eq!(plain["set_off"], "0.00", "a chain does not clear by set-off alone");
    let planned = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--dry-run", "--with-credit"]).ok_json();
    assert_eq!(
        (&planned["set_off"], &planned["credit_moved"]),
        (&Value::from("100.00"), &Value::from("100.00")),
        "{planned}"
    );

    let applied = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--with-credit"]).ok_json();
    let credit: Vec<(String, String, String)> = applied["credit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account"].as_str().unwrap().into(),
                c["delta"].as_str().unwrap().into(),
                c["balance_after"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        credit,
        [("alice".into(), "-100.00".into(), "-100.00".into()), ("bob".into(), "100.00".into(), "100.00".into())]
    );
    assert_eq!(
        (ledger.balance("alice"), ledger.balance("bob"), ledger.balance("carol")),
        ("-100.00".into(), "100.00".into(), "0.00".into())
    );
    assert_eq!((remaining(&ledger, &ab), remaining(&ledger, &cb)), ("400.00".into(), "50.00".into()));
    // The credit moved as a transfer of kind clearing, seen in alice's history.
    let history = ledger.ctl(&alice, &["history", "alice", "--limit", "1"]).ok_json();
    assert_eq!(history["items"][0]["kind"], "clearing", "{history}");

    // Nobody has headroom left: a second run with credit moves nothing.
    let head = ledger.trial_balance()["as_of_seq"].clone();
    let more = ledger.admin(&["clearing", "run", "--unit", "COMMUN", "--with-credit"]).ok_json();
    assert_eq!(more["set_off"], "0.00", "{more}");
    assert_eq!(ledger.trial_balance()["as_of_seq"], head);
    audit_clean(&ledger);
}

on_both_backends!(
    a_dry_run_reports_the_largest_set_off_and_changes_nothing,
    a_triangle_is_applied_in_one_entry_and_shown_and_replays_under_its_id,
    a_chain_clears_with_credit_within_every_limit,
);
