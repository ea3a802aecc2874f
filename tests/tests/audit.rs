//! Trustless audit: export, verify (online and offline), checkpoints, statements, and the auditor
//! role, through the real `ledgerctl` against a real `ledgerd`. Tampering is done where an
//! attacker would do it: in the SQLite file, or in an export.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use ledger_cli::commands::audit_journal::{entry_line_of, parse_line};
use ledger_cli::commands::audit_lines::LINE_BYTES_MAX;
use ledger_cli::commands::verify_archive::PENDING_MAX;
use ledger_core::account::AccountKind;
use ledger_core::amount::{Amount, Scale, format_minor};
use ledger_core::audit::Record;
use ledger_core::command::{Command, SignedCommand, decode_signing_bytes};
use ledger_core::import::{IMPORT_ROWS_MAX, ImportRow, RowIds};
use ledger_core::journal::{Entry, EntryHash, Posting};
use ledger_core::keys::SecretKey;
use ledger_core::names::{DisplayName, Handle, LedgerId, Memo, Reason, RequestId, UnitCode};
use ledger_core::replay::Replayer;
use ledger_core::state::State;
use ledger_core::transfer::{Answer, REQUEST_LIFETIME_MAX_MS, answer_id};
use ledger_tests::{Backend, Ledgerd, Run, bin, finish, postgres_skipped};
use serde_json::Value;

/// A ledger with two units, accounts (one with a soft limit), payments, a refused payment, a limit
/// change, and an auditor.
struct Community {
    ledger: Ledgerd,
    alice: PathBuf,
    bob: PathBuf,
    auditor: PathBuf,
}

fn community() -> Community {
    community_on(Backend::Sqlite)
}

fn community_on(backend: Backend) -> Community {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    ledger.create_unit("HOUR", 0);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let (carol, carol_public) = ledger.new_key("carol");
    ledger
        .admin(&[
            "account",
            "open",
            "carol",
            "--unit",
            "COMMUN",
            "--public-key",
            &carol_public,
            "--credit-limit",
            "50",
            "--soft-limit",
            "20",
        ])
        .ok_json();
    let dora = ledger.open_member("dora", "HOUR", "10");
    ledger.open_member("eve", "HOUR", "10");
    let auditor = ledger.open_member("audrey", "HOUR", "0");
    ledger.admin(&["role", "grant", "audrey", "auditor"]).ok_json();
    ledger.ctl(&alice, &["pay", "alice", "bob", "30", "--memo", "vegetables, fresh"]).ok_json();
    ledger.ctl(&bob, &["pay", "bob", "carol", "12.50"]).ok_json();
    ledger.ctl(&carol, &["pay", "carol", "alice", "40", "--memo", "=SUM(A1)"]).ok_json();
    ledger.ctl(&alice, &["pay", "alice", "bob", "500"]).refused("CREDIT_LIMIT_EXCEEDED");
    ledger.ctl(&dora, &["pay", "dora", "eve", "3"]).ok_json();
    ledger.admin(&["account", "set-limit", "bob", "--credit-limit", "150", "--reason", "trusted"]).ok_json();
    ledger.ctl(&bob, &["pay", "bob", "alice", "7.25"]).ok_json();
    Community { ledger, alice, bob, auditor }
}

impl Community {
    fn export(&self, name: &str) -> PathBuf {
        let out = self.ledger.data_dir.join(name);
        self.ledger.ctl(&self.auditor, &["audit", "export", "--out", out.to_str().unwrap()]).ok_json();
        out
    }

    fn verify_offline(&self, journal: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["audit", "verify", "--journal", journal.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ledger.ctl(&self.auditor, &args)
    }

    fn db(&self) -> PathBuf {
        self.ledger.data_dir.join("ledger.db")
    }
}

/// Every record of an export file.
fn records(path: &Path) -> Vec<Record> {
    let file = std::fs::File::open(path).unwrap();
    BufReader::new(file).lines().enumerate().map(|(i, line)| parse_line(i + 1, &line.unwrap()).unwrap()).collect()
}

fn entries(path: &Path) -> Vec<Entry> {
    records(path)
        .into_iter()
        .filter_map(|record| match record {
            Record::Entry(entry) => Some(entry),
            Record::Checkpoint(_) => None,
        })
        .collect()
}

/// The sequence numbers of the payments in an export.
fn payment_seqs(path: &Path) -> Vec<u64> {
    entries(path).iter().filter(|e| e.kind.as_str() == "payment").map(|e| e.seq).collect()
}

/// Replays an export up to `seq` in the test itself: balances by handle, formatted.
fn replayed_balances(path: &Path, up_to: u64) -> HashMap<String, String> {
    let mut replayer = Replayer::new();
    for entry in entries(path).iter().take_while(|e| e.seq <= up_to) {
        replayer.push(entry).unwrap();
    }
    let state = replayer.state();
    state
        .accounts
        .values()
        .map(|a| (a.handle.to_string(), format_minor(i128::from(a.balance), state.units[&a.unit].scale)))
        .collect()
}

/// Writes `entries` as an export file, as someone crafting one would.
fn write_export(path: &Path, entries: &[Entry]) -> PathBuf {
    let mut file = std::fs::File::create(path).unwrap();
    for entry in entries {
        writeln!(file, "{}", entry_line_of(entry)).unwrap();
    }
    path.to_owned()
}

/// `ledgerctl --output json audit verify --journal PATH`, offline: no server, no key.
fn verify_export(path: &Path) -> Run {
    let mut command = std::process::Command::new(bin("ledgerctl"));
    command.args(["--output", "json", "audit", "verify", "--journal"]).arg(path);
    finish(command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap())
}

/// A journal built in the test the way the server builds one: each command signed, applied on the
/// whole state, and sealed onto the chain. It opens with a genesis, unit COMMUN (2 decimals), and
/// the accounts of alice and bob.
struct Chain {
    state: State,
    entries: Vec<Entry>,
    admin: SecretKey,
    unit: UnitCode,
    /// Alice and bob, and their keys.
    members: [(Handle, SecretKey); 2],
}

impl Chain {
    fn new() -> Self {
        let node = SecretKey::from_seed([1; 32]);
        let admin = SecretKey::from_seed([2; 32]);
        let unit = UnitCode::parse("COMMUN").unwrap();
        let member = |name: &str, seed: u8| (Handle::parse(name).unwrap(), SecretKey::from_seed([seed; 32]));
        let members = [member("alice", 3), member("bob", 4)];
        let mut chain = Chain { state: State::new(), entries: Vec::new(), admin: admin.clone(), unit, members };
        chain.push(Command::Genesis { admin_key: admin.public_key(), node_key: node.public_key() }, &node);
        let scale = Scale::new(2).unwrap();
        chain.push(Command::CreateUnit { code: chain.unit.clone(), scale, name: DisplayName::default() }, &admin);
        for (handle, key) in chain.members.clone() {
            let open = Command::OpenAccount {
                handle,
                unit: chain.unit.clone(),
                kind: AccountKind::Member,
                name: DisplayName::default(),
                public_key: key.public_key(),
                credit_limit: Amount::from_minor(100_000).unwrap(),
                ceiling: None,
                soft_limit: None,
            };
            chain.push(open, &admin);
        }
        chain
    }

    /// Appends `command` under a new random request id, which it returns.
    fn push(&mut self, command: Command, key: &SecretKey) -> RequestId {
        let request = RequestId::from_uuid(uuid::Uuid::new_v4());
        self.push_as(command, request, key);
        request
    }

    fn push_as(&mut self, command: Command, request: RequestId, key: &SecretKey) {
        let seq = self.entries.len() as u64 + 1;
        let ledger_id = LedgerId::from_uuid(uuid::Uuid::from_u128(0x1ed6e5));
        let signed = SignedCommand::sign(ledger_id, request, command, key);
        let timestamp_ms = 1_767_225_600_000 + seq as i64;
        let applied = self.state.apply(&signed, timestamp_ms).expect("the test builds a valid journal");
        self.state.take_changes();
        let prev = self.entries.last().map_or(EntryHash::GENESIS_PREV, |entry| entry.hash);
        let kind = signed.command.entry_kind();
        let bytes = signed.signing_bytes();
        self.entries.push(Entry::seal(seq, timestamp_ms, kind, bytes, signed.signatures, applied.postings, prev));
    }

    /// A payment of `minor` from member `from` to the other.
    fn pay(&mut self, from: usize, minor: i64) -> RequestId {
        let [(payer, key), (payee, _)] = [self.members[from].clone(), self.members[1 - from].clone()];
        let pay = Command::Pay {
            payer,
            payee,
            unit: self.unit.clone(),
            amount: Amount::from_minor(minor).unwrap(),
            memo: Memo::default(),
        };
        self.push(pay, &key)
    }
}

/// Runs SQL on the ledger's SQLite file, as someone with access to the disk would, with foreign
/// keys off so rows can be removed or renumbered.
fn tamper(db: &Path, statements: &[&str]) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut conn).await.unwrap();
        for statement in statements {
            // Fixed statements written by the test itself.
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        conn.close().await.unwrap();
    });
}

/// Asserts that a verify run failed naming entry `seq` first.
fn caught_at(run: &Run, reason: &str, seq: u64) {
    let doc = run.refused(reason);
    let message = doc["error"]["message"].as_str().unwrap();
    let named = message.starts_with(&format!("entry {seq}:")) || message.starts_with(&format!("expected entry {seq},"));
    assert!(named, "expected a failure at entry {seq}, got {message:?}");
}

#[test]
fn a_clean_journal_verifies_online_and_offline_and_every_report_agrees_with_the_replay() {
    let c = community();
    let held = c.ledger.data_dir.join("held.jsonl");
    let checkpoint = c.ledger.ctl(&c.auditor, &["audit", "checkpoint", "--out", held.to_str().unwrap()]).ok_json();
    let online = c.ledger.ctl(&c.auditor, &["audit", "verify", "--checkpoint", held.to_str().unwrap()]).ok_json();
    assert_eq!(online["balances_match_server"], true);
    // The held checkpoint, and those the server signed by itself, listed in its journal stream.
    assert!(online["checkpoints"].as_u64().unwrap() >= 2, "{online}");
    assert_eq!(online["head_hash"], checkpoint["hash"]);
    let journal = c.export("journal.jsonl");
    // Offline needs no server and no key: only the file.
    let run = std::process::Command::new(ledger_tests::bin("ledgerctl"))
        .args(["--output", "json", "audit", "verify", "--journal", journal.to_str().unwrap(), "--checkpoint"])
        .arg(&held)
        .env_remove("LEDGER_KEY")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let offline: Value = serde_json::from_slice(&run.stdout).unwrap();
    for field in ["entries", "head_seq", "head_hash", "units", "accounts", "checkpoints"] {
        assert_eq!(offline[field], online[field], "{field}");
    }
    assert_eq!(online["units"], 2);
    assert_eq!(online["accounts"], 8, "6 members and 2 funds");

    // trial-balance, balance-at, statement and the test's own replay agree.
    let head = online["head_seq"].as_u64().unwrap();
    let replayed = replayed_balances(&journal, head);
    let trial = c.ledger.ctl(&c.auditor, &["audit", "trial-balance"]).ok_json();
    for unit in trial["units"].as_array().unwrap() {
        assert_eq!(unit["total"], if unit["unit"] == "COMMUN" { "0.00" } else { "0" });
        assert_eq!(unit["balanced"], true);
        for account in unit["accounts"].as_array().unwrap() {
            let handle = account["account"].as_str().unwrap();
            assert_eq!(account["balance"], replayed[handle].as_str(), "{handle}");
            let at = c.ledger.ctl(&c.auditor, &["audit", "balance-at", handle, "--seq", &head.to_string()]).ok_json();
            assert_eq!(at["balance"], account["balance"], "{handle}");
            let statement = c.ledger.ctl(&c.auditor, &["audit", "statement", handle]).ok_json();
            assert!(["0", "0.00"].contains(&statement["opening_balance"].as_str().unwrap()), "{statement}");
            assert_eq!(statement["closing_balance"], account["balance"], "{handle}");
        }
    }
    let carol = trial["units"][0]["accounts"].as_array().unwrap().iter().find(|a| a["account"] == "carol").unwrap();
    assert_eq!(carol["balance"], "-27.50");
    assert_eq!(carol["past_soft_limit"], true);

    // Mid-history: after the second payment, by sequence number and by time.
    let payments = payment_seqs(&journal);
    let second = payments[1];
    let replayed = replayed_balances(&journal, second);
    let by_seq = c.ledger.ctl(&c.auditor, &["audit", "balance-at", "bob", "--seq", &second.to_string()]).ok_json();
    assert_eq!(by_seq["balance"], replayed["bob"].as_str());
    assert_eq!(by_seq["balance"], "17.50");
    let second_entry = entries(&journal).into_iter().find(|e| e.seq == second).unwrap();
    let time = second_entry.timestamp_ms.to_string();
    let by_time = c.ledger.ctl(&c.auditor, &["audit", "balance-at", "bob", "--at", &time]).ok_json();
    assert!(by_time["as_of_seq"].as_u64().unwrap() >= second, "{by_time}");

    // A statement from the second payment on opens at the balance just before it.
    let statement = c.ledger.ctl(&c.auditor, &["audit", "statement", "bob", "--from", &time]).ok_json();
    let lines = statement["entries"].as_array().unwrap();
    let first = lines[0]["seq"].as_u64().unwrap();
    assert!(first <= second && lines.iter().any(|line| line["seq"] == second), "{statement}");
    assert_eq!(statement["opening_balance"], replayed_balances(&journal, first - 1)["bob"].as_str());
    assert_eq!(statement["closing_balance"], replayed_balances(&journal, head)["bob"].as_str());
    let csv = c.ledger.ctl(&c.auditor, &["audit", "statement", "alice", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    let rows: Vec<&str> = csv.stdout.trim_end().split("\r\n").collect();
    assert_eq!(rows[0], "seq,time,kind,id,counterparty,memo,amount,balance_after");
    assert!(rows[1].contains(",opening,") && rows.last().unwrap().contains(",closing,"));
    assert!(csv.stdout.contains("\"vegetables, fresh\""), "{}", csv.stdout);
    assert!(csv.stdout.contains(",'=SUM(A1),"), "a memo never runs as a formula: {}", csv.stdout);
}

#[test]
fn an_export_resumes_from_a_sequence_number() {
    let c = community();
    let journal = c.export("journal.jsonl");
    let last = entries(&journal).last().unwrap().seq;
    c.ledger.ctl(&c.alice, &["pay", "alice", "bob", "1"]).ok_json();
    let appended = c
        .ledger
        .ctl(
            &c.auditor,
            &["audit", "export", "--out", journal.to_str().unwrap(), "--from-seq", &(last + 1).to_string()],
        )
        .ok_json();
    assert_eq!(appended["entries"], 1);
    assert_eq!(c.verify_offline(&journal, &[]).ok_json()["head_seq"], last + 1);
}

/// Ways to tamper with entry `k` in the SQLite file.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// Move value from the payer's posting to the payee's, still balanced.
    Amount,
    /// Credit another account than the payee.
    Payee,
    /// Flip a bit of the signature.
    Signature,
    /// Delete the entry and its projections.
    Delete,
    /// Swap the entry with the next one.
    Swap,
}

fn statements(tamper: Tamper, k: u64, postgres: bool) -> Vec<String> {
    match tamper {
        // Byte 60 is flipped, not overwritten: a fixed value would leave it unchanged whenever
        // the signature already held it (one run in 256).
        Tamper::Signature if postgres => vec![format!(
            "UPDATE journal SET signatures = set_byte(signatures, 60, get_byte(signatures, 60) # 255) WHERE seq = {k}"
        )],
        Tamper::Amount => vec![
            format!("UPDATE postings SET delta = delta - 100 WHERE seq = {k} AND idx = 0"),
            format!("UPDATE postings SET delta = delta + 100 WHERE seq = {k} AND idx = 1"),
        ],
        Tamper::Payee => vec![format!("UPDATE postings SET account = 'carol' WHERE seq = {k} AND idx = 1")],
        // Byte 60 of the first (key, signature) pair is inside the signature.
        Tamper::Signature => vec![format!(
            "UPDATE journal SET signatures = unhex(substr(hex(signatures), 1, 120) || \
             CASE substr(hex(signatures), 121, 2) WHEN 'FF' THEN '00' ELSE 'FF' END || \
             substr(hex(signatures), 123)) WHERE seq = {k}"
        )],
        Tamper::Delete => ["postings", "account_entries", "journal"]
            .iter()
            .map(|table| format!("DELETE FROM {table} WHERE seq = {k}"))
            .collect(),
        Tamper::Swap => ["journal", "postings", "account_entries"]
            .iter()
            .flat_map(|table| {
                [
                    format!("UPDATE {table} SET seq = 1000000 WHERE seq = {k}"),
                    format!("UPDATE {table} SET seq = {k} WHERE seq = {}", k + 1),
                    format!("UPDATE {table} SET seq = {} WHERE seq = 1000000", k + 1),
                ]
            })
            .collect(),
    }
}

#[test]
fn tampering_in_the_database_is_caught_at_the_entry_online_and_offline() {
    for tampering in [Tamper::Amount, Tamper::Payee, Tamper::Signature, Tamper::Delete, Tamper::Swap] {
        let mut c = community();
        let clean = c.export("clean.jsonl");
        // The first payment, alice to bob, followed by another payment.
        let k = payment_seqs(&clean)[0];
        c.ledger.stop();
        let statements = statements(tampering, k, false);
        tamper(&c.db(), &statements.iter().map(String::as_str).collect::<Vec<_>>());
        c.ledger.start();
        let online = c.ledger.ctl(&c.auditor, &["audit", "verify"]);
        caught_at(&online, "JOURNAL_INVALID", k);
        let tampered = c.export("tampered.jsonl");
        caught_at(&c.verify_offline(&tampered, &[]), "JOURNAL_INVALID", k);
        eprintln!("{tampering:?}: caught at entry {k}: {}", online.json()["error"]["message"]);
    }
}

/// A validly signed entry copied to the end of the journal, with the hash chain recomputed: the
/// copy of a limit change would apply again unnoticed, the copy of a payment would pay twice.
/// The column `request_id` is unique, so the copier writes anything there; the signed bytes keep
/// the original request id, which gives the copy away.
#[test]
fn an_entry_copied_to_the_end_of_the_database_is_caught_by_its_request_id_online_and_offline() {
    for kind in ["limits", "payment"] {
        let mut c = community();
        let chain = entries(&c.export("clean.jsonl"));
        let original = chain.iter().find(|entry| entry.kind.as_str() == kind).unwrap();
        let last = chain.last().unwrap();
        let copy = Entry::seal(
            last.seq + 1,
            last.timestamp_ms + 1,
            original.kind,
            original.command_bytes.clone(),
            original.signatures.clone(),
            original.postings.clone(),
            last.hash,
        );
        c.ledger.stop();
        tamper(
            &c.db(),
            &[
                &format!(
                    "INSERT INTO journal (seq, request_id, timestamp_ms, kind, command, signatures, prev_hash, hash) \
                     SELECT {}, randomblob(16), {}, kind, command, signatures, X'{}', X'{}' FROM journal WHERE seq = {}",
                    copy.seq,
                    copy.timestamp_ms,
                    copy.prev_hash.to_hex(),
                    copy.hash.to_hex(),
                    original.seq
                ),
                &format!(
                    "INSERT INTO postings (seq, idx, account, unit, delta, balance_after) \
                     SELECT {}, idx, account, unit, delta, balance_after FROM postings WHERE seq = {}",
                    copy.seq, original.seq
                ),
            ],
        );
        c.ledger.start();
        let (_, request_id, _) = decode_signing_bytes(&original.command_bytes).unwrap();
        let expected =
            format!("entry {}: request id {request_id} was already used by entry {}", copy.seq, original.seq);
        let online = c.ledger.ctl(&c.auditor, &["audit", "verify"]);
        let tampered = c.export("tampered.jsonl");
        assert_eq!(entries(&tampered).last().unwrap(), &copy, "the export carries the copy as stored");
        let offline = c.verify_offline(&tampered, &[]);
        for run in [online, offline] {
            caught_at(&run, "JOURNAL_INVALID", copy.seq);
            assert_eq!(run.json()["error"]["message"], expected.as_str(), "{kind}");
        }
    }
}

#[test]
fn a_tail_cut_below_a_held_checkpoint_is_caught() {
    let mut c = community();
    let held = c.ledger.data_dir.join("held.jsonl");
    let checkpoint = c.ledger.ctl(&c.auditor, &["audit", "checkpoint", "--out", held.to_str().unwrap()]).ok_json();
    let head = checkpoint["seq"].as_u64().unwrap();
    c.ledger.stop();
    // Whoever cuts the tail also removes the server's own checkpoint of it.
    tamper(
        &c.db(),
        &[
            &format!("DELETE FROM checkpoints WHERE seq >= {}", head - 1),
            &format!("DELETE FROM postings WHERE seq >= {}", head - 1),
            &format!("DELETE FROM account_entries WHERE seq >= {}", head - 1),
            &format!("DELETE FROM journal WHERE seq >= {}", head - 1),
        ],
    );
    c.ledger.start();
    // Without the checkpoint the shorter journal is consistent in itself...
    let journal = c.export("cut.jsonl");
    c.verify_offline(&journal, &[]).ok_json();
    // ...but not with the one the treasurer kept.
    let expected = format!("the journal ends at entry {}, below the checkpoint signed at entry {head}", head - 2);
    let offline = c.verify_offline(&journal, &["--checkpoint", held.to_str().unwrap()]);
    let doc = offline.refused("CHECKPOINT_MISMATCH");
    assert!(doc["error"]["message"].as_str().unwrap().starts_with(&expected), "{doc}");
    let online = c.ledger.ctl(&c.auditor, &["audit", "verify", "--checkpoint", held.to_str().unwrap()]);
    let doc = online.refused("CHECKPOINT_MISMATCH");
    assert!(doc["error"]["message"].as_str().unwrap().starts_with(&expected), "{doc}");
}

#[test]
fn an_entry_signed_by_a_key_revoked_before_it_is_caught_even_with_a_valid_chain() {
    let c = community();
    let journal = c.export("journal.jsonl");
    let mut chain = entries(&journal);
    let (ledger_id, _, _) = decode_signing_bytes(&chain[0].command_bytes).unwrap();
    let admin = SecretKey::parse(&std::fs::read_to_string(&c.ledger.admin_key).unwrap()).unwrap();
    let alice = SecretKey::parse(&std::fs::read_to_string(&c.alice).unwrap()).unwrap();
    let alice_new = SecretKey::from_seed([42; 32]);
    let handle = |text: &str| Handle::parse(text).unwrap();
    let mut append = |command: Command, key: &SecretKey, postings: Vec<Posting>| {
        let last = chain.last().unwrap();
        let request = RequestId::from_uuid(uuid::Uuid::new_v4());
        let signed = SignedCommand::sign(ledger_id, request, command.clone(), key);
        let entry = Entry::seal(
            last.seq + 1,
            last.timestamp_ms + 1,
            command.entry_kind(),
            signed.signing_bytes(),
            signed.signatures,
            postings,
            last.hash,
        );
        chain.push(entry);
        chain.last().unwrap().seq
    };
    append(Command::RegisterKey { handle: handle("alice"), public_key: alice_new.public_key() }, &admin, vec![]);
    append(Command::RevokeKey { handle: handle("alice"), public_key: alice.public_key() }, &admin, vec![]);
    let unit = UnitCode::parse("COMMUN").unwrap();
    let amount = Amount::parse("1", Scale::new(2).unwrap()).unwrap();
    let postings = vec![
        Posting { account: handle("alice"), unit: unit.clone(), delta: -100 },
        Posting { account: handle("bob"), unit: unit.clone(), delta: 100 },
    ];
    let pay = Command::Pay { payer: handle("alice"), payee: handle("bob"), unit, amount, memo: Memo::default() };
    let forged = append(pay, &alice, postings);

    // The crafted journal as an export file: every hash and link holds.
    let crafted = write_export(&c.ledger.data_dir.join("crafted.jsonl"), &chain);
    let run = c.verify_offline(&crafted, &[]);
    caught_at(&run, "JOURNAL_INVALID", forged);
    assert!(run.stdout.contains("revoked"), "{run:?}");
}

/// `audit ARGS` against the server, and the same from `journal` checked against `held`.
fn online_and_offline(c: &Community, args: &[&str], journal: &Path, held: &Path) -> (Run, Run) {
    let online = [&["audit"], args].concat();
    let offline =
        [&online[..], &["--journal", journal.to_str().unwrap(), "--checkpoint", held.to_str().unwrap()]].concat();
    (c.ledger.ctl(&c.auditor, &online), c.ledger.ctl(&c.auditor, &offline))
}

#[test]
fn a_statement_from_an_export_checked_against_a_checkpoint_equals_the_online_one() {
    let c = community();
    let held = c.ledger.data_dir.join("held.jsonl");
    c.ledger.ctl(&c.auditor, &["audit", "checkpoint", "--out", held.to_str().unwrap()]).ok_json();
    let journal = c.export("journal.jsonl");
    let second = payment_seqs(&journal)[1];
    let time = entries(&journal)[second as usize - 1].timestamp_ms.to_string();
    let periods: [&[&str]; 3] = [&[], &["--from", &time], &["--to", &time]];
    for handle in ["alice", "bob", "carol", "dora", "audrey"] {
        for period in periods {
            let args = [&["statement", handle], period].concat();
            let (online, offline) = online_and_offline(&c, &args, &journal, &held);
            assert_eq!(offline.ok_json(), online.ok_json(), "{args:?}");
        }
        for point in [["--seq", &second.to_string()], ["--at", &time]] {
            let (online, offline) =
                online_and_offline(&c, &[&["balance-at", handle], &point[..]].concat(), &journal, &held);
            assert_eq!(offline.ok_json(), online.ok_json(), "{handle} {point:?}");
        }
    }
    let (online, offline) = online_and_offline(&c, &["statement", "alice", "--format", "csv"], &journal, &held);
    assert_eq!((offline.code, &offline.stdout), (0, &online.stdout));
    let lines = online_and_offline(&c, &["statement", "alice"], &journal, &held).1.ok_json()["entries"].clone();
    assert!(lines.as_array().unwrap().iter().any(|line| line["memo"] == "vegetables, fresh"), "{lines}");

    // An export proves nothing about its tail without a checkpoint kept outside the server.
    let run = c.ledger.ctl(&c.auditor, &["audit", "statement", "alice", "--journal", journal.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    let empty = write_export(&c.ledger.data_dir.join("empty.jsonl"), &[]);
    let (_, run) = online_and_offline(&c, &["statement", "alice"], &journal, &empty);
    assert_eq!((run.code, run.json()["error"]["reason"].as_str()), (2, Some("INVALID_INPUT")), "{run:?}");
}

#[test]
fn a_statement_from_a_tampered_or_cut_export_is_refused_naming_the_entry() {
    let c = community();
    let held = c.ledger.data_dir.join("held.jsonl");
    let checkpoint = c.ledger.ctl(&c.auditor, &["audit", "checkpoint", "--out", held.to_str().unwrap()]).ok_json();
    let head = checkpoint["seq"].as_u64().unwrap();
    let journal = c.export("journal.jsonl");
    let chain = entries(&journal);
    let last_payment = *payment_seqs(&journal).last().unwrap();
    assert_eq!(last_payment, head, "bob's payment to alice is the last entry");
    let statement = ["statement", "alice"];

    // Alice's first payment edited in place: its hash no longer holds.
    let first = payment_seqs(&journal)[0];
    let mut edited = chain.clone();
    edited[first as usize - 1].postings[0].delta -= 1;
    let edited = write_export(&c.ledger.data_dir.join("edited.jsonl"), &edited);
    caught_at(&online_and_offline(&c, &statement, &edited, &held).1, "JOURNAL_INVALID", first);

    // Her last payment moved a day later and sealed again: every hash, link and signature holds,
    // so the file verifies alone; only the checkpoint held outside the server catches it.
    let mut moved = chain.clone();
    let entry = moved.pop().unwrap();
    moved.push(Entry::seal(
        entry.seq,
        entry.timestamp_ms + 86_400_000,
        entry.kind,
        entry.command_bytes,
        entry.signatures,
        entry.postings,
        entry.prev_hash,
    ));
    let moved = write_export(&c.ledger.data_dir.join("moved.jsonl"), &moved);
    c.verify_offline(&moved, &[]).ok_json();
    for args in [&statement[..], &["balance-at", "alice", "--seq", "1"]] {
        let (_, run) = online_and_offline(&c, args, &moved, &held);
        caught_at(&run, "CHECKPOINT_MISMATCH", head);
        assert!(run.stdout.contains("which the checkpoint signed"), "{run:?}");
    }

    // The tail cut below the checkpoint, her last payment with it.
    let cut = write_export(&c.ledger.data_dir.join("cut.jsonl"), &chain[..head as usize - 2]);
    let (_, run) = online_and_offline(&c, &statement, &cut, &held);
    let doc = run.refused("CHECKPOINT_MISMATCH");
    let expected = format!("the journal ends at entry {}, below the checkpoint signed at entry {head}", head - 2);
    assert!(doc["error"]["message"].as_str().unwrap().starts_with(&expected), "{doc}");
}

#[test]
fn an_auditor_reads_everything_and_changes_nothing() {
    let c = community();
    let a = &c.auditor;
    let ledger = &c.ledger;
    for args in [
        &["audit", "trial-balance"][..],
        &["audit", "verify"],
        &["audit", "checkpoint"],
        &["audit", "statement", "alice"],
        &["audit", "balance-at", "bob", "--seq", "5"],
        &["balance", "alice"],
        &["history", "bob"],
        &["account", "list"],
    ] {
        ledger.ctl(a, args).ok_json();
    }
    let before = ledger.ctl(a, &["audit", "trial-balance"]).ok_json();
    let (_, public) = ledger.new_key("mallory");
    for args in [
        &["pay", "alice", "bob", "1"][..],
        &["unit", "create", "EURO", "--scale", "2"],
        &["account", "open", "mallory", "--unit", "COMMUN", "--public-key", &public],
        &["account", "set-limit", "alice", "--credit-limit", "1000", "--reason", "why not"],
        &["role", "grant", "audrey", "treasurer"],
    ] {
        let run = ledger.ctl(a, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert_eq!(run.json()["error"]["code"], "PERMISSION_DENIED", "{args:?}: {run:?}");
    }
    assert_eq!(ledger.ctl(a, &["audit", "trial-balance"]).ok_json()["units"], before["units"]);
    // Bob's own key still works: the refusals above were about the auditor, not the ledger.
    ledger.ctl(&c.bob, &["pay", "bob", "alice", "1"]).ok_json();
}

#[test]
fn tampering_in_postgresql_is_caught_at_the_entry_online_and_offline() {
    if postgres_skipped() {
        return;
    }
    for tampering in [Tamper::Amount, Tamper::Payee, Tamper::Signature, Tamper::Delete, Tamper::Swap] {
        let mut c = community_on(Backend::Postgres);
        let url = c.ledger.database.as_ref().expect("a PostgreSQL ledger has a database").url.clone();
        let k = payment_seqs(&c.export("clean.jsonl"))[0];
        let mut statements = vec!["SET session_replication_role = replica".to_owned()];
        statements.extend(self::statements(tampering, k, true));
        postgres(&url, &statements.iter().map(String::as_str).collect::<Vec<_>>());
        caught_at(&c.ledger.ctl(&c.auditor, &["audit", "verify"]), "JOURNAL_INVALID", k);
        let tampered = c.export("tampered.jsonl");
        caught_at(&c.verify_offline(&tampered, &[]), "JOURNAL_INVALID", k);
        c.ledger.stop();
    }
}

/// Runs SQL on a PostgreSQL database, in one session (`session_replication_role = replica` turns
/// foreign keys off for it, as an attacker with the database's superuser could).
fn postgres(url: &str, statements: &[&str]) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        for statement in statements {
            // Fixed statements written by the test itself.
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        conn.close().await.unwrap();
    });
}

#[test]
fn an_export_line_of_several_mib_verifies_and_a_line_past_the_bound_is_refused_naming_it() {
    let mut chain = Chain::new();
    // The largest import batch, every row with the longest memo: one entry of several MiB, the
    // size of the largest clearing runs.
    let memo = Memo::parse(&"m".repeat(256)).unwrap();
    let rows = (0..IMPORT_ROWS_MAX)
        .map(|i| ImportRow {
            payer: chain.members[i % 2].0.clone(),
            payee: chain.members[(i + 1) % 2].0.clone(),
            amount: Amount::from_minor(1 + (i % 7) as i64).unwrap(),
            memo: memo.clone(),
        })
        .collect();
    let unit = chain.unit.clone();
    let import =
        Command::ImportTransfers { unit, file_sha256: [7; 32], first_line: 2, rows, row_ids: RowIds::InTimeOrder };
    let admin = chain.admin.clone();
    chain.push(import, &admin);
    let dir = tempfile::tempdir().unwrap();
    let path = write_export(&dir.path().join("large.jsonl"), &chain.entries);
    let longest = std::fs::read_to_string(&path).unwrap().lines().map(str::len).max().unwrap();
    assert!(longest > 5 << 20, "the import's line takes {longest} bytes");
    let doc = verify_export(&path).ok_json();
    assert_eq!((doc["entries"].as_u64(), doc["head_seq"].as_u64()), (Some(5), Some(5)), "{doc}");

    // A line past the bound is refused by its number, before anything reads it whole.
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&vec![b'x'; LINE_BYTES_MAX + 1]).unwrap();
    file.write_all(b"\n").unwrap();
    let doc = verify_export(&path).refused("JOURNAL_INVALID");
    let expected = format!("line 6: longer than {LINE_BYTES_MAX} bytes (64 MiB), the most one record may take");
    assert_eq!(doc["error"]["message"], expected.as_str(), "{doc}");
}

#[test]
fn acceptances_and_reversals_of_transfers_the_verifier_wrote_out_long_before_are_checked_offline() {
    let mut chain = Chain::new();
    let [(alice, alice_key), (bob, bob_key)] = chain.members.clone();
    let amount = Amount::from_minor(400).unwrap();
    let ask = Command::RequestPayment {
        payee: bob.clone(),
        payer: alice.clone(),
        unit: chain.unit.clone(),
        amount,
        memo: Memo::default(),
        lifetime_ms: REQUEST_LIFETIME_MAX_MS,
    };
    let request = chain.push(ask, &bob_key);
    let first = chain.pay(0, 700);
    // More payments than the verifier keeps pending, so the request and the first payment are on
    // its disk, in its transfer log, when they are answered.
    for i in 0..PENDING_MAX {
        chain.pay(i % 2, 1);
    }
    let unit = chain.unit.clone();
    let accept =
        Command::AcceptRequest { request, payer: alice.clone(), payee: bob.clone(), unit: unit.clone(), amount };
    chain.push_as(accept, answer_id(request, Answer::Accept), &alice_key);
    let refund = Command::Reverse {
        transfer: first,
        payer: bob,
        payee: alice,
        unit,
        amount: Amount::from_minor(700).unwrap(),
        reason: Reason::parse("refund").unwrap(),
    };
    chain.push(refund.clone(), &bob_key);
    let dir = tempfile::tempdir().unwrap();
    let path = write_export(&dir.path().join("answers.jsonl"), &chain.entries);
    let doc = verify_export(&path).ok_json();
    assert_eq!(doc["entries"].as_u64(), Some(chain.entries.len() as u64), "{doc}");

    // The same refund again, signed and sealed in order: only the archived record of the payment,
    // reversed by now, refuses it.
    let last = chain.entries.last().unwrap().clone();
    let ledger_id = decode_signing_bytes(&last.command_bytes).unwrap().0;
    let again = SignedCommand::sign(ledger_id, RequestId::from_uuid(uuid::Uuid::new_v4()), refund, &bob_key);
    let kind = again.command.entry_kind();
    let bytes = again.signing_bytes();
    let seq = last.seq + 1;
    let copy = Entry::seal(seq, last.timestamp_ms + 1, kind, bytes, again.signatures, last.postings.clone(), last.hash);
    chain.entries.push(copy);
    let path = write_export(&dir.path().join("twice.jsonl"), &chain.entries);
    let run = verify_export(&path);
    caught_at(&run, "JOURNAL_INVALID", seq);
    assert!(run.stdout.contains("not valid at that point"), "{run:?}");
}
