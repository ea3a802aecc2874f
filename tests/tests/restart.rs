//! A restart on the same data directory continues the same ledger.

use ledger_tests::{Backend, Ledgerd, TestDatabase, on_both_backends};

fn balances_history_and_chain_continue_after_a_restart(backend: Backend) {
    let mut ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    ledger.ctl(&alice, &["pay", "alice", "bob", "30"]).ok_json();
    let before = ledger.admin(&["audit", "verify"]).ok_json();

    ledger.stop();
    ledger.start();

    assert_eq!(ledger.balance("alice"), "-30.00");
    let after = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(after["head_hash"], before["head_hash"], "the same chain");
    ledger.ctl(&alice, &["pay", "alice", "bob", "20"]).ok_json();
    assert_eq!(ledger.balance("alice"), "-50.00");
    let history = ledger.ctl(&alice, &["history", "alice"]).ok_json();
    let amounts: Vec<_> = history["items"].as_array().unwrap().iter().map(|i| i["amount"].clone()).collect();
    assert_eq!(amounts[..2], ["-20.00", "-30.00"]);
    let verified = ledger.admin(&["audit", "verify"]).ok_json();
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["head_seq"], before["head_seq"].as_u64().unwrap() + 1);
    assert!(!ledger.log().contains("created a new ledger"), "a restart never creates a second ledger");
}

fn first_start_without_init_creates_an_admin_key_file_readable_only_by_its_owner(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let database = (backend == Backend::Postgres).then(TestDatabase::create);
    let mut command = std::process::Command::new(ledger_tests::bin("ledgerd"));
    if let Some(database) = &database {
        command.args(["--database", &database.url]);
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env_remove("LEDGER_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    assert!(line.starts_with("listening on "), "{line:?}");
    let admin_key = data_dir.join("admin.key");
    let mode = std::fs::metadata(&admin_key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains(&admin_key.display().to_string()), "the log names the admin key file: {log}");
}

on_both_backends!(
    balances_history_and_chain_continue_after_a_restart,
    first_start_without_init_creates_an_admin_key_file_readable_only_by_its_owner,
);
