//! A clearing run over the ledger's invoices: which open invoices of a unit take part, in which
//! priority, and what the solver's certified answer does to each invoice and each participant.
//! Pure: the caller reads the invoices (and, for a run with credit, the participants' accounts)
//! and decides what to do with the plan: show it (a dry run), or sign its set-offs and credit
//! postings as a `Command::ClearingRun` and apply it in one entry.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use super::settlement::CreditPosting;
use super::{CertificateError, HubCapacity, Invoice as Arc, NodeIndex, Problem, ProblemError, check, solve};
use crate::account::{Account, AccountKind, AccountStatus};
use crate::invoice::Invoice;
use crate::names::{Handle, RequestId};

/// Why a run could not be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the invoices cannot be cleared in one run: {0}")]
    Problem(#[from] ProblemError),
    #[error("the solver's answer failed its certificate: {0}")]
    Certificate(#[from] CertificateError),
}

/// One participant's invoices before and after the run, in minor units. Its net position (owed
/// minus owes) is the same before and after: that is what a set-off means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// The account.
    pub handle: Handle,
    /// What it owes on open invoices, before.
    pub owes_before: i128,
    /// What it owes after.
    pub owes_after: i128,
    /// What it is owed on open invoices, before.
    pub owed_before: i128,
    /// What it is owed after.
    pub owed_after: i128,
}

/// One invoice the run sets off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetOff {
    /// The invoice.
    pub invoice: RequestId,
    /// Who owes.
    pub debtor: Handle,
    /// Who is owed.
    pub creditor: Handle,
    /// Remaining before the run, in minor units.
    pub remaining_before: i64,
    /// Set off by the run, positive.
    pub set_off: i64,
}

/// The plan of a run: totals, participants and the invoices it touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunPlan {
    /// Open invoices that took part.
    pub invoices: usize,
    /// Sum of their remaining amounts before the run.
    pub debt_before: i128,
    /// Sum set off.
    pub set_off: i128,
    /// Sum remaining after.
    pub debt_after: i128,
    /// Every account on an open invoice, by handle.
    pub participants: Vec<Participant>,
    /// The invoices with a positive set-off, in priority order.
    pub touched: Vec<SetOff>,
    /// In a run with credit, each account's balance change through its mutual-credit account
    /// (received less paid), by handle, zeros left out; they sum to zero.
    pub credit: Vec<CreditPosting>,
}

impl RunPlan {
    /// The share of the debt set off, in hundredths of a percent, rounded down (exact integers).
    pub fn share_basis_points(&self) -> i128 {
        if self.debt_before == 0 { 0 } else { self.set_off * 10_000 / self.debt_before }
    }
}

/// Priority of open invoices when parallel ones share a set-off: the oldest due first (those
/// without a due date last), then the oldest created, then by id, so the plan is deterministic.
fn priority(a: &&Invoice, b: &&Invoice) -> Ordering {
    let due = match (a.due, b.due) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    due.then(a.created_ms.cmp(&b.created_ms)).then(a.id.cmp(&b.id))
}

/// What an account may move through the hub in a run with credit: pay down to its credit limit
/// (balance + credit limit), receive up to its ceiling (ceiling − balance); nothing if it is
/// frozen, closed or a system account, since a run moves it like a payment would.
pub fn hub_capacity(account: &Account) -> HubCapacity {
    if account.status != AccountStatus::Active || account.kind == AccountKind::System {
        return HubCapacity::default();
    }
    HubCapacity {
        may_pay: (account.balance - account.limits.floor()).max(0),
        may_receive: (account.limits.top() - account.balance).max(0),
    }
}

/// Plans a run over `invoices` (those not open are ignored; the caller passes one unit's): the
/// largest set-off, verified by its certificate.
pub fn plan(invoices: &[Invoice]) -> Result<RunPlan, RunError> {
    plan_with(invoices, None)
}

/// Plans a run over `invoices` in which participants may also settle through their
/// mutual-credit accounts, within the headroom [`hub_capacity`] gives each of `accounts` (a
/// participant missing from it moves nothing through credit).
pub fn plan_with_credit(invoices: &[Invoice], accounts: &HashMap<Handle, Account>) -> Result<RunPlan, RunError> {
    plan_with(invoices, Some(accounts))
}

fn plan_with(invoices: &[Invoice], accounts: Option<&HashMap<Handle, Account>>) -> Result<RunPlan, RunError> {
    let mut open: Vec<&Invoice> = invoices.iter().filter(|invoice| invoice.is_open()).collect();
    open.sort_by(priority);
    let mut members: NodeIndex<Handle> = NodeIndex::new();
    let mut arcs = Vec::with_capacity(open.len());
    for invoice in &open {
        let debtor = members.intern(invoice.debtor.clone())?;
        let creditor = members.intern(invoice.creditor.clone())?;
        arcs.push(Arc { debtor, creditor, amount: invoice.remaining });
    }
    let problem = match accounts {
        None => Problem::new(members.len(), arcs)?,
        Some(accounts) => {
            let hub = (0..members.len())
                .map(|i| accounts.get(members.key(i)).map(hub_capacity).unwrap_or_default())
                .collect();
            Problem::with_hub(members.len(), arcs, hub)?
        }
    };
    let solution = solve(&problem);
    let certified = check(&problem, &solution)?;

    let mut participants: BTreeMap<Handle, Participant> = BTreeMap::new();
    let mut touched = Vec::new();
    for (invoice, &set_off) in open.iter().zip(&solution.set_off) {
        let remaining = i128::from(invoice.remaining.minor());
        let after = remaining - i128::from(set_off);
        let entry = |handle: &Handle, participants: &mut BTreeMap<Handle, Participant>| {
            participants.entry(handle.clone()).or_insert_with(|| Participant {
                handle: handle.clone(),
                owes_before: 0,
                owes_after: 0,
                owed_before: 0,
                owed_after: 0,
            });
        };
        entry(&invoice.debtor, &mut participants);
        entry(&invoice.creditor, &mut participants);
        let debtor = participants.get_mut(&invoice.debtor).expect("inserted above");
        debtor.owes_before += remaining;
        debtor.owes_after += after;
        let creditor = participants.get_mut(&invoice.creditor).expect("inserted above");
        creditor.owed_before += remaining;
        creditor.owed_after += after;
        if set_off > 0 {
            touched.push(SetOff {
                invoice: invoice.id,
                debtor: invoice.debtor.clone(),
                creditor: invoice.creditor.clone(),
                remaining_before: invoice.remaining.minor(),
                set_off,
            });
        }
    }
    let mut credit: Vec<CreditPosting> = solution
        .hub
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, flow)| flow.received != flow.paid)
        .map(|(i, flow)| CreditPosting { account: members.key(i as u32).clone(), delta: flow.received - flow.paid })
        .collect();
    credit.sort_by(|a, b| a.account.cmp(&b.account));
    Ok(RunPlan {
        invoices: open.len(),
        debt_before: certified.debt_before(),
        set_off: certified.set_off(),
        debt_after: certified.debt_after(),
        participants: participants.into_values().collect(),
        touched,
        credit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Amount;
    use crate::date::Date;
    use crate::invoice::InvoiceStatus;
    use crate::names::{Reference, UnitCode};

    fn invoice(n: u128, debtor: &str, creditor: &str, minor: i64, status: InvoiceStatus) -> Invoice {
        Invoice {
            id: RequestId::from_uuid(uuid::Uuid::from_u128(n)),
            creditor: Handle::parse(creditor).unwrap(),
            debtor: Handle::parse(debtor).unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::from_minor(minor).unwrap(),
            remaining: Amount::from_minor(minor).unwrap(),
            due: None,
            reference: Reference::default(),
            status,
            created_ms: n as i64,
        }
    }

    #[test]
    fn a_cycle_is_set_off_by_its_smallest_invoice_and_nets_stay() {
        use InvoiceStatus::*;
        let invoices = [
            invoice(1, "alice", "bob", 10_000, Accepted),
            invoice(2, "bob", "carol", 6_050, Accepted),
            invoice(3, "carol", "alice", 8_000, Accepted),
            // Not open: awaiting its debtor, or declined.
            invoice(4, "bob", "alice", 100_000, Issued),
            invoice(5, "carol", "bob", 100_000, Rejected),
        ];
        let plan = plan(&invoices).unwrap();
        assert_eq!(plan.invoices, 3);
        assert_eq!((plan.debt_before, plan.set_off, plan.debt_after), (24_050, 18_150, 5_900));
        assert_eq!(plan.share_basis_points(), 7546);
        assert_eq!(plan.touched.len(), 3);
        assert!(plan.touched.iter().all(|s| s.set_off == 6_050));
        for p in &plan.participants {
            assert_eq!(p.owed_before - p.owes_before, p.owed_after - p.owes_after, "{p:?}");
        }
        let handles: Vec<&str> = plan.participants.iter().map(|p| p.handle.as_str()).collect();
        assert_eq!(handles, ["alice", "bob", "carol"]);
    }

    #[test]
    fn parallel_invoices_are_set_off_oldest_due_first() {
        let mut late = invoice(1, "alice", "bob", 50, InvoiceStatus::Accepted);
        late.due = Some(Date::parse("2027-01-01").unwrap());
        let mut soon = invoice(2, "alice", "bob", 50, InvoiceStatus::Accepted);
        soon.due = Some(Date::parse("2026-01-01").unwrap());
        let back = invoice(3, "bob", "alice", 50, InvoiceStatus::Accepted);
        let plan = plan(&[late, soon.clone(), back]).unwrap();
        let ids: Vec<RequestId> = plan.touched.iter().map(|s| s.invoice).collect();
        assert!(ids.contains(&soon.id) && ids.len() == 2, "{plan:?}");
        assert_eq!(plan.set_off, 100);
        assert_eq!(super::plan(&[]).unwrap().debt_before, 0);
    }
}
