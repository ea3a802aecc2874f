//! The certificate check: an independent verification that a [`Solution`] is a feasible set-off
//! of its [`Problem`] and the largest one. It shares no code with the solver, so a bug there
//! cannot hide itself here. O(invoices + members).
//!
//! Feasible: every set-off lies within 0..=amount, every hub flow within its capacity, and at
//! every member (and the hub) what flows in equals what flows out, so no net position changes.
//! Optimal: the solution's potentials give every residual arc a non-negative reduced cost, which
//! means the residual graph has no negative cycle, so no circulation does better (and in a run
//! with credit, none clears as much with less credit).

use super::problem::Problem;
use super::{HUB_ARC_COST, SET_OFF_COST, Solution};

/// Why a solution was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("the solution has {found} {what}, the problem needs {expected}")]
    Shape { what: &'static str, found: usize, expected: usize },
    #[error("invoice {invoice} has set-off {set_off} outside 0..={amount}")]
    SetOffOutOfRange { invoice: usize, set_off: i64, amount: i64 },
    #[error("member {node} moves {flow} through the hub, outside 0..={capacity}")]
    HubFlowOutOfRange { node: u32, flow: i64, capacity: i64 },
    #[error("member {node}'s net position would change by {change}")]
    Unbalanced { node: u32, change: i128 },
    #[error("the hub pays out {paid} but takes in {received}")]
    HubUnbalanced { paid: i128, received: i128 },
    #[error("invoice {invoice} could still move: reduced cost {reduced} < 0, the set-off is not the largest")]
    NotOptimal { invoice: usize, reduced: i128 },
    #[error("member {node}'s hub arc could still move: reduced cost {reduced} < 0, the result is not optimal")]
    HubNotOptimal { node: u32, reduced: i128 },
}

/// A solution that passed [`check`], with its totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Certified {
    debt_before: i128,
    set_off: i128,
    invoices_touched: usize,
    through_credit: i128,
}

impl Certified {
    /// Sum of all invoice amounts before the run, in minor units.
    pub fn debt_before(&self) -> i128 {
        self.debt_before
    }

    /// Sum of all set-offs, in minor units.
    pub fn set_off(&self) -> i128 {
        self.set_off
    }

    /// Sum of what remains owed after the run, in minor units.
    pub fn debt_after(&self) -> i128 {
        self.debt_before - self.set_off
    }

    /// Invoices with a positive set-off.
    pub fn invoices_touched(&self) -> usize {
        self.invoices_touched
    }

    /// Sum paid through the hub (equal to the sum received), in minor units.
    pub fn through_credit(&self) -> i128 {
        self.through_credit
    }
}

/// Verifies `solution` against `problem`: feasible and optimal, or the first thing wrong.
pub fn check(problem: &Problem, solution: &Solution) -> Result<Certified, CertificateError> {
    let invoices = problem.invoices();
    let members = problem.nodes() as usize;
    let nodes = members + usize::from(problem.hub().is_some());
    let shape = |what, found, expected| {
        if found == expected { Ok(()) } else { Err(CertificateError::Shape { what, found, expected }) }
    };
    shape("set-offs", solution.set_off.len(), invoices.len())?;
    shape("potentials", solution.potential.len(), nodes)?;
    match (problem.hub(), &solution.hub) {
        (Some(_), Some(flows)) => shape("hub flows", flows.len(), members)?,
        (Some(_), None) => shape("hub flows", 0, members)?,
        (None, Some(flows)) => shape("hub flows", flows.len(), 0)?,
        (None, None) => {}
    }
    let p = |node: usize| i128::from(solution.potential[node]);
    let set_off_cost = i128::from(SET_OFF_COST);
    let hub_arc_cost = i128::from(HUB_ARC_COST);

    // Bounds and optimality per invoice; the change of each member's net position.
    let mut change = vec![0_i128; members];
    let mut set_off_total = 0_i128;
    let mut invoices_touched = 0;
    for (index, (invoice, &set_off)) in invoices.iter().zip(&solution.set_off).enumerate() {
        let amount = invoice.amount.minor();
        if !(0..=amount).contains(&set_off) {
            return Err(CertificateError::SetOffOutOfRange { invoice: index, set_off, amount });
        }
        let (u, v) = (invoice.debtor as usize, invoice.creditor as usize);
        // Forward (more set-off) while below the amount, backward (less) while positive.
        let forward = set_off_cost + p(u) - p(v);
        let backward = -forward;
        if set_off < amount && forward < 0 {
            return Err(CertificateError::NotOptimal { invoice: index, reduced: forward });
        }
        if set_off > 0 && backward < 0 {
            return Err(CertificateError::NotOptimal { invoice: index, reduced: backward });
        }
        change[u] -= i128::from(set_off);
        change[v] += i128::from(set_off);
        set_off_total += i128::from(set_off);
        invoices_touched += usize::from(set_off > 0);
    }

    // Hub arcs: hub → member carries `paid`, member → hub carries `received`.
    let mut through_credit = 0_i128;
    if let (Some(capacities), Some(flows)) = (problem.hub(), &solution.hub) {
        let hub = members;
        let mut received_total = 0_i128;
        for (node, (capacity, flow)) in capacities.iter().zip(flows).enumerate() {
            for (flow, capacity) in [(flow.paid, capacity.may_pay), (flow.received, capacity.may_receive)] {
                if !(0..=capacity).contains(&flow) {
                    return Err(CertificateError::HubFlowOutOfRange { node: node as u32, flow, capacity });
                }
            }
            let pay = hub_arc_cost + p(hub) - p(node);
            let receive = hub_arc_cost + p(node) - p(hub);
            for (flow, capacity, reduced) in
                [(flow.paid, capacity.may_pay, pay), (flow.received, capacity.may_receive, receive)]
            {
                if (flow < capacity && reduced < 0) || (flow > 0 && -reduced < 0) {
                    let reduced = if flow < capacity && reduced < 0 { reduced } else { -reduced };
                    return Err(CertificateError::HubNotOptimal { node: node as u32, reduced });
                }
            }
            change[node] += i128::from(flow.paid) - i128::from(flow.received);
            through_credit += i128::from(flow.paid);
            received_total += i128::from(flow.received);
        }
        if through_credit != received_total {
            return Err(CertificateError::HubUnbalanced { paid: through_credit, received: received_total });
        }
    }
    if let Some(node) = change.iter().position(|&c| c != 0) {
        return Err(CertificateError::Unbalanced { node: node as u32, change: change[node] });
    }
    Ok(Certified { debt_before: i128::from(problem.total()), set_off: set_off_total, invoices_touched, through_credit })
}
