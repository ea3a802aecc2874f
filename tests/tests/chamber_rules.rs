//! Remuneration rules and the distribution dry run end to end, through `ledgerctl` and `ledgerd`:
//! the admin sets a quorum of 2; a treasurer's proposal has no effect until a second treasurer
//! approves it; the same treasurer twice, a member, or a bad rule file are refused precisely;
//! the dry run lists a line per validated declaration and changes nothing; the journal verifies.

use std::path::{Path, PathBuf};

use ledger_tests::{Backend, Ledgerd, on_both_backends};
use serde_json::Value;

/// Writes a rule file in the test's directory.
fn rule_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the rule file");
    path
}

/// The example rule of the README.
const RULE: &str = include_str!("../../examples/rule.toml");

struct Community {
    ledger: Ledgerd,
    dir: tempfile::TempDir,
    alice: PathBuf,
    bob: PathBuf,
    tess: PathBuf,
}

/// Members alice (gardener) and bob (steward of `jardin-partage`); tess a second treasurer
/// besides the admin; alice declares 3 hours of gardening and 2 of care in November, bob
/// validates both; a third declaration stays pending.
fn community(backend: Backend) -> (Community, Vec<String>) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let tess = ledger.open_member("tess", "COMMUN", "100");
    ledger.admin(&["role", "grant", "tess", "treasurer"]).ok_json();
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
    for (quantity, category) in [("3", "gardening"), ("2", "care")] {
        let declared = ledger
            .ctl(
                &alice,
                &["chamber", "declare", "jardin-partage", quantity, "--category", category, "--period", "2026-11"],
            )
            .ok_json();
        let id = declared["id"].as_str().unwrap().to_owned();
        ledger.ctl(&bob, &["chamber", "validate", &id]).ok_json();
        validated.push(id);
    }
    ledger
        .ctl(&alice, &["chamber", "declare", "jardin-partage", "1", "--category", "care", "--period", "2026-11"])
        .ok_json();
    validated.sort();
    let dir = tempfile::tempdir().expect("a temporary directory");
    (Community { ledger, dir, alice, bob, tess }, validated)
}

fn dry_run(community: &Community) -> ledger_tests::Run {
    community
        .ledger
        .ctl(&community.tess, &["chamber", "distribute", "--period", "2026-11", "--unit", "COMMUN", "--dry-run"])
}

fn a_rule_without_quorum_has_no_effect_until_a_second_treasurer_approves(backend: Backend) {
    let (community, validated) = community(backend);
    let ledger = &community.ledger;
    let book = ledger.admin(&["chamber", "quorum", "set", "2"]).ok_json();
    assert_eq!((book["quorum"].as_u64(), book["adopted"].as_u64()), (Some(2), Some(0)));
    // Only an admin sets the quorum.
    ledger.ctl(&community.tess, &["chamber", "quorum", "set", "1"]).refused("NOT_AUTHORISED");

    let file = rule_file(community.dir.path(), "rule.toml", RULE);
    let proposed = ledger.admin(&["chamber", "rule", "propose", file.to_str().unwrap()]).ok_json();
    assert_eq!(proposed["status"], "proposed");
    assert_eq!(proposed["version"], Value::Null);
    assert_eq!(proposed["approvals"], serde_json::json!(["admin"]));
    assert_eq!((proposed["pool_share"].as_str(), proposed["cap_per_unit"].as_str()), (Some("50.00"), Some("20.00")));
    let id = proposed["id"].as_str().unwrap().to_owned();

    // Without quorum the rule has no effect: the dry run finds no rule in force.
    let refused = dry_run(&community).refused("NO_RULE_IN_FORCE");
    assert!(refused["error"]["message"].as_str().unwrap().contains("2026-11"), "{refused}");

    // The proposer approving again, and a member, are refused and change nothing.
    let refused = ledger.admin(&["chamber", "rule", "approve", &id]).refused("RULE_ALREADY_APPROVED");
    assert!(refused["error"]["message"].as_str().unwrap().contains("admin has already approved"), "{refused}");
    ledger.ctl(&community.alice, &["chamber", "rule", "approve", &id]).refused("NOT_AUTHORISED");
    let shown = ledger.ctl(&community.bob, &["chamber", "rule", "show", &id]).ok_json();
    assert_eq!((shown["status"].as_str(), shown["approvals"].as_array().unwrap().len()), (Some("proposed"), 1));

    // The second treasurer's approval adopts it as version 1.
    let adopted = ledger.ctl(&community.tess, &["chamber", "rule", "approve", &id]).ok_json();
    assert_eq!((adopted["status"].as_str(), adopted["version"].as_u64()), (Some("adopted"), Some(1)));
    assert_eq!(adopted["approvals"], serde_json::json!(["admin", "tess"]));
    ledger.ctl(&community.tess, &["chamber", "rule", "approve", &id]).refused("RULE_ALREADY_ADOPTED");
    let listed = ledger.admin(&["chamber", "rule", "list"]).ok_json();
    assert_eq!((listed["quorum"].as_u64(), listed["adopted"].as_u64()), (Some(2), Some(1)));
    assert_eq!(listed["rules"][0]["id"].as_str(), Some(id.as_str()));

    // The dry run lists a line per validated declaration; the fund is empty, so every amount is 0.
    let before = ledger.admin(&["audit", "verify"]).ok_json()["head_hash"].clone();
    let plan = dry_run(&community).ok_json();
    assert_eq!((plan["rule"].as_str(), plan["rule_version"].as_u64()), (Some(id.as_str()), Some(1)));
    let lines = plan["lines"].as_array().unwrap();
    let declarations: Vec<&str> = lines.iter().map(|l| l["declaration"].as_str().unwrap()).collect();
    assert_eq!(declarations, validated.iter().map(String::as_str).collect::<Vec<_>>());
    for line in lines {
        assert_eq!((line["contributor"].as_str(), line["commons"].as_str()), (Some("alice"), Some("jardin-partage")));
        assert_eq!(line["amount"], "0.00");
    }
    let mut categories: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| (l["category"].as_str().unwrap(), l["quantity"].as_str().unwrap(), l["weight"].as_str().unwrap()))
        .collect();
    categories.sort();
    assert_eq!(categories, [("care", "2.000", "1.500"), ("gardening", "3.000", "1.000")]);
    assert_eq!((plan["fund_balance"].as_str(), plan["distributed"].as_str()), (Some("0.00"), Some("0.00")));
    assert_eq!(plan["skipped"][0]["reason"], "pending");
    // A member may not plan; a table dry run prints the lines; nothing was written.
    ledger
        .ctl(&community.alice, &["chamber", "distribute", "--period", "2026-11", "--unit", "COMMUN", "--dry-run"])
        .refused("NOT_AUTHORISED");
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["head_hash"], before, "a dry run writes nothing");
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn until_a_quorum_is_set_a_proposal_is_adopted_at_once_and_versions_follow_adoption(backend: Backend) {
    let (community, _) = community(backend);
    let ledger = &community.ledger;
    let first = rule_file(community.dir.path(), "first.toml", RULE);
    let adopted = ledger.ctl(&community.tess, &["chamber", "rule", "propose", first.to_str().unwrap()]).ok_json();
    assert_eq!((adopted["status"].as_str(), adopted["version"].as_u64()), (Some("adopted"), Some(1)));
    let december = rule_file(
        community.dir.path(),
        "december.toml",
        &RULE.replace("effective_from = \"2026-11\"", "effective_from = \"2026-12\""),
    );
    let second = ledger.admin(&["chamber", "rule", "propose", december.to_str().unwrap()]).ok_json();
    assert_eq!((second["version"].as_u64(), second["effective_from"].as_str()), (Some(2), Some("2026-12")));
    // November is still under version 1; December under version 2.
    assert_eq!(dry_run(&community).ok_json()["rule_version"], 1);
    let december_plan =
        ledger.admin(&["chamber", "distribute", "--period", "2026-12", "--unit", "COMMUN", "--dry-run"]).ok_json();
    assert_eq!(december_plan["rule_version"], 2);
    assert_eq!(december_plan["lines"].as_array().unwrap().len(), 0, "no declaration of December");
    // Replaying the same proposal is the same command: the first result, no second entry.
    let id = second["id"].as_str().unwrap();
    let again = ledger.admin(&["chamber", "rule", "propose", december.to_str().unwrap(), "--id", id]).ok_json();
    assert_eq!(again["version"], 2);
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["balances_match_server"], true, "{verified}");
}

fn a_bad_rule_file_exits_2_naming_the_problem_and_changes_nothing(backend: Backend) {
    let (community, _) = community(backend);
    let ledger = &community.ledger;
    let before = ledger.admin(&["audit", "verify"]).ok_json()["head_hash"].clone();
    let cases = [
        (
            "float.toml",
            RULE.replace("pool_share = \"50\"", "pool_share = 12.5"),
            "pool_share: write decimals as strings",
        ),
        ("typo.toml", RULE.replace("cap_per_unit", "cap_per_hour"), "unknown key \"cap_per_hour\""),
        ("period.toml", RULE.replace("2026-11", "2026-13"), "effective_from"),
        ("scale.toml", RULE.replace("\"20.00\"", "\"20.001\""), "cap_per_unit"),
        ("reserve.toml", RULE.replace("reserve_share = \"10\"", "reserve_share = \"60\""), "more than 100%"),
        ("broken.toml", "unit = ".to_owned(), "not valid TOML"),
    ];
    for (name, text, expected) in cases {
        let file = rule_file(community.dir.path(), name, &text);
        let run = ledger.admin(&["chamber", "rule", "propose", file.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(name) && message.contains(expected), "{name}: {expected:?} in {message:?}");
    }
    let missing = ledger.admin(&["chamber", "rule", "propose", "/nonexistent/rule.toml"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    // No rule was adopted: there is no distribution to propose.
    ledger.admin(&["chamber", "distribute", "--period", "2026-11", "--unit", "COMMUN"]).refused("NO_RULE_IN_FORCE");
    assert_eq!(ledger.admin(&["chamber", "quorum", "set", "0"]).code, 2, "a quorum of 0 is bad input");
    let other_unit = rule_file(community.dir.path(), "hour.toml", &RULE.replace("\"COMMUN\"", "\"HOUR\""));
    ledger.admin(&["chamber", "rule", "propose", other_unit.to_str().unwrap()]).refused("UNIT_NOT_FOUND");
    assert_eq!(ledger.admin(&["audit", "verify"]).ok_json()["head_hash"], before, "nothing was written");
    assert_eq!(ledger.admin(&["chamber", "rule", "list"]).ok_json()["rules"], serde_json::json!([]));
}

on_both_backends!(
    a_rule_without_quorum_has_no_effect_until_a_second_treasurer_approves,
    until_a_quorum_is_set_a_proposal_is_adopted_at_once_and_versions_follow_adoption,
    a_bad_rule_file_exits_2_naming_the_problem_and_changes_nothing,
);
