//! Bulk import of transfers end to end: `ledgerctl import transfers FILE.csv` in batches, each
//! signed once by a treasurer; limits row by row; a refused batch named by line; a second run of
//! the same file moves nothing.

use std::path::{Path, PathBuf};

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// A ledger with unit COMMUN (2 decimals) and members alice, bob and carol with a credit limit
/// of 100 each; returns alice's key file.
fn three_members(backend: Backend) -> (Ledgerd, PathBuf) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    ledger.open_member("carol", "COMMUN", "100");
    (ledger, alice)
}

/// Writes `text` to a file in the ledger's data directory.
fn file(ledger: &Ledgerd, name: &str, text: &str) -> PathBuf {
    let path = ledger.data_dir.join(name);
    std::fs::write(&path, text).expect("write the import file");
    path
}

fn import(ledger: &Ledgerd, key: &Path, path: &Path, batch_rows: &str, more: &[&str]) -> ledger_tests::Run {
    let path = path.to_str().expect("a UTF-8 path");
    let mut args = vec!["import", "transfers", path, "--unit", "COMMUN", "--batch-rows", batch_rows];
    args.extend_from_slice(more);
    ledger.ctl(key, &args)
}

fn balances(ledger: &Ledgerd) -> Vec<String> {
    ["alice", "bob", "carol"].iter().map(|handle| ledger.balance(handle)).collect()
}

const HISTORY: &str = "payer,payee,amount,memo
alice,bob,40.00,opening
bob,carol,15.50,seeds

carol,alice,5,
alice,carol,60,rent
bob,alice,0.25,change
carol,bob,20,tools
alice,bob,1,last
";

fn a_file_goes_in_by_batches_and_a_second_run_moves_nothing(backend: Backend) {
    let (ledger, _) = three_members(backend);
    let path = file(&ledger, "history.csv", HISTORY);
    let done = import(&ledger, &ledger.admin_key, &path, "3", &[]).ok_json();
    assert_eq!(done["rows"], 7);
    assert_eq!(done["total"], "141.75");
    let batches = done["batches"].as_array().expect("batches");
    let lines: Vec<(u64, u64)> =
        batches.iter().map(|b| (b["first_line"].as_u64().unwrap(), b["last_line"].as_u64().unwrap())).collect();
    assert_eq!(lines, [(2, 5), (6, 8), (9, 9)], "blank line 4 is skipped, lines keep their numbers");
    assert!(batches.iter().all(|b| b["replayed"] == false));
    // alice: -40 + 5 - 60 + 0.25 - 1; bob: +40 - 15.50 - 0.25 + 20 + 1; carol: +15.50 - 5 + 60 - 20.
    assert_eq!(balances(&ledger), ["-95.75", "45.25", "50.50"]);
    assert_eq!(ledger.trial_balance()["units"][0]["total"], "0.00");

    // Each batch is one entry in the history of every account it moved.
    let history = ledger.admin(&["history", "alice", "--limit", "10"]).ok_json();
    let imports: Vec<&Value> = history["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "import").collect();
    assert_eq!(imports.len(), 3, "{history}");
    assert_eq!(imports[2]["amount"], "-35.00", "the first batch's net change for alice");
    assert!(imports[2]["description"].as_str().unwrap().contains("2 of 3 imported COMMUN transfers"), "{history}");

    // The same file again: every batch is recognised, nothing moves twice.
    let again = import(&ledger, &ledger.admin_key, &path, "3", &[]).ok_json();
    let again_batches = again["batches"].as_array().unwrap();
    assert!(again_batches.iter().all(|b| b["replayed"] == true), "{again}");
    assert_eq!(again_batches[0]["seq"], batches[0]["seq"]);
    assert_eq!(balances(&ledger), ["-95.75", "45.25", "50.50"]);

    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn a_row_past_a_limit_refuses_its_batch_by_line_and_earlier_batches_stay(backend: Backend) {
    let (ledger, _) = three_members(backend);
    // Line 5 takes alice to -100.01, past her credit limit of 100.
    let path =
        file(&ledger, "over.csv", "payer,payee,amount\nalice,bob,50\nbob,carol,10\nalice,carol,10\nalice,bob,40.01\n");
    let refused = import(&ledger, &ledger.admin_key, &path, "2", &[]);
    let doc = refused.refused("CREDIT_LIMIT_EXCEEDED");
    assert!(doc["error"]["message"].as_str().unwrap().starts_with("line 5: "), "{refused:?}");
    assert!(refused.stderr.contains("lines 2-3 are imported"), "{refused:?}");
    assert!(refused.stderr.contains("--from-line 4"), "{refused:?}");
    assert_eq!(balances(&ledger), ["-50.00", "40.00", "10.00"], "the first batch only");

    // Fixed from line 4 on, the rest goes in without the first batch twice.
    let fixed =
        file(&ledger, "over.csv", "payer,payee,amount\nalice,bob,50\nbob,carol,10\nalice,carol,10\nalice,bob,40\n");
    let done = import(&ledger, &ledger.admin_key, &fixed, "2", &["--from-line", "4"]).ok_json();
    assert_eq!(done["rows"], 2);
    assert_eq!(balances(&ledger), ["-100.00", "80.00", "20.00"]);
}

fn a_malformed_file_imports_nothing_and_names_its_line(backend: Backend) {
    let (ledger, _) = three_members(backend);
    let path = file(&ledger, "bad.csv", "payer,payee,amount\nalice,bob,1\nalice,bob,1.005\n");
    let run = import(&ledger, &ledger.admin_key, &path, "1", &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("line 3: amount"), "{run:?}");
    let unknown = file(&ledger, "unknown.csv", "payer,payee,amount\nalice,dave,1\n");
    import(&ledger, &ledger.admin_key, &unknown, "1", &[]).refused("ACCOUNT_NOT_FOUND");
    assert_eq!(balances(&ledger), ["0.00", "0.00", "0.00"]);
}

fn only_a_treasurer_imports(backend: Backend) {
    let (ledger, alice) = three_members(backend);
    let path = file(&ledger, "mine.csv", "payer,payee,amount\nbob,alice,10\n");
    import(&ledger, &alice, &path, "1", &[]).refused("NOT_AUTHORISED");
    assert_eq!(balances(&ledger), ["0.00", "0.00", "0.00"]);
}

on_both_backends!(
    a_file_goes_in_by_batches_and_a_second_run_moves_nothing,
    a_row_past_a_limit_refuses_its_batch_by_line_and_earlier_batches_stay,
    a_malformed_file_imports_nothing_and_names_its_line,
    only_a_treasurer_imports,
);
