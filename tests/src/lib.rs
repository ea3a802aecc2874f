//! End-to-end test support: start a real `ledgerd` on a free port with a fresh data directory,
//! and run the real `ledgerctl` against it.
//!
//! The binaries are the ones cargo built for this workspace (`cargo test --workspace` builds them
//! before any test runs); they are found next to the running test executable.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The directory holding the workspace's built binaries.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> → target/<profile>
    exe.parent().and_then(Path::parent).expect("the test runs from target/<profile>/deps").to_path_buf()
}

/// The path of a workspace binary, which must have been built.
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(path.exists(), "{} is missing: run `cargo test --workspace` (it builds every binary)", path.display());
    path
}

/// What one `ledgerctl` run printed and returned.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as the one JSON document of `--output json`.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:?}"))
    }

    /// Asserts success and returns the JSON document.
    pub fn ok_json(&self) -> Value {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self.json()
    }

    /// Asserts a refusal (exit 1) with this reason in the JSON error document; returns it.
    pub fn refused(&self, reason: &str) -> Value {
        assert_eq!(self.code, 1, "expected exit 1 with {reason}: {self:?}");
        let doc = self.json();
        assert_eq!(doc["error"]["reason"], reason, "{self:?}");
        doc
    }
}

/// A running `ledgerd` with its own data directory; stopped with SIGTERM when dropped.
pub struct Ledgerd {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its data directory (kept across restarts, removed at the end).
    pub data_dir: PathBuf,
    /// The first admin's key file.
    pub admin_key: PathBuf,
    /// The database URL, when not the default SQLite file in the data directory.
    pub database: Option<String>,
    _dir: tempfile::TempDir,
}

impl Ledgerd {
    /// A new ledger whose first admin key the test holds (`ledgerd init --admin-public-key`).
    pub fn start_fresh() -> Self {
        Self::start_fresh_on(None)
    }

    /// A new ledger on `database` (a URL such as `postgres://...`; none: SQLite in the data
    /// directory), whose first admin key the test holds.
    pub fn start_fresh_on(database: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let data_dir = dir.path().join("data");
        let admin_key = dir.path().join("admin.key");
        let admin_public = key_new(&admin_key);
        let mut init = Command::new(bin("ledgerd"));
        init.args(["init", "--admin-public-key", &admin_public, "--data-dir"]).arg(&data_dir);
        if let Some(url) = &database {
            init.args(["--database", url]);
        }
        let init = init.env_remove("LEDGER_DATABASE_URL").output().expect("run ledgerd init");
        assert!(init.status.success(), "ledgerd init failed: {}", String::from_utf8_lossy(&init.stderr));
        let mut ledgerd = Ledgerd { child: None, url: String::new(), data_dir, admin_key, database, _dir: dir };
        ledgerd.start();
        ledgerd
    }

    /// Starts (or restarts) the server on the same data directory, on a free port.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("ledgerd.log"))
            .expect("open the server log");
        let mut command = Command::new(bin("ledgerd"));
        command.args(["--listen", "127.0.0.1:0", "--data-dir"]).arg(&self.data_dir);
        if let Some(url) = &self.database {
            command.args(["--database", url]);
        }
        let mut child = command
            .env_remove("LEDGER_DATABASE_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start ledgerd");
        // ledgerd prints `listening on ADDR` once it accepts connections.
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read ledgerd's stdout");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("ledgerd did not start: {line:?}; log:\n{}", self.log()))
            .to_owned();
        self.url = format!("http://{addr}");
        self.child = Some(child);
    }

    /// Stops the server with SIGTERM and waits for it; asserts a clean exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let exit = child.wait().expect("wait for ledgerd");
        assert!(exit.success(), "ledgerd exited with {exit}; log:\n{}", self.log());
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("ledgerd.log")).unwrap_or_default()
    }

    /// Runs `ledgerctl --server URL --output json --key KEY ARGS...`.
    pub fn ctl(&self, key: &Path, args: &[&str]) -> Run {
        let mut command = Command::new(bin("ledgerctl"));
        command.args(["--server", &self.url, "--output", "json", "--key"]).arg(key).args(args);
        run(command)
    }

    /// Runs `ledgerctl` as the first admin.
    pub fn admin(&self, args: &[&str]) -> Run {
        self.ctl(&self.admin_key, args)
    }

    /// Starts `ledgerctl` without waiting (for concurrency tests).
    pub fn spawn_ctl(&self, key: &Path, args: &[&str]) -> Child {
        Command::new(bin("ledgerctl"))
            .args(["--server", &self.url, "--output", "json", "--key"])
            .arg(key)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ledgerctl")
    }

    /// A new key file in the test's directory; returns its path and public key.
    pub fn new_key(&self, name: &str) -> (PathBuf, String) {
        let path = self._dir.path().join(format!("{name}.key"));
        let public = key_new(&path);
        (path, public)
    }

    /// Creates unit `code` at `scale` as admin.
    pub fn create_unit(&self, code: &str, scale: u32) {
        self.admin(&["unit", "create", code, "--scale", &scale.to_string()]).ok_json();
    }

    /// Opens a member account with a new key and a credit limit; returns its key file.
    pub fn open_member(&self, handle: &str, unit: &str, credit_limit: &str) -> PathBuf {
        let (key, public) = self.new_key(handle);
        self.admin(&[
            "account",
            "open",
            handle,
            "--unit",
            unit,
            "--public-key",
            &public,
            "--credit-limit",
            credit_limit,
        ])
        .ok_json();
        key
    }

    /// The balance of `handle` as its decimal string, read by the admin.
    pub fn balance(&self, handle: &str) -> String {
        let doc = self.admin(&["balance", handle]).ok_json();
        doc["balance"].as_str().expect("balance is a string").to_owned()
    }

    /// The trial balance document, read by the admin.
    pub fn trial_balance(&self) -> Value {
        self.admin(&["audit", "trial-balance"]).ok_json()
    }
}

impl Drop for Ledgerd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for a spawned `ledgerctl`.
pub fn finish(child: Child) -> Run {
    let output = child.wait_with_output().expect("wait for ledgerctl");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn run(mut command: Command) -> Run {
    finish(command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start ledgerctl"))
}

/// `ledgerctl key new --out PATH`; returns the public key it printed.
pub fn key_new(path: &Path) -> String {
    let mut command = Command::new(bin("ledgerctl"));
    command.args(["key", "new", "--out"]).arg(path);
    let run = run(command);
    assert_eq!(run.code, 0, "key new failed: {run:?}");
    run.stdout.trim().to_owned()
}
