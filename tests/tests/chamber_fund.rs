//! Contributions to the commons fund end to end, through `ledgerctl` and `ledgerd`: a treasurer
//! sets businesses' agreements; a levy lands in the fund in the payment's own entry; a collect
//! posts each recurring contribution once and reports, never forces, what does not fit; a
//! business contributes once off within its limits; a reversal gives its levy back; only a
//! treasurer sets agreements and collects; the trial balance sums to zero and the journal
//! verifies afterwards.

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// Alice, a member with 1000.00 of credit; the bakery, a business with 50.00 of credit; the café,
/// a business with none. Returns the ledger and the key files of alice, the bakery and the café.
fn town(backend: Backend) -> (Ledgerd, std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "1000");
    let bakery = open_business(&ledger, "bakery", "50");
    let cafe = open_business(&ledger, "cafe", "0");
    (ledger, alice, bakery, cafe)
}

fn open_business(ledger: &Ledgerd, handle: &str, credit_limit: &str) -> std::path::PathBuf {
    let (key, public) = ledger.new_key(handle);
    let args = [
        "account",
        "open",
        handle,
        "--unit",
        "COMMUN",
        "--public-key",
        &public,
        "--kind",
        "business",
        "--credit-limit",
    ];
    let opened = ledger.admin(&[&args[..], &[credit_limit]].concat()).ok_json();
    assert_eq!(opened["kind"], "business", "{opened}");
    key
}

/// The levy of transfer `id` as `GetTransfer` reads it back (empty: none).
fn levy_read_back(ledger: &Ledgerd, id: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let key = ledger_cli::keyfile::load(Some(&ledger.admin_key)).expect("the admin key");
        let client = ledger_cli::client::Client::connect(&ledger.url, key).await.expect("connect");
        let request = ledger_cli::proto::GetTransferRequest { name: id.to_owned() };
        client.transfers().get_transfer(request).await.expect("GetTransfer").into_inner().levy
    })
}

/// The report's lines as (business, outcome, amount or reason).
fn lines(report: &Value) -> Vec<(String, String, String)> {
    report["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            let detail = line["amount"].as_str().or(line["reason"].as_str()).unwrap_or("").to_owned();
            (line["business"].as_str().unwrap().to_owned(), line["outcome"].as_str().unwrap().to_owned(), detail)
        })
        .collect()
}

fn line(business: &str, outcome: &str, detail: &str) -> (String, String, String) {
    (business.to_owned(), outcome.to_owned(), detail.to_owned())
}

fn levies_collects_contributions_and_reversals_keep_the_fund_exact(backend: Backend) {
    let (ledger, alice, bakery, cafe) = town(backend);
    let set = ledger
        .admin(&["chamber", "agreement", "set", "bakery", "--levy", "1.5", "--recurring", "20", "--from", "2026-01"])
        .ok_json();
    assert_eq!((set["levy_basis_points"].as_u64(), set["recurring"].as_str()), (Some(150), Some("20.00")));
    ledger.admin(&["chamber", "agreement", "set", "cafe", "--recurring", "30", "--from", "2026-01"]).ok_json();
    // Agreements are the chamber's public terms: a member reads them.
    let shown = ledger.ctl(&alice, &["chamber", "agreement", "show", "bakery"]).ok_json();
    assert_eq!((shown["levy_percent"].as_str(), shown["effective_from"].as_str()), (Some("1.50"), Some("2026-01")));
    let listed = ledger.ctl(&alice, &["chamber", "agreement", "list"]).ok_json();
    assert_eq!(listed["agreements"].as_array().unwrap().len(), 2);

    // The levy lands in the fund in the payment's own entry, rounded down: 1.5 % of 10.99 is 0.16.
    let paid = ledger.ctl(&alice, &["pay", "alice", "bakery", "10.99"]).ok_json();
    assert_eq!((paid["status"].as_str(), paid["levy"].as_str()), (Some("committed"), Some("0.16")));
    let payment = paid["id"].as_str().unwrap().to_owned();
    assert_eq!(ledger.balance("bakery"), "10.83");
    assert_eq!(ledger.balance("fund-commun"), "0.16");
    assert_eq!(ledger.balance("alice"), "-10.99");
    let fund_history = ledger.admin(&["history", "fund-commun", "--limit", "5"]).ok_json();
    let newest = &fund_history["items"][0];
    assert_eq!((newest["kind"].as_str(), newest["id"].as_str()), (Some("payment"), Some(payment.as_str())));
    assert_eq!((newest["amount"].as_str(), newest["counterparty"].as_str()), (Some("0.16"), Some("bakery")));
    let bakery_history = ledger.admin(&["history", "bakery", "--limit", "5"]).ok_json();
    assert_eq!(bakery_history["items"][0]["seq"], newest["seq"], "one entry for the payment and its levy");
    assert_eq!(levy_read_back(&ledger, &payment), "0.16", "GetTransfer shows the levy too");
    assert_eq!(bakery_history["items"][0]["amount"], "10.83");

    // Only a treasurer collects; the café has no credit for its 30.00: reported, not forced.
    ledger.ctl(&alice, &["chamber", "collect", "--period", "2026-01"]).refused("NOT_AUTHORISED");
    let first = ledger.admin(&["chamber", "collect", "--period", "2026-01"]).ok_json();
    assert_eq!(
        lines(&first),
        [line("bakery", "collected", "20.00"), line("cafe", "not_collectable", "CREDIT_LIMIT_EXCEEDED")]
    );
    assert_eq!(first["totals"]["COMMUN"], "20.00");
    assert_eq!(ledger.balance("fund-commun"), "20.16");
    assert_eq!(ledger.balance("cafe"), "0.00");
    // Collecting twice posts once.
    let second = ledger.admin(&["chamber", "collect", "--period", "2026-01"]).ok_json();
    assert_eq!(
        lines(&second),
        [line("bakery", "already_collected", ""), line("cafe", "not_collectable", "CREDIT_LIMIT_EXCEEDED")]
    );
    assert_eq!(second["totals"]["COMMUN"], "0.00");
    assert_eq!(ledger.balance("fund-commun"), "20.16");
    assert_eq!(ledger.balance("bakery"), "-9.17");

    // Once the café has been paid (it levies nothing), its contribution is collected.
    ledger.ctl(&alice, &["pay", "alice", "cafe", "40"]).ok_json();
    let third = ledger.admin(&["chamber", "collect", "--period", "2026-01"]).ok_json();
    assert_eq!(lines(&third), [line("bakery", "already_collected", ""), line("cafe", "collected", "30.00")]);
    assert_eq!((ledger.balance("cafe"), ledger.balance("fund-commun")), ("10.00".to_owned(), "50.16".to_owned()));

    // A one-off contribution, signed by the business; one past its limit is refused.
    let gift = ledger.ctl(&bakery, &["chamber", "contribute", "bakery", "5", "--memo", "pour le jardin"]).ok_json();
    assert_eq!((gift["kind"].as_str(), gift["payee"].as_str()), (Some("contribution"), Some("fund-commun")));
    ledger.ctl(&bakery, &["chamber", "contribute", "bakery", "100"]).refused("CREDIT_LIMIT_EXCEEDED");
    ledger.ctl(&alice, &["chamber", "contribute", "bakery", "1"]).refused("NOT_AUTHORISED");
    ledger.ctl(&cafe, &["chamber", "contribute", "cafe", "10.01"]).refused("CREDIT_LIMIT_EXCEEDED");
    assert_eq!((ledger.balance("bakery"), ledger.balance("fund-commun")), ("-14.17".to_owned(), "55.16".to_owned()));

    // Reversing the levied payment gives its levy back in the reversal's entry.
    let reversed = ledger.ctl(&bakery, &["reverse", &payment, "--reason", "refund"]).ok_json();
    assert_eq!(reversed["kind"], "reversal");
    assert_eq!(ledger.balance("bakery"), "-25.00");
    assert_eq!(ledger.balance("fund-commun"), "55.00");
    assert_eq!(ledger.balance("alice"), "-40.00");
    assert_eq!(levy_read_back(&ledger, &payment), "0.16", "a reversal does not erase what was levied");

    // Paid in a batch (CreateTransfers), each levied payment reports its levy: 1.5 % of 20.00.
    let file = ledger.data_dir.join("market.csv");
    std::fs::write(&file, format!("alice,bakery,20,,{}\n", alice.display())).expect("write the batch file");
    let done = ledger.admin(&["pay-many", file.to_str().unwrap()]).ok_json();
    assert_eq!(done["results"][0]["transfer"]["levy"], "0.30", "{done}");
    assert_eq!(ledger.balance("fund-commun"), "55.30");

    let trial = ledger.trial_balance();
    assert_eq!(trial["units"][0]["total"], "0.00", "{trial}");
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn agreements_are_a_treasurers_and_bad_terms_change_nothing(backend: Backend) {
    let (ledger, alice, bakery, _cafe) = town(backend);
    let before = ledger.admin(&["audit", "verify"]).ok_json()["head_hash"].clone();
    ledger.ctl(&alice, &["chamber", "agreement", "set", "bakery", "--levy", "2"]).refused("NOT_AUTHORISED");
    ledger.ctl(&bakery, &["chamber", "agreement", "set", "bakery", "--levy", "2"]).refused("NOT_AUTHORISED");
    ledger.admin(&["chamber", "agreement", "set", "alice", "--levy", "2"]).refused("NOT_A_BUSINESS");
    ledger.admin(&["chamber", "agreement", "set", "nobody", "--levy", "2"]).refused("ACCOUNT_NOT_FOUND");
    ledger.admin(&["chamber", "agreement", "show", "bakery"]).refused("AGREEMENT_NOT_FOUND");
    for bad in
        [&["--levy", "1.555"][..], &["--levy", "101"], &["--levy", "0"], &["--recurring", "0"], &["--from", "2026-13"]]
    {
        let run = ledger.admin(&[&["chamber", "agreement", "set", "bakery"][..], bad].concat());
        assert_eq!(run.code, 2, "refused as bad input before anything is sent: {bad:?} {run:?}");
    }
    ledger.admin(&["chamber", "collect", "--period", "9999-12"]).ok_json();
    assert_eq!(ledger.admin(&["audit", "verify"]).ok_json()["head_hash"], before, "nothing was written");

    // Replacing an agreement keeps one row, the newest terms; a payment to the bakery levies 2 %.
    ledger.admin(&["chamber", "agreement", "set", "bakery", "--levy", "1", "--from", "2026-01"]).ok_json();
    ledger.admin(&["chamber", "agreement", "set", "bakery", "--levy", "2", "--from", "2026-01"]).ok_json();
    assert_eq!(ledger.admin(&["chamber", "agreement", "list"]).ok_json()["agreements"][0]["levy_basis_points"], 200);
    let paid = ledger.ctl(&alice, &["pay", "alice", "bakery", "50"]).ok_json();
    assert_eq!(paid["levy"], "1.00");
    let history = ledger.admin(&["history", "bakery", "--limit", "5"]).ok_json();
    let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["payment", "agreement", "agreement"]);
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

on_both_backends!(
    levies_collects_contributions_and_reversals_keep_the_fund_exact,
    agreements_are_a_treasurers_and_bad_terms_change_nothing,
);
