//! Clearing: the largest multilateral set-off of invoices, found exactly, with a certificate.
//!
//! Invoices form a graph, debtor → creditor. Setting off the same amount along every invoice of a
//! cycle changes nobody's net position, so a set-off is a circulation bounded by the amounts, and
//! the largest one is a max-weight circulation. With every unit of set-off costing
//! [`SET_OFF_COST`] it is a min-cost circulation, solved in integer minor units:
//!
//! 1. parallel invoices are merged into one arc ([`graph`]);
//! 2. the graph is split into strongly connected components ([`scc`]): an arc between two
//!    components lies on no cycle and can never be set off;
//! 3. the arcs inside components are solved as a min-cost flow ([`solver`]), which also returns
//!    node potentials proving that the result is optimal;
//! 4. each merged arc's set-off is handed back to its invoices in priority order.
//!
//! In a run with credit, a hub node stands for the members' mutual-credit accounts: hub → member
//! up to what the member may pay, member → hub up to what it may receive, each unit on a hub arc
//! costing [`HUB_ARC_COST`]. A unit of set-off is worth more than the two hub arcs a settlement
//! through credit uses, so the solver first clears as much as possible and then, among the
//! largest set-offs, moves the least through credit.
//!
//! The solver is not trusted: [`check`] verifies any [`Solution`] against its [`Problem`]
//! independently (bounds, conservation, potentials) and is what a caller runs before applying.
//!
//! # Layout
//!
//! - [`problem`]: the validated input: members, invoices, hub capacities.
//! - [`nodes`]: dense member indices for the caller's names.
//! - `graph`: merging parallel invoices, and handing merged set-offs back.
//! - `scc`: strongly connected components.
//! - `solver`: the min-cost flow and its potentials.
//! - [`certificate`]: the independent checker.
//! - [`synthetic`]: reproducible random invoice graphs for benchmarks and tests.
//! - [`run`]: a run over the ledger's open invoices of one unit, planned and certified.
//! - [`settlement`]: a run as a treasurer signs it (set-offs, credit postings) and as applied.

pub mod certificate;
mod graph;
pub mod nodes;
pub mod problem;
pub mod run;
mod scc;
pub mod settlement;
mod solver;
pub mod synthetic;

pub use certificate::{CertificateError, Certified, check};
pub use nodes::NodeIndex;
pub use problem::{HubCapacity, Invoice, Problem, ProblemError};

use graph::Merged;
use solver::Network;

/// Cost of one minor unit of set-off on an invoice arc: the solver minimises cost, so set-off is
/// negative. Its magnitude exceeds twice [`HUB_ARC_COST`], which makes set-off come first.
pub const SET_OFF_COST: i64 = -3;

/// Cost of one minor unit on a hub arc (member → hub or hub → member).
pub const HUB_ARC_COST: i64 = 1;

/// What one member moves through the hub in a run with credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HubFlow {
    /// Paid through credit (the arc hub → member): the member's balance falls by this.
    pub paid: i64,
    /// Received through credit (the arc member → hub): the member's balance rises by this.
    pub received: i64,
}

/// A solver's answer, to be verified by [`check`] before anything is applied.
///
/// The fields are public because a solution is a claim, not a proof: whoever holds one may
/// inspect or alter it, and [`check`] decides whether it is feasible and optimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// Set-off of each invoice, in the problem's order, in minor units.
    pub set_off: Vec<i64>,
    /// Per member, what it moves through the hub; `Some` exactly in a run with credit.
    pub hub: Option<Vec<HubFlow>>,
    /// Node potentials `p`, one per member and then one for the hub in a run with credit: every
    /// arc that could still move in some direction has a non-negative reduced cost
    /// `cost(u → v) + p(u) − p(v)` in that direction, so no cycle can improve the result.
    pub potential: Vec<i64>,
}

/// Finds the largest set-off of `problem` (and, in a run with credit, the least use of credit
/// that achieves it). Pure and deterministic: the same problem always gives the same solution.
pub fn solve(problem: &Problem) -> Solution {
    let members = problem.nodes() as usize;
    let merged = Merged::new(problem.nodes(), problem.invoices());
    let with_hub = problem.hub().is_some();
    let hub = members as u32;
    let nodes = members + usize::from(with_hub);

    // The circulation's arcs: merged invoices first, then hub arcs with room. Hub capacities are
    // capped just above the invoice total, which no hub flow can reach, so the cap never binds.
    let mut tail = merged.tail.clone();
    let mut head = merged.head.clone();
    let mut cap = merged.cap.clone();
    let mut hub_arc: Vec<(u32, HubArc)> = Vec::new();
    if let Some(capacities) = problem.hub() {
        let ceiling = problem.total() + 1;
        for (member, capacity) in capacities.iter().enumerate() {
            let member = member as u32;
            if capacity.may_pay > 0 {
                hub_arc.push((member, HubArc::Pay));
                tail.push(hub);
                head.push(member);
                cap.push(capacity.may_pay.min(ceiling));
            }
            if capacity.may_receive > 0 {
                hub_arc.push((member, HubArc::Receive));
                tail.push(member);
                head.push(hub);
                cap.push(capacity.may_receive.min(ceiling));
            }
        }
    }
    let components = scc::components(nodes, &tail, &head);
    let inside: Vec<usize> =
        (0..tail.len()).filter(|&a| components.of[tail[a] as usize] == components.of[head[a] as usize]).collect();

    // The flow problem: start from every invoice arc fully set off, which leaves each member
    // with a supply equal to its net position; the flow then decides how much of each invoice
    // remains (cost −SET_OFF_COST per unit remaining). Hub arcs keep their cost and carry the
    // flow in the opposite direction: a debtor's remainder goes into the hub, out to a creditor.
    let mut supply = vec![0_i64; nodes];
    let mut flow_tail = Vec::with_capacity(inside.len());
    let mut flow_head = Vec::with_capacity(inside.len());
    let mut flow_cap = Vec::with_capacity(inside.len());
    let mut flow_cost = Vec::with_capacity(inside.len());
    for &a in &inside {
        let (t, h) = (tail[a], head[a]);
        if a < merged.len() {
            supply[t as usize] += cap[a];
            supply[h as usize] -= cap[a];
            flow_tail.push(t);
            flow_head.push(h);
            flow_cost.push(-SET_OFF_COST as i32);
        } else {
            flow_tail.push(h);
            flow_head.push(t);
            flow_cost.push(HUB_ARC_COST as i32);
        }
        flow_cap.push(cap[a]);
    }
    drop((tail, head));
    let network = Network { nodes, tail: &flow_tail, head: &flow_head, cap: &flow_cap, cost: &flow_cost };
    let optimum = solver::min_cost_flow(&network, &supply);

    let mut arc_set_off = vec![0_i64; merged.len()];
    let mut hub_flows = with_hub.then(|| vec![HubFlow::default(); members]);
    for (k, &a) in inside.iter().enumerate() {
        if a < merged.len() {
            arc_set_off[a] = cap[a] - optimum.flow[k];
        } else if let Some(flows) = hub_flows.as_mut() {
            let (member, kind) = hub_arc[a - merged.len()];
            match kind {
                HubArc::Pay => flows[member as usize].paid = optimum.flow[k],
                HubArc::Receive => flows[member as usize].received = optimum.flow[k],
            }
        }
    }
    let set_off = merged.split(problem.invoices(), &arc_set_off);
    let potential = stack_potentials(&optimum.potential, &components);
    Solution { set_off, hub: hub_flows, potential }
}

/// Which hub arc of a member.
#[derive(Clone, Copy, Debug)]
enum HubArc {
    /// Hub → member, bounded by what the member may pay.
    Pay,
    /// Member → hub, bounded by what the member may receive.
    Receive,
}

/// Turns the flow's potentials (component by component) into the circulation's potentials for
/// the whole graph. The flow runs against the circulation's invoice arcs, so its potentials are
/// negated; then each component is shifted above every component it has arcs into (those close
/// first, with lower numbers), by at least −SET_OFF_COST, so that the arcs between components,
/// which carry nothing, have non-negative reduced costs too.
fn stack_potentials(flow_potential: &[i64], components: &scc::Components) -> Vec<i64> {
    let count = components.count as usize;
    let mut low = vec![i64::MAX; count];
    for (node, &c) in components.of.iter().enumerate() {
        low[c as usize] = low[c as usize].min(-flow_potential[node]);
    }
    let mut high = vec![i64::MIN; count];
    for (node, &c) in components.of.iter().enumerate() {
        high[c as usize] = high[c as usize].max(-flow_potential[node]);
    }
    let mut shift = vec![0_i64; count];
    let mut top = i64::MIN;
    for c in 0..count {
        shift[c] = if top == i64::MIN { -low[c] } else { top - SET_OFF_COST - low[c] };
        top = high[c] + shift[c];
    }
    components.of.iter().enumerate().map(|(node, &c)| -flow_potential[node] + shift[c as usize]).collect()
}
