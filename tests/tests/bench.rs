//! The load generator `ledger-bench` against a real `ledgerd`: what it reports must be true.
//! These tests check its accounting and its after-run checks, never how fast anything is.

use std::process::Command;

use ledger_tests::{Ledgerd, bin};
use serde_json::Value;

/// Runs `ledger-bench --server URL --output json ARGS...`; returns its exit code and document.
fn bench(ledger: &Ledgerd, args: &[&str]) -> (i32, Value) {
    let output = Command::new(bin("ledger-bench"))
        .args(["--server", &ledger.url, "--output", "json"])
        .args(args)
        .output()
        .expect("run ledger-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}\n{stderr}"));
    (output.status.code().expect("an exit code"), doc)
}

#[test]
fn every_presigned_payment_is_accounted_for_and_found_in_the_journal() {
    let ledger = Ledgerd::start_fresh();
    let admin_key = ledger.admin_key.to_str().expect("a UTF-8 path");
    let pid = ledger.pid().expect("running").to_string();
    let (code, report) = bench(
        &ledger,
        &[
            "--admin-key",
            admin_key,
            "--server-pid",
            &pid,
            "--accounts",
            "20",
            "--hot-accounts",
            "3",
            "--concurrency",
            "32",
            "--payments",
            "500",
            "--duration",
            "60",
        ],
    );
    assert_eq!(code, 0, "{report}");
    // The 500 payments ran out long before the window: each one is committed, refused or failed.
    assert_eq!(report["ran_out"], true, "{report}");
    let count = |field: &str| report[field].as_u64().unwrap_or_else(|| panic!("{field} in {report}"));
    assert_eq!(count("committed") + count("refused") + count("failed"), 500, "{report}");
    assert_eq!(count("failed"), 0, "{report}");
    assert!(count("committed") > 0, "{report}");
    assert_eq!(
        report["per_second"].as_array().map(|s| s.iter().filter_map(Value::as_u64).sum::<u64>()),
        Some(count("committed"))
    );

    // CPU a payment is the window's CPU over the payments committed (the seconds are rounded to
    // hundredths).
    for side in ["client", "server"] {
        let seconds = report[format!("{side}_cpu_s")].as_f64().unwrap_or_else(|| panic!("{side} CPU in {report}"));
        let each = report[format!("{side}_cpu_us_per_payment")].as_f64().unwrap_or_else(|| panic!("{report}"));
        let total = each * count("committed") as f64 / 1e6;
        assert!((total - seconds).abs() <= 0.006, "{side}: {each} µs × {} against {seconds} s", count("committed"));
    }

    let checks = &report["checks"];
    assert_eq!(checks["passed"], true, "{report}");
    assert_eq!(checks["trial_balance_total"], "0.00", "{report}");
    assert_eq!(checks["acknowledged"], report["committed"], "{report}");
    assert_eq!(checks["acknowledged_found"], report["committed"], "{report}");

    // The ledger agrees independently: the journal replays clean.
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["verified"], true, "{verified}");
}

#[test]
fn batched_payments_are_each_accounted_for_and_found_in_the_journal() {
    let ledger = Ledgerd::start_fresh();
    let admin_key = ledger.admin_key.to_str().expect("a UTF-8 path");
    let (code, report) = bench(
        &ledger,
        &["--admin-key", admin_key, "--accounts", "30", "--batch", "64", "--concurrency", "4", "--payments", "1000"],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["config"]["batch"], 64, "{report}");
    let count = |field: &str| report[field].as_u64().unwrap_or_else(|| panic!("{field} in {report}"));
    assert_eq!(count("committed") + count("refused") + count("failed"), 1000, "{report}");
    assert_eq!(count("failed"), 0, "{report}");
    let checks = &report["checks"];
    assert_eq!(checks["passed"], true, "{report}");
    assert_eq!(checks["acknowledged_found"], report["committed"], "{report}");
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["verified"], true, "{verified}");
}

#[test]
fn a_paced_run_sends_no_more_calls_than_fall_due_in_its_window() {
    let ledger = Ledgerd::start_fresh();
    let admin_key = ledger.admin_key.to_str().expect("a UTF-8 path");
    let (code, report) = bench(
        &ledger,
        &["--admin-key", admin_key, "--accounts", "10", "--rate", "40", "--duration", "2", "--payments", "1000"],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["config"]["rate"], 40.0, "{report}");
    // Calls fall due at 0, 1/40, 2/40... s: 80 of them within the 2 s window, whatever the
    // machine's speed, where an unpaced run would have sent all 1000.
    let count = |field: &str| report[field].as_u64().unwrap_or_else(|| panic!("{field} in {report}"));
    let sent = count("committed") + count("refused") + count("failed");
    assert!((1..=80).contains(&sent), "{sent} calls in {report}");
    assert_eq!(report["ran_out"], false, "{report}");
    assert_eq!(report["checks"]["passed"], true, "{report}");

    // A rate of zero is refused by the command line, before anything is sent.
    let refused = Command::new(bin("ledger-bench"))
        .args(["--server", &ledger.url, "--admin-key", admin_key, "--rate", "0"])
        .output()
        .expect("run ledger-bench");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--rate"), "{refused:?}");
}

#[test]
fn noop_mode_measures_round_trips_without_touching_the_ledger() {
    let ledger = Ledgerd::start_fresh();
    let before = ledger.admin(&["audit", "verify"]).ok_json();
    let (code, report) = bench(&ledger, &["--noop", "--duration", "1", "--concurrency", "4", "--connections", "1"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["mode"], "noop", "{report}");
    assert!(report["committed"].as_u64().is_some_and(|calls| calls > 0), "{report}");
    assert_eq!(report["failed"], 0, "{report}");
    let after = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(after["entries"], before["entries"], "noop wrote to the journal");
}

#[test]
fn a_bad_flag_is_a_usage_error_that_changes_nothing() {
    let ledger = Ledgerd::start_fresh();
    let admin_key = ledger.admin_key.to_str().expect("a UTF-8 path");
    let before = ledger.admin(&["audit", "verify"]).ok_json();
    let (code, report) = bench(&ledger, &["--admin-key", admin_key, "--accounts", "5", "--hot-accounts", "5"]);
    assert_eq!(code, 2, "{report}");
    assert!(report["error"]["message"].as_str().is_some_and(|m| m.contains("--hot-accounts")), "{report}");
    let after = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(after["entries"], before["entries"], "a refused run wrote to the journal");
}
