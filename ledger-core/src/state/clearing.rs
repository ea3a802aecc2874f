//! Applying a clearing run (`Command::ClearingRun`). The treasurer signed a plan, but the plan
//! was made from a read that may be stale and the command may have been altered since: every
//! line is checked again here against the state of this moment, and the whole run is refused,
//! changing nothing, at the first line that does not hold.
//!
//! What must hold: every invoice is accepted, open, of the run's unit, set off by a positive
//! amount no larger than what remains, and named once; the credit postings name each account
//! once, are non-zero and sum to zero; no participant's net position (what it is owed on open
//! invoices, less what it owes, plus its balance) changes; and every posted account is an active
//! member or business account of the unit that stays within its limits.

use std::collections::{BTreeMap, HashSet};

use super::{Applied, State, balance_after, check_parties};
use crate::amount::{AMOUNT_MAX, format_minor};
use crate::clearing::settlement::{
    AppliedCredit, AppliedRun, AppliedSetOff, CreditPosting, SET_OFFS_MAX, SetOffLine, transfer_id, transfers_of,
};
use crate::invoice::{Invoice, InvoiceStatus};
use crate::journal::{POSTINGS_MAX, Posting};
use crate::names::{Handle, Memo, RequestId, UnitCode};
use crate::refusal::Refusal;
use crate::transfer::{Transfer, TransferKind, TransferStatus};

impl State {
    /// `ClearingRun`, its signer (`signer`) already checked to be a treasurer.
    pub(super) fn clearing_run(
        &mut self,
        id: RequestId,
        signer: Handle,
        unit: &UnitCode,
        set_offs: &[SetOffLine],
        credit: &[CreditPosting],
        timestamp_ms: i64,
    ) -> Result<Applied, Refusal> {
        if set_offs.is_empty() || set_offs.len() > SET_OFFS_MAX {
            return Err(Refusal::ClearingRunSize {
                what: "set-offs",
                count: set_offs.len(),
                min: 1,
                max: SET_OFFS_MAX,
            });
        }
        if credit.len() > POSTINGS_MAX {
            return Err(Refusal::ClearingRunSize {
                what: "credit postings",
                count: credit.len(),
                min: 0,
                max: POSTINGS_MAX,
            });
        }
        let scale = self.unit(unit)?.scale;
        // Change of each participant's net position; a BTreeMap so the first one named in a
        // refusal is the same on every replay.
        let mut net: BTreeMap<Handle, i128> = BTreeMap::new();
        let mut applied_set_offs = Vec::with_capacity(set_offs.len());
        let mut seen = HashSet::with_capacity(set_offs.len());
        for line in set_offs {
            if !seen.insert(line.invoice) {
                return Err(Refusal::SetOffTwice(line.invoice));
            }
            let invoice = self.open_invoice(line.invoice, unit)?;
            if line.amount.is_zero() {
                return Err(Refusal::ZeroSetOff(line.invoice));
            }
            if line.amount > invoice.remaining {
                return Err(Refusal::SetOffTooLarge {
                    id: line.invoice,
                    remaining: invoice.remaining.format(scale),
                    set_off: line.amount.format(scale),
                });
            }
            let amount = line.amount.minor();
            // The debtor owes less and the creditor is owed less, by the same amount.
            *net.entry(invoice.debtor.clone()).or_default() += i128::from(amount);
            *net.entry(invoice.creditor.clone()).or_default() -= i128::from(amount);
            applied_set_offs.push(AppliedSetOff {
                invoice: line.invoice,
                debtor: invoice.debtor.clone(),
                creditor: invoice.creditor.clone(),
                remaining_before: invoice.remaining.minor(),
                set_off: amount,
            });
        }
        let mut posted = HashSet::with_capacity(credit.len());
        let mut sum: i128 = 0;
        for posting in credit {
            if !posted.insert(&posting.account) {
                return Err(Refusal::CreditPostingTwice(posting.account.clone()));
            }
            if posting.delta == 0 || posting.delta.unsigned_abs() > AMOUNT_MAX.unsigned_abs() {
                return Err(Refusal::InvalidCreditPosting(posting.account.clone()));
            }
            sum += i128::from(posting.delta);
            *net.entry(posting.account.clone()).or_default() += i128::from(posting.delta);
        }
        if sum != 0 {
            return Err(Refusal::CreditUnbalanced { sum: format_minor(sum, scale) });
        }
        if let Some((account, change)) = net.into_iter().find(|(_, change)| *change != 0) {
            return Err(Refusal::NetPositionChanged { account, change: format_minor(change, scale) });
        }
        let mut applied_credit = Vec::with_capacity(credit.len());
        let mut warnings = Vec::new();
        for posting in credit {
            let account = self.account(&posting.account)?;
            check_parties([account, account], unit)?;
            let (_, warning) = balance_after(account, posting.delta, scale)?;
            warnings.extend(warning);
            applied_credit.push(AppliedCredit {
                account: posting.account.clone(),
                balance_before: account.balance,
                delta: posting.delta,
            });
        }

        // Everything holds: change the state.
        for line in set_offs {
            let invoice = self.invoices[&line.invoice].clone();
            let remaining = crate::amount::Amount::from_minor(invoice.remaining.minor() - line.amount.minor())
                .expect("checked to be between zero and what remained");
            self.insert_invoice(Invoice { remaining, ..invoice });
        }
        for posting in credit {
            self.account_mut(&posting.account).balance += posting.delta;
        }
        let memo = Memo::parse("clearing run").expect("a short printable memo");
        for (index, transfer) in transfers_of(credit).into_iter().enumerate() {
            self.insert_transfer(Transfer {
                id: transfer_id(id, index),
                kind: TransferKind::Clearing,
                status: TransferStatus::Committed,
                payer: transfer.payer,
                payee: transfer.payee,
                unit: unit.clone(),
                amount: crate::amount::Amount::from_minor(transfer.amount).expect("at most one posting's delta"),
                memo: memo.clone(),
                created_ms: timestamp_ms,
                expires_at_ms: None,
                reverses: None,
                reversed_by: None,
            });
        }
        let postings = credit
            .iter()
            .map(|posting| Posting { account: posting.account.clone(), unit: unit.clone(), delta: posting.delta })
            .collect();
        self.changes.clearing_runs.insert(id);
        self.clearing_runs.insert(
            id,
            AppliedRun {
                id,
                unit: unit.clone(),
                signer,
                timestamp_ms,
                set_offs: applied_set_offs,
                credit: applied_credit,
            },
        );
        Ok(Applied { postings, warnings, ..Applied::default() })
    }

    /// An invoice a run may set off: it exists, is of `unit`, accepted, with something remaining.
    fn open_invoice(&self, id: RequestId, unit: &UnitCode) -> Result<&Invoice, Refusal> {
        let invoice = self.invoices.get(&id).ok_or(Refusal::UnknownInvoice(id))?;
        if invoice.unit != *unit {
            return Err(Refusal::InvoiceUnitMismatch { id, invoice_unit: invoice.unit.clone(), unit: unit.clone() });
        }
        if invoice.status != InvoiceStatus::Accepted {
            return Err(Refusal::InvoiceNotOpen { id, status: invoice.status.as_str() });
        }
        if invoice.remaining.is_zero() {
            return Err(Refusal::InvoiceNotOpen { id, status: "settled" });
        }
        Ok(invoice)
    }
}
