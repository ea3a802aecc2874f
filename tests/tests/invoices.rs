//! Invoices end to end, through `ledgerctl` and `ledgerd` on both backends: issue, accept,
//! reject, who may do which, import from CSV (good, bad, twice), listing, and that none of it
//! moves a balance or upsets the audit.

use std::path::{Path, PathBuf};

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// A ledger with unit COMMUN (2 decimals) and members alice, bob and carol; their key files.
fn three_members(backend: Backend) -> (Ledgerd, PathBuf, PathBuf, PathBuf) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let carol = ledger.open_member("carol", "COMMUN", "100");
    (ledger, alice, bob, carol)
}

/// Alice invoices bob; the invoice id.
fn alice_invoices_bob(ledger: &Ledgerd, alice: &Path, amount: &str) -> String {
    let doc = ledger
        .ctl(alice, &["clearing", "invoice", "issue", "alice", "bob", amount, "--due", "2026-12-31", "--ref", "INV-1"])
        .ok_json();
    assert_eq!(doc["status"], "issued");
    assert_eq!(doc["amount"], doc["remaining"], "nothing is set off yet: {doc}");
    doc["id"].as_str().expect("an id").to_owned()
}

/// The invoices `key` may list, with extra filters.
fn listed(ledger: &Ledgerd, key: &Path, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["clearing", "invoice", "list"];
    args.extend_from_slice(filters);
    ledger.ctl(key, &args).ok_json()["invoices"].as_array().expect("invoices").clone()
}

/// The status of invoice `id` as the admin reads it.
fn status_of(ledger: &Ledgerd, id: &str) -> String {
    let all = listed(ledger, &ledger.admin_key, &[]);
    let invoice = all.iter().find(|invoice| invoice["id"] == id).unwrap_or_else(|| panic!("{id} not listed"));
    invoice["status"].as_str().expect("a status").to_owned()
}

/// No invoice moves a balance, and the journal audits clean.
fn balances_untouched_and_audit_clean(ledger: &Ledgerd) {
    for member in ["alice", "bob", "carol"] {
        assert_eq!(ledger.balance(member), "0.00", "{member}");
    }
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn an_issued_invoice_is_accepted_by_its_debtor_once(backend: Backend) {
    let (ledger, alice, bob, _carol) = three_members(backend);
    let id = alice_invoices_bob(&ledger, &alice, "12.50");
    let mine = listed(&ledger, &alice, &["--status", "issued"]);
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (&mine[0]["id"], &mine[0]["due"], &mine[0]["reference"]),
        (&Value::from(id.as_str()), &Value::from("2026-12-31"), &Value::from("INV-1"))
    );

    let accepted = ledger.ctl(&bob, &["clearing", "invoice", "accept", &id]).ok_json();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(status_of(&ledger, &id), "accepted");
    // Accepting again sends the same command: the first result comes back, nothing new is written.
    let again = ledger.ctl(&bob, &["clearing", "invoice", "accept", &id]).ok_json();
    assert_eq!(again["seq"], accepted["seq"]);
    ledger.ctl(&bob, &["clearing", "invoice", "reject", &id]).refused("INVOICE_NOT_ISSUED");
    assert_eq!(listed(&ledger, &bob, &["--status", "accepted"]).len(), 1);

    let history = ledger.admin(&["history", "bob", "--limit", "10"]).ok_json();
    let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["invoice-acceptance", "invoice"]);
    balances_untouched_and_audit_clean(&ledger);
}

fn only_the_debtor_answers_and_a_rejected_invoice_stays_rejected(backend: Backend) {
    let (ledger, alice, bob, carol) = three_members(backend);
    let id = alice_invoices_bob(&ledger, &alice, "5");
    // The creditor cannot accept its own invoice; a third party cannot even read it.
    ledger.ctl(&alice, &["clearing", "invoice", "accept", &id]).refused("NOT_AUTHORISED");
    ledger.ctl(&alice, &["clearing", "invoice", "reject", &id]).refused("NOT_AUTHORISED");
    ledger.ctl(&carol, &["clearing", "invoice", "accept", &id]).refused("NOT_AUTHORISED");
    assert_eq!(status_of(&ledger, &id), "issued", "nothing changed");
    // Only the creditor issues.
    ledger.ctl(&bob, &["clearing", "invoice", "issue", "alice", "bob", "5"]).refused("NOT_AUTHORISED");
    ledger.ctl(&alice, &["clearing", "invoice", "issue", "alice", "alice", "5"]).refused("SAME_ACCOUNT");
    ledger.ctl(&alice, &["clearing", "invoice", "issue", "alice", "dave", "5"]).refused("ACCOUNT_NOT_FOUND");
    assert_eq!(ledger.ctl(&alice, &["clearing", "invoice", "issue", "alice", "bob", "5.001"]).code, 2);
    assert_eq!(
        ledger.ctl(&alice, &["clearing", "invoice", "issue", "alice", "bob", "5", "--due", "2026-02-30"]).code,
        2
    );

    let rejected = ledger.ctl(&bob, &["clearing", "invoice", "reject", &id]).ok_json();
    assert_eq!(rejected["status"], "rejected");
    let refused = ledger.ctl(&bob, &["clearing", "invoice", "accept", &id]).refused("INVOICE_NOT_ISSUED");
    assert_eq!(refused["error"]["code"], "FAILED_PRECONDITION");
    assert_eq!(status_of(&ledger, &id), "rejected");
    assert_eq!(listed(&ledger, &ledger.admin_key, &[]).len(), 1, "the refused issues made no invoice");
    balances_untouched_and_audit_clean(&ledger);
}

fn a_member_lists_only_its_own_invoices(backend: Backend) {
    let (ledger, alice, bob, carol) = three_members(backend);
    alice_invoices_bob(&ledger, &alice, "1");
    ledger.ctl(&bob, &["clearing", "invoice", "issue", "bob", "carol", "2"]).ok_json();
    ledger.ctl(&carol, &["clearing", "invoice", "issue", "carol", "alice", "3"]).ok_json();
    let amounts = |invoices: Vec<Value>| -> Vec<String> {
        let mut amounts: Vec<String> = invoices.iter().map(|i| i["amount"].as_str().unwrap().to_owned()).collect();
        amounts.sort();
        amounts
    };
    assert_eq!(amounts(listed(&ledger, &alice, &[])), ["1.00", "3.00"]);
    assert_eq!(amounts(listed(&ledger, &bob, &[])), ["1.00", "2.00"]);
    assert_eq!(amounts(listed(&ledger, &carol, &["--party", "carol"])), ["2.00", "3.00"]);
    ledger.ctl(&alice, &["clearing", "invoice", "list", "--party", "bob"]).refused("NOT_AUTHORISED");
    assert_eq!(amounts(listed(&ledger, &ledger.admin_key, &[])), ["1.00", "2.00", "3.00"]);
    assert_eq!(amounts(listed(&ledger, &ledger.admin_key, &["--party", "bob", "--unit", "COMMUN"])), ["1.00", "2.00"]);
    assert!(listed(&ledger, &ledger.admin_key, &["--status", "accepted"]).is_empty());
    assert_eq!(ledger.admin(&["clearing", "invoice", "list", "--status", "paid"]).code, 2);
}

/// Writes `text` as `name` in a fresh directory kept by the ledger's lifetime.
fn csv(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the CSV file");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn an_import_is_all_or_nothing_and_never_duplicated(backend: Backend) {
    let (ledger, alice, _bob, _carol) = three_members(backend);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let good = csv(
        &dir,
        "good.csv",
        "id,debtor,creditor,amount,due,ref\nOLD-1,bob,alice,10.50,2026-12-31,order 7\nOLD-2,carol,bob,4,,\nOLD-3,alice,carol,2.25,,\n",
    );
    let imported = ledger.admin(&["clearing", "invoice", "import", &good, "--unit", "COMMUN"]).ok_json();
    assert_eq!((imported["imported"].as_u64(), imported["already_imported"].as_u64()), (Some(3), Some(0)));
    let rows = imported["invoices"].as_array().expect("invoices");
    assert_eq!(rows.iter().map(|row| row["line"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 3, 4]);
    let all = listed(&ledger, &ledger.admin_key, &["--status", "accepted"]);
    assert_eq!(all.len(), 3);
    let first = all.iter().find(|invoice| invoice["id"] == rows[0]["id"]).expect("OLD-1 listed");
    assert_eq!(
        (&first["debtor"], &first["amount"], &first["reference"]),
        (&Value::from("bob"), &Value::from("10.50"), &Value::from("order 7"))
    );
    // The external id is the reference when there is no ref.
    let second = all.iter().find(|invoice| invoice["id"] == rows[1]["id"]).expect("OLD-2 listed");
    assert_eq!(second["reference"], "OLD-2");

    // The same file again: the same commands, answered with their first result.
    let again = ledger.admin(&["clearing", "invoice", "import", &good, "--unit", "COMMUN"]).ok_json();
    assert_eq!((again["imported"].as_u64(), again["already_imported"].as_u64()), (Some(0), Some(3)));
    assert_eq!(again["invoices"][0]["id"], rows[0]["id"]);
    assert_eq!(listed(&ledger, &ledger.admin_key, &[]).len(), 3, "nothing duplicated");

    // A different file repeating an id: refused at that line, nothing of it imported.
    let overlap = csv(
        &dir,
        "overlap.csv",
        "id,debtor,creditor,amount,unit\nNEW-1,bob,alice,1,COMMUN\nOLD-2,carol,bob,5,COMMUN\n",
    );
    let refused = ledger.admin(&["clearing", "invoice", "import", &overlap]).refused("INVOICE_EXISTS");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 3:") && message.contains("nothing was imported"), "{message}");
    // A row naming an unknown account: refused with its line before anything is sent.
    let unknown = csv(&dir, "unknown.csv", "id,debtor,creditor,amount\nNEW-2,bob,alice,1\nNEW-3,dave,alice,1\n");
    let refused =
        ledger.admin(&["clearing", "invoice", "import", &unknown, "--unit", "COMMUN"]).refused("ACCOUNT_NOT_FOUND");
    assert!(refused["error"]["message"].as_str().unwrap().contains("line 3:"), "{refused}");
    // A malformed row: a usage error naming its line.
    let malformed = csv(&dir, "malformed.csv", "id,debtor,creditor,amount\nNEW-4,bob,alice,1\nNEW-5,bob,alice,1.234\n");
    let bad = ledger.admin(&["clearing", "invoice", "import", &malformed, "--unit", "COMMUN"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.json()["error"]["message"].as_str().unwrap().contains("line 3: amount"), "{bad:?}");
    assert_eq!(listed(&ledger, &ledger.admin_key, &[]).len(), 3, "no bad file imported anything");

    // Only a treasurer imports.
    let fresh = csv(&dir, "fresh.csv", "id,debtor,creditor,amount\nNEW-6,bob,alice,1\n");
    ledger.ctl(&alice, &["clearing", "invoice", "import", &fresh, "--unit", "COMMUN"]).refused("NOT_AUTHORISED");
    assert_eq!(listed(&ledger, &ledger.admin_key, &[]).len(), 3);
    balances_untouched_and_audit_clean(&ledger);
}

/// `count` rows `PREFIX-n`, alternating alice→bob and bob→alice, after the header.
fn rows(prefix: &str, count: usize) -> String {
    let mut text = String::from("id,debtor,creditor,amount\n");
    for n in 0..count {
        let (debtor, creditor) = if n % 2 == 0 { ("alice", "bob") } else { ("bob", "alice") };
        text.push_str(&format!("{prefix}-{n},{debtor},{creditor},1.{:02}\n", n % 100));
    }
    text
}

fn a_large_file_is_imported_in_commands_of_a_thousand_rows(backend: Backend) {
    let (ledger, _alice, _bob, _carol) = three_members(backend);
    ledger.create_unit("HOUR", 0);
    ledger.open_member("dave", "HOUR", "10");
    let dir = tempfile::tempdir().expect("a temporary directory");

    let large = csv(&dir, "large.csv", &rows("L", 1001));
    let imported = ledger.admin(&["clearing", "invoice", "import", &large, "--unit", "COMMUN"]).ok_json();
    assert_eq!(imported["imported"], 1001);
    let seqs: Vec<u64> = imported["invoices"].as_array().unwrap().iter().map(|i| i["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs[..1000].iter().filter(|seq| **seq == seqs[0]).count(), 1000, "the first 1000 rows are one entry");
    assert_eq!(seqs[1000], seqs[0] + 1, "row 1001 is the next entry");

    // A row the server refuses in the second command (dave holds HOUR): the first command stays
    // imported, and the message names the line and says so.
    let mut text = rows("M", 1001);
    text.push_str("M-last,dave,alice,1\n");
    let mixed = csv(&dir, "mixed.csv", &text);
    let refused = ledger.admin(&["clearing", "invoice", "import", &mixed, "--unit", "COMMUN"]).refused("UNIT_MISMATCH");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 1003:") && message.contains("lines 2 to 1001 were imported"), "{message}");
    // 1001 from the large file, and the first 1000 rows of this one.
    assert_eq!(listed(&ledger, &ledger.admin_key, &[]).len(), 2001);
    balances_untouched_and_audit_clean(&ledger);
}

on_both_backends!(
    a_large_file_is_imported_in_commands_of_a_thousand_rows,
    an_issued_invoice_is_accepted_by_its_debtor_once,
    only_the_debtor_answers_and_a_rejected_invoice_stays_rejected,
    a_member_lists_only_its_own_invoices,
    an_import_is_all_or_nothing_and_never_duplicated,
);
