//! `ledgerctl demo` end to end: on a fresh ledger it seeds a whole period through the real API,
//! and what it reports is what the ledger holds, read back through `ledgerctl`: the trial
//! balance sums to zero, the fund holds exactly the levies and contributions reported less the
//! distribution (summed from the fund's own history), declarations have the statuses reported,
//! the rule is adopted, the period's distribution executed the plan printed, the journal
//! verifies, and each key file written acts for its account. Run again with the same unit, it is
//! a usage error that writes nothing.

use std::path::Path;
use std::process::Command;

use ledger_core::amount::{Scale, parse_signed_minor};
use ledger_tests::{Backend, Ledgerd, Run, bin, on_both_backends};
use serde_json::Value;

/// Minor units of an amount the CLI printed at the demo unit's scale.
fn minor(amount: &Value) -> i64 {
    let text = amount.as_str().unwrap_or_else(|| panic!("an amount string, not {amount}"));
    parse_signed_minor(text, Scale::new(2).unwrap()).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn items<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc[key].as_array().unwrap_or_else(|| panic!("{key} is a list in {doc}"))
}

fn head_seq(ledger: &Ledgerd) -> u64 {
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
    verified["head_seq"].as_u64().expect("head_seq")
}

fn demo(ledger: &Ledgerd, keys: &Path, more: &[&str]) -> Run {
    let keys = keys.to_str().expect("a UTF-8 temporary path");
    ledger.admin(&[&["demo", "--keys", keys][..], more].concat())
}

fn the_demo_seeds_a_whole_period_that_reads_back_exactly(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("demo-keys");
    let report = demo(&ledger, &keys, &[]).ok_json();
    let unit = report["unit"]["code"].as_str().expect("unit code");
    let fund = report["unit"]["fund_account"].as_str().expect("fund account");
    let period = report["period"].as_str().expect("period");
    assert_eq!((unit, fund), ("COMMUN", "fund-commun"), "the default unit");

    // The trial balance sums to zero, and it is the one the demo printed.
    let trial = ledger.admin(&["audit", "trial-balance", "--unit", unit]).ok_json();
    let trial_unit = &trial["units"][0];
    assert_eq!(trial_unit["total"], "0.00", "{trial}");
    assert_eq!(trial_unit["total"], report["trial_balance"]["total"]);
    assert_eq!(items(trial_unit, "accounts").len(), items(&report["trial_balance"], "accounts").len());

    // The fund holds exactly the levies and contributions the demo reports, less the
    // distribution it paid: the reported transfers, the reported totals, the fund's balance and
    // the sum of its history agree.
    let trade = &report["trade"];
    let transfers = items(trade, "payments").iter().chain([&trade["request"]]);
    let levies: i64 = transfers.filter(|t| !t["levy"].is_null()).map(|t| minor(&t["levy"])).sum();
    let contributions: i64 = items(trade, "contributions").iter().map(|c| minor(&c["amount"])).sum();
    assert!(levies > 0 && contributions > 0, "{trade}");
    assert_eq!(minor(&trade["fund"]["levies"]), levies);
    assert_eq!(minor(&trade["fund"]["contributions"]), contributions);
    assert_eq!(minor(&trade["fund"]["total"]), levies + contributions);
    let distributed = minor(&report["distribution"]["distribution"]["distributed"]);
    assert_eq!(minor(&ledger.balance(fund).into()), levies + contributions - distributed);
    let history = ledger.admin(&["history", fund, "--limit", "1000"]).ok_json();
    assert_eq!(history["next_page_token"], "", "one page holds the fund's history");
    let received: i64 =
        items(&history, "items").iter().filter(|i| !i["amount"].is_null()).map(|i| minor(&i["amount"])).sum();
    assert_eq!(received, levies + contributions - distributed, "{history}");
    let kinds: Vec<&str> = items(trade, "contributions").iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["one-off", "recurring"]);

    // Declarations have the statuses reported: validated by their stewards, one refused.
    let listed = ledger.admin(&["chamber", "declarations", "--period", period]).ok_json();
    let reported = items(&report, "declarations");
    assert_eq!(items(&listed, "declarations").len(), reported.len());
    for declaration in reported {
        let found = items(&listed, "declarations").iter().find(|d| d["id"] == declaration["id"]);
        let found = found.unwrap_or_else(|| panic!("{declaration} is listed"));
        assert_eq!(found["status"], declaration["status"], "{found}");
    }
    let refused = reported.iter().filter(|d| d["status"] == "refused").count();
    let validated = reported.iter().filter(|d| d["status"] == "validated").count();
    assert_eq!((refused, validated), (1, reported.len() - 1), "{reported:?}");

    // The rule is adopted, for the unit from the period.
    let rule_id = report["rule"]["id"].as_str().expect("rule id");
    let rule = ledger.admin(&["chamber", "rule", "show", rule_id]).ok_json();
    assert_eq!((rule["status"].as_str(), rule["unit"].as_str()), (Some("adopted"), Some(unit)), "{rule}");
    assert_eq!(rule["effective_from"], period);

    // The period's distribution executed the plan the demo printed (a fresh ledger's quorum is 1),
    // and left nothing to pay: a plan now pays no line again.
    let reported_plan = &report["distribution"]["plan"];
    let reported = &report["distribution"]["distribution"];
    assert_eq!(reported["status"], "executed", "{reported}");
    assert!(distributed > 0 && reported["distributed"] == reported_plan["distributed"], "{reported}");
    let shown = ledger.admin(&["chamber", "distribution", "show", reported["id"].as_str().unwrap()]).ok_json();
    assert_eq!(shown["distributed"], reported["distributed"]);
    assert_eq!(items(&shown, "lines").len(), items(reported_plan, "lines").len());
    let by_contributor: i64 = items(&shown, "by_contributor").iter().map(|t| minor(&t["amount"])).sum();
    assert_eq!(by_contributor, distributed);
    let plan = ledger.admin(&["chamber", "distribute", "--period", period, "--unit", unit, "--dry-run"]).ok_json();
    assert!(items(&plan, "lines").is_empty(), "{plan}");

    // One key file per account, owner-only, each acting for its account.
    let accounts = items(&report, "accounts");
    assert_eq!(items(&report, "keys").len(), accounts.len());
    for key in items(&report, "keys") {
        let file = Path::new(key["file"].as_str().unwrap());
        assert!(file.starts_with(&keys), "{key}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{key}");
        }
        let account = key["account"].as_str().unwrap();
        let balance = ledger.ctl(file, &["balance", account]).ok_json();
        assert_eq!(balance["unit"], unit, "{balance}");
    }
    let stewards = accounts.iter().filter(|a| items(a, "roles").iter().any(|r| r == "steward")).count();
    assert!(stewards >= 4, "a steward per commons at least: {accounts:?}");

    // Running it again with the same unit is a usage error naming --unit, and writes nothing.
    let before = head_seq(&ledger);
    let again_keys = dir.path().join("again");
    let again = demo(&ledger, &again_keys, &[]);
    assert_eq!(again.code, 2, "{again:?}");
    let message = again.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("--unit COMMUN"), "{message}");
    assert!(!again_keys.exists(), "no key file was written");
    // Another unit on the same ledger still finds the community's accounts taken: nothing either.
    let other = demo(&ledger, &again_keys, &["--unit", "DEMO"]);
    assert_eq!(other.code, 2, "{other:?}");
    assert!(other.json()["error"]["message"].as_str().unwrap().contains("exists already"), "{other:?}");
    assert_eq!(head_seq(&ledger), before, "the journal did not grow");
}

fn the_demo_prints_a_line_per_step_and_refuses_what_it_cannot_do(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");

    // A member's key (no admin or treasurer role), a future period, an existing key file: each a
    // usage or configuration error before anything is written.
    ledger.create_unit("OTHER", 0);
    let member = ledger.open_member("zoe", "OTHER", "0");
    let before = head_seq(&ledger);
    let run = ledger.ctl(&member, &["demo", "--keys", keys.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.json()["error"]["message"].as_str().unwrap().contains("lacks the admin and treasurer roles"),
        "{run:?}"
    );
    let future = demo(&ledger, &keys, &["--period", "9999-12"]);
    assert_eq!(future.code, 2, "{future:?}");
    assert!(future.json()["error"]["message"].as_str().unwrap().starts_with("--period 9999-12"), "{future:?}");
    std::fs::create_dir(&keys).unwrap();
    std::fs::write(keys.join("cafe.key"), "not mine to overwrite\n").unwrap();
    let taken = demo(&ledger, &keys, &[]);
    assert_eq!(taken.code, 2, "{taken:?}");
    assert!(taken.json()["error"]["message"].as_str().unwrap().starts_with("--keys"), "{taken:?}");
    assert_eq!(std::fs::read_to_string(keys.join("cafe.key")).unwrap(), "not mine to overwrite\n");
    assert_eq!(head_seq(&ledger), before, "nothing was written");

    // In table mode, each step prints its line, then where to look next.
    let fresh_keys = dir.path().join("fresh");
    let output = Command::new(bin("ledgerctl"))
        .args(["--server", &ledger.url, "--key"])
        .arg(&ledger.admin_key)
        .args(["demo", "--unit", "HOUR", "--period", "2026-01", "--keys"])
        .arg(&fresh_keys)
        .output()
        .expect("run ledgerctl demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for step in 1..=10 {
        assert!(stdout.lines().any(|line| line.starts_with(&format!("{step}. "))), "step {step} in:\n{stdout}");
    }
    assert!(stdout.contains("unit HOUR created") && stdout.contains("fund-hour"), "{stdout}");
    assert!(stdout.contains("agreements from 2026-01"), "{stdout}");
    assert!(stdout.contains("executed:") && stdout.contains("ledgerctl chamber distribution show "), "{stdout}");
    let trial = ledger.admin(&["audit", "trial-balance", "--unit", "HOUR"]).ok_json();
    assert_eq!(trial["units"][0]["total"], "0.00", "{trial}");
    assert!(head_seq(&ledger) > before);
}

on_both_backends!(
    the_demo_seeds_a_whole_period_that_reads_back_exactly,
    the_demo_prints_a_line_per_step_and_refuses_what_it_cannot_do,
);
