//! A clearing run larger than one command of any other kind, end to end on both backends:
//! 12,000 invoices imported in commands of 1,000 rows, then a run of more than 10,000 set-offs
//! planned, signed and applied through the real server as one entry, read back whole, with
//! every invoice's remaining amount as the optimum leaves it and a journal that audits clean.

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// Members on the ring.
const MEMBERS: usize = 24;
/// Invoices on each arc of the ring.
const PER_ARC: usize = 500;
/// Each invoice on the first arc, in cents: that arc bounds what the ring can clear.
const FIRST_ARC_CENTS: i64 = 100;
/// Each invoice on every other arc, in cents.
const OTHER_ARC_CENTS: i64 = 120;

fn member(index: usize) -> String {
    format!("m{:02}", index % MEMBERS)
}

fn cents(text: &Value) -> i64 {
    let text = text.as_str().unwrap_or_else(|| panic!("{text} is an amount"));
    text.replace('.', "").parse().unwrap_or_else(|_| panic!("{text} is an amount at scale 2"))
}

fn a_run_of_more_than_ten_thousand_set_offs_is_one_entry_and_audits_clean(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    for index in 0..MEMBERS {
        ledger.open_member(&member(index), "COMMUN", "0");
    }
    // A ring m00 → m01 → ... → m23 → m00 (debtor → creditor), PER_ARC invoices on each arc. The
    // first arc owes least, so the ring clears exactly its total on every arc: the first arc
    // whole, and on each other arc that total handed back invoice by invoice, one of them in part.
    let mut csv = String::from("id,debtor,creditor,amount\n");
    for arc in 0..MEMBERS {
        let amount = if arc == 0 { FIRST_ARC_CENTS } else { OTHER_ARC_CENTS };
        for n in 0..PER_ARC {
            csv.push_str(&format!(
                "{arc}-{n},{},{},{}.{:02}\n",
                member(arc),
                member(arc + 1),
                amount / 100,
                amount % 100
            ));
        }
    }
    let file = ledger.data_dir.join("ring.csv");
    std::fs::write(&file, csv).expect("write the invoice file");
    let head = || ledger.trial_balance()["as_of_seq"].as_u64().expect("a seq");
    let before_import = head();
    ledger
        .admin(&["clearing", "invoice", "import", file.to_str().expect("a UTF-8 path"), "--unit", "COMMUN"])
        .ok_json();
    let invoices = MEMBERS * PER_ARC;
    assert_eq!(head() - before_import, (invoices / 1000) as u64, "one entry per 1,000 rows");

    let cleared_per_arc = PER_ARC as i64 * FIRST_ARC_CENTS;
    let whole_per_arc = (cleared_per_arc / OTHER_ARC_CENTS) as usize;
    let part = cleared_per_arc % OTHER_ARC_CENTS;
    assert!(part > 0, "one invoice per arc is set off in part");
    let set_offs = PER_ARC + (MEMBERS - 1) * (whole_per_arc + 1);
    assert!(set_offs > 10_000, "{set_offs} set-offs: more than the bound this test was written against");

    let before_run = head();
    let applied = ledger.admin(&["clearing", "run", "--unit", "COMMUN"]).ok_json();
    assert_eq!(head(), before_run + 1, "the whole run is one entry");
    let debt_before = PER_ARC as i64 * (FIRST_ARC_CENTS + (MEMBERS as i64 - 1) * OTHER_ARC_CENTS);
    let set_off = MEMBERS as i64 * cleared_per_arc;
    // The run reports its totals over the invoices it touched.
    let touched_before =
        PER_ARC as i64 * FIRST_ARC_CENTS + (MEMBERS as i64 - 1) * (whole_per_arc as i64 + 1) * OTHER_ARC_CENTS;
    assert_eq!(
        (cents(&applied["debt_before"]), cents(&applied["set_off"]), cents(&applied["debt_after"])),
        (touched_before, set_off, touched_before - set_off),
        "{}",
        applied["set_off"]
    );
    let touched = applied["touched"].as_array().expect("touched");
    assert_eq!(touched.len(), set_offs);
    let after = |wanted: i64| touched.iter().filter(|t| cents(&t["remaining_after"]) == wanted).count();
    assert_eq!(after(0), PER_ARC + (MEMBERS - 1) * whole_per_arc);
    assert_eq!(after(OTHER_ARC_CENTS - part), MEMBERS - 1);

    // Read back whole, and the invoices as stored: each one's remaining amount is what the run
    // left, the untouched ones whole.
    let mut shown = ledger.admin(&["clearing", "show", applied["run_id"].as_str().expect("an id")]).ok_json();
    shown["replayed"] = applied["replayed"].clone();
    assert!(shown == applied, "clearing show reads back the applied run");
    let listed = ledger.admin(&["clearing", "invoice", "list", "--unit", "COMMUN"]).ok_json();
    let listed = listed["invoices"].as_array().expect("invoices");
    assert_eq!(listed.len(), invoices);
    let remaining = |wanted: i64| listed.iter().filter(|i| cents(&i["remaining"]) == wanted).count();
    assert_eq!(remaining(0), after(0));
    assert_eq!(remaining(OTHER_ARC_CENTS - part), MEMBERS - 1);
    assert_eq!(remaining(OTHER_ARC_CENTS), (MEMBERS - 1) * (PER_ARC - whole_per_arc - 1));
    assert_eq!(listed.iter().map(|i| cents(&i["remaining"])).sum::<i64>(), debt_before - set_off);

    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
    assert_eq!(ledger.trial_balance()["units"][0]["total"], "0.00");
}

on_both_backends!(a_run_of_more_than_ten_thousand_set_offs_is_one_entry_and_audits_clean);
