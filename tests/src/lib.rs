//! End-to-end test support: start a real `ledgerd` on a free port with a fresh data directory
//! (and, on PostgreSQL, a fresh database), and run the real `ledgerctl` against it.
//!
//! The binaries are the ones cargo built for this workspace (`cargo test --workspace` builds them
//! before any test runs); they are found next to the running test executable.
//!
//! # Layout
//!
//! - [`Ledgerd`]: a running server; [`Ledgerd::start_fresh_on`] picks the [`Backend`],
//!   [`Ledgerd::start_replica`] adds a second server on the same PostgreSQL database.
//! - [`TestDatabase`]: a PostgreSQL database of one test, dropped with it.
//! - [`on_both_backends!`]: one test definition, run on SQLite and on PostgreSQL.
//! - [`Run`], [`finish`], [`key_new`]: running `ledgerctl`.
//! - [`open_accounts`]: many accounts opened at once, for the load tools in `src/bin`.

pub mod open_accounts;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const POSTGRES_URL_VAR: &str = "LEDGER_TEST_POSTGRES_URL";

/// Which database a test's `ledgerd` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the data directory (the default).
    Sqlite,
    /// A fresh database on the server [`POSTGRES_URL_VAR`] names.
    Postgres,
}

/// Whether PostgreSQL tests must be skipped: true, saying so on stderr (past the test harness's
/// capture), when [`POSTGRES_URL_VAR`] is unset.
pub fn postgres_skipped() -> bool {
    if std::env::var_os(POSTGRES_URL_VAR).is_some() {
        return false;
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {POSTGRES_URL_VAR} is unset");
    true
}

/// Turns each `fn name(backend: Backend)` listed into two tests, `sqlite::name` and
/// `postgres::name` (which is skipped, saying so, when [`POSTGRES_URL_VAR`] is unset).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::Backend::Sqlite);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if !$crate::postgres_skipped() {
                        super::$name($crate::Backend::Postgres);
                    }
                }
            )*
        }
    };
}

/// A PostgreSQL database of its own for one test (or for the replicas of one test), with a
/// random name; dropped, connections and all, when the last holder lets go.
pub struct TestDatabase {
    /// The server, as [`POSTGRES_URL_VAR`] names it.
    server: PgConnectOptions,
    /// The database's name.
    pub name: String,
    /// Its URL, for `ledgerd --database`.
    pub url: String,
}

impl TestDatabase {
    /// Creates the database; panics when [`POSTGRES_URL_VAR`] is unset or the server unreachable.
    pub fn create() -> Self {
        let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| panic!("{POSTGRES_URL_VAR} is unset"));
        let server: PgConnectOptions =
            url.parse().unwrap_or_else(|error| panic!("{POSTGRES_URL_VAR} is not a postgres:// URL: {error}"));
        let name = format!("ledger_test_{}", uuid::Uuid::new_v4().simple());
        let database = TestDatabase { url: server.clone().database(&name).to_url_lossy().to_string(), server, name };
        let create = format!("CREATE DATABASE {}", database.name);
        database.on_server(&create).unwrap_or_else(|error| panic!("{create} on {POSTGRES_URL_VAR}: {error}"));
        database
    }

    /// Runs one SQL statement on the server's maintenance database.
    fn on_server(&self, sql: &str) -> Result<(), sqlx::Error> {
        block_on(async {
            let mut conn = self.server.connect().await?;
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.map(drop)
        })
    }

    /// Ends every other session on this database, as a crashing server or a failover does;
    /// returns how many it ended.
    pub fn terminate_connections(&self) -> usize {
        let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                   WHERE datname = $1 AND pid <> pg_backend_pid()";
        block_on(async {
            let mut conn = self.server.connect().await.expect("connect to terminate sessions");
            let ended: Vec<bool> =
                sqlx::query_scalar(sql).bind(&self.name).fetch_all(&mut conn).await.expect("terminate sessions");
            ended.into_iter().filter(|ended| *ended).count()
        })
    }

    /// How many journal entries each request id made, read from the database itself.
    pub fn journal_count(&self, request_id: &str) -> i64 {
        let id = uuid::Uuid::parse_str(request_id).expect("a request id is a UUID");
        block_on(async {
            let mut conn = self.server.clone().database(&self.name).connect().await.expect("connect");
            sqlx::query_scalar("SELECT count(*) FROM journal WHERE request_id = $1")
                .bind(id.as_bytes().as_slice())
                .fetch_one(&mut conn)
                .await
                .expect("count journal rows")
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Err(error) = self.on_server(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)) {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "test database {} was not dropped: {error}", self.name);
            // Never a second panic while a failed test unwinds: that would hide its message.
            assert!(std::thread::panicking(), "test database {} was not dropped: {error}", self.name);
        }
    }
}

/// Runs a future to completion on a runtime of its own (the harness is synchronous).
fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

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
    /// The PostgreSQL database, shared with replicas; none on SQLite.
    pub database: Option<Arc<TestDatabase>>,
    _dir: tempfile::TempDir,
}

impl Ledgerd {
    /// A new ledger on SQLite whose first admin key the test holds (`ledgerd init
    /// --admin-public-key`).
    pub fn start_fresh() -> Self {
        Self::start_fresh_on(Backend::Sqlite)
    }

    /// A new ledger on `backend` whose first admin key the test holds.
    pub fn start_fresh_on(backend: Backend) -> Self {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(Arc::new(TestDatabase::create())),
        };
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let admin_key = dir.path().join("admin.key");
        let admin_public = key_new(&admin_key);
        let mut ledgerd = Ledgerd {
            child: None,
            url: String::new(),
            data_dir: dir.path().join("data"),
            admin_key,
            database,
            _dir: dir,
        };
        let init =
            ledgerd.command().args(["init", "--admin-public-key", &admin_public]).output().expect("run ledgerd init");
        assert!(init.status.success(), "ledgerd init failed: {}", String::from_utf8_lossy(&init.stderr));
        ledgerd.start();
        ledgerd
    }

    /// A second server of this ledger on the same PostgreSQL database, with a data directory of
    /// its own holding a copy of the node key, as an operator adds a replica.
    pub fn start_replica(&self) -> Self {
        let database = Some(self.database.clone().expect("replicas share a PostgreSQL database"));
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let data_dir = dir.path().join("data");
        std::fs::create_dir(&data_dir).expect("create the replica's data directory");
        std::fs::copy(self.data_dir.join("node.key"), data_dir.join("node.key")).expect("copy the node key");
        let admin_key = dir.path().join("admin.key");
        std::fs::copy(&self.admin_key, &admin_key).expect("copy the admin key");
        let mut replica = Ledgerd { child: None, url: String::new(), data_dir, admin_key, database, _dir: dir };
        replica.start();
        replica
    }

    /// `ledgerd --data-dir DIR [--database URL]`, with no database from the environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(bin("ledgerd"));
        command.arg("--data-dir").arg(&self.data_dir).env_remove("LEDGER_DATABASE_URL");
        if let Some(database) = &self.database {
            command.args(["--database", &database.url]);
        }
        command
    }

    /// Starts (or restarts) the server on the same data directory, on a free port.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("ledgerd.log"))
            .expect("open the server log");
        let mut child = self
            .command()
            .args(["--listen", "127.0.0.1:0"])
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

    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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
