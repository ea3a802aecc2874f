//! An applied clearing run: what a treasurer signs (`Command::ClearingRun`: the set-offs and the
//! credit postings of a reviewed plan) and what the ledger keeps of it once applied
//! ([`AppliedRun`]). Applying it is `State::apply`'s job (`state/clearing.rs`), which checks every
//! line again against the state of that moment.
//!
//! Credit postings are one signed delta per account. They also become transfers of kind
//! `clearing`, so a member's statement shows who its credit went to: [`transfers_of`] pairs the
//! payers and payees in the signed order, deterministically, and [`transfer_id`] names each one
//! after the run's request id and its place.

use crate::amount::Amount;
use crate::names::{Handle, RequestId, UnitCode};

/// The most set-offs one run may carry. A run is one entry, so everything that carries an entry
/// must carry a run of this size whole: its signed bytes (24 a set-off: 4.8 MB at the bound), the
/// `ApplyClearingRun` request and the replies that list every line (the server and `ledgerctl`
/// size their message limits from this bound), a line of an audit export (the signed bytes in
/// hex: 9.6 MB), and the writer, which applies and stores it in one batch while every other
/// command waits. Measured through the server (BENCHMARKS.md, Clearing), a run of 184,000
/// set-offs took 6–8 s on SQLite and 10 s on PostgreSQL from plan to commit, up to twice that
/// with the machine's cores busy: this bound keeps a run inside the 30 s a call may take, and is
/// twice what any run over the graphs of 100,000 invoices can touch (all of them). A run
/// over the graphs of 1,000,000 invoices (about 740,000 set-offs) is refused whole rather than
/// cut, since part of a run would change net positions.
pub const SET_OFFS_MAX: usize = 200_000;

/// One invoice reduced by a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetOffLine {
    /// The invoice.
    pub invoice: RequestId,
    /// How much of its remaining amount the run sets off: positive, at most what remains.
    pub amount: Amount,
}

/// One account's balance change in a run with credit: what it pays (negative) or receives
/// (positive) through its mutual-credit account to settle what set-off alone could not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditPosting {
    /// The account.
    pub account: Handle,
    /// Signed change in minor units, non-zero, at most [`crate::amount::AMOUNT_MAX`] either way.
    pub delta: i64,
}

/// A set-off as applied: the invoice's parties and what remained before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedSetOff {
    /// The invoice.
    pub invoice: RequestId,
    /// Who owes.
    pub debtor: Handle,
    /// Who is owed.
    pub creditor: Handle,
    /// What remained before the run, in minor units.
    pub remaining_before: i64,
    /// What the run set off, in minor units, positive.
    pub set_off: i64,
}

/// A credit posting as applied: the balance before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedCredit {
    /// The account.
    pub account: Handle,
    /// Its balance before the run, in minor units.
    pub balance_before: i64,
    /// The change, non-zero.
    pub delta: i64,
}

/// A clearing run as applied in one entry: the record a store projects and `GetClearingRun`
/// reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedRun {
    /// The run's id: the request id of its command.
    pub id: RequestId,
    /// The unit of every invoice and posting.
    pub unit: UnitCode,
    /// Who signed it: a treasurer.
    pub signer: Handle,
    /// Timestamp of its entry, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The invoices reduced, in the signed order.
    pub set_offs: Vec<AppliedSetOff>,
    /// The credit postings, in the signed order; empty in a run without credit.
    pub credit: Vec<AppliedCredit>,
}

impl AppliedRun {
    /// Sum of the touched invoices' remaining amounts before the run.
    pub fn debt_before(&self) -> i128 {
        self.set_offs.iter().map(|s| i128::from(s.remaining_before)).sum()
    }

    /// Sum set off.
    pub fn set_off(&self) -> i128 {
        self.set_offs.iter().map(|s| i128::from(s.set_off)).sum()
    }

    /// Sum of what the credit postings moved (the positive deltas).
    pub fn credit_moved(&self) -> i128 {
        self.credit.iter().filter(|c| c.delta > 0).map(|c| i128::from(c.delta)).sum()
    }
}

/// One pairwise transfer a run's credit postings make: `amount` from `payer` to `payee`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditTransfer {
    /// Whose balance falls.
    pub payer: Handle,
    /// Whose balance rises.
    pub payee: Handle,
    /// Positive, in minor units.
    pub amount: i64,
}

/// Pairs the payers (negative deltas) with the payees (positive deltas), each list in the signed
/// order, moving the most each step: at most payers + payees − 1 transfers. The postings must sum
/// to zero (checked before).
pub fn transfers_of(credit: &[CreditPosting]) -> Vec<CreditTransfer> {
    let mut payers: Vec<(&Handle, i64)> =
        credit.iter().filter(|c| c.delta < 0).map(|c| (&c.account, -c.delta)).collect();
    let mut payees: Vec<(&Handle, i64)> =
        credit.iter().filter(|c| c.delta > 0).map(|c| (&c.account, c.delta)).collect();
    let mut transfers = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < payers.len() && j < payees.len() {
        let amount = payers[i].1.min(payees[j].1);
        transfers.push(CreditTransfer { payer: payers[i].0.clone(), payee: payees[j].0.clone(), amount });
        payers[i].1 -= amount;
        payees[j].1 -= amount;
        if payers[i].1 == 0 {
            i += 1;
        }
        if payees[j].1 == 0 {
            j += 1;
        }
    }
    assert!(i == payers.len() && j == payees.len(), "credit postings are checked to sum to zero first");
    transfers
}

/// The id of a run's `index`th credit transfer, derived from the run's request id: unique to
/// the run, and the same on every replay.
pub fn transfer_id(run: RequestId, index: usize) -> RequestId {
    let index = u64::try_from(index).expect("an index fits in u64").to_be_bytes();
    RequestId::derived(b"commons-ledger/clearing-transfer/v1\0", &[run.as_bytes(), &index])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(account: &str, delta: i64) -> CreditPosting {
        CreditPosting { account: Handle::parse(account).unwrap(), delta }
    }

    #[test]
    fn credit_postings_pair_into_transfers_that_move_each_delta() {
        let credit = [posting("a", -70), posting("b", 50), posting("c", -30), posting("d", 50)];
        let moved: Vec<(String, String, i64)> =
            transfers_of(&credit).into_iter().map(|t| (t.payer.to_string(), t.payee.to_string(), t.amount)).collect();
        let expect = [("a", "b", 50), ("a", "d", 20), ("c", "d", 30)];
        let expect: Vec<(String, String, i64)> =
            expect.iter().map(|(p, q, n)| (p.to_string(), q.to_string(), *n)).collect();
        assert_eq!(moved, expect);
        assert!(transfers_of(&[]).is_empty());
        let run = RequestId::from_uuid(uuid::Uuid::from_u128(1));
        assert_ne!(transfer_id(run, 0), transfer_id(run, 1));
    }
}
