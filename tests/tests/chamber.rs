//! The chamber of the commons end to end, through `ledgerctl` and `ledgerd`: a treasurer
//! registers a commons with a steward, members declare work for it, only that commons' steward
//! validates or refuses, once; listings filter; bad input is refused precisely and changes
//! nothing; the journal still verifies afterwards.

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// Members alice, bob and carol; bob steward of `jardin-partage`; carol a treasurer who is no
/// steward of it. Returns the ledger and the key files of alice, bob and carol.
fn garden(backend: Backend) -> (Ledgerd, std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let carol = ledger.open_member("carol", "COMMUN", "100");
    ledger.admin(&["role", "grant", "carol", "treasurer"]).ok_json();
    let added = ledger
        .admin(&[
            "chamber",
            "commons",
            "add",
            "jardin-partage",
            "--kind",
            "garden",
            "--description",
            "Le jardin de la rue des Lilas",
            "--rules",
            "Outils rendus le soir",
            "--steward",
            "bob",
        ])
        .ok_json();
    assert_eq!(added["stewards"], serde_json::json!(["bob"]));
    (ledger, alice, bob, carol)
}

fn declare(ledger: &Ledgerd, key: &std::path::Path, quantity: &str, period: &str) -> Value {
    ledger
        .ctl(key, &["chamber", "declare", "jardin-partage", quantity, "--category", "gardening", "--period", period])
        .ok_json()
}

fn ids(listing: &Value) -> Vec<String> {
    listing["declarations"]
        .as_array()
        .expect("declarations")
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn only_a_steward_of_the_commons_validates_a_declaration_once(backend: Backend) {
    let (ledger, alice, bob, carol) = garden(backend);
    let declared = declare(&ledger, &alice, "2.5", "2026-11");
    assert_eq!((declared["contributor"].as_str(), declared["quantity"].as_str()), (Some("alice"), Some("2.500")));
    assert_eq!(declared["status"], "pending");
    let id = declared["id"].as_str().unwrap();

    // The contributor, another member and a treasurer who is no steward of it are all refused.
    for key in [&alice, &carol] {
        let refused = ledger.ctl(key, &["chamber", "validate", id]).refused("NOT_AUTHORISED");
        assert!(refused["error"]["message"].as_str().unwrap().contains("steward of the declaration's commons"));
    }
    ledger.admin(&["chamber", "validate", id]).refused("NOT_AUTHORISED");
    let shown = ledger.admin(&["chamber", "declarations", "--commons", "jardin-partage"]).ok_json();
    assert_eq!(shown["declarations"][0]["status"], "pending");

    let validated = ledger.ctl(&bob, &["chamber", "validate", id]).ok_json();
    assert_eq!(validated["status"], "validated");
    // The same decision again is the same command: the first result, no second entry.
    assert_eq!(ledger.ctl(&bob, &["chamber", "validate", id]).ok_json(), validated);
    // A different decision on a decided declaration is refused.
    ledger.ctl(&bob, &["chamber", "refuse", id]).refused("DECLARATION_NOT_PENDING");

    let history = ledger.admin(&["history", "alice", "--limit", "10"]).ok_json();
    let kinds: Vec<&str> = history["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..2], ["validation", "declaration"]);
}

fn a_steward_refuses_and_listings_filter_by_commons_period_status_and_contributor(backend: Backend) {
    let (ledger, alice, bob, carol) = garden(backend);
    let first = declare(&ledger, &alice, "2", "2026-10")["id"].as_str().unwrap().to_owned();
    let second = declare(&ledger, &alice, "1.25", "2026-11")["id"].as_str().unwrap().to_owned();
    let carols = declare(&ledger, &carol, "3", "2026-11")["id"].as_str().unwrap().to_owned();
    assert_eq!(ledger.ctl(&bob, &["chamber", "refuse", &second]).ok_json()["status"], "refused");
    ledger.ctl(&bob, &["chamber", "validate", &second]).refused("DECLARATION_NOT_PENDING");

    let mut all = vec![first.clone(), second.clone(), carols.clone()];
    all.sort();
    // A steward sees every declaration of the commons they steward, and only their own elsewhere.
    assert_eq!(ids(&ledger.ctl(&bob, &["chamber", "declarations", "--commons", "jardin-partage"]).ok_json()), all);
    assert_eq!(ids(&ledger.ctl(&bob, &["chamber", "declarations"]).ok_json()), Vec::<String>::new());
    let november = ledger.admin(&["chamber", "declarations", "--period", "2026-11", "--status", "pending"]).ok_json();
    assert_eq!(ids(&november), [carols.as_str()]);
    let refused = ledger.admin(&["chamber", "declarations", "--status", "refused"]).ok_json();
    assert_eq!(ids(&refused), [second.as_str()]);
    // A member sees only their own declarations, and may not ask for another's.
    let mut alices = vec![first, second];
    alices.sort();
    assert_eq!(ids(&ledger.ctl(&alice, &["chamber", "declarations"]).ok_json()), alices);
    ledger.ctl(&alice, &["chamber", "declarations", "--contributor", "carol"]).refused("NOT_AUTHORISED");

    // Every member reads the registry.
    let registry = ledger.ctl(&alice, &["chamber", "commons", "list"]).ok_json();
    assert_eq!(registry["commons"][0]["name"], "jardin-partage");
    let shown = ledger.ctl(&alice, &["chamber", "commons", "show", "jardin-partage"]).ok_json();
    assert_eq!(shown["rules_of_use"], "Outils rendus le soir");

    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn bad_input_is_refused_precisely_and_changes_nothing(backend: Backend) {
    let (ledger, alice, _bob, _carol) = garden(backend);
    let before = ledger.admin(&["audit", "verify"]).ok_json()["head_hash"].clone();
    let unknown = ["chamber", "declare", "fablab", "1", "--category", "gardening", "--period", "2026-11"];
    ledger.ctl(&alice, &unknown).refused("COMMONS_NOT_FOUND");
    for (quantity, period) in [("0", "2026-11"), ("2.5", "2026-13"), ("2.5", "november")] {
        let run = ledger.ctl(
            &alice,
            &["chamber", "declare", "jardin-partage", quantity, "--category", "gardening", "--period", period],
        );
        assert_eq!(run.code, 2, "refused as bad input before anything is sent: {run:?}");
    }
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
        .refused("COMMONS_EXISTS");
    ledger
        .admin(&["chamber", "commons", "add", "fablab", "--kind", "workshop", "--description", "", "--steward", "zoe"])
        .refused("ACCOUNT_NOT_FOUND");
    ledger
        .ctl(
            &alice,
            &["chamber", "commons", "add", "fablab", "--kind", "workshop", "--description", "", "--steward", "alice"],
        )
        .refused("NOT_AUTHORISED");
    assert_eq!(ledger.admin(&["audit", "verify"]).ok_json()["head_hash"], before, "nothing was written");
    assert_eq!(ids(&ledger.admin(&["chamber", "declarations"]).ok_json()), Vec::<String>::new());
}

on_both_backends!(
    only_a_steward_of_the_commons_validates_a_declaration_once,
    a_steward_refuses_and_listings_filter_by_commons_period_status_and_contributor,
    bad_input_is_refused_precisely_and_changes_nothing,
);
