//! Two `ledgerd` replicas on one PostgreSQL database: one ledger, whichever replica commits.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::thread;

use ledger_tests::{Backend, Ledgerd, TestDatabase, bin, finish, key_new, postgres_skipped};

/// Payers racing for their credit, each from two clients, one on each replica.
const PAYERS: usize = 4;
/// Clients: two per payer.
const CLIENTS: usize = 2 * PAYERS;
/// Payments each client fires at once.
const PAYMENTS_PER_CLIENT: usize = 40;
/// Each payer's credit limit, in whole units; every payment is 1.00, so exactly this many of a
/// payer's `2 * PAYMENTS_PER_CLIENT` attempts fit.
const CREDIT_LIMIT: usize = 20;

/// The ledger id a server logged when it started listening.
fn ledger_id(server: &Ledgerd) -> String {
    let log = server.log();
    let start = log.find("ledger_id=").expect("the log names the ledger") + "ledger_id=".len();
    log[start..].split_whitespace().next().expect("an id").to_owned()
}

#[test]
fn a_replica_joins_the_ledger_and_concurrent_payments_over_both_respect_every_limit() {
    if postgres_skipped() {
        return;
    }
    let first = Ledgerd::start_fresh_on(Backend::Postgres);
    let second = first.start_replica();
    // Joining: the same ledger and admin, never a second ledger or a new admin key.
    assert_eq!(ledger_id(&second), ledger_id(&first));
    assert!(!second.log().contains("created a new ledger"), "{}", second.log());
    assert!(!second.data_dir.join("admin.key").exists(), "a replica never makes an admin key");
    let replicas = [&first, &second];

    // The admin works through either replica; each sees what the other committed.
    second.create_unit("COMMUN", 2);
    let payers: Vec<_> =
        (0..PAYERS).map(|i| first.open_member(&format!("payer{i}"), "COMMUN", &CREDIT_LIMIT.to_string())).collect();
    second.open_member("shop", "COMMUN", "0");
    first.open_member("farm", "COMMUN", "0");

    // Client c pays for payer c / 2 through replica c % 2: every payer races against itself
    // across both replicas, and both replicas race for the same two payees.
    let runs: Vec<Vec<_>> = thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (server, key) = (replicas[client % 2], &payers[client / 2]);
                let payer = format!("payer{}", client / 2);
                scope.spawn(move || {
                    let children: Vec<_> = (0..PAYMENTS_PER_CLIENT)
                        .map(|i| {
                            let payee = if i % 2 == 0 { "shop" } else { "farm" };
                            server.spawn_ctl(key, &["pay", &payer, payee, "1"])
                        })
                        .collect();
                    children.into_iter().map(finish).collect()
                })
            })
            .collect();
        clients.into_iter().map(|client| client.join().expect("a client thread")).collect()
    });

    for payer in 0..PAYERS {
        let attempts = runs[2 * payer].iter().chain(&runs[2 * payer + 1]);
        let mut committed = 0;
        for run in attempts {
            if run.code == 0 {
                committed += 1;
            } else {
                run.refused("CREDIT_LIMIT_EXCEEDED");
            }
        }
        assert_eq!(committed, CREDIT_LIMIT, "payer{payer}: exactly what the limit allows commits");
    }
    let total = PAYERS * CREDIT_LIMIT;
    for server in replicas {
        for payer in 0..PAYERS {
            assert_eq!(server.balance(&format!("payer{payer}")), format!("-{CREDIT_LIMIT}.00"));
        }
        let trial = server.trial_balance();
        assert_eq!(trial["units"][0]["total"], "0.00", "{trial}");
        // The journal replays to the balances each replica reports, gapless, with a valid chain.
        let verified = server.admin(&["audit", "verify"]).ok_json();
        assert_eq!(verified["verified"], true, "{verified}");
        // genesis, unit, accounts, payments
        assert_eq!(verified["entries"], 1 + 1 + PAYERS + 2 + total, "{verified}");
    }
    let whole = |handle: &str| -> usize {
        let balance = first.balance(handle);
        balance.strip_suffix(".00").and_then(|units| units.parse().ok()).unwrap_or_else(|| panic!("{balance}"))
    };
    assert_eq!(whole("shop") + whole("farm"), total);
}

#[test]
fn a_server_without_the_ledgers_node_key_refuses_to_join() {
    if postgres_skipped() {
        return;
    }
    let first = Ledgerd::start_fresh_on(Backend::Postgres);
    let database = first.database.as_ref().expect("on PostgreSQL");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = std::process::Command::new(ledger_tests::bin("ledgerd"))
        .args(["--listen", "127.0.0.1:0", "--database", &database.url, "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run ledgerd");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("copy node.key"), "the message says what to do: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.path().join("node.key").exists() && !dir.path().join("admin.key").exists());
    // The ledger is untouched: still genesis only.
    let verified = first.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["entries"], 1, "{verified}");
}

#[test]
fn replicas_starting_together_on_an_empty_database_make_one_ledger() {
    if postgres_skipped() {
        return;
    }
    let database = TestDatabase::create();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The operator places one node key in every replica's data directory before the first start.
    let data_dirs = [dir.path().join("a"), dir.path().join("b")];
    std::fs::create_dir(&data_dirs[0]).expect("a data directory");
    key_new(&data_dirs[0].join("node.key"));
    std::fs::create_dir(&data_dirs[1]).expect("a data directory");
    std::fs::copy(data_dirs[0].join("node.key"), data_dirs[1].join("node.key")).expect("copy the node key");

    let mut servers: Vec<KillOnDrop> = data_dirs
        .iter()
        .map(|data_dir| {
            let log = std::fs::File::create(data_dir.with_extension("log")).expect("a log file");
            Command::new(bin("ledgerd"))
                .args(["--listen", "127.0.0.1:0", "--database", &database.url, "--data-dir"])
                .arg(data_dir)
                .env_remove("LEDGER_DATABASE_URL")
                .stdout(Stdio::piped())
                .stderr(log)
                .spawn()
                .map(KillOnDrop)
                .expect("start ledgerd")
        })
        .collect();
    let urls: Vec<String> = servers
        .iter_mut()
        .zip(&data_dirs)
        .map(|(server, data_dir)| {
            let mut line = String::new();
            BufReader::new(server.0.stdout.take().expect("piped")).read_line(&mut line).expect("read stdout");
            let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| {
                let log = std::fs::read_to_string(data_dir.with_extension("log")).unwrap_or_default();
                panic!("not serving: {line:?}; log:\n{log}")
            });
            format!("http://{addr}")
        })
        .collect();
    let logs: Vec<String> = data_dirs
        .iter()
        .map(|data_dir| std::fs::read_to_string(data_dir.with_extension("log")).expect("the log"))
        .collect();
    // One created the ledger and kept its admin key; the other joined and kept none.
    let created: Vec<bool> = logs.iter().map(|log| log.contains("created a new ledger")).collect();
    assert_eq!(created.iter().filter(|created| **created).count(), 1, "{logs:?}");
    let creator = created.iter().position(|created| *created).expect("a creator");
    let admin_keys: Vec<bool> = data_dirs.iter().map(|data_dir| data_dir.join("admin.key").exists()).collect();
    assert_eq!(admin_keys, [creator == 0, creator == 1], "{logs:?}");
    // Both served the one ledger: genesis only, verified through each.
    let admin_key = data_dirs[creator].join("admin.key");
    for url in &urls {
        let output = Command::new(bin("ledgerctl"))
            .args(["--server", url, "--output", "json", "--key"])
            .arg(&admin_key)
            .args(["audit", "verify"])
            .output()
            .expect("run ledgerctl");
        let verified: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(verified["entries"], 1, "{verified} {logs:?}");
    }
    drop(servers);
}

/// A server process stopped when the test ends, passed or not.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
