//! A clearing run's dry run end to end, on both backends: the server plans the largest set-off
//! over a unit's accepted invoices, reports it, and changes nothing.

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

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

    // Only treasurers and auditors plan runs; applying one is not available yet.
    ledger.ctl(&bob, &["clearing", "run", "--unit", "COMMUN", "--dry-run"]).refused("NOT_AUTHORISED");
    assert_eq!(ledger.admin(&["clearing", "run", "--unit", "COMMUN"]).code, 2);
    ledger.admin(&["clearing", "run", "--unit", "NOPE", "--dry-run"]).refused("UNIT_NOT_FOUND");
}

on_both_backends!(a_dry_run_reports_the_largest_set_off_and_changes_nothing);
