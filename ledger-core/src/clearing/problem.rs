//! The input of a clearing run: members as dense indices, invoices between them, and the optional
//! hub through which members may settle with mutual credit. Validated once, when built.

use crate::amount::Amount;

/// The most members a problem may have.
pub const NODES_MAX: u32 = 10_000_000;

/// The most invoices a problem may have.
pub const INVOICES_MAX: usize = 10_000_000;

/// The largest sum of all invoice amounts, in minor units: 2^62. Every flow, excess and total
/// the solver handles is bounded by it, so its `i64` arithmetic cannot overflow.
pub const TOTAL_MAX: i64 = 1 << 62;

/// One accepted invoice: `debtor` owes `creditor` `amount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// Who owes: a member index below the problem's node count.
    pub debtor: u32,
    /// Who is owed: another member index.
    pub creditor: u32,
    /// What is still owed, positive, in minor units.
    pub amount: Amount,
}

/// What one member may move through the mutual-credit hub in a run with credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HubCapacity {
    /// How far the member's balance may fall: balance + credit limit, in minor units, ≥ 0.
    pub may_pay: i64,
    /// How far the member's balance may rise: ceiling − balance, in minor units, ≥ 0.
    pub may_receive: i64,
}

/// Why a problem was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    #[error("{0} members is more than the {NODES_MAX} a clearing run may have")]
    TooManyNodes(u64),
    #[error("{0} invoices is more than the {INVOICES_MAX} a clearing run may have")]
    TooManyInvoices(usize),
    #[error("invoice {invoice} names member {node}, but there are only {nodes} members")]
    UnknownNode { invoice: usize, node: u32, nodes: u32 },
    #[error("invoice {invoice} is owed by member {node} to itself")]
    SelfInvoice { invoice: usize, node: u32 },
    #[error("invoice {invoice} has a zero amount")]
    ZeroAmount { invoice: usize },
    #[error("the invoices add up to more than {TOTAL_MAX} minor units")]
    TotalTooLarge,
    #[error("the hub has capacities for {given} members, but there are {nodes}")]
    HubSize { given: usize, nodes: u32 },
    #[error("member {node} has a negative hub capacity")]
    NegativeHubCapacity { node: u32 },
}

/// A valid clearing problem: every invoice names two different members below `nodes` and owes a
/// positive amount, and the amounts add up to at most [`TOTAL_MAX`].
///
/// Invoices are kept in the order given, and that order is their priority when a merged set-off
/// is handed back to them: pass them oldest due first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    nodes: u32,
    invoices: Vec<Invoice>,
    hub: Option<Vec<HubCapacity>>,
    total: i64,
}

impl Problem {
    /// A problem of pure set-off among `nodes` members.
    pub fn new(nodes: u32, invoices: Vec<Invoice>) -> Result<Self, ProblemError> {
        Self::build(nodes, invoices, None)
    }

    /// A problem in which members may also settle through the mutual-credit hub, within
    /// `hub[member]`. Set-off still comes first: among the largest set-offs, the solver picks
    /// one that moves the least through the hub.
    pub fn with_hub(nodes: u32, invoices: Vec<Invoice>, hub: Vec<HubCapacity>) -> Result<Self, ProblemError> {
        if hub.len() != nodes as usize {
            return Err(ProblemError::HubSize { given: hub.len(), nodes });
        }
        if let Some(node) = hub.iter().position(|c| c.may_pay < 0 || c.may_receive < 0) {
            return Err(ProblemError::NegativeHubCapacity { node: node as u32 });
        }
        Self::build(nodes, invoices, Some(hub))
    }

    fn build(nodes: u32, invoices: Vec<Invoice>, hub: Option<Vec<HubCapacity>>) -> Result<Self, ProblemError> {
        if nodes > NODES_MAX {
            return Err(ProblemError::TooManyNodes(u64::from(nodes)));
        }
        if invoices.len() > INVOICES_MAX {
            return Err(ProblemError::TooManyInvoices(invoices.len()));
        }
        let mut total: i64 = 0;
        for (index, invoice) in invoices.iter().enumerate() {
            for node in [invoice.debtor, invoice.creditor] {
                if node >= nodes {
                    return Err(ProblemError::UnknownNode { invoice: index, node, nodes });
                }
            }
            if invoice.debtor == invoice.creditor {
                return Err(ProblemError::SelfInvoice { invoice: index, node: invoice.debtor });
            }
            if invoice.amount.is_zero() {
                return Err(ProblemError::ZeroAmount { invoice: index });
            }
            // Each amount is at most 10^15 and the running total at most 2^62, so this never
            // overflows before it is checked.
            total += invoice.amount.minor();
            if total > TOTAL_MAX {
                return Err(ProblemError::TotalTooLarge);
            }
        }
        Ok(Self { nodes, invoices, hub, total })
    }

    /// Number of members; indices run from 0 to `nodes() - 1`.
    pub fn nodes(&self) -> u32 {
        self.nodes
    }

    /// The invoices, in priority order.
    pub fn invoices(&self) -> &[Invoice] {
        &self.invoices
    }

    /// The hub capacities per member, in a run with credit.
    pub fn hub(&self) -> Option<&[HubCapacity]> {
        self.hub.as_deref()
    }

    /// The sum of all invoice amounts, in minor units.
    pub fn total(&self) -> i64 {
        self.total
    }

    /// Net position per member from the invoices alone: what it owes minus what it is owed.
    pub fn net_positions(&self) -> Vec<i64> {
        let mut net = vec![0_i64; self.nodes as usize];
        for invoice in &self.invoices {
            net[invoice.debtor as usize] += invoice.amount.minor();
            net[invoice.creditor as usize] -= invoice.amount.minor();
        }
        net
    }
}
