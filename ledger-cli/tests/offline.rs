//! `ledgerctl` without a server: key files, usage errors and an unreachable server, driven
//! through the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A directory removed when the test ends, unique per test so tests run in parallel.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ledgerctl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `ledgerctl` with `args`, without inheriting the caller's `LEDGER_*` settings.
fn ledgerctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerctl"))
        .args(args)
        .env_remove("LEDGER_SERVER")
        .env_remove("LEDGER_KEY")
        .output()
        .expect("run ledgerctl")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn is_hex_key(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn new_key(path: &Path) -> String {
    let output = ledgerctl(&["key", "new", "--out", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = stdout(&output);
    let key = printed.strip_suffix('\n').expect("one line").to_owned();
    assert!(is_hex_key(&key), "{printed:?} is not a public key alone on a line");
    key
}

#[test]
fn key_new_writes_a_private_file_and_prints_the_public_key() {
    let dir = TempDir::new("key-new");
    let file = dir.path("alice.key");
    new_key(&file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(is_hex_key(text.trim_end()), "the file holds the 64-hex secret");
}

#[test]
fn key_new_refuses_to_overwrite() {
    let dir = TempDir::new("key-overwrite");
    let file = dir.path("alice.key");
    new_key(&file);
    let before = std::fs::read(&file).unwrap();
    let output = ledgerctl(&["key", "new", "--out", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("already exists"), "{}", stderr(&output));
    assert_eq!(std::fs::read(&file).unwrap(), before, "the key is untouched");
}

#[test]
fn key_show_prints_the_public_key_of_key_new() {
    let dir = TempDir::new("key-show");
    let file = dir.path("alice.key");
    let public = new_key(&file);

    let output = ledgerctl(&["--key", file.to_str().unwrap(), "key", "show"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), format!("{public}\n"));

    // The key may also come from the environment, and json is one document.
    let output = Command::new(env!("CARGO_BIN_EXE_ledgerctl"))
        .args(["key", "show", "--output", "json"])
        .env("LEDGER_KEY", &file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["public_key"], public.as_str());
}

#[test]
fn key_new_json_prints_one_document() {
    let dir = TempDir::new("key-new-json");
    let file = dir.path("k");
    let output = ledgerctl(&["--output", "json", "key", "new", "--out", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(is_hex_key(document["public_key"].as_str().unwrap()));
}

#[test]
fn configuration_errors_exit_2() {
    let dir = TempDir::new("config");
    // No key at all.
    let output = ledgerctl(&["key", "show"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--key"), "{}", stderr(&output));
    // A key file that does not exist, in json mode: the error document on stdout.
    let missing = dir.path("missing.key");
    let output = ledgerctl(&["--output", "json", "--key", missing.to_str().unwrap(), "balance", "alice"]);
    assert_eq!(output.status.code(), Some(2));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["error"]["code"], "INVALID_ARGUMENT");
    // A server URL without its scheme, or one needing TLS this build does not have.
    let key = dir.path("good.key");
    new_key(&key);
    for url in ["127.0.0.1:50051", "https://127.0.0.1:1"] {
        let output = ledgerctl(&["--server", url, "--key", key.to_str().unwrap(), "balance", "alice"]);
        assert_eq!(output.status.code(), Some(2), "{url}: {}", stderr(&output));
    }
    // A file that is not a key.
    let garbage = dir.path("garbage.key");
    std::fs::write(&garbage, "not a key\n").unwrap();
    let output = ledgerctl(&["--key", garbage.to_str().unwrap(), "key", "show"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("error: key file"), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &["--output", "yaml", "key", "show"],
        &["frobnicate"],
        &["pay", "Alice", "bob", "10"],
        &["pay", "alice", "bob"],
        &["pay", "alice", "bob", "10", "--id", "not-a-uuid"],
        &["unit", "create", "commun", "--scale", "2"],
        &["unit", "create", "COMMUN", "--scale", "7"],
        &["account", "open", "alice", "--unit", "COMMUN", "--public-key", "zz"],
        &[
            "account",
            "open",
            "alice",
            "--unit",
            "COMMUN",
            "--public-key",
            "5866666666666666666666666666666666666666666666666666666666666666",
            "--kind",
            "system",
        ],
        &["role", "grant", "alice", "king"],
        &["history", "alice", "--limit", "0"],
        &["audit", "trial-balance", "--unit", "x"],
        &["account", "set-limit", "alice", "--credit-limit", "5"],
    ];
    for args in cases {
        let output = ledgerctl(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty(), "{args:?} printed data");
        assert!(!stderr(&output).is_empty(), "{args:?} said nothing");
    }
}

#[test]
fn set_limit_with_nothing_to_change_is_a_usage_error() {
    let dir = TempDir::new("set-limit");
    let file = dir.path("k");
    new_key(&file);
    let output = ledgerctl(&[
        "--key",
        file.to_str().unwrap(),
        "--server",
        "http://127.0.0.1:1",
        "account",
        "set-limit",
        "alice",
        "--reason",
        "review",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn pay_against_an_unreachable_server_fails_with_exit_1() {
    let dir = TempDir::new("unreachable");
    let file = dir.path("k");
    new_key(&file);
    let key = file.to_str().unwrap();

    let output =
        ledgerctl(&["--server", "http://127.0.0.1:1", "--key", key, "--output", "json", "pay", "alice", "bob", "10"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON document on stdout");
    let error = &document["error"];
    assert_eq!(error["code"], "UNAVAILABLE");
    assert!(error["reason"].is_string());
    assert!(error["message"].as_str().unwrap().contains("http://127.0.0.1:1"), "the message names the server: {error}");

    // Table mode: nothing on stdout, one error line on stderr naming the server.
    let output = ledgerctl(&["--server", "http://127.0.0.1:1", "--key", key, "pay", "alice", "bob", "10"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    let message = stderr(&output);
    assert!(message.starts_with("error: ") && message.contains("http://127.0.0.1:1"), "{message}");
}

#[test]
fn help_is_not_an_error() {
    let output = ledgerctl(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("pay"));
}
