//! Database faults: connections killed under load, and a database that cannot be reached.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use ledger_tests::{Backend, Ledgerd, finish, postgres_skipped};

/// Payments fired while connections are being killed.
const PAYMENTS: usize = 160;
/// Alice's credit limit in whole units; payments are 1.00, so some are refused on their merits.
const CREDIT_LIMIT: usize = 120;
/// Pause between two rounds of killing every connection of the database.
const KILL_INTERVAL: Duration = Duration::from_millis(50);

#[test]
fn killed_connections_lose_no_acknowledged_payment_and_write_no_failed_one() {
    if postgres_skipped() {
        return;
    }
    let ledger = Ledgerd::start_fresh_on(Backend::Postgres);
    let database = ledger.database.clone().expect("on PostgreSQL");
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", &CREDIT_LIMIT.to_string());
    ledger.open_member("bob", "COMMUN", "0");
    let carol = ledger.open_member("carol", "COMMUN", "1");

    let ids: Vec<String> = (0..PAYMENTS).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let firing = AtomicBool::new(true);
    let (runs, sessions_killed) = thread::scope(|scope| {
        let killer = scope.spawn(|| {
            let mut killed = 0;
            while firing.load(Ordering::Relaxed) {
                killed += database.terminate_connections();
                // Pacing the faults, not waiting for anything: each round kills whatever is open.
                thread::sleep(KILL_INTERVAL);
            }
            killed
        });
        let children: Vec<_> =
            ids.iter().map(|id| ledger.spawn_ctl(&alice, &["pay", "alice", "bob", "1", "--id", id])).collect();
        let runs: Vec<_> = children.into_iter().map(finish).collect();
        firing.store(false, Ordering::Relaxed);
        (runs, killer.join().expect("the killer thread"))
    });
    assert!(sessions_killed > 0, "the test killed no connection, so it proved nothing");

    let mut acknowledged = 0;
    let (mut unavailable, mut in_doubt) = (0, Vec::new());
    for (id, run) in ids.iter().zip(&runs) {
        let in_journal = database.journal_count(id);
        if run.code == 0 {
            acknowledged += 1;
            assert_eq!(run.json()["id"], id.as_str(), "{run:?}");
            assert_eq!(in_journal, 1, "acknowledged payment {id} is in the journal exactly once");
            continue;
        }
        let error = &run.json()["error"];
        if error["reason"] == "CREDIT_LIMIT_EXCEEDED" {
            assert_eq!(in_journal, 0, "refused payment {id} is not in the journal");
            continue;
        }
        assert_eq!(error["code"], "UNAVAILABLE", "{run:?}");
        unavailable += 1;
        if error["message"].as_str().is_some_and(|message| message.contains("nothing was written")) {
            assert_eq!(in_journal, 0, "failed payment {id} is not in the journal: {run:?}");
        } else {
            // Its commit's answer was lost with the connection: the server says it cannot know.
            assert!(error["message"].as_str().is_some_and(|m| m.contains("unknown")), "{run:?}");
            in_doubt.push(id);
        }
    }
    eprintln!(
        "{sessions_killed} sessions killed; {acknowledged} payments acknowledged, {unavailable} unavailable \
         ({} of them with an unknown outcome)",
        in_doubt.len()
    );

    // The service answers again by itself; a payment whose outcome was unknown, retried with its
    // id, is then answered (committed or refused on its merits) and in the journal at most once.
    for id in &in_doubt {
        let retry = ledger.ctl(&alice, &["pay", "alice", "bob", "1", "--id", id]);
        let expected = if retry.code == 0 {
            acknowledged += 1;
            1
        } else {
            retry.refused("CREDIT_LIMIT_EXCEEDED");
            0
        };
        assert_eq!(database.journal_count(id), expected, "{retry:?}");
    }
    assert!(acknowledged <= CREDIT_LIMIT);
    let paid = ledger.ctl(&carol, &["pay", "carol", "bob", "0.50"]).ok_json();
    assert_eq!(paid["status"], "committed");
    // Under heavy load every payment may fail; a zero balance has no sign.
    let expected_balance = if acknowledged == 0 { "0.00".to_owned() } else { format!("-{acknowledged}.00") };
    assert_eq!(ledger.balance("alice"), expected_balance);
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["verified"], true, "{verified}");
    // genesis, unit, three accounts, the acknowledged payments, carol's
    assert_eq!(verified["entries"], 1 + 1 + 3 + acknowledged + 1, "{verified}");
}

#[test]
fn ledgerd_on_an_unreachable_database_exits_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Port 1: nothing listens there.
    let output = std::process::Command::new(ledger_tests::bin("ledgerd"))
        .args(["--listen", "127.0.0.1:0", "--database", "postgres://postgres@127.0.0.1:1/ledger", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run ledgerd");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("open database") && stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "it never listened");
}
