//! The checks after a run: the unit's trial balance sums to zero and agrees, account by account,
//! with the payments the journal holds; every acknowledged payment is in the journal exactly
//! once, as it was signed; no refused payment is; and the entries written during the run are
//! gapless and chained.

use std::collections::HashMap;

use ledger_cli::client::Client;
use ledger_cli::error::CliError;
use ledger_cli::proto;
use ledger_core::amount::parse_signed_minor;
use ledger_core::command::{Command, decode_signing_bytes};
use ledger_core::names::RequestId;
use serde::Serialize;

use crate::plan::Payment;
use crate::setup::BenchLedger;

/// Entries asked for per ListEntries page (the server's page_size_max by default).
const PAGE_SIZE: i32 = 1_000;
/// Problems named in the report; the rest are only counted.
const PROBLEMS_KEPT_MAX: usize = 20;

/// What the checks found.
#[derive(Debug, Serialize)]
pub struct Checks {
    /// Whether every check held.
    pub passed: bool,
    /// The unit's trial balance total, as the server sent it.
    pub trial_balance_total: String,
    /// Accounts in the unit's trial balance (the bench's and the unit's fund).
    pub trial_balance_accounts: usize,
    /// Journal entries read (from the head before the run to the end).
    pub entries_read: u64,
    /// Payments acknowledged as committed.
    pub acknowledged: u64,
    /// Of them, found in the journal exactly once and as signed.
    pub acknowledged_found: u64,
    /// Payments in the journal whose call did not report the commit (a call that failed or
    /// timed out after its batch committed: legitimate, but worth seeing).
    pub committed_unacknowledged: u64,
    /// Problems found (empty when `passed`), at most 20 of them named.
    pub problems: Vec<String>,
    /// How many problems there were in all.
    pub problem_count: u64,
}

impl Checks {
    /// The text-mode summary.
    pub fn table(&self) -> String {
        let mut lines = vec![format!(
            "{:<14}{}: trial balance total {} over {} accounts; {} of {} acknowledged payments in the \
             journal once each as signed ({} entries read, {} committed but unacknowledged)",
            "checks",
            if self.passed { "passed" } else { "FAILED" },
            self.trial_balance_total,
            self.trial_balance_accounts,
            self.acknowledged_found,
            self.acknowledged,
            self.entries_read,
            self.committed_unacknowledged,
        )];
        lines.extend(self.problems.iter().map(|problem| format!("problem: {problem}")));
        if self.problem_count > self.problems.len() as u64 {
            lines.push(format!("... and {} more problems", self.problem_count - self.problems.len() as u64));
        }
        lines.join("\n")
    }
}

#[derive(Default)]
struct Problems {
    named: Vec<String>,
    count: u64,
}

impl Problems {
    fn add(&mut self, problem: String) {
        self.count += 1;
        if self.named.len() < PROBLEMS_KEPT_MAX {
            self.named.push(problem);
        }
    }
}

/// Runs every check. `head` is the journal's last seq and hash (hex) before the window.
pub async fn run(
    admin: &Client,
    ledger: &BenchLedger,
    payments: &[Payment],
    acknowledged: &[usize],
    refused: &[usize],
    head: (u64, &str),
) -> Result<Checks, CliError> {
    let mut problems = Problems::default();
    let by_id: HashMap<RequestId, usize> = payments.iter().enumerate().map(|(index, p)| (p.id, index)).collect();
    let (seen, entries_read) = read_journal(admin, ledger, payments, &by_id, head, &mut problems).await?;

    let mut acknowledged_found = 0;
    for &index in acknowledged {
        match seen[index] {
            1 => acknowledged_found += 1,
            0 => problems.add(format!("acknowledged payment {} is not in the journal", payments[index].id)),
            n => problems.add(format!("acknowledged payment {} is in the journal {n} times", payments[index].id)),
        }
    }
    for &index in refused {
        if seen[index] > 0 {
            problems.add(format!("refused payment {} is in the journal", payments[index].id));
        }
    }
    let mut is_acknowledged = vec![false; payments.len()];
    for &index in acknowledged {
        is_acknowledged[index] = true;
    }
    let committed_unacknowledged =
        seen.iter().zip(&is_acknowledged).filter(|(count, acknowledged)| **count > 0 && !**acknowledged).count();

    // What each account's balance must be: the payments the journal holds, applied to zero.
    let mut expected = vec![0i128; ledger.accounts.len()];
    for (payment, count) in payments.iter().zip(&seen) {
        if *count > 0 {
            expected[payment.payer as usize] -= i128::from(payment.amount_minor);
            expected[payment.payee as usize] += i128::from(payment.amount_minor);
        }
    }
    let (total, listed) = check_trial_balance(admin, ledger, &expected, &mut problems).await?;

    Ok(Checks {
        passed: problems.count == 0,
        trial_balance_total: total,
        trial_balance_accounts: listed,
        entries_read,
        acknowledged: acknowledged.len() as u64,
        acknowledged_found,
        committed_unacknowledged: committed_unacknowledged as u64,
        problems: problems.named,
        problem_count: problems.count,
    })
}

/// Reads every entry after `head`, checking the chain, and counts how often each planned
/// payment appears (checking it is the payment that was signed).
async fn read_journal(
    admin: &Client,
    ledger: &BenchLedger,
    payments: &[Payment],
    by_id: &HashMap<RequestId, usize>,
    head: (u64, &str),
    problems: &mut Problems,
) -> Result<(Vec<u32>, u64), CliError> {
    let mut seen = vec![0u32; payments.len()];
    let (mut expected_seq, mut prev_hash) = (head.0 + 1, hex_bytes(head.1));
    if prev_hash.is_none() {
        problems.add(format!("the server's head hash {:?} is not hex", head.1));
    }
    let mut entries_read = 0u64;
    let mut page_token = String::new();
    // Every page holds at least one entry, so the journal written during the run ends within
    // this many pages; a server that keeps sending tokens cannot make the check loop forever.
    let pages_max = payments.len() / PAGE_SIZE as usize + 1_000;
    for _ in 0..pages_max {
        let page = admin
            .audit()
            .list_entries(proto::ListEntriesRequest {
                from_seq: head.0 + 1,
                page_size: PAGE_SIZE,
                page_token: page_token.clone(),
            })
            .await?
            .into_inner();
        for entry in &page.entries {
            entries_read += 1;
            if entry.seq != expected_seq {
                problems.add(format!("expected entry {expected_seq}, the journal has entry {}", entry.seq));
            }
            if prev_hash.as_deref().is_some_and(|prev| prev != entry.prev_hash.as_slice()) {
                problems.add(format!("entry {}: prev_hash is not the previous entry's hash", entry.seq));
            }
            (expected_seq, prev_hash) = (entry.seq + 1, Some(entry.hash.clone()));
            check_payment_entry(entry, ledger, payments, by_id, &mut seen, problems);
        }
        if page.next_page_token.is_empty() {
            return Ok((seen, entries_read));
        }
        if page.next_page_token == page_token {
            return Err(CliError::Failed("the server sent the same page token twice".into()));
        }
        page_token = page.next_page_token;
    }
    Err(CliError::Failed(format!("the journal did not end after {pages_max} pages")))
}

/// Counts `entry` if it is one of the planned payments, checking it is exactly the payment that
/// was signed.
fn check_payment_entry(
    entry: &proto::JournalEntry,
    ledger: &BenchLedger,
    payments: &[Payment],
    by_id: &HashMap<RequestId, usize>,
    seen: &mut [u32],
    problems: &mut Problems,
) {
    let Ok((_, request_id, command)) = decode_signing_bytes(&entry.command) else {
        problems.add(format!("entry {}: its command bytes do not decode", entry.seq));
        return;
    };
    let Some(&index) = by_id.get(&request_id) else {
        // Not one of this run's payments (another client's command): not ours to check.
        return;
    };
    seen[index] += 1;
    let planned = &payments[index];
    let as_signed = match &command {
        Command::Pay { payer, payee, unit, amount, .. } => {
            *payer == ledger.accounts[planned.payer as usize].handle
                && *payee == ledger.accounts[planned.payee as usize].handle
                && *unit == ledger.unit
                && amount.minor() == planned.amount_minor
        }
        _ => false,
    };
    if !as_signed {
        problems.add(format!("entry {}: payment {} is not the payment that was signed", entry.seq, planned.id));
    }
}

/// Checks the unit's trial balance: total zero, the accounts' balances sum to zero, and each
/// account holds what the journal's payments say. Returns the total and the accounts listed.
async fn check_trial_balance(
    admin: &Client,
    ledger: &BenchLedger,
    expected: &[i128],
    problems: &mut Problems,
) -> Result<(String, usize), CliError> {
    let trial = admin
        .audit()
        .get_trial_balance(proto::GetTrialBalanceRequest { unit: ledger.unit.as_str().to_owned() })
        .await?
        .into_inner();
    let Some(unit) = trial.units.into_iter().find(|unit| unit.unit == ledger.unit.as_str()) else {
        problems.add(format!("the trial balance has no section for unit {}", ledger.unit));
        return Ok((String::new(), 0));
    };
    let minor = |what: &str, text: &str| {
        parse_signed_minor(text, ledger.scale)
            .map_err(|error| CliError::Failed(format!("the server sent a bad {what} {text:?}: {error}")))
    };
    if minor("total", &unit.total)? != 0 {
        problems.add(format!("the trial balance of {} totals {}, not zero", ledger.unit, unit.total));
    }
    let index: HashMap<&str, usize> =
        ledger.accounts.iter().enumerate().map(|(n, account)| (account.handle.as_str(), n)).collect();
    let mut sum = 0i128;
    let mut listed = vec![false; ledger.accounts.len()];
    for account in &unit.accounts {
        let balance = minor("balance", &account.balance)?;
        sum += i128::from(balance);
        let want = match index.get(account.account.as_str()) {
            Some(&n) => {
                listed[n] = true;
                expected[n]
            }
            // The unit's fund: no payment touches it.
            None => 0,
        };
        if i128::from(balance) != want {
            problems.add(format!(
                "account {} holds {} minor units, the journal's payments make {want}",
                account.account, balance
            ));
        }
    }
    if sum != 0 {
        problems.add(format!("the balances of {} sum to {sum} minor units, not zero", ledger.unit));
    }
    if let Some(n) = listed.iter().position(|listed| !listed) {
        problems.add(format!("account {} is missing from the trial balance", ledger.accounts[n].handle));
    }
    Ok((unit.total, unit.accounts.len()))
}

/// Lowercase or uppercase hex to bytes.
fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
